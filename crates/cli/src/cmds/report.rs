//! `lfr report`: a deployment's figures, its public report, and the public
//! notice of upcoming deployments.

use anyhow::{Result, bail};
use clap::Args;
use lfr_domain::ids::DeploymentId;

use super::session::{
    block_on, fields, open, print_json, show_opt_time, show_time, signed_in, table,
};
use crate::Global;
use lfr_domain::report::show_rate as rate;

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The deployment to report on.
    pub deployment: Option<DeploymentId>,
    /// The published form: no personal data, only the figures the APP asks forces to publish.
    #[arg(long)]
    pub public: bool,
    /// The public notice of planned and running deployments.
    #[arg(long, conflicts_with_all = ["deployment", "public"])]
    pub upcoming: bool,
}

pub fn run(g: &Global, a: ReportArgs) -> Result<()> {
    block_on(async move {
        if a.upcoming {
            let store = open(g, false).await?;
            let n = store.upcoming().await?;
            if g.json {
                return print_json(&n);
            }
            let rows: Vec<Vec<String>> = n
                .iter()
                .map(|u| {
                    vec![
                        u.location.clone(),
                        u.use_case.to_string(),
                        show_time(u.starts_at),
                        show_time(u.ends_at),
                        if u.running_now {
                            "now".into()
                        } else {
                            "planned".into()
                        },
                    ]
                })
                .collect();
            table(&["location", "purpose", "from", "to", "status"], &rows);
            return Ok(());
        }
        let Some(d) = a.deployment else {
            bail!("name a deployment (e.g. `lfr report D3 --public`), or use --upcoming")
        };
        let (store, me) = signed_in(g).await?;
        if a.public {
            let r = store.public_report(&me, d).await?;
            if g.json {
                return print_json(&r);
            }
            let outcomes = r
                .policing_outcomes
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ");
            fields(&[
                ("deployment", r.deployment.clone()),
                ("location", r.location.clone()),
                ("purpose", r.use_case.to_string()),
                ("date", r.date.clone()),
                (
                    "legal basis",
                    r.force
                        .as_ref()
                        .map(|f| format!("{}: {}", f.force, f.legal_basis))
                        .unwrap_or_else(|| "not stated by the force (`lfr force set`)".into()),
                ),
                (
                    "contact",
                    r.force
                        .as_ref()
                        .map(|f| f.contact.clone())
                        .unwrap_or_else(|| "-".into()),
                ),
                ("from", show_opt_time(r.started_at)),
                ("to", show_opt_time(r.ended_at)),
                (
                    "duration",
                    r.duration_minutes
                        .map(|m| format!("{}h {:02}m", m / 60, m % 60))
                        .unwrap_or_else(|| "-".into()),
                ),
                ("assets", format!("{} ({})", r.assets, r.style)),
                (
                    "watchlist size",
                    format!(
                        "{} ({})",
                        r.watchlist_inclusions,
                        r.watchlist_categories
                            .iter()
                            .map(|(k, v)| format!("{} {v}", k.replace('_', " ")))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
                (
                    "min threshold",
                    r.minimum_threshold_authorised
                        .map(|t| t.to_string())
                        .unwrap_or_else(|| "-".into()),
                ),
                ("faces scanned", r.faces_scanned.to_string()),
                (
                    "sessions stopped without their last counts",
                    r.interrupted_sessions.to_string(),
                ),
                ("alerts", r.alerts.to_string()),
                ("of them repeats", r.repeats.to_string()),
                (
                    "true alerts",
                    format!(
                        "{} confirmed, {} unconfirmed",
                        r.positive_alerts_confirmed, r.positive_alerts_unconfirmed
                    ),
                ),
                (
                    "false alerts",
                    format!(
                        "{} confirmed, {} unconfirmed",
                        r.false_alerts_confirmed, r.false_alerts_unconfirmed
                    ),
                ),
                ("false alert rate", rate(r.false_alert_rate)),
                (
                    "true recog. rate",
                    trr(
                        r.true_recognition_rate,
                        r.true_recognition_rate_ci,
                        r.blue_passes,
                    ),
                ),
                (
                    "outcomes",
                    if outcomes.is_empty() {
                        "-".into()
                    } else {
                        outcomes
                    },
                ),
            ]);
            return Ok(());
        }
        let m = store.metrics(&me, d).await?;
        if g.json {
            return print_json(&m);
        }
        let pct = m.recognition_ms.as_ref().map(|p| {
            format!(
                "p50 {} ms, p90 {} ms, p95 {} ms, max {} ms",
                p.p50, p.p90, p.p95, p.max
            )
        });
        let outcomes = m
            .policing_outcomes
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        fields(&[
            ("deployment", format!("D{d}")),
            ("faces scanned", m.faces_scanned.to_string()),
            ("dropped frames", m.dropped_frames.to_string()),
            ("alerts", m.alerts.to_string()),
            (
                "awaiting decision",
                format!(
                    "{} pending, {} awaiting engagement",
                    m.pending, m.awaiting_engagement
                ),
            ),
            (
                "true alerts",
                format!(
                    "{} confirmed, {} unconfirmed",
                    m.true_alerts_confirmed, m.true_alerts_unconfirmed
                ),
            ),
            (
                "false alerts",
                format!(
                    "{} confirmed, {} unconfirmed",
                    m.false_alerts_confirmed, m.false_alerts_unconfirmed
                ),
            ),
            ("system FAR", rate(m.system_false_alert_rate)),
            (
                "system FAR/person",
                rate(m.system_false_alert_rate_per_person),
            ),
            ("operational FAR", rate(m.operational_false_alert_rate)),
            (
                "true recog. rate",
                trr(
                    m.true_recognition_rate,
                    m.true_recognition_rate_ci,
                    m.blue_passes,
                ),
            ),
            ("recognition time", pct.unwrap_or_else(|| "-".into())),
            (
                "outcomes",
                if outcomes.is_empty() {
                    "-".into()
                } else {
                    outcomes
                },
            ),
        ]);
        Ok(())
    })
}

/// `80.0% of 10 passes (95% interval 49.0% to 94.3%)`, or `-`.
fn trr(rate: Option<f64>, ci: Option<(f64, f64)>, passes: u64) -> String {
    match (rate, ci) {
        (Some(r), Some((lo, hi))) => format!(
            "{:.1}% of {passes} passes (95% interval {:.1}% to {:.1}%)",
            r * 100.0,
            lo * 100.0,
            hi * 100.0
        ),
        _ => "-".into(),
    }
}
