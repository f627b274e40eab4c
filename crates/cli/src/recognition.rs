//! Opening the recognition engine from the installed models, for the
//! subcommands that look at faces.

use anyhow::{Context, Result};
use lfr_engine::align::AlignMethod;
use lfr_engine::detect::DetectorConfig;
use lfr_engine::package::{BUILTIN_ID, Package};
use lfr_engine::pipeline::{Engine, EngineConfig, ModelFiles};
use lfr_models::{ModelsDir, files};

use crate::Global;

/// Engine options shared by the face subcommands.
#[derive(clap::Args, Debug, Clone)]
pub struct EngineArgs {
    /// How faces are aligned before description: yunet5 (default) or dlib5-cascade
    /// (the built-in model only). Templates of different alignments do not compare.
    #[arg(long, default_value = "yunet5")]
    pub align: AlignMethod,
    /// Threads per model run.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
}

/// The model `--model` names, or the built-in one.
pub fn chosen_model(g: &Global) -> &str {
    g.model.as_deref().unwrap_or(BUILTIN_ID)
}

/// An installed package, opened and checked (manifest and SHA-256).
pub fn package(dir: &ModelsDir, id: &str) -> Result<Package> {
    let path = dir.package_dir(id)?;
    if !path.is_dir() {
        anyhow::bail!(
            "model {id} is not installed in {}: `lfr models add DIR` installs a package, `lfr models list` shows the installed ones (the built-in model is {BUILTIN_ID})",
            dir.packages_dir().display()
        );
    }
    Package::open(&path).with_context(|| format!("model {id} in {}", path.display()))
}

/// The installed model files for `--model`, each checked against its
/// pinned SHA-256 (or its manifest's) before the engine may load it.
pub fn model_files(g: &Global) -> Result<ModelFiles> {
    model_files_for(g, chosen_model(g))
}

/// The installed model files for model `id`.
pub fn model_files_for(g: &Global, id: &str) -> Result<ModelFiles> {
    let dir = ModelsDir::resolve(g.models.as_deref());
    let package = if id == BUILTIN_ID {
        None
    } else {
        Some(package(&dir, id)?)
    };
    Ok(ModelFiles {
        onnxruntime: dir.verified(files::ONNXRUNTIME)?,
        yunet: dir.verified(files::YUNET)?,
        dlib_resnet: dir.verified(files::DLIB_RESNET)?,
        dlib_shape5: dir.verified(files::DLIB_SHAPE5).ok(),
        package,
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
