//! Alerts and what people decide about them.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::ids::{AlertId, DeploymentId, ImageId, InclusionId, UserId};

str_enum! {
    /// The operator's adjudication of an alert (probe beside candidate).
    pub enum Adjudication {
        /// The operator judges the probe is not the candidate: nobody is approached.
        FalseAlertNoEngagement = "false_alert_no_engagement",
        /// The operator judges it may be the candidate and passes it to an engagement officer.
        PassedForEngagement = "passed_for_engagement",
        /// The same person as an earlier alert for the same subject that has
        /// been dealt with ([`Alert::repeat_of`]): nobody is approached again,
        /// and in the figures the alert counts as that one does, so a person
        /// passing twice neither becomes a false alert nor is engaged twice.
        Repeat = "repeat",
    }
}

str_enum! {
    /// What engaging the person showed.
    pub enum EngagementOutcome {
        /// The person engaged is the person on the watchlist.
        ConfirmedTrue = "confirmed_true",
        /// The person engaged is not the person on the watchlist.
        ConfirmedFalse = "confirmed_false",
        /// Identity could not be established (e.g. the person was not located).
        Unconfirmed = "unconfirmed",
    }
}

str_enum! {
    /// What policing action followed a confirmed alert.
    pub enum PolicingOutcome {
        Arrest = "arrest",
        VoluntaryAttendance = "voluntary_attendance",
        StreetBail = "street_bail",
        Safeguarding = "safeguarding",
        NoFurtherAction = "no_further_action",
    }
}

/// An alert: a face in the Zone of Recognition scored at or above the
/// threshold against a watchlist image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub id: AlertId,
    pub deployment: DeploymentId,
    pub inclusion: InclusionId,
    pub candidate_image: ImageId,
    pub camera: String,
    pub at: Timestamp,
    /// Similarity Score, in [0, 1].
    pub score: f64,
    /// The threshold in force when the alert was raised.
    pub threshold: f64,
    /// From the first qualifying frame of the track to the alert.
    pub recognition_ms: u32,
    /// Set when the operator decides.
    pub adjudication: Option<Decision<Adjudication>>,
    pub engagement: Option<Decision<EngagementOutcome>>,
    pub policing_outcome: Option<Decision<PolicingOutcome>>,
    /// For an alert adjudicated as a [`Adjudication::Repeat`]: the earlier
    /// alert it repeats.
    #[serde(default)]
    pub repeat_of: Option<AlertId>,
    /// Set when retention deleted the probe image and other personal data.
    pub purged_at: Option<Timestamp>,
    /// The recognition session and algorithm that made the alert (none for
    /// alerts recorded before sessions were).
    #[serde(default)]
    pub source: Option<AlertSource>,
    /// Other cameras that saw the person during the same encounter
    /// ([`crate::policy::same_encounter`]), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sightings: Vec<Sighting>,
}

/// The alert's subject seen again, by another camera, while the alert was
/// fresh: the same encounter, recorded on the alert instead of raising a
/// second one. No probe image is kept for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sighting {
    pub camera: String,
    pub at: Timestamp,
    pub score: f64,
}

/// Which pipeline run made an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertSource {
    pub session: i64,
    pub algorithm: String,
}

/// A recorded human decision: what, who, when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision<T> {
    pub value: T,
    pub by: UserId,
    pub at: Timestamp,
    pub note: String,
}

str_enum! {
    /// How an alert counts in the figures.
    pub enum AlertClass {
        /// Not yet adjudicated.
        Pending = "pending",
        /// Passed for engagement, outcome not yet recorded.
        AwaitingEngagement = "awaiting_engagement",
        TrueConfirmed = "true_confirmed",
        /// Judged a true alert by the operator but not confirmed by engagement.
        TrueUnconfirmed = "true_unconfirmed",
        FalseConfirmed = "false_confirmed",
        /// Judged false by the operator without engagement.
        FalseUnconfirmed = "false_unconfirmed",
        /// A repeat of an earlier alert that was dealt with: it counts as that one.
        Repeat = "repeat",
    }
}

impl AlertClass {
    /// Whether the alert has been dealt with for good: judged false, or
    /// engaged and found. A later alert for the same subject may repeat it.
    pub fn is_dealt_with(self) -> bool {
        matches!(
            self,
            AlertClass::FalseUnconfirmed
                | AlertClass::FalseConfirmed
                | AlertClass::TrueConfirmed
                | AlertClass::TrueUnconfirmed
        )
    }
}

impl Alert {
    /// Classifies the alert following the APP's terms: a *true alert* is one
    /// the operator judges to be the candidate; *confirmed* means confirmed
    /// by engagement.
    pub fn class(&self) -> AlertClass {
        match (&self.adjudication, &self.engagement) {
            (None, _) => AlertClass::Pending,
            (Some(a), _) if a.value == Adjudication::FalseAlertNoEngagement => {
                AlertClass::FalseUnconfirmed
            }
            (Some(a), _) if a.value == Adjudication::Repeat => AlertClass::Repeat,
            (Some(_), None) => AlertClass::AwaitingEngagement,
            (Some(_), Some(e)) => match e.value {
                EngagementOutcome::ConfirmedTrue => AlertClass::TrueConfirmed,
                EngagementOutcome::ConfirmedFalse => AlertClass::FalseConfirmed,
                EngagementOutcome::Unconfirmed => AlertClass::TrueUnconfirmed,
            },
        }
    }
}
