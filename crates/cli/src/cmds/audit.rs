//! `lfr audit`: read the log and check its keyed hash chain.

use anyhow::{Result, bail};
use clap::Subcommand;
use lfr_store::audit::{AuditFilter, Checkpoint};

use super::session::{block_on, print_json, show_time, signed_in, table};
use crate::Global;

#[derive(Subcommand, Debug)]
pub enum AuditCmd {
    /// Check the whole chain; names the first tampered entry (Auditor or
    /// Administrator). Prints a signed checkpoint of the head: keep it
    /// outside the system and give it to a later check.
    Verify {
        /// A checkpoint printed by an earlier check (SEQ:HEAD:MAC): also
        /// catches the chain rewritten or cut short since.
        #[arg(long, value_name = "CHECKPOINT")]
        checkpoint: Option<String>,
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
            AuditCmd::Verify { checkpoint } => {
                let checkpoint = checkpoint.as_deref().map(Checkpoint::parse).transpose()?;
                let v = store.verify_audit(&me, checkpoint.as_ref()).await?;
                if g.json {
                    print_json(&v)?;
                } else if let Some(t) = &v.first_tampered {
                    println!(
                        "TAMPERED: entry {} is the first that does not check out: {}",
                        t.seq, t.reason
                    );
                } else {
                    println!("audit log intact: {} entries, head {}", v.entries, v.head);
                    if let Some(c) = &checkpoint {
                        println!("checkpoint of entry {} holds", c.seq);
                    }
                    if v.unkeyed > 0 {
                        println!(
                            "the first {} entries predate the keyed chain: only a checkpoint taken since protects them",
                            v.unkeyed
                        );
                    }
                    println!("checkpoint (keep it outside this system): {}", v.checkpoint);
                }
                if let Some(t) = v.first_tampered {
                    bail!("the audit log has been tampered with, from entry {}", t.seq);
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
