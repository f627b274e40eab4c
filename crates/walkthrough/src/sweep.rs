//! The threshold sweep the National Physical Laboratory published (TPIR
//! and FPIR by threshold, for watchlists of 1,000 and 10,000), the
//! threshold at which false alerts reach zero, and DET curves, all from
//! one run's recorded scores.
//!
//! - **TPIR** (true positive identification rate): Blue passes with a true
//!   alert over Blue passes: the True Recognition Rate.
//! - **FPIR** (false positive identification rate): public passes with a
//!   false alert over public passes.
//!
//! A watchlist no larger than the identities enrolled in the run is
//! measured exactly (the first N subjects). LFW people N-Z hold fewer than
//! 10,000 identities, so larger watchlists are **extrapolated**, as the
//! enrolled watchlist plus further identities: for each public pass, the
//! share q of the enrolled non-mated identities that reached the threshold
//! stands for the chance that any one further identity does. A pass that
//! reached an enrolled identity alerts falsely at any larger size; one that
//! reached none has q = 0 and stays clear (the coarseness is the size of
//! the run). Expected false alerts are q N per pass;
//! a Blue pass still counts as recognised when its volunteer's score
//! reaches the threshold and fewer than three (the live candidate list)
//! non-mated identities are expected above it at size N. Extrapolated rows
//! say so and carry no interval.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::record::{LIVE_CANDIDATES, Record, SubjectRole};
use crate::score::{self, Attribution, Rate};
use crate::truth::{Role, Truth};

/// 0.56, 0.58, ... 0.70.
pub fn npl_thresholds() -> Vec<f64> {
    (0..8)
        .map(|i| 0.56 + 0.02 * i as f64)
        .map(|t| (t * 100.0).round() / 100.0)
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub threshold: f64,
    pub watchlist_size: usize,
    pub extrapolated: bool,
    pub tpir: f64,
    pub tpir_ci: Option<(f64, f64)>,
    pub fpir: f64,
    pub fpir_ci: Option<(f64, f64)>,
    /// False alerts on public passes (expected, when extrapolated).
    pub false_alerts_on_public: f64,
}

/// TPIR and FPIR for every threshold and size.
pub fn sweep(
    truth: &Truth,
    record: &Record,
    at: &Attribution,
    sizes: &[usize],
    thresholds: &[f64],
) -> Vec<Row> {
    let mut rows = Vec::new();
    for &n in sizes {
        for &t in thresholds {
            rows.push(if n <= record.subjects.len() {
                let f = score::figures(truth, record, at, n, t);
                let (tp, fp) = (f.true_recognition_rate, f.false_alert_rate_by_person);
                Row {
                    threshold: t,
                    watchlist_size: n,
                    extrapolated: false,
                    tpir: tp.rate,
                    tpir_ci: Some((tp.lo, tp.hi)),
                    fpir: fp.rate,
                    fpir_ci: Some((fp.lo, fp.hi)),
                    false_alerts_on_public: f.false_alerts_on_public as f64,
                }
            } else {
                extrapolate(truth, record, at, n, t)
            });
        }
    }
    rows
}

/// Per pass, the best score each subject reached over the pass's templates.
fn best_by_pass(record: &Record, at: &Attribution) -> HashMap<u32, HashMap<u32, f64>> {
    let mut out: HashMap<u32, HashMap<u32, f64>> = HashMap::new();
    for (probe, pass) in record.probes.iter().zip(&at.probes) {
        let Some(p) = pass else { continue };
        let m = out.entry(*p).or_default();
        for &(s, score) in &probe.all {
            let e = m.entry(s).or_insert(score);
            *e = e.max(score);
        }
    }
    out
}

/// The extrapolated row for a watchlist of `n` > the identities enrolled.
pub fn extrapolate(truth: &Truth, record: &Record, at: &Attribution, n: usize, t: f64) -> Row {
    let m = record.subjects.len().max(1) as f64;
    let best = best_by_pass(record, at);
    let (mut public, mut p_sum, mut expected) = (0u64, 0.0, 0.0);
    for p in truth.passes.iter().filter(|p| p.role == Role::Public) {
        public += 1;
        let k = best
            .get(&p.id)
            .map_or(0, |m| m.values().filter(|&&s| s >= t).count()) as f64;
        // The larger watchlist holds the enrolled one: a pass that reached
        // an enrolled identity reaches it there too, and the n - m others
        // add 1 - (1 - q)^(n - m), which is 0 when q is.
        let q = k / m;
        p_sum += if k > 0.0 { 1.0 } else { 0.0 };
        expected += q * n as f64;
    }
    let subject_of: HashMap<&str, u32> = record
        .subjects
        .iter()
        .enumerate()
        .filter(|(_, s)| s.role == SubjectRole::Blue)
        .map(|(i, s)| (s.person.as_str(), i as u32))
        .collect();
    let (mut blue, mut hit) = (0u64, 0u64);
    for p in truth.passes.iter().filter(|p| p.role == Role::Blue) {
        blue += 1;
        let Some(&mated) = subject_of.get(p.person.as_str()) else {
            continue;
        };
        let recognised = record.probes.iter().zip(&at.probes).any(|(probe, pass)| {
            if *pass != Some(p.id) {
                return false;
            }
            let Some(&(_, s)) = probe.all.iter().find(|(x, _)| *x == mated) else {
                return false;
            };
            let above = probe
                .all
                .iter()
                .filter(|(x, y)| *x != mated && *y > s)
                .count() as f64;
            s >= t && above * (n as f64 - 1.0) / (m - 1.0).max(1.0) < LIVE_CANDIDATES as f64
        });
        hit += recognised as u64;
    }
    let tp = Rate::of(hit, blue);
    Row {
        threshold: t,
        watchlist_size: n,
        extrapolated: true,
        tpir: tp.rate,
        tpir_ci: Some((tp.lo, tp.hi)),
        fpir: if public == 0 {
            0.0
        } else {
            p_sum / public as f64
        },
        fpir_ci: None,
        false_alerts_on_public: expected,
    }
}

/// Where false alerts stop, for a watchlist of the first `n` subjects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZeroFalseAlerts {
    pub watchlist_size: usize,
    /// The score of the highest false alert (None: none at or above the record's floor).
    pub highest_false_score: Option<f64>,
    /// The lowest threshold on a 0.01 grid with no false alert.
    pub threshold: f64,
    /// True alerts that remain there, over Blue passes.
    pub true_recognition_rate: Rate,
}

pub fn zero_false_alerts(
    truth: &Truth,
    record: &Record,
    at: &Attribution,
    n: usize,
) -> ZeroFalseAlerts {
    // Scanned down the 0.01 grid, because whether a candidate alerts
    // depends on the threshold: a track alerts once per subject, at its
    // first template at or above it, so a later template of a track that
    // has since followed another passer is no alert while an earlier one
    // already alerted for that subject, and a later, higher template may
    // alert where an earlier one did not reach.
    let false_at = |t: f64| {
        score::alerts(truth, record, at, n, t)
            .into_iter()
            .filter(|a| !a.correct)
            .map(|a| a.score)
            .max_by(f64::total_cmp)
    };
    let floor = (record.floor * 100.0).ceil() as i64;
    let mut highest = None;
    let mut threshold = record.floor;
    for cent in (floor..=100).rev() {
        let t = cent as f64 / 100.0;
        if let Some(s) = false_at(t) {
            highest = Some(s);
            threshold = (cent + 1) as f64 / 100.0;
            break;
        }
    }
    let f = score::figures(truth, record, at, n, threshold);
    ZeroFalseAlerts {
        watchlist_size: n,
        highest_false_score: highest,
        threshold,
        true_recognition_rate: f.true_recognition_rate,
    }
}

/// One point of a DET curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DetPoint {
    pub threshold: f64,
    pub fpir: f64,
    pub fnir: f64,
}

/// FNIR against FPIR from the record's floor to 0.90, for watchlist size `n`.
pub fn det(truth: &Truth, record: &Record, at: &Attribution, n: usize) -> Vec<DetPoint> {
    let mut t = record.floor;
    let mut out = Vec::new();
    while t <= 0.9 + 1e-9 {
        let (tpir, fpir) = if n <= record.subjects.len() {
            let f = score::figures(truth, record, at, n, t);
            (
                f.true_recognition_rate.rate,
                f.false_alert_rate_by_person.rate,
            )
        } else {
            let r = extrapolate(truth, record, at, n, t);
            (r.tpir, r.fpir)
        };
        out.push(DetPoint {
            threshold: (t * 1000.0).round() / 1000.0,
            fpir,
            fnir: 1.0 - tpir,
        });
        t += 0.01;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    #[test]
    fn npl_grid() {
        assert_eq!(
            npl_thresholds(),
            [0.56, 0.58, 0.6, 0.62, 0.64, 0.66, 0.68, 0.7]
        );
    }

    #[test]
    fn measured_rows_match_the_figures_and_large_watchlists_are_extrapolated() {
        let (t, r) = (fixture::truth(), fixture::record());
        let at = score::attribute(&t, &r);
        let rows = sweep(&t, &r, &at, &[4, 100], &[0.56, 0.64, 0.70]);
        assert_eq!(rows.len(), 6);
        let row = |n: usize, th: f64| {
            rows.iter()
                .find(|x| x.watchlist_size == n && x.threshold == th)
                .unwrap()
        };
        assert_eq!((row(4, 0.56).tpir, row(4, 0.56).fpir), (1.0, 0.5));
        assert_eq!((row(4, 0.70).tpir, row(4, 0.70).fpir), (0.5, 0.0));
        assert_eq!(
            row(4, 0.64).false_alerts_on_public,
            1.0,
            "one alert per track and subject"
        );
        assert!(!row(4, 0.64).extrapolated && row(100, 0.64).extrapolated);
        // Public pass P_One reached 1 of 4 identities: at 100 it alerts almost surely.
        let x = row(100, 0.56);
        assert!((x.fpir - 0.5).abs() < 1e-6, "{}", x.fpir);
        assert!((x.false_alerts_on_public - 25.0).abs() < 1e-9);
        // B_Two's 0.58 has a stranger above it: at 100 identities it is outranked.
        assert_eq!(x.tpir, 0.5);
        assert!(x.fpir_ci.is_none());
    }

    #[test]
    fn a_watchlist_one_larger_than_the_enrolled_has_no_fewer_false_alerts() {
        let (t, r) = (fixture::truth(), fixture::record());
        let at = score::attribute(&t, &r);
        let m = r.subjects.len();
        for th in [0.56, 0.64] {
            let rows = sweep(&t, &r, &at, &[m, m + 1], &[th]);
            let (measured, beyond) = (&rows[0], &rows[1]);
            assert!(!measured.extrapolated && beyond.extrapolated);
            assert!(
                beyond.fpir >= measured.fpir,
                "at {th}: {} of public passes alert falsely with {m} identities, {} with {}",
                measured.fpir,
                beyond.fpir,
                m + 1
            );
            assert!(beyond.false_alerts_on_public >= measured.false_alerts_on_public);
        }
    }

    #[test]
    fn false_alerts_stop_above_the_highest_false_score() {
        let (t, r) = (fixture::truth(), fixture::record());
        let at = score::attribute(&t, &r);
        let z = zero_false_alerts(&t, &r, &at, 4);
        // The public pass's second template scored higher than its first alert.
        assert_eq!(z.highest_false_score, Some(0.68));
        assert_eq!(z.threshold, 0.69);
        assert_eq!(z.true_recognition_rate.k, 1);
        assert_eq!(score::figures(&t, &r, &at, 4, z.threshold).false_alerts, 0);
        // And it is the lowest such: a step lower, the false alert is back.
        assert!(score::figures(&t, &r, &at, 4, z.threshold - 0.01).false_alerts > 0);
        let d = det(&t, &r, &at, 4);
        assert!(
            d.windows(2)
                .all(|w| w[1].fpir <= w[0].fpir && w[1].fnir >= w[0].fnir)
        );
    }
}
