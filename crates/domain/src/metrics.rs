//! The figures of a deployment, as the APP and forces' published reports
//! define them.
//!
//! Definitions followed (College of Policing, LFR APP,
//! <https://www.college.police.uk/app/live-facial-recognition>, and the
//! terms forces publish with it, e.g. South Wales Police, "Live Facial
//! Recognition technology: terms and definitions"):
//! - a *true alert* is one where the probe image is the candidate; it is
//!   *confirmed* when engagement shows the person is the person on the
//!   watchlist. A *false alert* is one the operator judges not to be the
//!   candidate without engaging, or one engagement shows to be someone else
//!   (*confirmed false alert*).
//! - the *System False Alert Rate* is false alerts (confirmed or not) over
//!   faces scanned, the measure of the technology; where a footfall count of
//!   people passing is known it is also given per person.
//! - the *Operational False Alert Rate* counts only false alerts confirmed
//!   by engagement, over faces scanned: how often a member of the public
//!   was approached in error.
//! - the *True Recognition Rate* is the share of Blue Watchlist passes
//!   through the Zone of Recognition that raised a correct alert.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::alert::{Alert, AlertClass};

/// Counts the pipeline reports beside the alerts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub faces_scanned: u64,
    pub dropped_frames: u64,
    /// From a footfall counter, where the deployment had one.
    pub people_passing: Option<u64>,
    pub blue_passes: u64,
    pub blue_passes_alerted: u64,
}

/// Recognition time percentiles in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Percentiles {
    pub p50: u32,
    pub p90: u32,
    pub p95: u32,
    pub max: u32,
}

/// A deployment's figures. Computed from alert classes and counts only,
/// so they survive the purge of personal data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub faces_scanned: u64,
    pub dropped_frames: u64,
    pub alerts: u64,
    pub pending: u64,
    pub awaiting_engagement: u64,
    pub true_alerts_confirmed: u64,
    pub true_alerts_unconfirmed: u64,
    pub false_alerts_confirmed: u64,
    pub false_alerts_unconfirmed: u64,
    pub system_false_alert_rate: Option<f64>,
    pub system_false_alert_rate_per_person: Option<f64>,
    pub operational_false_alert_rate: Option<f64>,
    pub true_recognition_rate: Option<f64>,
    /// 95 % Wilson interval of the True Recognition Rate: with the few
    /// passes a deployment has, the rate alone says little.
    #[serde(default)]
    pub true_recognition_rate_ci: Option<(f64, f64)>,
    pub blue_passes: u64,
    #[serde(default)]
    pub blue_passes_recognised: u64,
    /// Alerts adjudicated as repeats of an earlier one; each is also
    /// counted under the class of the alert it repeats.
    #[serde(default)]
    pub repeats: u64,
    /// Of an ended deployment, the recognition sessions that stopped
    /// without writing their last counts (a crash or a kill): each may miss
    /// up to one counts interval (5 s) of faces scanned and dropped frames.
    /// While it runs, an open session cannot be told from an interrupted
    /// one, so this stays 0.
    #[serde(default)]
    pub interrupted_sessions: u64,
    pub recognition_ms: Option<Percentiles>,
    pub policing_outcomes: BTreeMap<String, u64>,
}

/// A Wilson score interval (95 %) for `k` successes in `n` trials; `(0, 1)`
/// when there were none. Used for every rate measured on few trials.
pub fn wilson95(k: u64, n: u64) -> (f64, f64) {
    wilson95_of(k as f64, n)
}

/// As [`wilson95`] for a success count that may be fractional: `x` is the
/// sum over `n` units of each unit's share of successes (a pair of people
/// of whose comparisons a tenth matched counts 0.1). Each share lies in
/// [0, 1], so its variance is at most a Bernoulli trial's of the same mean
/// and the interval is, if anything, wide.
pub fn wilson95_of(x: f64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let z = 1.959964;
    let (n, p) = (n as f64, (x / n as f64).clamp(0.0, 1.0));
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * ((p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt()) / denom;
    // The bounds are exact at the ends: no successes cannot have a lower
    // bound above zero, however the arithmetic rounds.
    let lo = if x <= 0.0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let hi = if x >= n {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    (lo, hi)
}

fn ratio(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[u32], p: f64) -> u32 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

impl Metrics {
    /// Adds faces and dropped frames counted by the cameras but not yet in
    /// the record (the pipeline writes its counts once a minute), so that
    /// live totals agree with the cameras' own figures. The rates over faces
    /// follow.
    pub fn add_unrecorded(&mut self, faces: u64, dropped: u64) {
        self.faces_scanned += faces;
        self.dropped_frames += dropped;
        self.rates_over_faces();
    }

    /// The System and Operational False Alert Rates: false alerts over faces scanned.
    fn rates_over_faces(&mut self) {
        let false_alerts = self.false_alerts_confirmed + self.false_alerts_unconfirmed;
        self.system_false_alert_rate = ratio(false_alerts, self.faces_scanned);
        self.operational_false_alert_rate = ratio(self.false_alerts_confirmed, self.faces_scanned);
    }

    pub fn compute(alerts: &[Alert], counts: &Counts) -> Self {
        let mut m = Metrics {
            faces_scanned: counts.faces_scanned,
            dropped_frames: counts.dropped_frames,
            alerts: alerts.len() as u64,
            blue_passes: counts.blue_passes,
            blue_passes_recognised: counts.blue_passes_alerted,
            ..Default::default()
        };
        // A repeat counts as the alert it repeats.
        let classes: std::collections::HashMap<_, _> =
            alerts.iter().map(|a| (a.id, a.class())).collect();
        for a in alerts {
            let mut class = a.class();
            if class == AlertClass::Repeat {
                m.repeats += 1;
                class = a
                    .repeat_of
                    .and_then(|o| classes.get(&o).copied())
                    .filter(|c| c.is_dealt_with())
                    .unwrap_or(AlertClass::Pending);
            }
            match class {
                AlertClass::Pending => m.pending += 1,
                AlertClass::AwaitingEngagement => m.awaiting_engagement += 1,
                AlertClass::TrueConfirmed => m.true_alerts_confirmed += 1,
                AlertClass::TrueUnconfirmed => m.true_alerts_unconfirmed += 1,
                AlertClass::FalseConfirmed => m.false_alerts_confirmed += 1,
                AlertClass::FalseUnconfirmed => m.false_alerts_unconfirmed += 1,
                AlertClass::Repeat => unreachable!("resolved above"),
            }
            if let Some(o) = &a.policing_outcome {
                *m.policing_outcomes
                    .entry(o.value.as_str().to_string())
                    .or_default() += 1;
            }
        }
        m.rates_over_faces();
        let false_alerts = m.false_alerts_confirmed + m.false_alerts_unconfirmed;
        m.system_false_alert_rate_per_person =
            counts.people_passing.and_then(|p| ratio(false_alerts, p));
        m.true_recognition_rate = ratio(counts.blue_passes_alerted, counts.blue_passes);
        m.true_recognition_rate_ci = (counts.blue_passes > 0)
            .then(|| wilson95(counts.blue_passes_alerted, counts.blue_passes));
        let mut times: Vec<u32> = alerts.iter().map(|a| a.recognition_ms).collect();
        times.sort_unstable();
        if !times.is_empty() {
            m.recognition_ms = Some(Percentiles {
                p50: percentile(&times, 50.0),
                p90: percentile(&times, 90.0),
                p95: percentile(&times, 95.0),
                max: *times.last().unwrap_or(&0),
            });
        }
        m
    }
}
