//! What several crates' tests share. Test code only: no crate depends on
//! this one outside `[dev-dependencies]`.

use std::path::{Path, PathBuf};

/// A file or folder of the read-only test data (`shared/` beside the
/// repository, or `$LFR_SHARED`), or a failure that says where it was
/// looked for and how to point the tests at it.
pub fn shared(rel: &str) -> PathBuf {
    let root = std::env::var_os("LFR_SHARED")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let p = root.join(rel);
    assert!(
        p.exists(),
        "shared test data {} is missing: this test needs the read-only `shared/` folder beside the repository (or set LFR_SHARED)",
        p.display()
    );
    p
}

/// The PostgreSQL server the tests may use, from `LFR_TEST_POSTGRES` (an
/// administrator's URL such as `postgres://postgres:PW@localhost/postgres`;
/// `scripts/test-store-postgres` sets it up).
pub fn postgres_admin() -> Option<String> {
    std::env::var("LFR_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
}

/// A fresh, empty PostgreSQL database on the server at `admin`.
pub async fn fresh_postgres(admin: &str) -> String {
    use sqlx::Connection;
    // Tests run in parallel threads and the clock can read the same for
    // two of them: a counter keeps the names apart.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let name = format!(
        "lfr_test_{}_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let mut c = sqlx::PgConnection::connect(admin)
        .await
        .expect("LFR_TEST_POSTGRES must name a reachable PostgreSQL server");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut c)
        .await
        .unwrap();
    let (base, _) = admin
        .rsplit_once('/')
        .expect("LFR_TEST_POSTGRES must end in /DATABASE");
    format!("{base}/{name}")
}

/// A fresh database: on PostgreSQL when `LFR_TEST_POSTGRES` is set, else a
/// new SQLite file in `dir`.
pub async fn fresh_database(dir: &Path) -> String {
    match postgres_admin() {
        Some(admin) => fresh_postgres(&admin).await,
        None => format!("sqlite://{}", dir.join("lfr.db").display()),
    }
}

/// SoftHSM2's PKCS#11 library, as Debian's `softhsm2` installs it.
pub const SOFTHSM_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// A SoftHSM2 configuration of the test's own in `dir`, holding a fresh
/// token for each `(label, user PIN)`; returns the file `SOFTHSM2_CONF`
/// must name.
pub fn softhsm(dir: &Path, tokens: &[(&str, &str)]) -> std::path::PathBuf {
    assert!(
        Path::new(SOFTHSM_MODULE).exists(),
        "{SOFTHSM_MODULE} is missing: this test needs SoftHSM2 (apt-get install softhsm2; scripts/setup and .ci/run install it)"
    );
    let store = dir.join("tokens");
    std::fs::create_dir_all(&store).unwrap();
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            store.display()
        ),
    )
    .unwrap();
    for (label, pin) in tokens {
        let out = std::process::Command::new("softhsm2-util")
            .args(["--init-token", "--free", "--label", label, "--pin", pin])
            .args(["--so-pin", "security-officer-1"])
            .env("SOFTHSM2_CONF", &conf)
            .output()
            .expect("softhsm2-util runs (apt-get install softhsm2)");
        assert!(
            out.status.success(),
            "softhsm2-util: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    conf
}
