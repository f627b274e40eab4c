//! The HTTP side over a real store and a real socket: every operation of the
//! OpenAPI document is routed, roles are refused with the rule that refused
//! them, browser sessions behave as documented, and what goes out without a
//! sign-in (metrics, the event stream's bare form) carries no alert context.
//! The console in a real browser is tested by crates/cli/tests/console_browser.rs.

mod common;

use common::*;
use lfr_base::Timestamp;
use lfr_domain::role::Role;
use lfr_server::api::openapi::OPERATIONS;
use lfr_server::cameras::CameraStatus;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let s = start().await;
    let doc = s.openapi().await;
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
    let unrouted = s.fetch(None, "/api/no-such-route").await;
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
            .replace("{p}", "1")
            .replace("{c}", "1")
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

/// A valid example of `schema` from the served document: enough for the
/// request to reach the store, so that only the role can refuse it first.
fn example(doc: &Value, schema: &Value) -> Value {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap();
        return example(doc, &doc["components"]["schemas"][name]);
    }
    if let Some(first) = schema["anyOf"].get(0) {
        return example(doc, first);
    }
    if let Some(e) = schema["enum"].get(0) {
        return e.clone();
    }
    if !schema["default"].is_null() {
        return schema["default"].clone();
    }
    let ty = match &schema["type"] {
        Value::Array(types) => types[0].as_str().unwrap().to_string(),
        t => t.as_str().unwrap_or("object").to_string(),
    };
    match ty.as_str() {
        "string" if schema["format"] == "date-time" => json!("2026-12-06T12:00:00Z"),
        "string" => json!("example"),
        "integer" => json!(1),
        "number" => json!(0.7),
        "boolean" => json!(false),
        "array" => json!([example(doc, &schema["items"])]),
        _ => {
            let mut o = serde_json::Map::new();
            for k in schema["required"].as_array().into_iter().flatten() {
                let k = k.as_str().unwrap();
                o.insert(k.into(), example(doc, &schema["properties"][k]));
            }
            Value::Object(o)
        }
    }
}

/// Every route, called by every role, is refused under `role_permits`
/// exactly when the role table refuses that role the route's action: the
/// API cannot let a role do what the table forbids, nor forbid what it allows.
#[tokio::test]
async fn every_route_refuses_exactly_the_roles_the_table_refuses() {
    let s = start().await;
    let doc = s.openapi().await;
    let people = [
        "admin", "operator", "engager", "silver", "auditor", "ao", "gold", "engineer",
    ];
    let covered: std::collections::BTreeSet<Role> = people
        .iter()
        .flat_map(|p| s.users[p].roles.clone())
        .collect();
    assert_eq!(covered.len(), Role::ALL.len(), "every role is tried");
    let mut checked = 0;
    for op in OPERATIONS {
        // Public routes, the session itself and the endless event stream have no action to check.
        if op.public || op.path == "/api/session" || op.answer == "events" {
            continue;
        }
        let path = op.path.replace("{u}", "nobody").replace(['{', '}'], "");
        let path = path
            .split('/')
            .map(|seg| match seg {
                "d" | "a" | "w" | "i" | "img" | "p" | "c" => "1",
                seg => seg,
            })
            .collect::<Vec<_>>()
            .join("/");
        let body = op.body.map(|b| {
            example(
                &doc,
                &json!({ "$ref": format!("#/components/schemas/{b}") }),
            )
        });
        for who in people {
            let url = format!("{}{path}", s.base);
            let req = match op.method {
                "get" => s.http.get(&url),
                "post" => s.http.post(&url).json(body.as_ref().unwrap_or(&json!({}))),
                "delete" => s.http.delete(&url),
                m => panic!("unexpected method {m}"),
            };
            let r = req
                .header("authorization", s.bearer(who))
                .send()
                .await
                .unwrap();
            let status = r.status();
            let answer: Value = r.json().await.unwrap_or(Value::Null);
            // A refused role must be told so by the role table, not by the body or the id:
            // the example bodies are valid, so a refusal here comes from the store's check.
            let refused_by_role =
                status == StatusCode::FORBIDDEN && answer["rule"] == "role_permits";
            let allowed = match op.action {
                Some(a) => s.users[who].has_any(a.allowed_roles()),
                None => true,
            };
            assert_eq!(
                refused_by_role, !allowed,
                "{} {} by {who} (action {:?}): {status} {answer}",
                op.method, op.path, op.action
            );
            checked += 1;
        }
    }
    assert!(checked > 300, "{checked} calls checked");
}

/// A client that keeps failing to sign in is held off for the rest of the
/// minute, before its tokens are looked up; the answer says how long.
#[tokio::test]
async fn a_client_failing_to_sign_in_is_held_off() {
    let s = start().await;
    let limit = lfr_server::throttle::FAILED_SIGN_INS_PER_MINUTE;
    let call = |token: String| {
        let (http, url) = (s.http.clone(), format!("{}/api/deployments", s.base));
        async move {
            http.get(url)
                .header("authorization", format!("Bearer {token}"))
                .send()
                .await
                .unwrap()
        }
    };
    for n in 0..limit {
        let r = call(format!("lfr_guess{n}")).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let r = call("lfr_guess-after".into()).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let body: Value = r.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("try again in"),
        "{body}"
    );
    // The console's sign-in is the same door.
    let r = s
        .http
        .post(format!("{}/api/session", s.base))
        .json(&json!({ "token": "lfr_guess-form" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // The failures are audited (aggregated by the store, one entry a minute).
    let (_, log) = s.get_unthrottled_audit().await;
    assert!(log.contains("unknown or revoked token"), "{log}");
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

    let r = s.fetch(None, "/api/deployments").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // The refusals are audited, and the auditor can read them.
    let (_, r) = s.get("auditor", "/api/audit?refused=true").await;
    let refused: Vec<_> = r
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e.to_string().contains("alert.adjudicate"))
        .collect();
    assert_eq!(refused.len(), 3, "three refused adjudications audited: {r}");

    // The auditor's page gives each entry's time to the second.
    let html = s
        .fetch(Some("auditor"), "/console/audit")
        .await
        .text()
        .await
        .unwrap();
    let seconds = regex_free_time(&html);
    assert!(seconds, "audit times carry seconds: {html}");

    // A console page the role may not open is refused in HTML, with the rule.
    let r = s.fetch(Some("operator"), "/console/audit").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("role_permits"));
}

/// Whether `html` holds a time written `HH:MM:SS` followed by a zone.
fn regex_free_time(html: &str) -> bool {
    html.split("<td>").any(|cell| {
        let b = cell.as_bytes();
        b.len() > 19
            && b[10] == b' '
            && b[13] == b':'
            && b[16] == b':'
            && b[11..19].iter().filter(|c| c.is_ascii_digit()).count() == 6
    })
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
    let mut r = s.fetch(Some("auditor"), "/api/events").await;
    assert_eq!(r.status(), StatusCode::OK);
    let first = String::from_utf8(r.chunk().await.unwrap().unwrap().to_vec()).unwrap();
    assert!(first.contains("event: hello"), "{first}");
    assert!(first.contains("\"detail\":false"), "{first}");

    // Metrics are per camera and live: not for anyone who asks.
    assert_eq!(
        s.fetch(None, "/metrics").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        s.fetch(Some("operator"), "/metrics").await.status(),
        StatusCode::FORBIDDEN
    );
    let metrics = s
        .fetch(Some("silver"), "/metrics")
        .await
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("# TYPE lfr_alerts_raised_total counter"));
    assert!(
        metrics.contains("lfr_event_stream_listeners 1"),
        "{metrics}"
    );
}
#[tokio::test]
async fn live_totals_add_what_the_cameras_have_not_yet_recorded() {
    let s = start().await;
    let (d, _, _) = running_with_volunteer(&s).await;
    let dep = lfr_domain::ids::DeploymentId(d);
    // A minute ago the pipeline wrote 100 faces and 2 dropped frames.
    let session = s.session(d).await;
    s.store
        .record_counts(&session, "north", 100, 2, None)
        .await
        .unwrap();
    // Since then the camera counted 30 more faces and 5 more drops.
    s.cameras.report(CameraStatus {
        deployment: dep,
        name: "north".into(),
        location: "Queen Street north".into(),
        state: "streaming".into(),
        frames_analysed: 900,
        faces_scanned: 130,
        dropped_frames: 7,
        unrecorded_faces: 30,
        unrecorded_dropped: 5,
        detail: None,
        last_frame_at: Some(lfr_base::Timestamp::now()),
        state_since: None,
    });
    let (status, f) = s
        .get("silver", &format!("/api/deployments/{d}/figures"))
        .await;
    assert_eq!(status, StatusCode::OK, "{f}");
    assert_eq!(f["totals"]["faces_scanned"], 130, "{f}");
    assert_eq!(f["totals"]["dropped_frames"], 7);
    assert_eq!(f["cameras"][0]["faces_scanned"], 130);
    // The dashboard's tiles and its camera table agree.
    let page = s
        .fetch(Some("silver"), &format!("/console/dashboard?d={d}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"id="t-faces">130<"#), "{page}");
    assert!(page.contains(r#"id="t-dropped">7<"#), "{page}");
    // What the commander must keep in view: when the authority runs out,
    // and how large the watchlist is.
    assert!(page.contains("in force until <strong>"), "{page}");
    assert!(
        page.contains("1 inclusion(s) on 1 watchlist(s), 1 Blue Watchlist volunteer(s)"),
        "{page}"
    );
}

#[tokio::test]
async fn blue_passes_are_marked_by_the_operator_and_decided_by_the_alerts() {
    let s = start().await;
    let (d, volunteer, image) = running_with_volunteer(&s).await;
    let passes = format!("/api/deployments/{d}/blue-passes");
    let mut events = s.fetch(Some("silver"), "/api/events").await;

    // Only the operator marks passes; each refusal names the rule.
    for who in ["engager", "silver", "auditor", "admin"] {
        let (status, body) = s
            .post(who, &passes, json!({ "inclusion": volunteer }))
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{who} starting a pass: {body}"
        );
        assert_eq!(body["rule"], "role_permits", "{who}: {body}");
    }
    // The console's form sends the id as text, an empty camera and a window.
    let (status, p) = s
        .post(
            "operator",
            &passes,
            json!({ "inclusion": format!("I{volunteer}"), "camera": "", "window_seconds": 60 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["state"], "open");
    assert_eq!(p["camera"], Value::Null);
    let pass = p["id"].as_i64().unwrap();
    event_with(&mut events, "\"action\":\"start\"").await;
    let (status, again) = s
        .post("operator", &passes, json!({ "inclusion": volunteer }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(again["rule"], "blue_pass_one_at_a_time", "{again}");

    // The pipeline (in this process, never through the API) alerts on the volunteer.
    let session = s.session(d).await;
    let alert = json!({ "id": raise(&s, &session, image).await });
    let (status, list) = s.get("silver", &passes).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list[0]["reference"], "V1");
    assert_eq!(
        list[0]["alert"], alert["id"],
        "the alert seen so far: {list}"
    );
    let (status, _) = s.get("auditor", &passes).await;
    assert_eq!(status, StatusCode::OK, "the auditor reads passes");
    let (status, body) = s.get("engager", &passes).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // A body cannot say it was recognised: the store decides from the alerts.
    let (status, body) = s
        .post("silver", &format!("/api/blue-passes/{pass}/end"), json!({}))
        .await;
    assert_eq!(
        (status, body["rule"].clone()),
        (StatusCode::FORBIDDEN, json!("role_permits"))
    );
    let (status, ended) = s
        .post(
            "operator",
            &format!("/api/blue-passes/BP{pass}/end"),
            json!({ "state": "not_recognised" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{ended}");
    assert_eq!(ended["state"], "recognised");
    assert_eq!(ended["alert"], alert["id"]);
    // The dashboards hear of it, and the figures carry the TRR with its interval.
    let e = event_with(&mut events, "\"state\":\"recognised\"").await;
    assert!(
        e.contains(&format!("BP{pass}")) && e.contains("\"action\":\"end\""),
        "{e}"
    );
    let (_, f) = s
        .get("silver", &format!("/api/deployments/{d}/figures"))
        .await;
    assert_eq!(f["totals"]["true_recognition_rate"], 1.0, "{f}");
    assert_eq!(f["totals"]["blue_passes"], 1);
    assert_eq!(f["totals"]["blue_passes_recognised"], 1);
    assert_eq!(f["totals"]["true_recognition_rate_ci"][1], 1.0);
    assert!(f["totals"]["true_recognition_rate_ci"][0].as_f64().unwrap() < 0.3);
    assert_eq!(f["blue_passes_open"], 0);

    // The console shows the same: the operator's passes page and the commander's dashboard.
    let page = |who: &'static str, path: String| {
        let (http, url, auth) = (s.http.clone(), format!("{}{path}", s.base), s.bearer(who));
        async move {
            let r = http
                .get(url)
                .header("authorization", auth)
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let (status, html) = page("operator", format!("/console/blue-passes?d={d}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("100% (1 of 1 passes; 95% interval"), "{html}");
    assert!(
        html.contains(&format!("Recognised (alert A{})", alert["id"])),
        "{html}"
    );
    let (_, html) = page("silver", format!("/console/dashboard?d={d}")).await;
    assert!(
        html.contains("id=\"t-trr\" data-recognised=\"1\" data-passes=\"1\""),
        "{html}"
    );
    // The AO and the auditor reach the dashboard from the navigation and see the TRR.
    for who in ["ao", "auditor"] {
        let (status, html) = page(who, format!("/console/dashboard?d={d}")).await;
        assert_eq!(status, StatusCode::OK, "{who}");
        assert!(
            html.contains("href=\"/console/dashboard\""),
            "{who}: {html}"
        );
        assert!(html.contains("data-passes=\"1\""), "{who}: {html}");
    }
    let (status, _) = page("engager", format!("/console/blue-passes?d={d}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A cancelled pass counts for nothing, and is audited with its reason.
    let (_, p2) = s
        .post("operator", &passes, json!({ "inclusion": volunteer }))
        .await;
    let p2 = p2["id"].as_i64().unwrap();
    let (_, f) = s
        .get("silver", &format!("/api/deployments/{d}/figures"))
        .await;
    assert_eq!(f["blue_passes_open"], 1);
    let (status, body) = s
        .post(
            "operator",
            &format!("/api/blue-passes/{p2}/cancel"),
            json!({ "reason": "did not set off" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, f) = s
        .get("silver", &format!("/api/deployments/{d}/figures"))
        .await;
    assert_eq!(
        (
            f["totals"]["blue_passes"].clone(),
            f["blue_passes_open"].clone()
        ),
        (json!(1), json!(0))
    );
    let (status, body) = s
        .post(
            "operator",
            &format!("/api/blue-passes/{pass}/cancel"),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, body["rule"].clone()),
        (StatusCode::FORBIDDEN, json!("blue_pass_is_open"))
    );

    let (_, audit) = s.get("auditor", "/api/audit?limit=200").await;
    let entries = audit.as_array().unwrap();
    let count = |action: &str, outcome: &str| {
        entries
            .iter()
            .filter(|e| e["action"] == action && e["outcome"] == outcome)
            .count()
    };
    assert_eq!(
        count("blue_pass.start", "refused"),
        5,
        "four roles and the second walk"
    );
    assert_eq!(count("blue_pass.start", "allowed"), 2);
    assert_eq!(count("blue_pass.end", "refused"), 1);
    assert_eq!(count("blue_pass.end", "allowed"), 1);
    assert_eq!(count("blue_pass.cancel", "allowed"), 1);
    assert_eq!(count("blue_pass.cancel", "refused"), 1);
    assert_eq!(
        count("blue_pass.list", "refused"),
        2,
        "the engager's list, in the API and the console"
    );
    assert!(
        entries
            .iter()
            .any(|e| e["action"] == "blue_pass.cancel"
                && e["detail"] == "cancelled: did not set off"),
        "{audit}"
    );
    // The document describes the operations with the roles that hold them.
    let doc = s.openapi().await;
    let start = &doc["paths"]["/api/deployments/{d}/blue-passes"]["post"];
    assert_eq!(start["x-lfr-action"], "mark_blue_pass");
    assert!(start["description"].as_str().unwrap().contains("operator"));
}

#[tokio::test]
async fn no_route_raises_an_alert_or_adds_to_the_counts() {
    let s = start().await;
    let (d, _, image) = running_with_volunteer(&s).await;
    let probe = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgYGAAAAAEAAH2FzhVAAAAAElFTkSuQmCC"; // a 1x1 PNG
    // What a forged alert and forged counts looked like: a score and
    // another person's photograph, faces that were never scanned.
    let forged = [
        (
            "/api/alerts".to_string(),
            json!({ "deployment": d, "candidate_image": image, "camera": "van-1", "score": 0.99,
                    "threshold": 0.64, "probe_base64": probe }),
        ),
        (
            format!("/api/deployments/{d}/counts"),
            json!({ "camera": "van-1", "faces_scanned": 100000, "dropped_frames": 0 }),
        ),
    ];
    for who in ["admin", "operator", "silver"] {
        for (path, body) in &forged {
            let (status, answer) = s.post(who, path, body.clone()).await;
            assert!(
                status == StatusCode::NOT_FOUND || status == StatusCode::METHOD_NOT_ALLOWED,
                "{who}: POST {path} answered {status}: {answer}"
            );
        }
    }
    let (_, alerts) = s
        .get("operator", &format!("/api/deployments/{d}/alerts"))
        .await;
    assert_eq!(alerts, json!([]), "no alert was recorded");
    let ops: Vec<_> = OPERATIONS.iter().map(|o| o.id).collect();
    assert!(!ops.contains(&"raiseAlert") && !ops.contains(&"recordCounts"));
}

#[tokio::test]
async fn an_authorising_officer_made_through_the_api_waits_for_a_second_administrator() {
    let s = start().await;
    let (status, made) = s
        .post(
            "admin",
            "/api/users",
            json!({ "username": "supt2", "display_name": "Supt Two",
                    "roles": ["authorising_officer"], "rank": "superintendent" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{made}");
    let (status, pending) = s.get("admin", "/api/role-changes").await;
    assert_eq!(status, StatusCode::OK, "{pending}");
    let change = pending
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["username"] == "supt2")
        .expect("the AO role is pending")
        .clone();
    let (status, refused) = s
        .post(
            "admin",
            &format!("/api/role-changes/C{}/approve", change["id"]),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(refused["rule"], "approved_by_a_second_administrator");
    let (status, _) = s.get("operator", "/api/role-changes").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_ao_withdraws_authority_and_the_deployment_page_says_so() {
    let s = start().await;
    let (d, _, _) = running_with_volunteer(&s).await;
    let page = |who: &'static str| {
        let s = &s;
        async move {
            s.fetch(Some(who), &format!("/console/deployments/{d}"))
                .await
                .text()
                .await
                .unwrap()
        }
    };
    let before = page("silver").await;
    assert!(
        before.contains("In force") && !before.contains("Cancelled"),
        "{before}"
    );
    let (status, body) = s
        .post(
            "silver",
            &format!("/api/deployments/{d}/withdraw-authority"),
            serde_json::json!({ "reason": "x" }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = s
        .post(
            "ao",
            &format!("/api/deployments/{d}/withdraw-authority"),
            serde_json::json!({ "reason": "the intelligence case has lapsed" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "terminated", "{body}");
    let after = page("silver").await;
    assert!(
        after.contains("Cancelled") && !after.contains("In force"),
        "{after}"
    );
}

/// Camera health in front of the operator: a failed camera and one silent
/// for 45 s are raised above the queue and on the figures; a healthy one is not.
#[tokio::test]
async fn dead_and_silent_cameras_are_raised_above_the_queue() {
    let s = start().await;
    let (d, _, _) = running_with_volunteer(&s).await;
    let dep = lfr_domain::ids::DeploymentId(d);
    let now = lfr_base::Timestamp::now();
    let camera = |name: &str, state: &str, detail: Option<&str>, ago: Option<i64>| CameraStatus {
        detail: detail.map(str::to_string),
        last_frame_at: ago.map(|a| now.checked_sub(jiff::SignedDuration::from_secs(a)).unwrap()),
        ..CameraStatus::new(dep, name, state)
    };
    s.cameras.report(camera(
        "gate",
        "failed",
        Some("the file or folder is missing: /srv/gate.mp4"),
        None,
    ));
    s.cameras
        .report(camera("north", "streaming", None, Some(45)));
    s.cameras
        .report(camera("south", "streaming", None, Some(1)));
    // A camera that has been connecting for 40 s without a picture, and
    // one that started connecting a moment ago.
    s.cameras.report(CameraStatus {
        state_since: Some(
            now.checked_sub(jiff::SignedDuration::from_secs(40))
                .unwrap(),
        ),
        ..camera("west", "connecting", Some("rtsp://10.0.0.9/stream"), None)
    });
    s.cameras.report(CameraStatus {
        state_since: Some(now),
        ..camera("east", "connecting", None, None)
    });

    let r = s.fetch(Some("operator"), "/console/alerts").await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains("(3 need attention)"), "{page}");
    assert!(
        page.contains("connecting for 40 s, no picture yet")
            || page.contains("connecting for 41 s, no picture yet"),
        "{page}"
    );
    assert!(page.contains(r#"class="ok" data-camera="east""#), "{page}");
    assert!(
        page.contains("failed: the file or folder is missing: /srv/gate.mp4"),
        "{page}"
    );
    assert!(
        page.contains("no picture for 45 s") || page.contains("no picture for 46 s"),
        "{page}"
    );
    assert!(page.contains(r#"class="ok" data-camera="south""#), "{page}");
    let strip = s
        .fetch(Some("operator"), "/console/alerts/cameras")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        strip.starts_with("<section id=\"camera-health\""),
        "{strip}"
    );

    let (_, f) = s
        .get("silver", &format!("/api/deployments/{d}/figures"))
        .await;
    let alarm = |name: &str| {
        f["cameras"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["camera"] == name)
            .unwrap()["alarm"]
            .clone()
    };
    assert!(alarm("gate").as_str().unwrap().starts_with("failed"), "{f}");
    assert!(
        alarm("north").as_str().unwrap().starts_with("no picture"),
        "{f}"
    );
    assert_eq!(alarm("south"), Value::Null);
}

/// An open event stream ends once its caller may no longer listen: here,
/// when the account is deactivated while the stream is open.
#[tokio::test]
async fn an_event_stream_ends_when_its_caller_is_deactivated() {
    let s = start().await;
    let mut events = s.fetch(Some("engager"), "/api/events").await;
    assert_eq!(events.status(), StatusCode::OK);
    event_with(&mut events, "hello").await;
    s.store
        .set_active(&s.users["admin"], "engager", false)
        .await
        .unwrap();
    let ended = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while let Ok(Some(_)) = events.chunk().await {}
    })
    .await;
    assert!(
        ended.is_ok(),
        "the stream of a deactivated user stayed open"
    );
}

/// A second alert for a subject already dealt with is offered as a repeat
/// in the queue, and marked one through the API: it counts as the first.
#[tokio::test]
async fn a_repeat_alert_is_offered_in_the_queue_and_counts_as_the_first() {
    let s = start().await;
    let (d, _, image) = running_with_volunteer(&s).await;
    let session = s.session(d).await;
    let first = raise(&s, &session, image).await;
    let second = raise(&s, &session, image).await;
    // Nothing to repeat while the first waits.
    let page = s
        .fetch(Some("operator"), "/console/alerts")
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("data-repeat-of"), "no repeat offered yet");
    let (status, _) = s
        .post(
            "operator",
            &format!("/api/alerts/{first}/adjudication"),
            json!({ "decision": "false_alert_no_engagement" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let page = s
        .fetch(Some("operator"), "/console/alerts")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("data-repeat-of=\"{first}\""))
            && page.contains(&format!("Same subject as A{first}")),
        "the queue offers A{second} as a repeat of A{first}"
    );
    // "repeat" needs the alert it repeats.
    let (status, body) = s
        .post(
            "operator",
            &format!("/api/alerts/{second}/adjudication"),
            json!({ "decision": "repeat" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = s
        .post(
            "operator",
            &format!("/api/alerts/{second}/adjudication"),
            json!({ "decision": "repeat", "repeat_of": format!("A{first}") }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["class"], "repeat");
    assert_eq!(body["repeat_of"], first);
    let (_, figures) = s
        .get("silver", &format!("/api/deployments/{d}/figures"))
        .await;
    let totals = if figures["totals"].is_object() {
        &figures["totals"]
    } else {
        &figures
    };
    assert_eq!(totals["repeats"], 1, "{figures}");
    assert_eq!(totals["false_alerts_unconfirmed"], 2, "{figures}");
}

/// Need to know on the event stream: an operator hears the events of their
/// teams' deployments only; the Gold Commander hears every one.
#[tokio::test]
async fn the_event_stream_carries_only_the_callers_deployments() {
    let s = start().await;
    let (d1, _, _) = running_with_volunteer(&s).await;
    let (d2, _, _) = running_with_volunteer(&s).await;
    let silver = &s.users["silver"];
    let d2_id = lfr_domain::ids::DeploymentId(d2);
    s.store
        .remove_from_team(silver, d2_id, "operator")
        .await
        .unwrap();
    let mut operator = s.fetch(Some("operator"), "/api/events").await;
    let mut gold = s.fetch(Some("gold"), "/api/events").await;
    event_with(&mut operator, "hello").await;
    event_with(&mut gold, "hello").await;
    for d in [d2, d1] {
        let dep = s
            .store
            .deployment(silver, lfr_domain::ids::DeploymentId(d))
            .await
            .unwrap();
        s.hub.deployment_changed(&dep, "review", silver);
    }
    let line = event_with(&mut operator, "\"type\":\"deployment.changed\"").await;
    assert!(
        line.contains(&format!("\"deployment\":\"D{d1}\"")),
        "the operator heard D{d2}, whose team they are not on: {line}"
    );
    let line = event_with(&mut gold, "\"type\":\"deployment.changed\"").await;
    assert!(
        line.contains(&format!("\"deployment\":\"D{d2}\"")),
        "{line}"
    );
    // And the API refuses the other deployment's alerts, naming the rule.
    let (status, body) = s
        .get("operator", &format!("/api/deployments/{d2}/alerts"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body.to_string().contains("on_the_deployment_team"),
        "{body}"
    );
}

/// The retention schedule page: what will be deleted and when, for those
/// who answer for the deployment's data.
#[tokio::test]
async fn the_retention_schedule_page_says_what_goes_when() {
    let s = start().await;
    let (d, _, image) = running_with_volunteer(&s).await;
    let session = s.session(d).await;
    let id = raise(&s, &session, image).await;
    let r = s.fetch(Some("silver"), "/console/retention").await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains(&format!(r#"data-target="A{id}""#)), "{page}");
    assert!(
        page.contains("the alert&#39;s probe image") || page.contains("the alert's probe image"),
        "{page}"
    );
    assert!(
        page.contains(r#"href="/console/retention""#),
        "the commander's navigation offers it"
    );
    let op = s
        .fetch(Some("operator"), "/console/alerts")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !op.contains(r#"href="/console/retention""#),
        "the operator's navigation does not"
    );
}

/// The Silver Commander manages the team through the API and the console;
/// taking someone off takes effect at once.
#[tokio::test]
async fn the_commander_manages_the_team() {
    let s = start().await;
    let (d, _, _) = running_with_volunteer(&s).await;
    let team = format!("/api/deployments/{d}/team");
    let alerts = format!("/api/deployments/{d}/alerts");
    assert_eq!(s.get("operator", &alerts).await.0, StatusCode::OK);
    let (status, body) = s
        .post("silver", &team, json!({ "remove": "operator" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!body.to_string().contains("\"operator\""), "{body}");
    let (status, body) = s.get("operator", &alerts).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["rule"], "on_the_deployment_team", "{body}");
    // Only the commanders change it.
    let (status, body) = s
        .post("operator", &team, json!({ "add": "operator" }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = s.post("silver", &team, json!({ "add": "operator" })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(s.get("operator", &alerts).await.0, StatusCode::OK);
    let page = s
        .fetch(Some("silver"), &format!("/console/deployments/{d}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"data-user="operator""#), "{page}");
    assert!(page.contains("Add to the team"), "{page}");
}

/// The engineer moves a camera to another node through the API; everyone
/// who sees the deployment sees which node runs each camera.
#[tokio::test]
async fn the_engineer_moves_a_camera_through_the_api() {
    let s = start().await;
    let (d, _, _) = running_with_volunteer(&s).await;
    let dep = lfr_domain::ids::DeploymentId(d);
    s.store
        .add_camera(
            &s.users["engineer"],
            &lfr_store::cameras::Camera {
                deployment: dep,
                name: "north".into(),
                location: "Queen Street north".into(),
                node: "van-1".into(),
            },
            r#"{"name":"north","location":"Queen Street north","source":{"kind":"rtsp","url":"rtsp://cam:secret@10.0.0.7/s"}}"#,
        )
        .await
        .unwrap();
    let path = format!("/api/deployments/{d}/cameras/north/assign");
    let (status, body) = s.post("silver", &path, json!({ "node": "van-2" })).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let mut events = s.fetch(Some("silver"), "/api/events").await;
    let (status, body) = s.post("engineer", &path, json!({ "node": "van-2" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["node"], "van-2");
    // The nodes hear of it as a change of the deployment.
    let line = event_with(&mut events, "camera.assign").await;
    assert!(line.contains("deployment.changed"), "{line}");
    let (status, list) = s
        .get("operator", &format!("/api/deployments/{d}/cameras"))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list[0]["node"], "van-2", "{list}");
    assert!(!list.to_string().contains("secret"), "{list}");
}
