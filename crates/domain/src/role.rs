//! People and what they may do.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::ids::UserId;

str_enum! {
    /// The roles of an LFR deployment team and its oversight.
    pub enum Role {
        /// Manages user accounts and system settings; takes no operational decisions.
        Administrator = "administrator",
        /// Superintendent or above, trained in LFR: grants, confirms and cancels authority; approves watchlists.
        AuthorisingOfficer = "authorising_officer",
        /// Strategic command: may do anything the Silver Commander may.
        GoldCommander = "gold_commander",
        /// Tactical command of a deployment: applies, starts, suspends, resumes, terminates, reviews.
        SilverCommander = "silver_commander",
        /// Watches the alert queue and adjudicates alerts.
        Operator = "operator",
        /// Engages the person alerted on and records the outcome.
        EngagementOfficer = "engagement_officer",
        /// Keeps the system running: cameras, retention runs, counts.
        SystemEngineer = "system_engineer",
        /// Independent oversight: reads the audit log and full reports.
        Auditor = "auditor",
    }
}

str_enum! {
    /// Police ranks of England and Wales, lowest first, with the
    /// Metropolitan Police and City of London equivalents at chief officer level.
    pub enum Rank {
        Constable = "constable",
        Sergeant = "sergeant",
        Inspector = "inspector",
        ChiefInspector = "chief_inspector",
        Superintendent = "superintendent",
        ChiefSuperintendent = "chief_superintendent",
        Commander = "commander",
        AssistantChiefConstable = "assistant_chief_constable",
        DeputyAssistantCommissioner = "deputy_assistant_commissioner",
        DeputyChiefConstable = "deputy_chief_constable",
        AssistantCommissioner = "assistant_commissioner",
        ChiefConstable = "chief_constable",
        Commissioner = "commissioner",
        /// Police staff hold no rank.
        Staff = "staff",
    }
}

impl Rank {
    /// Superintendent or above: the APP's floor for an Authorising Officer.
    pub fn is_superintendent_or_above(self) -> bool {
        self != Rank::Staff && self >= Rank::Superintendent
    }
}

/// A record of LFR training, required before someone may authorise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Training {
    pub course: String,
    pub completed_on: Timestamp,
}

/// A person who uses the system. Officers' names are not subject data;
/// they are stored in the clear so that the audit log can be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    /// Login name, e.g. a collar or staff number.
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub rank: Rank,
    pub training: Option<Training>,
    pub active: bool,
}

impl User {
    pub fn has(&self, role: Role) -> bool {
        self.active && self.roles.contains(&role)
    }

    pub fn has_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.has(*r))
    }
}
