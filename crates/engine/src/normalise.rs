//! Score normalisation against an impostor cohort (adaptive symmetric
//! normalisation, "AS-norm").
//!
//! Descriptor space is not evenly filled: some faces sit in dense regions
//! where many strangers are close (with the dlib descriptor, measured on
//! LFW, mostly East Asian men), others in sparse ones. A fixed distance
//! threshold therefore gives people in dense regions many more false
//! matches. AS-norm measures each template's neighbourhood: the mean and
//! spread of its `top_k` smallest distances to a fixed cohort of other
//! faces. A comparison's distance is expressed in units of both templates'
//! neighbourhoods, so "close" means "closer than this face's strangers
//! usually are", whoever the face belongs to.
//!
//! The normalised statistic still falls as similarity rises, and is turned
//! into a Similarity Score by its own calibration (see [`crate::fusion`]).
//!
//! The cohort holds no one person's template: each entry is the mean of
//! three different people's mean descriptors (a person and the two people
//! nearest them), so the cohort keeps the local density without keeping
//! anyone's face.

use serde::{Deserialize, Serialize};

use crate::calibration::CalibrationError;
use crate::template::euclidean;

/// A cohort of impostor vectors and how many nearest ones describe a neighbourhood.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Cohort {
    /// Neighbours whose distances give a template's mean and spread.
    pub top_k: usize,
    pub vectors: Vec<Vec<f32>>,
}

/// A template's neighbourhood: mean and standard deviation of its `top_k`
/// smallest distances to the cohort.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CohortStats {
    pub mean: f32,
    pub std: f32,
}

impl Cohort {
    pub fn new(top_k: usize, vectors: Vec<Vec<f32>>) -> Result<Self, CalibrationError> {
        let c = Self { top_k, vectors };
        c.validate()?;
        Ok(c)
    }

    pub(crate) fn validate(&self) -> Result<(), CalibrationError> {
        let bad = |m: &str| Err(CalibrationError::Invalid(format!("cohort: {m}")));
        let Some(first) = self.vectors.first() else {
            return bad("no vectors");
        };
        if self.top_k < 2 || self.top_k > self.vectors.len() {
            return bad("top_k must be at least 2 and at most the cohort's size");
        }
        if first.is_empty() {
            return bad("empty vectors");
        }
        if self
            .vectors
            .iter()
            .any(|v| v.len() != first.len() || v.iter().any(|x| !x.is_finite()))
        {
            return bad("vectors differ in length or hold non-finite values");
        }
        Ok(())
    }

    /// Length of the vectors the cohort normalises.
    pub fn dims(&self) -> usize {
        self.vectors[0].len()
    }

    /// The neighbourhood of `v`. The spread is floored so that a template
    /// with `top_k` equidistant neighbours cannot divide by zero.
    pub fn stats(&self, v: &[f32]) -> CohortStats {
        self.stats_without(v, |_| false)
    }

    /// The neighbourhood of `v` among the entries for which `skip` is false.
    /// Calibration uses it to leave out the entries built from the very
    /// person being compared, who is unseen in service.
    pub fn stats_without(&self, v: &[f32], skip: impl Fn(usize) -> bool) -> CohortStats {
        let mut d: Vec<f32> = self
            .vectors
            .iter()
            .enumerate()
            .filter(|(i, _)| !skip(*i))
            .map(|(_, c)| euclidean(v, c))
            .collect();
        if d.is_empty() {
            return CohortStats {
                mean: 0.0,
                std: 1.0,
            };
        }
        let k = self.top_k.min(d.len());
        d.select_nth_unstable_by(k - 1, f32::total_cmp);
        let top = &d[..k];
        let mean = top.iter().sum::<f32>() / k as f32;
        let var = top.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / k as f32;
        CohortStats {
            mean,
            std: var.sqrt().max(1e-4),
        }
    }

    /// The normalised statistic of two templates `distance` apart: the
    /// average of the distance measured in each one's neighbourhood units.
    /// Smaller means more alike, as with the raw distance.
    pub fn normalise(distance: f32, a: CohortStats, b: CohortStats) -> f32 {
        0.5 * ((distance - a.mean) / a.std + (distance - b.mean) / b.std)
    }

    /// Builds a cohort from per-person mean descriptors of a labelled set:
    /// each entry blends a person with their two nearest other people, and
    /// every `stride`-th person (in the order given) contributes an entry.
    pub fn from_people(
        person_means: &[Vec<f32>],
        stride: usize,
        top_k: usize,
    ) -> Result<Self, CalibrationError> {
        Ok(Self::from_people_with_owners(person_means, stride, top_k)?.0)
    }

    /// As [`Cohort::from_people`], also giving the three people (indices
    /// into `person_means`) behind each entry.
    pub fn from_people_with_owners(
        person_means: &[Vec<f32>],
        stride: usize,
        top_k: usize,
    ) -> Result<(Self, Vec<[usize; 3]>), CalibrationError> {
        let n = person_means.len();
        if n < 3 {
            return Err(CalibrationError::TooFew { need: 3, got: n });
        }
        let mut owners = Vec::new();
        let vectors = (0..n)
            .step_by(stride.max(1))
            .map(|i| {
                let (mut a, mut b) = ((f32::INFINITY, i), (f32::INFINITY, i));
                for (j, m) in person_means.iter().enumerate() {
                    if j == i {
                        continue;
                    }
                    let d = euclidean(&person_means[i], m);
                    if d < a.0 {
                        b = a;
                        a = (d, j);
                    } else if d < b.0 {
                        b = (d, j);
                    }
                }
                owners.push([i, a.1, b.1]);
                let [p, q, r] = [&person_means[i], &person_means[a.1], &person_means[b.1]];
                (0..p.len()).map(|t| (p[t] + q[t] + r[t]) / 3.0).collect()
            })
            .collect();
        Ok((Self::new(top_k, vectors)?, owners))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Vec<Vec<f32>> {
        (0..40).map(|i| vec![i as f32, 0.0]).collect()
    }

    #[test]
    fn dense_neighbourhoods_shrink_the_unit() {
        let c = Cohort::new(3, grid()).unwrap();
        // Inside the cohort every neighbour is near; far outside, all are far.
        let inside = c.stats(&[10.0, 0.5]);
        let outside = c.stats(&[10.0, 30.0]);
        assert!(inside.mean < outside.mean);
        // The same distance is "more alike" between two outsiders than between
        // two faces in the dense region.
        let dense = Cohort::normalise(2.0, inside, inside);
        let sparse = Cohort::normalise(2.0, outside, outside);
        assert!(sparse < dense, "{sparse} vs {dense}");
        // Monotone in distance for fixed neighbourhoods.
        assert!(Cohort::normalise(1.0, inside, outside) < Cohort::normalise(1.5, inside, outside));
    }

    #[test]
    fn cohort_entries_blend_three_people() {
        let means: Vec<Vec<f32>> = vec![vec![0.0], vec![1.0], vec![3.0], vec![10.0]];
        let (c, owners) = Cohort::from_people_with_owners(&means, 1, 2).unwrap();
        assert_eq!(owners[3], [3, 2, 1]);
        // Leaving out the entries built from person 3 moves its neighbourhood.
        let all = c.stats(&means[3]);
        let unseen = c.stats_without(&means[3], |e| owners[e].contains(&3));
        assert!(unseen.mean > all.mean);
        assert_eq!(c.vectors.len(), 4);
        assert_eq!(c.vectors[0], vec![4.0 / 3.0]);
        assert_eq!(c.vectors[3], vec![14.0 / 3.0]);
        assert!(Cohort::from_people(&means[..2], 1, 2).is_err());
    }

    #[test]
    fn rejects_malformed_cohorts() {
        assert!(Cohort::new(2, vec![]).is_err());
        assert!(Cohort::new(5, grid()[..3].to_vec()).is_err());
        assert!(Cohort::new(2, vec![vec![1.0], vec![1.0, 2.0]]).is_err());
        assert!(Cohort::new(2, vec![vec![f32::NAN], vec![1.0]]).is_err());
    }
}
