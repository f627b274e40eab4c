//! What the audit log records about every action.

use serde::{Deserialize, Serialize};

use crate::Timestamp;

str_enum! {
    /// Whether the action happened.
    pub enum Outcome {
        Allowed = "allowed",
        Refused = "refused",
    }
}

/// One action: who, what, when, on what, and whether it was allowed.
/// `detail` never holds subject personal data (names, images): the audit
/// log outlives retention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub at: Timestamp,
    /// Username, or `system` for automatic actions such as retention.
    pub actor: String,
    /// Dotted action name, e.g. `deployment.suspend`.
    pub action: String,
    /// What it acted on, e.g. `D3`, `A17`, `U2`.
    pub target: String,
    pub outcome: Outcome,
    pub detail: String,
}
