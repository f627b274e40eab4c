//! Recognition packages that lfr ships: the manifest, calibrations and
//! notices live in this repository (`crates/models/packages/<id>/`); the
//! model itself is built from a pinned descriptor file that `install` put
//! in the models directory, so lfr redistributes no weights.
//!
//! A published model is not always usable as it is: SFace's quantised file
//! declares graph inputs nothing feeds, and runs faster with its weights
//! folded to float. The edit is deterministic, so the built model is pinned
//! by the SHA-256 in the shipped manifest like any downloaded file.

use std::path::Path;

use crate::error::io;
use crate::{ModelsDir, ModelsError, files};

/// How the package's `model.onnx` is made from the pinned source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Build {
    /// Copied unchanged.
    Copy,
    /// Unfed and constant graph inputs dropped, dequantised weights folded
    /// to float, batch dimension freed.
    RepairAndFold,
    /// Batch dimension freed (the graph declares batches of one but
    /// computes any).
    FreeBatch,
}

/// One package lfr ships.
#[derive(Debug, Clone, Copy)]
pub struct Shipped {
    pub id: &'static str,
    /// The manifest file (in the models directory) the model is built from.
    pub source: &'static str,
    pub build: Build,
    /// Companion files installed beside the model (licence texts) that
    /// come from the models directory: (installed name there, name in the package).
    pub companions: &'static [(&'static str, &'static str)],
    /// The package's files kept in this repository: (name, contents).
    pub files: &'static [(&'static str, &'static str)],
}

/// The recognition model lfr uses when none is named, and that new
/// deployments get: the best by the walk-through's True Recognition Rate at
/// a System False Alert Rate of at most 0.1 %, among the models whose
/// licences allow operational use and whose calibrations hold on people
/// they were not fitted on (the README's comparison table). SFace and the
/// built-in descriptor combined: `lfr models install` installs it.
pub const DEFAULT_MODEL: &str = "sface-dlib";

/// Name of the model inside every shipped package.
pub const MODEL_FILE: &str = "model.onnx";

macro_rules! shipped_file {
    ($id:literal, $name:literal) => {
        (
            $name,
            include_str!(concat!("../packages/", $id, "/", $name)),
        )
    };
}

/// The packages lfr ships, each built when its source file is installed.
pub const SHIPPED: &[Shipped] = &[
    Shipped {
        id: "sface",
        source: files::SFACE,
        build: Build::RepairAndFold,
        companions: &[],
        files: &[
            shipped_file!("sface", "manifest.json"),
            shipped_file!("sface", "calibration.json"),
            shipped_file!("sface", "calibration.fused.json"),
            shipped_file!("sface", "NOTICE"),
        ],
    },
    Shipped {
        id: "w600k-mbf",
        source: files::ARCFACE_MBF,
        build: Build::FreeBatch,
        companions: &[],
        files: &[
            shipped_file!("w600k-mbf", "manifest.json"),
            shipped_file!("w600k-mbf", "calibration.json"),
            shipped_file!("w600k-mbf", "calibration.fused.json"),
            shipped_file!("w600k-mbf", "NOTICE"),
        ],
    },
    Shipped {
        id: "omz-face-reid",
        source: files::OMZ_REID,
        build: Build::Copy,
        companions: &[(files::OMZ_LICENSE, "LICENSE")],
        files: &[
            shipped_file!("omz-face-reid", "manifest.json"),
            shipped_file!("omz-face-reid", "calibration.json"),
            shipped_file!("omz-face-reid", "calibration.fused.json"),
            shipped_file!("omz-face-reid", "NOTICE"),
        ],
    },
];

/// A combined model lfr ships (several descriptors in one template): its
/// manifest and calibrations, installed once every component is.
#[derive(Debug, Clone, Copy)]
pub struct ShippedCombined {
    pub id: &'static str,
    /// The packages it needs installed (the built-in descriptor always is).
    pub needs: &'static [&'static str],
    /// Its files kept in this repository: (name, contents).
    pub files: &'static [(&'static str, &'static str)],
}

/// The combined models lfr ships.
pub const SHIPPED_COMBINED: &[ShippedCombined] = &[ShippedCombined {
    id: "sface-dlib",
    needs: &["sface"],
    files: &[
        shipped_file!("sface-dlib", "combined.json"),
        shipped_file!("sface-dlib", "calibration.json"),
        shipped_file!("sface-dlib", "calibration.fused.json"),
    ],
}];

impl ShippedCombined {
    /// Writes its files into `out` (an empty directory); returns their names.
    pub fn stage(&self, out: &Path) -> Result<Vec<String>, ModelsError> {
        let mut names = Vec::new();
        for (name, text) in self.files {
            let p = out.join(name);
            std::fs::write(&p, text).map_err(io(format!("writing {}", p.display())))?;
            names.push(name.to_string());
        }
        Ok(names)
    }
}

/// The shipped package `id`, if lfr ships one.
pub fn find(id: &str) -> Option<&'static Shipped> {
    SHIPPED.iter().find(|s| s.id == id)
}

impl Shipped {
    /// The SHA-256 the built model must have: the shipped manifest's `model.sha256`.
    pub fn model_sha256(&self) -> Result<String, ModelsError> {
        let manifest = self
            .files
            .iter()
            .find(|(n, _)| *n == "manifest.json")
            .map(|(_, t)| *t)
            .ok_or_else(|| self.error("has no manifest.json"))?;
        let v: serde_json::Value = serde_json::from_str(manifest)
            .map_err(|e| self.error(&format!("manifest.json does not parse: {e}")))?;
        v["model"]["sha256"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| self.error("manifest.json has no model.sha256"))
    }

    fn error(&self, what: &str) -> ModelsError {
        ModelsError::Package(format!("the shipped package {} {what}", self.id))
    }

    /// The model's bytes, built from `source` (the pinned file's bytes) and
    /// checked against the shipped manifest.
    pub fn build_model(&self, source: &[u8]) -> Result<Vec<u8>, ModelsError> {
        let edit = |e: lfr_onnx::OnnxError| {
            self.error(&format!("cannot be built from {}: {e}", self.source))
        };
        let bytes = match self.build {
            Build::Copy => source.to_vec(),
            Build::FreeBatch => {
                let mut m = lfr_onnx::decode(source).map_err(edit)?;
                lfr_onnx::set_dynamic_batch(&mut m, "N").map_err(edit)?;
                lfr_onnx::encode(&m)
            }
            Build::RepairAndFold => {
                let mut m = lfr_onnx::decode(source).map_err(edit)?;
                lfr_onnx::repair(&mut m).map_err(edit)?;
                lfr_onnx::fold_constants(&mut m).map_err(edit)?;
                lfr_onnx::set_dynamic_batch(&mut m, "N").map_err(edit)?;
                lfr_onnx::encode(&m)
            }
        };
        let want = self.model_sha256()?;
        let got = crate::digest::sha256_bytes(&bytes);
        if got != want {
            return Err(self.error(&format!(
                "built from {} gives a model with SHA-256 {got}, not the pinned {want}; this lfr build is inconsistent, report it",
                self.source
            )));
        }
        Ok(bytes)
    }

    /// Writes the whole package into `out` (an empty directory): the model
    /// built from the verified source file, the repository's files and the
    /// companions. Returns the names written.
    pub fn stage(&self, dir: &ModelsDir, out: &Path) -> Result<Vec<String>, ModelsError> {
        let src = dir.verified(self.source)?;
        let bytes = std::fs::read(&src).map_err(io(format!("reading {}", src.display())))?;
        let model = self.build_model(&bytes)?;
        let mut names = Vec::new();
        let mut write = |name: &str, data: &[u8]| -> Result<(), ModelsError> {
            let p = out.join(name);
            std::fs::write(&p, data).map_err(io(format!("writing {}", p.display())))?;
            names.push(name.to_string());
            Ok(())
        };
        write(MODEL_FILE, &model)?;
        for (name, text) in self.files {
            write(name, text.as_bytes())?;
        }
        for (installed, name) in self.companions {
            if let Ok(p) = dir.verified(installed) {
                let data = std::fs::read(&p).map_err(io(format!("reading {}", p.display())))?;
                write(name, &data)?;
            }
        }
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_package_names_a_pinned_source_and_a_model_pin() {
        for s in SHIPPED {
            let m = crate::manifest::entry(s.source).expect("source in the manifest");
            assert!(!m.required, "{}: shipped packages are optional", s.id);
            let sha = s.model_sha256().unwrap();
            assert_eq!(sha.len(), 64, "{}", s.id);
            if s.build == Build::Copy {
                assert_eq!(sha, m.sha256, "{}: a copy keeps the source's hash", s.id);
            }
            let v: serde_json::Value =
                serde_json::from_str(s.files.iter().find(|f| f.0 == "manifest.json").unwrap().1)
                    .unwrap();
            assert_eq!(v["id"], s.id);
            assert_eq!(v["model"]["file"], MODEL_FILE);
        }
    }

    #[test]
    fn a_source_that_is_not_onnx_is_refused_with_the_reason() {
        let e = find("sface")
            .unwrap()
            .build_model(b"not a model")
            .unwrap_err();
        assert!(e.to_string().contains("cannot be built"), "{e}");
    }
}
