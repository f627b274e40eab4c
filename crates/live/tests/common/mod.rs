//! What the live tests share: the models, the shared crowd video, and a
//! real SQLite store holding an active deployment whose Blue Watchlist is
//! made of passers-by picked from the video.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lfr_base::{RealClock, SignedDuration};
use lfr_domain::deployment::{Application, DeploymentStyle, UseCase};
use lfr_domain::ids::{DeploymentId, WatchlistId};
use lfr_domain::role::{Rank, Role, User};
use lfr_domain::watchlist::WatchlistKind;
use lfr_engine::pipeline::ModelFiles;
use lfr_live::demo::{self, Volunteer};
use lfr_live::enrol::EngineEnroller;
use lfr_store::Store;
use lfr_store::deployments::Grant;
use lfr_store::users::NewUser;

/// The installed models, or a panic that says how to install them.
pub fn models() -> ModelFiles {
    let dir = lfr_models::ModelsDir::resolve(
        std::env::var_os("LFR_MODELS").map(PathBuf::from).as_deref(),
    );
    let f = |n: &str| dir.file(n).unwrap_or_else(|e| panic!("{e}"));
    ModelFiles {
        onnxruntime: f(lfr_models::files::ONNXRUNTIME),
        yunet: f(lfr_models::files::YUNET),
        dlib_resnet: f(lfr_models::files::DLIB_RESNET),
        dlib_shape5: None,
    }
}

/// A file of the shared test data (`../shared` beside the repository, or $LFR_SHARED).
pub fn shared(rel: &str) -> PathBuf {
    let root = std::env::var_os("LFR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    let p = root.join(rel);
    assert!(
        p.exists(),
        "shared test data {} is missing: these tests need the read-only `shared/` folder beside the repository (or set LFR_SHARED)",
        p.display()
    );
    p
}

pub fn crowd() -> PathBuf {
    shared("data/video/arcade-crowd-1080p.mp4")
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

pub struct World {
    pub dir: PathBuf,
    pub url: String,
    pub store: Arc<Store>,
    pub admin: User,
    pub silver: User,
    pub ao: User,
    pub operator: User,
    pub engineer: User,
    pub deployment: DeploymentId,
    pub watchlist: WatchlistId,
    pub volunteers: Vec<Volunteer>,
}

pub async fn open_store(dir: &Path, create: bool) -> Store {
    let url = format!("sqlite://{}", dir.join("lfr.db").display());
    Store::open(&url, &dir.join("keys"), create, Arc::new(RealClock))
        .await
        .unwrap()
}

impl World {
    /// A started deployment with a Blue Watchlist of `volunteers`
    /// passers-by from the crowd video, in a new database under `dir`.
    pub async fn new(dir: &Path, volunteers: usize) -> World {
        let store = open_store(dir, true).await;
        let (admin, _) = store.bootstrap("admin", "Administrator").await.unwrap();
        let add = |name: &str, role: Role, rank: Rank| NewUser {
            username: name.into(),
            display_name: name.into(),
            roles: vec![role],
            rank,
        };
        let ao = store
            .create_user(
                &admin,
                &add("supt", Role::AuthorisingOfficer, Rank::Superintendent),
            )
            .await
            .unwrap()
            .0;
        let ao = store
            .record_training(
                &admin,
                &ao.username,
                "LFR AO course",
                lfr_base::Timestamp::now(),
            )
            .await
            .unwrap();
        let silver = store
            .create_user(
                &admin,
                &add("silver", Role::SilverCommander, Rank::ChiefInspector),
            )
            .await
            .unwrap()
            .0;
        let operator = store
            .create_user(&admin, &add("operator", Role::Operator, Rank::Constable))
            .await
            .unwrap()
            .0;
        let engineer = store
            .create_user(&admin, &add("pipeline", Role::SystemEngineer, Rank::Staff))
            .await
            .unwrap()
            .0;
        let now = lfr_base::Timestamp::now();
        let h = SignedDuration::from_hours;
        let d = store
            .apply(
                &silver,
                Application {
                    location: "Arcade, main concourse".into(),
                    use_case: UseCase::Event,
                    style: DeploymentStyle::Van,
                    assets: 1,
                    starts_at: now,
                    ends_at: now.checked_add(h(8)).unwrap(),
                    legitimate_aim: "Measure the True Recognition Rate with volunteers".into(),
                    legal_basis: "Common law policing powers; DPA 2018 Part 3".into(),
                    necessity: "Test of the system before an operational deployment".into(),
                    proportionality: "Volunteers only; bounded in time and place".into(),
                    safeguards: "Signage, immediate deletion, human adjudication".into(),
                    alternatives_considered: "None for a technical test".into(),
                    watchlist_composition: "Blue Watchlist of consenting volunteers".into(),
                    resources: "One camera".into(),
                    threshold_requested: 0.64,
                    review_interval_minutes: 60,
                },
            )
            .await
            .unwrap()
            .id;
        store
            .authorise(
                &ao,
                d,
                Grant {
                    verbal_confirm_by: None,
                    rationale: "Lawful, necessary and proportionate for a volunteer test".into(),
                    valid_from: now,
                    valid_until: now.checked_add(h(24)).unwrap(),
                    minimum_threshold: 0.64,
                },
            )
            .await
            .unwrap();
        let w = store
            .create_watchlist(&silver, d, WatchlistKind::Blue, "volunteers")
            .await
            .unwrap()
            .id;
        let models = models();
        let picked = {
            let crowd = crowd();
            let models = models.clone();
            tokio::task::spawn_blocking(move || demo::pick_volunteers(&crowd, &models, volunteers))
                .await
                .unwrap()
                .unwrap()
        };
        assert!(
            !picked.is_empty(),
            "no passer-by in the crowd video was clear enough"
        );
        let src = demo::blue_watchlist(&picked, "PC 1234");
        let prepared = {
            let models = models.clone();
            tokio::task::spawn_blocking(move || {
                let enroller = EngineEnroller::open(&models).unwrap();
                lfr_store::import::prepare(&src, WatchlistKind::Blue, &enroller)
            })
            .await
            .unwrap()
            .unwrap_or_else(|p| panic!("{p}"))
        };
        store.commit_import(&silver, w, &prepared).await.unwrap();
        store
            .approve_watchlist(&ao, w, "each volunteer's consent seen")
            .await
            .unwrap();
        // A standard watchlist of strangers (LFW people) beside the volunteers.
        let s = store
            .create_watchlist(&silver, d, WatchlistKind::Standard, "wanted")
            .await
            .unwrap()
            .id;
        let prepared = {
            let models = models.clone();
            let lfw = shared("data/lfw/images");
            tokio::task::spawn_blocking(move || {
                let enroller = EngineEnroller::open(&models).unwrap();
                let src = demo::lfw_watchlist(&lfw, STRANGERS, &enroller).unwrap();
                lfr_store::import::prepare(&src, WatchlistKind::Standard, &enroller)
            })
            .await
            .unwrap()
            .unwrap_or_else(|p| panic!("{p}"))
        };
        store.commit_import(&silver, s, &prepared).await.unwrap();
        store
            .approve_watchlist(&ao, s, "each inclusion reviewed")
            .await
            .unwrap();
        store.start(&silver, d).await.unwrap();
        World {
            dir: dir.to_path_buf(),
            url: format!("sqlite://{}", dir.join("lfr.db").display()),
            store: Arc::new(store),
            admin,
            silver,
            ao,
            operator,
            engineer,
            deployment: d,
            watchlist: w,
            volunteers: picked,
        }
    }
}
