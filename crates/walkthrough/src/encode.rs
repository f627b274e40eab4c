//! Encoding frames to H.264 with FFmpeg as a child process, the mirror of
//! how `lfr-video` decodes. Raw RGB goes in on a pipe; flags that would
//! stamp the encoder's version or the time into the file are off, so the
//! same frames give the same file with the same FFmpeg.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

use image::RgbImage;

#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("cannot run ffmpeg: {0}. Install FFmpeg (Debian/Ubuntu: `apt-get install ffmpeg`)")]
    Spawn(std::io::Error),
    #[error("ffmpeg stopped while encoding {path}: {reason}")]
    Failed { path: PathBuf, reason: String },
}

pub struct Encoder {
    path: PathBuf,
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    size: (u32, u32),
}

impl Encoder {
    /// Starts FFmpeg writing `path` (H.264 in MP4, `crf` quality: 23 is
    /// FFmpeg's default; CCTV recorders often compress harder).
    pub fn start(
        path: &Path,
        width: u32,
        height: u32,
        fps: u32,
        crf: u8,
    ) -> Result<Self, EncodeError> {
        let mut child = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
            .args(["-f", "rawvideo", "-pix_fmt", "rgb24"])
            .args(["-video_size", &format!("{width}x{height}")])
            .args(["-framerate", &fps.to_string(), "-i", "pipe:0"])
            .args(["-an", "-c:v", "libx264", "-preset", "veryfast"])
            .args(["-crf", &crf.to_string(), "-pix_fmt", "yuv420p"])
            .args(["-g", &(2 * fps).to_string()])
            .args([
                "-map_metadata",
                "-1",
                "-fflags",
                "+bitexact",
                "-flags:v",
                "+bitexact",
            ])
            .arg(path)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(EncodeError::Spawn)?;
        let stdin = child.stdin.take();
        Ok(Self {
            path: path.to_path_buf(),
            child: Some(child),
            stdin,
            size: (width, height),
        })
    }

    pub fn write(&mut self, frame: &RgbImage) -> Result<(), EncodeError> {
        assert_eq!(
            frame.dimensions(),
            self.size,
            "frames keep the video's size"
        );
        let ok = self.stdin.as_mut().map(|s| s.write_all(frame.as_raw()));
        match ok {
            Some(Ok(())) => Ok(()),
            _ => Err(self.failure()),
        }
    }

    /// Closes the pipe and waits for FFmpeg: `Ok` if it finished the file.
    fn wait(&mut self) -> Result<(), EncodeError> {
        drop(self.stdin.take());
        let Some(child) = self.child.take() else {
            return Ok(());
        };
        let o = child.wait_with_output().map_err(EncodeError::Spawn)?;
        if o.status.success() {
            Ok(())
        } else {
            Err(EncodeError::Failed {
                path: self.path.clone(),
                reason: String::from_utf8_lossy(&o.stderr).trim().to_string(),
            })
        }
    }

    fn failure(&mut self) -> EncodeError {
        match self.wait() {
            Err(e) => e,
            Ok(()) => EncodeError::Failed {
                path: self.path.clone(),
                reason: "it closed its input early".into(),
            },
        }
    }

    /// Closes the pipe and waits for FFmpeg to finish the file.
    pub fn finish(mut self) -> Result<(), EncodeError> {
        self.wait()
    }
}

impl Drop for Encoder {
    fn drop(&mut self) {
        let _ = self.wait();
    }
}
