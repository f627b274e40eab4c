//! The published false alert rate divides by faces scanned, so a stop
//! must not lose them: `lfr serve` running a deployment's camera is
//! stopped with SIGTERM (what `kill` and service managers send) mid-stream,
//! and the deployment's recorded counts must equal what the cameras
//! counted up to the stop.

mod common;

use std::time::{Duration, Instant};

use common::*;

/// A camera list of one camera, `arcade`, replaying the crowd video in a
/// loop in real time.
fn crowd_camera(e: &Env) -> std::path::PathBuf {
    let cameras = e.path("cameras.json");
    let video = shared("data/video/arcade-crowd-1080p.mp4");
    std::fs::write(
        &cameras,
        serde_json::json!([{
            "name": "arcade",
            "location": "Arcade, main entrance",
            "source": { "kind": "file", "path": video, "realtime": true, "looped": true }
        }])
        .to_string(),
    )
    .unwrap();
    cameras
}

#[test]
fn a_stopped_server_has_recorded_every_face_it_scanned() {
    let e = Env::new();
    let r = e.running_deployment();
    let cameras = crowd_camera(&e);
    let published = e.path("published");
    let mut server = e.serve(
        &r.staff.engineer,
        &[
            "--publish-dir",
            published.to_str().unwrap(),
            "--deployment",
            &r.deployment,
            "--cameras",
            cameras.to_str().unwrap(),
        ],
    );
    let running = format!("cameras of {} running", r.deployment);
    let start = Instant::now();
    while !server.said().contains(&running) {
        assert!(
            server.child.try_wait().unwrap().is_none(),
            "lfr serve stopped before its cameras ran:\n{}",
            server.said()
        );
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the cameras did not start:\n{}",
            server.said()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let ready = &server.ready;
    assert_eq!(ready["deployment"], r.deployment.as_str(), "{ready}");
    assert_eq!(ready["pid"], server.child.id(), "{ready}");
    assert!(
        ready["url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    // Long enough for faces to be scanned, and not a whole number of the
    // 5 s write interval: the last counts are written only by the stop.
    std::thread::sleep(Duration::from_millis(7_500));
    let status = server.signal("-TERM");
    let text = server.said();
    assert!(status.success(), "lfr serve failed: {status}\n{text}");
    // "camera arcade stopped: N faces scanned, M frames dropped, all recorded"
    let line = text
        .lines()
        .find(|l| l.starts_with("camera arcade stopped:"))
        .unwrap_or_else(|| panic!("no final counts for the camera:\n{text}"));
    assert!(line.ends_with("all recorded"), "{line}");
    let number = |after: &str| -> u64 {
        let words: Vec<&str> = line.split_whitespace().collect();
        let i = words.iter().position(|w| *w == after).unwrap();
        words[i - 1].trim_end_matches(':').parse().unwrap()
    };
    let (faces, dropped) = (number("faces"), number("frames"));
    assert!(faces > 0, "the camera scanned no face: {line}");

    let report = e.json(Some(&r.staff.silver), &["report", &r.deployment]);
    assert_eq!(
        (
            report["faces_scanned"].as_u64(),
            report["dropped_frames"].as_u64()
        ),
        (Some(faces), Some(dropped)),
        "recorded counts against the cameras' own at the stop ({line}): {report}"
    );
    // A clean stop closed its session: once the deployment has ended, no
    // session is counted as stopped without its last counts.
    e.ok(
        Some(&r.staff.silver),
        &[
            "deployment",
            "terminate",
            &r.deployment,
            "--reason",
            "end of the test",
        ],
    );
    let report = e.json(Some(&r.staff.silver), &["report", &r.deployment]);
    assert_eq!(report["interrupted_sessions"], 0, "{report}");
}

#[test]
fn serve_refuses_to_run_cameras_as_someone_who_may_not() {
    let e = Env::new();
    let r = e.running_deployment();
    let cameras = crowd_camera(&e);
    let log = e.path("serve.log");
    let mut server = e.spawn(
        &r.staff.silver,
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--deployment",
            &r.deployment,
            "--cameras",
            cameras.to_str().unwrap(),
        ],
        &log,
    );
    let start = Instant::now();
    let status = loop {
        if let Some(s) = server.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = server.kill();
            panic!(
                "lfr serve ran on as a Silver Commander:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(!status.success(), "{said}");
    assert!(
        said.contains("cannot run as silver") && said.contains("System Engineer or Operator"),
        "{said}"
    );
}

/// A camera list naming a file that is not there is refused before
/// anything starts, with the camera and the path, instead of a server that
/// runs with a dead camera.
#[test]
fn serve_refuses_a_camera_list_it_cannot_run() {
    let e = Env::new();
    let r = e.running_deployment();
    let cameras = e.path("cameras.json");
    std::fs::write(
        &cameras,
        serde_json::json!([{
            "name": "gate",
            "location": "Gate 3",
            "source": { "kind": "file", "path": "/nonexistent/gate-3.mp4" }
        }])
        .to_string(),
    )
    .unwrap();
    let o = e.run(
        Some(&r.staff.engineer),
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--deployment",
            &r.deployment,
            "--cameras",
            cameras.to_str().unwrap(),
        ],
    );
    assert!(!o.ok, "{}", o.stderr);
    assert!(
        o.stderr.contains("camera `gate`")
            && o.stderr.contains("/nonexistent/gate-3.mp4 does not exist"),
        "{}",
        o.stderr
    );
}
