//! `lfr audit`: read the log and check its hash chain.

use anyhow::{Result, bail};
use clap::Subcommand;
use lfr_store::audit::AuditFilter;

use super::session::{block_on, print_json, show_time, signed_in, table};
use crate::Global;

#[derive(Subcommand, Debug)]
pub enum AuditCmd {
    /// Check the whole chain; names the first tampered entry (Auditor or Administrator).
    Verify {
        /// The head hash recorded at an earlier check: also catches entries cut off the end.
        #[arg(long)]
        expect_head: Option<String>,
    },
    /// Show entries, newest first.
    Log {
        /// Only entries about this target, e.g. D3, A17, W2.
        #[arg(long)]
        target: Option<String>,
        #[arg(long)]
        actor: Option<String>,
        /// Only refused actions.
        #[arg(long)]
        refused: bool,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

pub fn run(g: &Global, cmd: AuditCmd) -> Result<()> {
    block_on(async move {
        let (store, me) = signed_in(g).await?;
        match cmd {
            AuditCmd::Verify { expect_head } => {
                let v = store.verify_audit(&me).await?;
                let head_ok = expect_head.as_deref().is_none_or(|h| {
                    // The expected head must still be in the chain (it may have grown since).
                    h == v.head
                });
                if g.json {
                    print_json(&v)?;
                } else if let Some(t) = &v.first_tampered {
                    println!(
                        "TAMPERED: entry {} is the first that does not check out: {}",
                        t.seq, t.reason
                    );
                } else {
                    println!("audit log intact: {} entries, head {}", v.entries, v.head);
                }
                if let Some(t) = v.first_tampered {
                    bail!("the audit log has been tampered with, from entry {}", t.seq);
                }
                if !head_ok {
                    bail!(
                        "the chain is intact but its head is not the one expected: entries were removed from the end, or it has grown since"
                    );
                }
                Ok(())
            }
            AuditCmd::Log {
                target,
                actor,
                refused,
                limit,
            } => {
                let entries = store
                    .audit_entries(
                        &me,
                        &AuditFilter {
                            target,
                            actor,
                            refused_only: refused,
                            limit,
                        },
                    )
                    .await?;
                if g.json {
                    return print_json(&entries);
                }
                let rows: Vec<Vec<String>> = entries
                    .iter()
                    .map(|e| {
                        vec![
                            e.seq.to_string(),
                            show_time(e.event.at),
                            e.event.actor.clone(),
                            e.event.action.clone(),
                            e.event.target.clone(),
                            e.event.outcome.to_string(),
                            e.event.detail.clone(),
                        ]
                    })
                    .collect();
                table(
                    &[
                        "seq", "time", "actor", "action", "target", "outcome", "detail",
                    ],
                    &rows,
                );
                Ok(())
            }
        }
    })
}
