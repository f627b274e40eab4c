//! Live recognition: the cameras of an active deployment, watched until
//! they raise alerts, with nothing of a passer-by kept.
//!
//! ```text
//! camera (FFmpeg child process, or an image folder)
//!   -> hand-off (bounded; the oldest frame is dropped and counted when analysis is behind)
//!   -> detect (engine, video settings) -> zone of recognition -> quality gate
//!   -> tracker (one person passing = one track)
//!   -> templates of a track's best frames -> 1:N search of the deployment's gallery
//!   -> score >= threshold in force? -> Match -> Store::raise_alert -> LiveEvent::Alert
//! ```
//!
//! # The API the server uses
//!
//! This section is the contract with `crates/server`; it stays stable.
//!
//! ```ignore
//! use lfr_live::{CameraConfig, LiveConfig, LiveEvent, Session, Source, Zone};
//!
//! let cameras = vec![CameraConfig {
//!     name: "van-1-left".into(),
//!     location: "Queen Street, north entrance".into(),
//!     source: Source::File { path: video.into(), realtime: true, looped: true, loop_pause_s: 0.0 },
//!     zone: Some(Zone::rect(0.0, 200.0, 1920.0, 880.0)),
//!     min_eyes: None,
//! }];
//! // `actor` is the user the pipeline acts as: a SystemEngineer or Operator
//! // (the roles allowed `raise_alert` and `record_counts`).
//! let session = Session::start(store.clone(), actor, deployment_id, cameras,
//!                              model_files, LiveConfig::default()).await?;
//! let mut events = session.subscribe();  // tokio broadcast receiver; the first
//!                                         // one also gets every event since start
//! while let Ok(ev) = events.recv().await {
//!     match ev {
//!         LiveEvent::Alert(a) => { /* a.alert: lfr_domain::alert::Alert, already committed */ }
//!         LiveEvent::Camera(c) => { /* status change: streaming, stalled, reconnecting... */ }
//!         LiveEvent::Figures(f) => { /* every LiveConfig::figures_interval: per-camera figures */ }
//!         LiveEvent::Recognition(s) => { /* Running / Paused{reason} / Stopped */ }
//!         LiveEvent::AlertRefused { .. } => { /* the store refused (authority ended...) */ }
//!     }
//! }
//! session.refresh().await;        // after suspend/resume/terminate: re-read the deployment now
//! let figures = session.figures(); // Vec<CameraFigures>, at any time
//! let final_figures = session.stop().await; // counts recorded, sources stopped, gallery zeroed
//! ```
//!
//! - [`Session::start`] fails (with [`LiveError`]) if the deployment may not
//!   run recognition now or its gallery cannot be released; the store says why.
//! - Alerts reach subscribers only after `Store::raise_alert` committed them:
//!   an alert a console shows is in the database. The event carries no
//!   biometric data: the probe crop is read with `Store::probe_image` and
//!   the candidate image with `Store::reference_image`, both audited.
//! - The broadcast channel holds [`EVENT_BUFFER`] events; a subscriber that
//!   falls further behind gets `RecvError::Lagged` and should re-read alerts
//!   from the store.
//! - Every [`LiveConfig::state_poll`] the session re-reads the deployment.
//!   When it is no longer active (suspended, terminated, authority lapsed)
//!   recognition pauses: the gallery is zeroed and dropped, frames are
//!   discarded unanalysed, and [`RecognitionState::Paused`] is broadcast.
//!   When it becomes active again the gallery is fetched again and
//!   recognition resumes. [`Session::refresh`] does the same at once.
//! - Counts (faces scanned, dropped frames) are recorded with
//!   `Store::record_counts` every [`LiveConfig::counts_interval`] and at stop.
//! - The threshold is never a parameter: it is the threshold the deployment
//!   asked for, and never below the authority's minimum ([`threshold`]).
//!
//! [`Supervisor`] wraps a session for a server: it starts the session when
//! the deployment allows it, restarts it, and stops it when the deployment
//! ends, hearing of changes through a [`Newsfeed`] and reporting to a
//! [`Listener`].
//!
//! For the demo (`lfr serve --demo`), [`demo::pick_volunteers`] picks clearly
//! visible passers-by from a video and crops a reference image of each,
//! [`demo::blue_watchlist`] turns them into a Blue Watchlist import, and
//! [`enrol::EngineEnroller`] grades images and makes templates for any import.
//!
//! # Definitions
//!
//! - **Faces scanned**: tracks that passed the quality gate at least once,
//!   i.e. people whose face was compared with the watchlist. One person
//!   walking through the zone counts once, however many frames show them;
//!   this is the denominator of the APP's System False Alert Rate (false
//!   alerts over faces scanned). Raw detections are counted separately.
//! - **Dropped frames**: frames decoded but never analysed, because a newer
//!   frame replaced them while analysis was busy. Counted, never silent.
//! - **Recognition time**: from the moment the first frame of a track that
//!   passed the quality gate arrived from the decoder, to the moment the
//!   alert is handed to the store. Its **matching frame** part (from the
//!   arrival of the frame that matched to the same moment) is what the
//!   pipeline's speed decides; the rest is the wait for a face good enough
//!   to match. `lfr bench live` reports both (docs/live.md).
//!
//! [`walkthrough::setup`] builds a complete volunteer walk-through in an
//! empty store, for benchmarks and tests.

pub mod analysis;
pub mod backoff;
pub mod camera;
pub mod demo;
pub mod enrol;
pub mod events;
pub mod figures;
pub mod gallery;
pub mod gate;
mod handoff;
mod runner;
pub mod session;
mod source;
pub mod supervisor;
pub mod threshold;
pub mod tracker;
pub mod view;
pub mod walkthrough;

pub use camera::{CameraConfig, MinEyes, Source, Zone};
pub use events::{CameraEvent, CameraStatus, LiveEvent, Match, RaisedAlert, RecognitionState};
pub use figures::CameraFigures;
pub use gate::QualityGate;
pub use session::{LiveConfig, LiveError, Session, cameras_can_run};
pub use supervisor::{CameraList, Listener, News, Newsfeed, Outcome, Supervision, Supervisor};
pub use tracker::TrackerConfig;
pub use view::{View, Views};

/// Events a subscriber may fall behind by before it is told it lagged.
pub const EVENT_BUFFER: usize = 1024;
