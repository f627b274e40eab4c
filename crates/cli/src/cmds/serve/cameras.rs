//! The wiring between the live cameras (`lfr_live::Supervisor`) and the
//! console's event bus: deployment changes in, alerts and camera figures out.

use std::sync::Arc;

use lfr_domain::ids::DeploymentId;
use lfr_live::{LiveEvent, News, RecognitionState, Supervision};
use lfr_server::cameras::ReportedCameras;
use lfr_server::{CameraStatus, Event, Hub};
use lfr_store::Store;
use tokio::sync::broadcast::{self, error::RecvError};

/// The console's event bus, as news of one deployment.
pub struct HubNews {
    pub deployment: DeploymentId,
    pub events: broadcast::Receiver<Arc<Event>>,
}

impl lfr_live::Newsfeed for HubNews {
    async fn next(&mut self) -> Option<News> {
        loop {
            match self.events.recv().await {
                Ok(e) => {
                    if let Event::DeploymentChanged {
                        deployment, state, ..
                    } = &*e
                        && *deployment == self.deployment
                    {
                        return Some(if state.is_ended() {
                            News::Ended
                        } else {
                            News::Changed
                        });
                    }
                }
                // Missed events may have been about this deployment: re-read it.
                Err(RecvError::Lagged(_)) => return Some(News::Changed),
                Err(RecvError::Closed) => return None,
            }
        }
    }
}

/// Passes the cameras' alerts and figures to the console.
pub struct HubListener {
    pub hub: Hub,
    pub cameras: Arc<ReportedCameras>,
    /// For the clock: when a silent camera's last frame came.
    pub store: Arc<Store>,
}

impl lfr_live::Listener for HubListener {
    fn event(&self, deployment: DeploymentId, ev: &LiveEvent) {
        match ev {
            LiveEvent::Alert(a) => self.hub.alert_raised(&a.alert, Some(a.category)),
            LiveEvent::SeenAgain { alert, camera } => self.hub.alert_seen_again(alert, camera),
            LiveEvent::Figures(figs) => {
                for f in figs {
                    let s = CameraStatus {
                        deployment,
                        name: f.camera.clone(),
                        location: f.location.clone(),
                        state: status_word(f.status),
                        frames_analysed: f.frames_analysed,
                        faces_scanned: f.faces_scanned,
                        dropped_frames: f.frames_dropped,
                        unrecorded_faces: f.faces_unrecorded,
                        unrecorded_dropped: f.dropped_unrecorded,
                        detail: None,
                        // Kept from the first report of the same state.
                        state_since: Some(self.store.clock().now()),
                        last_frame_at: f.silent_s.and_then(|s| {
                            let ago = jiff::SignedDuration::try_from_secs_f64(s).ok()?;
                            self.store.clock().now().checked_sub(ago).ok()
                        }),
                    };
                    if self.cameras.report_if_changed(s) {
                        self.hub.publish(Event::CameraFigures {
                            deployment,
                            camera: f.camera.clone(),
                        });
                    }
                }
            }
            LiveEvent::Camera(c) => {
                self.cameras.note(
                    deployment,
                    &c.camera,
                    &status_word(c.status),
                    Some(c.detail.clone()),
                    c.at,
                );
                self.hub.publish(Event::CameraFigures {
                    deployment,
                    camera: c.camera.clone(),
                });
            }
            LiveEvent::AlertRefused { camera, reason } => {
                eprintln!("camera {camera}: a match was not recorded: {reason}");
            }
            LiveEvent::Recognition(RecognitionState::Paused { reason }) => {
                eprintln!("cameras of D{deployment}: recognition paused: {reason}")
            }
            LiveEvent::Recognition(RecognitionState::Running) => {
                eprintln!("cameras of D{deployment}: recognition running")
            }
            LiveEvent::Recognition(RecognitionState::Stopped) => {}
        }
    }

    fn supervision(&self, deployment: DeploymentId, s: &Supervision) {
        match s {
            Supervision::NotStarted(why) => {
                eprintln!("cameras of D{deployment} not started: {why}")
            }
            Supervision::Running => eprintln!("cameras of D{deployment} running"),
        }
    }
}

fn status_word(s: lfr_live::CameraStatus) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{s:?}"))
}

/// This process's cameras for the console: their reported figures, and the
/// live views of those its supervisor runs.
pub struct LocalCameras {
    pub reported: Arc<ReportedCameras>,
    pub views: lfr_live::Views,
}

impl lfr_server::cameras::Cameras for LocalCameras {
    fn cameras(&self) -> Vec<CameraStatus> {
        lfr_server::cameras::Cameras::cameras(&*self.reported)
    }

    fn view(&self, d: DeploymentId, camera: &str) -> Option<lfr_server::cameras::CameraView> {
        let v = self.views.look(d, camera)?;
        Some(lfr_server::cameras::CameraView {
            jpeg: v.jpeg,
            age: v.captured.elapsed(),
        })
    }
}
