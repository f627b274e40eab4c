//! A rule said no.

/// Why an action was refused: the rule's name (as in [`crate::policy`]) and
/// a message that tells the user what would make it allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("refused by rule `{rule}`: {message}")]
pub struct Refusal {
    pub rule: &'static str,
    pub message: String,
}

impl Refusal {
    pub fn new(rule: &'static str, message: impl Into<String>) -> Self {
        Self {
            rule,
            message: message.into(),
        }
    }
}

/// Result of asking a rule.
pub type Verdict = Result<(), Refusal>;
