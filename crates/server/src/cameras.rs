//! What the server needs to know about the cameras of the live pipeline:
//! their names and their running figures. The pipeline (crates/live) is
//! behind this trait so that the server can run, and be tested, without
//! cameras, and so the console never reaches into the pipeline's insides.

use std::sync::Mutex;

use lfr_base::Timestamp;
use lfr_domain::ids::DeploymentId;
use serde::{Deserialize, Serialize};

/// A camera that has delivered no picture for this long is raised as an
/// alarm in front of the operator: an empty queue must not hide a dead camera.
pub const SILENCE_ALARM_SECS: i64 = 30;

/// One camera's state and figures since the server started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraStatus {
    pub deployment: DeploymentId,
    pub name: String,
    pub location: String,
    /// The pipeline's word: `connecting`, `streaming`, `degraded`, `stalled`,
    /// `reconnecting`, `ended` or `stopped` (see `lfr_live::CameraStatus`).
    pub state: String,
    pub frames_analysed: u64,
    pub faces_scanned: u64,
    /// Frames the pipeline dropped on purpose because it could not keep up.
    pub dropped_frames: u64,
    /// Of those faces and frames, how many the pipeline has not yet written
    /// to the deployment's record (it writes once a minute); the dashboard's
    /// totals add them.
    pub unrecorded_faces: u64,
    pub unrecorded_dropped: u64,
    /// What last happened to the stream, in words (a reconnection, an end, damaged data).
    pub detail: Option<String>,
    /// When the camera last delivered a picture; `None` before the first.
    #[serde(default)]
    pub last_frame_at: Option<Timestamp>,
    /// When the camera entered its present state, if known.
    #[serde(default)]
    pub state_since: Option<Timestamp>,
}

impl CameraStatus {
    /// A camera of `deployment` in `state`, with nothing counted yet.
    pub fn new(deployment: DeploymentId, name: &str, state: &str) -> Self {
        Self {
            deployment,
            name: name.into(),
            location: String::new(),
            state: state.into(),
            frames_analysed: 0,
            faces_scanned: 0,
            dropped_frames: 0,
            unrecorded_faces: 0,
            unrecorded_dropped: 0,
            detail: None,
            last_frame_at: None,
            state_since: None,
        }
    }

    /// Why the operator must look at this camera now, if they must: it
    /// failed (and needs a person), it is stalled or reconnecting, it has
    /// been connecting, or has sent no picture, for [`SILENCE_ALARM_SECS`].
    /// `None` for a healthy, ended or stopped camera.
    pub fn alarm(&self, now: Timestamp) -> Option<String> {
        let detail = self.detail.as_deref().unwrap_or("");
        let silent = self.last_frame_at.map(|t| now.duration_since(t).as_secs());
        match self.state.as_str() {
            "ended" | "stopped" => None,
            "failed" => Some(format!("failed: {detail}")),
            "connecting" => {
                let since = self.state_since.map(|t| now.duration_since(t).as_secs())?;
                (since >= SILENCE_ALARM_SECS).then(|| {
                    format!("connecting for {since} s, no picture yet: {detail}")
                        .trim_end_matches(": ")
                        .to_string()
                })
            }
            "stalled" | "reconnecting" => Some(match silent {
                Some(s) => format!("{}, no picture for {s} s: {detail}", self.state),
                None => format!("{}: {detail}", self.state),
            }),
            _ => match silent {
                Some(s) if s >= SILENCE_ALARM_SECS => Some(format!("no picture for {s} s")),
                _ => None,
            },
        }
    }
}

/// A camera's live view: its latest analysed frame, coarse, with the faces
/// not alerted on blurred (made by the pipeline; `lfr_live::view`).
#[derive(Clone)]
pub struct CameraView {
    pub jpeg: std::sync::Arc<Vec<u8>>,
    /// How old the frame it shows is.
    pub age: std::time::Duration,
}

/// The live pipeline as the server sees it.
pub trait Cameras: Send + Sync {
    fn cameras(&self) -> Vec<CameraStatus>;

    /// The live view of a camera this process runs; `None` when it runs
    /// elsewhere or has analysed no frame since the first look.
    fn view(&self, _d: DeploymentId, _camera: &str) -> Option<CameraView> {
        None
    }
}

/// A server with no cameras attached (e.g. a console for oversight only).
pub struct NoCameras;

impl Cameras for NoCameras {
    fn cameras(&self) -> Vec<CameraStatus> {
        Vec::new()
    }
}

/// Figures pushed in by whoever runs the cameras.
#[derive(Default)]
pub struct ReportedCameras {
    list: Mutex<Vec<CameraStatus>>,
}

impl ReportedCameras {
    /// Replaces the entry for the same deployment and camera name, or adds it.
    pub fn report(&self, s: CameraStatus) {
        let mut l = self.list.lock().unwrap_or_else(|e| e.into_inner());
        match l
            .iter_mut()
            .find(|c| c.deployment == s.deployment && c.name == s.name)
        {
            Some(c) => *c = s,
            None => l.push(s),
        }
    }
}

impl ReportedCameras {
    /// Reports figures; true when anything shown changed. Keeps the last
    /// detail when the report has none.
    pub fn report_if_changed(&self, mut s: CameraStatus) -> bool {
        let mut l = self.list.lock().unwrap_or_else(|e| e.into_inner());
        match l
            .iter_mut()
            .find(|c| c.deployment == s.deployment && c.name == s.name)
        {
            Some(c) => {
                if s.detail.is_none() {
                    s.detail = c.detail.clone();
                }
                // The state's start stays that of its first report.
                if s.state == c.state {
                    s.state_since = c.state_since.or(s.state_since);
                }
                let changed = *c != s;
                *c = s;
                changed
            }
            None => {
                l.push(s);
                true
            }
        }
    }

    /// Records a change of a camera's state at `at`, with what happened.
    pub fn note(
        &self,
        d: DeploymentId,
        name: &str,
        state: &str,
        detail: Option<String>,
        at: Timestamp,
    ) {
        let mut l = self.list.lock().unwrap_or_else(|e| e.into_inner());
        match l.iter_mut().find(|c| c.deployment == d && c.name == name) {
            Some(c) => {
                if c.state != state || c.state_since.is_none() {
                    c.state_since = Some(at);
                }
                c.state = state.into();
                c.detail = detail;
            }
            None => l.push(CameraStatus {
                detail,
                state_since: Some(at),
                ..CameraStatus::new(d, name, state)
            }),
        }
    }
}

impl Cameras for ReportedCameras {
    fn cameras(&self) -> Vec<CameraStatus> {
        self.list.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
