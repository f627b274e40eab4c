//! The console end to end in a real browser: `lfr serve --demo` replays the
//! crowd video as a camera, and `tests/browser/console.mjs` drives Debian's
//! headless Chromium through Playwright as an operator, an engagement
//! officer, a Silver Commander and users whose roles are refused.
//!
//! Needs: the models (`lfr models install`), the shared crowd video,
//! `chromium`, `node`, and `npm ci --prefix tests/browser`. A missing piece
//! fails the test with what to install; nothing is skipped silently.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// How long the demo may take to set up (picking volunteers runs the
/// models over the start of the video) and how long the browser scenario
/// may take (it waits for the first alert of the replayed video).
const SETUP_LIMIT: Duration = Duration::from_secs(300);
const SCENARIO_LIMIT: Duration = Duration::from_secs(420);

fn shared() -> PathBuf {
    std::env::var_os("LFR_SHARED")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")))
}

fn chromium() -> PathBuf {
    let path = std::env::var_os("LFR_CHROMIUM")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.is_file(),
        "no Chromium at {}: install Debian's (`apt-get install chromium`) or set LFR_CHROMIUM \
         to a Chromium binary",
        path.display()
    );
    path
}

fn node_ready(browser_dir: &Path) {
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "`node` is not installed: `apt-get install nodejs npm`, then `npm ci --prefix tests/browser`"
    );
    assert!(
        browser_dir
            .join("node_modules/playwright-core/package.json")
            .is_file(),
        "Playwright is not installed for the browser test: run `npm ci --prefix tests/browser` \
         from the repository root (it installs playwright-core only; no browser is downloaded)"
    );
}

/// The demo server, stopped like Ctrl-C when the test ends, so it removes
/// its temporary database.
struct Server {
    child: Child,
    log: PathBuf,
}

impl Server {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if self.exited().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_demo(dir: &Path, video: &Path) -> Server {
    let log = dir.join("serve.log");
    let out = std::fs::File::create(&log).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_lfr"))
        .args([
            "serve",
            "--demo",
            "--listen",
            "127.0.0.1:0",
            "--volunteers",
            "4",
        ])
        .arg("--video")
        .arg(video)
        .arg("--demo-info")
        .arg(dir.join("demo.json"))
        .env_remove("LFR_TOKEN")
        .env_remove("LFR_DB")
        .env("TMPDIR", dir)
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .expect("the lfr binary runs");
    Server { child, log }
}

/// Waits for the demo to write its sign-in links; fails with the server's
/// own words if it stops first.
fn wait_for_info(server: &mut Server, info: &Path) {
    let start = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(info)
            && serde_json::from_str::<serde_json::Value>(&text).is_ok()
        {
            eprintln!("demo ready after {:.0} s", start.elapsed().as_secs_f64());
            return;
        }
        if let Some(status) = server.exited() {
            panic!(
                "lfr serve --demo stopped ({status}) before it was ready; it said:\n{}\n\
                 (models missing? run `lfr models install`, see docs/models.md)",
                server.log()
            );
        }
        assert!(
            start.elapsed() < SETUP_LIMIT,
            "lfr serve --demo was not ready after {} s; it said:\n{}",
            SETUP_LIMIT.as_secs(),
            server.log()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Runs the Playwright scenario, killing it if it overruns.
fn run_scenario(browser_dir: &Path, info: &Path, chromium: &Path, shots: &Path) -> (bool, String) {
    let mut child = Command::new("node")
        .arg(browser_dir.join("console.mjs"))
        .arg(info)
        .current_dir(browser_dir)
        .env("LFR_CHROMIUM", chromium)
        .env("LFR_SCREENSHOTS", shots)
        .env(
            "LFR_IMPORT_IMAGES",
            shared().join("data/dlib-reference/images"),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if start.elapsed() > SCENARIO_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let text = format!(
        "{}{}",
        reader.join().unwrap_or_default(),
        err_reader.join().unwrap_or_default()
    );
    match status {
        Some(s) => (s.success(), text),
        None => (
            false,
            format!(
                "{text}\nthe browser scenario overran {} s and was stopped",
                SCENARIO_LIMIT.as_secs()
            ),
        ),
    }
}

#[test]
fn operator_adjudicates_a_live_alert_in_chromium() {
    let browser_dir = Path::new(REPO).join("tests/browser");
    let chromium = chromium();
    node_ready(&browser_dir);
    let video = shared().join("data/video/arcade-crowd-1080p.mp4");
    assert!(
        video.is_file(),
        "shared data missing: {} (set LFR_SHARED to the shared data folder)",
        video.display()
    );

    let dir = tempfile::tempdir().unwrap();
    let info = dir.path().join("demo.json");
    let mut server = start_demo(dir.path(), &video);
    wait_for_info(&mut server, &info);
    let shots = dir.path().join("screenshots");
    let (ok, output) = run_scenario(&browser_dir, &info, &chromium, &shots);
    eprintln!("{output}");
    assert!(
        ok,
        "the browser scenario failed:\n{output}\n--- lfr serve --demo said:\n{}",
        server.log()
    );
    assert!(output.contains("PASS"), "the scenario did not finish");
}
