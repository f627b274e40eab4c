//! How long data may be kept, and what keeps it longer.
//!
//! The APP and the forces' published policies: biometric data of people who
//! cause no alert is deleted immediately and automatically (in lfr it never
//! reaches storage); alert data within 24 hours; watchlist data within 24
//! hours of the deployment ending; CCTV footage within 31 days unless kept
//! for a recorded legal reason.

use serde::{Deserialize, Serialize};

use crate::ids::{AlertId, DeploymentId, FootageId, HoldId, UserId};
use crate::{SignedDuration, Timestamp};

/// Retention periods. The defaults are the APP's; a force may only shorten them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionPolicy {
    pub alert_personal_data: SignedDuration,
    pub watchlist_after_end: SignedDuration,
    pub footage: SignedDuration,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self {
            alert_personal_data: SignedDuration::from_hours(24),
            watchlist_after_end: SignedDuration::from_hours(24),
            footage: SignedDuration::from_hours(24 * 31),
        }
    }
}

str_enum! {
    /// Recorded legal reasons for keeping data past its deletion time.
    pub enum HoldReason {
        /// Data Protection Act 2018 (e.g. a subject access request in progress).
        Dpa2018 = "dpa_2018",
        /// Management of Police Information.
        Mopi = "mopi",
        /// Criminal Procedure and Investigations Act 1996 (disclosure).
        Cpia = "cpia",
        Complaint = "complaint",
        ConductInvestigation = "conduct_investigation",
    }
}

/// What a hold keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum HoldTarget {
    Alert(AlertId),
    Footage(FootageId),
    /// Everything of a deployment: its alerts, footage and watchlist data.
    Deployment(DeploymentId),
}

impl std::fmt::Display for HoldTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HoldTarget::Alert(a) => write!(f, "A{a}"),
            HoldTarget::Footage(x) => write!(f, "F{x}"),
            HoldTarget::Deployment(d) => write!(f, "D{d}"),
        }
    }
}

impl std::str::FromStr for HoldTarget {
    type Err = String;
    /// `A17`, `F3` or `D2`.
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let err = || {
            format!(
                "`{s}` is not a hold target; use A<alert id>, F<footage id> or D<deployment id>"
            )
        };
        let (p, n) = t.split_at(t.find(|c: char| c.is_ascii_digit()).ok_or_else(err)?);
        let n: i64 = n.parse().map_err(|_| err())?;
        match p.to_ascii_uppercase().as_str() {
            "A" => Ok(HoldTarget::Alert(AlertId(n))),
            "F" => Ok(HoldTarget::Footage(FootageId(n))),
            "D" => Ok(HoldTarget::Deployment(DeploymentId(n))),
            _ => Err(err()),
        }
    }
}

/// A legal hold with its recorded reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LegalHold {
    pub id: HoldId,
    pub target: HoldTarget,
    pub reason: HoldReason,
    /// The case, complaint or request reference and why the data is needed.
    pub note: String,
    pub placed_by: UserId,
    pub placed_at: Timestamp,
    pub released_at: Option<Timestamp>,
}

impl LegalHold {
    pub fn is_active(&self) -> bool {
        self.released_at.is_none()
    }
}

/// What one retention run deleted. Statistics survive; personal data does not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurgeSummary {
    pub alerts_purged: u64,
    pub watchlists_purged: u64,
    pub images_deleted: u64,
    pub footage_deleted: u64,
    pub keys_shredded: u64,
    /// Items past their time but kept by a legal hold.
    pub held: u64,
    /// Footage past its time that could not be deleted (each named in the
    /// run's audit entry); the run carries on, and the next one tries again.
    #[serde(default)]
    pub footage_failed: Vec<String>,
}
