//! What a session tells its subscribers, and what the analysis threads hand
//! to the recorder.

use std::time::Instant;

use lfr_base::Timestamp;
use lfr_domain::alert::Alert;
use lfr_domain::ids::{ImageId, InclusionId};
use lfr_domain::watchlist::Category;
use serde::Serialize;

use crate::figures::CameraFigures;

/// A camera's state, as the Silver Commander's dashboard shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CameraStatus {
    /// Opening the source (first time or after a failure).
    Connecting,
    /// Frames are arriving.
    Streaming,
    /// Frames arrive, but the decoder reports damaged data (it conceals and carries on).
    Degraded,
    /// No frame for the stall timeout: the decoder was stopped and will be restarted.
    Stalled,
    /// The source failed; waiting before the next attempt.
    Reconnecting,
    /// The source cannot work as configured (the file is missing, the camera
    /// refused the credentials, no such host): it is still tried, at the
    /// longest wait, but it needs a person to fix it.
    Failed,
    /// A file or folder reached its end and is not looped.
    Ended,
    /// The session stopped the camera.
    Stopped,
}

/// A change in a camera's state, with what happened in words.
#[derive(Debug, Clone, Serialize)]
pub struct CameraEvent {
    pub camera: String,
    pub at: Timestamp,
    pub status: CameraStatus,
    pub detail: String,
}

/// Whether recognition runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RecognitionState {
    Running,
    /// The deployment may not run recognition now (suspended, ended,
    /// authority lapsed): frames are discarded unanalysed.
    Paused {
        reason: String,
    },
    Stopped,
}

/// An alert committed to the store, for consoles and other systems. No
/// biometric data: the probe and candidate images are read from the store
/// by those allowed to see them.
#[derive(Debug, Clone, Serialize)]
pub struct RaisedAlert {
    pub alert: Alert,
    pub category: Category,
    pub location: String,
    /// The track within the camera (one person's passage).
    pub track: u64,
}

/// Everything a subscriber hears.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEvent {
    /// Boxed: an alert is much larger than the other events.
    Alert(Box<RaisedAlert>),
    /// A match that was the same encounter as another camera's fresh
    /// alert: recorded on that alert (`Store::raise_alert`), not raised.
    SeenAgain {
        alert: Box<lfr_domain::alert::Alert>,
        camera: String,
    },
    /// A match the store refused to record as an alert (for example the
    /// authority lapsed between the match and the write).
    AlertRefused {
        camera: String,
        reason: String,
    },
    Camera(CameraEvent),
    Figures(Vec<CameraFigures>),
    Recognition(RecognitionState),
}

/// A face that reached the threshold: what the analysis hands to the
/// recorder. Holds the probe crop (personal data of a person who did cause
/// an alert, which the store keeps sealed under the deployment's key).
pub struct Match {
    pub camera: String,
    pub track: u64,
    pub inclusion: InclusionId,
    pub image: ImageId,
    pub category: Category,
    pub score: f64,
    pub threshold: f64,
    /// The first frame of the track that passed the quality gate arrived then.
    pub first_qualified: Instant,
    /// The match was decided then.
    pub decided: Instant,
    /// The frame that matched arrived from the decoder then (recognition
    /// time less this part is time spent waiting for a good enough face).
    pub frame_captured: Instant,
    /// Which of the track's templates matched (1: the first face that
    /// passed the gate).
    pub template: u32,
    /// The face with its surroundings, JPEG.
    pub probe: Vec<u8>,
}

impl std::fmt::Debug for Match {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Match")
            .field("camera", &self.camera)
            .field("track", &self.track)
            .field("inclusion", &self.inclusion)
            .field("score", &self.score)
            .field("probe_bytes", &self.probe.len())
            .finish()
    }
}
