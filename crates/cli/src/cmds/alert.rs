//! `lfr alert`: alerts, adjudication, engagement and outcomes. Alerts and
//! the counts the figures are built from come only from the recognition
//! pipeline (`lfr serve`): no command raises one or adds to the counts.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use lfr_domain::alert::{Adjudication, Alert, EngagementOutcome, PolicingOutcome};
use lfr_domain::ids::{AlertId, DeploymentId};

use lfr_server::subjects::{Subject, Subjects};

use super::session::{block_on, fields, print_json, show_opt_time, show_time, signed_in, table};
use crate::Global;

#[derive(Subcommand, Debug)]
pub enum AlertCmd {
    /// List a deployment's alerts.
    List { deployment: DeploymentId },
    /// Show one alert; optionally write its probe and candidate images out (audited).
    Show {
        alert: AlertId,
        #[arg(long, value_name = "FILE")]
        probe_out: Option<PathBuf>,
        #[arg(long, value_name = "FILE")]
        candidate_out: Option<PathBuf>,
    },
    /// The operator's decision: false_alert_no_engagement or passed_for_engagement.
    Adjudicate {
        alert: AlertId,
        decision: Adjudication,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// The operator's adjudication that the alert is the same person as an
    /// earlier alert for the same subject, already dealt with: nobody is
    /// approached again, and the figures count it as that one.
    Repeat {
        alert: AlertId,
        /// The earlier alert it repeats.
        #[arg(long, value_name = "ALERT")]
        of: AlertId,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// The engagement officer's finding: confirmed_true, confirmed_false or unconfirmed.
    Engage {
        alert: AlertId,
        outcome: EngagementOutcome,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// The policing outcome: arrest, voluntary_attendance, street_bail, safeguarding, no_further_action.
    Outcome {
        alert: AlertId,
        outcome: PolicingOutcome,
        #[arg(long, default_value = "")]
        note: String,
    },
}

fn status(a: &Alert) -> String {
    a.class().to_string()
}

/// An alert with who it is about (the inclusion's reference and category,
/// never the name), as the console shows it.
#[derive(serde::Serialize)]
struct AlertOut<'a> {
    #[serde(flatten)]
    alert: &'a Alert,
    subject: Option<Subject>,
}

fn subject_word(s: &Option<Subject>, a: &Alert) -> String {
    match s {
        Some(s) => format!("{} ({})", s.reference, s.category),
        None => format!("I{}", a.inclusion),
    }
}

pub fn run(g: &Global, cmd: AlertCmd) -> Result<()> {
    block_on(async move {
        let (store, me) = signed_in(g).await?;
        let subjects = Subjects::default();
        let show = |a: &Alert| -> Result<()> {
            if g.json {
                print_json(a)
            } else {
                println!(
                    "A{}: {} (score {:.3}, camera {})",
                    a.id,
                    status(a),
                    a.score,
                    a.camera
                );
                Ok(())
            }
        };
        match cmd {
            AlertCmd::List { deployment } => {
                let all = store.alerts(&me, deployment).await?;
                let mut who = Vec::with_capacity(all.len());
                for a in &all {
                    who.push(
                        subjects
                            .lookup(&store, &me, a.deployment, a.inclusion)
                            .await,
                    );
                }
                if g.json {
                    let out: Vec<AlertOut> = all
                        .iter()
                        .zip(who)
                        .map(|(alert, subject)| AlertOut { alert, subject })
                        .collect();
                    return print_json(&out);
                }
                let rows: Vec<Vec<String>> = all
                    .iter()
                    .zip(&who)
                    .map(|(a, s)| {
                        vec![
                            format!("A{}", a.id),
                            show_time(a.at),
                            a.camera.clone(),
                            format!("{:.3}", a.score),
                            a.threshold.to_string(),
                            subject_word(s, a),
                            status(a),
                            a.policing_outcome
                                .as_ref()
                                .map(|o| o.value.to_string())
                                .unwrap_or_else(|| "-".into()),
                            if a.purged_at.is_some() {
                                "purged".into()
                            } else {
                                "held".into()
                            },
                        ]
                    })
                    .collect();
                table(
                    &[
                        "id",
                        "time",
                        "camera",
                        "score",
                        "threshold",
                        "subject",
                        "status",
                        "outcome",
                        "images",
                    ],
                    &rows,
                );
                Ok(())
            }
            AlertCmd::Show {
                alert,
                probe_out,
                candidate_out,
            } => {
                let a = store.alert(&me, alert).await?;
                if let Some(p) = probe_out {
                    std::fs::write(&p, store.probe_image(&me, alert).await?)
                        .with_context(|| format!("cannot write {}", p.display()))?;
                }
                if let Some(p) = candidate_out {
                    std::fs::write(&p, store.reference_image(&me, a.candidate_image).await?)
                        .with_context(|| format!("cannot write {}", p.display()))?;
                }
                let subject = subjects
                    .lookup(&store, &me, a.deployment, a.inclusion)
                    .await;
                if g.json {
                    return print_json(&AlertOut { alert: &a, subject });
                }
                let dec = |d: Option<String>| d.unwrap_or_else(|| "-".into());
                fields(&[
                    ("alert", format!("A{} on D{}", a.id, a.deployment)),
                    ("time", show_time(a.at)),
                    ("camera", a.camera.clone()),
                    (
                        "score",
                        format!("{:.3} (threshold {})", a.score, a.threshold),
                    ),
                    ("recognition", format!("{} ms", a.recognition_ms)),
                    (
                        "candidate",
                        format!(
                            "{}, inclusion I{}, image IMG{}",
                            subject_word(&subject, &a),
                            a.inclusion,
                            a.candidate_image
                        ),
                    ),
                    ("status", status(&a)),
                    (
                        "adjudication",
                        dec(a.adjudication.as_ref().map(|d| {
                            let of = a.repeat_of.map(|o| format!(" of A{o}")).unwrap_or_default();
                            format!(
                                "{}{of} by U{} at {} {}",
                                d.value,
                                d.by,
                                show_time(d.at),
                                d.note
                            )
                        })),
                    ),
                    (
                        "engagement",
                        dec(a.engagement.as_ref().map(|d| {
                            format!("{} by U{} at {} {}", d.value, d.by, show_time(d.at), d.note)
                        })),
                    ),
                    (
                        "outcome",
                        dec(a
                            .policing_outcome
                            .as_ref()
                            .map(|d| format!("{} by U{} {}", d.value, d.by, d.note))),
                    ),
                    ("purged", show_opt_time(a.purged_at)),
                ]);
                Ok(())
            }
            AlertCmd::Adjudicate {
                alert,
                decision,
                note,
            } => show(&store.adjudicate(&me, alert, decision, &note).await?),
            AlertCmd::Repeat { alert, of, note } => {
                show(&store.mark_repeat(&me, alert, of, &note).await?)
            }
            AlertCmd::Engage {
                alert,
                outcome,
                note,
            } => show(&store.record_engagement(&me, alert, outcome, &note).await?),
            AlertCmd::Outcome {
                alert,
                outcome,
                note,
            } => show(
                &store
                    .record_policing_outcome(&me, alert, outcome, &note)
                    .await?,
            ),
        }
    })
}
