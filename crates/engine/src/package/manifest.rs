//! `manifest.json` of a recognition model package: what the ONNX file is,
//! how to feed it, how to cut its chips and how to compare what it gives.
//!
//! Parsing is strict (unknown fields, wrong sizes and impossible values are
//! errors naming the field), because a package that is silently misread
//! gives templates that look fine and match the wrong people.

use serde::{Deserialize, Serialize};

use super::PackageError;
use crate::align::AlignTemplate;

/// The one manifest format this engine reads.
pub const FORMAT: u32 = 1;
/// Name of the manifest inside a package.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Name of the package's calibration (written by `lfr calibrate --model`).
pub const CALIBRATION_FILE: &str = "calibration.json";
/// Name of the package's fused calibration (`lfr calibrate --model ID --fused`).
pub const FUSED_CALIBRATION_FILE: &str = "calibration.fused.json";
/// The built-in descriptor's model id: no package may take it.
pub const BUILTIN_ID: &str = "dlib-resnet-v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: u32,
    /// Lower-case letters, digits and `-`; part of the template algorithm.
    pub id: String,
    /// Letters, digits and `.`; a new version is a new algorithm.
    pub version: String,
    #[serde(default)]
    pub description: String,
    /// SPDX identifier or the licence's name.
    pub licence: String,
    /// Who made it, from what data, and where it was obtained.
    pub provenance: String,
    /// What the licence of the weights forbids, when it forbids operational
    /// use (for example "non-commercial research only"). Such a model is
    /// measured freely, but becomes a deployment's model only with the
    /// reference of a licence that allows it, recorded in the audit log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restriction: Option<String>,
    pub model: ModelSpec,
    pub alignment: AlignmentSpec,
}

/// The ONNX file and how to run it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// File name of the ONNX model inside the package.
    pub file: String,
    /// Lower-case hex SHA-256 of that file.
    pub sha256: String,
    /// Name of the graph input that takes the chips.
    pub input: String,
    /// Name of the graph output that gives the descriptors (`N x descriptor_size`).
    pub output: String,
    /// Width and height of the input, in pixels.
    pub input_size: [u32; 2],
    pub layout: Layout,
    pub colour_order: ColourOrder,
    pub normalisation: Normalisation,
    pub descriptor_size: usize,
    pub distance: Distance,
    /// Scale each descriptor to unit length before comparing (implied by `cosine`).
    #[serde(default)]
    pub l2_normalise: bool,
}

/// Tensor layout of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Layout {
    NCHW,
    NHWC,
}

/// Order of the three channels the model expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColourOrder {
    RGB,
    BGR,
}

/// Each input value is `(pixel - mean[c]) / std[c]`, pixels in 0..=255 and
/// `c` the channel in the model's own order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Normalisation {
    pub mean: [f32; 3],
    pub std: [f32; 3],
}

/// How descriptors are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Distance {
    Euclidean,
    /// Descriptors are scaled to unit length and compared by Euclidean
    /// distance, `sqrt(2 - 2 cos)`: the same order as cosine distance, so
    /// the calibrated scores are the same.
    Cosine,
}

/// Where the five landmarks sit in the chip the model was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlignmentSpec {
    /// Side of the square chip the points are given in (the input size).
    pub chip_size: u32,
    /// Chip pixels (x, y) of: image-left eye centre, image-right eye centre,
    /// nose tip, image-left mouth corner, image-right mouth corner.
    pub points: [[f64; 2]; 5],
}

fn bad(field: &str, what: impl std::fmt::Display) -> PackageError {
    PackageError::Manifest(format!("{field}: {what}"))
}

impl Manifest {
    /// Parses and checks a manifest.
    pub fn parse(text: &str) -> Result<Self, PackageError> {
        let m: Manifest = parse_strict(text)?;
        m.validate()?;
        Ok(m)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("manifests serialise") + "\n"
    }

    pub fn validate(&self) -> Result<(), PackageError> {
        if self.format != FORMAT {
            return Err(bad(
                "format",
                format!("{} is not {FORMAT}, the format this lfr reads", self.format),
            ));
        }
        check_id(&self.id)?;
        check_version(&self.version)?;
        let restriction = self.restriction.as_ref();
        for (field, v) in [
            ("licence", Some(&self.licence)),
            ("provenance", Some(&self.provenance)),
            ("restriction", restriction),
        ] {
            let Some(v) = v else { continue };
            if v.trim().is_empty() {
                return Err(bad(
                    field,
                    "is empty; say what it is and where it came from",
                ));
            }
        }
        self.model.validate()?;
        let [w, _] = self.model.input_size;
        if self.alignment.chip_size != w {
            return Err(bad(
                "alignment.chip_size",
                format!(
                    "{} differs from model.input_size {w}: give the points in input pixels",
                    self.alignment.chip_size
                ),
            ));
        }
        self.template()
            .validate()
            .map_err(|e| bad("alignment.points", e))?;
        Ok(())
    }

    /// The alignment template the aligner fits YuNet's five points to.
    pub fn template(&self) -> AlignTemplate {
        AlignTemplate {
            points: self.alignment.points,
            size: self.alignment.chip_size as usize,
        }
    }
}

/// Parses JSON into `T`, naming the field of any error.
pub(super) fn parse_strict<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, PackageError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        bad(&path, e.into_inner())
    })
}

/// A model version: part of the algorithm, so a new one is a new algorithm.
pub(super) fn check_version(version: &str) -> Result<(), PackageError> {
    if version.is_empty()
        || version.len() > 32
        || !version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.')
    {
        return Err(bad(
            "version",
            format!("{version:?} must be 1 to 32 letters, digits or dots"),
        ));
    }
    Ok(())
}

/// A package id: what `--model` names and the algorithm carries.
pub fn check_id(id: &str) -> Result<(), PackageError> {
    let ok = (1..=48).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-');
    if !ok {
        return Err(bad(
            "id",
            format!(
                "{id:?} must be 1 to 48 lower-case letters, digits or '-', not starting with '-'"
            ),
        ));
    }
    if id == BUILTIN_ID {
        return Err(bad(
            "id",
            format!("{id:?} is the built-in dlib descriptor's; choose another"),
        ));
    }
    Ok(())
}

impl ModelSpec {
    fn validate(&self) -> Result<(), PackageError> {
        let f = &self.file;
        if f.is_empty() || f.contains(['/', '\\']) || f.starts_with('.') || !f.ends_with(".onnx") {
            return Err(bad(
                "model.file",
                format!("{f:?} must be a plain file name ending in .onnx, inside the package"),
            ));
        }
        if self.sha256.len() != 64
            || !self
                .sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(bad(
                "model.sha256",
                "must be 64 lower-case hex digits (`sha256sum FILE`)",
            ));
        }
        for (field, v) in [("model.input", &self.input), ("model.output", &self.output)] {
            if v.is_empty() {
                return Err(bad(field, "is empty: give the ONNX graph's tensor name"));
            }
        }
        let [w, h] = self.input_size;
        if w != h {
            return Err(bad(
                "model.input_size",
                format!("{w}x{h} is not square; lfr cuts square chips"),
            ));
        }
        if !(16..=1024).contains(&w) {
            return Err(bad("model.input_size", format!("{w} is outside 16..=1024")));
        }
        let n = &self.normalisation;
        if n.mean.iter().chain(&n.std).any(|v| !v.is_finite()) {
            return Err(bad("model.normalisation", "values must be finite numbers"));
        }
        if n.std.contains(&0.0) {
            return Err(bad("model.normalisation.std", "a standard deviation of 0"));
        }
        if !(1..=8192).contains(&self.descriptor_size) {
            return Err(bad(
                "model.descriptor_size",
                format!("{} is outside 1..=8192", self.descriptor_size),
            ));
        }
        Ok(())
    }

    /// Whether descriptors are scaled to unit length.
    pub fn unit_length(&self) -> bool {
        self.l2_normalise || self.distance == Distance::Cosine
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Manifest {
        Manifest {
            format: FORMAT,
            id: "test-net".into(),
            version: "2".into(),
            description: String::new(),
            licence: "CC0-1.0".into(),
            provenance: "made for a test".into(),
            restriction: None,
            model: ModelSpec {
                file: "model.onnx".into(),
                sha256: "0".repeat(64),
                input: "x".into(),
                output: "y".into(),
                input_size: [112, 112],
                layout: Layout::NCHW,
                colour_order: ColourOrder::RGB,
                normalisation: Normalisation {
                    mean: [127.5; 3],
                    std: [128.0; 3],
                },
                descriptor_size: 512,
                distance: Distance::Cosine,
                l2_normalise: false,
            },
            alignment: AlignmentSpec {
                chip_size: 112,
                points: [
                    [38.29, 51.70],
                    [73.53, 51.50],
                    [56.03, 71.74],
                    [41.55, 92.37],
                    [70.73, 92.20],
                ],
            },
        }
    }

    fn error_of(edit: impl Fn(&mut serde_json::Value)) -> String {
        let mut v = serde_json::to_value(sample()).unwrap();
        edit(&mut v);
        Manifest::parse(&v.to_string()).unwrap_err().to_string()
    }

    #[test]
    fn a_good_manifest_round_trips() {
        let m = sample();
        assert_eq!(Manifest::parse(&m.to_json()).unwrap(), m);
        assert!(m.model.unit_length());
    }

    #[test]
    fn mistakes_are_named() {
        type Edit = Box<dyn Fn(&mut serde_json::Value)>;
        let cases: Vec<(Edit, &str)> = vec![
            (Box::new(|v| v["extra"] = 1.into()), "unknown field `extra`"),
            (
                Box::new(|v| v["model"]["mean"] = 1.into()),
                "unknown field `mean`",
            ),
            (
                Box::new(|v| v["model"]["input_size"] = serde_json::json!([112])),
                "input_size",
            ),
            (
                Box::new(|v| v["model"]["input_size"] = serde_json::json!([112, 96])),
                "not square",
            ),
            (
                Box::new(|v| v["model"]["normalisation"]["std"] = serde_json::json!([1, 0, 1])),
                "standard deviation of 0",
            ),
            (
                Box::new(|v| v["model"]["normalisation"]["mean"] = serde_json::json!([1, 2])),
                "invalid length 2",
            ),
            (
                Box::new(|v| v["model"]["layout"] = "CHW".into()),
                "unknown variant `CHW`",
            ),
            (
                Box::new(|v| v["model"]["colour_order"] = "rgb".into()),
                "unknown variant `rgb`",
            ),
            (
                Box::new(|v| v["model"]["sha256"] = "ABC".into()),
                "model.sha256",
            ),
            (
                Box::new(|v| v["model"]["file"] = "../x.onnx".into()),
                "plain file name",
            ),
            (
                Box::new(|v| v["alignment"]["chip_size"] = 150.into()),
                "alignment.chip_size",
            ),
            (
                Box::new(|v| {
                    v["alignment"]["points"] = serde_json::json!([[1, 1], [1, 1], [1, 1], [1, 1]])
                }),
                "invalid length 4",
            ),
            (
                Box::new(|v| {
                    v["alignment"]["points"] =
                        serde_json::json!([[80, 50], [40, 50], [56, 70], [40, 90], [70, 90]])
                }),
                "alignment.points",
            ),
            (Box::new(|v| v["id"] = "Dlib".into()), "id"),
            (Box::new(|v| v["id"] = BUILTIN_ID.into()), "built-in"),
            (Box::new(|v| v["version"] = "1/2".into()), "version"),
            (Box::new(|v| v["licence"] = " ".into()), "licence"),
            (Box::new(|v| v["format"] = 2.into()), "format"),
        ];
        for (edit, want) in cases {
            let e = error_of(edit);
            assert!(e.contains(want), "{want:?} not in {e:?}");
        }
    }
}
