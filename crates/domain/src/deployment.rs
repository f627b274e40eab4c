//! A deployment: one authorised, time- and place-bounded use of LFR, from
//! application to the deployment record handed back to the AO.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::authority::Authority;
use crate::ids::{DeploymentId, UserId};

str_enum! {
    /// Why LFR is being used.
    pub enum UseCase {
        /// Intelligence-led, to locate people wanted or at risk in an area.
        Proactive = "proactive",
        /// A planned event such as a match, concert or festival.
        Event = "event",
        /// In response to an incident (e.g. a missing person at risk).
        Incident = "incident",
    }
}

str_enum! {
    /// How cameras are put in place.
    pub enum DeploymentStyle {
        Van = "van",
        Wired = "wired",
    }
}

impl UseCase {
    /// What the public is told the deployment was for, in plain words.
    pub fn public_words(self) -> &'static str {
        match self {
            UseCase::Proactive => {
                "to find people wanted by the police or courts, or at risk, in the area"
            }
            UseCase::Event => "at a planned event",
            UseCase::Incident => "in response to an incident, such as a missing person at risk",
        }
    }
}

impl DeploymentStyle {
    /// How the cameras were put in place, in plain words.
    pub fn public_words(self) -> &'static str {
        match self {
            DeploymentStyle::Van => "on a marked police van",
            DeploymentStyle::Wired => "fixed in place",
        }
    }
}

str_enum! {
    /// Assessments attached to an application.
    pub enum AssessmentKind {
        /// Community Impact Assessment.
        Cia = "cia",
        /// Equality Impact Assessment.
        Eia = "eia",
        /// Data Protection Impact Assessment.
        Dpia = "dpia",
        /// Surveillance camera self-assessment.
        CameraSelfAssessment = "camera_self_assessment",
    }
}

/// An attached assessment document (kept whole; identified by its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub kind: AssessmentKind,
    pub file_name: String,
    pub sha256: String,
}

/// What the applying officer asks for and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Application {
    pub location: String,
    pub use_case: UseCase,
    pub style: DeploymentStyle,
    /// Cameras (or vans) to be deployed.
    pub assets: u32,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub legitimate_aim: String,
    pub legal_basis: String,
    pub necessity: String,
    pub proportionality: String,
    pub safeguards: String,
    pub alternatives_considered: String,
    pub watchlist_composition: String,
    pub resources: String,
    /// The Similarity Score threshold the applicant asks to run at.
    pub threshold_requested: f64,
    /// Why, when the threshold asked for is below the default 0.64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_reason: Option<String>,
    /// Planned interval between the Silver Commander's reviews.
    pub review_interval_minutes: u32,
}

str_enum! {
    /// Where a deployment is in its life.
    pub enum DeploymentState {
        Applied = "applied",
        Authorised = "authorised",
        Active = "active",
        Suspended = "suspended",
        /// Ended early by the Silver Commander.
        Terminated = "terminated",
        /// Ended as planned.
        Concluded = "concluded",
    }
}

impl DeploymentState {
    pub fn is_ended(self) -> bool {
        matches!(
            self,
            DeploymentState::Terminated | DeploymentState::Concluded
        )
    }
}

/// The recognition model a deployment uses, and the template algorithm it
/// makes: its watchlists hold templates of that algorithm only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecognitionModel {
    /// `dlib-resnet-v1` (built in) or an installed package's id.
    pub model: String,
    pub algorithm: String,
    /// SHA-256 of the score calibration the model scores with: a threshold
    /// means a false match rate only under the calibration it was set
    /// against, so the pipeline must run with this one. `None` for
    /// deployments recorded before calibrations were pinned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<String>,
}

impl RecognitionModel {
    pub const BUILTIN_MODEL: &str = "dlib-resnet-v1";
    pub const BUILTIN_ALGORITHM: &str = "yunet-n-dynamic/align-yunet5-v1/dlib-resnet-v1";
}

impl Default for RecognitionModel {
    /// The built-in CC0 dlib descriptor.
    fn default() -> Self {
        Self {
            model: Self::BUILTIN_MODEL.into(),
            algorithm: Self::BUILTIN_ALGORITHM.into(),
            calibration: None,
        }
    }
}

/// A deployment and everything the lifecycle rules need to know about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    pub id: DeploymentId,
    pub application: Application,
    pub applied_by: UserId,
    pub applied_at: Timestamp,
    pub state: DeploymentState,
    pub authority: Option<Authority>,
    /// First time recognition started.
    pub started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub last_review_at: Option<Timestamp>,
    pub record_submitted_at: Option<Timestamp>,
    #[serde(default)]
    pub recognition: RecognitionModel,
}

/// The states a deployment can still be ended from.
const NOT_ENDED: &[DeploymentState] = &[
    DeploymentState::Applied,
    DeploymentState::Authorised,
    DeploymentState::Active,
    DeploymentState::Suspended,
];

impl Deployment {
    /// The Similarity Score at and above which a match is an alert: the
    /// threshold the applicant asked for, raised to the AO's minimum if that
    /// is higher. `None` until the deployment has authority.
    pub fn threshold_in_force(&self) -> Option<f64> {
        self.authority.as_ref().map(|a| {
            self.application
                .threshold_requested
                .max(a.minimum_threshold)
        })
    }

    /// When the deployment ended for the purposes of retention: when it was
    /// concluded or terminated, or when its authority ran out if nobody
    /// closed it (started or not: an expired authority cannot start), or,
    /// for an application nobody authorised, when it was planned to end.
    pub fn effective_end(&self, now: Timestamp) -> Option<Timestamp> {
        if let Some(e) = self.ended_at {
            return Some(e);
        }
        match &self.authority {
            Some(a) if a.cancelled_at.is_some() => a.cancelled_at,
            Some(a) if now >= a.valid_until => Some(a.valid_until),
            None if now >= self.application.ends_at => Some(self.application.ends_at),
            _ => None,
        }
    }

    /// Changes state, or says which states would allow the change.
    pub(crate) fn transition(
        &mut self,
        from: &[DeploymentState],
        to: DeploymentState,
        verb: &str,
    ) -> Result<(), crate::Refusal> {
        if from.contains(&self.state) {
            self.state = to;
            Ok(())
        } else {
            let allowed: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
            Err(crate::Refusal::new(
                crate::Rule::DeploymentLifecycle,
                format!(
                    "deployment D{} is {}; it can be {verb} only when {}",
                    self.id,
                    self.state,
                    allowed.join(" or ")
                ),
            ))
        }
    }
}

/// The lifecycle. Each step checks the rules in [`crate::policy`] and then
/// changes state; storage persists the result and audits it.
impl Deployment {
    /// An AO grants authority (written, or urgent verbal with a deadline).
    pub fn authorise(
        &mut self,
        ao: &crate::role::User,
        authority: Authority,
    ) -> Result<(), crate::Refusal> {
        use crate::policy::*;
        authorising_officer_is_superintendent_or_above(ao)?;
        authorising_officer_is_trained(ao)?;
        authorising_officer_is_not_the_applicant(ao, self)?;
        authority_at_most_seven_days(authority.valid_from, authority.valid_until)?;
        minimum_threshold_not_below_system_floor(authority.minimum_threshold)?;
        threshold_below_default_has_reason(
            authority.minimum_threshold,
            authority.minimum_threshold_reason.as_deref(),
        )?;
        if let crate::authority::AuthorityForm::UrgentVerbal { confirm_by, .. } = &authority.form {
            verbal_confirmation_deadline_is_reasonable(authority.granted_at, *confirm_by)?;
        }
        authority_has_rationale(&authority.rationale)?;
        self.transition(
            &[DeploymentState::Applied],
            DeploymentState::Authorised,
            "authorised",
        )?;
        self.authority = Some(authority);
        Ok(())
    }

    /// The AO confirms urgent verbal authority in writing.
    pub fn confirm_verbal(
        &mut self,
        ao: &crate::role::User,
        now: Timestamp,
    ) -> Result<(), crate::Refusal> {
        crate::policy::authorising_officer_is_superintendent_or_above(ao)?;
        let a = self.authority.as_mut().ok_or_else(|| {
            crate::Refusal::new(
                crate::Rule::VerbalAuthorityConfirmedInTime,
                format!("D{} has no authority to confirm", self.id),
            )
        })?;
        match &mut a.form {
            crate::authority::AuthorityForm::UrgentVerbal {
                confirmed_at: Some(_),
                ..
            } => Err(crate::Refusal::new(
                crate::Rule::VerbalAuthorityConfirmedInTime,
                "this verbal authority has already been confirmed",
            )),
            crate::authority::AuthorityForm::UrgentVerbal {
                confirm_by,
                confirmed_at,
            } => {
                if now > *confirm_by {
                    return Err(crate::Refusal::new(
                        crate::Rule::VerbalAuthorityConfirmedInTime,
                        format!(
                            "the deadline {confirm_by} has passed; the series stays blocked: grant new written authority for a new deployment"
                        ),
                    ));
                }
                *confirmed_at = Some(now);
                Ok(())
            }
            crate::authority::AuthorityForm::Written => Err(crate::Refusal::new(
                crate::Rule::VerbalAuthorityConfirmedInTime,
                "this authority is already written",
            )),
        }
    }

    /// The Silver Commander starts recognition (first time) or resumes it.
    /// `watchlists` are those bound to this deployment.
    pub fn start(
        &mut self,
        now: Timestamp,
        watchlists: &[crate::watchlist::Watchlist],
    ) -> Result<(), crate::Refusal> {
        let from = [DeploymentState::Authorised, DeploymentState::Suspended];
        if !from.contains(&self.state) {
            return self.transition(&from, DeploymentState::Active, "started");
        }
        crate::policy::watchlists_reviewed_before_deployment(watchlists)?;
        let previous = self.state;
        self.state = DeploymentState::Active;
        if let Err(r) = crate::policy::recognition_requires_active_authorisation(self, now) {
            self.state = previous;
            return Err(r);
        }
        self.started_at.get_or_insert(now);
        Ok(())
    }

    /// Changes the recognition model; the caller re-enrols every watchlist
    /// from its reference images in the same transaction.
    pub fn set_recognition(&mut self, to: RecognitionModel) -> Result<(), crate::Refusal> {
        crate::policy::algorithm_changes_only_while_not_running(self)?;
        self.recognition = to;
        Ok(())
    }

    pub fn suspend(&mut self, by: &crate::role::User) -> Result<(), crate::Refusal> {
        crate::policy::only_silver_commander_or_above_suspends_or_terminates(by)?;
        self.transition(
            &[DeploymentState::Active],
            DeploymentState::Suspended,
            "suspended",
        )
    }

    /// Ends the deployment early.
    pub fn terminate(
        &mut self,
        by: &crate::role::User,
        now: Timestamp,
    ) -> Result<(), crate::Refusal> {
        crate::policy::only_silver_commander_or_above_suspends_or_terminates(by)?;
        self.end(NOT_ENDED, DeploymentState::Terminated, "terminated", now)
    }

    /// Ends the deployment as planned.
    pub fn conclude(&mut self, now: Timestamp) -> Result<(), crate::Refusal> {
        self.end(
            &[DeploymentState::Active, DeploymentState::Suspended],
            DeploymentState::Concluded,
            "concluded",
            now,
        )
    }

    /// The AO withdraws authority before the deployment has ended, giving
    /// the reason: the authority is cancelled and the deployment ends at
    /// once (terminated), so no camera may recognise under it again.
    pub fn withdraw_authority(
        &mut self,
        ao: &crate::role::User,
        reason: &str,
        now: Timestamp,
    ) -> Result<(), crate::Refusal> {
        crate::policy::authorising_officer_is_superintendent_or_above(ao)?;
        crate::policy::withdrawal_has_reason(reason)?;
        self.authority_may_be_cancelled()?;
        self.end(NOT_ENDED, DeploymentState::Terminated, "terminated", now)?;
        self.cancel_at(now);
        Ok(())
    }

    /// The AO cancels the authority once the deployment is over.
    pub fn cancel_authority(
        &mut self,
        ao: &crate::role::User,
        now: Timestamp,
    ) -> Result<(), crate::Refusal> {
        crate::policy::authorising_officer_is_superintendent_or_above(ao)?;
        if !self.state.is_ended() {
            return Err(crate::Refusal::new(
                crate::Rule::DeploymentLifecycle,
                format!(
                    "D{} is {}; to end it now, withdraw its authority with a reason (`lfr deployment withdraw D{} --reason TEXT`)",
                    self.id, self.state, self.id
                ),
            ));
        }
        self.authority_may_be_cancelled()?;
        self.cancel_at(now);
        Ok(())
    }

    fn authority_may_be_cancelled(&self) -> Result<(), crate::Refusal> {
        match &self.authority {
            Some(a) if a.cancelled_at.is_none() => Ok(()),
            Some(_) => Err(crate::Refusal::new(
                crate::Rule::DeploymentLifecycle,
                "the authority is already cancelled",
            )),
            None => Err(crate::Refusal::new(
                crate::Rule::DeploymentLifecycle,
                "the deployment was never authorised",
            )),
        }
    }

    fn cancel_at(&mut self, now: Timestamp) {
        if let Some(a) = self.authority.as_mut() {
            a.cancelled_at = Some(now);
        }
    }

    /// Moves from one of `from` to the ended state `to`, ending now.
    fn end(
        &mut self,
        from: &[DeploymentState],
        to: DeploymentState,
        word: &str,
        now: Timestamp,
    ) -> Result<(), crate::Refusal> {
        self.transition(from, to, word)?;
        self.ended_at = Some(now);
        Ok(())
    }

    /// The Silver Commander's reviews are of a deployment while it runs.
    pub fn review_may_be_recorded(&self) -> Result<(), crate::Refusal> {
        if matches!(
            self.state,
            DeploymentState::Active | DeploymentState::Suspended
        ) {
            Ok(())
        } else {
            Err(crate::Rule::DeploymentLifecycle.refuse(format!(
                "D{} is {}; reviews are recorded while it runs",
                self.id, self.state
            )))
        }
    }

    /// The deployment record goes to the AO (due within 31 days of the end).
    pub fn submit_record(&mut self, now: Timestamp) -> Result<(), crate::Refusal> {
        if !self.state.is_ended() {
            return Err(crate::Refusal::new(
                crate::Rule::DeploymentLifecycle,
                format!(
                    "D{} is {}; the record is submitted after it ends",
                    self.id, self.state
                ),
            ));
        }
        if self.record_submitted_at.is_some() {
            return Err(crate::Refusal::new(
                crate::Rule::DeploymentLifecycle,
                "the deployment record was already submitted",
            ));
        }
        self.record_submitted_at = Some(now);
        Ok(())
    }

    /// Things owed on this deployment at `now`: late reviews, an unconfirmed
    /// verbal authority, an uncancelled authority, a record due or overdue.
    pub fn outstanding(&self, now: Timestamp) -> Vec<Outstanding> {
        let mut out = Vec::new();
        if let Some(due) = crate::policy::next_review_due(self)
            && now > due
        {
            out.push(Outstanding {
                what: "review".into(),
                due,
                overdue: true,
            });
        }
        if let Some(a) = &self.authority {
            if let crate::authority::AuthorityForm::UrgentVerbal {
                confirm_by,
                confirmed_at: None,
            } = a.form
            {
                out.push(Outstanding {
                    what: "written confirmation of verbal authority".into(),
                    due: confirm_by,
                    overdue: now > confirm_by,
                });
            }
            if let Some(end) = self.ended_at
                && a.cancelled_at.is_none()
            {
                let due = end
                    .checked_add(crate::policy::AUTHORITY_CANCELLATION_DUE)
                    .expect("time in range");
                out.push(Outstanding {
                    what: "cancellation of authority".into(),
                    due,
                    overdue: now > due,
                });
            }
        }
        if let Some(end) = self.ended_at
            && self.record_submitted_at.is_none()
        {
            let due = crate::policy::deployment_record_deadline(end);
            out.push(Outstanding {
                what: "deployment record to the AO".into(),
                due,
                overdue: now > due,
            });
        }
        out
    }
}

/// Something owed on a deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outstanding {
    pub what: String,
    pub due: Timestamp,
    pub overdue: bool,
}
