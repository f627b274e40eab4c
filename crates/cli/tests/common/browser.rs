//! Running the Playwright scripts of `tests/browser` in Debian's headless
//! Chromium. A missing piece fails the test with what to install; nothing
//! is skipped silently.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `tests/browser`, checked to have `node` and Playwright ready.
pub fn scripts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser");
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "`node` is not installed: `apt-get install nodejs npm`, then `npm ci --prefix tests/browser`"
    );
    assert!(
        dir.join("node_modules/playwright-core/package.json")
            .is_file(),
        "Playwright is not installed for the browser test: run `npm ci --prefix tests/browser` \
         from the repository root (it installs playwright-core only; no browser is downloaded)"
    );
    dir
}

/// The Chromium binary: `LFR_CHROMIUM`, or Debian's.
pub fn chromium() -> PathBuf {
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

/// Runs `node SCRIPT ARGS` in `tests/browser` with `LFR_CHROMIUM` and
/// `env` set, killing it if it overruns `limit`: whether it succeeded, and
/// all it printed.
pub fn run(script: &str, args: &[&str], env: &[(&str, &Path)], limit: Duration) -> (bool, String) {
    let dir = scripts();
    let mut cmd = Command::new("node");
    cmd.arg(dir.join(script))
        .args(args)
        .current_dir(&dir)
        .env("LFR_CHROMIUM", chromium())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("node runs");
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
        if start.elapsed() > limit {
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
                "{text}\n{script} overran {} s and was stopped",
                limit.as_secs()
            ),
        ),
    }
}

/// Runs an operator script (`node SCRIPT ARGS`) from an async test, off
/// its runtime's threads; fails the test with all it printed unless it
/// succeeds, and returns the JSON line it ends with.
pub async fn run_for_json(
    script: &'static str,
    args: Vec<String>,
    limit: Duration,
) -> serde_json::Value {
    let (ok, said) = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(script, &args, &[], limit)
    })
    .await
    .expect("the script's thread");
    assert!(ok, "{script}:\n{said}");
    serde_json::from_str(said.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("{script} did not end with a JSON line ({e}):\n{said}"))
}
