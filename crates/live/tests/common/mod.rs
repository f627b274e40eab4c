//! What the live tests share: the models, the shared crowd video, and a
//! real SQLite store holding an active deployment whose Blue Watchlist is
//! made of passers-by picked from the video.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lfr_base::RealClock;
use lfr_engine::pipeline::ModelFiles;
use lfr_live::walkthrough::Walkthrough;
use lfr_store::Store;

/// The installed models, or a panic that says how to install them.
pub fn models() -> ModelFiles {
    let dir = lfr_models::ModelsDir::resolve(
        std::env::var_os("LFR_MODELS").map(PathBuf::from).as_deref(),
    );
    ModelFiles::builtin_in(&dir).unwrap_or_else(|e| panic!("{e}"))
}

pub use lfr_testkit::shared;

pub fn crowd() -> PathBuf {
    shared("data/video/arcade-crowd-1080p.mp4")
}

/// A camera `arcade` replaying the crowd video in a loop, in real time.
pub fn crowd_camera() -> lfr_live::CameraConfig {
    lfr_live::CameraConfig {
        name: "arcade".into(),
        location: "Arcade".into(),
        source: lfr_live::Source::File {
            path: crowd(),
            realtime: true,
            looped: true,
            loop_pause_s: 0.0,
        },
        zone: None,
        min_eyes: None,
    }
}

/// Runs FFmpeg to make a test input; panics with its message on failure.
pub fn ffmpeg(args: &[&str]) {
    let out = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg must be installed (apt-get install ffmpeg)");
    assert!(
        out.status.success(),
        "ffmpeg {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// People on the standard watchlist.
pub const STRANGERS: usize = 40;

pub async fn open_store(dir: &Path, create: bool) -> Store {
    let url = format!("sqlite://{}", dir.join("lfr.db").display());
    Store::open(&url, &dir.join("keys"), create, Arc::new(RealClock))
        .await
        .unwrap()
}

/// A started deployment with a Blue Watchlist of up to `volunteers`
/// passers-by from the crowd video and a standard watchlist of LFW
/// strangers, in a new database under `dir`.
pub async fn active_deployment(dir: &Path, volunteers: usize) -> (Arc<Store>, Walkthrough) {
    let store = open_store(dir, true).await;
    let w = lfr_live::walkthrough::setup(
        &store,
        &crowd(),
        &models(),
        volunteers,
        &shared("data/lfw/images"),
        STRANGERS,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    (Arc::new(store), w)
}
