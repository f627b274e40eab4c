//! The HTTP side over a real store and a real socket: every operation of the
//! OpenAPI document is routed, roles are refused with the rule that refused
//! them, browser sessions behave as documented, and what goes out without a
//! sign-in (metrics, the event stream's bare form) carries no alert context.
//! The console in a real browser is tested by crates/cli/tests/console_browser.rs.

use std::sync::Arc;

use lfr_base::RealClock;
use lfr_domain::role::{Rank, Role};
use lfr_server::App;
use lfr_server::api::openapi::OPERATIONS;
use lfr_server::cameras::NoCameras;
use lfr_store::Store;
use lfr_store::users::NewUser;
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Server {
    base: String,
    tokens: std::collections::HashMap<&'static str, String>,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

async fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("lfr.db").display());
    let store = Arc::new(
        Store::open(&url, &dir.path().join("keys"), true, Arc::new(RealClock))
            .await
            .unwrap(),
    );
    let (admin, admin_token) = store.bootstrap("admin", "Admin").await.unwrap();
    let mut tokens = std::collections::HashMap::new();
    tokens.insert("admin", admin_token.to_string());
    for (name, role, rank) in [
        ("operator", Role::Operator, Rank::Constable),
        ("engager", Role::EngagementOfficer, Rank::Constable),
        ("silver", Role::SilverCommander, Rank::ChiefInspector),
        ("auditor", Role::Auditor, Rank::Staff),
    ] {
        let (_, t) = store
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
    }
    let app = App::new(store, Arc::new(NoCameras), dir.path().join("published")).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(lfr_server::serve(app, listener, async move {
        let _ = rx.await;
    }));
    Server {
        base,
        tokens,
        http: reqwest::Client::new(),
        _dir: dir,
        stop: Some(tx),
    }
}

impl Server {
    fn bearer(&self, who: &str) -> String {
        format!("Bearer {}", self.tokens[who])
    }

    async fn post(&self, who: &str, path: &str, body: Value) -> (StatusCode, Value) {
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

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let s = start().await;
    let doc: Value = s
        .http
        .get(format!("{}/api/openapi.json", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().expect("paths");
    assert_eq!(
        paths
            .values()
            .map(|p| p.as_object().unwrap().len())
            .sum::<usize>(),
        OPERATIONS.len(),
        "the served document lists every operation"
    );
    // The mark of an unrouted path, so the loop below can recognise one.
    let unrouted = s
        .http
        .get(format!("{}/api/no-such-route", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(unrouted.status(), StatusCode::NOT_FOUND);
    assert!(
        unrouted
            .text()
            .await
            .unwrap()
            .contains("no such page or API route")
    );
    for op in OPERATIONS {
        if op.answer == "events" {
            continue; // a stream: checked below
        }
        let path = op
            .path
            .replace("{d}", "1")
            .replace("{a}", "1")
            .replace("{w}", "1")
            .replace("{i}", "1")
            .replace("{img}", "1")
            .replace("{u}", "nobody");
        let url = format!("{}{path}", s.base);
        let req = match op.method {
            "get" | "GET" => s.http.get(&url),
            "post" | "POST" => s.http.post(&url).json(&json!({})),
            "delete" | "DELETE" => s.http.delete(&url),
            m => panic!("unexpected method {m}"),
        };
        let r = req
            .header("authorization", s.bearer("admin"))
            .send()
            .await
            .unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        assert!(
            !text.contains("no such page or API route"),
            "{} {} is documented but not routed ({status})",
            op.method,
            op.path
        );
    }
}

#[tokio::test]
async fn roles_are_refused_with_the_rule_in_the_api() {
    let s = start().await;
    let decision = json!({ "decision": "false_alert_no_engagement" });
    for who in ["engager", "auditor", "silver"] {
        let (status, body) = s
            .post(who, "/api/alerts/1/adjudication", decision.clone())
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who} adjudicating: {body}");
        assert_eq!(body["rule"], "role_permits", "{who}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains("operator"),
            "the refusal says which role is needed: {body}"
        );
    }
    // The operator may adjudicate: refused only because there is no such alert.
    let (status, body) = s
        .post("operator", "/api/alerts/1/adjudication", decision)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    let r = s
        .http
        .get(format!("{}/api/deployments", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // The refusals are audited, and the auditor can read them.
    let r: Value = s
        .http
        .get(format!("{}/api/audit?refused=true", s.base))
        .header("authorization", s.bearer("auditor"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refused: Vec<_> = r
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e.to_string().contains("alert.adjudicate"))
        .collect();
    assert_eq!(refused.len(), 3, "three refused adjudications audited: {r}");

    // A console page the role may not open is refused in HTML, with the rule.
    let r = s
        .http
        .get(format!("{}/console/audit", s.base))
        .header("authorization", s.bearer("operator"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("role_permits"));
}

fn session_cookie(r: &reqwest::Response) -> String {
    let set = r
        .headers()
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .unwrap();
    for part in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(part), "the cookie is {part}: {set}");
    }
    set.split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn browser_sessions_sign_in_refuse_other_sites_and_sign_out() {
    let s = start().await;
    let r = s
        .http
        .post(format!("{}/api/session", s.base))
        .json(&json!({ "token": s.tokens["silver"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = session_cookie(&r);
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["username"], "silver");
    assert!(me["may"].as_array().unwrap().contains(&json!("suspend")));

    let who = |cookie: String| {
        let http = s.http.clone();
        let url = format!("{}/api/session", s.base);
        async move {
            http.get(url)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(who(cookie.clone()).await, StatusCode::OK);

    // A write carried by the cookie from another site's page is refused.
    let r = s
        .http
        .post(format!("{}/api/deployments/1/suspend", s.base))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .json(&json!({ "reason": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: Value = r.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("another site"));

    // A wrong token starts no session.
    let r = s
        .http
        .post(format!("{}/api/session", s.base))
        .json(&json!({ "token": "lfr_0000" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().get("set-cookie").is_none());

    let r = s
        .http
        .delete(format!("{}/api/session", s.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(who(cookie).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn events_and_metrics_without_alert_rights_carry_no_context() {
    use lfr_base::Timestamp;
    use lfr_domain::alert::Alert;
    use lfr_server::Event;

    let s = start().await;
    // What an alert event shows depends on the listener's roles.
    let alert: Alert = serde_json::from_value(json!({
        "id": 7, "deployment": 1, "inclusion": 3, "candidate_image": 4, "camera": "van-1",
        "at": Timestamp::now(), "score": 0.91, "threshold": 0.64, "recognition_ms": 180,
        "adjudication": null, "engagement": null, "policing_outcome": null, "purged_at": null
    }))
    .expect("an alert as the store serialises it");
    let e = Event::AlertRaised {
        alert,
        category: Some(lfr_domain::watchlist::Category::Witness),
    };
    let bare = e.to_json(false).to_string();
    for hidden in [
        "score",
        "0.91",
        "probe",
        "candidate",
        "witness",
        "recognition_ms",
    ] {
        assert!(!bare.contains(hidden), "{hidden} in {bare}");
    }
    assert!(bare.contains("\"alert\":\"A7\"") && bare.contains("van-1"));
    let full = e.to_json(true).to_string();
    for shown in ["score", "probe", "witness"] {
        assert!(full.contains(shown), "{shown} missing from {full}");
    }

    // The stream greets a bearer caller and says whether detail is included.
    let mut r = s
        .http
        .get(format!("{}/api/events", s.base))
        .header("authorization", s.bearer("auditor"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let first = String::from_utf8(r.chunk().await.unwrap().unwrap().to_vec()).unwrap();
    assert!(first.contains("event: hello"), "{first}");
    assert!(first.contains("\"detail\":false"), "{first}");

    let metrics = s
        .http
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("# TYPE lfr_alerts_raised_total counter"));
    assert!(
        metrics.contains("lfr_event_stream_listeners 1"),
        "{metrics}"
    );
}
