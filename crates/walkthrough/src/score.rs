//! Scoring a run by the APP's definitions, at one threshold and one
//! watchlist size, from the record alone.
//!
//! - A template's face is **attributed** to the pass whose true face is
//!   nearest to it in that frame (centres within half a face width), or to
//!   nobody (a false detection).
//! - The live rule decides alerts: a template alerts on each of the live
//!   search's top candidates (three) scoring at or above the threshold,
//!   once per track and subject.
//! - An alert is **true** when its template is attributed to a Blue pass
//!   and the subject is that volunteer; every other alert is **false**.
//! - **True Recognition Rate**: Blue passes with at least one true alert,
//!   over all Blue passes (including those never detected).
//! - **System False Alert Rate**, by person: public passes with at least
//!   one false alert, over public passes; by face scanned: false alerts
//!   over faces scanned (tracks that passed the quality gate).
//! - **Recognition time**: from the track's first frame that passed the
//!   gate to the frame of the first true alert (video time), plus the time
//!   the pipeline took to analyse that frame.

use std::collections::HashSet;

use lfr_eval::verification::wilson95;
use serde::{Deserialize, Serialize};

use crate::record::{LIVE_CANDIDATES, Record};
use crate::truth::{Role, Truth};

/// A proportion with its Wilson 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    pub k: u64,
    pub n: u64,
    pub rate: f64,
    pub lo: f64,
    pub hi: f64,
}

impl Rate {
    pub fn of(k: u64, n: u64) -> Self {
        let (lo, hi) = wilson95(k, n);
        Self {
            k,
            n,
            rate: if n == 0 { 0.0 } else { k as f64 / n as f64 },
            lo,
            hi,
        }
    }
}

/// Which pass each template (probe) and detection shows.
#[derive(Debug, Clone)]
pub struct Attribution {
    pub probes: Vec<Option<u32>>,
    pub detections: Vec<Option<u32>>,
}

/// The pass a detected `face` belongs to: of the passes whose true face
/// box has its centre within half a face width of the detection's, the
/// nearest, unless its face is covered: the renderer draws nearer people
/// over farther ones, so a nearer face (larger between the eyes) whose box
/// overlaps the nearest one's and whose centre also lies within a quarter
/// of a face width is what the detector saw. By centres alone, a face in
/// front is handed to the person it hides.
fn attributed(truth_frame: &[(u32, [f32; 4], f32)], face: &[f32; 4]) -> Option<u32> {
    let (cx, cy) = (face[0] + face[2] / 2.0, face[1] + face[3] / 2.0);
    let apart = |b: &[f32; 4]| {
        (cx - b[0] - b[2] / 2.0).hypot(cy - b[1] - b[3] / 2.0) / b[2].max(face[2]).max(1.0)
    };
    let mut close: Vec<&(u32, [f32; 4], f32)> =
        truth_frame.iter().filter(|c| apart(&c.1) < 0.5).collect();
    close.sort_by(|a, b| apart(&a.1).total_cmp(&apart(&b.1)));
    let nearest = *close.first()?;
    let in_front = close
        .iter()
        .filter(|c| c.2 > nearest.2 && apart(&c.1) < 0.25 && iou(&c.1, &nearest.1) > 0.3)
        .max_by(|a, b| a.2.total_cmp(&b.2));
    Some(in_front.unwrap_or(&nearest).0)
}

fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let w = (a[0] + a[2]).min(b[0] + b[2]) - a[0].max(b[0]);
    let h = (a[1] + a[3]).min(b[1] + b[3]) - a[1].max(b[1]);
    let inter = w.max(0.0) * h.max(0.0);
    inter / (a[2] * a[3] + b[2] * b[3] - inter).max(1e-6)
}

pub fn attribute(truth: &Truth, record: &Record) -> Attribution {
    let mut frames: Vec<Vec<(u32, [f32; 4], f32)>> = vec![Vec::new(); truth.video.frames as usize];
    for p in &truth.passes {
        for s in &p.samples {
            if let Some(f) = frames.get_mut(s.frame as usize) {
                f.push((p.id, s.face, s.iod));
            }
        }
    }
    let at =
        |frame: u32, face: &[f32; 4]| frames.get(frame as usize).and_then(|f| attributed(f, face));
    Attribution {
        probes: record.probes.iter().map(|p| at(p.frame, &p.face)).collect(),
        detections: record
            .detections
            .iter()
            .map(|d| at(d.frame, &d.face))
            .collect(),
    }
}

/// One alert the live rule would raise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub track: u64,
    pub subject: u32,
    pub frame: u32,
    pub score: f64,
    pub pass: Option<u32>,
    pub correct: bool,
}

/// Whether `subject` is the Blue volunteer of `pass`.
pub fn is_mated(truth: &Truth, record: &Record, pass: Option<u32>, subject: u32) -> bool {
    pass.is_some_and(|p| {
        let p = &truth.passes[p as usize];
        p.role == Role::Blue && record.subjects[subject as usize].person == p.person
    })
}

/// The live search's answer for watchlist size `n`: the top candidates
/// among the first `n` subjects.
pub fn candidates(all: &[(u32, f64)], n: usize) -> impl Iterator<Item = (u32, f64)> + '_ {
    all.iter()
        .copied()
        .filter(move |(s, _)| (*s as usize) < n)
        .take(LIVE_CANDIDATES)
}

/// The alerts at threshold `t` with a watchlist of the first `n` subjects.
pub fn alerts(truth: &Truth, record: &Record, at: &Attribution, n: usize, t: f64) -> Vec<Alert> {
    let mut seen: HashSet<(u64, u32)> = HashSet::new();
    let mut out = Vec::new();
    for (probe, pass) in record.probes.iter().zip(&at.probes) {
        for (subject, score) in candidates(&probe.all, n) {
            if score < t || !seen.insert((probe.track, subject)) {
                continue;
            }
            let correct = is_mated(truth, record, *pass, subject);
            out.push(Alert {
                track: probe.track,
                subject,
                frame: probe.frame,
                score,
                pass: *pass,
                correct,
            });
        }
    }
    out
}

/// Nearest-rank percentiles of recognition times, in seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub n: usize,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    pub max: Option<f64>,
}

pub fn percentiles(mut v: Vec<f64>) -> Percentiles {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| {
        (!v.is_empty()).then(|| v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1])
    };
    Percentiles {
        n: v.len(),
        p50: at(0.5),
        p90: at(0.9),
        p95: at(0.95),
        max: v.last().copied(),
    }
}

/// The APP's figures at one threshold and watchlist size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub threshold: f64,
    pub watchlist_size: usize,
    /// Blue passes with a true alert over Blue passes.
    pub true_recognition_rate: Rate,
    /// Public passes with a false alert over public passes.
    pub false_alert_rate_by_person: Rate,
    /// False alerts over faces scanned.
    pub false_alert_rate_by_face_scanned: Rate,
    pub true_alerts: u64,
    pub false_alerts: u64,
    pub false_alerts_on_public: u64,
    /// A Blue volunteer taken for another subject.
    pub false_alerts_on_blue: u64,
    /// On a detection that matched no pass.
    pub false_alerts_on_nobody: u64,
    /// Tracks that passed the quality gate (the live definition).
    pub faces_scanned: u64,
    /// Passes with at least one detection that passed the gate.
    pub passes_scanned: u64,
    pub blue_passes_scanned: u64,
    /// Tracks past the gate whose gated faces belong to more than one pass:
    /// the tracker changed person (the later person may get no template).
    pub tracks_spanning_passes: u64,
    pub recognition_time_s: Percentiles,
}

/// Scores the run at threshold `t` for a watchlist of the first `n` subjects.
pub fn figures(truth: &Truth, record: &Record, at: &Attribution, n: usize, t: f64) -> Figures {
    figures_for(truth, record, at, n, t, &|_| true)
}

/// As [`figures`], counting only passes for which `include` holds (for
/// figures by group). Faces scanned and false alerts on nobody are whole-run
/// figures and are kept as they are.
pub fn figures_for(
    truth: &Truth,
    record: &Record,
    at: &Attribution,
    n: usize,
    t: f64,
    include: &dyn Fn(&crate::truth::Pass) -> bool,
) -> Figures {
    let alerts = alerts(truth, record, at, n, t);
    let fps = truth.video.fps as f64;
    let role = |p: u32| truth.passes[p as usize].role;
    let included = |p: u32| include(&truth.passes[p as usize]);
    let mut recognised: HashSet<u32> = HashSet::new();
    let mut falsely: HashSet<u32> = HashSet::new();
    let (mut on_public, mut on_blue, mut on_nobody, mut true_alerts) = (0, 0, 0, 0);
    let mut first_true: std::collections::HashMap<u32, &Alert> = Default::default();
    for a in &alerts {
        match (a.pass, a.correct) {
            (Some(p), true) => {
                if included(p) {
                    true_alerts += 1;
                    recognised.insert(p);
                    let e = first_true.entry(p).or_insert(a);
                    if a.frame < e.frame {
                        *e = a;
                    }
                }
            }
            (Some(p), false) => {
                if included(p) {
                    if role(p) == Role::Public {
                        on_public += 1;
                        falsely.insert(p);
                    } else {
                        on_blue += 1;
                    }
                }
            }
            (None, _) => on_nobody += 1,
        }
    }
    let qualified: std::collections::HashMap<u64, u32> = record
        .tracks
        .iter()
        .filter_map(|t| t.first_qualified.map(|f| (t.id, f)))
        .collect();
    let times: Vec<f64> = first_true
        .values()
        .map(|a| {
            let start = qualified.get(&a.track).copied().unwrap_or(a.frame);
            let compute = record
                .analysis
                .frame_ms
                .get(a.frame as usize)
                .copied()
                .unwrap_or(0.0);
            (a.frame.saturating_sub(start)) as f64 / fps + compute as f64 / 1000.0
        })
        .collect();
    let scanned: HashSet<u32> = record
        .detections
        .iter()
        .zip(&at.detections)
        .filter(|(d, _)| d.gated)
        .filter_map(|(_, p)| *p)
        .filter(|&p| included(p))
        .collect();
    let mut passes_of_track: std::collections::HashMap<u64, HashSet<u32>> = Default::default();
    for (d, p) in record.detections.iter().zip(&at.detections) {
        if let (true, Some(p)) = (d.gated, p) {
            passes_of_track.entry(d.track).or_default().insert(*p);
        }
    }
    let tracks_spanning_passes = passes_of_track.values().filter(|s| s.len() > 1).count() as u64;
    let count = |r: Role| {
        truth
            .passes
            .iter()
            .filter(|p| p.role == r && include(p))
            .count() as u64
    };
    let faces_scanned = qualified.len() as u64;
    let false_alerts = on_public + on_blue + on_nobody;
    Figures {
        threshold: t,
        watchlist_size: n,
        true_recognition_rate: Rate::of(recognised.len() as u64, count(Role::Blue)),
        false_alert_rate_by_person: Rate::of(falsely.len() as u64, count(Role::Public)),
        false_alert_rate_by_face_scanned: Rate::of(false_alerts, faces_scanned.max(false_alerts)),
        true_alerts,
        false_alerts,
        false_alerts_on_public: on_public,
        false_alerts_on_blue: on_blue,
        false_alerts_on_nobody: on_nobody,
        faces_scanned,
        passes_scanned: scanned.len() as u64,
        blue_passes_scanned: scanned.iter().filter(|&&p| role(p) == Role::Blue).count() as u64,
        tracks_spanning_passes,
        recognition_time_s: percentiles(times),
    }
}

/// Whether the live gallery's own answers agree with the alerts recomputed
/// from the recorded candidates, at the run's threshold and size: the
/// check that the sweep replays the live rule. Returns the disagreements.
pub fn live_disagreements(record: &Record) -> usize {
    record
        .probes
        .iter()
        .filter(|p| {
            let live: Vec<u32> = p
                .live
                .iter()
                .filter(|(_, s)| *s >= record.threshold)
                .map(|(s, _)| *s)
                .collect();
            let replay: Vec<u32> = candidates(&p.all, record.watchlist_size)
                .filter(|(_, s)| *s >= record.threshold)
                .map(|(s, _)| s)
                .collect();
            live != replay
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    #[test]
    fn definitions_at_the_default_threshold() {
        let (t, r) = (fixture::truth(), fixture::record());
        let at = attribute(&t, &r);
        assert_eq!(
            at.probes,
            [Some(0), Some(0), Some(1), Some(2), Some(2), Some(3), None]
        );
        let f = figures(&t, &r, &at, 4, 0.64);
        assert_eq!(
            (f.true_recognition_rate.k, f.true_recognition_rate.n),
            (1, 2)
        );
        assert_eq!(
            (
                f.false_alert_rate_by_person.k,
                f.false_alert_rate_by_person.n
            ),
            (1, 2)
        );
        assert_eq!(f.true_alerts, 1, "one alert per track and subject");
        assert_eq!((f.false_alerts, f.false_alerts_on_public), (1, 1));
        assert_eq!(f.faces_scanned, 5);
        assert_eq!(f.false_alert_rate_by_face_scanned.rate, 0.2);
        assert_eq!(f.passes_scanned, 4);
        assert_eq!(f.tracks_spanning_passes, 0);
        // First qualified at frame 0, alerted at frame 0: the frame's 100 ms.
        assert_eq!(f.recognition_time_s.p50, Some(0.1));
        assert_eq!(live_disagreements(&r), 0);
    }

    #[test]
    fn lower_thresholds_and_smaller_watchlists() {
        let (t, r) = (fixture::truth(), fixture::record());
        let at = attribute(&t, &r);
        let f = figures(&t, &r, &at, 4, 0.56);
        assert_eq!(f.true_recognition_rate.k, 2);
        assert_eq!(
            (
                f.false_alerts_on_public,
                f.false_alerts_on_blue,
                f.false_alerts_on_nobody
            ),
            (1, 1, 1)
        );
        // Blue only (the first two subjects): no padding to be confused with.
        let f = figures(&t, &r, &at, 2, 0.56);
        assert_eq!((f.true_recognition_rate.k, f.false_alerts), (2, 0));
        // Only the passes a group holds.
        let f = figures_for(&t, &r, &at, 4, 0.56, &|p| p.person.starts_with("P_"));
        assert_eq!(
            (f.true_recognition_rate.n, f.false_alert_rate_by_person.n),
            (0, 2)
        );
        let mut bad = r.clone();
        bad.probes[3].live.clear();
        assert_eq!(live_disagreements(&bad), 1);
    }

    #[test]
    fn a_face_belongs_to_the_person_in_front() {
        // A passer (pass 7, 72 px face) walks in front of another (pass 3,
        // 63 px, farther away and so drawn first). The detection's centre
        // lies nearer the hidden face's, but the face seen is the one in front.
        let frame = [
            (3, [681.0, 207.0, 54.0, 63.0], 24.0),
            (7, [676.0, 215.0, 62.0, 72.0], 28.0),
            (9, [500.0, 200.0, 60.0, 70.0], 30.0),
        ];
        let seen = [678.0, 205.0, 61.0, 78.0];
        assert_eq!(attributed(&frame, &seen), Some(7));
        // Alone, each is found; far from everyone, nobody.
        assert_eq!(attributed(&frame[..1], &seen), Some(3));
        // Side by side, a little staggered: the faces do not cover each
        // other, so the nearer centre, whoever is a step ahead.
        let abreast = [
            (1, [585.0, 234.0, 78.0, 91.0], 36.4),
            (2, [540.0, 235.0, 77.0, 91.0], 36.9),
        ];
        assert_eq!(attributed(&abreast, &[581.0, 220.0, 82.0, 107.0]), Some(1));
        assert_eq!(attributed(&abreast, &[545.0, 230.0, 80.0, 100.0]), Some(2));
        // One a fraction nearer and overlapping: that one is in front.
        let overlapping = [
            (4, [541.0, 230.0, 71.0, 82.0], 33.0),
            (5, [547.0, 231.0, 64.0, 83.0], 33.2),
        ];
        assert_eq!(
            attributed(&overlapping, &[543.0, 223.0, 67.0, 88.0]),
            Some(5)
        );
        // A nearer face overlapping the edge of the one detected does not
        // hide it: the detection is centred on the farther face.
        let edge = [
            (6, [576.0, 276.0, 109.0, 128.0], 51.0),
            (8, [624.0, 282.0, 114.0, 134.0], 53.7),
        ];
        assert_eq!(attributed(&edge, &[581.0, 256.0, 91.0, 165.0]), Some(6));
        assert_eq!(attributed(&frame, &[100.0, 100.0, 60.0, 70.0]), None);
    }

    #[test]
    fn rates_and_percentiles() {
        let r = Rate::of(0, 400);
        assert_eq!((r.rate, r.lo), (0.0, 0.0));
        assert!(r.hi > 0.009 && r.hi < 0.01, "{}", r.hi);
        let p = percentiles(vec![3.0, 1.0, 2.0, 4.0]);
        assert_eq!((p.p50, p.p90, p.max), (Some(2.0), Some(4.0), Some(4.0)));
        assert_eq!(percentiles(vec![]).p50, None);
    }
}
