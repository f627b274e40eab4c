//! A busy queue cleared by keyboard: twenty alerts made through a
//! recognition session (as the pipeline makes them) wait in the operator's
//! queue, and the operator in Chromium decides every one with F and E
//! alone (`tests/browser/queue-keyboard.mjs`). Every decision reaches the
//! store; the time taken is reported (the target is under a
//! minute), not asserted: timings belong to benchmarks.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use lfr_store::Store;
use lfr_store::alerts::NewAlert;

const ALERTS: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_clears_twenty_alerts_by_keyboard() {
    let e = Env::new();
    let r = e.running_deployment();
    let operator = e.add_user(&r.staff.admin, "op", "operator", "constable");
    e.ok(
        Some(&r.staff.silver),
        &["deployment", "team", &r.deployment, "--add", "op"],
    );
    let d: lfr_domain::ids::DeploymentId = r.deployment.parse().unwrap();

    // Twenty matches of the watchlist's subject on one camera, as the
    // pipeline records them (one camera: each is its own track's alert).
    {
        let store = Store::open(&e.db, &e.path("keys"), false, Arc::new(lfr_base::RealClock))
            .await
            .unwrap();
        let engineer = store.authenticate(&r.staff.engineer).await.unwrap();
        let dep = store.deployment(&engineer, d).await.unwrap();
        let m = &dep.recognition;
        let session = store
            .open_recognition_session(
                &engineer,
                d,
                &m.algorithm,
                m.calibration.as_deref().unwrap_or(""),
            )
            .await
            .unwrap();
        let gallery = store.gallery(&engineer, d, &m.algorithm).await.unwrap();
        let probe = std::fs::read(shared("data/dlib-reference/images/obama2.jpg")).unwrap();
        for i in 0..ALERTS {
            let raised = store
                .raise_alert(
                    &session,
                    NewAlert {
                        candidate_image: gallery[0].image,
                        camera: "north".into(),
                        score: 0.7 + i as f64 / 100.0,
                        threshold: 0.64,
                        recognition_ms: 200,
                        probe: probe.clone(),
                    },
                )
                .await
                .unwrap();
            assert!(raised.is_new());
        }
    }

    let server = e.serve(&r.staff.engineer, &[]);
    let timing = browser::run_for_json(
        "queue-keyboard.mjs",
        vec![server.url.clone(), operator.clone(), ALERTS.to_string()],
        Duration::from_secs(180),
    )
    .await;
    eprintln!(
        "the operator cleared {} alerts by keyboard in {:.1} s (from the first key to the last decision shown as sent)",
        timing["cleared"],
        timing["seconds"].as_f64().unwrap_or(f64::NAN)
    );

    let alerts = e.json(Some(&r.staff.silver), &["alert", "list", &r.deployment]);
    let alerts = alerts.as_array().unwrap();
    assert_eq!(alerts.len(), ALERTS);
    let decided: Vec<&str> = alerts
        .iter()
        .filter_map(|a| a["adjudication"]["value"].as_str())
        .collect();
    assert_eq!(decided.len(), ALERTS, "every alert decided: {alerts:?}");
    for kind in ["false_alert_no_engagement", "passed_for_engagement"] {
        assert_eq!(
            decided.iter().filter(|v| **v == kind).count(),
            ALERTS / 2,
            "{kind}: {decided:?}"
        );
    }
}
