//! What the server's tests share: a real store (SQLite, or PostgreSQL when
//! `LFR_TEST_POSTGRES` is set), one user per role, the server on a real
//! loopback socket, and a running deployment to raise alerts in.
#![allow(dead_code)]

use std::sync::Arc;

use lfr_base::{RealClock, Timestamp};
use lfr_domain::deployment::RecognitionModel;
use lfr_domain::role::{Rank, Role, User};
use lfr_server::App;
use lfr_server::cameras::ReportedCameras;
use lfr_store::Store;
use lfr_store::users::NewUser;
use reqwest::StatusCode;
use serde_json::Value;

pub struct Server {
    /// The node's name among those sharing the database.
    pub node: String,
    /// The database, for another node to open.
    pub url: String,
    pub base: String,
    pub tokens: std::collections::HashMap<&'static str, String>,
    pub users: std::collections::HashMap<&'static str, User>,
    pub store: Arc<Store>,
    /// What the live pipeline would report of its cameras.
    pub cameras: Arc<ReportedCameras>,
    pub http: reqwest::Client,
    pub dir: Arc<tempfile::TempDir>,
    /// The node's event bus, as the live pipeline would use it.
    pub hub: lfr_server::Hub,
    /// Relaying to the other nodes (PostgreSQL only); stops when dropped.
    pub relaying: Option<lfr_server::relay::Relaying>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// A server on a fresh SQLite database.
pub async fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("lfr.db").display());
    start_on(dir, url).await
}

/// A server, node "A", on the database at `url` (fresh), with its users.
pub async fn start_on(dir: tempfile::TempDir, url: String) -> Server {
    let store = Arc::new(
        Store::open(&url, &dir.path().join("keys"), true, Arc::new(RealClock))
            .await
            .unwrap(),
    );
    let (admin, admin_token) = store.bootstrap("admin", "Admin").await.unwrap();
    let mut tokens = std::collections::HashMap::new();
    let mut users = std::collections::HashMap::new();
    tokens.insert("admin", admin_token.to_string());
    users.insert("admin", admin.clone());
    for (name, role, rank) in [
        ("operator", Role::Operator, Rank::Constable),
        ("engager", Role::EngagementOfficer, Rank::Constable),
        ("silver", Role::SilverCommander, Rank::ChiefInspector),
        ("auditor", Role::Auditor, Rank::Staff),
        ("ao", Role::AuthorisingOfficer, Rank::Superintendent),
        ("gold", Role::GoldCommander, Rank::AssistantChiefConstable),
        ("engineer", Role::SystemEngineer, Rank::Staff),
    ] {
        let (u, t) = store
            .create_user(
                &admin,
                &NewUser {
                    username: name.into(),
                    display_name: name.into(),
                    roles: vec![role],
                    rank,
                },
            )
            .await
            .unwrap();
        tokens.insert(name, t.to_string());
        users.insert(name, u);
    }
    // The AO role takes a second administrator's approval.
    let (admin2, _) = store
        .create_user(
            &admin,
            &NewUser {
                username: "admin2".into(),
                display_name: "admin2".into(),
                roles: vec![Role::Administrator],
                rank: Rank::Staff,
            },
        )
        .await
        .unwrap();
    store.reissue_token(&admin2, "admin2").await.unwrap();
    for c in store.pending_role_changes(&admin2).await.unwrap() {
        store.approve_role_change(&admin2, c.id).await.unwrap();
    }
    let ao = store
        .record_training(
            &admin,
            "ao",
            "LFR Authorising Officer course",
            Timestamp::now(),
        )
        .await
        .unwrap();
    users.insert("ao", ao);
    serve_node("A", Arc::new(dir), url, store, tokens, users).await
}

/// Serves `store` as the node `node`, relaying to other nodes when the
/// database is shared.
async fn serve_node(
    node: &str,
    dir: Arc<tempfile::TempDir>,
    url: String,
    store: Arc<Store>,
    tokens: std::collections::HashMap<&'static str, String>,
    users: std::collections::HashMap<&'static str, User>,
) -> Server {
    let cameras = Arc::new(ReportedCameras::default());
    let published = dir.path().join(format!("published-{node}"));
    let mut app = App::new(store.clone(), cameras.clone(), published).unwrap();
    app.events_recheck = std::time::Duration::from_millis(200);
    let mut relay = lfr_server::relay::Relay::new(&mut app, node);
    // Quick, so that a test sees a node go.
    relay.heartbeat = std::time::Duration::from_millis(300);
    relay.lost_after = std::time::Duration::from_secs(2);
    let relaying = relay.start(&app).await.unwrap();
    let hub = app.hub.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(lfr_server::serve(app, listener, async move {
        let _ = rx.await;
    }));
    Server {
        node: node.into(),
        url,
        base,
        tokens,
        users,
        store,
        cameras,
        http: reqwest::Client::new(),
        dir,
        hub,
        relaying,
        stop: Some(tx),
    }
}

impl Server {
    /// A recognition session of deployment `d`, opened by the pipeline's
    /// operator in this process (alerts never come through the API).
    pub async fn session(&self, d: i64) -> lfr_store::sessions::RecognitionSession {
        self.store
            .open_recognition_session(
                &self.users["operator"],
                lfr_domain::ids::DeploymentId(d),
                RecognitionModel::BUILTIN_ALGORITHM,
                "",
            )
            .await
            .unwrap()
    }

    /// Another node on the same database and keys, with the same users.
    pub async fn node(&self, name: &str) -> Server {
        let store = Arc::new(
            Store::open(
                &self.url,
                &self.dir.path().join("keys"),
                false,
                Arc::new(RealClock),
            )
            .await
            .unwrap(),
        );
        serve_node(
            name,
            self.dir.clone(),
            self.url.clone(),
            store,
            self.tokens.clone(),
            self.users.clone(),
        )
        .await
    }

    /// The audit log's text, read through the store (the client's address
    /// may be held off by the sign-in throttle).
    pub async fn get_unthrottled_audit(&self) -> ((), String) {
        let entries = self
            .store
            .audit_entries(&self.users["auditor"], &Default::default())
            .await
            .unwrap();
        ((), format!("{entries:?}"))
    }

    /// The OpenAPI document, as anyone may read it.
    pub async fn openapi(&self) -> Value {
        self.fetch(None, "/api/openapi.json")
            .await
            .json()
            .await
            .unwrap()
    }

    pub fn bearer(&self, who: &str) -> String {
        format!("Bearer {}", self.tokens[who])
    }

    /// The raw response to a GET by `who` (`None`: nobody signed in).
    pub async fn fetch(&self, who: Option<&str>, path: &str) -> reqwest::Response {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(who) = who {
            request = request.header("authorization", self.bearer(who));
        }
        request.send().await.unwrap()
    }

    pub async fn get(&self, who: &str, path: &str) -> (StatusCode, Value) {
        let r = self.fetch(Some(who), path).await;
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, who: &str, path: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("authorization", self.bearer(who))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

/// A running deployment with a standard watchlist of one sought person and
/// a Blue Watchlist of one volunteer (`V1`): the deployment, the volunteer's
/// inclusion and reference image.
pub async fn running_with_volunteer(s: &Server) -> (i64, i64, i64) {
    use lfr_domain::deployment::{Application, DeploymentStyle, UseCase};
    use lfr_domain::manifest::ManifestEntry;
    use lfr_domain::watchlist::{Category, Consent, QualityGrade, Template, WatchlistKind};
    use lfr_store::deployments::Grant;
    use lfr_store::import::{PreparedEntry, PreparedImage};

    let (store, silver, ao) = (&s.store, &s.users["silver"], &s.users["ao"]);
    let now = Timestamp::now();
    let hours = |h| lfr_base::SignedDuration::from_hours(h);
    let app = Application {
        location: "Queen Street".into(),
        use_case: UseCase::Event,
        style: DeploymentStyle::Van,
        assets: 1,
        starts_at: now,
        ends_at: now.checked_add(hours(8)).unwrap(),
        legitimate_aim: "Locating people wanted by the courts".into(),
        legal_basis: "Common law policing powers".into(),
        necessity: "Intelligence of attendance".into(),
        proportionality: "Bounded in time and place".into(),
        safeguards: "Signage, deletion, adjudication".into(),
        alternatives_considered: "Spotters alone".into(),
        watchlist_composition: "Wanted by courts".into(),
        resources: "One van".into(),
        threshold_requested: 0.64,
        threshold_reason: None,
        review_interval_minutes: 60,
    };
    let d = store.apply(silver, app).await.unwrap().id;
    for who in ["operator", "engager", "engineer"] {
        store.add_to_team(silver, d, who).await.unwrap();
    }
    store
        .authorise(
            ao,
            d,
            Grant {
                verbal_confirm_by: None,
                rationale: "Lawful, necessary and proportionate".into(),
                valid_from: Some(now),
                valid_until: now.checked_add(hours(8)).ok(),
                minimum_threshold: 0.64,
                minimum_threshold_reason: None,
            },
        )
        .await
        .unwrap();
    let entry = |reference: &str, category, consent| PreparedEntry {
        entry: ManifestEntry {
            reference: reference.into(),
            name: format!("Person {reference}"),
            category,
            justification: "Included for the reasons on file".into(),
            source: "PNC".into(),
            under_18: false,
            images: vec![],
        },
        images: vec![PreparedImage {
            file: "front.jpg".into(),
            bytes: b"IMAGE".to_vec(),
            consent,
            grade: QualityGrade::Good,
            reasons: vec![],
            template: Template {
                algorithm: RecognitionModel::BUILTIN_ALGORITHM.into(),
                vector: vec![0.25; 128],
            },
        }],
    };
    let consent = Consent {
        form_reference: "CF-1".into(),
        signed_on: "2026-11-20".into(),
        recorded_by: "PC 1".into(),
    };
    for (kind, e) in [
        (
            WatchlistKind::Standard,
            entry("S1", Category::WantedByCourts, None),
        ),
        (
            WatchlistKind::Blue,
            entry("V1", Category::Volunteer, Some(consent)),
        ),
    ] {
        let w = store
            .create_watchlist(silver, d, kind, "list")
            .await
            .unwrap()
            .id;
        store.commit_import(silver, w, &[e]).await.unwrap();
        store.approve_watchlist(ao, w, "reviewed").await.unwrap();
    }
    store.start(silver, d).await.unwrap();
    let g = store
        .gallery(&s.users["operator"], d, RecognitionModel::BUILTIN_ALGORITHM)
        .await
        .unwrap();
    let v = g
        .iter()
        .find(|e| e.category == Category::Volunteer)
        .unwrap();
    (d.0, v.inclusion.0, v.image.0)
}

/// Reads an event stream until an event whose data contains `want`.
pub async fn event_with(r: &mut reqwest::Response, want: &str) -> String {
    let mut seen = String::new();
    let found = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while let Some(c) = r.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&c));
            if let Some(line) = seen.lines().find(|l| l.contains(want)) {
                return line.to_string();
            }
        }
        String::new()
    })
    .await;
    found.unwrap_or_else(|_| panic!("no event with {want} in: {seen}"))
}

/// An alert on `image` raised by the pipeline's session (never through the API); its id.
pub async fn raise(
    s: &Server,
    session: &lfr_store::sessions::RecognitionSession,
    image: i64,
) -> i64 {
    s.store
        .raise_alert(
            session,
            lfr_store::alerts::NewAlert {
                candidate_image: lfr_domain::ids::ImageId(image),
                camera: "van-1".into(),
                score: 0.9,
                threshold: 0.64,
                recognition_ms: 0,
                probe: png(),
            },
        )
        .await
        .unwrap()
        .id
        .0
}

/// A small PNG, as a probe crop.
pub fn png() -> Vec<u8> {
    let mut bytes = Vec::new();
    image::RgbImage::new(2, 2)
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .unwrap();
    bytes
}
