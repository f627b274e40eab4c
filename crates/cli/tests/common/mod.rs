//! What the command-line tests share: the real `lfr` binary, run as a
//! person or a script would run it, against a scratch database and key
//! directory (and, for tests that add models, a scratch models directory).
#![allow(dead_code)] // each test file uses its own part of this

use std::path::{Path, PathBuf};
use std::process::Command;

pub mod browser;

pub use lfr_testkit::shared;

/// `lfr [--model M] bench lfw --data LFW --checks-only --record ...`: the
/// calibration checks on people N-Z, recorded; `extra` follows `--record`
/// (a FILE, or other options).
pub fn lfw_checks<'a>(lfw: &'a str, model: Option<&'a str>, extra: &[&'a str]) -> Vec<&'a str> {
    let named = model.map(|m| ["--model", m]).into_iter().flatten();
    let bench = ["bench", "lfw", "--data", lfw, "--checks-only", "--record"];
    named.chain(bench).chain(extra.iter().copied()).collect()
}

pub struct Env {
    pub dir: tempfile::TempDir,
    /// The database URL (a SQLite file in `dir` unless made with [`Env::on`]).
    pub db: String,
    /// A models directory of the test's own; `None`: the installed one.
    models: Option<PathBuf>,
    /// More environment for every `lfr` this runs.
    vars: Vec<(String, std::ffi::OsString)>,
}

pub struct Out {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Env {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite://{}", dir.path().join("lfr.db").display());
        Self {
            dir,
            db,
            models: None,
            vars: Vec::new(),
        }
    }

    /// An environment on the database at `url` (PostgreSQL, shared by nodes).
    pub fn on(url: &str) -> Self {
        Self {
            db: url.into(),
            ..Self::new()
        }
    }

    /// Runs `lfr` with `models` as its models directory from now on.
    pub fn use_models(&mut self, models: PathBuf) {
        self.models = Some(models);
    }

    /// Runs every `lfr` from now on with `key` set to `value`.
    pub fn set_var(&mut self, key: &str, value: impl Into<std::ffi::OsString>) {
        self.vars.push((key.into(), value.into()));
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `lfr` with `args`, this environment's database, keys, footage and
    /// models, and `token` (if any) as LFR_TOKEN.
    fn command(&self, token: Option<&str>, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_lfr"));
        c.args(args)
            .env("LFR_DB", &self.db)
            .env("LFR_KEYS", self.path("keys"))
            .env("LFR_FOOTAGE_DIR", self.dir.path())
            .env_remove("LFR_TOKEN")
            .env_remove("LFR_MODEL");
        if let Some(m) = &self.models {
            c.env("LFR_MODELS", m);
        }
        c.envs(self.vars.iter().map(|(k, v)| (k, v)));
        if let Some(t) = token {
            c.env("LFR_TOKEN", t);
        }
        c
    }

    pub fn run(&self, token: Option<&str>, args: &[&str]) -> Out {
        let mut c = self.command(token, args);
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

/// `deployment apply` with every field an application needs filled in;
/// tests add what they vary (`--threshold`, a global `--model` before it).
pub const APPLY: &[&str] = &[
    "deployment",
    "apply",
    "--location",
    "Queen Street",
    "--use-case",
    "event",
    "--starts",
    "now",
    "--ends",
    "+8h",
    "--legitimate-aim",
    "as recorded",
    "--legal-basis",
    "as recorded",
    "--necessity",
    "as recorded",
    "--proportionality",
    "as recorded",
    "--safeguards",
    "as recorded",
    "--alternatives",
    "as recorded",
    "--watchlist-composition",
    "as recorded",
    "--resources",
    "as recorded",
];

/// The tokens of the people a deployment needs.
pub struct Staff {
    pub admin: String,
    pub silver: String,
    pub ao: String,
    pub engineer: String,
}

/// A deployment running under written authority, with one approved
/// watchlist of one subject (Obama, from the `face_recognition` test
/// photographs), and the tokens of the people who made it so.
pub struct Running {
    pub deployment: String,
    pub staff: Staff,
}

impl Env {
    /// Bootstraps the first administrator and returns their token.
    pub fn bootstrap(&self) -> String {
        let v = self.json(
            None,
            &[
                "user",
                "bootstrap",
                "--username",
                "admin",
                "--name",
                "Admin",
            ],
        );
        v["token"].as_str().unwrap().to_string()
    }

    /// The administrator, a Silver Commander, a trained Authorising
    /// Officer and a System Engineer.
    pub fn staff(&self) -> Staff {
        let admin = self.bootstrap();
        Staff {
            silver: self.add_user(&admin, "silver", "silver_commander", "chief_inspector"),
            ao: self.add_ao(&admin, "supt", "superintendent"),
            engineer: self.add_user(&admin, "eng", "system_engineer", "staff"),
            admin,
        }
    }

    /// Bootstraps users, applies for, authorises and starts a deployment
    /// with the default model, its watchlist imported and approved.
    pub fn running_deployment(&self) -> Running {
        let staff = self.staff();
        let (silver, ao) = (&staff.silver, &staff.ao);
        let d = format!("D{}", self.json(Some(silver), APPLY)["id"]);
        self.ok(Some(silver), &["deployment", "team", &d, "--add", "eng"]);
        self.ok(
            Some(ao),
            &[
                "deployment",
                "authorise",
                &d,
                "--rationale",
                "r",
                "--from",
                "now",
                "--until",
                "+8h",
            ],
        );
        let w = self.json(
            Some(silver),
            &["watchlist", "create", &d, "--name", "event"],
        );
        let w = format!("W{}", w["id"]);
        let import = self.path("import");
        std::fs::create_dir_all(&import).unwrap();
        std::fs::write(
            import.join("manifest.json"),
            r#"{"entries":[{"ref":"S1","name":"Subject One","category":"wanted_by_courts",
            "justification":"Warrant for failing to appear at court","source":"PNC WA/1",
            "under_18":false,"images":["s1.jpg"]}]}"#,
        )
        .unwrap();
        std::fs::copy(
            shared("data/dlib-reference/images/obama.jpg"),
            import.join("s1.jpg"),
        )
        .unwrap();
        self.ok(
            Some(silver),
            &["watchlist", "import", &w, import.to_str().unwrap()],
        );
        self.ok(Some(ao), &["watchlist", "approve", &w]);
        self.ok(Some(silver), &["deployment", "start", &d]);
        Running {
            deployment: d,
            staff,
        }
    }

    /// `lfr` as a long-running child process with this environment,
    /// `token` as LFR_TOKEN, its output into `log`.
    pub fn spawn(&self, token: &str, args: &[&str], log: &Path) -> std::process::Child {
        let out = std::fs::File::create(log).unwrap();
        self.command(Some(token), args)
            .stdin(std::process::Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("the lfr binary runs")
    }
}

/// `lfr serve` on a free loopback port, running until dropped.
pub struct Served {
    pub child: std::process::Child,
    /// The console's address, as its ready file gives it (ends in `/`).
    pub url: String,
    pub log: PathBuf,
    /// What its ready file said.
    pub ready: serde_json::Value,
}

impl Served {
    /// Everything it has printed so far.
    pub fn said(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends `sig` (`-TERM`, `-KILL`) and waits up to 60 s for it to end.
    pub fn signal(&mut self, sig: &str) -> std::process::ExitStatus {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
        let start = std::time::Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            assert!(
                start.elapsed() < std::time::Duration::from_secs(60),
                "lfr serve did not stop on {sig}:\n{}",
                self.said()
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Env {
    /// Starts `lfr serve` with `args` and waits for its ready file.
    pub fn serve(&self, token: &str, args: &[&str]) -> Served {
        self.serve_as("serve", token, args)
    }

    /// [`Env::serve`] for a server named `name`: its output in `NAME.log`,
    /// its ready file `NAME.ready.json`, so that several can run at once.
    pub fn serve_as(&self, name: &str, token: &str, args: &[&str]) -> Served {
        let ready = self.path(&format!("{name}.ready.json"));
        let log = self.path(&format!("{name}.log"));
        let _ = std::fs::remove_file(&ready);
        let mut all = vec!["serve", "--listen", "127.0.0.1:0", "--ready-file"];
        all.push(ready.to_str().unwrap());
        all.extend_from_slice(args);
        let mut child = self.spawn(token, &all, &log);
        let start = std::time::Instant::now();
        loop {
            if let Ok(text) = std::fs::read_to_string(&ready)
                && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
            {
                let url = v["url"].as_str().unwrap().to_string();
                return Served {
                    child,
                    url,
                    log,
                    ready: v,
                };
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "lfr serve {name} stopped ({status}):\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            assert!(
                start.elapsed() < std::time::Duration::from_secs(120),
                "lfr serve {name} was not ready in 120 s:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}
