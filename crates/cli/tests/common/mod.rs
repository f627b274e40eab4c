//! What the command-line tests share: the real `lfr` binary, run as a
//! person or a script would run it, against a scratch database and key
//! directory (and, for tests that add models, a scratch models directory).
#![allow(dead_code)] // each test file uses its own part of this

use std::path::{Path, PathBuf};
use std::process::Command;

/// Data beside the repository (`shared/`, or `LFR_SHARED`); a clear failure when missing.
pub fn shared(rel: &str) -> PathBuf {
    let root = std::env::var_os("LFR_SHARED")
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

pub struct Env {
    pub dir: tempfile::TempDir,
    /// A models directory of the test's own; `None`: the installed one.
    models: Option<PathBuf>,
}

pub struct Out {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Env {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            models: None,
        }
    }

    /// Runs `lfr` with `models` as its models directory from now on.
    pub fn use_models(&mut self, models: PathBuf) {
        self.models = Some(models);
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn run(&self, token: Option<&str>, args: &[&str]) -> Out {
        let mut c = Command::new(env!("CARGO_BIN_EXE_lfr"));
        c.args(args)
            .env(
                "LFR_DB",
                format!("sqlite://{}", self.path("lfr.db").display()),
            )
            .env("LFR_KEYS", self.path("keys"))
            .env("LFR_FOOTAGE_DIR", self.dir.path())
            .env_remove("LFR_TOKEN")
            .env_remove("LFR_MODEL");
        if let Some(m) = &self.models {
            c.env("LFR_MODELS", m);
        }
        if let Some(t) = token {
            c.env("LFR_TOKEN", t);
        }
        let o = c.output().unwrap();
        Out {
            ok: o.status.success(),
            stdout: String::from_utf8_lossy(&o.stdout).into(),
            stderr: String::from_utf8_lossy(&o.stderr).into(),
        }
    }

    pub fn ok(&self, token: Option<&str>, args: &[&str]) -> String {
        let o = self.run(token, args);
        assert!(o.ok, "lfr {args:?} failed:\n{}\n{}", o.stdout, o.stderr);
        o.stdout
    }

    pub fn fails(&self, token: Option<&str>, args: &[&str], says: &str) {
        let o = self.run(token, args);
        assert!(!o.ok, "lfr {args:?} should fail");
        assert!(
            o.stderr.contains(says),
            "lfr {args:?}: {says:?} not in\n{}",
            o.stderr
        );
    }

    pub fn json(&self, token: Option<&str>, args: &[&str]) -> serde_json::Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        serde_json::from_str(&self.ok(token, &a)).unwrap()
    }

    /// Adds a user as `admin` and returns their sign-in token.
    pub fn add_user(&self, admin: &str, name: &str, role: &str, rank: &str) -> String {
        let v = self.json(
            Some(admin),
            &[
                "user", "add", name, "--name", name, "--role", role, "--rank", rank,
            ],
        );
        v["token"].as_str().unwrap().to_string()
    }

    /// Adds an Authorising Officer: `admin` proposes the role, a second
    /// administrator (added here) approves it, and `admin` records the
    /// training. Returns the AO's token.
    pub fn add_ao(&self, admin: &str, name: &str, rank: &str) -> String {
        let v = self.json(
            Some(admin),
            &[
                "user",
                "add",
                name,
                "--name",
                name,
                "--role",
                "authorising_officer",
                "--rank",
                rank,
            ],
        );
        let change = format!("C{}", v["pending_change"]);
        let approver = format!("{name}.approver");
        let given = self.add_user(admin, &approver, "administrator", "staff");
        // The approver replaces the token they were given, so only they hold it.
        let own = self.json(Some(&given), &["user", "token", &approver]);
        let own = own["token"].as_str().unwrap().to_string();
        self.ok(Some(&own), &["user", "approve", &change]);
        self.train_ao(admin, name);
        v["token"].as_str().unwrap().to_string()
    }

    /// Records `username`'s Authorising Officer training, which authority needs.
    pub fn train_ao(&self, admin: &str, username: &str) {
        self.ok(
            Some(admin),
            &[
                "user",
                "train",
                username,
                "--course",
                "LFR AO",
                "--completed",
                "2026-01-10",
            ],
        );
    }
}
