//! The engine as one object: an image in, faces and templates out, and
//! scores between templates. Each thread that recognises faces owns one
//! [`Engine`] (the models keep per-run scratch state).

use std::path::PathBuf;
use std::sync::Arc;

use image::RgbImage;

use crate::align::{AlignError, AlignMethod, Aligner};
use crate::calibration::{Calibration, CalibrationError};
use crate::describe::{DescribeError, Describer};
use crate::detect::{DetectError, Detector, DetectorConfig, Face};
use crate::geometry::BoundingBox;
use crate::landmarks::{LandmarksError, ShapePredictor};
use crate::package::{CombinedModel, Package, append_component};
use crate::runtime::{Backends, Runtime, RuntimeError};
use crate::template::{Algorithm, Template, TemplateError};

/// Where the model files are. Resolving and verifying them is the caller's
/// job (the `lfr-models` crate does it for the `lfr` tool).
#[derive(Debug, Clone)]
pub struct ModelFiles {
    pub onnxruntime: PathBuf,
    pub yunet: PathBuf,
    pub dlib_resnet: PathBuf,
    /// Needed only for [`AlignMethod::Dlib5Cascade`].
    pub dlib_shape5: Option<PathBuf>,
    /// The descriptor to run.
    pub recogniser: Recogniser,
}

/// Which descriptor the engine runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Recogniser {
    /// dlib's ResNet (from [`ModelFiles::dlib_resnet`]).
    #[default]
    Builtin,
    /// A package's ONNX descriptor (dlib's file is then not read).
    Package(Box<Package>),
    /// Several descriptors in one template ([`crate::package::combined`]).
    Combined(CombinedModel),
}

impl Recogniser {
    /// The directory of a package or combined model, where its calibrations
    /// live; `None` for the built-in descriptor, whose are shipped with lfr.
    pub fn dir(&self) -> Option<&std::path::Path> {
        match self {
            Self::Builtin => None,
            Self::Package(p) => Some(p.dir()),
            Self::Combined(c) => Some(c.dir()),
        }
    }

    /// What its weights' licence forbids, when it forbids operational use
    /// (see [`crate::package::Manifest::restriction`]).
    pub fn restriction(&self) -> Option<&str> {
        match self {
            Self::Builtin => None,
            Self::Package(p) => p.manifest().restriction.as_deref(),
            Self::Combined(c) => c.restriction(),
        }
    }

    /// SHA-256 of the network it runs (see [`crate::checks::CheckRecord::network`]).
    pub fn network(&self) -> String {
        match self {
            Self::Builtin => crate::package::builtin_network().to_string(),
            Self::Package(p) => p.network(),
            Self::Combined(c) => c.network(),
        }
    }

    /// What `--model` calls it.
    pub fn id(&self) -> &str {
        match self {
            Self::Builtin => crate::package::BUILTIN_ID,
            Self::Package(p) => p.id(),
            Self::Combined(c) => c.id(),
        }
    }
}

impl ModelFiles {
    /// The built-in descriptor's files as installed in `dir` (without the
    /// optional shape predictor), unchecked: for tests and tools that run
    /// the default detector and dlib's descriptor.
    pub fn builtin_in(dir: &lfr_models::ModelsDir) -> Result<Self, lfr_models::ModelsError> {
        use lfr_models::files;
        Ok(Self {
            onnxruntime: dir.file(files::ONNXRUNTIME)?,
            yunet: dir.file(files::YUNET)?,
            dlib_resnet: dir.file(files::DLIB_RESNET)?,
            dlib_shape5: None,
            recogniser: Recogniser::Builtin,
        })
    }

    /// The algorithm an engine opened on these files with `align` makes.
    pub fn algorithm(&self, align: AlignMethod) -> Result<Algorithm, EngineError> {
        match &self.recogniser {
            Recogniser::Builtin => Ok(algorithm(align)),
            r if align != AlignMethod::YuNet5 => Err(EngineError::PackageAlign(r.id().into())),
            Recogniser::Package(p) => Ok(p.algorithm()),
            Recogniser::Combined(c) => Ok(c.algorithm()),
        }
    }

    /// The calibration of that algorithm: shipped with lfr for dlib's
    /// descriptor, the model directory's own otherwise.
    pub fn calibration(&self, align: AlignMethod) -> Result<Calibration, EngineError> {
        let algorithm = self.algorithm(align)?;
        Ok(match self.recogniser.dir() {
            None => Calibration::shipped(&algorithm)?,
            Some(dir) => crate::package::read_calibration(dir, &algorithm, self.recogniser.id())?,
        })
    }

    /// The fused calibration (cohort and multi-image curves) of that
    /// algorithm, which the live pipeline scores with.
    /// SHA-256 of the calibration the live pipeline scores with, or of the
    /// single-image one while the model has no fused calibration yet (it
    /// cannot run live then, and adding one changes the digest, as it
    /// changes what scores mean).
    pub fn calibration_digest(&self, align: AlignMethod) -> Result<String, EngineError> {
        match self.fusion_calibration(align) {
            Ok(f) => Ok(f.digest()),
            Err(fused) => Ok(self.calibration(align).map_err(|_| fused)?.digest()),
        }
    }

    /// The record of the checks of these calibrations on people they were
    /// not fitted on ([`crate::checks`]); `None` when there is none, or
    /// when the model cannot score yet.
    pub fn calibration_checks(
        &self,
        align: AlignMethod,
    ) -> Result<Option<crate::checks::CheckRecord>, EngineError> {
        let (Ok(single), Ok(fused)) = (self.calibration(align), self.fusion_calibration(align))
        else {
            return Ok(None);
        };
        Ok(crate::checks::CheckRecord::find(
            self.recogniser.dir(),
            &self.recogniser.network(),
            &single,
            &fused,
        )?)
    }

    pub fn fusion_calibration(
        &self,
        align: AlignMethod,
    ) -> Result<crate::fusion::FusionCalibration, EngineError> {
        let algorithm = self.algorithm(align)?;
        Ok(match self.recogniser.dir() {
            None => crate::fusion::FusionCalibration::shipped(&algorithm)?,
            Some(dir) => {
                crate::package::read_fusion_calibration(dir, &algorithm, self.recogniser.id())?
            }
        })
    }
}

#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub detector: DetectorConfig,
    pub align: AlignMethod,
    /// Threads each model may use for one run.
    pub threads: usize,
    /// What runs the networks; by default this process's choice
    /// ([`crate::runtime::chosen`]).
    pub runtime: Runtime,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            detector: DetectorConfig::default(),
            align: AlignMethod::YuNet5,
            threads: 1,
            runtime: crate::runtime::chosen(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error(transparent)]
    Detect(#[from] DetectError),
    #[error(transparent)]
    Align(#[from] AlignError),
    #[error(transparent)]
    Describe(#[from] DescribeError),
    #[error(transparent)]
    Landmarks(#[from] LandmarksError),
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Calibration(#[from] CalibrationError),
    #[error(transparent)]
    Fusion(#[from] crate::fusion::FusionError),
    #[error(transparent)]
    Package(#[from] crate::package::PackageError),
    #[error("cannot read model file {path}: {source}. Run `lfr models install`")]
    ModelFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no face found in {0}")]
    NoFace(String),
    #[error(
        "model {0} places chips by its own alignment template from YuNet's five points; use --align yunet5 with it"
    )]
    PackageAlign(String),
}

/// Names of the pipeline's parts, recorded in every template.
pub const DETECTOR_ID: &str = "yunet-n-dynamic";
pub const EMBEDDER_ID: &str = "dlib-resnet-v1";

/// The algorithm identifier for an alignment method.
pub fn algorithm(align: AlignMethod) -> Algorithm {
    let aligner = match align {
        AlignMethod::YuNet5 => "align-yunet5-v1",
        AlignMethod::Dlib5Cascade => "align-dlib5-cascade-v1",
    };
    Algorithm::new(DETECTOR_ID, aligner, EMBEDDER_ID)
}

/// What [`Engine::runtime_busy`] reports: the runtime's own share of each
/// stage, so a benchmark can show what lfr adds around it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RuntimeBusy {
    pub detect: std::time::Duration,
    pub describe: std::time::Duration,
}

impl std::ops::Sub for RuntimeBusy {
    type Output = Self;
    fn sub(self, earlier: Self) -> Self {
        Self {
            detect: self.detect.saturating_sub(earlier.detect),
            describe: self.describe.saturating_sub(earlier.describe),
        }
    }
}

pub struct Engine {
    detector: Detector,
    parts: Vec<Part>,
    algorithm: Algorithm,
    calibration: Option<Arc<Calibration>>,
}

/// One descriptor of the engine's template, on its own chips.
struct Part {
    aligner: Aligner,
    describer: Describer,
    /// Its weight in a combined template; `None` when it is the only one
    /// (its descriptor is then the template as it comes).
    weight: Option<f32>,
}

fn read(path: &PathBuf) -> Result<Vec<u8>, EngineError> {
    std::fs::read(path).map_err(|source| EngineError::ModelFile {
        path: path.clone(),
        source,
    })
}

impl Engine {
    pub fn open(files: &ModelFiles, config: &EngineConfig) -> Result<Self, EngineError> {
        let backends = config
            .runtime
            .backends(&files.onnxruntime, config.threads)?;
        Self::open_on(files, config, &backends)
    }

    /// An engine whose networks run on `backends` rather than on backends of
    /// its own: engines opened on the same [`Backends::batched`] share each
    /// network and join their runs. `config.runtime` and `config.threads`
    /// are the backends' business then, not the engine's.
    pub fn open_on(
        files: &ModelFiles,
        config: &EngineConfig,
        backends: &Backends,
    ) -> Result<Self, EngineError> {
        let algorithm = files.algorithm(config.align)?;
        let detector = Detector::new(
            backends.detect.as_ref(),
            &read(&files.yunet)?,
            config.detector,
        )?;
        let backend = backends.describe.as_ref();
        let dlib =
            |align: AlignMethod| -> Result<Part, EngineError> {
                Ok(Part {
                    aligner: match align {
                        AlignMethod::YuNet5 => Aligner::yunet5(),
                        AlignMethod::Dlib5Cascade => {
                            let path = files.dlib_shape5.as_ref().ok_or_else(|| {
                                EngineError::ModelFile {
                                    path: PathBuf::from("shape_predictor_5_face_landmarks.dat"),
                                    source: std::io::Error::new(
                                        std::io::ErrorKind::NotFound,
                                        "not given",
                                    ),
                                }
                            })?;
                            Aligner::dlib5_cascade(Arc::new(ShapePredictor::load(path)?))
                        }
                    },
                    describer: Describer::dlib_resnet(backend, &read(&files.dlib_resnet)?)?,
                    weight: None,
                })
            };
        let package = |p: &Package| -> Result<Part, EngineError> {
            Ok(Part {
                aligner: Aligner::template(p.manifest().template()),
                describer: Describer::onnx(
                    backend,
                    &format!("model {}", p.id()),
                    &p.read_onnx()?,
                    &p.manifest().model,
                )?,
                weight: None,
            })
        };
        let parts = match &files.recogniser {
            Recogniser::Builtin => vec![dlib(config.align)?],
            Recogniser::Package(p) => vec![package(p)?],
            Recogniser::Combined(c) => c
                .components()
                .map(|(p, weight)| {
                    let part = match p {
                        None => dlib(AlignMethod::YuNet5)?,
                        Some(p) => package(p)?,
                    };
                    Ok(Part {
                        weight: Some(weight),
                        ..part
                    })
                })
                .collect::<Result<_, EngineError>>()?,
        };
        let calibration = files.calibration(config.align).ok().map(Arc::new);
        Ok(Self {
            detector,
            parts,
            algorithm,
            calibration,
        })
    }

    pub fn algorithm(&self) -> &Algorithm {
        &self.algorithm
    }

    /// Time this engine's networks have spent inside the runtime since it
    /// was opened: detection, and description (every component's).
    pub fn runtime_busy(&self) -> RuntimeBusy {
        RuntimeBusy {
            detect: self.detector.busy(),
            describe: self.parts.iter().map(|p| p.describer.busy()).sum(),
        }
    }

    /// Replaces the calibration (for example with one computed by `lfr calibrate`).
    pub fn set_calibration(&mut self, c: Calibration) -> Result<(), EngineError> {
        if c.algorithm != self.algorithm {
            return Err(CalibrationError::Missing(self.algorithm.clone()).into());
        }
        self.calibration = Some(Arc::new(c));
        Ok(())
    }

    pub fn calibration(&self) -> Result<&Calibration, EngineError> {
        self.calibration
            .as_deref()
            .ok_or_else(|| CalibrationError::Missing(self.algorithm.clone()).into())
    }

    pub fn detector(&mut self) -> &mut Detector {
        &mut self.detector
    }

    /// Every face in the image, best first, with quality measures.
    pub fn detect(&mut self, image: &RgbImage) -> Result<Vec<Face>, EngineError> {
        Ok(self.detector.detect(image)?)
    }

    /// The faces one camera asks for, in `regions` or the whole frame
    /// ([`Detector::detect_for`]).
    pub fn detect_for(
        &mut self,
        image: &RgbImage,
        regions: Option<&[BoundingBox]>,
        min_eyes: Option<f32>,
    ) -> Result<Vec<Face>, EngineError> {
        Ok(self.detector.detect_for(image, regions, min_eyes)?)
    }

    /// A template for each of `faces` (found in `image`), described in one batch.
    pub fn templates(
        &mut self,
        image: &RgbImage,
        faces: &[Face],
    ) -> Result<Vec<Template>, EngineError> {
        let mut vectors: Vec<Vec<f32>> = vec![Vec::new(); faces.len()];
        for part in &mut self.parts {
            let chips = faces
                .iter()
                .map(|f| Ok(part.aligner.align(image, &f.bbox, &f.landmarks)?.chip))
                .collect::<Result<Vec<_>, EngineError>>()?;
            let refs: Vec<&RgbImage> = chips.iter().collect();
            let described = part.describer.describe(&refs)?;
            for (v, d) in vectors.iter_mut().zip(described) {
                match part.weight {
                    None => *v = d,
                    Some(w) => append_component(v, &d, w),
                }
            }
        }
        Ok(vectors
            .into_iter()
            .map(|v| Template::new(self.algorithm.clone(), v))
            .collect())
    }

    /// The template of the face a single-subject photograph is of: the
    /// detected face nearest the image centre, weighted towards larger faces.
    pub fn subject_template(
        &mut self,
        image: &RgbImage,
        name: &str,
    ) -> Result<(Face, Template), EngineError> {
        let faces = self.detect(image)?;
        let face = subject_face(image, &faces)
            .ok_or_else(|| EngineError::NoFace(name.to_string()))?
            .clone();
        let t = self
            .templates(image, std::slice::from_ref(&face))?
            .remove(0);
        Ok((face, t))
    }

    /// The Similarity Score of two templates.
    pub fn score(&self, a: &Template, b: &Template) -> Result<f64, EngineError> {
        let d = a.distance(b)?;
        Ok(self.calibration()?.score(d))
    }
}

/// The face a portrait is of: the one nearest the centre, measured in
/// face widths so that a large central face beats a small one near it.
pub fn subject_face<'a>(image: &RgbImage, faces: &'a [Face]) -> Option<&'a Face> {
    let (cx, cy) = (image.width() as f32 / 2.0, image.height() as f32 / 2.0);
    faces.iter().min_by(|a, b| {
        let off = |f: &Face| {
            let (fx, fy) = (f.bbox.x + f.bbox.w / 2.0, f.bbox.y + f.bbox.h / 2.0);
            ((fx - cx).powi(2) + (fy - cy).powi(2)).sqrt() / f.bbox.w.max(1.0)
        };
        off(a).total_cmp(&off(b))
    })
}
