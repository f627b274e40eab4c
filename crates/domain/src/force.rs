//! What the force states to the public about its use of LFR: its name, the
//! legal basis it relies on, how to contact it, and where its policy is
//! published. Set once for the force by an administrator, and public by
//! design: printed on the public page and in every published report, so a
//! report says on what basis the force acted and whom to ask.

use serde::{Deserialize, Serialize};

/// The force's public statement about LFR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForceNotice {
    /// The force's name ("Example Constabulary").
    pub force: String,
    /// The law the force relies on, in plain words.
    pub legal_basis: String,
    /// How the public can ask about or complain about LFR: a role mailbox,
    /// a web form or a telephone number, never a person's own address.
    pub contact: String,
    /// Where the force publishes its LFR policy and impact assessments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

/// Longest accepted field: a statement, not a document.
pub const MAX_FIELD: usize = 2000;
