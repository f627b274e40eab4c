//! A file replayed as a camera: paced by lfr, looped without a gap, the
//! end of each pass said.

use std::process::Command;
use std::time::{Duration, Instant};

use lfr_video::{Next, Paced, Replay, StreamOptions};

/// A one-second clip of FFmpeg's test pattern at 10 frames a second.
fn clip(dir: &std::path::Path, container: &str) -> String {
    let out = dir.join(format!("clip.{container}"));
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

/// Reads `n` frames without waiting for them to be due, going on at each
/// pass's end; the frames' due times, and where the passes ended.
fn read(replay: &mut Replay, n: usize) -> (Vec<Paced>, Vec<usize>) {
    let (mut frames, mut ends) = (Vec::new(), Vec::new());
    while frames.len() < n {
        match replay.next_frame().unwrap() {
            Next::Frame(p) => frames.push(p),
            Next::PassEnded => {
                ends.push(frames.len());
                replay.begin_pass().unwrap();
                assert!(replay.killer().is_some(), "the new pass can be stopped");
            }
            Next::Ended => panic!("a looped file never ends"),
        }
    }
    (frames, ends)
}

#[test]
fn a_looped_replay_keeps_the_cameras_pace_across_each_pass_and_says_where_it_ended() {
    let tmp = tempfile::tempdir().unwrap();
    // MP4 states its frame count; Matroska only its duration.
    for container in ["mp4", "mkv"] {
        let mut replay = Replay::open(
            &clip(tmp.path(), container),
            true,
            Duration::ZERO,
            &realtime(),
        )
        .unwrap();
        assert!(replay.paced());
        let started = Instant::now();
        let (frames, ends) = read(&mut replay, 25);
        assert_eq!(
            ends,
            [10, 20],
            "{container}: each pass is the clip's ten frames"
        );
        // A short clip without a pause is looped by one FFmpeg, which
        // costs no start a pass; each pass still begins with the clip's
        // first picture (the test pattern's pictures all differ).
        assert_eq!(replay.processes_started(), 1, "{container}");
        let picture = |k: usize| &frames[k].frame.image;
        assert!(
            picture(10) == picture(0) && picture(20) == picture(0),
            "{container}"
        );
        assert!(
            picture(9) != picture(0) && picture(11) != picture(0),
            "{container}"
        );
        assert!(
            frames
                .iter()
                .all(|p| p.frame.image.dimensions() == (96, 64))
        );
        for (k, w) in frames.windows(2).enumerate() {
            assert_eq!(
                w[1].due - w[0].due,
                Duration::from_millis(100),
                "{container}: frame {} is due one interval after the one before, pass end or not",
                k + 1
            );
        }
        // Read without waiting: decoding ran ahead of the schedule, the
        // passes' ends included, so 2.5 s of frames came well before due.
        assert!(started.elapsed() < Duration::from_millis(2_400));
    }
}

/// Read as a camera's frames are handed on, each when due: the jump back
/// to the start (FFmpeg finishing one pass, the next taking over) shifts
/// nothing, so a replay delivers the file's rate however many passes.
#[test]
fn read_in_real_time_the_schedule_runs_on_across_each_jump() {
    let tmp = tempfile::tempdir().unwrap();
    let mut replay =
        Replay::open(&clip(tmp.path(), "mp4"), true, Duration::ZERO, &realtime()).unwrap();
    let mut dues = Vec::new();
    let mut ends = 0;
    while dues.len() < 16 {
        match replay.next_frame().unwrap() {
            Next::Frame(p) => {
                std::thread::sleep(p.due.saturating_duration_since(Instant::now()));
                dues.push(p.due);
            }
            Next::PassEnded => {
                ends += 1;
                // A busy machine: the end of the pass is seen late, after
                // the next frame was due.
                std::thread::sleep(Duration::from_millis(150));
                replay.begin_pass().unwrap();
            }
            Next::Ended => panic!("looped"),
        }
    }
    assert_eq!(ends, 1);
    assert_eq!(
        *dues.last().unwrap() - dues[0],
        Duration::from_millis(1_500),
        "16 frames at 10 a second, the jump after the tenth included"
    );
}

#[test]
fn after_a_pause_between_passes_the_next_frame_is_due_when_read() {
    let tmp = tempfile::tempdir().unwrap();
    let path = clip(tmp.path(), "mp4");
    let mut replay = Replay::open(&path, true, Duration::from_millis(300), &realtime()).unwrap();
    let mut last_due = None;
    loop {
        match replay.next_frame().unwrap() {
            Next::Frame(p) => last_due = Some(p.due),
            Next::PassEnded => break,
            Next::Ended => panic!("looped"),
        }
    }
    assert!(replay.killer().is_none(), "no FFmpeg runs between passes");
    // The pause: the schedule went by meanwhile.
    std::thread::sleep(
        last_due.unwrap().saturating_duration_since(Instant::now()) + Duration::from_millis(300),
    );
    replay.begin_pass().unwrap();
    let before = Instant::now();
    let Next::Frame(first) = replay.next_frame().unwrap() else {
        panic!("a frame")
    };
    assert!(
        first.due >= before,
        "due when read, not in a burst to catch up"
    );
    // With a pause, each pass has an FFmpeg of its own, none running between.
    assert_eq!(replay.processes_started(), 2);
}

#[test]
fn a_replay_that_is_not_looped_ends_and_a_rate_cap_below_the_files_paces_at_the_cap() {
    let tmp = tempfile::tempdir().unwrap();
    let path = clip(tmp.path(), "mp4");
    let mut once = Replay::open(&path, false, Duration::ZERO, &realtime()).unwrap();
    let mut n = 0;
    loop {
        match once.next_frame().unwrap() {
            Next::Frame(_) => n += 1,
            Next::PassEnded => panic!("not looped"),
            Next::Ended => break,
        }
    }
    assert_eq!(n, 10);

    let capped = |max| StreamOptions {
        max_fps: Some(max),
        ..realtime()
    };
    let mut slow = Replay::open(&path, true, Duration::ZERO, &capped(5.0)).unwrap();
    let (frames, ends) = read(&mut slow, 12);
    assert_eq!(frames[1].due - frames[0].due, Duration::from_millis(200));
    assert_eq!(ends, [5, 10], "five frames a pass at 5 a second");
    // A cap above the file's rate is no cap: FFmpeg's filter would repeat
    // frames up to it, and the replay would run slow.
    let mut fast = Replay::open(&path, true, Duration::ZERO, &capped(30.0)).unwrap();
    let (frames, ends) = read(&mut fast, 12);
    assert_eq!(frames[1].due - frames[0].due, Duration::from_millis(100));
    assert_eq!(ends, [10]);
}

#[test]
fn a_replay_not_in_real_time_is_due_at_once_and_a_missing_file_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let path = clip(tmp.path(), "mp4");
    let mut fast = Replay::open(&path, false, Duration::ZERO, &StreamOptions::default()).unwrap();
    assert!(!fast.paced());
    let Next::Frame(p) = fast.next_frame().unwrap() else {
        panic!("a frame")
    };
    assert!(p.due <= Instant::now());

    // Not a regular file, so not probed: FFmpeg is what says so.
    let missing = tmp.path().join("nowhere.mp4");
    let e = Replay::open(missing.to_str().unwrap(), true, Duration::ZERO, &realtime())
        .and_then(|mut r| r.next_frame().map(|_| ()))
        .expect_err("a missing file is refused")
        .to_string();
    assert!(e.contains("No such file or directory"), "{e}");
}
