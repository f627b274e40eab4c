//! The rules of the APP that lfr enforces, one function per rule, each named
//! after the rule it enforces. Every other module asks these; none repeats them.
//!
//! A rule returns `Ok(())` or a [`Refusal`] naming the rule and saying what
//! would make the action allowed.

use crate::alert::{Adjudication, Alert};
use crate::authority::{Authority, AuthorityForm};
use crate::calibration::{CalibrationCheck, ModelUse};
use crate::deployment::{Deployment, DeploymentState};
use crate::ids::{DeploymentId, ImageId, InclusionId, WatchlistId};
use crate::refusal::{Refusal, Verdict};
use crate::retention::RetentionPolicy;
use crate::role::{Rank, Role, User};
use crate::rule::Rule;
use crate::watchlist::{Category, Consent, QualityGrade, Watchlist, WatchlistKind};
use crate::{SignedDuration, Timestamp};

/// The minimum threshold when the AO sets none. With the engine's
/// calibration (a score `s` means two different people reach `s` or more
/// with probability 10^(-10 s)), 0.64 is a false match rate of about 4e-7
/// per comparison.
pub const DEFAULT_MINIMUM_THRESHOLD: f64 = 0.64;

/// No AO may authorise below this: at 0.5 a single comparison already
/// falsely matches one time in 100,000, so a watchlist of 1,000 would raise
/// a false alert for about one face in a hundred.
pub const SYSTEM_FLOOR: f64 = 0.5;

/// The longest one authority may cover.
pub const MAX_AUTHORITY: SignedDuration = SignedDuration::from_hours(7 * 24);

/// The deployment record is due to the AO within this time of the end.
pub const DEPLOYMENT_RECORD_DUE: SignedDuration = SignedDuration::from_hours(31 * 24);

/// The AO cancels the authority promptly once the deployment ends: listed
/// as overdue after this long.
pub const AUTHORITY_CANCELLATION_DUE: SignedDuration = SignedDuration::from_hours(24);

/// A sign-in token works this long after it is issued; then an
/// administrator issues a new one (`lfr user token`), so a token copied
/// long ago, or held by someone who has moved on, stops working by itself.
pub const TOKEN_LIFETIME: SignedDuration = SignedDuration::from_hours(90 * 24);

/// Longest deadline the AO may set for confirming urgent verbal authority.
pub const MAX_VERBAL_CONFIRMATION: SignedDuration = SignedDuration::from_hours(72);

/// How long after an alert was raised, or its subject last seen, another
/// camera of the deployment seeing the same subject is the same encounter.
/// A person walking through overlapping views of two cameras (on one node
/// or two) is one alert for the operator, not two; longer apart, a second
/// pass through the zone is a new alert (which the operator may mark as a
/// repeat).
pub const SAME_ENCOUNTER: SignedDuration = SignedDuration::from_secs(10);

/// Whether `camera` seeing `alert`'s subject at `now` is the alert's own
/// encounter: another camera than the one that raised it (one camera's
/// tracker already alerts once per track), within [`SAME_ENCOUNTER`] of
/// when the subject was last seen, and not an alert the operator judged a
/// false match (whoever the other camera sees may be the real subject).
pub fn same_encounter(alert: &Alert, last_seen: Timestamp, camera: &str, now: Timestamp) -> bool {
    let judged_false = alert
        .adjudication
        .as_ref()
        .is_some_and(|d| d.value == Adjudication::FalseAlertNoEngagement);
    alert.camera != camera && !judged_false && now.duration_since(last_seen) <= SAME_ENCOUNTER
}

str_enum! {
    /// Everything a user can ask the system to do, for the role table.
    pub enum Action {
        ManageUsers = "manage_users",
        ApplyForDeployment = "apply_for_deployment",
        Authorise = "authorise",
        ConfirmVerbalAuthority = "confirm_verbal_authority",
        CancelAuthority = "cancel_authority",
        StartRecognition = "start_recognition",
        Suspend = "suspend",
        Resume = "resume",
        Terminate = "terminate",
        Conclude = "conclude",
        RecordReview = "record_review",
        SubmitDeploymentRecord = "submit_deployment_record",
        CompileWatchlist = "compile_watchlist",
        ApproveWatchlist = "approve_watchlist",
        RaiseAlert = "raise_alert",
        ViewAlerts = "view_alerts",
        Adjudicate = "adjudicate",
        RecordEngagement = "record_engagement",
        RecordCounts = "record_counts",
        MarkBluePass = "mark_blue_pass",
        ReadBluePasses = "read_blue_passes",
        PlaceLegalHold = "place_legal_hold",
        RunRetention = "run_retention",
        ReadAudit = "read_audit",
        ReadFullReport = "read_full_report",
        ReadDeployments = "read_deployments",
        PublishReport = "publish_report",
        ChangeAlgorithm = "change_algorithm",
        ReadMetrics = "read_metrics",
        ManageCameras = "manage_cameras",
        RunCameras = "run_cameras",
        ManageTeam = "manage_team",
        ViewLive = "view_live",
        SetForceNotice = "set_force_notice",
        ManageKeys = "manage_keys",
    }
}

impl Action {
    /// Which roles may take the action. The one table of who may do what.
    pub fn allowed_roles(self) -> &'static [Role] {
        use Role::*;
        const COMMAND: &[Role] = &[SilverCommander, GoldCommander];
        match self {
            Action::ManageUsers => &[Administrator],
            // The administrator records what the force decided to publish.
            Action::SetForceNotice => &[Administrator],
            // Where the master key is kept (a file or a hardware token).
            Action::ManageKeys => &[Administrator],
            Action::ApplyForDeployment => COMMAND,
            Action::Authorise | Action::ConfirmVerbalAuthority | Action::CancelAuthority => {
                &[AuthorisingOfficer]
            }
            Action::StartRecognition
            | Action::Suspend
            | Action::Resume
            | Action::Terminate
            | Action::Conclude
            | Action::RecordReview
            | Action::SubmitDeploymentRecord => COMMAND,
            Action::CompileWatchlist | Action::ChangeAlgorithm => COMMAND,
            Action::ApproveWatchlist => &[AuthorisingOfficer],
            Action::RaiseAlert => &[Operator, SystemEngineer],
            Action::ViewAlerts => &[Operator, EngagementOfficer, SilverCommander, GoldCommander],
            Action::Adjudicate => &[Operator],
            Action::RecordEngagement => &[EngagementOfficer],
            Action::RecordCounts => &[Operator, SystemEngineer],
            // The operator sees the volunteer set off and watches for the alert.
            Action::MarkBluePass => &[Operator],
            // Those who mark passes or answer for the figures.
            Action::ReadBluePasses => &[
                Operator,
                SilverCommander,
                GoldCommander,
                AuthorisingOfficer,
                Auditor,
            ],
            Action::PlaceLegalHold => &[GoldCommander, SilverCommander],
            Action::RunRetention => &[Administrator, SystemEngineer],
            // The commanders name who works on their deployment.
            Action::ManageTeam => COMMAND,
            // A camera's coarse live view (faces not alerted on blurred):
            // those who watch the zone and command the deployment.
            Action::ViewLive => &[Operator, SilverCommander, GoldCommander],
            // Cameras are technical assets: the engineers own them.
            Action::ManageCameras => &[SystemEngineer],
            // Reading a camera's source (an address that may hold a password)
            // to run it: the roles the pipeline acts as.
            Action::RunCameras => &[Operator, SystemEngineer],
            Action::ReadAudit => &[Auditor, Administrator],
            Action::ReadFullReport => {
                &[AuthorisingOfficer, GoldCommander, SilverCommander, Auditor]
            }
            Action::ReadDeployments => &[
                AuthorisingOfficer,
                GoldCommander,
                SilverCommander,
                Operator,
                EngagementOfficer,
                SystemEngineer,
                Auditor,
                Administrator,
            ],
            Action::PublishReport => &[
                AuthorisingOfficer,
                GoldCommander,
                SilverCommander,
                Auditor,
                Administrator,
            ],
            // Live counts per camera: for those who run the system and command it.
            Action::ReadMetrics => &[
                SystemEngineer,
                Administrator,
                SilverCommander,
                GoldCommander,
            ],
        }
    }
}

/// Roles that act force-wide; the others act on a deployment only from its
/// team (need to know: an operator of one deployment does not see
/// another's alerts).
pub const FORCE_WIDE: &[Role] = &[
    Role::Administrator,
    Role::GoldCommander,
    Role::AuthorisingOfficer,
    Role::Auditor,
];

/// Whether `user` may take `action` on any deployment, team or not: one of
/// their roles that allows it acts force-wide.
pub fn acts_force_wide(user: &User, action: Action) -> bool {
    action
        .allowed_roles()
        .iter()
        .any(|r| FORCE_WIDE.contains(r) && user.has(*r))
}

/// A deployment's records are for its team, and for the force-wide roles.
pub fn on_the_deployment_team(
    user: &User,
    action: Action,
    deployment: DeploymentId,
    on_team: bool,
) -> Verdict {
    if on_team || acts_force_wide(user, action) {
        Ok(())
    } else {
        Err(Rule::OnTheDeploymentTeam.refuse(format!(
            "{} is not on the team of D{deployment}; its Silver or Gold Commander adds them with `lfr deployment team D{deployment} --add {}`",
            user.username, user.username
        )))
    }
}

/// Each action is allowed or refused by the user's roles.
pub fn role_permits(user: &User, action: Action) -> Verdict {
    if !user.active {
        return Err(Refusal::new(
            Rule::RolePermits,
            format!(
                "user {} is deactivated; an administrator can reactivate the account",
                user.username
            ),
        ));
    }
    let roles = action.allowed_roles();
    if user.has_any(roles) {
        Ok(())
    } else {
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        Err(Refusal::new(
            Rule::RolePermits,
            format!(
                "{} may not {}: it needs the role {}",
                user.username,
                action.as_str().replace('_', " "),
                names.join(" or ")
            ),
        ))
    }
}

/// Only the Silver Commander, or the Gold Commander above them, suspends or
/// terminates a deployment.
pub fn only_silver_commander_or_above_suspends_or_terminates(user: &User) -> Verdict {
    if user.has_any(&[Role::SilverCommander, Role::GoldCommander]) {
        Ok(())
    } else {
        Err(Refusal::new(
            Rule::OnlySilverCommanderOrAboveSuspendsOrTerminates,
            format!(
                "{} is not a Silver or Gold Commander; ask the Silver Commander to suspend or terminate",
                user.username
            ),
        ))
    }
}

/// The AO is a Superintendent or above.
pub fn authorising_officer_is_superintendent_or_above(user: &User) -> Verdict {
    if user.has(Role::AuthorisingOfficer) && user.rank.is_superintendent_or_above() {
        Ok(())
    } else {
        Err(Refusal::new(
            Rule::AuthorisingOfficerIsSuperintendentOrAbove,
            format!(
                "{} holds rank {}; authority must come from an Authorising Officer of Superintendent rank or above",
                user.username, user.rank
            ),
        ))
    }
}

/// Nobody changes their own roles, rank or training: separation of duties.
pub fn no_one_grants_themselves(actor: &User, target: &User) -> Verdict {
    if actor.id != target.id {
        Ok(())
    } else {
        Err(Refusal::new(
            Rule::NoOneGrantsThemselves,
            format!(
                "{} cannot change their own roles, rank or training; another administrator must",
                actor.username
            ),
        ))
    }
}

/// Whether giving `before` these roles and rank makes or changes an
/// Authorising Officer, which takes a second administrator's approval
/// (taking the role away does not).
pub fn needs_second_administrator(before: &User, after_roles: &[Role], after_rank: Rank) -> bool {
    let approved = |roles: &[Role]| roles.iter().any(|r| ROLES_TAKING_TWO.contains(r));
    approved(after_roles) && (!approved(&before.roles) || before.rank != after_rank)
}

/// Roles given only on a second administrator's approval.
pub const ROLES_TAKING_TWO: &[Role] = &[Role::AuthorisingOfficer];

/// An approval comes from an administrator other than the one who
/// proposed the change, other than the person it changes, and signed in
/// with a token the proposer did not issue (and so may hold).
pub fn approved_by_a_second_administrator(
    approver: &User,
    approver_token_issued_by: Option<crate::ids::UserId>,
    proposed_by: crate::ids::UserId,
    target: crate::ids::UserId,
) -> Verdict {
    let refuse = |message: String| Err(Refusal::new(Rule::ApprovedByASecondAdministrator, message));
    if approver.id == proposed_by {
        return refuse(format!(
            "{} proposed this change; a different administrator must approve it",
            approver.username
        ));
    }
    if approver.id == target {
        return Err(Refusal::new(
            Rule::NoOneGrantsThemselves,
            format!(
                "{} cannot approve a change to their own roles",
                approver.username
            ),
        ));
    }
    if approver_token_issued_by == Some(proposed_by) {
        return refuse(format!(
            "{}'s sign-in token was issued by the proposer U{proposed_by}, who may hold it; reissue your own token (`lfr user token {}`) and approve with that",
            approver.username, approver.username
        ));
    }
    Ok(())
}

/// A proposal applies only to the roles and rank it was made against: an
/// old proposal must not undo a later change.
pub fn role_change_still_current(target: &User, from_roles: &[Role], from_rank: Rank) -> Verdict {
    let same_roles = from_roles.len() == target.roles.len()
        && from_roles.iter().all(|r| target.roles.contains(r));
    if same_roles && from_rank == target.rank {
        Ok(())
    } else {
        Err(Refusal::new(
            Rule::RoleChangeStillCurrent,
            format!(
                "{}'s roles or rank changed after this change was proposed; propose it again",
                target.username
            ),
        ))
    }
}

/// A reference image is shown beside the alert it caused; those who
/// compile or approve watchlists review any of them. So walking image ids
/// yields nothing to anyone else.
pub fn reference_image_beside_its_alert(
    user: &User,
    image: crate::ids::ImageId,
    behind_alert: bool,
) -> Verdict {
    let reviews = [Action::CompileWatchlist, Action::ApproveWatchlist]
        .iter()
        .any(|a| role_permits(user, *a).is_ok());
    if reviews || behind_alert {
        Ok(())
    } else {
        Err(Refusal::new(
            Rule::ReferenceImageBesideItsAlert,
            format!(
                "IMG{image} is the candidate of no current alert; a reference image is shown beside the alert it caused"
            ),
        ))
    }
}

/// The AO has recorded LFR training.
pub fn authorising_officer_is_trained(user: &User) -> Verdict {
    if user.training.is_some() {
        Ok(())
    } else {
        Err(Refusal::new(
            Rule::AuthorisingOfficerIsTrained,
            format!(
                "{} has no LFR training recorded; an administrator records it with `lfr user train`",
                user.username
            ),
        ))
    }
}

/// The AO is independent of the application: nobody authorises their own.
pub fn authorising_officer_is_not_the_applicant(user: &User, deployment: &Deployment) -> Verdict {
    if user.id != deployment.applied_by {
        Ok(())
    } else {
        Err(Refusal::new(
            Rule::AuthorisingOfficerIsNotTheApplicant,
            "the applicant cannot authorise their own deployment; ask another Authorising Officer",
        ))
    }
}

/// No authority longer than 7 days: a series running longer needs new authority.
pub fn authority_at_most_seven_days(valid_from: Timestamp, valid_until: Timestamp) -> Verdict {
    let span = valid_until.duration_since(valid_from);
    if span <= SignedDuration::ZERO {
        return Err(Refusal::new(
            Rule::AuthorityAtMostSevenDays,
            "the authority must end after it starts",
        ));
    }
    if span > MAX_AUTHORITY {
        return Err(Refusal::new(
            Rule::AuthorityAtMostSevenDays,
            format!(
                "the authority would run for {:.1} days; one authority covers at most 7 days, so apply again for the rest",
                span.as_secs_f64() / 86_400.0
            ),
        ));
    }
    Ok(())
}

/// The AO's minimum threshold is never below the system floor.
pub fn minimum_threshold_not_below_system_floor(minimum: f64) -> Verdict {
    if minimum.is_finite() && (SYSTEM_FLOOR..=1.0).contains(&minimum) {
        Ok(())
    } else {
        Err(Refusal::new(
            Rule::MinimumThresholdNotBelowSystemFloor,
            format!(
                "minimum threshold {minimum} is outside [{SYSTEM_FLOOR}, 1]; choose {DEFAULT_MINIMUM_THRESHOLD} unless there is a recorded reason"
            ),
        ))
    }
}

/// A threshold below the default 0.64 raises more false alerts for every
/// face scanned, so whoever asks for it or authorises it records why.
pub fn threshold_below_default_has_reason(threshold: f64, reason: Option<&str>) -> Verdict {
    let given = reason.is_some_and(|r| !r.trim().is_empty());
    if threshold >= DEFAULT_MINIMUM_THRESHOLD || given {
        Ok(())
    } else {
        Err(Refusal::new(
            Rule::ThresholdBelowDefaultHasReason,
            format!(
                "threshold {threshold} is below the default {DEFAULT_MINIMUM_THRESHOLD}: record the reason (--threshold-reason when applying, --minimum-threshold-reason when authorising), or use {DEFAULT_MINIMUM_THRESHOLD}"
            ),
        ))
    }
}

/// No threshold below the authorised minimum.
pub fn threshold_not_below_authorised_minimum(threshold: f64, authority: &Authority) -> Verdict {
    if threshold.is_finite() && threshold >= authority.minimum_threshold && threshold <= 1.0 {
        Ok(())
    } else {
        Err(Refusal::new(
            Rule::ThresholdNotBelowAuthorisedMinimum,
            format!(
                "threshold {threshold} is below the authorised minimum {} (or above 1); raise it, or ask the AO for new authority",
                authority.minimum_threshold
            ),
        ))
    }
}

/// An urgent verbal authority's deadline for written confirmation is short
/// and in the future when given.
pub fn verbal_confirmation_deadline_is_reasonable(
    granted_at: Timestamp,
    confirm_by: Timestamp,
) -> Verdict {
    let d = confirm_by.duration_since(granted_at);
    if d > SignedDuration::ZERO && d <= MAX_VERBAL_CONFIRMATION {
        Ok(())
    } else {
        Err(Refusal::new(
            Rule::VerbalConfirmationDeadlineIsReasonable,
            "urgent verbal authority must be confirmed in writing within 72 hours of being given",
        ))
    }
}

/// Verbal authority not confirmed in writing in time blocks further use.
pub fn verbal_authority_confirmed_in_time(authority: &Authority, now: Timestamp) -> Verdict {
    if authority.verbal_confirmation_overdue(now) {
        let by = match &authority.form {
            AuthorityForm::UrgentVerbal { confirm_by, .. } => confirm_by.to_string(),
            AuthorityForm::Written => String::new(),
        };
        Err(Refusal::new(
            Rule::VerbalAuthorityConfirmedInTime,
            format!(
                "urgent verbal authority was not confirmed in writing by {by}; the series is blocked until new written authority is granted"
            ),
        ))
    } else {
        Ok(())
    }
}

/// The deployment's authority, or the refusal that there is none to run under.
pub fn granted_authority(d: &Deployment) -> Result<&Authority, Refusal> {
    d.authority.as_ref().ok_or_else(|| {
        Rule::RecognitionRequiresActiveAuthorisation.refuse(format!(
            "deployment D{} has no authority; an Authorising Officer must grant it",
            d.id
        ))
    })
}

/// No recognition without an active authorisation: the deployment is
/// running, its authority is in force, uncancelled and (if verbal) confirmed in time.
pub fn recognition_requires_active_authorisation(d: &Deployment, now: Timestamp) -> Verdict {
    let rule = Rule::RecognitionRequiresActiveAuthorisation;
    let a = granted_authority(d)?;
    if d.state != DeploymentState::Active {
        return Err(Refusal::new(
            rule,
            format!(
                "deployment D{} is {}, not active; the Silver Commander starts or resumes it",
                d.id, d.state
            ),
        ));
    }
    if a.cancelled_at.is_some() {
        return Err(Refusal::new(
            rule,
            format!("the authority for D{} has been cancelled", d.id),
        ));
    }
    if !a.in_force(now) {
        return Err(Refusal::new(
            rule,
            format!(
                "the authority for D{} runs from {} to {}; it is not in force now",
                d.id, a.valid_from, a.valid_until
            ),
        ));
    }
    verbal_authority_confirmed_in_time(a, now)
}

/// No deployment with an unreviewed watchlist: at least one watchlist, and
/// every watchlist bound to the deployment approved as it now stands.
pub fn watchlists_reviewed_before_deployment(watchlists: &[Watchlist]) -> Verdict {
    let rule = Rule::WatchlistsReviewedBeforeDeployment;
    if !watchlists.iter().any(|w| w.kind == WatchlistKind::Standard) {
        return Err(Refusal::new(
            rule,
            "the deployment has no watchlist; create and import one with `lfr watchlist`",
        ));
    }
    match watchlists.iter().find(|w| !w.is_approved_as_is()) {
        None => Ok(()),
        Some(w) => Err(Refusal::new(
            rule,
            format!(
                "watchlist W{} ({}) has not been approved since its last change; an Authorising Officer reviews it with `lfr watchlist approve W{}`",
                w.id, w.name, w.id
            ),
        )),
    }
}

/// The recognition model changes only while no camera can be recognising
/// with it: before the start or while suspended, never once ended (its
/// watchlists are closed then).
pub fn algorithm_changes_only_while_not_running(d: &Deployment) -> Verdict {
    let rule = Rule::AlgorithmChangesOnlyWhileNotRunning;
    if d.state == DeploymentState::Active {
        return Err(Refusal::new(
            rule,
            format!(
                "deployment D{} is active; the Silver Commander suspends it before its recognition model changes",
                d.id
            ),
        ));
    }
    if d.state.is_ended() {
        return Err(Refusal::new(
            rule,
            format!(
                "deployment D{} has ended; its recognition model no longer changes",
                d.id
            ),
        ));
    }
    Ok(())
}

/// A model whose weights' licence forbids operational use (`restriction`,
/// from its package) becomes a deployment's model only with the reference
/// of a licence that allows it, which the audit log then records: the force,
/// not the software, holds the licence, but the software will not let the
/// question go unasked.
pub fn model_licensed_for_operational_use(
    model: &str,
    restriction: Option<&str>,
    licence: Option<&str>,
) -> Verdict {
    let Some(restriction) = restriction else {
        return Ok(());
    };
    if licence.is_some_and(|l| !l.trim().is_empty()) {
        return Ok(());
    }
    Err(Refusal::new(
        Rule::ModelLicensedForOperationalUse,
        format!(
            "model {model} is restricted ({restriction}); give the reference of the licence that allows this deployment to use it with `--licence REF`, or choose another model"
        ),
    ))
}

/// The threshold an Authorising Officer sets names a false match rate only
/// through the model's calibration, so a model becomes a deployment's model
/// only where its calibration was checked on people it was not fitted on
/// and held, or with the recorded reason it may be used anyway.
pub fn model_calibration_holds(
    model: &str,
    check: &CalibrationCheck,
    accepted: Option<&str>,
) -> Verdict {
    if check.holds() || accepted.is_some_and(|r| !r.trim().is_empty()) {
        return Ok(());
    }
    let what = match check {
        CalibrationCheck::NotChecked => format!(
            "model {model}'s calibration has not been checked on people it was not fitted on, so no one knows whether a threshold means the false match rate it names; check it with `lfr --model {model} bench lfw --data LFW_DIR --checks-only --record`"
        ),
        fails => format!(
            "model {model}'s calibration {}, so its thresholds understate how often strangers match; recalibrate it or choose another model",
            fails
                .summary()
                .replacen("DOES NOT HOLD", "does not hold", 1)
        ),
    };
    Err(Rule::ModelCalibrationHolds.refuse(format!(
        "{what}, or record why this deployment may use it anyway with `--accept-calibration REASON`"
    )))
}

/// Both rules on choosing a deployment's model, in the order a user meets
/// them: the licence, then the calibration (`None`: the store's built-in
/// default, whose shipped record holds).
pub fn model_may_be_chosen(
    model: &str,
    restriction: Option<&str>,
    check: Option<&CalibrationCheck>,
    uses: ModelUse<'_>,
) -> Verdict {
    model_licensed_for_operational_use(model, restriction, uses.licence)?;
    check.map_or(Ok(()), |c| {
        model_calibration_holds(model, c, uses.calibration)
    })
}

/// The pipeline scores with the calibration recorded with the deployment's
/// model: a changed calibration file would change what every score, and so
/// the authorised threshold, means, without anyone deciding it.
pub fn calibration_as_recorded(d: &Deployment, calibration: &str) -> Verdict {
    match &d.recognition.calibration {
        Some(recorded) if recorded != calibration => {
            Err(Rule::CalibrationAsRecorded.refuse(format!(
                "model {}'s calibration is {calibration}, not {recorded} as recorded for D{}; reinstall the model as it was (`lfr models verify`), or record the new one with `lfr deployment set-algorithm D{} {}` while the deployment is not running",
                d.recognition.model, d.id, d.id, d.recognition.model
            )))
        }
        _ => Ok(()),
    }
}

/// A watchlist holds templates of its deployment's algorithm only: anything
/// else could never be compared, so it is refused at the door.
pub fn templates_match_the_deployment_algorithm(d: &Deployment, algorithm: &str) -> Verdict {
    if d.recognition.algorithm == algorithm {
        return Ok(());
    }
    Err(Refusal::new(
        Rule::TemplatesMatchTheDeploymentAlgorithm,
        format!(
            "deployment D{} recognises with model {} (algorithm {}), not {algorithm}; enrol with its model, or change the deployment's model with `lfr deployment set-algorithm D{} MODEL`, which re-enrols its watchlists",
            d.id, d.recognition.model, d.recognition.algorithm, d.id
        ),
    ))
}

/// Watchlists are compiled for a deployment still to run, never one that has ended.
pub fn deployment_open_for_watchlists(d: &Deployment) -> Verdict {
    if d.state.is_ended() {
        Err(Rule::WatchlistOpenForChanges.refuse(format!(
            "D{} has ended; a watchlist is compiled for a deployment still to run",
            d.id
        )))
    } else {
        Ok(())
    }
}

/// Cameras are added, moved or removed only until the deployment ends.
pub fn cameras_change_only_before_the_end(d: &Deployment) -> Verdict {
    if d.state.is_ended() {
        Err(Rule::CamerasChangeOnlyBeforeTheEnd
            .refuse(format!("D{} has ended; its cameras no longer change", d.id)))
    } else {
        Ok(())
    }
}

/// A watchlist cannot change once its deployment has ended or its data was purged.
pub fn watchlist_open_for_changes(w: &Watchlist, d: &Deployment) -> Verdict {
    if w.purged_at.is_some() || d.state.is_ended() {
        Err(Refusal::new(
            Rule::WatchlistOpenForChanges,
            format!(
                "watchlist W{} belongs to ended deployment D{}; compile a new watchlist for a new deployment",
                w.id, d.id
            ),
        ))
    } else {
        Ok(())
    }
}

/// Each image on a Blue Watchlist needs the volunteer's recorded written consent.
pub fn blue_watchlist_images_need_consent(
    kind: WatchlistKind,
    consent: Option<&Consent>,
) -> Verdict {
    match (kind, consent) {
        (WatchlistKind::Blue, None) => Err(Refusal::new(
            Rule::BlueWatchlistImagesNeedConsent,
            "a Blue Watchlist image needs the volunteer's written consent: give form_reference, signed_on and recorded_by",
        )),
        (WatchlistKind::Blue, Some(c))
            if c.form_reference.trim().is_empty()
                || c.signed_on.trim().is_empty()
                || c.recorded_by.trim().is_empty() =>
        {
            Err(Refusal::new(
                Rule::BlueWatchlistImagesNeedConsent,
                "the consent record is incomplete: form_reference, signed_on and recorded_by are all required",
            ))
        }
        _ => Ok(()),
    }
}

/// Volunteers belong on Blue Watchlists and only there.
pub fn category_fits_watchlist(kind: WatchlistKind, category: Category) -> Verdict {
    let blue = kind == WatchlistKind::Blue;
    let volunteer = category == Category::Volunteer;
    if blue == volunteer {
        Ok(())
    } else if blue {
        Err(Refusal::new(
            Rule::CategoryFitsWatchlist,
            format!("a Blue Watchlist holds volunteers only, not `{category}`"),
        ))
    } else {
        Err(Refusal::new(
            Rule::CategoryFitsWatchlist,
            "volunteers go on a Blue Watchlist, not a standard one",
        ))
    }
}

/// Every inclusion carries a justification and a source.
pub fn inclusion_is_justified(justification: &str, source: &str) -> Verdict {
    if justification.trim().len() < 10 || source.trim().is_empty() {
        Err(Refusal::new(
            Rule::InclusionIsJustified,
            "each inclusion needs a justification (at least a sentence) and a source",
        ))
    } else {
        Ok(())
    }
}

/// An image graded poor (not fit to enrol) is never enrolled.
pub fn reference_image_is_usable(grade: QualityGrade, reasons: &[String]) -> Verdict {
    if grade == QualityGrade::Poor {
        Err(Refusal::new(
            Rule::ReferenceImageIsUsable,
            format!(
                "the image is not fit to enrol ({}); supply a frontal, passport-like photograph",
                reasons.join("; ")
            ),
        ))
    } else {
        Ok(())
    }
}

/// Words that name protected characteristics (Equality Act 2010) or proxies
/// for them; an import that tries to record one is refused.
pub const PROTECTED_CHARACTERISTICS: &[&str] = &[
    "age",
    "date_of_birth",
    "dob",
    "disability",
    "gender",
    "gender_reassignment",
    "sex",
    "marriage",
    "civil_partnership",
    "pregnancy",
    "maternity",
    "race",
    "ethnicity",
    "ethnic_origin",
    "nationality",
    "colour",
    "religion",
    "belief",
    "sexual_orientation",
];

/// No protected characteristic is stored.
pub fn no_protected_characteristics(field: &str) -> Verdict {
    let f = field.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    if PROTECTED_CHARACTERISTICS.contains(&f.as_str()) {
        Err(Refusal::new(
            Rule::NoProtectedCharacteristics,
            format!(
                "`{field}` is a protected characteristic and is never stored; remove it from the manifest"
            ),
        ))
    } else {
        Ok(())
    }
}

/// A note may name people, so it is kept no longer than the alert's
/// personal data: once that is deleted, a decision comes without a note.
pub fn note_within_alert_retention(alert: &Alert, note: &str) -> Verdict {
    match alert.purged_at {
        Some(at) if !note.trim().is_empty() => Err(Rule::NoteWithinAlertRetention.refuse(format!(
            "A{}'s personal data was deleted at {at}; record the decision without a note",
            alert.id
        ))),
        _ => Ok(()),
    }
}

/// An alert is adjudicated once, by the operator; decisions are not rewritten.
pub fn adjudication_is_final(alert: &Alert) -> Verdict {
    if alert.adjudication.is_some() {
        Err(Refusal::new(
            Rule::AdjudicationIsFinal,
            format!(
                "alert A{} was already adjudicated, and the decision is final; what followed goes with the engagement result (`lfr alert engage A{} ... --note`) or the policing outcome (`lfr alert outcome`)",
                alert.id, alert.id
            ),
        ))
    } else {
        Ok(())
    }
}

/// `alert` may be marked a repeat of `original`: an earlier alert of the
/// same deployment and subject, dealt with for good, and no repeat itself
/// (the chain points at the alert that was decided).
pub fn repeat_of_a_dealt_with_alert(alert: &Alert, original: &Alert) -> Verdict {
    let refuse = |why: String| {
        Err(Refusal::new(
            Rule::RepeatOfADealtWithAlert,
            format!(
                "A{} cannot be marked a repeat of A{}: {why}",
                alert.id, original.id
            ),
        ))
    };
    if original.deployment != alert.deployment || original.inclusion != alert.inclusion {
        return refuse("they are not of the same deployment and watchlist subject".into());
    }
    if (original.at, original.id.0) >= (alert.at, alert.id.0) {
        return refuse("a repeat follows the alert it repeats".into());
    }
    if let Some(root) = original.repeat_of {
        return refuse(format!(
            "A{} is itself a repeat; mark it a repeat of A{root}",
            original.id
        ));
    }
    let class = original.class();
    if !class.is_dealt_with() {
        return refuse(format!(
            "A{} is {}; decide it first, or decide this one on its own",
            original.id,
            class.as_str().replace('_', " ")
        ));
    }
    Ok(())
}

/// Engagement follows only an alert passed for engagement, and is recorded once.
pub fn engagement_follows_passed_alert(alert: &Alert) -> Verdict {
    let rule = Rule::EngagementFollowsPassedAlert;
    match &alert.adjudication {
        Some(a) if a.value == Adjudication::PassedForEngagement => {
            if alert.engagement.is_some() {
                Err(Refusal::new(
                    rule,
                    format!(
                        "the engagement outcome of A{} is already recorded",
                        alert.id
                    ),
                ))
            } else {
                Ok(())
            }
        }
        Some(_) => Err(Refusal::new(
            rule,
            format!(
                "alert A{} was adjudicated false without engagement",
                alert.id
            ),
        )),
        None => Err(Refusal::new(
            rule,
            format!(
                "alert A{} has not been adjudicated; the operator must pass it for engagement first",
                alert.id
            ),
        )),
    }
}

/// A policing outcome follows an engagement, once.
pub fn policing_outcome_follows_engagement(alert: &Alert) -> Verdict {
    let rule = Rule::PolicingOutcomeFollowsEngagement;
    if alert.engagement.is_none() {
        Err(Refusal::new(
            rule,
            format!("record the engagement outcome of A{} first", alert.id),
        ))
    } else if alert.policing_outcome.is_some() {
        Err(Refusal::new(
            rule,
            format!("the policing outcome of A{} is already recorded", alert.id),
        ))
    } else {
        Ok(())
    }
}

/// Alert personal data (probe image, candidate link) is deleted within 24 hours of the alert.
pub fn alert_personal_data_deadline(alert_at: Timestamp, p: &RetentionPolicy) -> Timestamp {
    alert_at
        .checked_add(p.alert_personal_data)
        .expect("time in range")
}

/// Watchlist data is deleted within 24 hours of the deployment's end.
pub fn watchlist_data_deadline(deployment_end: Timestamp, p: &RetentionPolicy) -> Timestamp {
    deployment_end
        .checked_add(p.watchlist_after_end)
        .expect("time in range")
}

/// Footage is deleted within 31 days unless a legal hold keeps it.
pub fn footage_deadline(recorded_at: Timestamp, p: &RetentionPolicy) -> Timestamp {
    recorded_at.checked_add(p.footage).expect("time in range")
}

/// The deployment record is due to the AO within 31 days of the end.
pub fn deployment_record_deadline(ended_at: Timestamp) -> Timestamp {
    ended_at
        .checked_add(DEPLOYMENT_RECORD_DUE)
        .expect("time in range")
}

/// Reviews come at the planned interval while a deployment runs: the next
/// one is due this long after the last (or after the start).
pub fn next_review_due(d: &Deployment) -> Option<Timestamp> {
    if !matches!(
        d.state,
        DeploymentState::Active | DeploymentState::Suspended
    ) {
        return None;
    }
    let since = d.last_review_at.or(d.started_at)?;
    let every = SignedDuration::from_mins(i64::from(d.application.review_interval_minutes.max(1)));
    since.checked_add(every).ok()
}

/// The AO records why authority is granted.
pub fn authority_has_rationale(rationale: &str) -> Verdict {
    if rationale.trim().is_empty() {
        Err(Rule::AuthorityHasRationale.refuse("the AO must record a rationale"))
    } else {
        Ok(())
    }
}

/// Withdrawing a running deployment's authority goes into its record with the reason.
pub fn withdrawal_has_reason(reason: &str) -> Verdict {
    if reason.trim().is_empty() {
        Err(Rule::WithdrawalHasReason.refuse(
            "say why the authority is withdrawn (--reason): it goes into the deployment's record",
        ))
    } else {
        Ok(())
    }
}

/// An inclusion is of someone: at least one usable reference image.
pub fn inclusion_has_a_reference_image(reference: &str, images: usize) -> Verdict {
    if images == 0 {
        Err(Rule::InclusionHasAReferenceImage.refuse(format!(
            "ref {reference} has no usable reference image; add one that grades acceptable or better"
        )))
    } else {
        Ok(())
    }
}

/// An empty watchlist is not approved: there would be nothing to review.
pub fn watchlist_has_inclusions(w: &Watchlist, size: usize) -> Verdict {
    if size == 0 {
        Err(Rule::WatchlistsReviewedBeforeDeployment.refuse(format!(
            "W{} is empty; import inclusions before approving it",
            w.id
        )))
    } else {
        Ok(())
    }
}

/// An inclusion that caused alerts stays: the alerts must keep what they matched.
pub fn alerts_keep_their_inclusion(inclusion: InclusionId, has_alerts: bool) -> Verdict {
    if has_alerts {
        Err(Rule::AlertsKeepTheirInclusion.refuse(format!(
            "I{inclusion} has alerts; suspend the deployment and compile a new watchlist instead"
        )))
    } else {
        Ok(())
    }
}

/// A watchlist's templates were made by the algorithm that will compare them.
pub fn templates_match_the_algorithm(w: WatchlistId, made_by: &str, algorithm: &str) -> Verdict {
    if made_by == algorithm {
        Ok(())
    } else {
        Err(Rule::TemplatesMatchTheAlgorithm.refuse(format!(
            "W{w} holds templates made by `{made_by}`, not `{algorithm}`; re-enrol it from its reference images with `lfr watchlist reenrol W{w}`"
        )))
    }
}

/// An alert is a score at or above the threshold in force, and at most 1.
pub fn alert_at_or_above_threshold(score: f64, threshold: f64) -> Verdict {
    if score.is_finite() && score >= threshold && score <= 1.0 {
        Ok(())
    } else {
        Err(Rule::AlertAtOrAboveThreshold.refuse(format!(
            "score {score} is below the threshold {threshold}: not an alert"
        )))
    }
}

/// An alert's candidate is an image on a watchlist of the same deployment:
/// `found` is its inclusion there, if any, and is what the alert records.
pub fn alert_candidate_on_watchlist<T>(
    found: Option<T>,
    image: ImageId,
    d: DeploymentId,
) -> Result<T, Refusal> {
    found.ok_or_else(|| {
        Rule::AlertCandidateOnWatchlist
            .refuse(format!("image IMG{image} is not on a watchlist of D{d}"))
    })
}

/// The public report is of a deployment that is over: figures published
/// while it runs would be incomplete and read as final.
pub fn report_published_after_the_end(d: &Deployment) -> Verdict {
    if d.state.is_ended() {
        Ok(())
    } else {
        Err(Rule::ReportPublishedAfterTheEnd.refuse(format!(
            "D{} is {}; a post-deployment report is published after it is concluded or terminated",
            d.id, d.state
        )))
    }
}

/// The force's public notice names the force, its legal basis and a
/// contact, each within [`crate::force::MAX_FIELD`].
pub fn force_notice_is_complete(n: &crate::force::ForceNotice) -> Verdict {
    let fields = [
        ("force", n.force.as_str(), "--force"),
        ("legal basis", n.legal_basis.as_str(), "--legal-basis"),
        ("contact", n.contact.as_str(), "--contact"),
    ];
    for (what, text, option) in fields {
        if text.trim().is_empty() {
            return Err(Rule::ForceNoticeIsComplete
                .refuse(format!("the force's notice needs its {what} ({option})")));
        }
    }
    for (what, text) in fields
        .iter()
        .map(|(w, t, _)| (*w, *t))
        .chain(n.policy.as_deref().map(|p| ("policy", p)))
    {
        if text.chars().count() > crate::force::MAX_FIELD {
            return Err(Rule::ForceNoticeIsComplete.refuse(format!(
                "the force's {what} is longer than {} characters; say it shortly and link to the full text (--policy)",
                crate::force::MAX_FIELD
            )));
        }
    }
    Ok(())
}

/// A report goes public only with the force's legal basis and contact.
pub fn public_report_states_legal_basis(n: Option<&crate::force::ForceNotice>) -> Verdict {
    match n {
        Some(_) => Ok(()),
        None => Err(Rule::PublicReportStatesLegalBasis.refuse(
            "the force has not stated its legal basis and a contact for the public: an administrator sets them with `lfr force set --force NAME --legal-basis TEXT --contact TEXT`",
        )),
    }
}

/// A legal hold names the case, complaint or request that needs the data.
pub fn legal_hold_has_a_reason(note: &str) -> Verdict {
    if note.trim().len() < 5 {
        Err(Rule::LegalHoldHasAReason.refuse(
            "record the case, complaint or request reference and why the data is needed (--note)",
        ))
    } else {
        Ok(())
    }
}

/// Fields of the application that must be filled in before it is accepted.
pub fn application_is_complete(a: &crate::deployment::Application) -> Verdict {
    let fields = [
        ("location", &a.location),
        ("legitimate_aim", &a.legitimate_aim),
        ("legal_basis", &a.legal_basis),
        ("necessity", &a.necessity),
        ("proportionality", &a.proportionality),
        ("safeguards", &a.safeguards),
        ("alternatives_considered", &a.alternatives_considered),
        ("watchlist_composition", &a.watchlist_composition),
        ("resources", &a.resources),
    ];
    let missing: Vec<&str> = fields
        .iter()
        .filter(|(_, v)| v.trim().is_empty())
        .map(|(n, _)| *n)
        .collect();
    let rule = Rule::ApplicationIsComplete;
    if !missing.is_empty() {
        return Err(Refusal::new(
            rule,
            format!("the application is missing: {}", missing.join(", ")),
        ));
    }
    if a.assets == 0 {
        return Err(Refusal::new(
            rule,
            "the application must name at least one asset (camera or van)",
        ));
    }
    if a.ends_at <= a.starts_at {
        return Err(Refusal::new(
            rule,
            "the deployment must end after it starts",
        ));
    }
    minimum_threshold_not_below_system_floor(a.threshold_requested)
        .map_err(|r| Refusal::new(rule, r.message))?;
    threshold_below_default_has_reason(a.threshold_requested, a.threshold_reason.as_deref())
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
