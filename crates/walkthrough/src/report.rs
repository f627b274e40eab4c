//! The report of a run: every figure in one JSON document, from which the
//! HTML page is drawn.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::equity::{self, AttributeReport, Labels};
use crate::record::Record;
use crate::score::{self, Figures};
use crate::sweep::{self, DetPoint, Row, ZeroFalseAlerts};
use crate::tail::{self, TailRow};
use crate::truth::{Crowd, Effect, Role, Truth};

pub const REPORT_FORMAT: &str = "lfr-walkthrough-report/2";
pub const REPORT_JSON: &str = "report.json";
pub const REPORT_HTML: &str = "report.html";
/// The watchlist sizes of the NPL's table.
pub const NPL_SIZES: [usize; 2] = [1_000, 10_000];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Speed {
    pub frames: u32,
    pub frames_in_video: u32,
    /// Every frame is analysed (the run is not paced in real time), so
    /// none is dropped; a frame the decoder never delivered is counted here.
    pub dropped_frames: u32,
    pub workers: usize,
    pub wall_seconds: f64,
    pub frame_ms_mean: f64,
    pub frame_ms_p95: f64,
    /// Frames analysed per second of wall time.
    pub fps: f64,
    pub detections: u64,
    pub templates: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    pub watchlist_size: usize,
    pub extrapolated: bool,
    pub points: Vec<DetPoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub format: String,
    pub seed: u64,
    pub passes: usize,
    pub blue_passes: usize,
    pub public_passes: usize,
    pub crowd: Crowd,
    pub video_seconds: f64,
    pub algorithm: String,
    pub identities_enrolled: usize,
    pub blue_not_enrolled: Vec<String>,
    /// At the run's threshold and watchlist size.
    pub figures: Figures,
    /// Templates whose live gallery answer differed from the replay (0 expected).
    pub live_replay_disagreements: usize,
    pub speed: Speed,
    pub sweep: Vec<Row>,
    pub zero_false_alerts: ZeroFalseAlerts,
    pub det: Vec<Curve>,
    /// The false match rate measured on the video's tracks at a few
    /// scores, against the rate each score stands for.
    pub track_calibration: Vec<TailRow>,
    pub equitability: Option<Vec<AttributeReport>>,
    /// The Blue passes as still photographs ([`crate::record::Still`]),
    /// at the run's threshold; absent for records made before it.
    #[serde(default)]
    pub stills: Option<Stills>,
    /// The effects the build left out (`--without`): empty for a
    /// walk-through whose figures stand for the full simulation.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub without: BTreeSet<Effect>,
    pub notes: Vec<String>,
}

/// What a report of a build made `--without` effects must say wherever its
/// figures are shown, so that a diagnostic build never passes for a
/// walk-through.
pub fn diagnostic_note(without: &BTreeSet<Effect>) -> Option<String> {
    if without.is_empty() {
        return None;
    }
    let left: Vec<&str> = without.iter().map(|e| e.as_str()).collect();
    Some(format!(
        "Built without {} (`--without`): a diagnostic walk-through, to see what those effects cost; its figures do not stand for the full simulation.",
        left.join(", ")
    ))
}

/// How many Blue passes' walk photographs, as stills, reach the threshold
/// against the volunteer's enrolment: the True Recognition Rate the
/// descriptor would give without the video. The difference from the True
/// Recognition Rate is what the video and the live pipeline cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stills {
    pub threshold: f64,
    /// Of the passes of enrolled volunteers whose photograph held a face.
    pub reach: score::Rate,
    /// Passes whose photograph gave no face.
    pub no_face: usize,
}

fn stills(record: &Record) -> Option<Stills> {
    if record.stills.is_empty() {
        return None;
    }
    let scored: Vec<f64> = record.stills.iter().filter_map(|s| s.score).collect();
    let reach = scored.iter().filter(|&&s| s >= record.threshold).count();
    Some(Stills {
        threshold: record.threshold,
        reach: score::Rate::of(reach as u64, scored.len() as u64),
        no_face: record.stills.len() - scored.len(),
    })
}

fn speed(record: &Record) -> Speed {
    let a = &record.analysis;
    let mut ms: Vec<f64> = a.frame_ms.iter().map(|&x| x as f64).collect();
    ms.sort_by(f64::total_cmp);
    let mean = ms.iter().sum::<f64>() / ms.len().max(1) as f64;
    let p95 = ms
        .get(((ms.len() as f64 * 0.95).ceil() as usize).saturating_sub(1))
        .copied()
        .unwrap_or(0.0);
    Speed {
        frames: a.frames,
        frames_in_video: a.frames_expected,
        dropped_frames: a.frames_expected.saturating_sub(a.frames),
        workers: a.workers,
        wall_seconds: a.wall_seconds,
        frame_ms_mean: mean,
        frame_ms_p95: p95,
        fps: a.frames as f64 / a.wall_seconds.max(1e-9),
        detections: a.detections,
        templates: a.templates,
    }
}

pub fn report(truth: &Truth, record: &Record, labels: Option<&Labels>) -> Report {
    let at = score::attribute(truth, record);
    let n = record.watchlist_size;
    let thresholds = sweep::npl_thresholds();
    let mut sizes: Vec<usize> = vec![n];
    sizes.extend(NPL_SIZES.iter().copied().filter(|&s| s != n));
    let sweep_rows = sweep::sweep(truth, record, &at, &sizes, &thresholds);
    let det = sizes
        .iter()
        .map(|&s| Curve {
            watchlist_size: s,
            extrapolated: s > record.subjects.len(),
            points: sweep::det(truth, record, &at, s),
        })
        .collect();
    let mut notes = vec![
        format!(
            "Watchlists larger than the {} identities enrolled are extrapolated from the share of enrolled identities each pass reached (see docs/evaluation.md).",
            record.subjects.len()
        ),
        "The video is a simulation: head turns, blur, lighting and occlusion are image transforms of LFW photographs, not footage of people walking.".into(),
    ];
    notes.extend(diagnostic_note(&truth.requested.without));
    if truth.video.frames_sha256 != record.frames_sha256 {
        notes
            .push("The run record was made against a different build of this walk-through.".into());
    }
    Report {
        format: REPORT_FORMAT.into(),
        seed: truth.seed,
        passes: truth.passes.len(),
        blue_passes: truth.blue_passes(),
        public_passes: truth
            .passes
            .iter()
            .filter(|p| p.role == Role::Public)
            .count(),
        crowd: truth.crowd.clone(),
        video_seconds: truth.video.frames as f64 / truth.video.fps as f64,
        algorithm: record.algorithm.clone(),
        identities_enrolled: record.subjects.len(),
        blue_not_enrolled: record.blue_not_enrolled.clone(),
        figures: score::figures(truth, record, &at, n, record.threshold),
        live_replay_disagreements: score::live_disagreements(record),
        speed: speed(record),
        sweep: sweep_rows,
        zero_false_alerts: sweep::zero_false_alerts(truth, record, &at, n),
        det,
        track_calibration: tail::tail(truth, record, &at),
        equitability: labels.map(|l| equity::by_group(truth, record, &at, l, n, &thresholds)),
        stills: stills(record),
        without: truth.requested.without.clone(),
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    #[test]
    fn stills_count_the_photographs_that_reach_the_threshold() {
        let mut r = fixture::record();
        let s = stills(&r).expect("measured");
        assert_eq!((s.reach.k, s.reach.n, s.no_face), (1, 2, 1));
        r.threshold = 0.5;
        assert_eq!(stills(&r).unwrap().reach.k, 2);
        r.stills.clear();
        assert_eq!(stills(&r), None, "records made before it say nothing");
    }

    #[test]
    fn a_build_without_effects_says_so() {
        let (mut truth, record) = (fixture::truth(), fixture::record());
        let full = report(&truth, &record, None);
        assert!(full.without.is_empty());
        assert!(!full.notes.iter().any(|n| n.contains("diagnostic")));
        truth.requested.without = [Effect::MotionBlur].into();
        let r = report(&truth, &record, None);
        assert_eq!(r.without, [Effect::MotionBlur].into());
        let note = diagnostic_note(&r.without).expect("noted");
        assert!(note.starts_with("Built without motion_blur"), "{note}");
        assert!(r.notes.contains(&note), "{:?}", r.notes);
        // Reports written before the field read as full builds.
        let mut json: serde_json::Value = serde_json::to_value(&full).unwrap();
        json.as_object_mut().unwrap().remove("without");
        let old: Report = serde_json::from_value(json).unwrap();
        assert!(old.without.is_empty());
    }
}
