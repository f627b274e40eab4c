//! Decoding video with FFmpeg as a child process.
//!
//! FFmpeg is the best-kept decoder there is (H.264, H.265, RTSP, files), and
//! running it as a separate process means a malformed stream can at worst
//! kill that process: lfr sees the stream end, reports it, and carries on.
//! Frames arrive as raw RGB on a pipe.

use std::io::Read;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};

use image::RgbImage;

mod redact;
pub mod replay;
pub mod stream;
pub use redact::{redact, redact_in};
pub use replay::{Next, Paced, Replay};
pub use stream::{Frame, HwAccel, Killer, Stream, StreamOptions};

#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    #[error(
        "cannot run {program}: {source}. Install FFmpeg (Debian/Ubuntu: `apt-get install ffmpeg`)"
    )]
    Spawn {
        program: &'static str,
        source: std::io::Error,
    },
    #[error("cannot open video {input}: {reason}")]
    Open { input: String, reason: String },
    #[error("reading frames from {input} failed: {source}")]
    Read {
        input: String,
        source: std::io::Error,
    },
    #[error("{input} stalled: no frame for {} ms; FFmpeg was stopped", after.as_millis())]
    Stalled {
        input: String,
        after: std::time::Duration,
    },
    #[error("{input} sent bytes that are not video frames: {reason}")]
    Garbage { input: String, reason: String },
    #[error("decoding {input} failed: {reason}")]
    Failed { input: String, reason: String },
}

/// What FFprobe says about a video's first video stream.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoInfo {
    pub width: u32,
    pub height: u32,
    /// Frames per second, if the container says.
    pub fps: Option<f64>,
    pub frames: Option<u64>,
    /// Seconds, the stream's or else the container's, if either says (some
    /// state no frame count).
    pub duration_s: Option<f64>,
    pub codec: String,
}

/// Runs `ffprobe -v error -select_streams v:0 ARGS input`: its output, or
/// what it said when it failed (credentials cut).
fn ffprobe(input: &str, args: &[&str]) -> Result<Vec<u8>, VideoError> {
    let out = redact::tool("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0"])
        .args(args)
        .arg(input)
        .output()
        .map_err(|source| VideoError::Spawn {
            program: "ffprobe",
            source,
        })?;
    if !out.status.success() {
        return Err(open_error(
            input,
            String::from_utf8_lossy(&out.stderr).trim(),
        ));
    }
    Ok(out.stdout)
}

fn open_error(input: &str, reason: &str) -> VideoError {
    VideoError::Open {
        input: redact(input),
        reason: redact_in(reason, input),
    }
}

/// Asks `ffprobe` for the size, rate and codec of `input` (a file or URL).
pub fn probe(input: &str) -> Result<VideoInfo, VideoError> {
    let out = ffprobe(
        input,
        &[
            "-show_entries",
            "stream=width,height,avg_frame_rate,nb_frames,duration,codec_name:format=duration",
            "-of",
            "json",
        ],
    )?;
    let open_err = |reason: String| open_error(input, &reason);
    let v: serde_json::Value = serde_json::from_slice(&out).map_err(|e| open_err(e.to_string()))?;
    let s = v["streams"]
        .get(0)
        .ok_or_else(|| open_err("no video stream".into()))?;
    let dim = |k: &str| {
        s[k].as_u64()
            .filter(|&d| d > 0 && d <= 16384)
            .map(|d| d as u32)
            .ok_or_else(|| open_err(format!("no valid {k}")))
    };
    let fps = s["avg_frame_rate"].as_str().and_then(|r| {
        let (n, d) = r.split_once('/')?;
        let (n, d): (f64, f64) = (n.parse().ok()?, d.parse().ok()?);
        (d > 0.0 && n > 0.0).then_some(n / d)
    });
    Ok(VideoInfo {
        width: dim("width")?,
        height: dim("height")?,
        fps,
        frames: s["nb_frames"].as_str().and_then(|n| n.parse().ok()),
        // The stream's own, else the container's (Matroska states only that).
        duration_s: [&s["duration"], &v["format"]["duration"]]
            .into_iter()
            .find_map(|d| d.as_str().and_then(|d| d.parse().ok()))
            .filter(|d: &f64| d.is_finite() && *d > 0.0),
        codec: s["codec_name"].as_str().unwrap_or("unknown").to_string(),
    })
}

/// The frames FFmpeg decodes from `path`'s first video stream, counted by
/// decoding them all (`ffprobe -count_frames`): exact where a container's
/// own count may not be. Meant for short clips.
pub fn count_frames(path: &str) -> Result<u64, VideoError> {
    let out = ffprobe(
        path,
        &[
            "-count_frames",
            "-show_entries",
            "stream=nb_read_frames",
            "-of",
            "csv=p=0",
        ],
    )?;
    String::from_utf8_lossy(&out)
        .trim()
        .parse()
        .map_err(|_| open_error(path, "FFprobe counted no frames"))
}

/// How to read the input.
#[derive(Debug, Clone, Default)]
pub struct DecodeOptions {
    /// Pace frames at the video's own rate, as a camera would deliver them
    /// (FFmpeg's `-re`), instead of as fast as possible.
    pub realtime: bool,
    /// Scale frames to this width (keeping the aspect ratio).
    pub width: Option<u32>,
    /// Deliver at most this many frames a second of video (FFmpeg's `fps`
    /// filter, as [`StreamOptions::max_fps`]).
    pub fps: Option<f64>,
}

/// Adds FFmpeg's video filters: drop to `fps` frames a second (ignored unless
/// positive and finite), then scale to `scale` (`W:H`, `-2` for the even
/// height that keeps the aspect).
pub(crate) fn add_filters(cmd: &mut Command, fps: Option<f64>, scale: Option<String>) {
    let fps = fps
        .filter(|f| f.is_finite() && *f > 0.0)
        .map(|f| format!("fps={f}"));
    let filters: Vec<String> = fps
        .into_iter()
        .chain(scale.map(|s| format!("scale={s}")))
        .collect();
    if !filters.is_empty() {
        cmd.args(["-vf", &filters.join(",")]);
    }
}

/// A running decoder yielding RGB frames.
pub struct Decoder {
    input: String,
    child: Child,
    stdout: ChildStdout,
    width: u32,
    height: u32,
    frame_bytes: usize,
}

impl Decoder {
    pub fn open(input: &str, opts: &DecodeOptions) -> Result<Self, VideoError> {
        let info = probe(input)?;
        let (width, height) = match opts.width {
            Some(w) if w != info.width => {
                let h = ((info.height as u64 * w as u64) / info.width as u64) as u32 & !1;
                (w, h.max(2))
            }
            _ => (info.width, info.height),
        };
        let mut cmd = redact::tool("ffmpeg");
        cmd.args(["-hide_banner", "-loglevel", "error", "-nostdin"]);
        if opts.realtime {
            cmd.arg("-re");
        }
        if Path::new(input).exists() {
            cmd.args(["-i", input]);
        } else {
            cmd.args(["-rtsp_transport", "tcp", "-i", input]);
        }
        cmd.args(["-an", "-f", "rawvideo", "-pix_fmt", "rgb24"]);
        let scale =
            ((width, height) != (info.width, info.height)).then(|| format!("{width}:{height}"));
        add_filters(&mut cmd, opts.fps, scale);
        cmd.arg("-")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|source| VideoError::Spawn {
            program: "ffmpeg",
            source,
        })?;
        // FFmpeg's messages name the URL it was given: pass them on redacted.
        if let Some(stderr) = child.stderr.take() {
            let raw = input.to_string();
            let _ = std::thread::Builder::new()
                .name("ffmpeg-stderr".into())
                .spawn(move || {
                    use std::io::BufRead;
                    for line in std::io::BufReader::new(stderr)
                        .lines()
                        .map_while(Result::ok)
                    {
                        eprintln!("{}", redact_in(&line, &raw));
                    }
                });
        }
        let stdout = child.stdout.take().expect("piped stdout");
        Ok(Self {
            input: redact(input),
            child,
            stdout,
            width,
            height,
            frame_bytes: width as usize * height as usize * 3,
        })
    }

    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// The next frame, or `None` at the end of the stream.
    pub fn next_frame(&mut self) -> Result<Option<RgbImage>, VideoError> {
        let buf =
            read_bytes(&mut self.stdout, self.frame_bytes).map_err(|source| VideoError::Read {
                input: self.input.clone(),
                source,
            })?;
        // A partial frame at the end of a stream is discarded.
        if buf.len() < self.frame_bytes {
            return Ok(None);
        }
        Ok(RgbImage::from_raw(self.width, self.height, buf))
    }
}

/// Reads `n` bytes, or fewer where the input ends, into a new buffer. The
/// reads write straight into it, so a 1080p frame's 6 MB is not zeroed
/// first only to be overwritten.
pub(crate) fn read_bytes<R: Read>(r: &mut R, n: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

impl Iterator for Decoder {
    type Item = Result<RgbImage, VideoError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_frame().transpose()
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
