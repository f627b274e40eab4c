//! The authority under which a deployment runs.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::ids::UserId;

/// How authority was given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AuthorityForm {
    /// A Written Authority Document, with the AO's rationale.
    Written,
    /// Urgent oral authority, which must be confirmed in writing by `confirm_by`.
    UrgentVerbal {
        confirm_by: Timestamp,
        confirmed_at: Option<Timestamp>,
    },
}

/// The Authorising Officer's grant for one deployment (a series of sessions
/// between `valid_from` and `valid_until`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Authority {
    pub granted_by: UserId,
    pub granted_at: Timestamp,
    pub form: AuthorityForm,
    /// Why the AO judged the use lawful, necessary and proportionate.
    pub rationale: String,
    pub valid_from: Timestamp,
    pub valid_until: Timestamp,
    /// No alert may be raised below this Similarity Score.
    pub minimum_threshold: f64,
    /// The AO's reason, when the minimum is below the default 0.64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_threshold_reason: Option<String>,
    pub cancelled_at: Option<Timestamp>,
}

impl Authority {
    /// True while an urgent verbal authority is past its deadline unconfirmed.
    pub fn verbal_confirmation_overdue(&self, now: Timestamp) -> bool {
        match &self.form {
            AuthorityForm::Written => false,
            AuthorityForm::UrgentVerbal {
                confirm_by,
                confirmed_at,
            } => match confirmed_at {
                Some(at) => at > confirm_by,
                None => now > *confirm_by,
            },
        }
    }

    pub fn in_force(&self, now: Timestamp) -> bool {
        self.cancelled_at.is_none() && now >= self.valid_from && now < self.valid_until
    }
}
