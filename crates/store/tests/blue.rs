//! Blue Watchlist passes marked live: recognised or not by the alerts the
//! pipeline raised between start and end, counted in the True Recognition
//! Rate of the figures and the post-deployment report, kept across a
//! restart, and each refusal audited.

mod common;

use common::*;
use lfr_domain::SignedDuration;
use lfr_domain::blue::PassState;
use lfr_store::StoreError;
use lfr_store::audit::AuditFilter;

fn secs(s: i64) -> SignedDuration {
    SignedDuration::from_secs(s)
}

async fn audit_details(w: &World, target: &str, refused: bool) -> Vec<String> {
    let f = AuditFilter {
        target: Some(target.into()),
        refused_only: refused,
        limit: 100,
        ..Default::default()
    };
    w.store
        .audit_entries(&w.auditor, &f)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            format!(
                "{} {} {} {}",
                e.event.actor, e.event.action, e.event.outcome, e.event.detail
            )
        })
        .collect()
}

#[tokio::test]
async fn a_pass_is_recognised_by_the_volunteers_alert_and_counts_in_the_trr() {
    let w = World::new().await;
    let v = w.running_with_volunteer().await;
    let p = w
        .store
        .start_blue_pass(&w.operator, v.d, v.inclusion, Some("van-1-left"), None)
        .await
        .unwrap();
    assert_eq!(p.state, PassState::Open);
    assert_eq!(p.ends_by, w.now().checked_add(secs(120)).unwrap());
    w.clock.advance(secs(20));
    let a = w
        .store
        .raise_alert(&w.session(v.d).await, w.new_alert(v.image, 0.8))
        .await
        .unwrap();
    // While open, the list shows the alert seen so far.
    let list = w.store.blue_passes(&w.silver, v.d).await.unwrap();
    assert_eq!(
        (list[0].state, list[0].alert),
        (PassState::Open, Some(a.id))
    );
    w.clock.advance(secs(10));
    let done = w.store.end_blue_pass(&w.operator, p.id).await.unwrap();
    assert_eq!(done.state, PassState::Recognised);
    assert_eq!(done.alert, Some(a.id));
    assert_eq!(done.ended_at, Some(w.now()));

    // A second walk where only a sought person alerts: not recognised.
    let p2 = w
        .store
        .start_blue_pass(&w.operator, v.d, v.inclusion, None, Some(secs(60)))
        .await
        .unwrap();
    w.clock.advance(secs(5));
    w.store
        .raise_alert(&w.session(v.d).await, w.new_alert(v.subject_image, 0.9))
        .await
        .unwrap();
    let done = w.store.end_blue_pass(&w.operator, p2.id).await.unwrap();
    assert_eq!((done.state, done.alert), (PassState::NotRecognised, None));

    let m = w.store.metrics(&w.silver, v.d).await.unwrap();
    assert_eq!((m.blue_passes, m.blue_passes_recognised), (2, 1));
    assert_eq!(m.true_recognition_rate, Some(0.5));
    let (lo, hi) = m.true_recognition_rate_ci.unwrap();
    assert!(lo < 0.1 && hi > 0.9, "two passes say little: {lo}..{hi}");
    let r = w.store.public_report(&w.silver, v.d).await.unwrap();
    assert_eq!((r.blue_passes, r.true_recognition_rate), (2, Some(0.5)));
    assert_eq!(
        audit_details(&w, &format!("BP{}", p.id), false).await[0],
        format!(
            "operator blue_pass.end allowed ended: recognised by A{}",
            a.id
        )
    );
}

#[tokio::test]
async fn alerts_outside_the_pass_or_on_another_camera_do_not_count() {
    let w = World::new().await;
    let v = w.running_with_volunteer().await;
    // Before the start.
    w.store
        .raise_alert(&w.session(v.d).await, w.new_alert(v.image, 0.9))
        .await
        .unwrap();
    w.clock.advance(secs(1));
    let p = w
        .store
        .start_blue_pass(&w.operator, v.d, v.inclusion, None, None)
        .await
        .unwrap();
    // After the window, but before anything ended the pass.
    w.clock.advance(secs(121));
    w.store
        .raise_alert(&w.session(v.d).await, w.new_alert(v.image, 0.9))
        .await
        .unwrap();
    let ended = w.store.end_due_blue_passes().await.unwrap();
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].state, PassState::NotRecognised);
    assert_eq!(
        ended[0].ended_at,
        Some(p.ends_by),
        "ends at its window's end"
    );
    assert_eq!(
        audit_details(&w, &format!("BP{}", p.id), false).await[0],
        "system blue_pass.end allowed window over: not recognised"
    );
    // Nothing left to end.
    assert!(w.store.end_due_blue_passes().await.unwrap().is_empty());

    // A pass past a named camera counts only that camera's alerts.
    let p = w
        .store
        .start_blue_pass(&w.operator, v.d, v.inclusion, Some("van-2"), None)
        .await
        .unwrap();
    w.store
        .raise_alert(&w.session(v.d).await, w.new_alert(v.image, 0.9))
        .await
        .unwrap(); // on van-1-left
    let done = w.store.end_blue_pass(&w.operator, p.id).await.unwrap();
    assert_eq!(done.state, PassState::NotRecognised);
    let m = w.store.metrics(&w.silver, v.d).await.unwrap();
    assert_eq!((m.blue_passes, m.true_recognition_rate), (2, Some(0.0)));
}

#[tokio::test]
async fn a_cancelled_pass_counts_for_nothing_and_is_audited() {
    let w = World::new().await;
    let v = w.running_with_volunteer().await;
    let p = w
        .store
        .start_blue_pass(&w.operator, v.d, v.inclusion, None, None)
        .await
        .unwrap();
    w.store
        .raise_alert(&w.session(v.d).await, w.new_alert(v.image, 0.9))
        .await
        .unwrap();
    w.store
        .cancel_blue_pass(&w.operator, p.id, "volunteer turned back at the cordon")
        .await
        .unwrap();
    let m = w.store.metrics(&w.silver, v.d).await.unwrap();
    assert_eq!((m.blue_passes, m.true_recognition_rate), (0, None));
    assert!(
        w.store
            .blue_passes(&w.operator, v.d)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        audit_details(&w, &format!("BP{}", p.id), false).await[0],
        "operator blue_pass.cancel allowed cancelled: volunteer turned back at the cordon"
    );
    // Gone: it cannot be ended afterwards.
    assert!(matches!(
        w.store.end_blue_pass(&w.operator, p.id).await,
        Err(StoreError::NotFound(_))
    ));
}

#[tokio::test]
async fn open_passes_survive_a_restart_and_end_at_their_window() {
    let w = World::new().await;
    let v = w.running_with_volunteer().await;
    let p = w
        .store
        .start_blue_pass(&w.operator, v.d, v.inclusion, Some("van-1-left"), None)
        .await
        .unwrap();
    w.clock.advance(secs(30));
    w.store
        .raise_alert(&w.session(v.d).await, w.new_alert(v.image, 0.9))
        .await
        .unwrap();
    // The server stops; another opens the same database later.
    let again = lfr_store::Store::open(&w.url, &w.dir.path().join("keys"), false, w.clock.clone())
        .await
        .unwrap();
    let open = again.blue_passes(&w.operator, v.d).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!((open[0].id, open[0].state), (p.id, PassState::Open));
    assert_eq!(open[0].camera.as_deref(), Some("van-1-left"));
    w.clock.advance(secs(600));
    let ended = again.end_due_blue_passes().await.unwrap();
    assert_eq!(ended.len(), 1);
    assert_eq!(
        (ended[0].state, ended[0].ended_at),
        (PassState::Recognised, Some(p.ends_by))
    );
    let listed = w.store.blue_pass(&w.auditor, p.id).await.unwrap();
    assert_eq!(listed, ended[0], "the record reads back as it was ended");
}

#[tokio::test]
async fn passes_are_refused_by_their_rules_and_every_refusal_is_audited() {
    let w = World::new().await;
    let v = w.running_with_volunteer().await;
    let target = format!("D{}", v.d);
    let start = |who, inclusion, window| {
        let w = &w;
        async move {
            w.store
                .start_blue_pass(who, v.d, inclusion, None, window)
                .await
        }
    };
    for who in [&w.engagement, &w.silver, &w.auditor, &w.engineer] {
        assert_eq!(
            rule(start(who, v.inclusion, None).await.unwrap_err()),
            "role_permits"
        );
    }
    assert_eq!(
        rule(start(&w.operator, v.subject, None).await.unwrap_err()),
        "blue_pass_is_a_volunteer"
    );
    assert_eq!(
        rule(
            start(&w.operator, v.inclusion, Some(secs(5)))
                .await
                .unwrap_err()
        ),
        "blue_pass_window_is_bounded"
    );
    let p = start(&w.operator, v.inclusion, None).await.unwrap();
    assert_eq!(
        rule(start(&w.operator, v.inclusion, None).await.unwrap_err()),
        "blue_pass_one_at_a_time"
    );
    assert_eq!(
        rule(
            w.store
                .end_blue_pass(&w.engagement, p.id)
                .await
                .unwrap_err()
        ),
        "role_permits"
    );
    w.store.end_blue_pass(&w.operator, p.id).await.unwrap();
    assert_eq!(
        rule(w.store.end_blue_pass(&w.operator, p.id).await.unwrap_err()),
        "blue_pass_is_open"
    );
    assert_eq!(
        rule(
            w.store
                .cancel_blue_pass(&w.operator, p.id, "")
                .await
                .unwrap_err()
        ),
        "blue_pass_is_open"
    );
    w.store
        .suspend(&w.silver, v.d, "crowd surge")
        .await
        .unwrap();
    assert_eq!(
        rule(start(&w.operator, v.inclusion, None).await.unwrap_err()),
        "recognition_requires_active_authorisation"
    );
    // Who reads: the operator and those who answer for the figures.
    assert_eq!(
        rule(w.store.blue_passes(&w.engagement, v.d).await.unwrap_err()),
        "role_permits"
    );
    for who in [&w.operator, &w.silver, &w.gold, &w.ao, &w.auditor] {
        assert_eq!(w.store.blue_passes(who, v.d).await.unwrap().len(), 1);
    }

    let refused = audit_details(&w, &target, true).await;
    for r in [
        "blue_pass_is_a_volunteer",
        "blue_pass_window_is_bounded",
        "blue_pass_one_at_a_time",
        "recognition_requires_active_authorisation",
    ] {
        assert!(
            refused
                .iter()
                .any(|e| e.contains("blue_pass.start") && e.contains(r)),
            "{r} is audited: {refused:?}"
        );
    }
    let starts_refused = refused
        .iter()
        .filter(|e| e.contains("blue_pass.start refused role_permits"))
        .count();
    assert_eq!(starts_refused, 4, "{refused:?}");
    let on_pass = audit_details(&w, &format!("BP{}", p.id), true).await;
    assert_eq!(on_pass.len(), 3, "{on_pass:?}");
}
