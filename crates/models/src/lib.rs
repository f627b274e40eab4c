//! The models directory: one flat folder holding every file the default
//! pipeline needs, each under its manifest name.

use std::path::{Path, PathBuf};

/// File names of the default pipeline's models, as installed in the models directory.
pub mod files {
    pub const ONNXRUNTIME: &str = "libonnxruntime.so.1.31.1";
    pub const DLIB_RESNET: &str = "dlib_face_recognition_resnet_model_v1.dat";
    pub const DLIB_SHAPE5: &str = "shape_predictor_5_face_landmarks.dat";
    pub const YUNET: &str = "yunet_n_dynamic.onnx";
}

#[derive(Debug, thiserror::Error)]
pub enum ModelsError {
    #[error(
        "model file {file} is not installed in {dir}. Run `lfr models install` (offline: `lfr models install --from DIR`)"
    )]
    Missing { file: String, dir: PathBuf },
}

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

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Path of an installed model file, or an error that says how to install it.
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
}

fn default_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("lfr/models");
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| ".".into());
    PathBuf::from(home).join(".local/share/lfr/models")
}
