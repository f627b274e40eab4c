//! `lfr serve --demo`: a whole deployment set up in a fresh temporary
//! database, through the same store calls (and the same rules) as a real
//! one: users for every role, an application, written authority, a Blue
//! Watchlist of demo volunteers picked from the video, the AO's approval,
//! and the Silver Commander's start.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use lfr_base::{RealClock, SignedDuration, Timestamp};
use lfr_domain::deployment::{Application, DeploymentStyle, UseCase};
use lfr_domain::role::{Rank, Role};
use lfr_domain::watchlist::WatchlistKind;
use lfr_live::{CameraConfig, Source};
use lfr_store::Store;
use lfr_store::deployments::Grant;
use lfr_store::users::NewUser;

use super::{Pipeline, ServeArgs};
use crate::Global;

/// What the demo records as the reason it runs a model whose calibration is
/// not shown to hold.
const DEMONSTRATION_USE: &str =
    "demonstration in a throwaway database on sample footage, no operational use";

/// A temporary directory removed when the demo stops.
pub struct DemoDir(pub PathBuf);

impl Drop for DemoDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct Demo {
    pub store: Arc<Store>,
    pub publish_dir: PathBuf,
    pub pipeline: Pipeline,
    pub dir: DemoDir,
}

fn default_video() -> PathBuf {
    let shared = std::env::var_os("LFR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared"));
    shared.join("data/video/arcade-crowd-1080p.mp4")
}

fn later(h: i64) -> Result<Timestamp> {
    Ok(Timestamp::now().checked_add(SignedDuration::from_hours(h))?)
}

/// One demo user: who, and how to sign in as them.
#[derive(serde::Serialize)]
struct Account {
    role: &'static str,
    username: String,
    token: String,
    link: String,
}

pub async fn setup(g: &Global, a: &ServeArgs, addr: SocketAddr) -> Result<Demo> {
    let video = a.video.clone().unwrap_or_else(default_video);
    if !video.is_file() {
        bail!(
            "the demo video {} is missing; pass --video FILE (any video with faces), or set LFR_SHARED to the shared data folder",
            video.display()
        );
    }
    let models = crate::recognition::model_files(g)?;
    let dir = DemoDir(std::env::temp_dir().join(format!("lfr-demo-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0)
        .with_context(|| format!("cannot create {}", dir.0.display()))?;
    let url = format!("sqlite://{}", dir.0.join("lfr.db").display());
    let store = Store::open(&url, &dir.0.join("keys"), true, Arc::new(RealClock)).await?;
    // The deployment is applied for with the store's default, the built-in
    // descriptor, and switched to the model the demo runs before anyone is
    // enrolled (below).
    let store = Arc::new(store);
    eprintln!(
        "demo: a fresh database in {} (deleted when the demo stops)",
        dir.0.display()
    );

    let (admin, admin_token) = store.bootstrap("admin", "Demo Administrator").await?;
    // What a force states on its public page and in every report.
    store
        .set_force_notice(
            &admin,
            &lfr_domain::force::ForceNotice {
                force: "Demo Constabulary".into(),
                legal_basis: "Common law policing powers, with the Data Protection Act 2018 (Part 3), the Human Rights Act 1998 and the Equality Act 2010, as the College of Policing's APP on LFR sets out (demo text)".into(),
                contact: "lfr@demo.police.example (a demo address)".into(),
                policy: None,
            },
        )
        .await?;
    let base = format!("http://{addr}");
    let link = |t: &str| format!("{base}/signin#token={t}");
    let mut accounts = vec![Account {
        role: "administrator",
        username: admin.username.clone(),
        link: link(&admin_token),
        token: admin_token.to_string(),
    }];
    let people: [(&str, &str, Role, Rank, &'static str); 6] = [
        (
            "supt.ao",
            "Supt A. Authoriser",
            Role::AuthorisingOfficer,
            Rank::Superintendent,
            "authorising_officer",
        ),
        (
            "silver",
            "Ch Insp S. Commander",
            Role::SilverCommander,
            Rank::ChiefInspector,
            "silver_commander",
        ),
        (
            "operator",
            "PC O. Operator",
            Role::Operator,
            Rank::Constable,
            "operator",
        ),
        (
            "engager",
            "PC E. Engager",
            Role::EngagementOfficer,
            Rank::Constable,
            "engagement_officer",
        ),
        (
            "auditor",
            "A. Auditor",
            Role::Auditor,
            Rank::Staff,
            "auditor",
        ),
        (
            "engineer",
            "S. Engineer (camera pipeline)",
            Role::SystemEngineer,
            Rank::Staff,
            "system_engineer",
        ),
    ];
    let mut users = Vec::new();
    for (username, name, role, rank, label) in people {
        let (u, token) = store
            .create_user(
                &admin,
                &NewUser {
                    username: username.into(),
                    display_name: name.into(),
                    roles: vec![role],
                    rank,
                },
            )
            .await?;
        accounts.push(Account {
            role: label,
            username: u.username.clone(),
            link: link(&token),
            token: token.to_string(),
        });
        users.push(u);
    }
    // An Authorising Officer takes two administrators: a second one
    // approves the role the first asked for.
    let (admin2, _) = store
        .create_user(
            &admin,
            &NewUser {
                username: "admin2".into(),
                display_name: "Second Demo Administrator".into(),
                roles: vec![Role::Administrator],
                rank: Rank::Staff,
            },
        )
        .await?;
    store.reissue_token(&admin2, "admin2").await?;
    for c in store.pending_role_changes(&admin2).await? {
        store.approve_role_change(&admin2, c.id).await?;
    }
    let ao = store
        .record_training(
            &admin,
            "supt.ao",
            "LFR Authorising Officer course (demo)",
            Timestamp::now(),
        )
        .await?;
    let (silver, engineer) = (users[1].clone(), users[5].clone());

    let app = Application {
        location: "Demo: amusement arcade (replayed video)".into(),
        use_case: UseCase::Event,
        style: DeploymentStyle::Wired,
        assets: 1,
        starts_at: Timestamp::now(),
        ends_at: later(12)?,
        legitimate_aim: "Demonstration of the LFR workflow".into(),
        legal_basis: "None: a demonstration on public sample footage".into(),
        necessity: "Training staff on the console".into(),
        proportionality: "Recorded public footage; nobody in it is sought".into(),
        safeguards: "Fresh temporary database, deleted when the demo stops".into(),
        alternatives_considered: "Slides; less instructive".into(),
        watchlist_composition:
            "Stand-in subjects and Blue Watchlist volunteers, all passers-by in the sample video"
                .into(),
        resources: "One replayed camera".into(),
        threshold_requested: lfr_domain::policy::DEFAULT_MINIMUM_THRESHOLD,
        threshold_reason: None,
        review_interval_minutes: 60,
    };
    let d = store.apply(&silver, app).await?;
    // The operator, engagement officer and engineer work on it.
    for u in [&users[2], &users[3], &users[5]] {
        store.add_to_team(&silver, d.id, &u.username).await?;
    }
    store
        .authorise(
            &ao,
            d.id,
            Grant {
                verbal_confirm_by: None,
                rationale: "Demonstration: lawful use of sample footage with volunteers only"
                    .into(),
                valid_from: Some(Timestamp::now()),
                valid_until: Some(later(12)?),
                minimum_threshold: lfr_domain::policy::DEFAULT_MINIMUM_THRESHOLD,
                minimum_threshold_reason: None,
            },
        )
        .await?;

    eprintln!(
        "demo: picking {} volunteers from {} (takes a minute)...",
        a.volunteers,
        video.display()
    );
    let (vols, enroller) = {
        let (video, models, n) = (video.clone(), models.clone(), a.volunteers);
        tokio::task::spawn_blocking(move || -> Result<_> {
            let v = lfr_live::demo::pick_volunteers(&video, &models, n)?;
            let e = lfr_live::enrol::EngineEnroller::open(&models)?;
            Ok((v, e))
        })
        .await??
    };
    // Switched even to the built-in model, so that its calibration's digest
    // is recorded. A restricted model is still refused: a demonstration to
    // staff is not the research its licence allows.
    let uses = lfr_domain::enrol::ModelUse {
        licence: None,
        calibration: Some(DEMONSTRATION_USE),
    };
    store
        .set_recognition(&silver, d.id, models.recogniser.id(), &enroller, uses)
        .await?;
    if vols.len() < 2 {
        bail!(
            "only {} face(s) in {} are clear enough to enrol; the demo needs two (one stand-in watchlist subject, one volunteer): try another --video or more --volunteers",
            vols.len(),
            video.display()
        );
    }
    // A deployment needs a standard watchlist (a Blue Watchlist alone only
    // tests the system), so half the passers-by stand in for sought people
    // and the other half are Blue Watchlist volunteers.
    let (subjects, volunteers): (Vec<_>, Vec<_>) = vols
        .iter()
        .cloned()
        .enumerate()
        .partition(|(i, _)| i % 2 == 0);
    let subjects: Vec<_> = subjects.into_iter().map(|(_, v)| v).collect();
    let volunteers: Vec<_> = volunteers.into_iter().map(|(_, v)| v).collect();
    let lists = [
        (
            WatchlistKind::Standard,
            "Demo subjects (stand-ins from the sample video)",
            standard_watchlist(&subjects),
        ),
        (
            WatchlistKind::Blue,
            "Demo volunteers",
            lfr_live::demo::blue_watchlist(&volunteers, "PC O. Operator"),
        ),
    ];
    for (kind, name, src) in lists {
        let w = store.create_watchlist(&silver, d.id, kind, name).await?;
        let entries = lfr_store::import::prepare(&src, kind, &enroller)
            .map_err(|p| anyhow::anyhow!("the demo watchlist {name} did not import: {p}"))?;
        store.commit_import(&silver, w.id, &entries).await?;
        store
            .approve_watchlist(
                &ao,
                w.id,
                "Demo watchlist: passers-by in public sample footage",
            )
            .await?;
    }
    store.start(&silver, d.id).await?;

    println!(
        "\nlfr demo: D{} is active: {} stand-in subject(s) on a watchlist, {} Blue Watchlist volunteer(s).",
        d.id,
        subjects.len(),
        volunteers.len()
    );
    println!("Open a link to sign in as that role (tokens are shown only here):\n");
    for acc in &accounts {
        println!("  {:<20} {}", acc.role, acc.link);
    }
    println!("\nAlerts arrive in the operator's queue as these people walk past the camera.\n");
    if let Some(path) = &a.demo_info {
        write_info(path, &base, d.id.0, &accounts)?;
    }
    let camera = CameraConfig {
        name: "arcade".into(),
        location: "Arcade entrance (replayed video)".into(),
        source: Source::File {
            path: video,
            realtime: true,
            looped: true,
            loop_pause_s: 20.0,
        },
        zone: None,
        min_eyes: None,
    };
    Ok(Demo {
        store,
        publish_dir: dir.0.join("published"),
        pipeline: Pipeline {
            deployment: d.id,
            cameras: lfr_live::CameraList::Given(vec![camera]),
            actor: engineer,
        },
        dir,
    })
}

fn write_info(path: &Path, base: &str, deployment: i64, accounts: &[Account]) -> Result<()> {
    let info = serde_json::json!({ "url": base, "deployment": deployment, "accounts": accounts });
    std::fs::write(path, serde_json::to_vec_pretty(&info)?)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// A standard watchlist of passers-by standing in for sought people. The
/// category is the mildest that still shows the whole workflow; nobody in
/// the footage is sought.
fn standard_watchlist(people: &[lfr_live::demo::Volunteer]) -> lfr_store::import::ImportSource {
    let mut files = std::collections::BTreeMap::new();
    let mut entries = Vec::new();
    for (i, v) in people.iter().enumerate() {
        let file = format!("s{:02}.jpg", i + 1);
        files.insert(file.clone(), v.jpeg.clone());
        entries.push(serde_json::json!({
            "ref": format!("S{:02}", i + 1),
            "name": format!("Demo subject {}", i + 1),
            "category": "missing_person_at_risk",
            "justification": "Demo: a passer-by in public sample footage standing in for a missing person; nobody is sought",
            "source": "Frame of the demo video",
            "under_18": false,
            "images": [file],
        }));
    }
    files.insert(
        "manifest.json".to_string(),
        serde_json::to_vec_pretty(&serde_json::json!({ "entries": entries }))
            .expect("JSON of strings"),
    );
    lfr_store::import::ImportSource::from_files("demo subjects", files)
}
