//! A Blue Watchlist walk-through, set up in a fresh store: what the live
//! benchmark (`lfr bench live`) and the crash tests run against.
//!
//! Everything goes through the store's ordinary calls, so the same rules
//! apply as to a real deployment: users for each role, an application,
//! written authority from a trained Authorising Officer, a Blue Watchlist of
//! consenting volunteers (passers-by picked from the video by
//! [`crate::demo::pick_volunteers`]), a standard watchlist (which every
//! deployment needs) of strangers from LFW ([`crate::demo::lfw_watchlist`]),
//! both approved by the AO, and the Silver Commander's start.

use std::path::Path;

use lfr_base::{SignedDuration, Timestamp};
use lfr_domain::deployment::{Application, DeploymentStyle, UseCase};
use lfr_domain::ids::{DeploymentId, WatchlistId};
use lfr_domain::policy::DEFAULT_MINIMUM_THRESHOLD;
use lfr_domain::role::{Rank, Role, User};
use lfr_domain::watchlist::WatchlistKind;
use lfr_engine::pipeline::{ModelFiles, Recogniser};
use lfr_store::Store;
use lfr_store::deployments::Grant;
use lfr_store::users::NewUser;

use crate::demo::{self, Volunteer};
use crate::enrol::EngineEnroller;
use crate::session::LiveError;

/// What a walk-through records as the licence under which it runs a
/// restricted model, and as the reason it runs one whose calibration is not
/// shown to hold: measurement in a throwaway store, no operational use.
pub const EVALUATION_USE: &str =
    "evaluation only: a benchmark walk-through in a throwaway store, no operational use";

/// The people and records of a walk-through.
pub struct Walkthrough {
    pub deployment: DeploymentId,
    pub watchlist: WatchlistId,
    pub admin: User,
    pub silver: User,
    pub ao: User,
    /// The System Engineer the pipeline acts as.
    pub engineer: User,
    /// The Operator who reviews alerts.
    pub operator: User,
    pub volunteers: Vec<Volunteer>,
    /// The System Engineer's sign-in token (for `lfr serve` in a child process).
    pub engineer_token: String,
}

fn user(name: &str, role: Role, rank: Rank) -> NewUser {
    NewUser {
        username: name.into(),
        display_name: name.into(),
        roles: vec![role],
        rank,
    }
}

/// Sets up an active deployment in `store` (which must be empty: its first
/// administrator is created here) with a Blue Watchlist of up to
/// `volunteers` passers-by from `video` and a standard watchlist of
/// `strangers` people from the LFW images folder `lfw_images`. Picking the
/// volunteers reads the video and takes a few seconds.
pub async fn setup(
    store: &Store,
    video: &Path,
    models: &ModelFiles,
    volunteers: usize,
    lfw_images: &Path,
    strangers: usize,
) -> Result<Walkthrough, LiveError> {
    let (admin, _) = store.bootstrap("admin", "Administrator").await?;
    let ao = store
        .create_user(
            &admin,
            &user("supt", Role::AuthorisingOfficer, Rank::Superintendent),
        )
        .await?
        .0;
    // An Authorising Officer takes a second administrator's approval.
    let admin2 = store
        .create_user(&admin, &user("admin2", Role::Administrator, Rank::Staff))
        .await?
        .0;
    store.reissue_token(&admin2, "admin2").await?;
    for c in store.pending_role_changes(&admin2).await? {
        store.approve_role_change(&admin2, c.id).await?;
    }
    let ao = store
        .record_training(&admin, &ao.username, "LFR AO course", Timestamp::now())
        .await?;
    let silver = store
        .create_user(
            &admin,
            &user("silver", Role::SilverCommander, Rank::ChiefInspector),
        )
        .await?
        .0;
    let operator = store
        .create_user(&admin, &user("operator", Role::Operator, Rank::Constable))
        .await?
        .0;
    let (engineer, engineer_token) = store
        .create_user(&admin, &user("pipeline", Role::SystemEngineer, Rank::Staff))
        .await?;
    let now = Timestamp::now();
    let later = |h: i64| {
        now.checked_add(SignedDuration::from_hours(h))
            .map_err(|e| LiveError::Config(e.to_string()))
    };
    let d = store
        .apply(
            &silver,
            Application {
                location: "Arcade, main concourse (replayed video)".into(),
                use_case: UseCase::Event,
                style: DeploymentStyle::Van,
                assets: 1,
                starts_at: now,
                ends_at: later(8)?,
                legitimate_aim: "Measure the True Recognition Rate with volunteers".into(),
                legal_basis: "Common law policing powers; DPA 2018 Part 3".into(),
                necessity: "Test of the system before an operational deployment".into(),
                proportionality: "Volunteers only; bounded in time and place".into(),
                safeguards: "Immediate deletion, human adjudication".into(),
                alternatives_considered: "None for a technical test".into(),
                watchlist_composition: "Blue Watchlist of consenting volunteers".into(),
                resources: "Replayed cameras".into(),
                threshold_requested: DEFAULT_MINIMUM_THRESHOLD,
                threshold_reason: None,
                review_interval_minutes: 60,
            },
        )
        .await?
        .id;
    for u in [&operator, &engineer] {
        store.add_to_team(&silver, d, &u.username).await?;
    }
    store
        .authorise(
            &ao,
            d,
            Grant {
                verbal_confirm_by: None,
                rationale: "Lawful, necessary and proportionate for a volunteer test".into(),
                valid_from: Some(now),
                valid_until: Some(later(24)?),
                minimum_threshold: DEFAULT_MINIMUM_THRESHOLD,
                minimum_threshold_reason: None,
            },
        )
        .await?;
    let w = store
        .create_watchlist(&silver, d, WatchlistKind::Blue, "volunteers")
        .await?
        .id;
    let (picked, prepared, wanted, enroller) = {
        let (video, models, lfw) = (
            video.to_path_buf(),
            models.clone(),
            lfw_images.to_path_buf(),
        );
        tokio::task::spawn_blocking(move || -> Result<_, LiveError> {
            let picked = demo::pick_volunteers(&video, &models, volunteers)?;
            let enroller = EngineEnroller::open(&models)?;
            let src = demo::blue_watchlist(&picked, "PC 1234");
            let prepared = lfr_store::import::prepare(&src, WatchlistKind::Blue, &enroller)
                .map_err(|p| LiveError::Config(format!("the volunteers did not import: {p}")))?;
            let src = demo::lfw_watchlist(&lfw, strangers.max(1), &enroller)?;
            let wanted = lfr_store::import::prepare(&src, WatchlistKind::Standard, &enroller)
                .map_err(|p| LiveError::Config(format!("the LFW watchlist did not import: {p}")))?;
            Ok((picked, prepared, wanted, enroller))
        })
        .await
        .map_err(|e| LiveError::Config(format!("picking volunteers failed: {e}")))??
    };
    if picked.is_empty() {
        return Err(LiveError::Config(format!(
            "no passer-by in {} is clear enough to enrol as a volunteer",
            video.display()
        )));
    }
    if models.recogniser != Recogniser::Builtin {
        // A new deployment recognises with the default model; this one with
        // the model the walk-through measures, before anyone is enrolled. A
        // benchmark in a throwaway store is an evaluation, which even a
        // research-only licence allows, and which measures a model whose
        // calibration is not shown to hold; it says so in its audit log.
        store
            .set_recognition(
                &silver,
                d,
                models.recogniser.id(),
                &enroller,
                lfr_domain::enrol::ModelUse {
                    licence: Some(EVALUATION_USE),
                    calibration: Some(EVALUATION_USE),
                },
            )
            .await?;
    }
    store.commit_import(&silver, w, &prepared).await?;
    store
        .approve_watchlist(&ao, w, "each volunteer's consent seen")
        .await?;
    let s = store
        .create_watchlist(&silver, d, WatchlistKind::Standard, "wanted")
        .await?
        .id;
    store.commit_import(&silver, s, &wanted).await?;
    store
        .approve_watchlist(&ao, s, "each inclusion reviewed")
        .await?;
    store.start(&silver, d).await?;
    Ok(Walkthrough {
        deployment: d,
        watchlist: w,
        admin,
        silver,
        ao,
        engineer,
        operator,
        volunteers: picked,
        engineer_token: engineer_token.to_string(),
    })
}
