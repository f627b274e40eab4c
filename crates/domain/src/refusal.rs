//! A rule said no.

use crate::rule::Rule;

/// Why an action was refused: the rule (from the one catalogue, [`Rule`])
/// and a message that tells the user what would make it allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("refused by rule `{rule}`: {message}")]
pub struct Refusal {
    pub rule: Rule,
    pub message: String,
}

impl Refusal {
    pub fn new(rule: Rule, message: impl Into<String>) -> Self {
        Self {
            rule,
            message: message.into(),
        }
    }
}

/// Result of asking a rule.
pub type Verdict = Result<(), Refusal>;
