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
//! The end of a pass is its own step ([`Next::PassEnded`]): the caller
//! ends its tracks, may pause (a quiet street between replays), and opens
//! the next pass with [`Replay::begin_pass`] before reading from it, so
//! that it can stop a read that waits. Only regular files are probed and
//! paced by lfr: a FIFO can be read once, so FFmpeg paces it, as it does a
//! file that FFprobe cannot read.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::VideoError;
use crate::stream::{Frame, Killer, Stream, StreamOptions};

/// How far ahead of a pass's end the next pass's FFmpeg is started: more
/// than its start takes (0.13-0.24 s here), far less than the first-frame
/// allowance of the stall watchdog.
const START_AHEAD: Duration = Duration::from_secs(1);

/// Clips up to this long are looped by one FFmpeg (`-stream_loop`) rather
/// than one a pass: starting FFmpeg costs 0.12-0.15 s of CPU, about a tenth
/// of a core for four 4.2 s clips, while counting a clip's frames exactly
/// (which looping by one FFmpeg needs) decodes it once.
const LOOP_IN_ONE_UP_TO: Duration = Duration::from_secs(60);

/// How late a frame may fall behind its due time and still be handed on
/// in a burst to catch up (as a camera's buffered frames would be); later
/// than this, the schedule starts again from now.
const MAX_LAG: Duration = Duration::from_secs(1);

/// One frame of a replay, and when a camera would have delivered it.
#[derive(Debug)]
pub struct Paced {
    pub frame: Frame,
    /// When the frame is due: wait until then before handing it on. Later
    /// than `now` only for a paced replay.
    pub due: Instant,
}

/// What a replay gives next.
#[derive(Debug)]
pub enum Next {
    Frame(Paced),
    /// A looped file reached its end: the picture jumps back to the start.
    /// Call [`Replay::begin_pass`] (after any pause) to go on.
    PassEnded,
    /// A file that is not looped reached its end.
    Ended,
}

/// A file replayed as a camera would send it.
pub struct Replay {
    input: String,
    opts: StreamOptions,
    looped: bool,
    /// Passes follow each other without a pause: the schedule runs on
    /// across the jump, and each pass's FFmpeg may start early.
    seamless: bool,
    /// Time between frames when lfr paces the replay; `None` when it runs
    /// as fast as it is read, or FFmpeg paces it.
    interval: Option<Duration>,
    /// The frame of a pass after which the next pass's FFmpeg starts (a
    /// looped file without a pause, whose length is known).
    start_next_at: Option<u64>,
    /// Frames a pass when one FFmpeg loops the clip itself: the end of a
    /// pass is then told after that many frames.
    loop_frames: Option<u64>,
    /// FFmpeg processes started, for the record of what looping costs.
    started: u64,
    /// The pass being read; `None` between passes.
    current: Option<Stream>,
    next: Option<Stream>,
    /// Frames of the current pass delivered so far.
    in_pass: u64,
    next_due: Option<Instant>,
}

impl Replay {
    /// Opens `path`. `opts.realtime` paces it at its own frame rate (capped
    /// by `opts.max_fps`); `looped` plays it again from the start at its
    /// end, after `loop_pause`.
    pub fn open(
        path: &str,
        looped: bool,
        loop_pause: Duration,
        opts: &StreamOptions,
    ) -> Result<Self, VideoError> {
        let regular = Path::new(path).metadata().is_ok_and(|m| m.is_file());
        // A file FFprobe cannot read is left to FFmpeg, which says why.
        let info = regular.then(|| crate::probe(path).ok()).flatten();
        let fps = info.as_ref().and_then(|i| i.fps);
        let mut opts = StreamOptions {
            looped: false,
            ..opts.clone()
        };
        // FFmpeg's rate filter also repeats frames up to its rate: a cap at
        // or above the file's own rate is no cap.
        if let (Some(f), Some(max)) = (fps, opts.max_fps)
            && max >= f
        {
            opts.max_fps = None;
        }
        let rate = fps.map(|f| {
            opts.max_fps
                .filter(|m| m.is_finite() && *m > 0.0)
                .unwrap_or(f)
        });
        let interval = rate
            .filter(|_| opts.realtime)
            .and_then(|r| Duration::try_from_secs_f64(1.0 / r).ok());
        let pass_frames = match (&info, fps, rate) {
            (Some(i), Some(f), Some(r)) => i
                .frames
                .map(|n| n as f64)
                .or(i.duration_s.map(|d| d * f))
                .map(|n| (n * r / f).floor() as u64),
            _ => None,
        };
        let seamless = looped && loop_pause.is_zero();
        // Looped by one FFmpeg: a short clip without a pause or a rate cap
        // (whose frames a pass would not be the clip's), its frames counted.
        let short = info
            .as_ref()
            .and_then(|i| i.duration_s)
            .is_some_and(|d| d <= LOOP_IN_ONE_UP_TO.as_secs_f64());
        let loop_frames = (seamless && short && opts.max_fps.is_none())
            .then(|| crate::count_frames(path).ok())
            .flatten()
            .filter(|&n| n > 0);
        let ahead = interval.map_or(1, |i| {
            (START_AHEAD.as_secs_f64() / i.as_secs_f64()).ceil() as u64
        });
        let start_next_at = pass_frames
            .filter(|_| seamless && loop_frames.is_none())
            .map(|n| n.saturating_sub(ahead));
        // lfr paces what it knows the rate of; FFmpeg the rest.
        opts.realtime = opts.realtime && interval.is_none();
        opts.looped = loop_frames.is_some();
        let current = Stream::open(path, &opts)?;
        Ok(Self {
            input: path.to_string(),
            opts,
            looped,
            seamless,
            interval,
            start_next_at,
            loop_frames,
            started: 1,
            current: Some(current),
            next: None,
            in_pass: 0,
            next_due: None,
        })
    }

    /// FFmpeg processes this replay has started: one for a short clip
    /// looped without a pause, one a pass otherwise.
    pub fn processes_started(&self) -> u64 {
        self.started
    }

    /// Whether lfr paces this replay (else it runs as fast as it is read,
    /// or FFmpeg paces it).
    pub fn paced(&self) -> bool {
        self.interval.is_some()
    }

    /// The next frame and when it is due, or the end of a pass or of the
    /// file. A looped file that ends without a single frame is an error,
    /// not an endless series of empty passes.
    pub fn next_frame(&mut self) -> Result<Next, VideoError> {
        if self.current.is_none() {
            self.begin_pass()?;
        }
        if self.loop_frames.is_some_and(|n| self.in_pass >= n) {
            // The clip's frames are all out: FFmpeg goes on from its start.
            self.in_pass = 0;
            return Ok(Next::PassEnded);
        }
        let current = self.current.as_mut().expect("a pass is open");
        let Some(frame) = current.next_frame()? else {
            if !self.looped {
                return Ok(Next::Ended);
            }
            if self.in_pass == 0 {
                return Err(VideoError::Failed {
                    input: current.input().to_string(),
                    reason: "the file ended without a frame".into(),
                });
            }
            self.current = None;
            return Ok(Next::PassEnded);
        };
        self.in_pass += 1;
        self.start_next_if_due();
        let now = Instant::now();
        let due = match (self.next_due, self.interval) {
            (Some(d), Some(_)) if d + MAX_LAG >= now => d,
            _ => now,
        };
        if let Some(i) = self.interval {
            self.next_due = Some(due + i);
        }
        Ok(Next::Frame(Paced { frame, due }))
    }

    /// Opens the next pass (the one started ahead, if any). Without a
    /// pause the schedule runs on across the jump, as a camera's does;
    /// after a pause, the first frame is due when it is read.
    pub fn begin_pass(&mut self) -> Result<(), VideoError> {
        if !self.seamless {
            self.next_due = None;
        }
        if self.loop_frames.is_some() && self.current.is_some() {
            // The same FFmpeg loops on.
            return Ok(());
        }
        self.current = Some(match self.next.take() {
            Some(s) => s,
            None => {
                let s = Stream::open(&self.input, &self.opts)?;
                self.started += 1;
                s
            }
        });
        self.in_pass = 0;
        Ok(())
    }

    /// A handle that stops the FFmpeg of the pass being read (`None`
    /// between passes); ask again after [`Replay::begin_pass`].
    pub fn killer(&self) -> Option<Killer> {
        self.current.as_ref().map(Stream::killer)
    }

    /// FFmpeg's diagnostics for the pass being read (see
    /// [`Stream::take_diagnostics`]).
    pub fn take_diagnostics(&mut self) -> Option<(u64, Vec<String>)> {
        self.current.as_mut().and_then(Stream::take_diagnostics)
    }

    /// Starts the next pass's FFmpeg once the current pass is within
    /// [`START_AHEAD`] of its end (at once for a clip shorter than that).
    fn start_next_if_due(&mut self) {
        if self.next.is_none() && self.start_next_at.is_some_and(|at| self.in_pass >= at) {
            // A failure here is met again, and reported, at the next pass.
            self.next = Stream::open(&self.input, &self.opts).ok();
            self.started += u64::from(self.next.is_some());
        }
    }
}
