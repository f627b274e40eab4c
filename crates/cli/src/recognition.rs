//! Opening the recognition engine from the installed models, for the
//! subcommands that look at faces.

use anyhow::Result;
use lfr_engine::align::AlignMethod;
use lfr_engine::detect::DetectorConfig;
use lfr_engine::pipeline::{Engine, EngineConfig, ModelFiles};
use lfr_models::{ModelsDir, files};

use crate::Global;

/// Engine options shared by the face subcommands.
#[derive(clap::Args, Debug, Clone)]
pub struct EngineArgs {
    /// How faces are aligned before description: yunet5 (default) or dlib5-cascade.
    /// Templates of different alignments do not compare.
    #[arg(long, default_value = "yunet5")]
    pub align: AlignMethod,
    /// Threads per model run.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
}

/// The installed model files, each checked against its pinned SHA-256
/// before the engine is allowed to load it.
pub fn model_files(g: &Global) -> Result<ModelFiles> {
    let dir = ModelsDir::resolve(g.models.as_deref());
    Ok(ModelFiles {
        onnxruntime: dir.verified(files::ONNXRUNTIME)?,
        yunet: dir.verified(files::YUNET)?,
        dlib_resnet: dir.verified(files::DLIB_RESNET)?,
        dlib_shape5: dir.verified(files::DLIB_SHAPE5).ok(),
    })
}

impl EngineArgs {
    pub fn config(&self, detector: DetectorConfig) -> EngineConfig {
        EngineConfig {
            detector,
            align: self.align,
            threads: self.threads,
        }
    }

    /// An engine for photographs: full-resolution detection.
    pub fn open_for_stills(&self, g: &Global) -> Result<Engine> {
        Ok(Engine::open(
            &model_files(g)?,
            &self.config(DetectorConfig::stills()),
        )?)
    }
}
