//! One person, several cameras: a subject seen by another camera while
//! their alert is fresh is the same encounter, recorded on that alert as a
//! sighting instead of a second alert for the operator; on PostgreSQL two
//! nodes raising for one subject at the same moment make one alert.

mod common;

use common::*;
use lfr_domain::alert::Adjudication;
use lfr_domain::ids::ImageId;
use lfr_store::Store;
use lfr_store::alerts::NewAlert;
use lfr_store::audit::AuditFilter;

fn seen(w: &World, camera: &str, img: ImageId, score: f64) -> NewAlert {
    NewAlert {
        camera: camera.into(),
        ..w.new_alert(img, score)
    }
}

fn secs(s: i64) -> lfr_base::SignedDuration {
    lfr_base::SignedDuration::from_secs(s)
}

#[tokio::test]
async fn another_camera_seeing_a_fresh_alerts_subject_is_the_same_encounter() {
    let w = World::new().await;
    let (d, img) = w.running().await;
    let s = w.session(d).await;
    let raise = async |camera: &str, score: f64| {
        w.store
            .raise_alert(&s, seen(&w, camera, img, score))
            .await
            .unwrap()
    };

    let first = raise("left", 0.80).await;
    assert!(first.is_new());
    // 4 s later the right-hand camera sees them: a sighting of A1.
    w.clock.advance(secs(4));
    let again = raise("right", 0.85).await;
    assert!(!again.is_new(), "{again:?}");
    assert_eq!(again.id, first.id);
    assert_eq!(again.sightings.len(), 1);
    assert_eq!(
        (again.sightings[0].camera.as_str(), again.sightings[0].score),
        ("right", 0.85)
    );
    // The encounter runs on from the latest sighting: 12 s after the
    // alert, 8 s after the sighting, a third camera adds to it.
    w.clock.advance(secs(8));
    assert!(!raise("gate", 0.70).await.is_new());
    // The alert's own camera is its tracker's business: a new track there
    // is a new alert.
    let own = raise("left", 0.75).await;
    assert!(own.is_new());
    // Longer than the encounter after anyone saw them: a new alert.
    w.clock.advance(secs(11));
    let later = raise("right", 0.81).await;
    assert!(later.is_new());
    // An alert the operator judged a false match takes no sightings:
    // whoever the other camera sees may be the real subject.
    w.store
        .adjudicate(
            &w.operator,
            later.id,
            Adjudication::FalseAlertNoEngagement,
            "",
        )
        .await
        .unwrap();
    w.clock.advance(secs(1));
    assert!(raise("left", 0.9).await.is_new());

    // The operator's list: one alert per encounter, sightings on it.
    let alerts = w.store.alerts(&w.operator, d).await.unwrap();
    assert_eq!(alerts.len(), 4);
    let cameras: Vec<&str> = alerts[0]
        .sightings
        .iter()
        .map(|s| s.camera.as_str())
        .collect();
    assert_eq!(cameras, ["right", "gate"]);
    assert!(alerts[1..].iter().all(|a| a.sightings.is_empty()));
    // The sighting is audited on the alert it joined.
    let f = AuditFilter {
        target: Some(format!("A{}", first.id)),
        limit: 10,
        ..Default::default()
    };
    let entries = w.store.audit_entries(&w.auditor, &f).await.unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.event.detail.contains("seen again by camera right")),
        "{:?}",
        entries.iter().map(|e| &e.event.detail).collect::<Vec<_>>()
    );
}

/// Two nodes (two stores on one PostgreSQL database) whose cameras match
/// the same subject at the same moment: one alert, one sighting. SQLite
/// serves one node only, so this needs `LFR_TEST_POSTGRES`.
#[tokio::test]
async fn two_nodes_seeing_one_subject_at_once_make_one_alert() {
    let w = World::new().await;
    if !w.url.starts_with("postgres") {
        eprintln!(
            "SQLite serves one node: set LFR_TEST_POSTGRES (scripts/test-store-postgres) to run this"
        );
        return;
    }
    let (d, img) = w.running().await;
    let other = Store::open(&w.url, &w.dir.path().join("keys"), false, w.clock.clone())
        .await
        .unwrap();
    let s1 = w.session(d).await;
    let s2 = other
        .open_recognition_session(&w.operator, d, TEST_ALGORITHM, "")
        .await
        .unwrap();
    for round in 0..10 {
        let (a, b) = tokio::join!(
            w.store.raise_alert(&s1, seen(&w, "node-a", img, 0.8)),
            other.raise_alert(&s2, seen(&w, "node-b", img, 0.8)),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(
            [a.is_new(), b.is_new()].iter().filter(|n| **n).count(),
            1,
            "round {round}: {a:?} {b:?}"
        );
        assert_eq!(a.id, b.id, "round {round}");
        w.clock.advance(secs(60));
    }
    let alerts = w.store.alerts(&w.operator, d).await.unwrap();
    assert_eq!(alerts.len(), 10);
    assert!(alerts.iter().all(|a| a.sightings.len() == 1));
}
