//! Recognition model packages: a directory holding an ONNX descriptor
//! model, its `manifest.json` and, once computed, its `calibration.json`.
//!
//! A package is how a force brings its own algorithm: the engine runs any
//! descriptor the manifest describes, cut to the manifest's alignment
//! template. Its templates carry an algorithm derived from the package's id
//! and version, so they never compare with another model's, and its
//! calibration is always its own.

mod combined;
mod export;
mod manifest;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use combined::{
    COMBINED_FILE, COMBINED_FORMAT, CombinedManifest, CombinedModel, Component, MAX_COMPONENTS,
    append_component,
};
pub use export::export_dlib;
pub use manifest::{
    AlignmentSpec, BUILTIN_ID, CALIBRATION_FILE, ColourOrder, Distance, FORMAT,
    FUSED_CALIBRATION_FILE, Layout, MANIFEST_FILE, Manifest, ModelSpec, Normalisation, check_id,
};

use crate::calibration::{Calibration, CalibrationError};
use crate::fusion::FusionCalibration;
use crate::pipeline::DETECTOR_ID;
use crate::template::Algorithm;

#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("the package manifest is invalid: {0}")]
    Manifest(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is not the model the manifest names: SHA-256 {actual}, the manifest says {expected}. The package is corrupt or incomplete; obtain it again"
    )]
    Digest {
        path: PathBuf,
        expected: String,
        actual: String,
    },
}

/// A package directory whose manifest parsed and whose ONNX file matched
/// its SHA-256 when opened.
#[derive(Debug, Clone, PartialEq)]
pub struct Package {
    dir: PathBuf,
    manifest: Manifest,
}

impl Package {
    /// Reads and checks the package in `dir`: a strict manifest and an ONNX
    /// file with the manifest's SHA-256.
    pub fn open(dir: &Path) -> Result<Self, PackageError> {
        let path = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| PackageError::Io {
            path: path.clone(),
            source,
        })?;
        let manifest = Manifest::parse(&text)
            .map_err(|e| PackageError::Manifest(format!("{}: {e}", path.display())))?;
        let p = Self {
            dir: dir.to_path_buf(),
            manifest,
        };
        let actual = sha256_file(&p.onnx_path())?;
        if actual != p.manifest.model.sha256 {
            return Err(PackageError::Digest {
                path: p.onnx_path(),
                expected: p.manifest.model.sha256.clone(),
                actual,
            });
        }
        Ok(p)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    pub fn id(&self) -> &str {
        &self.manifest.id
    }

    pub fn onnx_path(&self) -> PathBuf {
        self.dir.join(&self.manifest.model.file)
    }

    /// The ONNX model's bytes, checked again against the manifest's SHA-256
    /// (the file may have changed since the package was opened).
    pub fn read_onnx(&self) -> Result<Vec<u8>, PackageError> {
        let path = self.onnx_path();
        let bytes = std::fs::read(&path).map_err(|source| PackageError::Io {
            path: path.clone(),
            source,
        })?;
        let actual = hex::encode(Sha256::digest(&bytes));
        if actual != self.manifest.model.sha256 {
            return Err(PackageError::Digest {
                path,
                expected: self.manifest.model.sha256.clone(),
                actual,
            });
        }
        Ok(bytes)
    }

    /// SHA-256 of the descriptor as it runs ([`network_of`]).
    pub fn network(&self) -> String {
        network_of(&self.manifest)
    }

    pub fn calibration_path(&self) -> PathBuf {
        self.dir.join(CALIBRATION_FILE)
    }

    /// The algorithm its templates carry.
    pub fn algorithm(&self) -> Algorithm {
        algorithm_of(&self.manifest.id, &self.manifest.version)
    }

    /// The package's own calibration. One made for another algorithm is
    /// refused: a score means a false match rate only for the model measured.
    pub fn calibration(&self) -> Result<Calibration, CalibrationError> {
        read_calibration(&self.dir, &self.algorithm(), self.id())
    }

    /// The package's own fused calibration (cohort and multi-image curves),
    /// which the live pipeline scores with.
    pub fn fusion_calibration(&self) -> Result<FusionCalibration, CalibrationError> {
        read_fusion_calibration(&self.dir, &self.algorithm(), self.id())
    }

    pub fn is_calibrated(&self) -> bool {
        self.calibration().is_ok()
    }
}

/// SHA-256 of a package's descriptor as it runs: its manifest's model
/// (the weights' SHA-256, input, channel order, normalisation, distance)
/// and alignment. The same weights run another way are another network,
/// and what was measured of one says nothing of the other.
pub fn network_of(m: &Manifest) -> String {
    let spec = serde_json::to_vec(&(&m.model, &m.alignment)).expect("specs serialise");
    hex::encode(Sha256::digest(spec))
}

/// The same for the built-in descriptor: dlib's file as lfr pins it (how
/// it runs is lfr's own code, fixed by its algorithm).
pub fn builtin_network() -> &'static str {
    lfr_models::manifest::entry(lfr_models::files::DLIB_RESNET)
        .expect("lfr pins dlib's descriptor")
        .sha256
}

/// The single-image calibration in model directory `dir` (a package or a
/// combined model), which must be for `algorithm`.
pub fn read_calibration(
    dir: &Path,
    algorithm: &Algorithm,
    id: &str,
) -> Result<Calibration, CalibrationError> {
    let path = dir.join(CALIBRATION_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CalibrationError::Missing(algorithm.clone()));
        }
        Err(e) => {
            return Err(CalibrationError::Invalid(format!(
                "{}: {e}",
                path.display()
            )));
        }
    };
    let c = Calibration::from_json(&text)?;
    if c.algorithm != *algorithm {
        return Err(CalibrationError::Invalid(format!(
            "{} was made for {}, not for model {id}'s {algorithm}; compute it with `lfr calibrate --model {id}`",
            path.display(),
            c.algorithm,
        )));
    }
    Ok(c)
}

/// The fused calibration (cohort and multi-image curves) in model
/// directory `dir`, which must be for `algorithm`.
pub fn read_fusion_calibration(
    dir: &Path,
    algorithm: &Algorithm,
    id: &str,
) -> Result<FusionCalibration, CalibrationError> {
    let path = dir.join(FUSED_CALIBRATION_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        CalibrationError::Invalid(format!(
            "model {id} has no fused calibration ({}: {e}); compute it with `lfr calibrate --model {id} --data LFW_DIR --fused`",
            path.display(),
        ))
    })?;
    let c = FusionCalibration::from_json(&text)?;
    if c.algorithm != *algorithm {
        return Err(CalibrationError::Invalid(format!(
            "{} was made for {}, not for model {id}'s {algorithm}; compute it with `lfr calibrate --model {id} --fused`",
            path.display(),
            c.algorithm,
        )));
    }
    Ok(c)
}

/// `yunet-n-dynamic/align-<id>-v<version>/<id>-<version>`: the detector,
/// the package's alignment template and the package's descriptor.
pub fn algorithm_of(id: &str, version: &str) -> Algorithm {
    Algorithm::new(
        DETECTOR_ID,
        &format!("align-{id}-v{version}"),
        &format!("{id}-{version}"),
    )
}

/// Lower-case hex SHA-256 of a file.
pub fn sha256_file(path: &Path) -> Result<String, PackageError> {
    let mut f = std::fs::File::open(path).map_err(|source| PackageError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(|source| PackageError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(hex::encode(h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithms_follow_id_and_version() {
        assert_eq!(
            algorithm_of("arc", "2.1").as_str(),
            "yunet-n-dynamic/align-arc-v2.1/arc-2.1"
        );
        assert_ne!(algorithm_of("arc", "2"), algorithm_of("arc", "3"));
    }
}
