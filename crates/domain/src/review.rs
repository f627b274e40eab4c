//! Reviews the Silver Commander records while a deployment runs.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::ids::UserId;

/// One review of a running deployment: is it still lawful, necessary,
/// proportionate and working, and how have engagements gone?
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub at: Timestamp,
    pub by: UserId,
    pub legality: String,
    pub necessity: String,
    pub proportionality: String,
    pub performance: String,
    pub engagements: String,
    /// The reviewer's decision: carry on, or not.
    pub continue_deployment: bool,
}
