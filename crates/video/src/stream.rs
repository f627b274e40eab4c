//! Live streams: cameras (RTSP), files replayed as cameras, FIFOs.
//!
//! Unlike [`crate::Decoder`], a stream is opened without asking `ffprobe`
//! first: a camera may take seconds to answer and a FIFO can be read only
//! once. FFmpeg writes each frame as a PPM image (a short text header with
//! the size, then RGB bytes), so the size is learnt from the stream itself
//! and may change mid-stream, and bytes that are not a frame are recognised
//! as garbage instead of being taken for pixels.
//!
//! A watchdog thread kills FFmpeg when no frame has arrived for the stall
//! timeout: a stream that hangs (a camera that stops sending, a FIFO whose
//! writer goes quiet) then ends with [`VideoError::Stalled`] instead of
//! blocking its reader for ever.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, ChildStdout, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use image::RgbImage;

use crate::VideoError;

/// How to open a stream.
#[derive(Debug, Clone)]
pub struct StreamOptions {
    /// Pace a file at its own frame rate, as a camera would deliver it
    /// (FFmpeg's `-re`). Has no effect on live inputs, which pace themselves.
    pub realtime: bool,
    /// Start a file again from the beginning when it ends (demos, soak tests).
    pub looped: bool,
    /// Scale frames to this width, keeping the aspect ratio.
    pub width: Option<u32>,
    /// Deliver at most this many frames per second (FFmpeg's `fps` filter),
    /// for a camera that sends more than the deployment needs.
    pub max_fps: Option<f64>,
    /// Kill FFmpeg when no frame has arrived for this long. The first frame
    /// may take twice as long plus five seconds (connecting, and FFmpeg
    /// reading enough of the stream to know its format).
    pub stall_timeout: Duration,
    /// Decode on this hardware instead of the CPU (FFmpeg's `-hwaccel`).
    pub hwaccel: Option<HwAccel>,
}

/// Hardware that FFmpeg can decode video on (`-hwaccel`). Frames still
/// arrive in memory as RGB; what moves is the decoding's CPU time, a
/// quarter of two cores for four 1080p cameras at 10 fps (docs/live.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HwAccel {
    /// NVIDIA's decoder (NVDEC), through CUDA.
    Cuda,
    /// VA-API: Intel and AMD graphics.
    Vaapi,
}

impl HwAccel {
    pub const ALL: [HwAccel; 2] = [HwAccel::Cuda, HwAccel::Vaapi];

    /// FFmpeg's name for it, which `--hwaccel` takes too.
    pub fn name(self) -> &'static str {
        match self {
            HwAccel::Cuda => "cuda",
            HwAccel::Vaapi => "vaapi",
        }
    }
}

impl std::str::FromStr for HwAccel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|h| h.name() == s)
            .ok_or_else(|| {
                format!("no hardware decoder {s:?}: use cuda (NVIDIA) or vaapi (Intel, AMD)")
            })
    }
}

impl Default for StreamOptions {
    fn default() -> Self {
        Self {
            realtime: false,
            looped: false,
            width: None,
            max_fps: None,
            stall_timeout: Duration::from_secs(10),
            hwaccel: None,
        }
    }
}

/// One decoded frame.
#[derive(Debug, Clone)]
pub struct Frame {
    pub image: RgbImage,
    /// Position in this stream, from 0.
    pub index: u64,
    /// When the whole frame had arrived from FFmpeg: the moment lfr could
    /// first see it, from which recognition time is measured.
    pub captured: Instant,
}

/// Lines FFmpeg wrote on its standard error (decoding errors, connection
/// failures), the last few kept.
#[derive(Debug, Default)]
struct Diagnostics {
    lines: VecDeque<String>,
    total: u64,
}

const KEEP_LINES: usize = 8;

/// A running FFmpeg process delivering frames.
pub struct Stream {
    input: String,
    child: Child,
    stdout: BufReader<ChildStdout>,
    diagnostics: Arc<Mutex<Diagnostics>>,
    stderr_reader: Option<JoinHandle<()>>,
    /// Milliseconds since `started` at the last frame; read by the watchdog.
    last_frame_ms: Arc<AtomicU64>,
    stalled: Arc<AtomicBool>,
    /// Set (under its lock) before the child is reaped, so the watchdog
    /// never signals a process id that may have been reused.
    reaped: Arc<Mutex<bool>>,
    watchdog: Option<JoinHandle<()>>,
    next_index: u64,
    diagnostics_seen: u64,
}

fn is_network(input: &str) -> bool {
    input.contains("://") && !Path::new(input).exists()
}

impl Stream {
    /// Starts FFmpeg on `input`: a file, a FIFO, or a URL (`rtsp://`, `http://`...).
    pub fn open(input: &str, opts: &StreamOptions) -> Result<Self, VideoError> {
        let mut cmd = crate::redact::tool("ffmpeg");
        cmd.args(["-hide_banner", "-loglevel", "error", "-nostdin"]);
        if is_network(input) {
            if input.starts_with("rtsp") {
                // TCP: no lost packets smeared across frames, and it passes firewalls.
                cmd.args(["-rtsp_transport", "tcp"]);
            }
        } else {
            if opts.looped {
                cmd.args(["-stream_loop", "-1"]);
            }
            if opts.realtime {
                cmd.arg("-re");
            }
        }
        if let Some(h) = opts.hwaccel {
            cmd.args(["-hwaccel", h.name()]);
        }
        cmd.args(["-i", input, "-an", "-sn", "-dn"]);
        crate::add_filters(
            &mut cmd,
            opts.max_fps,
            opts.width.map(|w| format!("{w}:-2")),
        );
        cmd.args(["-f", "image2pipe", "-c:v", "ppm", "-pix_fmt", "rgb24", "-"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|source| VideoError::Spawn {
            program: "ffmpeg",
            source,
        })?;
        let stdout = BufReader::with_capacity(1 << 20, child.stdout.take().expect("piped"));
        let stderr = child.stderr.take().expect("piped");
        let diagnostics = Arc::new(Mutex::new(Diagnostics::default()));
        let stderr_reader = {
            let diagnostics = diagnostics.clone();
            let raw = input.to_string();
            std::thread::Builder::new()
                .name("ffmpeg-stderr".into())
                .spawn(move || {
                    for line in BufReader::new(stderr).lines() {
                        let Ok(line) = line else { break };
                        let line = crate::redact_in(line.trim(), &raw);
                        if line.is_empty() {
                            continue;
                        }
                        let mut d = diagnostics.lock().unwrap_or_else(|e| e.into_inner());
                        d.total += 1;
                        if d.lines.len() == KEEP_LINES {
                            d.lines.pop_front();
                        }
                        d.lines.push_back(line);
                    }
                })
                .ok()
        };
        let last_frame_ms = Arc::new(AtomicU64::new(0));
        let stalled = Arc::new(AtomicBool::new(false));
        let reaped = Arc::new(Mutex::new(false));
        let watchdog = spawn_watchdog(
            child.id(),
            opts.stall_timeout,
            last_frame_ms.clone(),
            stalled.clone(),
            reaped.clone(),
        );
        Ok(Self {
            // Only ever shown: errors and `input()` carry no credentials.
            input: crate::redact(input),
            child,
            stdout,
            diagnostics,
            stderr_reader,
            last_frame_ms,
            stalled,
            reaped,
            watchdog,
            next_index: 0,
            diagnostics_seen: 0,
        })
    }

    pub fn input(&self) -> &str {
        &self.input
    }

    /// Frames delivered so far.
    pub fn frames(&self) -> u64 {
        self.next_index
    }

    /// FFmpeg's diagnostics since the last call (for example decoding errors
    /// in a damaged stream, which FFmpeg conceals and carries on from): how
    /// many lines, and the last few.
    pub fn take_diagnostics(&mut self) -> Option<(u64, Vec<String>)> {
        let d = self.diagnostics.lock().unwrap_or_else(|e| e.into_inner());
        let new = d.total - self.diagnostics_seen;
        if new == 0 {
            return None;
        }
        self.diagnostics_seen = d.total;
        let n = (new as usize).min(d.lines.len());
        Some((
            new,
            d.lines.iter().skip(d.lines.len() - n).cloned().collect(),
        ))
    }

    /// The next frame; `Ok(None)` when the stream ended cleanly (a file read
    /// to its end). A stall, FFmpeg failing, or bytes that are not a frame
    /// are errors that say which.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, VideoError> {
        match read_ppm(&mut self.stdout) {
            Ok(Some(image)) => {
                let index = self.next_index;
                self.next_index += 1;
                self.last_frame_ms
                    .store(self.started_ms(), Ordering::Relaxed);
                Ok(Some(Frame {
                    image,
                    index,
                    captured: Instant::now(),
                }))
            }
            Ok(None) => self.finish(None),
            Err(PpmError::Io(e)) => self.finish(Some(e.to_string())),
            Err(PpmError::Garbage(why)) => {
                self.kill();
                Err(VideoError::Garbage {
                    input: self.input.clone(),
                    reason: why,
                })
            }
        }
    }

    fn started_ms(&self) -> u64 {
        epoch().elapsed().as_millis() as u64
    }

    /// The stream ended: say why.
    fn finish(&mut self, read_error: Option<String>) -> Result<Option<Frame>, VideoError> {
        let status = self.wait();
        if self.stalled.load(Ordering::Relaxed) {
            return Err(VideoError::Stalled {
                input: self.input.clone(),
                after: self.stall_after(),
            });
        }
        let message = self.last_lines();
        match status {
            Some(s) if s.success() && read_error.is_none() => Ok(None),
            _ => Err(VideoError::Failed {
                input: self.input.clone(),
                reason: if message.is_empty() {
                    read_error.unwrap_or_else(|| format!("FFmpeg exited ({status:?})"))
                } else {
                    message
                },
            }),
        }
    }

    fn stall_after(&self) -> Duration {
        let last = self.last_frame_ms.load(Ordering::Relaxed);
        Duration::from_millis(self.started_ms().saturating_sub(last))
    }

    fn last_lines(&self) -> String {
        // Give the stderr reader a moment to drain what FFmpeg wrote last.
        let d = self.diagnostics.lock().unwrap_or_else(|e| e.into_inner());
        d.lines.iter().cloned().collect::<Vec<_>>().join("; ")
    }

    fn wait(&mut self) -> Option<ExitStatus> {
        *self.reaped.lock().unwrap_or_else(|e| e.into_inner()) = true;
        let status = self.child.wait().ok();
        if let Some(h) = self.stderr_reader.take() {
            let _ = h.join();
        }
        status
    }

    /// A handle that stops this stream's FFmpeg from another thread (to end
    /// a read that is waiting for a frame).
    pub fn killer(&self) -> Killer {
        Killer {
            pid: self.child.id(),
            reaped: self.reaped.clone(),
        }
    }

    /// Stops FFmpeg now.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        self.wait();
    }
}

/// Stops a [`Stream`]'s FFmpeg from another thread; the reader then sees
/// the stream end.
#[derive(Debug, Clone)]
pub struct Killer {
    pid: u32,
    reaped: Arc<Mutex<bool>>,
}

impl Killer {
    pub fn kill(&self) {
        let reaped = self.reaped.lock().unwrap_or_else(|e| e.into_inner());
        if !*reaped {
            // SAFETY: kill(2) on a child that has not been reaped (checked under the lock).
            unsafe { libc::kill(self.pid as libc::pid_t, libc::SIGKILL) };
        }
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        self.wait();
        if let Some(h) = self.watchdog.take() {
            let _ = h.join();
        }
    }
}

/// One monotonic origin for the reader and the watchdogs, so that a frame
/// time can be kept in an atomic integer.
fn epoch() -> Instant {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Added to the first frame's allowance: FFmpeg may read up to five seconds
/// of a live stream before it decides what the stream holds.
const FIRST_FRAME_EXTRA_MS: u64 = 5000;

fn spawn_watchdog(
    pid: u32,
    timeout: Duration,
    last_frame_ms: Arc<AtomicU64>,
    stalled: Arc<AtomicBool>,
    reaped: Arc<Mutex<bool>>,
) -> Option<JoinHandle<()>> {
    let opened = epoch().elapsed().as_millis() as u64;
    last_frame_ms.store(opened, Ordering::Relaxed);
    let timeout_ms = timeout.as_millis().max(1) as u64;
    std::thread::Builder::new()
        .name("ffmpeg-watchdog".into())
        .spawn(move || {
            let tick = Duration::from_millis((timeout_ms / 4).clamp(10, 250));
            loop {
                std::thread::sleep(tick);
                let now = epoch().elapsed().as_millis() as u64;
                let last = last_frame_ms.load(Ordering::Relaxed);
                // The first frame gets longer: connecting, and FFmpeg reading
                // enough of the stream (up to 5 s of it) to know its format.
                let limit = if last == opened {
                    2 * timeout_ms + FIRST_FRAME_EXTRA_MS
                } else {
                    timeout_ms
                };
                let reaped = reaped.lock().unwrap_or_else(|e| e.into_inner());
                if *reaped {
                    return;
                }
                if now.saturating_sub(last) > limit {
                    stalled.store(true, Ordering::Relaxed);
                    // SAFETY: plain kill(2) on our own child, not yet reaped (checked under the lock).
                    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
                    return;
                }
            }
        })
        .ok()
}

#[derive(Debug)]
enum PpmError {
    Io(std::io::Error),
    Garbage(String),
}

/// Largest frame side accepted, as for [`crate::probe`].
const MAX_SIDE: u32 = 16384;

/// One frame read from PPM bytes as FFmpeg writes them: the reader behind
/// [`Stream`], exposed for fuzzing (crates/fuzz).
#[doc(hidden)]
pub fn parse_ppm(bytes: &[u8]) -> Result<Option<RgbImage>, String> {
    read_ppm(&mut std::io::Cursor::new(bytes)).map_err(|e| format!("{e:?}"))
}

/// Reads one binary PPM (P6, maxval 255). `Ok(None)` at a clean end of
/// input (no byte of a new frame read).
fn read_ppm<R: BufRead>(r: &mut R) -> Result<Option<RgbImage>, PpmError> {
    let mut magic = [0u8; 2];
    match read_full(r, &mut magic) {
        Ok(0) => return Ok(None),
        Ok(2) => {}
        Ok(_) => {
            return Err(PpmError::Garbage(
                "stream ended inside a frame header".into(),
            ));
        }
        Err(e) => return Err(PpmError::Io(e)),
    }
    if &magic != b"P6" {
        return Err(PpmError::Garbage(format!(
            "expected a frame header, found bytes {:02x} {:02x}",
            magic[0], magic[1]
        )));
    }
    let width = header_number(r)?;
    let height = header_number(r)?;
    let maxval = header_number(r)?;
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE || maxval != 255 {
        return Err(PpmError::Garbage(format!(
            "implausible frame header {width}x{height} maxval {maxval}"
        )));
    }
    let size = width as usize * height as usize * 3;
    let buf = crate::read_bytes(r, size).map_err(PpmError::Io)?;
    if buf.len() < size {
        // A frame cut short: FFmpeg was stopped mid-write.
        return Err(PpmError::Io(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "stream ended inside a frame",
        )));
    }
    Ok(RgbImage::from_raw(width, height, buf))
}

/// Skips whitespace, reads a decimal number and the one whitespace byte after it.
fn header_number<R: BufRead>(r: &mut R) -> Result<u32, PpmError> {
    let mut value: u64 = 0;
    let mut digits = 0;
    let mut byte = [0u8; 1];
    loop {
        if read_full(r, &mut byte).map_err(PpmError::Io)? == 0 {
            return Err(PpmError::Garbage(
                "stream ended inside a frame header".into(),
            ));
        }
        match byte[0] {
            b' ' | b'\t' | b'\n' | b'\r' if digits == 0 => {}
            b' ' | b'\t' | b'\n' | b'\r' => return Ok(value as u32),
            d @ b'0'..=b'9' if digits < 6 => {
                value = value * 10 + u64::from(d - b'0');
                digits += 1;
            }
            other => {
                return Err(PpmError::Garbage(format!(
                    "unexpected byte {other:#04x} in a frame header"
                )));
            }
        }
    }
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hardware_decoder_is_named_by_what_parses_to_it() {
        for h in HwAccel::ALL {
            assert_eq!(h.name().parse::<HwAccel>(), Ok(h));
        }
        assert!("gpu".parse::<HwAccel>().unwrap_err().contains("vaapi"));
    }

    #[test]
    fn reads_frames_and_refuses_garbage() {
        let mut data = b"P6\n2 1\n255\n".to_vec();
        data.extend_from_slice(&[1, 2, 3, 4, 5, 6]);
        data.extend_from_slice(b"P6 1 1 255 ");
        data.extend_from_slice(&[7, 8, 9]);
        let mut r = std::io::Cursor::new(data);
        let a = read_ppm(&mut r).unwrap().unwrap();
        assert_eq!(a.dimensions(), (2, 1));
        assert_eq!(a.as_raw(), &[1, 2, 3, 4, 5, 6]);
        let b = read_ppm(&mut r).unwrap().unwrap();
        assert_eq!(b.as_raw(), &[7, 8, 9]);
        assert!(read_ppm(&mut r).unwrap().is_none());

        let mut junk = std::io::Cursor::new(b"\x00\x00\x01\x67garbage".to_vec());
        assert!(matches!(read_ppm(&mut junk), Err(PpmError::Garbage(_))));
        let mut huge = std::io::Cursor::new(b"P6 99999 2 255 ".to_vec());
        assert!(matches!(read_ppm(&mut huge), Err(PpmError::Garbage(_))));
        let mut cut = std::io::Cursor::new(b"P6 4 4 255 \x01\x02".to_vec());
        assert!(matches!(read_ppm(&mut cut), Err(PpmError::Io(_))));
    }
}
