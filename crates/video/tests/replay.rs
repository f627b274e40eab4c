//! A file replayed as a camera: paced by lfr, looped without a gap, each
//! jump back to the start said.

use std::process::Command;
use std::time::{Duration, Instant};

use lfr_video::{Replay, StreamOptions};

/// A one-second clip of FFmpeg's test pattern at 10 frames a second.
fn clip(dir: &std::path::Path) -> String {
    let out = dir.join("clip.mp4");
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg("testsrc=size=96x64:rate=10:duration=1")
        .args(["-c:v", "libx264", "-pix_fmt", "yuv420p", "-y"])
        .arg(&out)
        .status()
        .expect("FFmpeg runs (apt-get install ffmpeg)");
    assert!(status.success());
    out.to_string_lossy().into_owned()
}

fn realtime() -> StreamOptions {
    StreamOptions {
        realtime: true,
        ..StreamOptions::default()
    }
}

#[test]
fn a_looped_replay_keeps_the_cameras_pace_across_each_jump_and_says_where_it_jumped() {
    let tmp = tempfile::tempdir().unwrap();
    let mut replay = Replay::open(&clip(tmp.path()), true, &realtime()).unwrap();
    assert!(replay.paced());
    let started = Instant::now();
    let mut dues = Vec::new();
    let mut jumps = Vec::new();
    for n in 0..25 {
        let p = replay
            .next_frame()
            .unwrap()
            .expect("a looped file never ends");
        if p.jumped {
            jumps.push(n);
        }
        assert_eq!(p.frame.image.dimensions(), (96, 64));
        dues.push(p.due);
    }
    assert_eq!(jumps, [10, 20], "each pass is the clip's ten frames");
    for (k, w) in dues.windows(2).enumerate() {
        assert_eq!(
            w[1] - w[0],
            Duration::from_millis(100),
            "frame {} is due one interval after the one before, jump or not",
            k + 1
        );
    }
    // Read without waiting: decoding ran ahead of the schedule, the jumps
    // included, so the whole 2.5 s of frames came well before they were due.
    assert!(started.elapsed() < Duration::from_millis(2_400));
}

#[test]
fn a_replay_that_is_not_looped_ends_and_one_capped_in_rate_is_paced_at_the_cap() {
    let tmp = tempfile::tempdir().unwrap();
    let path = clip(tmp.path());
    let mut once = Replay::open(&path, false, &realtime()).unwrap();
    let mut n = 0;
    while let Some(p) = once.next_frame().unwrap() {
        assert!(!p.jumped);
        n += 1;
    }
    assert_eq!(n, 10);

    let capped = StreamOptions {
        max_fps: Some(5.0),
        ..realtime()
    };
    let mut slow = Replay::open(&path, true, &capped).unwrap();
    let a = slow.next_frame().unwrap().unwrap();
    let b = slow.next_frame().unwrap().unwrap();
    assert_eq!(b.due - a.due, Duration::from_millis(200));
    let jumped_at = (2..12)
        .find(|_| slow.next_frame().unwrap().unwrap().jumped)
        .expect("the capped pass jumps");
    assert_eq!(jumped_at, 5, "five frames a pass at 5 a second");
}

#[test]
fn a_replay_not_in_real_time_is_due_at_once_and_a_missing_file_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let mut fast = Replay::open(&clip(tmp.path()), false, &StreamOptions::default()).unwrap();
    assert!(!fast.paced());
    let p = fast.next_frame().unwrap().unwrap();
    assert!(p.due <= Instant::now());

    let missing = tmp.path().join("nowhere.mp4");
    // Not a regular file, so not probed: FFmpeg is what says so.
    let e = Replay::open(missing.to_str().unwrap(), true, &realtime())
        .and_then(|mut r| r.next_frame().map(|_| ()))
        .expect_err("a missing file is refused")
        .to_string();
    assert!(e.contains("No such file or directory"), "{e}");
}
