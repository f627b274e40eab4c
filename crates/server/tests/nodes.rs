//! Two nodes on one PostgreSQL database: an alert, a decision, a
//! deployment's change and a camera's figures announced on one node reach
//! the other's event stream and dashboard; a node that goes silent has its
//! cameras shown as failed. Needs a PostgreSQL server
//! (`scripts/test-store-postgres` sets one up and runs this test).

mod common;

use std::time::Duration;

use common::*;
use lfr_domain::ids::{AlertId, DeploymentId};
use lfr_domain::watchlist::Category;
use lfr_server::Event;
use lfr_server::cameras::CameraStatus;
use reqwest::StatusCode;
use serde_json::json;

/// Two nodes, A and B, on a fresh PostgreSQL database; `None` (said
/// loudly) when no server is configured.
async fn two_nodes() -> Option<(Server, Server)> {
    let Some(admin) = lfr_testkit::postgres_admin() else {
        eprintln!(
            "SKIPPED: this test needs PostgreSQL: set LFR_TEST_POSTGRES, or run scripts/test-store-postgres"
        );
        return None;
    };
    let url = lfr_testkit::fresh_postgres(&admin).await;
    let a = start_on(tempfile::tempdir().unwrap(), url).await;
    let b = a.node("B").await;
    Some((a, b))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_one_node_announces_reaches_the_other() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let (d, _, image) = running_with_volunteer(&a).await;
    let mut on_b = b.fetch(Some("operator"), "/api/events").await;
    let mut on_a = a.fetch(Some("silver"), "/api/events").await;
    assert_eq!(on_b.status(), StatusCode::OK);

    // The pipeline on A raises an alert: B's operator hears of it, with detail.
    let session = a.session(d).await;
    let id = raise(&a, &session, image).await;
    let alert = a
        .store
        .alert(&a.users["operator"], AlertId(id))
        .await
        .unwrap();
    a.hub.alert_raised(&alert, Some(Category::Volunteer));
    let line = event_with(&mut on_b, &format!("\"alert\":\"A{id}\"")).await;
    assert!(line.contains("alert.raised"), "{line}");
    assert!(line.contains("\"score\":0.9"), "{line}");
    assert!(line.contains("\"category\":\"volunteer\""), "{line}");

    // How long from an alert's commit on A to its arrival on B's stream
    // (reported, not asserted: timings belong to benchmarks).
    let mut took = Vec::new();
    for _ in 0..40 {
        let id = raise(&a, &session, image).await;
        let committed = std::time::Instant::now();
        let alert = a
            .store
            .alert(&a.users["operator"], AlertId(id))
            .await
            .unwrap();
        a.hub.alert_raised(&alert, Some(Category::Volunteer));
        event_with(&mut on_b, &format!("\"alert\":\"A{id}\"")).await;
        took.push(committed.elapsed());
    }
    took.sort();
    eprintln!(
        "alert committed on A to B's event stream, {} alerts: p50 {:?}, p95 {:?}, max {:?}",
        took.len(),
        took[took.len() / 2],
        took[took.len() * 95 / 100],
        took[took.len() - 1]
    );

    // B's operator decides; A's console hears of it.
    let (status, body) = b
        .post(
            "operator",
            &format!("/api/alerts/{id}/adjudication"),
            json!({ "decision": "false_alert_no_engagement" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let line = event_with(&mut on_a, "\"type\":\"alert.updated\"").await;
    assert!(line.contains(&format!("\"alert\":\"A{id}\"")), "{line}");
    assert!(line.contains("\"by\":\"operator\""), "{line}");

    // The Silver Commander suspends on A; B hears it (B's cameras would pause).
    let (status, body) = a
        .post(
            "silver",
            &format!("/api/deployments/{d}/suspend"),
            json!({ "reason": "crowd too dense" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let line = event_with(&mut on_b, "\"type\":\"deployment.changed\"").await;
    assert!(line.contains("\"state\":\"suspended\""), "{line}");

    // A's camera shows on B's dashboard, figures and all.
    a.cameras.report(CameraStatus {
        location: "Queen Street north".into(),
        faces_scanned: 130,
        frames_analysed: 900,
        last_frame_at: Some(lfr_base::Timestamp::now()),
        ..CameraStatus::new(DeploymentId(d), "north", "streaming")
    });
    a.hub.publish(Event::CameraFigures {
        deployment: DeploymentId(d),
        camera: "north".into(),
    });
    event_with(&mut on_b, "\"type\":\"camera.figures\"").await;
    let (status, f) = b
        .get("silver", &format!("/api/deployments/{d}/figures"))
        .await;
    assert_eq!(status, StatusCode::OK, "{f}");
    let camera = north(&f);
    assert_eq!(camera["faces_scanned"], 130, "{f}");
    assert_eq!(camera["state"], "streaming", "{f}");
    // A goes (its process ends): B shows its camera as failed, naming the node.
    drop(on_a);
    drop(a);
    let went = std::time::Instant::now();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    loop {
        let (_, f) = b
            .get("silver", &format!("/api/deployments/{d}/figures"))
            .await;
        if north(&f)["state"] == "failed" {
            let detail = north(&f)["detail"].to_string();
            assert!(detail.contains("node A"), "{f}");
            eprintln!(
                "B showed A's camera as failed {:?} after A went",
                went.elapsed()
            );
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "A's camera still shown as {} on B 8 s after A went: {f}",
            north(&f)["state"]
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The camera "north" in a deployment's figures.
fn north(f: &serde_json::Value) -> serde_json::Value {
    f["cameras"]
        .as_array()
        .and_then(|l| l.iter().find(|c| c["camera"] == "north"))
        .cloned()
        .unwrap_or_else(|| panic!("no camera north in {f}"))
}

#[tokio::test]
async fn on_sqlite_a_node_relays_nothing() {
    let s = start().await;
    assert!(
        s.relaying.is_none(),
        "one SQLite file is one process's: there is no other node to tell"
    );
    assert!(!s.store.shared());
}
