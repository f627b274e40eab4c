//! What is published. The types here have no field that could hold a name
//! or an image: the public report is built from the deployment's public
//! facts and its figures, never from subject data.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::deployment::{Deployment, DeploymentState, DeploymentStyle, UseCase};
use crate::metrics::Metrics;

/// The post-deployment report a force publishes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicReport {
    pub deployment: String,
    pub location: String,
    pub use_case: UseCase,
    pub date: String,
    pub started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub duration_minutes: Option<i64>,
    pub assets: u32,
    pub style: DeploymentStyle,
    /// Watchlist size, counted as inclusions.
    pub watchlist_inclusions: u64,
    /// The same, by watchlist category (counts only).
    #[serde(default)]
    pub watchlist_categories: BTreeMap<String, u64>,
    pub minimum_threshold_authorised: Option<f64>,
    pub faces_scanned: u64,
    pub alerts: u64,
    pub positive_alerts_confirmed: u64,
    pub positive_alerts_unconfirmed: u64,
    pub false_alerts_confirmed: u64,
    pub false_alerts_unconfirmed: u64,
    /// System False Alert Rate: false alerts over faces scanned.
    pub false_alert_rate: Option<f64>,
    /// Blue Watchlist passes through the Zone of Recognition, and the share
    /// of them that raised an alert, with its 95 % Wilson interval.
    #[serde(default)]
    pub blue_passes: u64,
    #[serde(default)]
    pub true_recognition_rate: Option<f64>,
    #[serde(default)]
    pub true_recognition_rate_ci: Option<(f64, f64)>,
    pub policing_outcomes: BTreeMap<String, u64>,
    /// Alerts the operator recognised as the same person as an earlier
    /// alert already dealt with; each is counted as that alert was.
    #[serde(default)]
    pub repeats: u64,
    /// Recognition sessions that stopped without writing their last counts
    /// ([`crate::metrics::Metrics::interrupted_sessions`]).
    #[serde(default)]
    pub interrupted_sessions: u64,
    /// The audit log's signed head when the report was made (`SEQ:HEAD:MAC`):
    /// anyone holding the report can later have the log checked against it
    /// (`lfr audit verify --checkpoint`), which catches rewriting and cutting.
    #[serde(default)]
    pub audit_checkpoint: Option<String>,
    /// The force's legal basis and public contact, as stated when the
    /// report was made (required to publish it).
    #[serde(default)]
    pub force: Option<crate::force::ForceNotice>,
}

impl PublicReport {
    /// The report of `d`, its standard watchlists' inclusions counted by
    /// category; the force's notice is added by whoever produces it.
    pub fn new(
        d: &Deployment,
        categories: BTreeMap<String, u64>,
        m: &Metrics,
        now: Timestamp,
    ) -> Self {
        let start = d.started_at;
        let end = d.effective_end(now);
        Self {
            deployment: format!("D{}", d.id),
            location: d.application.location.clone(),
            use_case: d.application.use_case,
            date: start
                .unwrap_or(d.application.starts_at)
                .strftime("%Y-%m-%d")
                .to_string(),
            started_at: start,
            ended_at: end,
            duration_minutes: match (start, end) {
                (Some(s), Some(e)) => Some(e.duration_since(s).as_secs() / 60),
                _ => None,
            },
            assets: d.application.assets,
            style: d.application.style,
            watchlist_inclusions: categories.values().sum(),
            watchlist_categories: categories,
            minimum_threshold_authorised: d.authority.as_ref().map(|a| a.minimum_threshold),
            faces_scanned: m.faces_scanned,
            alerts: m.alerts,
            positive_alerts_confirmed: m.true_alerts_confirmed,
            positive_alerts_unconfirmed: m.true_alerts_unconfirmed,
            false_alerts_confirmed: m.false_alerts_confirmed,
            false_alerts_unconfirmed: m.false_alerts_unconfirmed,
            false_alert_rate: m.system_false_alert_rate,
            blue_passes: m.blue_passes,
            true_recognition_rate: m.true_recognition_rate,
            true_recognition_rate_ci: m.true_recognition_rate_ci,
            policing_outcomes: m.policing_outcomes.clone(),
            repeats: m.repeats,
            interrupted_sessions: m.interrupted_sessions,
            audit_checkpoint: None,
            force: None,
        }
    }
}

/// Advance notice to the public of a planned or running deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpcomingNotice {
    pub deployment: String,
    pub location: String,
    pub use_case: UseCase,
    pub style: DeploymentStyle,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub running_now: bool,
}

impl UpcomingNotice {
    /// Authorised deployments that have not ended, soonest first.
    pub fn list(deployments: &[Deployment], now: Timestamp) -> Vec<Self> {
        let mut v: Vec<Self> = deployments
            .iter()
            .filter(|d| {
                matches!(
                    d.state,
                    DeploymentState::Authorised
                        | DeploymentState::Active
                        | DeploymentState::Suspended
                ) && d.application.ends_at > now
            })
            .map(|d| Self {
                deployment: format!("D{}", d.id),
                location: d.application.location.clone(),
                use_case: d.application.use_case,
                style: d.application.style,
                starts_at: d.application.starts_at,
                ends_at: d.application.ends_at,
                running_now: d.state == DeploymentState::Active,
            })
            .collect();
        v.sort_by_key(|n| n.starts_at);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deployment::{Application, DeploymentState};
    use crate::ids::{DeploymentId, UserId};

    fn d(id: i64, state: DeploymentState, starts: &str, ends: &str) -> Deployment {
        Deployment {
            id: DeploymentId(id),
            application: Application {
                location: format!("Place {id}"),
                use_case: UseCase::Proactive,
                style: DeploymentStyle::Wired,
                assets: 1,
                starts_at: starts.parse().unwrap(),
                ends_at: ends.parse().unwrap(),
                legitimate_aim: "a".into(),
                legal_basis: "b".into(),
                necessity: "c".into(),
                proportionality: "d".into(),
                safeguards: "e".into(),
                alternatives_considered: "f".into(),
                watchlist_composition: "g".into(),
                resources: "h".into(),
                threshold_requested: 0.64,
                threshold_reason: None,
                review_interval_minutes: 60,
            },
            applied_by: UserId(1),
            applied_at: "2026-11-01T00:00:00Z".parse().unwrap(),
            state,
            authority: None,
            started_at: None,
            ended_at: None,
            last_review_at: None,
            record_submitted_at: None,
            recognition: Default::default(),
        }
    }

    #[test]
    fn the_public_notice_lists_authorised_deployments_yet_to_end_soonest_first() {
        let now: Timestamp = "2026-11-22T12:00:00Z".parse().unwrap();
        let all = [
            d(
                1,
                DeploymentState::Authorised,
                "2026-11-25T09:00:00Z",
                "2026-11-25T17:00:00Z",
            ),
            d(
                2,
                DeploymentState::Active,
                "2026-11-22T09:00:00Z",
                "2026-11-22T17:00:00Z",
            ),
            d(
                3,
                DeploymentState::Applied,
                "2026-11-23T09:00:00Z",
                "2026-11-23T17:00:00Z",
            ),
            d(
                4,
                DeploymentState::Concluded,
                "2026-11-20T09:00:00Z",
                "2026-11-20T17:00:00Z",
            ),
            d(
                5,
                DeploymentState::Authorised,
                "2026-11-21T09:00:00Z",
                "2026-11-21T17:00:00Z",
            ),
        ];
        let n = UpcomingNotice::list(&all, now);
        let ids: Vec<&str> = n.iter().map(|x| x.deployment.as_str()).collect();
        assert_eq!(
            ids,
            ["D2", "D1"],
            "not yet authorised, ended and past ones are left out"
        );
        assert!(n[0].running_now && !n[1].running_now);
    }
}

/// A rate as people read it: a percentage to at most two decimals, with
/// "1 in N" beside it (`0.01% (1 in 8,130)`), `<0.01%` below that, `0`
/// when nothing happened and `-` when there was nothing to divide by.
pub fn show_rate(r: Option<f64>) -> String {
    match r {
        None => "-".into(),
        Some(r) if r <= 0.0 => "0".into(),
        Some(r) => {
            let pct = r * 100.0;
            let pct = if pct < 0.005 {
                "<0.01%".to_string()
            } else {
                let s = format!("{pct:.2}");
                format!("{}%", s.trim_end_matches('0').trim_end_matches('.'))
            };
            format!("{pct} (1 in {})", thousands((1.0 / r).round() as u64))
        }
    }
}

/// 8130 as "8,130".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod rate_tests {
    use super::show_rate;

    #[test]
    fn rates_read_to_two_decimals_with_one_in_n() {
        assert_eq!(show_rate(None), "-");
        assert_eq!(show_rate(Some(0.0)), "0");
        assert_eq!(show_rate(Some(1.0 / 30.0)), "3.33% (1 in 30)");
        assert_eq!(show_rate(Some(1.0 / 8130.0)), "0.01% (1 in 8,130)");
        assert_eq!(show_rate(Some(1e-6)), "<0.01% (1 in 1,000,000)");
        assert_eq!(show_rate(Some(0.5)), "50% (1 in 2)");
    }
}
