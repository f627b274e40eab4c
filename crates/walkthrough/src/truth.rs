//! The ground truth written beside a walk-through video: who passes, when,
//! where their face is in every frame, and what was done to it. Also the
//! enrolment list: which *other* images of each Blue Watchlist volunteer
//! make up the watchlist.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub const TRUTH_FILE: &str = "truth.json";
pub const ENROLMENT_FILE: &str = "enrolment.json";
pub const VIDEO_FILE: &str = "walkthrough.mp4";
/// Format 2: heads drawn up to the crown (`head::CROWN_V`); a format 1
/// walk-through's frames differ, so its figures do not compare.
pub const TRUTH_FORMAT: &str = "lfr-walkthrough-truth/2";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A Blue Watchlist volunteer: enrolled from other images of themselves.
    Blue,
    /// A member of the public: on no watchlist.
    Public,
}

/// What was asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    pub passes: u32,
    pub blue: u32,
    /// Mean number of people whose face is in view at once.
    pub density: f64,
    /// Enrolment images per Blue volunteer (at most).
    pub enrol_images: u32,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    /// Effects left out (`--without`): a diagnostic build that shows what
    /// one effect costs, not a walk-through to report.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub without: BTreeSet<Effect>,
}

lfr_domain::str_enum! {
    /// An effect the simulator applies that a diagnostic build may leave out.
    pub enum Effect {
        /// Each passer's defocus blur.
        Defocus = "defocus",
        /// The blur of the head's movement during the exposure.
        MotionBlur = "motion_blur",
        /// The sensor noise on every pixel.
        Noise = "noise",
        /// Each passer's brightness and colour cast (the scene's light stays).
        Lighting = "lighting",
        /// Head turns, and each passer's own yaw and roll (the walk's sway of
        /// the head, within 2 degrees, stays).
        Pose = "pose",
    }
}

/// The crowd as built.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Crowd {
    /// Mean over frames of the people in view.
    pub mean_in_view: f64,
    pub max_in_view: u32,
    pub people_per_minute: f64,
    /// Passes made in groups of two or more.
    pub passes_in_groups: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Video {
    pub file: String,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub frames: u32,
    pub codec: String,
    /// SHA-256 of every rendered RGB frame in order, before encoding: the
    /// proof that a seed gives the same frames.
    pub frames_sha256: String,
}

/// One person passing through the scene.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pass {
    pub id: u32,
    pub person: String,
    /// The LFW image number they walk with.
    pub image: u32,
    pub role: Role,
    /// Passes sharing a group walk together.
    pub group: u32,
    pub first_frame: u32,
    pub last_frame: u32,
    pub conditions: Conditions,
    /// The face, frame by frame, from `first_frame` to `last_frame`.
    pub samples: Vec<Sample>,
}

/// What the simulation did to this passer's face.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conditions {
    /// Brightness of the person's lighting (1 = as photographed).
    pub gain: f32,
    /// Defocus blur, Gaussian sigma in frame pixels.
    pub focus_blur_px: f32,
    /// Shutter time; motion blur is the movement during it.
    pub exposure_ms: f32,
    /// Pixels between the eyes when the face is first and last seen (frontal).
    pub iod_from: f32,
    pub iod_to: f32,
    /// A head turn: the frames it spans and its largest yaw in degrees.
    pub turn: Option<(u32, u32, f32)>,
    /// Lower-face occlusion (a scarf, a hand, a phone): the frames it spans.
    pub occluded: Option<(u32, u32)>,
}

/// Where the face is in one frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub frame: u32,
    /// Image-left and image-right eye centres, x,y.
    pub eyes: [f32; 4],
    /// Face box x, y, w, h (about the size YuNet draws).
    pub face: [f32; 4],
    /// Frontal pixels between the eyes (the person's scale).
    pub iod: f32,
    /// Degrees.
    pub yaw: f32,
    pub roll: f32,
    /// The face box lies wholly inside the frame.
    pub in_view: bool,
    /// The lower face is covered in this frame.
    pub occluded: bool,
}

impl Sample {
    pub fn centre(&self) -> (f32, f32) {
        (
            self.face[0] + self.face[2] / 2.0,
            self.face[1] + self.face[3] / 2.0,
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    pub format: String,
    pub seed: u64,
    pub requested: Params,
    pub crowd: Crowd,
    pub video: Video,
    /// Images come from `<lfw>/images/<person>/<person>_<NNNN>.jpg`, people N-Z.
    pub face_set: String,
    pub passes: Vec<Pass>,
}

/// The Blue Watchlist's enrolment images: never the image the volunteer walks with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enrolment {
    pub format: String,
    pub subjects: Vec<EnrolledSubject>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrolledSubject {
    pub person: String,
    pub images: Vec<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum TruthError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is not a walk-through file: {source}. Rebuild it with `lfr eval walkthrough build`"
    )]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "{path}: format {found:?}, expected {TRUTH_FORMAT:?}: its frames were drawn otherwise, so its figures would not compare. Rebuild it with `lfr eval walkthrough build`"
    )]
    Format { path: PathBuf, found: String },
}

pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, TruthError> {
    let bytes = std::fs::read(path).map_err(|source| TruthError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|source| TruthError::Parse {
        path: path.to_path_buf(),
        source,
    })
}

impl Truth {
    pub fn load(dir: &Path) -> Result<Self, TruthError> {
        let path = dir.join(TRUTH_FILE);
        let t: Truth = read_json(&path)?;
        if t.format != TRUTH_FORMAT {
            return Err(TruthError::Format {
                path,
                found: t.format,
            });
        }
        Ok(t)
    }

    pub fn blue_passes(&self) -> usize {
        self.passes.iter().filter(|p| p.role == Role::Blue).count()
    }

    /// For each frame, the passes in it with their sample.
    pub fn by_frame(&self) -> Vec<Vec<(u32, &Sample)>> {
        let mut out = vec![Vec::new(); self.video.frames as usize];
        for p in &self.passes {
            for s in &p.samples {
                if let Some(v) = out.get_mut(s.frame as usize) {
                    v.push((p.id, s));
                }
            }
        }
        out
    }
}

impl Enrolment {
    pub fn load(dir: &Path) -> Result<Self, TruthError> {
        read_json(&dir.join(ENROLMENT_FILE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effects_are_named_as_the_command_line_and_the_truth_write_them() {
        for &e in Effect::ALL {
            assert_eq!(e.as_str().parse::<Effect>(), Ok(e));
            assert_eq!(serde_json::to_string(&e).unwrap(), format!("\"{e}\""));
        }
        assert_eq!("motion-blur".parse::<Effect>(), Ok(Effect::MotionBlur));
        let err = "blur".parse::<Effect>().unwrap_err();
        assert!(err.contains("defocus, motion_blur"), "{err}");
    }

    #[test]
    fn a_walkthrough_of_another_format_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = crate::fixture::truth();
        t.format = "lfr-walkthrough-truth/1".into();
        std::fs::write(dir.path().join(TRUTH_FILE), serde_json::to_vec(&t).unwrap()).unwrap();
        let err = Truth::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("truth/1") && err.contains("Rebuild it"),
            "{err}"
        );
        t.format = TRUTH_FORMAT.into();
        std::fs::write(dir.path().join(TRUTH_FILE), serde_json::to_vec(&t).unwrap()).unwrap();
        assert_eq!(Truth::load(dir.path()).unwrap(), t);
    }

    #[test]
    fn a_full_build_records_nothing_left_out() {
        let mut p = crate::fixture::truth().requested;
        let json = serde_json::to_value(&p).unwrap();
        assert!(json.get("without").is_none(), "{json}");
        assert_eq!(serde_json::from_value::<Params>(json).unwrap(), p);
        p.without = BTreeSet::from([Effect::Pose, Effect::Noise]);
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["without"], serde_json::json!(["noise", "pose"]));
    }
}
