//! `lfr force`: what the force states publicly about its use of LFR (its
//! legal basis and a contact for the public), printed in every published
//! report.

use anyhow::Result;
use clap::Subcommand;
use lfr_domain::force::ForceNotice;

use super::session::{block_on, fields, open, print_json, signed_in};
use crate::Global;

#[derive(Subcommand, Debug)]
pub enum ForceCmd {
    /// The force's public notice, as reports print it (no sign-in needed).
    Show,
    /// Set the force's public notice (Administrator). Reports can be
    /// published only once it is set.
    Set {
        /// The force's name, as the public knows it (required).
        #[arg(long = "force")]
        name: String,
        /// The law the force relies on for LFR, in plain words (required).
        #[arg(long)]
        legal_basis: String,
        /// How the public can ask or complain about LFR: a role mailbox,
        /// a web form or a telephone number, not a person's own (required).
        #[arg(long)]
        contact: String,
        /// Where the force publishes its LFR policy and impact assessments.
        #[arg(long)]
        policy: Option<String>,
    },
}

pub fn run(g: &Global, c: ForceCmd) -> Result<()> {
    block_on(async move {
        let notice = match c {
            ForceCmd::Show => {
                let store = open(g, false).await?;
                match store.force_notice().await? {
                    Some(n) => n,
                    None => {
                        if g.json {
                            return print_json(&serde_json::Value::Null);
                        }
                        println!(
                            "the force has not stated its legal basis and contact yet: `lfr force set` (Administrator)"
                        );
                        return Ok(());
                    }
                }
            }
            ForceCmd::Set {
                name,
                legal_basis,
                contact,
                policy,
            } => {
                let (store, me) = signed_in(g).await?;
                let n = ForceNotice {
                    force: name,
                    legal_basis,
                    contact,
                    policy,
                };
                store.set_force_notice(&me, &n).await?
            }
        };
        if g.json {
            return print_json(&notice);
        }
        fields(&[
            ("force", notice.force),
            ("legal basis", notice.legal_basis),
            ("contact", notice.contact),
            ("policy", notice.policy.unwrap_or_else(|| "-".into())),
        ]);
        Ok(())
    })
}
