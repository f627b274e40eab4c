//! Biometric templates: a descriptor plus the algorithm that made it.
//!
//! A template is meaningful only against templates of the same algorithm
//! (detector, aligner and embedder, with their versions): a descriptor from
//! a differently aligned chip lands elsewhere in the space even for the same
//! face. Comparing across algorithms is therefore an error, and changing the
//! algorithm means re-enrolling from the original images.

use serde::{Deserialize, Serialize};
use std::fmt;
use zeroize::Zeroize;

/// The pipeline that makes a template, e.g.
/// `yunet-n-dynamic/align-yunet5-v1/dlib-resnet-v1`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Algorithm(pub String);

impl Algorithm {
    pub fn new(detector: &str, aligner: &str, embedder: &str) -> Self {
        Self(format!("{detector}/{aligner}/{embedder}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A face's biometric template. Its vector is zeroed when dropped, so a
/// template of a passer-by leaves nothing behind in freed memory.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    pub algorithm: Algorithm,
    pub vector: Vec<f32>,
}

impl fmt::Debug for Template {
    /// Biometric values are never printed, even in debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Template({}, {} dims)",
            self.algorithm,
            self.vector.len()
        )
    }
}

impl Drop for Template {
    fn drop(&mut self) {
        self.vector.zeroize();
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TemplateError {
    #[error(
        "templates of different algorithms cannot be compared ({0} vs {1}); re-enrol from the original images with the current algorithm"
    )]
    AlgorithmMismatch(Algorithm, Algorithm),
    #[error("templates have different lengths ({0} vs {1})")]
    Length(usize, usize),
}

impl Template {
    pub fn new(algorithm: Algorithm, vector: Vec<f32>) -> Self {
        Self { algorithm, vector }
    }

    /// Euclidean distance between the descriptors: the raw dissimilarity that
    /// a [`crate::calibration::Calibration`] turns into a Similarity Score.
    pub fn distance(&self, other: &Template) -> Result<f32, TemplateError> {
        if self.algorithm != other.algorithm {
            return Err(TemplateError::AlgorithmMismatch(
                self.algorithm.clone(),
                other.algorithm.clone(),
            ));
        }
        if self.vector.len() != other.vector.len() {
            return Err(TemplateError::Length(self.vector.len(), other.vector.len()));
        }
        Ok(euclidean(&self.vector, &other.vector))
    }
}

/// Euclidean distance of two equal-length vectors.
pub fn euclidean(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f32>()
        .sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn different_algorithms_do_not_compare() {
        let a = Template::new(Algorithm("x/a/e".into()), vec![0.0; 4]);
        let b = Template::new(Algorithm("x/b/e".into()), vec![0.0; 4]);
        let e = a.distance(&b).unwrap_err();
        assert!(e.to_string().contains("re-enrol"), "{e}");
        let c = Template::new(Algorithm("x/a/e".into()), vec![3.0, 4.0, 0.0, 0.0]);
        assert_eq!(a.distance(&c).unwrap(), 5.0);
    }

    #[test]
    fn debug_output_hides_the_vector() {
        let a = Template::new(Algorithm("alg".into()), vec![0.123456; 3]);
        assert!(!format!("{a:?}").contains("0.123"));
    }
}
