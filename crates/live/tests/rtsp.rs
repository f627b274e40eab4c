//! RTSP cameras, H.264 and H.265: the crowd video served by a local RTSP
//! server (GStreamer's, tests/rtsp_server.py) is decoded by `Source::Rtsp`
//! cameras, analysed, and raises alerts for the volunteers walking past.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use lfr_live::{CameraConfig, CameraStatus, LiveConfig, LiveEvent, Session, Source};

/// A running RTSP server; stopped (its standard input closed, then killed)
/// when dropped.
struct RtspServer {
    child: Child,
    url: String,
}

impl Drop for RtspServer {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Serves `file` (Matroska, `codec` h264 or h265) at rtsp://127.0.0.1:PORT/camera.
fn serve(file: &Path, codec: &str) -> RtspServer {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/rtsp_server.py");
    let port = free_port();
    let mut child = Command::new("/usr/bin/python3")
        .arg(script)
        .arg(port.to_string())
        .arg(file)
        .arg(codec)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("/usr/bin/python3 must be installed (apt-get install python3)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    if line.trim() != "READY" {
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        panic!(
            "the RTSP test server did not start: {}\nIt needs GStreamer's RTSP server: apt-get install python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-bad",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    RtspServer {
        child,
        url: format!("rtsp://127.0.0.1:{port}/camera"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h264_and_h265_rtsp_cameras_are_decoded_and_raise_alerts() {
    let tmp = tempfile::tempdir().unwrap();
    let h264 = tmp.path().join("crowd-h264.mkv");
    let h265 = tmp.path().join("crowd-h265.mkv");
    let crowd = crowd();
    let crowd = crowd.to_str().unwrap();
    // The shared clip is H.264 already: copied as it is into Matroska. The
    // H.265 copy is encoded at a quality near the original's (x265's
    // default, CRF 28, blurs faces below the quality gate's sharpness).
    ffmpeg(&["-i", crowd, "-an", "-c:v", "copy", h264.to_str().unwrap()]);
    ffmpeg(&[
        "-i",
        crowd,
        "-an",
        "-c:v",
        "libx265",
        "-preset",
        "ultrafast",
        "-crf",
        "18",
        "-x265-params",
        "log-level=error",
        "-g",
        "25",
        h265.to_str().unwrap(),
    ]);
    let store = std::sync::Arc::new(open_store(tmp.path(), true).await);
    let w = lfr_live::walkthrough::setup(
        &store,
        Path::new(crowd),
        &models(),
        6,
        &shared("data/lfw/images"),
        STRANGERS,
    )
    .await
    .unwrap();
    let servers = [serve(&h264, "h264"), serve(&h265, "h265")];
    let cameras: Vec<CameraConfig> = ["h264", "h265"]
        .iter()
        .zip(&servers)
        .map(|(codec, s)| CameraConfig {
            name: format!("rtsp-{codec}"),
            location: format!("RTSP camera sending {codec}"),
            source: Source::Rtsp { url: s.url.clone() },
            zone: None,
            min_eyes: None,
        })
        .collect();
    let session = Session::start(
        store.clone(),
        w.engineer.clone(),
        w.deployment,
        cameras,
        models(),
        LiveConfig {
            workers: Some(1),
            ..LiveConfig::default()
        },
    )
    .await
    .unwrap();
    let mut events = session.subscribe();
    let mut streaming = Vec::new();
    let mut alerted = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while (streaming.len() < 2 || alerted.len() < 2) && Instant::now() < deadline {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Ok(LiveEvent::Camera(e))) => {
                if e.status == CameraStatus::Streaming && !streaming.contains(&e.camera) {
                    assert_eq!(e.detail, "1920x1080", "{e:?}");
                    streaming.push(e.camera);
                }
            }
            Ok(Ok(LiveEvent::Alert(a))) => {
                if !alerted.contains(&a.alert.camera) {
                    alerted.push(a.alert.camera);
                }
            }
            // The volunteer seen by the other camera within the encounter
            // window is recorded on the first camera's alert (docs/nodes.md):
            // that camera recognised them as surely as an alert would say.
            Ok(Ok(LiveEvent::SeenAgain { camera, .. })) => {
                if !alerted.contains(&camera) {
                    alerted.push(camera);
                }
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => panic!("event stream failed: {e}"),
            Err(_) => break,
        }
    }
    let figures = session.stop().await;
    for f in &figures {
        assert!(
            f.frames_decoded >= 25 && f.frames_analysed > 0 && f.detections > 0,
            "{} decoded {} frames, analysed {}, found {} faces",
            f.camera,
            f.frames_decoded,
            f.frames_analysed,
            f.detections
        );
    }
    streaming.sort();
    alerted.sort();
    assert_eq!(streaming, ["rtsp-h264", "rtsp-h265"], "{figures:#?}");
    assert_eq!(
        alerted,
        ["rtsp-h264", "rtsp-h265"],
        "each RTSP camera should recognise a volunteer (an alert, or a sighting on the other camera's alert): {figures:#?}"
    );
    let stored = store.alerts(&w.silver, w.deployment).await.unwrap();
    assert!(
        stored.iter().any(|a| a.camera == "rtsp-h265"
            || a.sightings.iter().any(|s| s.camera == "rtsp-h265")),
        "the H.265 camera's recognition is stored"
    );
}
