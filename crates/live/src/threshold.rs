//! The threshold in force for a deployment. Never a free parameter: it is
//! the threshold the applicant asked to run at, raised to the Authorising
//! Officer's minimum if that is higher, and checked against the domain's
//! rule before any recognition starts.

use lfr_domain::Refusal;
use lfr_domain::deployment::Deployment;
use lfr_domain::policy;

/// The Similarity Score at and above which a match is an alert.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold(f64);

impl Threshold {
    /// The threshold for `d`: `max(requested, authorised minimum)`.
    /// Refused when the deployment has no authority.
    pub fn in_force(d: &Deployment) -> Result<Self, Refusal> {
        let a = policy::granted_authority(d)?;
        let t = d.threshold_in_force().unwrap_or(a.minimum_threshold);
        policy::threshold_not_below_authorised_minimum(t, a)?;
        Ok(Self(t))
    }

    /// A threshold for an offline evaluation that replays the pipeline
    /// outside any deployment (the walk-through). Never for live use.
    pub fn evaluation(value: f64) -> Self {
        Self(value)
    }

    pub fn value(self) -> f64 {
        self.0
    }

    pub fn reached_by(self, score: f64) -> bool {
        score >= self.0
    }
}
