//! One thread per camera that keeps frames coming: it opens the source,
//! pushes frames into the hand-off, and when the source fails (drops,
//! stalls, sends garbage, cannot be opened) it says so and tries again after
//! an exponential backoff. A file that ends is reported and, unless looped,
//! left ended.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lfr_video::{Frame, HwAccel, Killer, Next, Replay, Stream, StreamOptions, VideoError};

use crate::backoff::{Backoff, Retry};
use crate::camera::{CameraConfig, Source};
use crate::events::CameraStatus;
use crate::figures::Counters;
use crate::handoff::Handoff;

/// What a source thread reports; the session stamps and broadcasts it.
#[derive(Debug, Clone)]
pub struct StatusChange {
    pub camera: usize,
    pub status: CameraStatus,
    pub detail: String,
}

/// Settings shared by every source.
#[derive(Debug, Clone, Copy)]
pub struct SourceSettings {
    pub backoff: Backoff,
    pub stall_timeout: Duration,
    pub max_fps: Option<f64>,
    pub hwaccel: Option<HwAccel>,
}

/// The pieces a source thread needs.
pub struct SourceContext {
    pub camera: usize,
    pub config: CameraConfig,
    pub settings: SourceSettings,
    pub handoff: Arc<Handoff>,
    pub counters: Arc<Counters>,
    pub report: Box<dyn Fn(StatusChange) + Send>,
    pub stop: Arc<AtomicBool>,
    /// The running stream's killer, so that stopping does not wait for a frame.
    pub killer: Arc<Mutex<Option<Killer>>>,
}

/// How a source run ended.
enum Outcome {
    /// Reached its end and is not to be restarted.
    Ended,
    /// Failed; try again after a wait.
    Failed(CameraStatus, String),
    Stopped,
}

/// Whether a source's failure is one that retrying cannot mend, and what
/// it is in words: it needs a person (a path, a password, an address), not
/// a wait. Everything else (refused or reset connections, time-outs,
/// stalls, a stream that ended) is taken to be passing.
pub fn needs_a_person(why: &str) -> Option<&'static str> {
    const PERMANENT: &[(&str, &str)] = &[
        ("No such file or directory", "the file or folder is missing"),
        ("holds no JPEG or PNG images", "the folder holds no images"),
        ("Unauthorized", "the camera refused the credentials"),
        ("403 Forbidden", "the camera refused access"),
        ("404 Not Found", "the camera has no such stream"),
        ("Name or service not known", "no such host"),
        ("nodename nor servname", "no such host"),
        ("Permission denied", "permission denied"),
        (
            "Invalid data found when processing input",
            "the source is not video",
        ),
    ];
    PERMANENT
        .iter()
        .find(|(needle, _)| why.contains(needle))
        .map(|(_, what)| *what)
}

impl SourceContext {
    fn say(&self, status: CameraStatus, detail: impl Into<String>) {
        let detail = detail.into();
        if status != self.counters.status() || status != CameraStatus::Streaming {
            self.counters.set_status(status);
            (self.report)(StatusChange {
                camera: self.camera,
                status,
                detail,
            });
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Sleeps, waking early when the session stops.
    fn pause(&self, d: Duration) {
        let until = Instant::now() + d;
        while !self.stopped() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20).min(until - Instant::now()));
        }
    }

    /// The thread's body.
    pub fn run(self) {
        let mut retry = Retry::new(self.settings.backoff);
        loop {
            if self.stopped() {
                break;
            }
            self.say(
                CameraStatus::Connecting,
                format!("opening {}", self.config.source.describe()),
            );
            let started = Instant::now();
            let outcome = match &self.config.source {
                Source::Rtsp { url } => self.stream(url),
                Source::File {
                    path,
                    realtime,
                    looped,
                    ..
                } => self.replay(&path.to_string_lossy(), *realtime, *looped),
                Source::Images { dir, fps, looped } => self.images(dir, *fps, *looped),
            };
            match outcome {
                Outcome::Stopped => break,
                Outcome::Ended => {
                    self.say(CameraStatus::Ended, "the source reached its end");
                    return;
                }
                Outcome::Failed(status, why) => {
                    if self.stopped() {
                        break;
                    }
                    let mut wait = retry.after_failure(started.elapsed());
                    if let Some(what) = needs_a_person(&why) {
                        // Retrying fast cannot help; say so, and keep trying slowly
                        // in case someone fixes it.
                        wait = self.settings.backoff.max;
                        self.say(
                            CameraStatus::Failed,
                            format!(
                                "{what}: {why}; fix the camera's configuration (next try in {} s)",
                                wait.as_secs()
                            ),
                        );
                    } else {
                        self.say(status, why.clone());
                        self.say(
                            CameraStatus::Reconnecting,
                            format!(
                                "attempt {} in {} ms ({why})",
                                retry.attempt(),
                                wait.as_millis()
                            ),
                        );
                    }
                    self.pause(wait);
                }
            }
        }
        self.say(CameraStatus::Stopped, "stopped");
    }

    fn deliver(&self, frame: Frame, first: &mut bool) {
        if *first {
            *first = false;
            self.say(
                CameraStatus::Streaming,
                format!("{}x{}", frame.image.width(), frame.image.height()),
            );
        }
        self.handoff.push(self.camera, frame);
    }

    /// How every source's FFmpeg is started.
    fn stream_options(&self, realtime: bool) -> StreamOptions {
        StreamOptions {
            realtime,
            max_fps: self.settings.max_fps,
            stall_timeout: self.settings.stall_timeout,
            hwaccel: self.settings.hwaccel,
            ..StreamOptions::default()
        }
    }

    /// A live stream (RTSP): FFmpeg reads it as the camera sends it.
    fn stream(&self, input: &str) -> Outcome {
        let mut stream = match Stream::open(input, &self.stream_options(false)) {
            Ok(s) => s,
            Err(e) => return Outcome::Failed(CameraStatus::Reconnecting, e.to_string()),
        };
        self.set_killer(Some(stream.killer()));
        let mut first = true;
        let mut warned = None;
        let outcome = loop {
            if self.stopped() {
                break Outcome::Stopped;
            }
            match stream.next_frame() {
                Ok(Some(frame)) => {
                    self.deliver(frame, &mut first);
                    self.warn_of_damage(|| stream.take_diagnostics(), &mut warned, &mut first);
                }
                Ok(None) => {
                    break Outcome::Failed(
                        CameraStatus::Reconnecting,
                        "the stream ended".to_string(),
                    );
                }
                Err(e) => break self.failed(e),
            }
        };
        self.set_killer(None);
        outcome
    }

    /// A file replayed as a camera ([`Replay`]): paced at its own rate when
    /// `realtime`, and when `looped` played again from the start, the
    /// analysis told of each jump back so that no track carries across it.
    fn replay(&self, path: &str, realtime: bool, looped: bool) -> Outcome {
        let pause = self.config.source.loop_pause();
        let opts = self.stream_options(realtime);
        let mut replay = match Replay::open(path, looped, pause, &opts) {
            Ok(r) => r,
            Err(e) => return Outcome::Failed(CameraStatus::Reconnecting, e.to_string()),
        };
        self.set_killer(replay.killer());
        let mut first = true;
        let mut warned = None;
        let outcome = loop {
            if self.stopped() {
                break Outcome::Stopped;
            }
            match replay.next_frame() {
                Ok(Next::Frame(mut paced)) => {
                    self.pause(paced.due.saturating_duration_since(Instant::now()));
                    if replay.paced() {
                        // Handed on now: recognition time counts from here.
                        paced.frame.captured = Instant::now();
                    }
                    self.deliver(paced.frame, &mut first);
                    self.warn_of_damage(|| replay.take_diagnostics(), &mut warned, &mut first);
                }
                Ok(Next::PassEnded) => {
                    // The picture jumps back to the start: no track may
                    // carry across the jump. No FFmpeg runs in the pause,
                    // so no stall watchdog can fire during it.
                    self.set_killer(None);
                    self.handoff.restart(self.camera);
                    self.pause(pause);
                    if self.stopped() {
                        break Outcome::Stopped;
                    }
                    if let Err(e) = replay.begin_pass() {
                        break self.failed(e);
                    }
                    // Before the first read, so that stopping can end a read that waits.
                    self.set_killer(replay.killer());
                }
                Ok(Next::Ended) => break Outcome::Ended,
                Err(e) => break self.failed(e),
            }
        };
        self.set_killer(None);
        outcome
    }

    fn set_killer(&self, killer: Option<Killer>) {
        *self.killer.lock().unwrap_or_else(|e| e.into_inner()) = killer;
    }

    /// Why a stream or replay stopped delivering, as an outcome.
    fn failed(&self, e: VideoError) -> Outcome {
        match e {
            e @ VideoError::Stalled { .. } => Outcome::Failed(CameraStatus::Stalled, e.to_string()),
            _ if self.stopped() => Outcome::Stopped,
            e => Outcome::Failed(CameraStatus::Reconnecting, e.to_string()),
        }
    }

    /// Damage the decoder concealed, said at most every 5 s: `take` is
    /// asked only then, so what comes in between is counted in the next.
    fn warn_of_damage(
        &self,
        take: impl FnOnce() -> Option<(u64, Vec<String>)>,
        last: &mut Option<Instant>,
        first: &mut bool,
    ) {
        if last.is_some_and(|t| t.elapsed() <= Duration::from_secs(5)) {
            return;
        }
        if let Some((n, lines)) = take() {
            *last = Some(Instant::now());
            self.say(
                CameraStatus::Degraded,
                format!("the decoder reported {n} problem(s): {}", lines.join("; ")),
            );
            *first = true; // say Streaming again with the next frame
        }
    }

    /// A folder of images, in name order, paced at `fps`. An unreadable
    /// image is reported and skipped; an empty or missing folder is a failure.
    fn images(&self, dir: &Path, fps: f64, looped: bool) -> Outcome {
        let interval = Duration::from_secs_f64(1.0 / fps.clamp(0.01, 1000.0));
        let mut first = true;
        let mut index = 0u64;
        loop {
            let files = match list_images(dir) {
                Ok(f) if !f.is_empty() => f,
                Ok(_) => {
                    return Outcome::Failed(
                        CameraStatus::Reconnecting,
                        format!("{} holds no JPEG or PNG images", dir.display()),
                    );
                }
                Err(e) => {
                    return Outcome::Failed(
                        CameraStatus::Reconnecting,
                        format!("cannot read {}: {e}", dir.display()),
                    );
                }
            };
            let mut next = Instant::now();
            for f in files {
                if self.stopped() {
                    return Outcome::Stopped;
                }
                if let Some(wait) = next.checked_duration_since(Instant::now()) {
                    self.pause(wait);
                }
                next += interval;
                let read = std::fs::read(&f).map_err(|e| e.to_string());
                match read.and_then(|b| lfr_engine::image_file::decode(&b)) {
                    Ok(image) => {
                        let frame = Frame {
                            image,
                            index,
                            captured: Instant::now(),
                        };
                        index += 1;
                        self.deliver(frame, &mut first);
                    }
                    Err(e) => {
                        self.say(
                            CameraStatus::Degraded,
                            format!("skipped {}: not a readable image ({e})", f.display()),
                        );
                        first = true;
                    }
                }
            }
            if !looped {
                return Outcome::Ended;
            }
            self.handoff.restart(self.camera);
        }
    }
}

fn list_images(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "jpg" | "jpeg" | "png"))
        })
        .collect();
    v.sort();
    Ok(v)
}

#[cfg(test)]
mod failure_tests {
    use super::needs_a_person;

    #[test]
    fn failures_that_need_a_person_are_told_apart_from_passing_ones() {
        for (why, what) in [
            (
                "cannot open video /srv/cam1.mp4: /srv/cam1.mp4: No such file or directory",
                "the file or folder is missing",
            ),
            (
                "cannot open video rtsp://cam: method DESCRIBE failed: 401 Unauthorized",
                "the camera refused the credentials",
            ),
            (
                "cannot open video rtsp://nohost.invalid/s: Name or service not known",
                "no such host",
            ),
            (
                "cannot open video x.txt: Invalid data found when processing input",
                "the source is not video",
            ),
        ] {
            assert_eq!(needs_a_person(why), Some(what), "{why}");
        }
        for why in [
            "cannot open video rtsp://10.0.0.9/s: Connection refused",
            "rtsp://10.0.0.9/s stalled: no frame for 5000 ms; FFmpeg was stopped",
            "the stream ended",
            "reading frames from rtsp://cam failed: Connection reset by peer",
        ] {
            assert_eq!(needs_a_person(why), None, "{why}");
        }
    }
}
