//! Face detection: a frame goes in, faces with five landmarks and quality
//! measures come out, best score first.
//!
//! The detector is YuNet (`yunet_n_dynamic.onnx`, libfacedetection.train),
//! run through a [`Backend`]; decoding follows OpenCV's `FaceDetectorYN`.
//!
//! # Resolution policy, and why
//!
//! The model takes any input size, so a 1080p frame can be run whole, shrunk,
//! or in tiles. Measured with `detect_measure` (ONNX Runtime 1.31, one
//! thread, five 1920x1080 frames of `arcade-crowd-1080p.mp4`, CPU time per
//! frame on a busy 2-core machine):
//!
//! | input          | CPU ms/frame | video faces with >= 20 px eyes found | pasted LFW faces, 20 px eyes |
//! |----------------|-------------:|--------------------------------------:|-----------------------------:|
//! | native         | 143          | 22/22                                 | 96/96, landmarks 1.7 px off  |
//! | x0.75          | 103          | 22/22                                 | 96/96, 1.8 px                |
//! | x0.5           | 51           | 20/22                                 | 96/96, 2.2 px                |
//! | 640 tiles      | 247          | 22/22                                 |                              |
//!
//! The reference set is what a 2x-enlarged tiled run (1,024 ms) finds. The
//! two faces lost at half size were large (39 and 54 px between the eyes) but
//! borderline (scores 0.61 and 0.76 at 2x) and fell under the threshold at
//! the lower resolution. So the default, [`InputScale::FitMinFace`], shrinks a
//! frame only until a face of [`DetectorConfig::min_face_iod`] (20 px) reaches
//! the model at [`MODEL_RELIABLE_IOD`] (15 px), i.e. x0.75 for 20 px, and
//! never enlarges. A deployment that needs only 30 px faces gets x0.5 for the
//! same setting. Tiling costs more than one whole-frame run at the same scale
//! (the overlaps) and finds nothing more; it exists to bound memory on very
//! large stills and, with a factor above 1, to find faces smaller than the
//! model sees on its own.

mod nms;
pub(crate) mod resample;
mod tiling;
mod yunet;

pub use nms::non_max_suppression;
pub use tiling::{Window, plan_windows, region_windows};

use std::path::Path;

use image::RgbImage;
use serde::{Deserialize, Serialize};

use crate::geometry::{BoundingBox, Landmarks5};
use crate::quality::{self, Quality};
use crate::runtime::{Backend, Model, RuntimeError, Tensor};

/// The distance between the eyes, in the model's input pixels, from which
/// YuNet finds faces reliably. Frontal pasted LFW faces are found down to
/// 8-9 px (95/96 at 8 px, 87/96 at 6 px), but real crowd faces lost two of 22
/// at 10 px scaling and none at 15 px (see the module documentation).
pub const MODEL_RELIABLE_IOD: f32 = 15.0;

/// One detected face, in the coordinates of the image given to
/// [`Detector::detect`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Face {
    pub bbox: BoundingBox,
    /// In [`Landmarks5`] order (image-left eye first).
    pub landmarks: Landmarks5,
    /// YuNet's confidence, 0-1: sqrt(class score x objectness).
    pub score: f32,
    pub quality: Quality,
}

/// How the frame is resized before it reaches the model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum InputScale {
    /// The frame's own resolution: best landmarks, slowest on large frames.
    Native,
    /// A fixed factor (0.5 halves each side; above 1 enlarges).
    Factor(f32),
    /// Shrink so that a face of `min_face_iod` px between the eyes reaches the
    /// model at [`MODEL_RELIABLE_IOD`] px; never enlarge.
    FitMinFace,
}

/// Cutting the (scaled) frame into overlapping square tiles, each run on its
/// own, with suppression across tiles afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Tiling {
    /// Tile side in model-input pixels.
    pub tile: u32,
    /// Overlap between neighbouring tiles in model-input pixels: a face whose
    /// box is smaller than this lies whole in at least one tile.
    pub overlap: u32,
}

/// Detector settings. The defaults suit live video; [`DetectorConfig::stills`]
/// suits single photographs, where landmark precision matters more than time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DetectorConfig {
    /// Faces scoring below this are dropped. 0.6: the subjects of 1,150 LFW
    /// images score 0.91 or more (1st percentile), but real faces in the
    /// crowd video score from 0.57 to 0.93, so OpenCV's sample value of 0.9
    /// would lose most of a crowd. The one non-face seen there at 0.5 (a head
    /// of hair, seen from above) scored 0.82, so no threshold separates it.
    pub score_threshold: f32,
    /// Overlap (intersection over union) above which the weaker of two boxes
    /// is suppressed. 0.3, as OpenCV's `FaceDetectorYN` defaults.
    pub nms_iou: f32,
    /// Faces kept per frame, best score first.
    pub max_faces: usize,
    /// The smallest face the deployment needs, as pixels between the eyes in
    /// the frame (the APP's minimum for a watchlist image is 20). Drives
    /// [`InputScale::FitMinFace`].
    pub min_face_iod: f32,
    /// Boxes whose shorter side is below this many frame pixels are dropped.
    /// YuNet's box side is about twice the distance between the eyes, so the
    /// default (the value of `min_face_iod`) keeps every face down to half the
    /// required size, and drops specks.
    pub min_box_side: f32,
    pub scale: InputScale,
    pub tiling: Option<Tiling>,
    /// Also run the whole frame shrunk to this longer side, when the main run
    /// is larger. YuNet's coarsest stride cannot frame faces much larger than
    /// about 500 model pixels: a portrait with 478 px between the eyes came
    /// out with its eye misplaced by 41% of the eye distance at full size and
    /// 2% at half size, and its score rose from 0.81 to 0.96 when shrunk to a
    /// quarter. Suppression keeps the better-scoring of the two runs' views.
    pub coarse_side: Option<u32>,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        Self {
            score_threshold: 0.6,
            nms_iou: 0.3,
            max_faces: 64,
            min_face_iod: 20.0,
            min_box_side: 20.0,
            scale: InputScale::FitMinFace,
            tiling: None,
            coarse_side: None,
        }
    }
}

impl DetectorConfig {
    /// For photographs (watchlist references, LFW): full resolution plus a
    /// coarse run for faces that fill the picture; small faces kept so that a
    /// too-small reference is reported rather than missed.
    pub fn stills() -> Self {
        Self {
            scale: InputScale::Native,
            min_box_side: 8.0,
            coarse_side: Some(640),
            ..Self::default()
        }
    }

    /// The same, for faces down to `min_eyes` pixels between the eyes:
    /// smaller ones are neither searched for ([`InputScale::FitMinFace`])
    /// nor kept (boxes under that side are specks at this size).
    pub fn with_smallest_face(&self, min_eyes: f32) -> Self {
        Self {
            min_face_iod: min_eyes,
            min_box_side: min_eyes,
            ..*self
        }
    }

    /// The resize factor this configuration applies to a frame.
    pub fn input_scale(&self) -> f32 {
        match self.scale {
            InputScale::Native => 1.0,
            InputScale::Factor(f) => f,
            InputScale::FitMinFace => (MODEL_RELIABLE_IOD / self.min_face_iod.max(1.0)).min(1.0),
        }
    }

    fn validate(&self) -> Result<(), DetectError> {
        let bad = |what: &str| Err(DetectError::Config(what.to_string()));
        if !(0.0..=1.0).contains(&self.score_threshold) {
            return bad("score_threshold must be between 0 and 1");
        }
        if !(0.0..=1.0).contains(&self.nms_iou) {
            return bad("nms_iou must be between 0 and 1");
        }
        if let InputScale::Factor(f) = self.scale
            && !(0.05..=8.0).contains(&f)
        {
            return bad("the input scale factor must be between 0.05 and 8");
        }
        if let Some(t) = self.tiling
            && (t.tile < 64 || t.overlap >= t.tile / 2)
        {
            return bad("a tile must be at least 64 px and overlap by less than half its side");
        }
        if self.coarse_side.is_some_and(|s| s < 64) {
            return bad("coarse_side must be at least 64 px");
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error("cannot read image {path}: {reason}. Give a readable JPEG or PNG file")]
    Image { path: String, reason: String },
    #[error("the image is empty (0 pixels wide or high)")]
    EmptyImage,
    #[error("invalid detector configuration: {0}")]
    Config(String),
    #[error(
        "the face detection model gave unexpected output: {0}. Is it yunet_n_dynamic.onnx? Run `lfr models install` to restore it"
    )]
    ModelOutput(String),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

/// Reads a JPEG or PNG file into RGB ([`crate::image_file::decode`]), with an
/// error that names the file.
pub fn load_image(path: &Path) -> Result<RgbImage, DetectError> {
    let err = |reason: String| DetectError::Image {
        path: path.display().to_string(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    crate::image_file::decode(&bytes).map_err(err)
}

/// YuNet with its configuration. One detector per thread: `detect` needs `&mut`.
pub struct Detector {
    model: Box<dyn Model>,
    config: DetectorConfig,
    /// The last whole-frame model input, its buffer reused by the next frame.
    input: Tensor,
    /// The same for region windows.
    region_input: Tensor,
    /// Faces the last detection dropped because a crop's side inside the
    /// frame cut them ([`Detector::cut_at_seams`]).
    cut: Vec<BoundingBox>,
}

impl Detector {
    /// Loads the YuNet ONNX bytes into `backend`.
    pub fn new(
        backend: &dyn Backend,
        onnx: &[u8],
        config: DetectorConfig,
    ) -> Result<Self, DetectError> {
        config.validate()?;
        let model = backend.load("yunet", onnx)?;
        Ok(Self {
            model,
            config,
            input: Tensor::new(vec![0], Vec::new()),
            region_input: Tensor::new(vec![0], Vec::new()),
            cut: Vec::new(),
        })
    }

    /// Reads the model file at `path` and loads it.
    pub fn from_file(
        backend: &dyn Backend,
        path: &Path,
        config: DetectorConfig,
    ) -> Result<Self, DetectError> {
        let onnx = std::fs::read(path).map_err(|e| {
            DetectError::Runtime(RuntimeError::Load {
                model: path.display().to_string(),
                reason: format!("{e}. Run `lfr models install`"),
            })
        })?;
        Self::new(backend, &onnx, config)
    }

    pub fn config(&self) -> &DetectorConfig {
        &self.config
    }

    /// The faces (frame pixels) the last detection dropped because a side
    /// of a crop or tile inside the frame cut them: only a wider look sees
    /// them whole. A caller that must not miss a face in some part of the
    /// frame looks again wider when one of these lies there.
    pub fn cut_at_seams(&self) -> &[BoundingBox] {
        &self.cut
    }

    /// Time spent inside the runtime running YuNet ([`Model::busy`]).
    pub fn busy(&self) -> std::time::Duration {
        self.model.busy()
    }

    /// All faces above the score threshold, best first, at most `max_faces`,
    /// each with its quality measures.
    pub fn detect(&mut self, image: &RgbImage) -> Result<Vec<Face>, DetectError> {
        self.detect_for(image, None, None)
    }

    /// The faces one camera asks for: inside `regions` (frame pixels, as
    /// [`Detector::detect_regions`]) or the whole frame, down to `min_eyes`
    /// pixels between the eyes when the camera sets its own smallest face
    /// (the frame is then shrunk for it, [`DetectorConfig::with_smallest_face`]).
    /// The cameras of one process share detectors, so this leaves the
    /// detector's own configuration as it was.
    pub fn detect_for(
        &mut self,
        image: &RgbImage,
        regions: Option<&[BoundingBox]>,
        min_eyes: Option<f32>,
    ) -> Result<Vec<Face>, DetectError> {
        let c = match min_eyes {
            Some(m) => {
                let c = self.config.with_smallest_face(m);
                c.validate()?;
                c
            }
            None => self.config,
        };
        let raw = self.raw_in(image, regions, &c)?;
        Ok(with_quality(image, raw))
    }

    /// As [`Detector::detect`], looking only inside `regions` (frame
    /// pixels), each at the configured scale ([`region_windows`]). For the
    /// frames between whole-frame passes of a video, where a face can only
    /// be near where it was: a crop around each costs a fraction of the
    /// frame. No region, no faces.
    pub fn detect_regions(
        &mut self,
        image: &RgbImage,
        regions: &[BoundingBox],
    ) -> Result<Vec<Face>, DetectError> {
        self.detect_for(image, Some(regions), None)
    }

    /// Detection without quality measures.
    pub fn detect_raw(&mut self, image: &RgbImage) -> Result<Vec<RawFace>, DetectError> {
        let c = self.config;
        self.raw_in(image, None, &c)
    }

    /// The faces inside `regions`, or in the whole image, under
    /// configuration `c`, before quality measures.
    fn raw_in(
        &mut self,
        image: &RgbImage,
        regions: Option<&[BoundingBox]>,
        c: &DetectorConfig,
    ) -> Result<Vec<RawFace>, DetectError> {
        let (w, h) = image.dimensions();
        if w == 0 || h == 0 {
            return Err(DetectError::EmptyImage);
        }
        let scale = c.input_scale();
        if let Some(r) = regions {
            return self.run_windows(image, region_windows(w, h, scale, r), c);
        }
        let mut windows = plan_windows(w, h, scale, c.tiling);
        let long = w.max(h) as f32;
        if let Some(side) = c.coarse_side
            && long * scale > side as f32
        {
            windows.extend(plan_windows(w, h, side as f32 / long, None));
        }
        self.run_windows(image, windows, c)
    }

    /// Runs the model on each window; the faces found, in frame pixels,
    /// suppressed across windows.
    fn run_windows(
        &mut self,
        image: &RgbImage,
        windows: Vec<Window>,
        c: &DetectorConfig,
    ) -> Result<Vec<RawFace>, DetectError> {
        let mut all = Vec::new();
        self.cut.clear();
        for window in windows {
            // The whole frame's buffer is kept for the next frame; small
            // windows use their own.
            let input = if window.src_w == image.width() && window.src_h == image.height() {
                &mut self.input
            } else {
                &mut self.region_input
            };
            resample::bgr_tensor_into(image, &window, input);
            let outputs = self.model.run(&[("input", input)])?;
            let found = yunet::decode(&outputs, input.shape[2], input.shape[3], c.score_threshold)?;
            for f in found {
                match window.cuts(&f.bbox) {
                    true => self.cut.push(window.to_image(f).bbox),
                    false => all.push(window.to_image(f)),
                }
            }
        }
        all.retain(|f| f.bbox.w.min(f.bbox.h) >= c.min_box_side);
        Ok(non_max_suppression(all, c.nms_iou, c.max_faces))
    }
}

fn with_quality(image: &RgbImage, raw: Vec<RawFace>) -> Vec<Face> {
    raw.into_iter()
        .map(|r| Face {
            quality: quality::measure(image, &r.landmarks, r.score),
            bbox: r.bbox,
            landmarks: r.landmarks,
            score: r.score,
        })
        .collect()
}

/// A detection before quality measures: box, landmarks and score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RawFace {
    pub bbox: BoundingBox,
    pub landmarks: Landmarks5,
    pub score: f32,
}
