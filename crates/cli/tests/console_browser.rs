//! The console end to end in a real browser: `lfr serve --demo` replays the
//! crowd video as a camera, and `tests/browser/console.mjs` drives Debian's
//! headless Chromium through Playwright as an operator, an engagement
//! officer, a Silver Commander and users whose roles are refused.
//!
//! Needs: the models (`lfr models install`), the shared crowd video,
//! `chromium`, `node`, and `npm ci --prefix tests/browser`. A missing piece
//! fails the test with what to install; nothing is skipped silently.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{browser, shared};

/// How long the demo may take to set up (picking volunteers runs the
/// models over the start of the video) and how long the browser scenario
/// may take (it waits for the first alert of the replayed video).
const SETUP_LIMIT: Duration = Duration::from_secs(300);
const SCENARIO_LIMIT: Duration = Duration::from_secs(420);

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

#[test]
fn operator_adjudicates_a_live_alert_in_chromium() {
    browser::scripts();
    browser::chromium();
    let video = shared("data/video/arcade-crowd-1080p.mp4");

    let dir = tempfile::tempdir().unwrap();
    let info = dir.path().join("demo.json");
    let mut server = start_demo(dir.path(), &video);
    wait_for_info(&mut server, &info);
    let shots = dir.path().join("screenshots");
    let images = shared("data/dlib-reference/images");
    let (ok, output) = browser::run(
        "console.mjs",
        &[info.to_str().unwrap()],
        &[("LFR_SCREENSHOTS", &shots), ("LFR_IMPORT_IMAGES", &images)],
        SCENARIO_LIMIT,
    );
    eprintln!("{output}");
    assert!(
        ok,
        "the browser scenario failed:\n{output}\n--- lfr serve --demo said:\n{}",
        server.log()
    );
    assert!(output.contains("PASS"), "the scenario did not finish");
}
