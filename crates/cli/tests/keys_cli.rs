//! `lfr keys`: an administrator moves the master key into a PKCS#11 token
//! (SoftHSM2 here, Debian's `softhsm2`), and the system goes on as before
//! with the token's PIN and without the key file; a new key directory can
//! have its key made inside a token from the start.

mod common;

use common::*;

const MODULE: &str = lfr_testkit::SOFTHSM_MODULE;

#[test]
fn an_administrator_moves_the_master_key_into_a_token() {
    let mut e = Env::new();
    let hsm = tempfile::tempdir().unwrap();
    let conf = lfr_testkit::softhsm(hsm.path(), &[("force-hsm", "4321"), ("new-system", "4321")]);
    e.set_var("SOFTHSM2_CONF", &conf);
    let staff = e.staff();
    let d = format!("D{}", e.json(Some(&staff.silver), APPLY)["id"]);
    let c = &e.json(Some(&staff.admin), &["audit", "verify"])["checkpoint"];
    let checkpoint = format!(
        "{}:{}:{}",
        c["seq"],
        c["head"].as_str().unwrap(),
        c["mac"].as_str().unwrap()
    );
    assert!(e.ok(None, &["keys", "show"]).contains("master.key"));

    let to_token = [
        "keys",
        "to-token",
        "--module",
        MODULE,
        "--token-label",
        "force-hsm",
    ];
    e.fails(Some(&staff.silver), &to_token, "role_permits");
    // The PIN is asked for by name, and nothing moves without it.
    e.fails(Some(&staff.admin), &to_token, "LFR_PKCS11_PIN");
    assert!(e.path("keys/master.key").exists());
    e.set_var("LFR_PKCS11_PIN", "4321");
    let out = e.ok(Some(&staff.admin), &to_token);
    assert!(out.contains("1 deployment key(s) open under it"), "{out}");
    assert!(
        !e.path("keys/master.key").exists(),
        "the key file is destroyed"
    );
    assert!(
        e.ok(None, &["keys", "show"])
            .contains("\"lfr-master\" in PKCS#11 token \"force-hsm\"")
    );

    // The system goes on under the token's key: the chain and the earlier
    // checkpoint hold, the deployment reads, a new one can be filed.
    let v = e.json(
        Some(&staff.admin),
        &["audit", "verify", "--checkpoint", &checkpoint],
    );
    assert!(v["first_tampered"].is_null(), "{v}");
    e.ok(Some(&staff.silver), &["deployment", "show", &d]);
    e.json(Some(&staff.silver), APPLY);
    let log = e.ok(
        Some(&staff.admin),
        &["audit", "log", "--target", "master key"],
    );
    assert!(log.contains("keys.moved_to_token"), "{log}");

    // A new system's key is made in its token and never written out.
    let mut fresh = Env::new();
    fresh.set_var("SOFTHSM2_CONF", &conf);
    fresh.set_var("LFR_PKCS11_PIN", "4321");
    let create = [
        "keys",
        "create-in-token",
        "--module",
        MODULE,
        "--token-label",
        "new-system",
    ];
    fresh.ok(None, &create);
    fresh.bootstrap();
    assert!(!fresh.path("keys/master.key").exists());
    assert!(fresh.path("keys/master.pkcs11").exists());
    fresh.fails(None, &create, "already has a master key");
}
