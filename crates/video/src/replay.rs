//! A video file replayed as a camera: paced by lfr at the file's frame
//! rate, and looped without a gap.
//!
//! FFmpeg's own pacing (`-re`) restarts with each pass: opening the file
//! again costs 0.13-0.24 s with no picture, so a 4.2 s clip replayed at
//! 25 fps delivered 23.3 frames a second, and a paced FFmpeg started early
//! would fall behind while unread and then catch up in a burst. Here
//! FFmpeg decodes as fast as it is read, lfr says when each frame is due,
//! and the next pass's FFmpeg is started about a second before the current
//! one ends, so the first frame of the next pass is ready in time.
//!
//! Only regular files are replayed this way: a FIFO can be read once, so
//! it cannot be probed for its rate, and is read as a [`Stream`] that
//! FFmpeg paces.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::VideoError;
use crate::stream::{Frame, Killer, Stream, StreamOptions};

/// How far ahead of a pass's end the next pass's FFmpeg is started: more
/// than its start takes (0.13-0.24 s here), far less than the first-frame
/// allowance of the stall watchdog.
const START_AHEAD: Duration = Duration::from_secs(1);

/// One frame of a replay, and when a camera would have delivered it.
#[derive(Debug)]
pub struct Paced {
    pub frame: Frame,
    /// When the frame is due: wait until then before handing it on. Later
    /// than `now` only for a paced replay.
    pub due: Instant,
    /// The first frame of a new pass: the picture jumped back to the start.
    pub jumped: bool,
}

/// A file replayed as a camera would send it.
pub struct Replay {
    input: String,
    opts: StreamOptions,
    looped: bool,
    /// Time between frames when lfr paces the replay; `None` when it runs
    /// as fast as it is read, or FFmpeg paces it.
    interval: Option<Duration>,
    /// Frames in one pass, if the container says (for the early start).
    pass_frames: Option<u64>,
    current: Stream,
    next: Option<Stream>,
    /// Frames of the current pass delivered so far.
    in_pass: u64,
    next_due: Option<Instant>,
}

impl Replay {
    /// Opens `path`. `opts.realtime` paces it at its own frame rate (capped
    /// by `opts.max_fps`); `looped` plays it again from the start at its end.
    pub fn open(path: &str, looped: bool, opts: &StreamOptions) -> Result<Self, VideoError> {
        let regular = Path::new(path).metadata().is_ok_and(|m| m.is_file());
        let info = if regular {
            Some(crate::probe(path)?)
        } else {
            None
        };
        let rate = info
            .as_ref()
            .and_then(|i| i.fps)
            .map(|fps| match opts.max_fps {
                Some(max) if max.is_finite() && max > 0.0 => fps.min(max),
                _ => fps,
            });
        let interval = rate
            .filter(|_| opts.realtime)
            .and_then(|r| Duration::try_from_secs_f64(1.0 / r).ok());
        let pass_frames = match (&info, rate) {
            (Some(i), Some(r)) => i
                .frames
                .zip(i.fps)
                .map(|(n, fps)| (n as f64 * r / fps).floor() as u64),
            _ => None,
        };
        let opts = StreamOptions {
            // lfr paces what it knows the rate of; FFmpeg the rest.
            realtime: opts.realtime && interval.is_none(),
            looped: false,
            ..opts.clone()
        };
        let current = Stream::open(path, &opts)?;
        Ok(Self {
            input: path.to_string(),
            opts,
            looped,
            interval,
            pass_frames,
            current,
            next: None,
            in_pass: 0,
            next_due: None,
        })
    }

    /// Whether lfr paces this replay (else it runs as fast as it is read,
    /// or FFmpeg paces it).
    pub fn paced(&self) -> bool {
        self.interval.is_some()
    }

    /// The next frame and when it is due; `Ok(None)` at the end of a file
    /// that is not looped. A looped file that ends without a single frame
    /// is an error, not an endless series of empty passes.
    pub fn next_frame(&mut self) -> Result<Option<Paced>, VideoError> {
        let mut jumped = false;
        let frame = loop {
            if let Some(f) = self.current.next_frame()? {
                break f;
            }
            if !self.looped {
                return Ok(None);
            }
            if self.in_pass == 0 {
                return Err(VideoError::Failed {
                    input: self.current.input().to_string(),
                    reason: "the file ended without a frame".into(),
                });
            }
            self.current = match self.next.take() {
                Some(s) => s,
                None => Stream::open(&self.input, &self.opts)?,
            };
            self.in_pass = 0;
            jumped = true;
        };
        self.in_pass += 1;
        self.start_next_if_due();
        let now = Instant::now();
        let due = match (self.next_due, self.interval) {
            (Some(d), Some(_)) => d,
            _ => now,
        };
        if let Some(i) = self.interval {
            self.next_due = Some(due + i);
        }
        Ok(Some(Paced { frame, due, jumped }))
    }

    /// Says that the frame just returned was handed on at `at`, later than
    /// it was due (after a pause between passes): the next is due one
    /// interval after it, not in a burst to catch up.
    pub fn resync(&mut self, at: Instant) {
        if let Some(i) = self.interval {
            self.next_due = Some(at + i);
        }
    }

    /// A handle that stops the FFmpeg of the pass being read; ask again
    /// after a jump.
    pub fn killer(&self) -> Killer {
        self.current.killer()
    }

    /// FFmpeg's diagnostics for the pass being read (see
    /// [`Stream::take_diagnostics`]).
    pub fn take_diagnostics(&mut self) -> Option<(u64, Vec<String>)> {
        self.current.take_diagnostics()
    }

    /// Starts the next pass's FFmpeg once the current pass is within
    /// [`START_AHEAD`] of its end (at once for a clip shorter than that).
    fn start_next_if_due(&mut self) {
        if !self.looped || self.next.is_some() {
            return;
        }
        let Some(n) = self.pass_frames else {
            return;
        };
        let ahead = self.interval.map_or(1, |i| {
            (START_AHEAD.as_secs_f64() / i.as_secs_f64()).ceil() as u64
        });
        if self.in_pass + ahead >= n {
            // A failure here is met again, and reported, at the jump.
            self.next = Stream::open(&self.input, &self.opts).ok();
        }
    }
}
