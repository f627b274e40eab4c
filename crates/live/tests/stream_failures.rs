//! Streams that end, stall or send garbage are survived and reported, and
//! the session goes on with its other cameras. Real FFmpeg, real models, a
//! real store.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use lfr_live::backoff::Backoff;
use lfr_live::{CameraConfig, CameraEvent, CameraStatus, LiveConfig, LiveEvent, Session, Source};
use tokio::sync::broadcast::Receiver;

fn quick() -> LiveConfig {
    LiveConfig {
        stall_timeout: Duration::from_millis(1500),
        backoff: Backoff {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(1),
            reset_after: Duration::from_secs(30),
        },
        workers: Some(1),
        ..LiveConfig::default()
    }
}

fn file(name: &str, path: &Path, looped: bool) -> CameraConfig {
    file_pausing(name, path, looped, 0.0)
}

fn file_pausing(name: &str, path: &Path, looped: bool, loop_pause_s: f64) -> CameraConfig {
    CameraConfig {
        name: name.into(),
        location: format!("{name} location"),
        source: Source::File {
            path: path.into(),
            realtime: true,
            looped,
            loop_pause_s,
        },
        zone: None,
        min_eyes: None,
    }
}

/// The crowd video's first second, small.
fn one_second_clip(dir: &Path) -> std::path::PathBuf {
    let clip = dir.join("clip.mp4");
    ffmpeg(&[
        "-i",
        crowd().to_str().unwrap(),
        "-t",
        "1",
        "-an",
        "-vf",
        "scale=640:-2",
        clip.to_str().unwrap(),
    ]);
    clip
}

/// Waits for a camera event matching `f`, collecting every camera event seen.
async fn wait_for(
    rx: &mut Receiver<LiveEvent>,
    seen: &mut Vec<CameraEvent>,
    within: Duration,
    f: impl Fn(&CameraEvent) -> bool,
) -> CameraEvent {
    // Cameras run concurrently: what is awaited may already have gone by
    // while an earlier wait was reading the stream.
    if let Some(e) = seen.iter().find(|e| f(e)) {
        return e.clone();
    }
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Ok(LiveEvent::Camera(e))) => {
                seen.push(e.clone());
                if f(&e) {
                    return e;
                }
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => panic!("event stream failed: {e}"),
            Err(_) => panic!("no such camera event within {within:?}; saw {seen:#?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_ends_a_stalled_fifo_and_garbage_are_survived_and_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let (store, w) = active_deployment(tmp.path(), 1).await;
    // Inputs: a short clip that ends; garbage; a clip damaged in the middle;
    // a FIFO whose writer stops writing but keeps it open.
    let clip = one_second_clip(tmp.path());
    let garbage = tmp.path().join("garbage.mp4");
    std::fs::write(
        &garbage,
        (0..200_000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let damaged = tmp.path().join("damaged.ts");
    ffmpeg(&[
        "-i",
        crowd().to_str().unwrap(),
        "-t",
        "2",
        "-an",
        "-vf",
        "scale=640:-2",
        "-c:v",
        "libx264",
        "-g",
        "200",
        "-f",
        "mpegts",
        damaged.to_str().unwrap(),
    ]);
    let mut bytes = std::fs::read(&damaged).unwrap();
    let mid = bytes.len() / 2;
    for (i, b) in bytes[mid..mid + 20_000].iter_mut().enumerate() {
        *b = (i as u32).wrapping_mul(2246822519).to_le_bytes()[1];
    }
    std::fs::write(&damaged, &bytes).unwrap();
    let fifo = tmp.path().join("camera.fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo on a path we own, with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let mut writer = std::process::Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-re",
            "-stream_loop",
            "-1",
            "-i",
        ])
        .arg(&clip)
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-f", "mpegts"])
        .arg(&fifo)
        .stdin(std::process::Stdio::null())
        .spawn()
        .unwrap();

    let cameras = vec![
        file("ends", &clip, false),
        file("garbage", &garbage, false),
        file("damaged", &damaged, false),
        file("fifo", &fifo, false),
    ];
    let session = Session::start(
        store.clone(),
        w.engineer.clone(),
        w.deployment,
        cameras,
        models(),
        quick(),
    )
    .await
    .unwrap();
    let mut rx = session.subscribe();
    let mut seen = Vec::new();
    let t = Duration::from_secs(20);

    // The FIFO streams; then its writer freezes (SIGSTOP keeps the pipe open
    // and silent), so the stall timeout kills the decoder and it reconnects.
    wait_for(&mut rx, &mut seen, t, |e| {
        e.camera == "fifo" && e.status == CameraStatus::Streaming
    })
    .await;
    // SAFETY: signalling our own child.
    unsafe { libc::kill(writer.id() as i32, libc::SIGSTOP) };
    let stalled = wait_for(&mut rx, &mut seen, t, |e| {
        e.camera == "fifo" && e.status == CameraStatus::Stalled
    })
    .await;
    assert!(stalled.detail.contains("no frame for"), "{stalled:?}");
    wait_for(&mut rx, &mut seen, t, |e| {
        e.camera == "fifo" && e.status == CameraStatus::Reconnecting
    })
    .await;
    unsafe { libc::kill(writer.id() as i32, libc::SIGCONT) };

    // The others, in whatever order they happen.
    wait_for(&mut rx, &mut seen, t, |e| {
        e.camera == "ends" && e.status == CameraStatus::Ended
    })
    .await;
    // A file that is not video needs a person: it is failed, said so with
    // what is wrong, and tried again only at the longest wait.
    let refused = wait_for(&mut rx, &mut seen, t, |e| {
        e.camera == "garbage" && e.status == CameraStatus::Failed
    })
    .await;
    assert!(
        refused.detail.starts_with("the source is not video"),
        "{refused:?}"
    );
    let hurt = wait_for(&mut rx, &mut seen, t, |e| {
        e.camera == "damaged" && e.status == CameraStatus::Degraded
    })
    .await;
    assert!(hurt.detail.contains("decoder reported"), "{hurt:?}");
    // The garbage keeps being tried, and never takes the session down.
    let failed = |seen: &Vec<CameraEvent>| {
        seen.iter()
            .filter(|e| e.camera == "garbage" && e.status == CameraStatus::Failed)
            .count()
    };
    let deadline = Instant::now() + t;
    while failed(&seen) < 3 {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Ok(LiveEvent::Camera(e))) => seen.push(e),
            Ok(Ok(_)) => {}
            other => panic!("the garbage camera was not tried again: {other:?}; saw {seen:#?}"),
        }
    }

    let figures = session.stop().await;
    let _ = writer.kill();
    let _ = writer.wait();
    let by = |n: &str| figures.iter().find(|f| f.camera == n).unwrap().clone();
    let ends = by("ends");
    assert_eq!(ends.frames_decoded, 25, "one second at 25 fps");
    assert_eq!(
        ends.frames_analysed + ends.frames_dropped,
        ends.frames_decoded,
        "every frame is analysed or counted as dropped"
    );
    assert!(ends.frames_analysed > 0);
    // Every face scanned and frame dropped is in the deployment's record.
    let stored = store.metrics(&w.silver, w.deployment).await.unwrap();
    let sum = |f: fn(&lfr_live::CameraFigures) -> u64| figures.iter().map(f).sum::<u64>();
    assert_eq!(stored.faces_scanned, sum(|f| f.faces_scanned));
    assert_eq!(stored.dropped_frames, sum(|f| f.frames_dropped));
    assert_eq!(sum(|f| f.faces_unrecorded + f.dropped_unrecorded), 0);
    assert_eq!(by("garbage").frames_decoded, 0);
    assert!(
        by("damaged").frames_decoded > 25,
        "frames after the damage still arrive"
    );
    assert!(by("fifo").frames_decoded > 0);
    // Every camera's events are in order: it connected before it streamed.
    for name in ["ends", "damaged", "fifo"] {
        let first = seen.iter().find(|e| e.camera == name).unwrap();
        assert_eq!(first.status, CameraStatus::Connecting, "{name}: {seen:#?}");
    }
}

/// A looped file with a pause between passes (the demo waits 20 s) is not
/// taken for a stalled stream, however long the pause beside the stall
/// timeout: no FFmpeg runs in the pause.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_between_passes_is_not_a_stall() {
    let tmp = tempfile::tempdir().unwrap();
    let (store, w) = active_deployment(tmp.path(), 1).await;
    let clip = one_second_clip(tmp.path());
    // A pause longer than quick()'s 1.5 s stall timeout.
    let camera = file_pausing("pausing", &clip, true, 2.0);
    let session = Session::start(
        store.clone(),
        w.engineer.clone(),
        w.deployment,
        vec![camera],
        models(),
        quick(),
    )
    .await
    .unwrap();
    let mut rx = session.subscribe();
    let mut seen = Vec::new();
    // Two passes and two pauses, and into the third pass.
    let until = Instant::now() + Duration::from_millis(6_500);
    while let Ok(Ok(e)) =
        tokio::time::timeout(until.saturating_duration_since(Instant::now()), rx.recv()).await
    {
        if let LiveEvent::Camera(e) = e {
            seen.push(e);
        }
    }
    let figures = session.stop().await;
    assert!(
        seen.iter().all(|e| !matches!(
            e.status,
            CameraStatus::Stalled | CameraStatus::Reconnecting | CameraStatus::Failed
        )),
        "{seen:#?}"
    );
    assert!(
        figures[0].frames_decoded >= 50,
        "at least two passes of 25 frames: {}",
        figures[0].frames_decoded
    );
}
