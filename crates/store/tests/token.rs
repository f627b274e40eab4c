//! The master key in a PKCS#11 token (SoftHSM2, Debian's `softhsm2`): moved
//! there from its file by an administrator only, after which the file is
//! gone, the token will not give the key out, every sealed value still
//! opens, and the audit chain (and a checkpoint taken before) still holds.
//! A new system can make its key in the token, where it never leaves.
//!
//! One test in this binary: SoftHSM2 finds its token directory through
//! `SOFTHSM2_CONF`, which must be set before any thread starts.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::*;
use lfr_store::keyring::TokenKey;
use lfr_store::{Store, TokenConfig};

const MODULE: &str = lfr_testkit::SOFTHSM_MODULE;

fn config(dir: &Path, token: &str, key: &str, pin: &str) -> TokenConfig {
    let pin_file = dir.join(format!("{token}-{pin}.pin"));
    std::fs::write(&pin_file, pin).unwrap();
    TokenConfig {
        module: MODULE.into(),
        token: token.into(),
        key: key.into(),
        pin_file: Some(pin_file),
    }
}

/// Every file under `dir`, read whole.
fn contents(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect()
}

#[test]
fn the_master_key_moves_into_a_token_and_everything_still_opens() {
    let hsm = tempfile::tempdir().unwrap();
    let conf = lfr_testkit::softhsm(hsm.path(), &[("lfr-test", "1234"), ("lfr-fresh", "5678")]);
    // SAFETY: set before any thread of this process starts (the runtime
    // below is made after it), and this binary holds this one test.
    unsafe { std::env::set_var("SOFTHSM2_CONF", &conf) };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(moves(hsm.path()));
}

async fn moves(hsm: &Path) {
    let w = World::sqlite().await;
    let (d, wl) = w.authorised().await;
    let keys = w.dir.path().join("keys");
    let master_file = keys.join("master.key");
    let master_hex = std::fs::read_to_string(&master_file).unwrap();
    let before = w.store.verify_audit(&w.auditor, None).await.unwrap();
    let names = |v: Vec<lfr_store::watchlists::InclusionView>| {
        let mut n: Vec<String> = v.into_iter().filter_map(|i| i.name).collect();
        n.sort();
        n
    };
    let names_before = names(w.store.inclusions(&w.silver, wl).await.unwrap());
    assert!(names_before.contains(&SUBJECT_NAME.to_string()));

    let cfg = config(hsm, "lfr-test", "lfr-master", "1234");
    // Only an administrator moves the key, and a refusal moves nothing.
    let refused = w
        .store
        .move_master_key_to_token(&w.silver, &cfg)
        .await
        .unwrap_err();
    assert_eq!(rule(refused), "role_permits");
    assert!(
        master_file.exists(),
        "a refused move left the key file alone"
    );
    // A wrong PIN is named as such, and moves nothing.
    let wrong = config(hsm, "lfr-test", "lfr-master", "9999");
    let e = w
        .store
        .move_master_key_to_token(&w.admin, &wrong)
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("PIN"),
        "a wrong PIN is said to be wrong: {e}"
    );
    assert!(master_file.exists());

    let moved = w
        .store
        .move_master_key_to_token(&w.admin, &cfg)
        .await
        .unwrap();
    assert_eq!(
        moved.deployment_keys, 1,
        "D{}'s data key was proven to open under the token",
        d.0
    );
    assert!(
        !master_file.exists(),
        "the key file is destroyed once the token holds the key"
    );
    for (p, b) in contents(&keys) {
        let text = String::from_utf8_lossy(&b);
        assert!(
            !text.contains(master_hex.trim()),
            "{} still holds the master key",
            p.display()
        );
    }
    let token = TokenKey::connect(&cfg, false).unwrap();
    assert!(
        !token.extractable(),
        "the token does not give out the master key's value"
    );
    drop(token);
    let filter = lfr_store::audit::AuditFilter {
        target: Some("master key".into()),
        limit: 10,
        ..Default::default()
    };
    let log = w.store.audit_entries(&w.auditor, &filter).await.unwrap();
    assert_eq!(
        log.iter()
            .map(|e| (
                e.event.action.as_str(),
                e.event.actor.as_str(),
                e.event.outcome.as_str()
            ))
            .collect::<Vec<_>>(),
        [
            ("keys.moved_to_token", "admin", "allowed"),
            ("keys.moved_to_token", "silver", "refused")
        ],
        "the move and the refusal are in the audit log"
    );

    // A move stopped between writing the configuration and destroying the
    // file is finished on the next start, once the file proves to hold
    // the token's key; a file holding another key stops the start.
    std::fs::write(&master_file, "ab".repeat(32)).unwrap();
    let Err(e) = Store::open(&w.url, &keys, false, w.clock.clone()).await else {
        panic!("opened with a different key file beside the token");
    };
    assert!(e.to_string().contains("hold different master keys"), "{e}");
    std::fs::write(&master_file, &master_hex).unwrap();
    drop(
        Store::open(&w.url, &keys, false, w.clock.clone())
            .await
            .unwrap(),
    );
    assert!(!master_file.exists(), "the interrupted move was finished");

    // Reopened with the key in the token: sealed data opens, the chain and
    // the checkpoint taken before the move hold, and new data keys work.
    let store = Store::open(&w.url, &keys, false, w.clock.clone())
        .await
        .unwrap();
    assert!(store.master_key_location().contains("lfr-test"));
    assert_eq!(
        names(store.inclusions(&w.silver, wl).await.unwrap()),
        names_before
    );
    let v = store
        .verify_audit(&w.auditor, Some(&before.checkpoint))
        .await
        .unwrap();
    assert!(
        v.first_tampered.is_none(),
        "the chain holds under the token's key: {:?}",
        v.first_tampered
    );
    assert!(v.entries > before.entries);
    let d2 = store.apply(&w.silver, w.application()).await.unwrap().id;
    assert!(
        keys.join(format!("deployment-{}.key", d2.0)).exists(),
        "a new deployment's key is wrapped by the token"
    );
    let again = store
        .move_master_key_to_token(&w.admin, &cfg)
        .await
        .unwrap_err();
    assert!(again.to_string().contains("already in a token"), "{again}");
    drop(store);

    // Without the PIN the system does not open, and says how to give it.
    let no_pin = keys.join("master.pkcs11");
    let mut c = cfg.clone();
    c.pin_file = None;
    std::fs::write(&no_pin, serde_json::to_string(&c).unwrap()).unwrap();
    let Err(e) = Store::open(&w.url, &keys, false, w.clock.clone()).await else {
        panic!("the store opened without the token's PIN");
    };
    assert!(e.to_string().contains("LFR_PKCS11_PIN"), "{e}");
    std::fs::write(&no_pin, serde_json::to_string(&cfg).unwrap()).unwrap();

    // A new system makes its key inside a token: no key file ever exists.
    let fresh_keys = hsm.join("fresh-keys");
    let fresh = config(hsm, "lfr-fresh", "force-master", "5678");
    lfr_store::Keyring::create_in_token(&fresh_keys, &fresh).unwrap();
    assert!(!fresh_keys.join("master.key").exists());
    let e = lfr_store::Keyring::create_in_token(&fresh_keys, &fresh).unwrap_err();
    assert!(e.to_string().contains("already has a master key"), "{e}");
    let url = format!("sqlite://{}", hsm.join("fresh.db").display());
    let s = Store::open(&url, &fresh_keys, true, Arc::new(lfr_base::RealClock))
        .await
        .unwrap();
    let (admin, _) = s.bootstrap("admin", "Admin").await.unwrap();
    assert!(
        s.verify_audit(&admin, None)
            .await
            .unwrap()
            .first_tampered
            .is_none()
    );
    assert!(!TokenKey::connect(&fresh, false).unwrap().extractable());
}
