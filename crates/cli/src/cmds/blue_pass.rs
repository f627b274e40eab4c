//! `lfr blue-pass`: the operator marks a Blue Watchlist volunteer's walk
//! through the Zone of Recognition. Whether the pass was recognised is
//! decided by lfr from the alerts raised during it, never typed in.

use anyhow::Result;
use clap::Subcommand;
use lfr_base::SignedDuration;
use lfr_domain::blue::BluePass;
use lfr_domain::ids::{BluePassId, DeploymentId, InclusionId};

use super::session::{block_on, print_json, show_opt_time, show_time, signed_in, table};
use crate::Global;

#[derive(Subcommand, Debug)]
pub enum BluePassCmd {
    /// A volunteer sets off through the Zone of Recognition (LFR Operator).
    Start {
        deployment: DeploymentId,
        /// The volunteer's inclusion on the deployment's Blue Watchlist.
        #[arg(long)]
        inclusion: InclusionId,
        /// Count only this camera's alerts (default: any camera of the deployment).
        #[arg(long)]
        camera: Option<String>,
        /// Seconds after which the pass ends by itself (10-900; default 120).
        #[arg(long)]
        window: Option<i64>,
    },
    /// The volunteer is through: lfr decides from the alerts whether they were recognised.
    End { pass: BluePassId },
    /// The walk did not happen: the pass counts for nothing (the reason is audited).
    Cancel {
        pass: BluePassId,
        #[arg(long)]
        reason: String,
    },
    /// A deployment's passes, open and ended.
    List { deployment: DeploymentId },
}

fn show(g: &Global, p: &BluePass) -> Result<()> {
    if g.json {
        return print_json(p);
    }
    println!(
        "BP{} I{} {} (started {}, {} {})",
        p.id,
        p.inclusion,
        p.state,
        show_time(p.started_at),
        if p.ended_at.is_some() {
            "ended"
        } else {
            "ends by"
        },
        show_opt_time(p.ended_at.or(Some(p.ends_by)))
    );
    Ok(())
}

pub fn run(g: &Global, cmd: BluePassCmd) -> Result<()> {
    block_on(async move {
        let (store, me) = signed_in(g).await?;
        match cmd {
            BluePassCmd::Start {
                deployment,
                inclusion,
                camera,
                window,
            } => {
                let window = window.map(SignedDuration::from_secs);
                let p = store
                    .start_blue_pass(&me, deployment, inclusion, camera.as_deref(), window)
                    .await?;
                show(g, &p)
            }
            BluePassCmd::End { pass } => show(g, &store.end_blue_pass(&me, pass).await?),
            BluePassCmd::Cancel { pass, reason } => {
                show(g, &store.cancel_blue_pass(&me, pass, &reason).await?)
            }
            BluePassCmd::List { deployment } => {
                let passes = store.blue_passes(&me, deployment).await?;
                if g.json {
                    return print_json(&passes);
                }
                let rows: Vec<Vec<String>> = passes
                    .iter()
                    .map(|p| {
                        vec![
                            format!("BP{}", p.id),
                            format!("I{}", p.inclusion),
                            p.camera.clone().unwrap_or_else(|| "any".into()),
                            show_time(p.started_at),
                            show_opt_time(p.ended_at),
                            p.state.to_string(),
                            p.alert.map_or("-".into(), |a| format!("A{a}")),
                        ]
                    })
                    .collect();
                table(
                    &[
                        "pass",
                        "volunteer",
                        "camera",
                        "started",
                        "ended",
                        "state",
                        "alert",
                    ],
                    &rows,
                );
                Ok(())
            }
        }
    })
}
