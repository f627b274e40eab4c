//! What a run saw, written so that every figure can be recomputed later at
//! any threshold and watchlist size without running the video again: each
//! track, each template's candidates and scores. Scores and LFW names only:
//! no templates, no face images.

use serde::{Deserialize, Serialize};

pub const RECORD_FILE: &str = "run.json";
pub const RECORD_FORMAT: &str = "lfr-walkthrough-run/2";
/// The live search's candidate list length.
pub const LIVE_CANDIDATES: usize = lfr_live::gallery::CANDIDATES;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectRole {
    /// A Blue Watchlist volunteer (passes through the scene).
    Blue,
    /// An identity that never passes: pads the watchlist to size.
    Padding,
}

/// A watchlist subject. The watchlist of size N is the first N subjects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    pub person: String,
    pub role: SubjectRole,
    pub images: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    pub frame: u32,
    pub track: u64,
    pub face: [f32; 4],
    /// Passed the quality gate.
    pub gated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackRecord {
    pub id: u64,
    pub first_frame: u32,
    pub last_frame: u32,
    /// The first frame in which it passed the gate: recognition time starts here.
    pub first_qualified: Option<u32>,
}

/// One search of a track's fused probe (made when a face of the track
/// joined its best frames), and what it gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    pub frame: u32,
    pub track: u64,
    pub face: [f32; 4],
    pub merit: f32,
    /// Frames fused into the probe.
    pub frames: u32,
    /// The live gallery's answer (watchlist of the run's size): its top
    /// candidates, `(subject, score)`, best first.
    pub live: Vec<(u32, f64)>,
    /// Every subject (Blue and the whole padding pool) scoring at least
    /// [`Record::floor`], best first, at most [`Record::kept`].
    pub all: Vec<(u32, f64)>,
}

/// A Blue pass's walk photograph described as a still and scored against
/// the volunteer's own enrolment, as the live search would score it: what
/// the descriptor does with the same two photographs before the video
/// (rendering, blur, motion, compression) and the live pipeline act on them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Still {
    pub pass: u32,
    /// `None`: no face was found in the photograph.
    pub score: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub frames: u32,
    pub frames_expected: u32,
    pub workers: usize,
    pub wall_seconds: f64,
    /// Milliseconds each frame took to analyse (detection, tracking,
    /// templates, search), in frame order.
    pub frame_ms: Vec<f32>,
    pub detections: u64,
    pub templates: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub format: String,
    /// Ties the record to the truth it was run against.
    pub frames_sha256: String,
    pub algorithm: String,
    pub calibration: String,
    /// The threshold and watchlist size the live gallery ran at.
    pub threshold: f64,
    pub watchlist_size: usize,
    pub subjects: Vec<Subject>,
    /// Blue volunteers none of whose enrolment images gave a template.
    pub blue_not_enrolled: Vec<String>,
    pub floor: f64,
    pub kept: usize,
    pub gate: lfr_live::QualityGate,
    pub tracker: lfr_live::TrackerConfig,
    pub templates_per_track: u32,
    pub better_by: f32,
    /// Milliseconds after which a track's face is described again to check
    /// its identity, and the score below which it is someone else.
    pub recheck_ms: u64,
    pub identity_break: f64,
    pub analysis: Analysis,
    pub tracks: Vec<TrackRecord>,
    pub detections: Vec<Detection>,
    pub probes: Vec<Probe>,
    /// Blue passes of enrolled volunteers as stills (absent from records
    /// made before it was measured).
    #[serde(default)]
    pub stills: Vec<Still>,
}

impl Record {
    pub fn blue_subjects(&self) -> usize {
        self.subjects
            .iter()
            .filter(|s| s.role == SubjectRole::Blue)
            .count()
    }
}
