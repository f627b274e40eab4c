//! A combined model: several descriptors of one face in one template
//! (fusion across algorithms).
//!
//! Each component describes the face on its own chip. Its descriptor is
//! scaled to unit length and then by the square root of the component's
//! weight, and the parts are concatenated. The Euclidean distance of two
//! combined templates is then `sqrt(Σ w_i (2 - 2 cos_i))`: a weighted sum of
//! the components' cosine similarities. That is the fusion rule, and because
//! it is a distance of vectors, every later step (the mean of several
//! pictures, the AS-norm cohort, the calibration of false match rates) runs
//! on a combined template exactly as on one model's, and is measured *as
//! combined*: the calibration of a combined model is its own, fitted on its
//! templates, never derived from its components'.
//!
//! A combined model is an algorithm of its own. Its algorithm names its
//! components and a digest of their algorithms and weights, so a change of
//! either makes a new algorithm, whose templates compare with no other.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::manifest::{check_version, parse_strict};
use super::{BUILTIN_ID, Package, PackageError, check_id};
use crate::pipeline::DETECTOR_ID;
use crate::template::Algorithm;

/// The manifest of a combined model inside its directory.
pub const COMBINED_FILE: &str = "combined.json";
/// The one combined-manifest format this engine reads.
pub const COMBINED_FORMAT: u32 = 1;
/// Components of one combined model, at most.
pub const MAX_COMPONENTS: usize = 4;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CombinedManifest {
    /// Always [`COMBINED_FORMAT`].
    pub format: u32,
    /// What `--model` names; lower-case letters, digits and `-`.
    pub id: String,
    /// Letters, digits and `.`.
    pub version: String,
    #[serde(default)]
    pub description: String,
    pub components: Vec<Component>,
    /// How the weights were chosen, in words (data, objective, figures).
    pub fitted: String,
}

/// One descriptor of a combined model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    /// An installed package's id, or the built-in `dlib-resnet-v1`.
    pub model: String,
    /// The algorithm that model's templates carried when the weights were
    /// fitted: a component that has since changed is refused.
    pub algorithm: Algorithm,
    /// Its weight in the fused distance (positive).
    pub weight: f32,
}

fn bad(field: &str, what: impl std::fmt::Display) -> PackageError {
    PackageError::Manifest(format!("{field}: {what}"))
}

impl CombinedManifest {
    /// Parses and checks a combined manifest.
    pub fn parse(text: &str) -> Result<Self, PackageError> {
        let m: Self = parse_strict(text)?;
        m.validate()?;
        Ok(m)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("manifests serialise") + "\n"
    }

    pub fn validate(&self) -> Result<(), PackageError> {
        if self.format != COMBINED_FORMAT {
            return Err(bad(
                "format",
                format!(
                    "{} is not {COMBINED_FORMAT}, the format this lfr reads",
                    self.format
                ),
            ));
        }
        check_id(&self.id)?;
        check_version(&self.version)?;
        if !(2..=MAX_COMPONENTS).contains(&self.components.len()) {
            return Err(bad(
                "components",
                format!(
                    "{} given; a combined model has 2 to {MAX_COMPONENTS}",
                    self.components.len()
                ),
            ));
        }
        let detector = format!("{DETECTOR_ID}/");
        for (i, c) in self.components.iter().enumerate() {
            let field = |f: &str| format!("components[{i}].{f}");
            if c.model == self.id {
                return Err(bad(
                    &field("model"),
                    "a combined model cannot contain itself",
                ));
            }
            if c.model != BUILTIN_ID {
                check_id(&c.model).map_err(|e| bad(&field("model"), e))?;
            }
            if self.components[..i].iter().any(|o| o.model == c.model) {
                return Err(bad(&field("model"), format!("{} is named twice", c.model)));
            }
            if !c.algorithm.as_str().starts_with(&detector) {
                return Err(bad(
                    &field("algorithm"),
                    format!(
                        "{} does not start with {detector}: the components must share lfr's detector, so that they describe the same face",
                        c.algorithm
                    ),
                ));
            }
            if !(c.weight.is_finite() && c.weight > 0.0) {
                return Err(bad(
                    &field("weight"),
                    format!("{} must be a positive number", c.weight),
                ));
            }
        }
        if self.fitted.trim().is_empty() {
            return Err(bad("fitted", "is empty; say how the weights were chosen"));
        }
        Ok(())
    }

    /// The algorithm combined templates carry:
    /// `yunet-n-dynamic/combined-<id>-v<version>/<a>+<b>-<digest>`.
    pub fn algorithm(&self) -> Algorithm {
        let mut h = Sha256::new();
        for c in &self.components {
            h.update(c.algorithm.as_str().as_bytes());
            h.update([0]);
            h.update(c.weight.to_le_bytes());
        }
        let digest = hex::encode(&h.finalize()[..4]);
        let names: Vec<&str> = self.components.iter().map(|c| c.model.as_str()).collect();
        Algorithm::new(
            DETECTOR_ID,
            &format!("combined-{}-v{}", self.id, self.version),
            &format!("{}-{digest}", names.join("+")),
        )
    }
}

/// A combined model whose components were found and agree with the
/// algorithms it records.
#[derive(Debug, Clone, PartialEq)]
pub struct CombinedModel {
    dir: PathBuf,
    manifest: CombinedManifest,
    /// Per component, its package (`None`: the built-in descriptor).
    packages: Vec<Option<Package>>,
}

impl CombinedModel {
    /// Whether `dir` holds a combined model rather than a package.
    pub fn is_combined(dir: &Path) -> bool {
        dir.join(COMBINED_FILE).is_file()
    }

    /// Reads the combined model in `dir`. `component` opens a component by
    /// id (`None` for the built-in descriptor) and `builtin` is the
    /// built-in descriptor's algorithm.
    pub fn open(
        dir: &Path,
        builtin: &Algorithm,
        mut component: impl FnMut(&str) -> Result<Option<Package>, PackageError>,
    ) -> Result<Self, PackageError> {
        let path = dir.join(COMBINED_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| PackageError::Io {
            path: path.clone(),
            source,
        })?;
        let manifest = CombinedManifest::parse(&text)
            .map_err(|e| PackageError::Manifest(format!("{}: {e}", path.display())))?;
        let mut packages = Vec::new();
        for c in &manifest.components {
            let p = component(&c.model)?;
            let actual = p
                .as_ref()
                .map_or_else(|| builtin.clone(), Package::algorithm);
            if actual != c.algorithm {
                return Err(PackageError::Manifest(format!(
                    "{}: component {} now makes {actual}, but the weights were fitted for {}; combine again (`lfr models combine`)",
                    path.display(),
                    c.model,
                    c.algorithm
                )));
            }
            packages.push(p);
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            manifest,
            packages,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn manifest(&self) -> &CombinedManifest {
        &self.manifest
    }

    pub fn id(&self) -> &str {
        &self.manifest.id
    }

    pub fn algorithm(&self) -> Algorithm {
        self.manifest.algorithm()
    }

    /// Each component's package (`None`: built-in) and weight, in order.
    /// The first restriction of its components' licences (see
    /// [`super::Manifest::restriction`]): a combined model may be used only
    /// as its most restricted component may.
    pub fn restriction(&self) -> Option<&str> {
        self.packages
            .iter()
            .flatten()
            .find_map(|p| p.manifest().restriction.as_deref())
    }

    /// Its components' networks ([`super::network_of`]), in order, joined by `+`.
    pub fn network(&self) -> String {
        let digests: Vec<String> = self
            .packages
            .iter()
            .map(|p| {
                p.as_ref()
                    .map_or(super::builtin_network().into(), Package::network)
            })
            .collect();
        digests.join("+")
    }

    pub fn components(&self) -> impl Iterator<Item = (Option<&Package>, f32)> {
        self.packages
            .iter()
            .zip(&self.manifest.components)
            .map(|(p, c)| (p.as_ref(), c.weight))
    }
}

/// Appends one component's descriptor to a combined template: scaled to
/// unit length, then by the square root of its weight.
pub fn append_component(out: &mut Vec<f32>, descriptor: &[f32], weight: f32) {
    let norm = descriptor.iter().map(|x| x * x).sum::<f32>().sqrt();
    let k = if norm > 0.0 {
        weight.sqrt() / norm
    } else {
        0.0
    };
    out.extend(descriptor.iter().map(|x| x * k));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> CombinedManifest {
        CombinedManifest {
            format: 1,
            id: "sface-dlib".into(),
            version: "1".into(),
            description: String::new(),
            components: vec![
                Component {
                    model: "sface".into(),
                    algorithm: Algorithm(
                        "yunet-n-dynamic/align-sface-v2021.12/sface-2021.12".into(),
                    ),
                    weight: 0.7,
                },
                Component {
                    model: BUILTIN_ID.into(),
                    algorithm: Algorithm("yunet-n-dynamic/align-yunet5-v1/dlib-resnet-v1".into()),
                    weight: 0.3,
                },
            ],
            fitted: "by hand, for the test".into(),
        }
    }

    #[test]
    fn a_change_of_weight_or_component_is_a_new_algorithm() {
        let m = manifest();
        m.validate().unwrap();
        let a = m.algorithm();
        assert!(
            a.as_str()
                .starts_with("yunet-n-dynamic/combined-sface-dlib-v1/sface+dlib-resnet-v1-"),
            "{a}"
        );
        let mut w = m.clone();
        w.components[0].weight = 0.6;
        assert_ne!(w.algorithm(), a);
        let mut c = m.clone();
        c.components[0].algorithm = Algorithm("yunet-n-dynamic/align-sface-v2/sface-2".into());
        assert_ne!(c.algorithm(), a);
    }

    #[test]
    fn bad_manifests_name_the_field() {
        let mut one = manifest();
        one.components.pop();
        assert!(
            one.validate()
                .unwrap_err()
                .to_string()
                .contains("components")
        );
        let mut twice = manifest();
        twice.components[1].model = "sface".into();
        assert!(
            twice
                .validate()
                .unwrap_err()
                .to_string()
                .contains("named twice")
        );
        let mut zero = manifest();
        zero.components[1].weight = 0.0;
        assert!(zero.validate().unwrap_err().to_string().contains("weight"));
        let mut other = manifest();
        other.components[0].algorithm = Algorithm("retina/align/x".into());
        assert!(
            other
                .validate()
                .unwrap_err()
                .to_string()
                .contains("detector")
        );
        let text = manifest().to_json().replace("\"fitted\"", "\"fited\"");
        assert!(CombinedManifest::parse(&text).is_err());
    }

    #[test]
    fn the_distance_of_combined_templates_fuses_the_cosines() {
        // Two components: cosines 0.6 and 0.0, weights 0.75 and 0.25.
        let (a1, b1) = ([1.0f32, 0.0], [0.6f32, 0.8]);
        let (a2, b2) = ([0.0f32, 2.0, 0.0], [3.0f32, 0.0, 0.0]);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        append_component(&mut a, &a1, 0.75);
        append_component(&mut a, &a2, 0.25);
        append_component(&mut b, &b1, 0.75);
        append_component(&mut b, &b2, 0.25);
        let d2 = crate::template::euclidean(&a, &b).powi(2);
        let want = 0.75 * (2.0 - 2.0 * 0.6) + 0.25 * 2.0;
        assert!((d2 - want).abs() < 1e-6, "{d2} vs {want}");
    }
}
