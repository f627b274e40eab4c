//! The data lifecycle: encryption at rest, retention on the clock, legal
//! holds, crypto-shredding, the public report, the audit chain, atomic
//! import and crash safety.

mod common;

use common::*;
use lfr_base::SignedDuration;
use lfr_domain::alert::Adjudication;
use lfr_domain::retention::{HoldReason, HoldTarget};
use lfr_domain::watchlist::WatchlistKind;
use lfr_store::StoreError;
use sqlx::Row;

fn db_bytes(w: &World) -> Vec<u8> {
    let mut all = Vec::new();
    for f in ["lfr.db", "lfr.db-wal"] {
        if let Ok(b) = std::fs::read(w.dir.path().join(f)) {
            all.extend(b);
        }
    }
    all
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|x| x == needle)
}

#[cfg(unix)]
#[tokio::test]
async fn the_database_files_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let w = World::sqlite().await;
    w.running().await;
    for f in ["lfr.db", "lfr.db-wal", "lfr.db-shm"] {
        let p = w.dir.path().join(f);
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{f} is {mode:o}");
    }
}

#[tokio::test]
async fn names_images_and_templates_are_encrypted_at_rest() {
    let w = World::sqlite().await;
    let (d, img) = w.running().await;
    let a = w
        .store
        .raise_alert(&w.session(d).await, w.new_alert(img, 0.7))
        .await
        .unwrap();
    // Officers' notes may name people: sealed like the rest.
    let note = "NOTE-NAMES-Zebedee-at-the-north-gate";
    w.store
        .adjudicate(&w.operator, a.id, Adjudication::PassedForEngagement, note)
        .await
        .unwrap();
    let raw = db_bytes(&w);
    assert!(raw.len() > 10_000);
    for secret in [
        SUBJECT_NAME.as_bytes(),
        IMAGE_MARKER,
        PROBE_MARKER,
        b"PNC warrant",
        note.as_bytes(),
    ] {
        assert!(
            !contains(&raw, secret),
            "{} is stored in the clear",
            String::from_utf8_lossy(secret)
        );
    }
    // ... and still readable through the store by those allowed.
    let shown = w.store.alert(&w.operator, a.id).await.unwrap();
    assert_eq!(shown.adjudication.unwrap().note, note);
    let listed = w.store.alerts(&w.operator, d).await.unwrap();
    assert_eq!(listed[0].adjudication.as_ref().unwrap().note, note);
    assert_eq!(
        w.store.reference_image(&w.operator, img).await.unwrap(),
        IMAGE_MARKER
    );
}

#[tokio::test]
async fn alert_personal_data_is_purged_at_24_hours_and_statistics_survive() {
    let w = World::new().await;
    let (d, img) = w.running().await;
    let a = w
        .store
        .raise_alert(&w.session(d).await, w.new_alert(img, 0.7))
        .await
        .unwrap();
    w.store
        .adjudicate(
            &w.operator,
            a.id,
            Adjudication::FalseAlertNoEngagement,
            "different person, glasses",
        )
        .await
        .unwrap();
    w.clock
        .advance(hours(24) - lfr_base::SignedDuration::from_secs(1));
    let s = w.store.run_retention(&w.engineer).await.unwrap();
    assert_eq!(s.alerts_purged, 0);
    assert_eq!(
        w.store.probe_image(&w.operator, a.id).await.unwrap(),
        PROBE_MARKER
    );
    w.clock.advance(lfr_base::SignedDuration::from_secs(1));
    let s = w.store.run_retention_automatically().await.unwrap();
    assert_eq!(s.alerts_purged, 1);
    assert!(matches!(
        w.store.probe_image(&w.operator, a.id).await,
        Err(StoreError::NotFound(_))
    ));
    let kept = w.store.alert(&w.operator, a.id).await.unwrap();
    assert_eq!(
        kept.adjudication.as_ref().unwrap().note,
        "",
        "free-text notes go with the personal data"
    );
    let m = w.store.metrics(&w.auditor, d).await.unwrap();
    assert_eq!(
        (m.alerts, m.false_alerts_unconfirmed),
        (1, 1),
        "statistics survive the purge"
    );
}

/// A decision recorded after the alert's personal data has gone (an
/// engagement's outcome days later) comes without a note: a note could
/// name people, and would outlive the data it is about.
#[tokio::test]
async fn a_note_is_not_kept_after_the_alerts_personal_data_has_gone() {
    let w = World::new().await;
    let (d, img) = w.running().await;
    let a = w
        .store
        .raise_alert(&w.session(d).await, w.new_alert(img, 0.7))
        .await
        .unwrap();
    w.store
        .adjudicate(&w.operator, a.id, Adjudication::PassedForEngagement, "")
        .await
        .unwrap();
    w.clock.advance(hours(25));
    assert_eq!(
        w.store
            .run_retention(&w.engineer)
            .await
            .unwrap()
            .alerts_purged,
        1
    );
    let e = w
        .store
        .record_engagement(
            &w.engagement,
            a.id,
            lfr_domain::alert::EngagementOutcome::ConfirmedTrue,
            "spoke to Zebedee at the gate",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, StoreError::Refused(r) if r.rule == lfr_domain::Rule::NoteWithinAlertRetention),
        "{e}"
    );
    w.store
        .record_engagement(
            &w.engagement,
            a.id,
            lfr_domain::alert::EngagementOutcome::ConfirmedTrue,
            "",
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_purged_probe_is_found_nowhere_in_the_database_files() {
    let w = World::sqlite().await;
    let (d, img) = w.running().await;
    let a = w
        .store
        .raise_alert(&w.session(d).await, w.new_alert(img, 0.7))
        .await
        .unwrap();
    w.store
        .adjudicate(&w.operator, a.id, Adjudication::FalseAlertNoEngagement, "")
        .await
        .unwrap();
    // The probe as stored (sealed): its bytes are what must not linger.
    let sealed: Vec<u8> = sqlx::query("SELECT probe_enc FROM alerts WHERE id = $1")
        .bind(a.id.0)
        .fetch_one(w.store.pool_for_tests())
        .await
        .unwrap()
        .get(0);
    let needle = &sealed[..48];
    assert!(
        contains(&db_bytes(&w), needle),
        "the test must see it first"
    );
    w.clock.advance(hours(25));
    let s = w.store.run_retention(&w.engineer).await.unwrap();
    assert_eq!(s.alerts_purged, 1);
    assert!(
        !contains(&db_bytes(&w), needle),
        "the purged probe's bytes are still in lfr.db or its WAL"
    );
}

/// After the watchlist's deadline nothing that could point at the person
/// is left: not the reference (a custody or case number), the image's file
/// name or the volunteer's consent record, in the rows or in the files.
#[tokio::test]
async fn a_purged_watchlist_leaves_no_reference_file_name_or_consent_behind() {
    let w = World::sqlite().await;
    let v = w.running_with_volunteer().await;
    let raw = db_bytes(&w);
    for marker in [&b"front.jpg"[..], b"CF-7", b"PC 99"] {
        assert!(contains(&raw, marker), "the test must see it first");
    }
    w.store.conclude(&w.silver, v.d).await.unwrap();
    w.clock.advance(hours(25));
    let s = w.store.run_retention(&w.engineer).await.unwrap();
    assert_eq!(s.watchlists_purged, 2);
    let raw = db_bytes(&w);
    for marker in [&b"front.jpg"[..], b"CF-7", b"PC 99", b"Volunteer One"] {
        assert!(
            !contains(&raw, marker),
            "{} is still in lfr.db or its WAL",
            String::from_utf8_lossy(marker)
        );
    }
    let refs: Vec<String> = sqlx::query("SELECT reference FROM inclusions ORDER BY id")
        .fetch_all(w.store.pool_for_tests())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let ids: Vec<String> = sqlx::query("SELECT id FROM inclusions ORDER BY id")
        .fetch_all(w.store.pool_for_tests())
        .await
        .unwrap()
        .iter()
        .map(|r| format!("I{}", r.get::<i64, _>(0)))
        .collect();
    assert_eq!(refs, ids, "references become the inclusions' own ids");
}

#[tokio::test]
async fn a_deployment_that_never_started_loses_its_watchlists_and_key_on_time() {
    let w = World::new().await;
    let (d, _) = w.authorised().await; // authorised for 24 h, never started
    // An application nobody authorised is stale after its planned end too.
    let stale = w.store.apply(&w.silver, w.application()).await.unwrap().id;
    let wl = w
        .store
        .create_watchlist(&w.silver, stale, WatchlistKind::Standard, "never used")
        .await
        .unwrap()
        .id;
    w.store
        .commit_import(&w.silver, wl, &[entry("S9", "Nobody Used")])
        .await
        .unwrap();
    // 24 h of authority, then 24 h of watchlist retention.
    w.clock
        .advance(hours(48) - lfr_base::SignedDuration::from_secs(1));
    let s = w.store.run_retention(&w.engineer).await.unwrap();
    assert_eq!(
        (s.watchlists_purged, s.keys_shredded),
        (1, 1),
        "the stale application's, 34 h after its planned end"
    );
    w.clock.advance(lfr_base::SignedDuration::from_secs(2));
    let s = w.store.run_retention(&w.engineer).await.unwrap();
    assert_eq!(
        (s.watchlists_purged, s.keys_shredded),
        (1, 1),
        "D{d}'s watchlist and key, 24 h after its authority ran out"
    );
}

#[tokio::test]
async fn watchlist_data_goes_24_hours_after_the_end_footage_at_31_days_unless_held_then_the_key() {
    let w = World::sqlite().await;
    let (d, img) = w.running().await;
    let a = w
        .store
        .raise_alert(&w.session(d).await, w.new_alert(img, 0.7))
        .await
        .unwrap();
    let clip = |n: &str| {
        let p = w.dir.path().join(n);
        std::fs::write(&p, b"footage").unwrap();
        p
    };
    let (p1, p2) = (clip("cam1-0900.mp4"), clip("cam1-1000.mp4"));
    let now = w.now();
    let _f1 = w
        .store
        .register_footage(&w.engineer, d, "cam1", p1.to_str().unwrap(), now, now)
        .await
        .unwrap();
    let f2 = w
        .store
        .register_footage(&w.engineer, d, "cam1", p2.to_str().unwrap(), now, now)
        .await
        .unwrap();
    let hold = w
        .store
        .place_hold(
            &w.gold,
            HoldTarget::Footage(f2),
            HoldReason::Complaint,
            "Complaint ref CO/123 about the stop",
        )
        .await
        .unwrap();
    assert!(
        matches!(
            w.store
                .place_hold(&w.gold, HoldTarget::Footage(f2), HoldReason::Cpia, "")
                .await,
            Err(StoreError::Refused(_))
        ),
        "a hold needs its reason recorded"
    );
    w.clock.advance(hours(4));
    w.store.conclude(&w.silver, d).await.unwrap();
    let (_, viewer) = w
        .add_user(
            "viewer",
            lfr_domain::role::Role::Operator,
            lfr_domain::role::Rank::Constable,
        )
        .await;
    w.store.add_to_team(&w.silver, d, "viewer").await.unwrap();
    // A backup taken now holds everything, sealed.
    let backup = w.dir.path().join("backup.db");
    sqlx::query(&format!("VACUUM INTO '{}'", backup.display()))
        .execute(w.store.pool_for_tests())
        .await
        .unwrap();

    w.clock
        .advance(hours(24) - lfr_base::SignedDuration::from_secs(1));
    assert_eq!(
        w.store
            .run_retention(&w.engineer)
            .await
            .unwrap()
            .watchlists_purged,
        0
    );
    // (Seen by the commander who compiled it: the alert it was beside is purged.)
    assert!(w.store.reference_image(&w.silver, img).await.is_ok());
    w.clock.advance(lfr_base::SignedDuration::from_secs(1));
    let s = w.store.run_retention(&w.engineer).await.unwrap();
    assert_eq!((s.watchlists_purged, s.images_deleted), (1, 2));
    assert!(w.store.reference_image(&w.silver, img).await.is_err());
    assert!(
        w.store
            .gallery(&w.operator, d, TEST_ALGORITHM)
            .await
            .is_err()
    );

    // Footage: 31 days.
    w.clock
        .set(now.checked_add(hours(31 * 24)).unwrap() - lfr_base::SignedDuration::from_secs(1));
    assert_eq!(
        w.store
            .run_retention(&w.engineer)
            .await
            .unwrap()
            .footage_deleted,
        0
    );
    assert!(p1.exists());
    w.clock.advance(lfr_base::SignedDuration::from_secs(1));
    let s = w.store.run_retention(&w.engineer).await.unwrap();
    assert_eq!((s.footage_deleted, s.held, s.keys_shredded), (1, 1, 0));
    assert!(!p1.exists() && p2.exists(), "held footage stays");
    // Released: deleted on the next run, and with nothing left the key goes.
    w.store
        .release_hold(&w.gold, hold.id, "complaint closed")
        .await
        .unwrap();
    let s = w.store.run_retention(&w.engineer).await.unwrap();
    assert_eq!((s.footage_deleted, s.keys_shredded), (1, 1));
    assert!(!p2.exists());
    assert!(
        !w.dir
            .path()
            .join("keys")
            .join(format!("deployment-{}.key", d.0))
            .exists()
    );

    // The backup still has the ciphertext, but without the key it is noise.
    let clock = std::sync::Arc::new(lfr_base::SimulatedClock::new(w.now()));
    let restored = lfr_store::Store::open(
        &format!("sqlite://{}", backup.display()),
        &w.dir.path().join("keys"),
        false,
        clock,
    )
    .await
    .unwrap();
    let op = restored.authenticate(&viewer).await.unwrap();
    assert!(matches!(
        restored.reference_image(&op, img).await,
        Err(StoreError::Shredded(_))
    ));
    assert!(matches!(
        restored.probe_image(&op, a.id).await,
        Err(StoreError::Shredded(_))
    ));
    // Figures outlive everything.
    let m = w.store.metrics(&w.auditor, d).await.unwrap();
    assert_eq!(m.alerts, 1);
}

#[tokio::test]
async fn footage_outside_its_folder_or_back_dated_is_refused_and_one_bad_file_stops_nothing() {
    let w = World::new().await;
    let (d, img) = w.running().await;
    let now = w.now();
    // A file elsewhere: retention would have deleted whatever it was told to.
    let elsewhere = tempfile::tempdir().unwrap();
    let victim = elsewhere.path().join("not-footage.txt");
    std::fs::write(&victim, b"someone's file").unwrap();
    let e = w
        .store
        .register_footage(&w.engineer, d, "cam1", victim.to_str().unwrap(), now, now)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("footage folder"), "{e}");
    // Back-dated past its retention: it would be deleted at once.
    let clip = w.dir.path().join("cam1-old.mp4");
    std::fs::write(&clip, b"footage").unwrap();
    let long_ago = now.checked_sub(hours(24 * 40)).unwrap();
    let e = w
        .store
        .register_footage(
            &w.engineer,
            d,
            "cam1",
            clip.to_str().unwrap(),
            long_ago,
            long_ago,
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("cannot be registered"), "{e}");
    // A registered file that cannot be deleted is reported, and the rest of
    // the run (here an alert's purge) goes ahead.
    let stuck = w.dir.path().join("stuck");
    std::fs::create_dir(&stuck).unwrap();
    let inside = stuck.join("cam1-0900.mp4");
    std::fs::write(&inside, b"footage").unwrap();
    w.store
        .register_footage(&w.engineer, d, "cam1", inside.to_str().unwrap(), now, now)
        .await
        .unwrap();
    w.store
        .raise_alert(&w.session(d).await, w.new_alert(img, 0.7))
        .await
        .unwrap();
    std::fs::remove_file(&inside).unwrap();
    std::fs::create_dir(&inside).unwrap(); // now a folder: not a file to delete
    w.clock.advance(hours(24 * 32));
    let s = w.store.run_retention(&w.engineer).await.unwrap();
    assert_eq!(s.alerts_purged, 1);
    assert_eq!(s.footage_failed.len(), 1, "{s:?}");
    assert!(victim.exists(), "nothing outside the folder is touched");
}

#[tokio::test]
async fn a_deployment_hold_keeps_alerts_and_watchlist() {
    let w = World::new().await;
    let (d, img) = w.running().await;
    let a = w
        .store
        .raise_alert(&w.session(d).await, w.new_alert(img, 0.7))
        .await
        .unwrap();
    w.store
        .place_hold(
            &w.silver,
            HoldTarget::Deployment(d),
            HoldReason::Cpia,
            "Evidence for case 44/2026 (disclosure)",
        )
        .await
        .unwrap();
    w.store.conclude(&w.silver, d).await.unwrap();
    w.clock.advance(hours(24 * 40));
    let s = w.store.run_retention(&w.engineer).await.unwrap();
    assert_eq!(
        (s.alerts_purged, s.watchlists_purged, s.keys_shredded),
        (0, 0, 0)
    );
    assert_eq!(
        w.store.probe_image(&w.operator, a.id).await.unwrap(),
        PROBE_MARKER
    );
}

#[tokio::test]
async fn the_public_report_never_contains_a_name_or_an_image() {
    let w = World::new().await;
    let (d, img) = w.running().await;
    for score in [0.7, 0.9] {
        let a = w
            .store
            .raise_alert(&w.session(d).await, w.new_alert(img, score))
            .await
            .unwrap();
        w.store
            .adjudicate(
                &w.operator,
                a.id,
                Adjudication::PassedForEngagement,
                &format!("looks like {SUBJECT_NAME}"),
            )
            .await
            .unwrap();
    }
    w.store
        .record_counts(
            &w.session_as(&w.engineer, d).await,
            "van-1-left",
            12_000,
            4,
            None,
        )
        .await
        .unwrap();
    w.clock.advance(hours(3));
    w.store.conclude(&w.silver, d).await.unwrap();
    let r = w.store.public_report(&w.silver, d).await.unwrap();
    let json = serde_json::to_string(&r).unwrap();
    let probe_hex = hex_encode(PROBE_MARKER);
    for forbidden in [
        SUBJECT_NAME,
        "Zebedee",
        "Quuxworth",
        "Another Person",
        "PNC warrant",
        "REFERENCE-IMAGE",
        "PROBE-CROP",
        &probe_hex,
        "S1",
        "front.jpg",
    ] {
        assert!(
            !json.contains(forbidden),
            "public report contains {forbidden}: {json}"
        );
    }
    assert_eq!(r.alerts, 2);
    assert_eq!(r.watchlist_inclusions, 2);
    assert_eq!(r.faces_scanned, 12_000);
    assert_eq!(r.minimum_threshold_authorised, Some(0.64));
    assert_eq!(r.duration_minutes, Some(180));
    // It carries the audit log's signed head, which a later check holds the log to.
    let cp = lfr_store::audit::Checkpoint::parse(r.audit_checkpoint.as_deref().unwrap()).unwrap();
    let v = w.store.verify_audit(&w.auditor, Some(&cp)).await.unwrap();
    assert!(v.first_tampered.is_none(), "{v:?}");
    assert_eq!(
        cp.seq as u64, v.entries,
        "the checkpoint covers the report's own entry"
    );
}

fn hex_encode(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[tokio::test]
async fn tampering_with_any_audit_entry_is_detected_and_named() {
    let w = World::sqlite().await;
    w.running().await;
    let pool = w.store.pool_for_tests();
    let clean = w.store.verify_audit(&w.auditor, None).await.unwrap();
    assert!(clean.first_tampered.is_none());
    assert!(clean.entries > 10);
    // The database refuses changes outright...
    let e = sqlx::query("UPDATE audit_log SET detail = 'nothing happened' WHERE seq = 5")
        .execute(pool)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    assert!(
        sqlx::query("DELETE FROM audit_log WHERE seq = 5")
            .execute(pool)
            .await
            .is_err()
    );
    // ...and someone who gets past that is caught by the chain.
    let original_actor: String = sqlx::query("SELECT actor FROM audit_log WHERE seq = 7")
        .fetch_one(pool)
        .await
        .unwrap()
        .get(0);
    sqlx::query("DROP TRIGGER audit_log_no_update")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 7")
        .execute(pool)
        .await
        .unwrap();
    let v = w.store.verify_chain().await.unwrap();
    assert_eq!(v.first_tampered.as_ref().unwrap().seq, 7, "{v:?}");
    assert!(v.first_tampered.unwrap().reason.contains("altered"));
    // Put it back: the chain checks out again.
    sqlx::query("UPDATE audit_log SET actor = $1 WHERE seq = 7")
        .bind(&original_actor)
        .execute(pool)
        .await
        .unwrap();
    assert!(
        w.store
            .verify_chain()
            .await
            .unwrap()
            .first_tampered
            .is_none()
    );
    // Removing an entry is caught too, at the gap.
    sqlx::query("DROP TRIGGER audit_log_no_delete")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM audit_log WHERE seq = 3")
        .execute(pool)
        .await
        .unwrap();
    let v = w.store.verify_chain().await.unwrap();
    assert_eq!(v.first_tampered.unwrap().seq, 3);
}

/// Recomputes every hash from entry `from` on with plain SHA-256, as
/// someone who can write the database but not read the key directory would.
async fn rehash_without_the_key(pool: &sqlx::AnyPool, from: i64) {
    use sha2::{Digest, Sha256};
    for trigger in ["audit_log_no_update", "audit_log_no_delete"] {
        sqlx::query(&format!("DROP TRIGGER IF EXISTS {trigger}"))
            .execute(pool)
            .await
            .unwrap();
    }
    let rows = sqlx::query(
        "SELECT seq, at_ms, actor, action, target, outcome, detail FROM audit_log WHERE seq >= $1 ORDER BY seq",
    )
    .bind(from)
    .fetch_all(pool)
    .await
    .unwrap();
    let mut prev: String = match from {
        1 => lfr_store::audit::GENESIS.to_string(),
        _ => sqlx::query("SELECT hash FROM audit_log WHERE seq = $1")
            .bind(from - 1)
            .fetch_one(pool)
            .await
            .unwrap()
            .get(0),
    };
    for r in rows {
        let seq: i64 = r.get(0);
        let canonical = serde_json::to_string(&(
            seq,
            r.get::<i64, _>(1),
            r.get::<String, _>(2),
            r.get::<String, _>(3),
            r.get::<String, _>(4),
            r.get::<String, _>(5),
            r.get::<String, _>(6),
            &prev,
        ))
        .unwrap();
        let hash = hex_encode(&Sha256::digest(canonical.as_bytes()));
        sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3")
            .bind(&prev)
            .bind(&hash)
            .bind(seq)
            .execute(pool)
            .await
            .unwrap();
        prev = hash;
    }
}

#[tokio::test]
async fn an_entry_rewritten_and_the_chain_rehashed_without_the_key_is_caught() {
    let w = World::sqlite().await;
    w.running().await;
    let pool = w.store.pool_for_tests();
    sqlx::query("DROP TRIGGER audit_log_no_update")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 7")
        .execute(pool)
        .await
        .unwrap();
    rehash_without_the_key(pool, 7).await;
    let v = w.store.verify_audit(&w.auditor, None).await.unwrap();
    let t = v.first_tampered.expect("a rehashed chain must not verify");
    assert_eq!(t.seq, 7, "{t:?}");
    assert!(t.reason.contains("keyed hash"), "{t:?}");
}

#[tokio::test]
async fn a_chain_rehashed_whole_without_the_key_is_not_taken_for_an_old_one() {
    let w = World::sqlite().await;
    w.running().await;
    // Every entry rehashed the old, unkeyed way, as if the whole log
    // predated the keyed chain: the key directory knows it did not.
    rehash_without_the_key(w.store.pool_for_tests(), 1).await;
    let v = w.store.verify_audit(&w.auditor, None).await.unwrap();
    assert_eq!(v.unkeyed, 0);
    assert_eq!(v.first_tampered.expect("must not verify").seq, 1);
}

#[tokio::test]
async fn a_log_from_before_the_keyed_chain_still_verifies_and_is_keyed_from_then_on() {
    let w = World::sqlite().await;
    w.running().await;
    let pool = w.store.pool_for_tests();
    // An older lfr's database: every entry hashed plainly, and a key
    // directory that has never recorded the chain.
    rehash_without_the_key(pool, 1).await;
    let old: i64 = sqlx::query("SELECT COUNT(*) FROM audit_log")
        .fetch_one(pool)
        .await
        .unwrap()
        .get(0);
    let keys = w.dir.path().join("keys");
    std::fs::remove_file(keys.join("audit-chain.unkeyed")).unwrap();
    let url = format!("sqlite://{}", w.dir.path().join("lfr.db").display());
    let clock = std::sync::Arc::new(lfr_base::SimulatedClock::at(DAY_ONE));
    let upgraded = lfr_store::Store::open(&url, &keys, false, clock)
        .await
        .unwrap();
    let v = upgraded.verify_audit(&w.auditor, None).await.unwrap();
    assert!(v.first_tampered.is_none(), "{v:?}");
    assert_eq!(v.unkeyed, old as u64);
    // New entries are keyed, and the old ones stay accepted.
    assert!(upgraded.verify_audit(&w.operator, None).await.is_err());
    let v = upgraded.verify_audit(&w.auditor, None).await.unwrap();
    assert!(v.first_tampered.is_none(), "{v:?}");
    assert_eq!((v.unkeyed, v.entries), (old as u64, old as u64 + 1));
}

#[tokio::test]
async fn a_checkpoint_catches_entries_cut_off_the_end_and_a_forged_one_is_refused() {
    let w = World::sqlite().await;
    w.running().await;
    let pool = w.store.pool_for_tests();
    let kept = w.store.verify_audit(&w.auditor, None).await.unwrap();
    assert!(kept.first_tampered.is_none());
    assert_eq!(kept.checkpoint.seq as u64, kept.entries);
    assert_eq!(kept.unkeyed, 0);
    // The chain grows (a refusal is recorded); the checkpoint still holds.
    assert!(w.store.verify_audit(&w.operator, None).await.is_err());
    let later = w
        .store
        .verify_audit(&w.auditor, Some(&kept.checkpoint))
        .await
        .unwrap();
    assert!(later.first_tampered.is_none(), "{later:?}");
    assert_eq!(later.entries, kept.entries + 1);
    // A checkpoint that round-trips through its printed form is the same.
    let printed = kept.checkpoint.to_string();
    assert_eq!(
        lfr_store::audit::Checkpoint::parse(&printed).unwrap(),
        kept.checkpoint
    );
    // A checkpoint moved to another place, or with its head changed, was not signed.
    let mut forged = kept.checkpoint.clone();
    forged.seq -= 1;
    let v = w
        .store
        .verify_audit(&w.auditor, Some(&forged))
        .await
        .unwrap();
    assert!(
        v.first_tampered.unwrap().reason.contains("not signed"),
        "a forged checkpoint must not pass"
    );
    // Cut the last three entries: the shorter chain is valid on its own...
    sqlx::query("DROP TRIGGER audit_log_no_delete")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM audit_log WHERE seq > $1")
        .bind(kept.checkpoint.seq - 2)
        .execute(pool)
        .await
        .unwrap();
    assert!(
        w.store
            .verify_chain()
            .await
            .unwrap()
            .first_tampered
            .is_none()
    );
    // ...but not against the checkpoint.
    let v = w
        .store
        .verify_audit(&w.auditor, Some(&kept.checkpoint))
        .await
        .unwrap();
    let t = v.first_tampered.expect("truncation must be caught");
    assert!(t.reason.contains("cut off the end"), "{t:?}");
}

#[tokio::test]
async fn verifying_the_chain_does_not_change_it() {
    let w = World::sqlite().await;
    w.running().await;
    let a = w.store.verify_audit(&w.auditor, None).await.unwrap();
    let b = w.store.verify_audit(&w.auditor, None).await.unwrap();
    assert_eq!(a, b, "two checks in a row must see the same chain");
}

#[tokio::test]
async fn a_key_left_by_an_application_that_never_committed_does_not_block_the_next() {
    let w = World::new().await;
    // What a failed commit after the key was written leaves: a key file for
    // the id the next application will be given.
    let stray = w.dir.path().join("keys").join("deployment-1.key");
    std::fs::write(&stray, "00").unwrap();
    let d = w.store.apply(&w.silver, w.application()).await.unwrap().id;
    assert_eq!(d.0, 1);
    assert!(w.store.keys_for_tests().has(d));
    let aside: Vec<_> = std::fs::read_dir(w.dir.path().join("keys"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("deployment-1.key.orphaned-"))
        .collect();
    assert_eq!(
        aside.len(),
        1,
        "the stray key is kept aside, not overwritten"
    );
    // The new deployment's key works: a watchlist can be sealed under it.
    w.store
        .create_watchlist(&w.silver, d, WatchlistKind::Standard, "wl")
        .await
        .unwrap();
}

#[tokio::test]
async fn a_bad_import_leaves_nothing_behind() {
    let w = World::new().await;
    let d = w.store.apply(&w.silver, w.application()).await.unwrap().id;
    let wl = w
        .store
        .create_watchlist(&w.silver, d, WatchlistKind::Standard, "wl")
        .await
        .unwrap()
        .id;
    // The second entry collides with the first inside the database: the whole import goes.
    let e = w
        .store
        .commit_import(
            &w.silver,
            wl,
            &[entry("S1", "One"), entry("S2", "Two"), entry("S1", "Dup")],
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("S1"), "{e}");
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM inclusions")
        .fetch_one(w.store.pool_for_tests())
        .await
        .unwrap()
        .get(0);
    let imgs: i64 = sqlx::query("SELECT COUNT(*) FROM reference_images")
        .fetch_one(w.store.pool_for_tests())
        .await
        .unwrap()
        .get(0);
    assert_eq!((n, imgs), (0, 0));
    assert_eq!(w.store.watchlist(&w.silver, wl).await.unwrap().revision, 1);
    // An image the engine graded poor never gets in.
    let mut poor = entry("S3", "Three");
    poor.images[0].grade = lfr_domain::watchlist::QualityGrade::Poor;
    let e = w
        .store
        .commit_import(&w.silver, wl, &[entry("S1", "One"), poor])
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::Refused(ref r) if r.rule == lfr_domain::Rule::ReferenceImageIsUsable),
        "{e}"
    );
    // A bad entry the rules catch is refused whole as well.
    let mut bad = entry("S9", "Nine");
    bad.entry.justification = "x".into();
    assert!(
        w.store
            .commit_import(&w.silver, wl, &[entry("S1", "One"), bad])
            .await
            .is_err()
    );
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM inclusions")
        .fetch_one(w.store.pool_for_tests())
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}

/// An enroller for tests of the checks that must refuse before any image
/// reaches the engine: reaching it is the failure.
struct MustNotReachTheEngine;
impl lfr_domain::enrol::Enroller for MustNotReachTheEngine {
    fn algorithm(&self) -> String {
        "none".into()
    }
    fn enrol(&self, _: &[u8]) -> Result<lfr_domain::enrol::Enrolment, String> {
        panic!("validation should have refused this import before enrolment")
    }
}

#[test]
fn import_problems_are_all_reported_before_the_engine_runs() {
    use lfr_store::import::{ImportSource, prepare};
    let dir = tempfile::tempdir().unwrap();
    let e = prepare(
        &ImportSource::open(dir.path()).unwrap(),
        WatchlistKind::Standard,
        &MustNotReachTheEngine,
    )
    .unwrap_err();
    assert!(e.to_string().contains("no manifest.json"), "{e}");
    std::fs::write(dir.path().join("manifest.json"), r#"{"entries":[
        {"ref":"S1","name":"A","category":"wanted_by_courts","justification":"Warrant for failing to appear","source":"PNC","under_18":false,"images":["missing.jpg"]},
        {"ref":"S2","name":"B","category":"suspected_of_offence","justification":"Suspect in a robbery at the market","source":"CAD 12","under_18":false,"images":["gone.png"]}]}"#).unwrap();
    let e = prepare(
        &ImportSource::open(dir.path()).unwrap(),
        WatchlistKind::Standard,
        &MustNotReachTheEngine,
    )
    .unwrap_err();
    assert_eq!(e.0.len(), 2, "{e}");
    assert!(e.0[0].contains("missing.jpg") && e.0[1].contains("gone.png"));
    // Archives are read the same way.
    let tar_path = dir.path().join("import.tar.gz");
    {
        let f = std::fs::File::create(&tar_path).unwrap();
        let mut b = tar::Builder::new(flate2::write::GzEncoder::new(
            f,
            flate2::Compression::fast(),
        ));
        b.append_path_with_name(dir.path().join("manifest.json"), "manifest.json")
            .unwrap();
        b.into_inner().unwrap().finish().unwrap();
    }
    let e = prepare(
        &ImportSource::open(&tar_path).unwrap(),
        WatchlistKind::Standard,
        &MustNotReachTheEngine,
    )
    .unwrap_err();
    assert_eq!(e.0.len(), 2, "{e}");
    std::fs::write(dir.path().join("junk.tar.gz"), b"not gzip at all").unwrap();
    assert!(ImportSource::open(&dir.path().join("junk.tar.gz")).is_err());
}

#[tokio::test]
async fn a_crash_mid_write_loses_nothing_acknowledged() {
    if let Ok(cfg) = std::env::var("LFR_CRASH_CHILD") {
        return crash_child(&cfg).await;
    }
    let w = World::sqlite().await;
    let (d, img) = w.running().await;
    let (_, token) = w
        .add_user(
            "pipeline",
            lfr_domain::role::Role::Operator,
            lfr_domain::role::Rank::Staff,
        )
        .await;
    w.store.add_to_team(&w.silver, d, "pipeline").await.unwrap();
    let keys = w.dir.path().join("keys");
    let mut acked_alerts = Vec::new();
    let mut acked_adjudications = Vec::new();
    for (round, kill_after_ms) in [150u64, 400, 900].into_iter().enumerate() {
        let cfg = format!(
            "{}|{}|{}|{}|{}|{}",
            w.url,
            keys.display(),
            token.as_str(),
            d.0,
            img.0,
            round
        );
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "a_crash_mid_write_loses_nothing_acknowledged",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("LFR_CRASH_CHILD", cfg)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            use std::io::BufRead;
            std::io::BufReader::new(out)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<_>>()
        });
        std::thread::sleep(std::time::Duration::from_millis(kill_after_ms));
        child.kill().unwrap(); // SIGKILL: no destructors, no flush, mid-transaction
        child.wait().unwrap();
        for line in reader.join().unwrap() {
            let parts: Vec<&str> = line.split_whitespace().collect();
            match parts.as_slice() {
                ["ACK-ALERT", id] => acked_alerts.push(id.parse::<i64>().unwrap()),
                ["ACK-ADJ", id] => acked_adjudications.push(id.parse::<i64>().unwrap()),
                _ => {}
            }
        }
    }
    assert!(
        acked_alerts.len() >= 3,
        "the child acknowledged too little to test anything: {acked_alerts:?}"
    );
    // Reopen after the crashes, as a restarted server would.
    let clock = std::sync::Arc::new(lfr_base::SimulatedClock::new(w.now()));
    let s = lfr_store::Store::open(&w.url, &keys, false, clock)
        .await
        .unwrap();
    let ok: String = sqlx::query("PRAGMA integrity_check")
        .fetch_one(s.pool_for_tests())
        .await
        .unwrap()
        .get(0);
    assert_eq!(ok, "ok");
    let op = s.authenticate(&token).await.unwrap();
    for id in &acked_alerts {
        let id = lfr_domain::ids::AlertId(*id);
        s.alert(&op, id)
            .await
            .unwrap_or_else(|e| panic!("acknowledged alert A{id} lost: {e}"));
        assert_eq!(s.probe_image(&op, id).await.unwrap(), PROBE_MARKER);
    }
    for id in &acked_adjudications {
        let a = s.alert(&op, lfr_domain::ids::AlertId(*id)).await.unwrap();
        assert!(
            a.adjudication.is_some(),
            "acknowledged adjudication of A{id} lost"
        );
    }
    let v = s.verify_chain().await.unwrap();
    assert!(v.first_tampered.is_none(), "{v:?}");
}

/// The child: raises and adjudicates alerts as fast as it can, printing
/// each id only after the store has returned (acknowledged) it.
async fn crash_child(cfg: &str) {
    use std::io::Write;
    let p: Vec<&str> = cfg.split('|').collect();
    let clock = std::sync::Arc::new(lfr_base::SimulatedClock::at("2026-11-22T09:00:00Z"));
    let s = lfr_store::Store::open(p[0], std::path::Path::new(p[1]), false, clock)
        .await
        .unwrap();
    let op = s.authenticate(p[2]).await.unwrap();
    let d = lfr_domain::ids::DeploymentId(p[3].parse().unwrap());
    let img = lfr_domain::ids::ImageId(p[4].parse().unwrap());
    let mut out = std::io::stdout();
    let session = s
        .open_recognition_session(&op, d, TEST_ALGORITHM, "")
        .await
        .unwrap();
    loop {
        let a = s
            .raise_alert(
                &session,
                lfr_store::alerts::NewAlert {
                    candidate_image: img,
                    camera: format!("cam-{}", p[5]),
                    score: 0.7,
                    threshold: 0.64,
                    recognition_ms: 100,
                    probe: PROBE_MARKER.to_vec(),
                },
            )
            .await
            .unwrap();
        writeln!(out, "ACK-ALERT {}", a.id.0).unwrap();
        out.flush().unwrap();
        s.adjudicate(&op, a.id, Adjudication::FalseAlertNoEngagement, "")
            .await
            .unwrap();
        writeln!(out, "ACK-ADJ {}", a.id.0).unwrap();
        out.flush().unwrap();
    }
}

#[tokio::test]
async fn retention_runs_by_itself_on_a_timer() {
    use std::sync::{Arc, Mutex};
    let w = World::new().await;
    let (d, img) = w.running().await;
    let a = w
        .store
        .raise_alert(&w.session(d).await, w.new_alert(img, 0.7))
        .await
        .unwrap();
    w.clock.advance(hours(25));
    let World {
        dir: _dir,
        store,
        clock,
        operator,
        auditor,
        ..
    } = w;
    let store = Arc::new(store);
    let runs: Arc<Mutex<Vec<Option<u64>>>> = Arc::default();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let seen = runs.clone();
    // Every simulated minute; the timer ticks every 20 ms of real time.
    let every = std::time::Duration::from_millis(20);
    let task = tokio::spawn(store.clone().retention_loop(
        every,
        async move {
            let _ = stopped.await;
        },
        move |r| {
            seen.lock()
                .unwrap()
                .push(r.unwrap().map(|s| s.alerts_purged))
        },
    ));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // The store's clock has not moved: one run, then the ticks find it done.
    let first = runs.lock().unwrap().clone();
    assert!(first.len() >= 2, "{first:?}");
    assert_eq!(first[0], Some(1), "the first run purges the day-old alert");
    assert!(first[1..].iter().all(Option::is_none), "{first:?}");
    // Time passes: it runs again, with nothing left to purge.
    clock.advance(SignedDuration::from_millis(20));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    stop.send(()).unwrap();
    task.await.unwrap();
    let runs = runs.lock().unwrap().clone();
    let ran: Vec<u64> = runs.iter().flatten().copied().collect();
    assert_eq!(ran, vec![1, 0], "{runs:?}");
    assert!(store.probe_image(&operator, a.id).await.is_err());
    let by_system = store
        .audit_entries(
            &auditor,
            &lfr_store::audit::AuditFilter {
                actor: Some("system".into()),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(by_system.len(), ran.len(), "one audit entry per run");
    assert!(by_system.iter().all(|e| e.event.action == "retention.run"));
}

/// Two processes on one database (two stores here), both running
/// retention on their timers: each interval it runs once, not once each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_database_run_retention_once() {
    let w = World::new().await;
    if !w.store.shared() {
        eprintln!(
            "SKIPPED: several processes share a PostgreSQL database, not a SQLite file: set LFR_TEST_POSTGRES, or run scripts/test-store-postgres"
        );
        return;
    }
    let (d, img) = w.running().await;
    w.store
        .raise_alert(&w.session(d).await, w.new_alert(img, 0.7))
        .await
        .unwrap();
    w.clock.advance(hours(25));
    let other = lfr_store::Store::open(&w.url, &w.dir.path().join("keys"), false, w.clock.clone())
        .await
        .unwrap();
    let every = std::time::Duration::from_secs(60);
    // Eight timers firing at once, four on each node.
    let attempts = (0..8).map(|i| {
        let s = if i % 2 == 0 { &w.store } else { &other };
        s.run_retention_if_due(every)
    });
    let ran: Vec<_> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .filter_map(Result::unwrap)
        .collect();
    assert_eq!(ran.len(), 1, "exactly one ran: {ran:?}");
    assert_eq!(ran[0].alerts_purged, 1);

    // A run in progress elsewhere (its lock held here) holds a run back
    // until it ends, so that two never overlap.
    use sqlx::Connection;
    let mut elsewhere = sqlx::PgConnection::connect(&w.url).await.unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(lfr_store::retention::RETENTION_LOCK)
        .execute(&mut elsewhere)
        .await
        .unwrap();
    let other = std::sync::Arc::new(other);
    let held_back = tokio::spawn({
        let (other, admin) = (other.clone(), w.admin.clone());
        async move { other.run_retention(&admin).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!held_back.is_finished(), "a run overlapped another");
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(lfr_store::retention::RETENTION_LOCK)
        .execute(&mut elsewhere)
        .await
        .unwrap();
    // An officer's run is never skipped as too recent.
    let officers = tokio::time::timeout(std::time::Duration::from_secs(10), held_back)
        .await
        .expect("the run went ahead once the other ended")
        .unwrap()
        .unwrap();
    assert_eq!(officers.alerts_purged, 0);
    // Within the interval neither runs again; after it, whichever ticks first does.
    w.clock.advance(SignedDuration::from_secs(30));
    assert!(other.run_retention_if_due(every).await.unwrap().is_none());
    assert!(w.store.run_retention_if_due(every).await.unwrap().is_none());
    w.clock.advance(SignedDuration::from_secs(31));
    assert!(other.run_retention_if_due(every).await.unwrap().is_some());
    assert!(w.store.run_retention_if_due(every).await.unwrap().is_none());
    let runs = w
        .store
        .audit_entries(
            &w.auditor,
            &lfr_store::audit::AuditFilter {
                actor: Some("system".into()),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(runs.len(), 2, "{runs:#?}");
}

/// A full disk (SQLite's page limit, which fails writes exactly as a full
/// disk does) during an alert write and a retention run: each fails as a
/// whole, nothing half-written, the audit chain intact; once there is room
/// again both succeed.
#[tokio::test]
async fn a_full_disk_fails_alert_writes_and_retention_whole_and_loses_nothing() {
    let w = World::sqlite().await;
    let (d, img) = w.running().await;
    let session = w.session(d).await;
    let pool = w.store.pool_for_tests().clone();
    let limit = |pages: Option<i64>| {
        let pool = pool.clone();
        async move {
            let pages = match pages {
                Some(p) => p,
                None => sqlx::query("PRAGMA page_count")
                    .fetch_one(&pool)
                    .await
                    .unwrap()
                    .get(0),
            };
            sqlx::query(&format!("PRAGMA max_page_count = {pages}"))
                .execute(&pool)
                .await
                .unwrap();
        }
    };
    let rows = |table: &'static str| {
        let pool = pool.clone();
        async move {
            let n: i64 = sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&pool)
                .await
                .unwrap()
                .get(0);
            n
        }
    };
    let mut big = w.new_alert(img, 0.8);
    big.probe = vec![7; 256 * 1024];

    limit(None).await;
    let (alerts, entries) = (rows("alerts").await, rows("audit_log").await);
    let e = w
        .store
        .raise_alert(&session, big.clone())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("full"), "{e}");
    assert_eq!(
        (rows("alerts").await, rows("audit_log").await),
        (alerts, entries),
        "nothing of the alert was written"
    );
    limit(Some(1_073_741_823)).await;
    w.store.raise_alert(&session, big).await.unwrap();

    // Retention on a full disk: fill every page left with refused requests
    // (each audited in its own write) until one cannot be written.
    w.clock.advance(hours(25));
    limit(None).await;
    for _ in 0..10_000 {
        match w.store.run_retention(&w.operator).await {
            Err(StoreError::Refused(_)) => continue,
            Err(e) => {
                assert!(e.to_string().contains("full"), "{e}");
                break;
            }
            Ok(_) => panic!("the operator may not run retention"),
        }
    }
    let purged = || {
        let pool = pool.clone();
        async move {
            let n: i64 = sqlx::query("SELECT COUNT(*) FROM alerts WHERE purged_ms IS NOT NULL")
                .fetch_one(&pool)
                .await
                .unwrap()
                .get(0);
            n
        }
    };
    match w.store.run_retention(&w.engineer).await {
        Ok(s) => assert_eq!(
            (s.alerts_purged, purged().await),
            (1, 1),
            "a run that succeeds has purged"
        ),
        Err(e) => {
            assert!(e.to_string().contains("full"), "{e}");
            assert_eq!(purged().await, 0, "a failed run purges nothing");
        }
    }
    assert!(
        w.store
            .verify_chain()
            .await
            .unwrap()
            .first_tampered
            .is_none()
    );

    // Room again: retention completes and the chain holds.
    limit(Some(1_073_741_823)).await;
    w.store.run_retention(&w.engineer).await.unwrap();
    assert_eq!(purged().await, 1);
    assert!(
        w.store
            .verify_chain()
            .await
            .unwrap()
            .first_tampered
            .is_none()
    );
}

/// The schedule says what retention will delete and when, before it does:
/// an alert 24 h after it, a watchlist 24 h after its deployment ends
/// (undated while it runs), and what a hold keeps is marked.
#[tokio::test]
async fn the_retention_schedule_shows_what_goes_when() {
    let w = World::new().await;
    let (d, img) = w.running().await;
    let a = w
        .store
        .raise_alert(&w.session(d).await, w.new_alert(img, 0.7))
        .await
        .unwrap();
    let s = w.store.retention_schedule(&w.auditor).await.unwrap();
    let alert = s.iter().find(|i| i.target == format!("A{}", a.id)).unwrap();
    assert_eq!(alert.due, Some(a.at.checked_add(hours(24)).unwrap()));
    assert!(!alert.held);
    assert!(
        s.iter()
            .any(|i| i.target.starts_with('W') && i.due.is_none()),
        "a running deployment's watchlist has no date yet: {s:?}"
    );
    w.store
        .place_hold(
            &w.gold,
            HoldTarget::Alert(a.id),
            HoldReason::Complaint,
            "Complaint ref CO/9 about this alert",
        )
        .await
        .unwrap();
    w.store.conclude(&w.silver, d).await.unwrap();
    let s = w.store.retention_schedule(&w.auditor).await.unwrap();
    assert!(
        s.iter()
            .find(|i| i.target == format!("A{}", a.id))
            .unwrap()
            .held
    );
    let end = w
        .store
        .deployment(&w.silver, d)
        .await
        .unwrap()
        .ended_at
        .unwrap();
    assert!(
        s.iter()
            .filter(|i| i.target.starts_with('W'))
            .all(|i| i.due == Some(end.checked_add(hours(24)).unwrap())),
        "{s:?}"
    );
    // Soonest first.
    let dates: Vec<_> = s.iter().filter_map(|i| i.due).collect();
    assert!(dates.windows(2).all(|p| p[0] <= p[1]), "{s:?}");
}

/// Several nodes started at once on a new PostgreSQL database: each
/// upgrades the schema in turn, and all of them open it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_started_together_on_a_new_database_all_open_it() {
    let Some(admin) = lfr_testkit::postgres_admin() else {
        eprintln!(
            "SKIPPED: needs PostgreSQL: set LFR_TEST_POSTGRES, or run scripts/test-store-postgres"
        );
        return;
    };
    let url = lfr_testkit::fresh_postgres(&admin).await;
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    // The key directory is shared, as nodes must share it; made first.
    lfr_store::Keyring::open(&keys, true).unwrap();
    let opens = (0..4).map(|_| {
        lfr_store::Store::open(&url, &keys, false, std::sync::Arc::new(lfr_base::RealClock))
    });
    for (i, s) in futures_util::future::join_all(opens)
        .await
        .into_iter()
        .enumerate()
    {
        assert!(
            s.is_ok(),
            "node {i} did not open the database: {:?}",
            s.err()
        );
    }
}

/// A session closed after its last counts is clean; one never closed (a
/// crash, kill -9) is counted in the ended deployment's figures, public
/// report included, because its faces-scanned count may be short.
#[tokio::test]
async fn sessions_that_stopped_without_their_last_counts_are_counted() {
    let w = World::new().await;
    let (d, _) = w.running().await;
    let clean = w.session(d).await;
    w.store
        .record_counts(&clean, "north", 10, 0, None)
        .await
        .unwrap();
    w.store.close_recognition_session(&clean).await.unwrap();
    let killed = w.session(d).await;
    w.store
        .record_counts(&killed, "north", 5, 1, None)
        .await
        .unwrap();
    // While it runs, an open session is not counted: it may be running.
    assert_eq!(
        w.store
            .metrics(&w.silver, d)
            .await
            .unwrap()
            .interrupted_sessions,
        0
    );
    w.store.terminate(&w.silver, d, "done").await.unwrap();
    let m = w.store.metrics(&w.silver, d).await.unwrap();
    assert_eq!((m.interrupted_sessions, m.faces_scanned), (1, 15), "{m:?}");
    let r = w.store.public_report(&w.silver, d).await.unwrap();
    assert_eq!(r.interrupted_sessions, 1);
}
