//! Watchlists, the people on them and their reference images.
//!
//! No protected characteristic (ethnicity, religion, sex, sexual
//! orientation, disability, ...) has a field anywhere here, so none can be
//! stored; the import manifest refuses them by name.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::ids::{DeploymentId, ImageId, InclusionId, UserId, WatchlistId};

str_enum! {
    /// A standard watchlist, or a Blue Watchlist of consenting volunteers
    /// who walk through to measure the True Recognition Rate.
    pub enum WatchlistKind {
        Standard = "standard",
        Blue = "blue",
    }
}

str_enum! {
    /// The APP's categories of person who may be included on a watchlist.
    pub enum Category {
        WantedByCourts = "wanted_by_courts",
        SuspectedOfOffence = "suspected_of_offence",
        BailConditions = "bail_conditions",
        MissingPersonAtRisk = "missing_person_at_risk",
        RiskOfHarm = "risk_of_harm",
        Associate = "associate",
        Witness = "witness",
        Victim = "victim",
        /// A Blue Watchlist volunteer (only on Blue Watchlists).
        Volunteer = "volunteer",
    }
}

str_enum! {
    /// How well a reference image suits recognition, against the
    /// custody-photo ideal (frontal, neutral, evenly lit, 20-100 px between
    /// the eyes). Set by the engine's grading at import; the same three
    /// grades as `lfr quality`.
    pub enum QualityGrade {
        /// Meets the ideal.
        Good = "good",
        /// Usable, with the shortfalls recorded as reasons.
        Acceptable = "acceptable",
        /// Not fit to enrol: never stored.
        Poor = "poor",
    }
}

/// A biometric template, as made by the engine. The `algorithm` names the
/// detector, aligner, embedder and their versions: templates of different
/// algorithms never compare, and changing the algorithm means re-enrolling
/// from the original images.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    pub algorithm: String,
    pub vector: Vec<f32>,
}

impl Template {
    /// A self-describing byte form for encrypted storage:
    /// u32 LE algorithm length, algorithm UTF-8, then f32 LE values.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.algorithm.len() + 4 * self.vector.len());
        out.extend_from_slice(&(self.algorithm.len() as u32).to_le_bytes());
        out.extend_from_slice(self.algorithm.as_bytes());
        for v in &self.vector {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    pub fn from_bytes(b: &[u8]) -> Result<Self, String> {
        let bad = || "stored template is malformed".to_string();
        let n =
            u32::from_le_bytes(b.get(..4).ok_or_else(bad)?.try_into().map_err(|_| bad())?) as usize;
        let alg = b.get(4..4 + n).ok_or_else(bad)?;
        let rest = &b[4 + n..];
        if !rest.len().is_multiple_of(4) {
            return Err(bad());
        }
        Ok(Self {
            algorithm: String::from_utf8(alg.to_vec()).map_err(|_| bad())?,
            vector: rest
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        })
    }
}

/// A volunteer's recorded written consent for one image on a Blue Watchlist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// Reference of the signed consent form.
    pub form_reference: String,
    pub signed_on: String,
    /// Who witnessed or received the form.
    pub recorded_by: String,
}

/// An approval of a watchlist's exact contents for its deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    pub by: UserId,
    pub at: Timestamp,
    /// The watchlist revision approved; any later change needs a new review.
    pub revision: i64,
    pub note: String,
}

/// A watchlist compiled for one deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Watchlist {
    pub id: WatchlistId,
    pub deployment: DeploymentId,
    pub kind: WatchlistKind,
    pub name: String,
    /// Bumped by every change to its inclusions.
    pub revision: i64,
    pub approval: Option<Approval>,
    pub created_at: Timestamp,
    /// Set when retention deleted its personal and biometric data.
    pub purged_at: Option<Timestamp>,
}

impl Watchlist {
    /// Approved, and unchanged since.
    pub fn is_approved_as_is(&self) -> bool {
        self.approval
            .as_ref()
            .is_some_and(|a| a.revision == self.revision)
    }
}

/// The decision to include one person on one watchlist. The person's name
/// and images are personal data, stored encrypted beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inclusion {
    pub id: InclusionId,
    pub watchlist: WatchlistId,
    pub category: Category,
    pub justification: String,
    /// Where the decision and image came from (e.g. a warrant or a custody record reference).
    pub source: String,
    pub under_18: bool,
}

/// Metadata of one reference image (the bytes and template are encrypted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceImage {
    pub id: ImageId,
    pub inclusion: InclusionId,
    pub grade: QualityGrade,
    pub grade_reasons: Vec<String>,
    pub consent: Option<Consent>,
}

/// Size of a watchlist as the APP counts it: inclusions, so a person on two
/// watchlists counts twice.
pub fn watchlist_size(inclusions: &[Inclusion]) -> usize {
    inclusions.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_round_trips_and_rejects_garbage() {
        let t = Template {
            algorithm: "yunet+sim5+dlib-resnet-v1".into(),
            vector: vec![0.5, -1.25, 3.0],
        };
        assert_eq!(Template::from_bytes(&t.to_bytes()).unwrap(), t);
        assert!(Template::from_bytes(&[1, 2]).is_err());
        let mut b = t.to_bytes();
        b.pop();
        assert!(Template::from_bytes(&b).is_err());
    }
}
