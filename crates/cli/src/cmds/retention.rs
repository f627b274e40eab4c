//! `lfr retention`: delete what is past its time; legal holds keep what the law needs kept.

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use lfr_domain::Timestamp;
use lfr_domain::ids::{DeploymentId, HoldId};
use lfr_domain::retention::{HoldReason, HoldTarget};

use super::session::{block_on, fields, print_json, show_opt_time, show_time, signed_in, table};
use crate::Global;

#[derive(Subcommand, Debug)]
pub enum RetentionCmd {
    /// Run retention now (Administrator or System Engineer). The server also runs it on a timer.
    Run,
    /// Keep data past its deletion time for a recorded legal reason (Silver or Gold Commander).
    Hold {
        /// A<alert id>, F<footage id> or D<deployment id>.
        target: HoldTarget,
        /// dpa_2018, mopi, cpia, complaint or conduct_investigation.
        #[arg(long)]
        reason: HoldReason,
        /// The case, complaint or request reference and why the data is needed.
        #[arg(long)]
        note: String,
    },
    /// Release a hold; the next run deletes what it kept if its time has passed.
    Release {
        hold: HoldId,
        #[arg(long)]
        note: String,
    },
    /// List legal holds.
    Holds,
    /// What retention will delete, and when, soonest first (held items marked).
    Schedule,
    /// List a deployment's registered footage and whether it was deleted.
    Footage { deployment: DeploymentId },
    /// Register a recorded footage file, so that retention deletes it 31 days
    /// after it ends unless a legal hold keeps it (System Engineer or Operator).
    RegisterFootage {
        deployment: DeploymentId,
        /// The camera that recorded it.
        #[arg(long)]
        camera: String,
        /// When the recording starts and ends, e.g. 2026-11-22T10:00:00Z.
        #[arg(long)]
        from: Timestamp,
        #[arg(long)]
        to: Timestamp,
        /// The recording on disk; retention deletes this file.
        path: std::path::PathBuf,
    },
}

pub fn run(g: &Global, cmd: RetentionCmd) -> Result<()> {
    block_on(async move {
        let (store, me) = signed_in(g).await?;
        match cmd {
            RetentionCmd::Run => {
                let s = store.run_retention(&me).await?;
                if g.json {
                    return print_json(&s);
                }
                fields(&[
                    ("alerts purged", s.alerts_purged.to_string()),
                    ("watchlists purged", s.watchlists_purged.to_string()),
                    ("reference images deleted", s.images_deleted.to_string()),
                    ("footage deleted", s.footage_deleted.to_string()),
                    ("deployment keys shredded", s.keys_shredded.to_string()),
                    ("kept by legal holds", s.held.to_string()),
                ]);
                for f in &s.footage_failed {
                    eprintln!("could not delete footage {f}");
                }
                if !s.footage_failed.is_empty() {
                    bail!(
                        "{} recording(s) past their time could not be deleted; everything else was",
                        s.footage_failed.len()
                    );
                }
                Ok(())
            }
            RetentionCmd::Hold {
                target,
                reason,
                note,
            } => {
                let h = store.place_hold(&me, target, reason, &note).await?;
                if g.json {
                    print_json(&h)
                } else {
                    println!("H{}: {} held ({})", h.id, h.target, h.reason);
                    Ok(())
                }
            }
            RetentionCmd::Release { hold, note } => {
                store.release_hold(&me, hold, &note).await?;
                println!("H{hold} released");
                Ok(())
            }
            RetentionCmd::Schedule => {
                let s = store.retention_schedule(&me).await?;
                if g.json {
                    return print_json(&s);
                }
                let rows: Vec<Vec<String>> = s
                    .iter()
                    .map(|i| {
                        vec![
                            i.target.clone(),
                            match i.due {
                                Some(t) => show_time(t),
                                None => "24 h after its deployment ends".into(),
                            },
                            if i.held { "held".into() } else { String::new() },
                            i.what.to_string(),
                        ]
                    })
                    .collect();
                table(&["target", "deleted by", "hold", "what"], &rows);
                Ok(())
            }
            RetentionCmd::Holds => {
                let hs = store.holds(&me).await?;
                if g.json {
                    return print_json(&hs);
                }
                let rows: Vec<Vec<String>> = hs
                    .iter()
                    .map(|h| {
                        vec![
                            format!("H{}", h.id),
                            h.target.to_string(),
                            h.reason.to_string(),
                            h.note.clone(),
                            show_time(h.placed_at),
                            show_opt_time(h.released_at),
                        ]
                    })
                    .collect();
                table(
                    &["id", "target", "reason", "note", "placed", "released"],
                    &rows,
                );
                Ok(())
            }
            RetentionCmd::RegisterFootage {
                deployment,
                camera,
                from,
                to,
                path,
            } => {
                if to < from {
                    bail!("--to {to} is before --from {from}; give the recording's start and end");
                }
                // Retention deletes by path: store the absolute path of a file that exists.
                let path = path.canonicalize().with_context(|| {
                    format!(
                        "cannot find the recording {}; register a file that exists",
                        path.display()
                    )
                })?;
                let path = path
                    .to_str()
                    .context("the recording's path is not valid UTF-8; rename the file")?;
                let id = store
                    .register_footage(&me, deployment, &camera, path, from, to)
                    .await?;
                if g.json {
                    return print_json(&serde_json::json!({ "id": id.0, "path": path }));
                }
                println!(
                    "F{}: {path} registered; deleted 31 days after {to} unless held",
                    id.0
                );
                Ok(())
            }
            RetentionCmd::Footage { deployment } => {
                let fs = store.footage(&me, deployment).await?;
                if g.json {
                    return print_json(&fs);
                }
                let rows: Vec<Vec<String>> = fs
                    .iter()
                    .map(|f| {
                        vec![
                            format!("F{}", f.id),
                            f.camera.clone(),
                            show_time(f.started_at),
                            show_time(f.ended_at),
                            f.path.clone(),
                            show_opt_time(f.deleted_at),
                        ]
                    })
                    .collect();
                table(&["id", "camera", "from", "to", "path", "deleted"], &rows);
                Ok(())
            }
        }
    })
}
