//! What the server needs to know about the cameras of the live pipeline:
//! their names and their running figures. The pipeline (crates/live) is
//! behind this trait so that the server can run, and be tested, without
//! cameras, and so the console never reaches into the pipeline's insides.

use std::sync::Mutex;

use lfr_domain::ids::DeploymentId;
use serde::Serialize;

/// One camera's state and figures since the server started.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CameraStatus {
    pub deployment: DeploymentId,
    pub name: String,
    pub location: String,
    /// `running`, `reconnecting`, `stopped`, `failed`, ...: the pipeline's word.
    pub state: String,
    pub frames_analysed: u64,
    pub faces_scanned: u64,
    /// Frames the pipeline dropped on purpose because it could not keep up.
    pub dropped_frames: u64,
    /// The last problem with the stream, in words, if any.
    pub last_error: Option<String>,
}

/// The live pipeline as the server sees it.
pub trait Cameras: Send + Sync {
    fn cameras(&self) -> Vec<CameraStatus>;
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

impl Cameras for ReportedCameras {
    fn cameras(&self) -> Vec<CameraStatus> {
        self.list.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
