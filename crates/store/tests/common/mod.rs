//! A small world for the store's tests: a temporary database and keyring,
//! a simulated clock, and one user per role.

#![allow(dead_code)]

use std::sync::Arc;

use lfr_base::{SignedDuration, SimulatedClock, Timestamp};
use lfr_domain::deployment::{Application, DeploymentStyle, UseCase};
use lfr_domain::ids::{DeploymentId, ImageId, InclusionId, WatchlistId};
use lfr_domain::manifest::ManifestEntry;
use lfr_domain::role::{Rank, Role, User};
use lfr_domain::watchlist::{Category, Consent, QualityGrade, Template, WatchlistKind};
use lfr_store::Store;
use lfr_store::deployments::Grant;
use lfr_store::import::{PreparedEntry, PreparedImage};
use lfr_store::users::NewUser;

pub const DAY_ONE: &str = "2026-11-22T08:00:00Z";
/// The algorithm the test templates claim to be made by.
/// The built-in model's algorithm: a new deployment's.
pub const TEST_ALGORITHM: &str = "yunet-n-dynamic/align-yunet5-v1/dlib-resnet-v1";
/// A name and image bytes that must never leak into public output.
pub const SUBJECT_NAME: &str = "Zebedee Quuxworth";
pub const IMAGE_MARKER: &[u8] = b"REFERENCE-IMAGE-OF-ZEBEDEE";
pub const PROBE_MARKER: &[u8] = b"PROBE-CROP-OF-A-PASSER-BY";

pub struct World {
    pub dir: tempfile::TempDir,
    pub url: String,
    pub clock: Arc<SimulatedClock>,
    pub store: Store,
    pub admin: User,
    /// A second administrator, for changes that take two.
    pub admin2: User,
    pub ao: User,
    pub inspector_ao: User,
    pub gold: User,
    pub silver: User,
    pub operator: User,
    pub engagement: User,
    pub engineer: User,
    pub auditor: User,
}

/// The rule a refusal names; panics on any other error.
pub fn rule(e: lfr_store::StoreError) -> &'static str {
    match e {
        lfr_store::StoreError::Refused(r) => r.rule.as_str(),
        other => panic!("expected a refusal, got {other}"),
    }
}

pub fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

pub fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

impl World {
    /// A world on PostgreSQL when `LFR_TEST_POSTGRES` is set, else on SQLite.
    pub async fn new() -> World {
        match lfr_testkit::postgres_admin() {
            Some(admin) => Self::on(Some(lfr_testkit::fresh_postgres(&admin).await)).await,
            None => Self::on(None).await,
        }
    }

    /// A world on SQLite, for tests that look inside the database file.
    pub async fn sqlite() -> World {
        Self::on(None).await
    }

    async fn on(url: Option<String>) -> World {
        let dir = tempfile::tempdir().unwrap();
        let url =
            url.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("lfr.db").display()));
        let clock = Arc::new(SimulatedClock::at(DAY_ONE));
        let mut store = Store::open(&url, &dir.path().join("keys"), true, clock.clone())
            .await
            .unwrap();
        store.set_footage_dir(dir.path().to_path_buf());
        let (admin, _) = store
            .bootstrap("admin", "System Administrator")
            .await
            .unwrap();
        let mk = |name: &str, roles: &[Role], rank: Rank| NewUser {
            username: name.into(),
            display_name: name.into(),
            roles: roles.to_vec(),
            rank,
        };
        let s = &store;
        let add = |n: NewUser| {
            let admin = admin.clone();
            async move { s.create_user(&admin, &n).await.unwrap().0 }
        };
        // Making an Authorising Officer takes a second administrator.
        let admin2 = add(mk("admin2", &[Role::Administrator], Rank::Staff)).await;
        // Only they hold their token now: approvals need that.
        store.reissue_token(&admin2, "admin2").await.unwrap();
        let approve = |u: User| {
            let admin2 = admin2.clone();
            async move {
                let c = s.pending_role_changes(&admin2).await.unwrap();
                let c = c.iter().find(|c| c.user == u.id).expect("a pending change");
                s.approve_role_change(&admin2, c.id).await.unwrap()
            }
        };
        let ao = add(mk(
            "supt.ao",
            &[Role::AuthorisingOfficer],
            Rank::Superintendent,
        ))
        .await;
        let ao = approve(ao).await;
        let ao = store
            .record_training(
                &admin,
                &ao.username,
                "LFR Authorising Officer course",
                t("2026-01-10T00:00:00Z"),
            )
            .await
            .unwrap();
        let inspector_ao = add(mk("insp.ao", &[Role::AuthorisingOfficer], Rank::Inspector)).await;
        let inspector_ao = approve(inspector_ao).await;
        let inspector_ao = store
            .record_training(
                &admin,
                &inspector_ao.username,
                "LFR course",
                t("2026-01-10T00:00:00Z"),
            )
            .await
            .unwrap();
        let gold = add(mk(
            "gold",
            &[Role::GoldCommander],
            Rank::ChiefSuperintendent,
        ))
        .await;
        let silver = add(mk("silver", &[Role::SilverCommander], Rank::ChiefInspector)).await;
        let operator = add(mk("operator", &[Role::Operator], Rank::Constable)).await;
        let engagement = add(mk("engager", &[Role::EngagementOfficer], Rank::Constable)).await;
        let engineer = add(mk("engineer", &[Role::SystemEngineer], Rank::Staff)).await;
        let auditor = add(mk("auditor", &[Role::Auditor], Rank::Staff)).await;
        World {
            dir,
            url,
            clock,
            store,
            admin,
            admin2,
            ao,
            inspector_ao,
            gold,
            silver,
            operator,
            engagement,
            engineer,
            auditor,
        }
    }

    pub fn now(&self) -> Timestamp {
        use lfr_base::Clock;
        self.clock.now()
    }

    pub fn application(&self) -> Application {
        let now = self.now();
        Application {
            location: "Queen Street, Cardiff".into(),
            use_case: UseCase::Event,
            style: DeploymentStyle::Van,
            assets: 2,
            starts_at: now.checked_add(hours(1)).unwrap(),
            ends_at: now.checked_add(hours(10)).unwrap(),
            legitimate_aim: "Prevention and detection of crime at the match".into(),
            legal_basis: "Common law policing powers; DPA 2018 Part 3".into(),
            necessity: "Intelligence of wanted offenders attending".into(),
            proportionality: "Bounded in time and place; small watchlist".into(),
            safeguards: "Signage, immediate deletion, human adjudication".into(),
            alternatives_considered: "Spotters alone; judged insufficient".into(),
            watchlist_composition: "Wanted by courts and suspects for violence".into(),
            resources: "One van, six officers".into(),
            threshold_requested: 0.64,
            threshold_reason: None,
            review_interval_minutes: 120,
        }
    }

    pub fn grant(&self) -> Grant {
        Grant {
            verbal_confirm_by: None,
            rationale: "Lawful, necessary and proportionate for the reasons given".into(),
            valid_from: Some(self.now()),
            valid_until: self.now().checked_add(hours(24)).ok(),
            minimum_threshold: 0.64,
            minimum_threshold_reason: None,
        }
    }

    /// An applied and authorised deployment with an imported, approved watchlist.
    /// Puts the world's operator, engagement officer and engineer on the
    /// team of `d` (its applicant, the Silver Commander, is on it already).
    pub async fn team(&self, d: DeploymentId) {
        for u in [&self.operator, &self.engagement, &self.engineer] {
            self.store
                .add_to_team(&self.silver, d, &u.username)
                .await
                .unwrap();
        }
    }

    pub async fn authorised(&self) -> (DeploymentId, WatchlistId) {
        let d = self
            .store
            .apply(&self.silver, self.application())
            .await
            .unwrap()
            .id;
        self.team(d).await;
        self.store
            .authorise(&self.ao, d, self.grant())
            .await
            .unwrap();
        let w = self
            .store
            .create_watchlist(&self.silver, d, WatchlistKind::Standard, "match day")
            .await
            .unwrap()
            .id;
        self.store
            .commit_import(
                &self.silver,
                w,
                &[entry("S1", SUBJECT_NAME), entry("S2", "Another Person")],
            )
            .await
            .unwrap();
        self.store
            .approve_watchlist(&self.ao, w, "reviewed each inclusion")
            .await
            .unwrap();
        (d, w)
    }

    /// A new account made by the administrator, with its first token.
    pub async fn add_user(
        &self,
        username: &str,
        role: Role,
        rank: Rank,
    ) -> (User, lfr_store::users::Token) {
        let n = NewUser {
            username: username.into(),
            display_name: username.into(),
            roles: vec![role],
            rank,
        };
        self.store.create_user(&self.admin, &n).await.unwrap()
    }

    /// A running deployment and the id of a reference image on its watchlist.
    pub async fn running(&self) -> (DeploymentId, ImageId) {
        let (d, _) = self.authorised().await;
        self.store.start(&self.silver, d).await.unwrap();
        let g = self
            .store
            .gallery(&self.operator, d, TEST_ALGORITHM)
            .await
            .unwrap();
        (d, g[0].image)
    }

    /// A running deployment with a standard watchlist and a Blue Watchlist
    /// of one volunteer (`V1`).
    pub async fn running_with_volunteer(&self) -> Volunteer {
        let (d, w) = self.authorised().await;
        let blue = self
            .store
            .create_watchlist(&self.silver, d, WatchlistKind::Blue, "volunteers")
            .await
            .unwrap()
            .id;
        let mut vol = entry("V1", "Volunteer One");
        vol.entry.category = Category::Volunteer;
        vol.entry.justification = "Blue Watchlist volunteer for the TRR".into();
        vol.images = vec![image(Some(Consent {
            form_reference: "CF-7".into(),
            signed_on: "2026-11-20".into(),
            recorded_by: "PC 99".into(),
        }))];
        self.store
            .commit_import(&self.silver, blue, &[vol])
            .await
            .unwrap();
        self.store
            .approve_watchlist(&self.ao, blue, "volunteer consent seen")
            .await
            .unwrap();
        self.store.start(&self.silver, d).await.unwrap();
        let g = self
            .store
            .gallery(&self.operator, d, TEST_ALGORITHM)
            .await
            .unwrap();
        let v = g
            .iter()
            .find(|e| e.category == Category::Volunteer)
            .unwrap();
        let s = g
            .iter()
            .find(|e| e.category != Category::Volunteer)
            .unwrap();
        Volunteer {
            d,
            standard: w,
            inclusion: v.inclusion,
            image: v.image,
            subject: s.inclusion,
            subject_image: s.image,
        }
    }

    /// A recognition session of deployment `d`, as the operator's pipeline.
    pub async fn session(&self, d: DeploymentId) -> lfr_store::sessions::RecognitionSession {
        self.session_as(&self.operator, d).await
    }

    pub async fn session_as(
        &self,
        user: &User,
        d: DeploymentId,
    ) -> lfr_store::sessions::RecognitionSession {
        self.store
            .open_recognition_session(user, d, TEST_ALGORITHM, "")
            .await
            .unwrap()
    }

    pub fn new_alert(&self, img: ImageId, score: f64) -> lfr_store::alerts::NewAlert {
        lfr_store::alerts::NewAlert {
            candidate_image: img,
            camera: "van-1-left".into(),
            score,
            threshold: 0.64,
            recognition_ms: 180,
            probe: PROBE_MARKER.to_vec(),
        }
    }
}

/// What [`World::running_with_volunteer`] made.
pub struct Volunteer {
    pub d: DeploymentId,
    pub standard: WatchlistId,
    pub inclusion: InclusionId,
    pub image: ImageId,
    /// A sought person on the standard watchlist.
    pub subject: InclusionId,
    pub subject_image: ImageId,
}

/// A prepared inclusion, as `import::prepare` returns after the engine has
/// graded the image and made its template.
pub fn entry(reference: &str, name: &str) -> PreparedEntry {
    PreparedEntry {
        entry: ManifestEntry {
            reference: reference.into(),
            name: name.into(),
            category: Category::WantedByCourts,
            justification: "Warrant issued for failing to appear at court".into(),
            source: "PNC warrant WA/2026/1".into(),
            under_18: false,
            images: vec![],
        },
        images: vec![image(None)],
    }
}

pub fn image(consent: Option<Consent>) -> PreparedImage {
    PreparedImage {
        file: "front.jpg".into(),
        bytes: IMAGE_MARKER.to_vec(),
        consent,
        grade: QualityGrade::Good,
        reasons: vec![],
        template: Template {
            algorithm: TEST_ALGORITHM.into(),
            vector: vec![0.25; 128],
        },
    }
}
