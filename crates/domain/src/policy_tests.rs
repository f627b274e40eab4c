//! Each rule, tested as a rule: the refusal, and the effect when it holds.

use super::*;
use crate::alert::{Alert, Decision, EngagementOutcome, PolicingOutcome};
use crate::deployment::{Application, DeploymentStyle, UseCase};
use crate::ids::*;
use crate::role::{Rank, Training};
use lfr_base::{Clock, SimulatedClock};

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn user(id: i64, roles: &[Role], rank: Rank, trained: bool) -> User {
    User {
        id: UserId(id),
        username: format!("user{id}"),
        display_name: format!("User {id}"),
        roles: roles.to_vec(),
        rank,
        training: trained.then(|| Training {
            course: "LFR AO".into(),
            completed_on: t("2026-01-01T00:00:00Z"),
        }),
        active: true,
    }
}

fn ao() -> User {
    user(2, &[Role::AuthorisingOfficer], Rank::Superintendent, true)
}
fn silver() -> User {
    user(3, &[Role::SilverCommander], Rank::Inspector, false)
}

fn deployment() -> Deployment {
    Deployment {
        id: DeploymentId(1),
        application: Application {
            location: "High Street, Cardiff".into(),
            use_case: UseCase::Event,
            style: DeploymentStyle::Van,
            assets: 2,
            starts_at: t("2026-11-22T09:00:00Z"),
            ends_at: t("2026-11-22T18:00:00Z"),
            legitimate_aim: "prevent crime".into(),
            legal_basis: "common law".into(),
            necessity: "n".into(),
            proportionality: "p".into(),
            safeguards: "s".into(),
            alternatives_considered: "a".into(),
            watchlist_composition: "w".into(),
            resources: "r".into(),
            threshold_requested: 0.64,
            threshold_reason: None,
            review_interval_minutes: 120,
        },
        applied_by: UserId(3),
        applied_at: t("2026-11-20T09:00:00Z"),
        state: DeploymentState::Applied,
        authority: None,
        started_at: None,
        ended_at: None,
        last_review_at: None,
        record_submitted_at: None,
        recognition: Default::default(),
    }
}

fn written(from: &str, until: &str) -> Authority {
    Authority {
        granted_by: UserId(2),
        granted_at: t(from),
        form: AuthorityForm::Written,
        rationale: "necessary and proportionate".into(),
        valid_from: t(from),
        valid_until: t(until),
        minimum_threshold: DEFAULT_MINIMUM_THRESHOLD,
        minimum_threshold_reason: None,
        cancelled_at: None,
    }
}

fn approved_watchlist() -> Watchlist {
    Watchlist {
        id: WatchlistId(1),
        deployment: DeploymentId(1),
        kind: WatchlistKind::Standard,
        name: "event".into(),
        revision: 3,
        approval: Some(crate::watchlist::Approval {
            by: UserId(2),
            at: t("2026-11-21T00:00:00Z"),
            revision: 3,
            note: String::new(),
        }),
        created_at: t("2026-11-20T00:00:00Z"),
        purged_at: None,
    }
}

fn authorised() -> Deployment {
    let mut d = deployment();
    d.authorise(
        &ao(),
        written("2026-11-22T08:00:00Z", "2026-11-23T08:00:00Z"),
    )
    .unwrap();
    d
}

#[test]
fn no_recognition_without_an_active_authorisation() {
    let clock = SimulatedClock::at("2026-11-22T10:00:00Z");
    let mut d = deployment();
    let r = recognition_requires_active_authorisation(&d, clock.now()).unwrap_err();
    assert_eq!(r.rule, Rule::RecognitionRequiresActiveAuthorisation);
    // Authorised but not started: still no.
    d = authorised();
    assert!(recognition_requires_active_authorisation(&d, clock.now()).is_err());
    d.start(clock.now(), &[approved_watchlist()]).unwrap();
    assert!(recognition_requires_active_authorisation(&d, clock.now()).is_ok());
    // Past the authority's end: no, even though nobody pressed stop.
    clock.advance(SignedDuration::from_hours(23));
    assert!(recognition_requires_active_authorisation(&d, clock.now()).is_err());
    // Suspended: no.
    let mut d2 = authorised();
    d2.start(t("2026-11-22T10:00:00Z"), &[approved_watchlist()])
        .unwrap();
    d2.suspend(&silver()).unwrap();
    assert!(recognition_requires_active_authorisation(&d2, t("2026-11-22T11:00:00Z")).is_err());
}

#[test]
fn no_start_before_the_authority_is_in_force() {
    let mut d = authorised();
    let r = d
        .start(t("2026-11-22T07:00:00Z"), &[approved_watchlist()])
        .unwrap_err();
    assert_eq!(r.rule, Rule::RecognitionRequiresActiveAuthorisation);
    assert_eq!(
        d.state,
        DeploymentState::Authorised,
        "a refused start changes nothing"
    );
}

#[test]
fn a_threshold_below_the_default_needs_a_recorded_reason() {
    // At application.
    let mut d = deployment();
    d.application.threshold_requested = 0.55;
    assert_eq!(
        application_is_complete(&d.application).unwrap_err().rule,
        Rule::ThresholdBelowDefaultHasReason
    );
    d.application.threshold_reason = Some("   ".into());
    assert!(application_is_complete(&d.application).is_err());
    d.application.threshold_reason =
        Some("crowd of 80,000; Blue Watchlist TRR 31 % at 0.64".into());
    assert!(application_is_complete(&d.application).is_ok());
    // At authorisation.
    let mut a = written("2026-11-22T08:00:00Z", "2026-11-23T08:00:00Z");
    a.minimum_threshold = 0.6;
    assert_eq!(
        deployment().authorise(&ao(), a.clone()).unwrap_err().rule,
        Rule::ThresholdBelowDefaultHasReason
    );
    a.minimum_threshold_reason = Some("as the application's reason".into());
    assert!(deployment().authorise(&ao(), a).is_ok());
    // At or above the default, none is needed.
    assert!(threshold_below_default_has_reason(0.64, None).is_ok());
}

#[test]
fn no_threshold_below_the_authorised_minimum() {
    let a = written("2026-11-22T08:00:00Z", "2026-11-23T08:00:00Z");
    assert_eq!(
        threshold_not_below_authorised_minimum(0.63, &a)
            .unwrap_err()
            .rule,
        Rule::ThresholdNotBelowAuthorisedMinimum
    );
    assert!(threshold_not_below_authorised_minimum(0.64, &a).is_ok());
    assert!(threshold_not_below_authorised_minimum(0.7, &a).is_ok());
    assert!(threshold_not_below_authorised_minimum(f64::NAN, &a).is_err());
    let mut lower = a.clone();
    lower.minimum_threshold = 0.6;
    assert!(threshold_not_below_authorised_minimum(0.62, &lower).is_ok());
}

#[test]
fn no_authorised_minimum_below_the_system_floor() {
    let mut d = deployment();
    let mut a = written("2026-11-22T08:00:00Z", "2026-11-23T08:00:00Z");
    a.minimum_threshold = SYSTEM_FLOOR - 0.01;
    assert_eq!(
        d.authorise(&ao(), a).unwrap_err().rule,
        Rule::MinimumThresholdNotBelowSystemFloor
    );
    assert_eq!(d.state, DeploymentState::Applied);
}

#[test]
fn no_authority_longer_than_seven_days() {
    let mut d = deployment();
    let r = d
        .authorise(
            &ao(),
            written("2026-11-22T08:00:00Z", "2026-11-29T08:00:01Z"),
        )
        .unwrap_err();
    assert_eq!(r.rule, Rule::AuthorityAtMostSevenDays);
    assert!(
        d.authorise(
            &ao(),
            written("2026-11-22T08:00:00Z", "2026-11-29T08:00:00Z")
        )
        .is_ok()
    );
}

#[test]
fn no_deployment_with_an_unreviewed_watchlist() {
    let now = t("2026-11-22T10:00:00Z");
    let mut d = authorised();
    assert_eq!(
        d.start(now, &[]).unwrap_err().rule,
        Rule::WatchlistsReviewedBeforeDeployment
    );
    let mut w = approved_watchlist();
    w.revision += 1; // changed after approval
    assert_eq!(
        d.start(now, &[w.clone()]).unwrap_err().rule,
        Rule::WatchlistsReviewedBeforeDeployment
    );
    w.approval = None;
    assert!(d.start(now, &[w]).is_err());
    assert_eq!(d.state, DeploymentState::Authorised);
    d.start(now, &[approved_watchlist()]).unwrap();
    assert_eq!(d.state, DeploymentState::Active);
}

#[test]
fn no_authorising_officer_below_superintendent() {
    let mut d = deployment();
    let inspector = user(4, &[Role::AuthorisingOfficer], Rank::ChiefInspector, true);
    let r = d
        .authorise(
            &inspector,
            written("2026-11-22T08:00:00Z", "2026-11-23T08:00:00Z"),
        )
        .unwrap_err();
    assert_eq!(r.rule, Rule::AuthorisingOfficerIsSuperintendentOrAbove);
    let staff = user(5, &[Role::AuthorisingOfficer], Rank::Staff, true);
    assert!(authorising_officer_is_superintendent_or_above(&staff).is_err());
    let acc = user(
        6,
        &[Role::AuthorisingOfficer],
        Rank::AssistantChiefConstable,
        true,
    );
    assert!(authorising_officer_is_superintendent_or_above(&acc).is_ok());
    let untrained = user(
        7,
        &[Role::AuthorisingOfficer],
        Rank::ChiefSuperintendent,
        false,
    );
    assert_eq!(
        d.authorise(
            &untrained,
            written("2026-11-22T08:00:00Z", "2026-11-23T08:00:00Z")
        )
        .unwrap_err()
        .rule,
        Rule::AuthorisingOfficerIsTrained
    );
}

#[test]
fn the_applicant_cannot_authorise_their_own_deployment() {
    let mut d = deployment();
    d.applied_by = ao().id;
    let r = d
        .authorise(
            &ao(),
            written("2026-11-22T08:00:00Z", "2026-11-23T08:00:00Z"),
        )
        .unwrap_err();
    assert_eq!(r.rule, Rule::AuthorisingOfficerIsNotTheApplicant);
}

fn verbal(granted: &str, confirm_by: &str) -> Authority {
    let mut a = written(granted, "2026-11-25T08:00:00Z");
    a.form = AuthorityForm::UrgentVerbal {
        confirm_by: t(confirm_by),
        confirmed_at: None,
    };
    a
}

#[test]
fn unconfirmed_verbal_authority_is_flagged_and_blocks_the_series() {
    let clock = SimulatedClock::at("2026-11-22T08:00:00Z");
    let mut d = deployment();
    d.authorise(
        &ao(),
        verbal("2026-11-22T08:00:00Z", "2026-11-23T08:00:00Z"),
    )
    .unwrap();
    d.start(clock.now(), &[approved_watchlist()]).unwrap();
    assert!(
        d.outstanding(clock.now())
            .iter()
            .any(|o| o.what.contains("verbal") && !o.overdue)
    );
    d.suspend(&silver()).unwrap();
    clock.advance(SignedDuration::from_hours(25)); // deadline passed, unconfirmed
    assert!(
        d.outstanding(clock.now())
            .iter()
            .any(|o| o.what.contains("verbal") && o.overdue),
        "flagged"
    );
    let r = d.start(clock.now(), &[approved_watchlist()]).unwrap_err();
    assert_eq!(r.rule, Rule::VerbalAuthorityConfirmedInTime);
    assert_eq!(d.state, DeploymentState::Suspended);
    // Late confirmation does not unblock it.
    assert_eq!(
        d.confirm_verbal(&ao(), clock.now()).unwrap_err().rule,
        Rule::VerbalAuthorityConfirmedInTime
    );
}

#[test]
fn verbal_authority_confirmed_in_time_keeps_the_series_going() {
    let mut d = deployment();
    d.authorise(
        &ao(),
        verbal("2026-11-22T08:00:00Z", "2026-11-23T08:00:00Z"),
    )
    .unwrap();
    d.confirm_verbal(&ao(), t("2026-11-22T20:00:00Z")).unwrap();
    d.start(t("2026-11-24T09:00:00Z"), &[approved_watchlist()])
        .unwrap();
    assert!(recognition_requires_active_authorisation(&d, t("2026-11-24T10:00:00Z")).is_ok());
}

#[test]
fn verbal_confirmation_deadline_is_bounded() {
    let mut d = deployment();
    let r = d
        .authorise(
            &ao(),
            verbal("2026-11-22T08:00:00Z", "2026-11-26T08:00:00Z"),
        )
        .unwrap_err();
    assert_eq!(r.rule, Rule::VerbalConfirmationDeadlineIsReasonable);
}

#[test]
fn blue_watchlist_images_need_consent_rule() {
    let c = Consent {
        form_reference: "CF-1".into(),
        signed_on: "2026-11-20".into(),
        recorded_by: "PC 1".into(),
    };
    assert_eq!(
        blue_watchlist_images_need_consent(WatchlistKind::Blue, None)
            .unwrap_err()
            .rule,
        Rule::BlueWatchlistImagesNeedConsent
    );
    assert!(blue_watchlist_images_need_consent(WatchlistKind::Blue, Some(&c)).is_ok());
    let blank = Consent {
        form_reference: " ".into(),
        ..c
    };
    assert!(blue_watchlist_images_need_consent(WatchlistKind::Blue, Some(&blank)).is_err());
    assert!(blue_watchlist_images_need_consent(WatchlistKind::Standard, None).is_ok());
}

#[test]
fn only_silver_commander_or_above_suspends_or_terminates_rule() {
    let now = t("2026-11-22T10:00:00Z");
    let mut d = authorised();
    d.start(now, &[approved_watchlist()]).unwrap();
    for u in [
        ao(),
        user(8, &[Role::Operator], Rank::Constable, false),
        user(9, &[Role::Administrator], Rank::Staff, false),
    ] {
        assert_eq!(
            d.suspend(&u).unwrap_err().rule,
            Rule::OnlySilverCommanderOrAboveSuspendsOrTerminates
        );
        assert_eq!(
            d.terminate(&u, now).unwrap_err().rule,
            Rule::OnlySilverCommanderOrAboveSuspendsOrTerminates
        );
    }
    assert_eq!(d.state, DeploymentState::Active);
    let gold = user(10, &[Role::GoldCommander], Rank::ChiefSuperintendent, false);
    d.suspend(&gold).unwrap();
    d.terminate(&silver(), now).unwrap();
    assert_eq!(d.state, DeploymentState::Terminated);
    assert_eq!(d.ended_at, Some(now));
}

#[test]
fn role_table_refuses_and_says_which_role_is_needed() {
    let op = user(8, &[Role::Operator], Rank::Constable, false);
    let r = role_permits(&op, Action::Authorise).unwrap_err();
    assert!(r.message.contains("authorising_officer"), "{r}");
    assert!(role_permits(&op, Action::Adjudicate).is_ok());
    let mut gone = op.clone();
    gone.active = false;
    assert!(role_permits(&gone, Action::Adjudicate).is_err());
    // Every action has at least one role that may take it.
    for a in Action::ALL {
        assert!(!a.allowed_roles().is_empty(), "{a}");
    }
}

#[test]
fn retention_deadlines_hold_at_24_hours_and_31_days_under_a_moved_clock() {
    let p = RetentionPolicy::default();
    let clock = SimulatedClock::at("2026-11-22T10:00:00Z");
    let alert_at = clock.now();
    let due = alert_personal_data_deadline(alert_at, &p);
    clock.advance(SignedDuration::from_hours(24) - SignedDuration::from_secs(1));
    assert!(clock.now() < due, "not yet due just before 24 hours");
    clock.advance(SignedDuration::from_secs(1));
    assert!(clock.now() >= due, "due at 24 hours");
    let recorded = t("2026-11-01T00:00:00Z");
    assert_eq!(footage_deadline(recorded, &p), t("2026-12-02T00:00:00Z"));
    assert_eq!(
        watchlist_data_deadline(t("2026-11-22T18:00:00Z"), &p),
        t("2026-11-23T18:00:00Z")
    );
}

#[test]
fn deployment_record_is_due_within_31_days_and_listed_when_overdue() {
    let clock = SimulatedClock::at("2026-11-22T10:00:00Z");
    let mut d = authorised();
    d.start(clock.now(), &[approved_watchlist()]).unwrap();
    clock.advance(SignedDuration::from_hours(6));
    d.conclude(clock.now()).unwrap();
    let cancel = |d: &Deployment, now| {
        d.outstanding(now)
            .into_iter()
            .find(|o| o.what.contains("cancellation"))
            .unwrap()
    };
    assert!(
        !cancel(&d, clock.now()).overdue,
        "due, not yet overdue, at the end"
    );
    assert!(
        cancel(
            &d,
            clock
                .now()
                .checked_add(SignedDuration::from_hours(25))
                .unwrap()
        )
        .overdue
    );
    let rec = |d: &Deployment, now| {
        d.outstanding(now)
            .into_iter()
            .find(|o| o.what.contains("record"))
            .unwrap()
    };
    assert!(!rec(&d, clock.now()).overdue);
    clock.advance(SignedDuration::from_hours(31 * 24 + 1));
    assert!(rec(&d, clock.now()).overdue);
    d.cancel_authority(&ao(), clock.now()).unwrap();
    d.submit_record(clock.now()).unwrap();
    assert!(
        d.outstanding(clock.now()).is_empty(),
        "{:?}",
        d.outstanding(clock.now())
    );
}

#[test]
fn reviews_are_due_at_the_planned_interval() {
    let clock = SimulatedClock::at("2026-11-22T10:00:00Z");
    let mut d = authorised();
    d.start(clock.now(), &[approved_watchlist()]).unwrap();
    assert_eq!(next_review_due(&d), Some(t("2026-11-22T12:00:00Z")));
    clock.advance(SignedDuration::from_mins(121));
    assert!(
        d.outstanding(clock.now())
            .iter()
            .any(|o| o.what == "review" && o.overdue)
    );
    d.last_review_at = Some(clock.now());
    assert!(d.outstanding(clock.now()).is_empty());
}

#[test]
fn authority_is_cancelled_only_after_the_deployment_ends() {
    let now = t("2026-11-22T10:00:00Z");
    let mut d = authorised();
    d.start(now, &[approved_watchlist()]).unwrap();
    assert!(d.cancel_authority(&ao(), now).is_err());
    d.conclude(now).unwrap();
    d.cancel_authority(&ao(), now).unwrap();
    assert!(
        d.start(now, &[approved_watchlist()]).is_err(),
        "no restart after the end"
    );
}

#[test]
fn the_ao_withdraws_authority_from_a_running_deployment_with_a_reason() {
    let now = t("2026-11-22T10:00:00Z");
    let mut d = authorised();
    d.start(now, &[approved_watchlist()]).unwrap();
    assert_eq!(
        d.withdraw_authority(&ao(), " ", now).unwrap_err().rule,
        Rule::WithdrawalHasReason
    );
    d.withdraw_authority(&ao(), "intelligence no longer supports it", now)
        .unwrap();
    assert_eq!(d.state, DeploymentState::Terminated);
    assert_eq!(d.authority.as_ref().unwrap().cancelled_at, Some(now));
    assert!(
        recognition_requires_active_authorisation(&d, now).is_err(),
        "no recognition once withdrawn"
    );
    assert!(d.withdraw_authority(&ao(), "again", now).is_err());
    assert!(
        d.start(now, &[approved_watchlist()]).is_err(),
        "no restart after a withdrawal"
    );
}

fn alert() -> Alert {
    Alert {
        id: AlertId(1),
        deployment: DeploymentId(1),
        inclusion: InclusionId(1),
        candidate_image: ImageId(1),
        camera: "cam1".into(),
        at: t("2026-11-22T10:00:00Z"),
        score: 0.7,
        threshold: 0.64,
        recognition_ms: 200,
        adjudication: None,
        engagement: None,
        policing_outcome: None,
        repeat_of: None,
        purged_at: None,
        source: None,
        sightings: vec![],
    }
}

fn decided<T>(v: T) -> Option<Decision<T>> {
    Some(Decision {
        value: v,
        by: UserId(1),
        at: t("2026-11-22T10:01:00Z"),
        note: String::new(),
    })
}

#[test]
fn adjudication_engagement_and_outcome_come_in_order_once() {
    let mut a = alert();
    assert_eq!(
        engagement_follows_passed_alert(&a).unwrap_err().rule,
        Rule::EngagementFollowsPassedAlert
    );
    assert!(adjudication_is_final(&a).is_ok());
    a.adjudication = decided(crate::alert::Adjudication::FalseAlertNoEngagement);
    assert!(adjudication_is_final(&a).is_err());
    assert!(engagement_follows_passed_alert(&a).is_err());
    a.adjudication = decided(crate::alert::Adjudication::PassedForEngagement);
    assert!(engagement_follows_passed_alert(&a).is_ok());
    assert!(policing_outcome_follows_engagement(&a).is_err());
    a.engagement = decided(EngagementOutcome::ConfirmedTrue);
    assert!(engagement_follows_passed_alert(&a).is_err());
    assert!(policing_outcome_follows_engagement(&a).is_ok());
    a.policing_outcome = decided(PolicingOutcome::Arrest);
    assert!(policing_outcome_follows_engagement(&a).is_err());
}

/// A repeat counts as the alert it repeats: a true one stays true, and it
/// carries no second policing outcome. The rule holds the order, the
/// subject and the decision of the alert repeated.
#[test]
fn a_repeat_counts_as_the_alert_it_repeats() {
    use crate::alert::{Adjudication, AlertClass};
    use crate::metrics::{Counts, Metrics};
    let mut first = alert();
    first.adjudication = decided(Adjudication::PassedForEngagement);
    let mut again = alert();
    again.id = AlertId(2);
    again.at = t("2026-11-22T10:05:00Z");
    let rule = |a: &Alert, o: &Alert| repeat_of_a_dealt_with_alert(a, o).map_err(|r| r.rule);
    let refused = Err(Rule::RepeatOfADealtWithAlert);
    assert_eq!(
        rule(&again, &first),
        refused,
        "awaiting engagement is not dealt with"
    );
    first.engagement = decided(EngagementOutcome::ConfirmedTrue);
    first.policing_outcome = decided(PolicingOutcome::Arrest);
    assert_eq!(rule(&again, &first), Ok(()));
    assert_eq!(
        rule(&first, &again),
        refused,
        "a repeat follows what it repeats"
    );
    let mut other = again.clone();
    other.inclusion = InclusionId(2);
    assert_eq!(rule(&other, &first), refused, "another subject");
    again.adjudication = decided(Adjudication::Repeat);
    again.repeat_of = Some(first.id);
    assert_eq!(again.class(), AlertClass::Repeat);
    let mut third = alert();
    third.id = AlertId(3);
    third.at = t("2026-11-22T10:09:00Z");
    assert_eq!(rule(&third, &again), refused, "a repeat of a repeat");
    let m = Metrics::compute(&[first, again], &Counts::default());
    assert_eq!((m.alerts, m.true_alerts_confirmed, m.repeats), (2, 2, 1));
    assert_eq!(
        m.policing_outcomes.get("arrest"),
        Some(&1),
        "no second arrest"
    );
}

#[test]
fn metrics_follow_the_app_definitions() {
    use crate::metrics::{Counts, Metrics};
    let mut alerts = Vec::new();
    let mut a = alert();
    a.adjudication = decided(crate::alert::Adjudication::FalseAlertNoEngagement);
    alerts.push(a.clone());
    a.adjudication = decided(crate::alert::Adjudication::PassedForEngagement);
    a.engagement = decided(EngagementOutcome::ConfirmedFalse);
    a.recognition_ms = 400;
    alerts.push(a.clone());
    a.engagement = decided(EngagementOutcome::ConfirmedTrue);
    a.policing_outcome = decided(PolicingOutcome::Arrest);
    a.recognition_ms = 100;
    alerts.push(a.clone());
    let counts = Counts {
        faces_scanned: 10_000,
        dropped_frames: 3,
        people_passing: Some(4_000),
        blue_passes: 10,
        blue_passes_alerted: 8,
    };
    let m = Metrics::compute(&alerts, &counts);
    assert_eq!(
        (
            m.alerts,
            m.false_alerts_unconfirmed,
            m.false_alerts_confirmed,
            m.true_alerts_confirmed
        ),
        (3, 1, 1, 1)
    );
    assert_eq!(m.system_false_alert_rate, Some(2.0 / 10_000.0));
    assert_eq!(m.system_false_alert_rate_per_person, Some(2.0 / 4_000.0));
    assert_eq!(m.operational_false_alert_rate, Some(1.0 / 10_000.0));
    assert_eq!(m.true_recognition_rate, Some(0.8));
    assert_eq!(m.blue_passes_recognised, 8);
    let (lo, hi) = m.true_recognition_rate_ci.unwrap();
    // Wilson's interval for 8 of 10: 0.490 to 0.943.
    assert!(
        (lo - 0.490).abs() < 0.001 && (hi - 0.943).abs() < 0.001,
        "{lo} {hi}"
    );
    assert_eq!(m.recognition_ms.as_ref().unwrap().p50, 200);
    assert_eq!(m.recognition_ms.as_ref().unwrap().max, 400);
    assert_eq!(m.policing_outcomes.get("arrest"), Some(&1));
    assert_eq!(
        Metrics::compute(&[], &Counts::default()).system_false_alert_rate,
        None
    );
    // Counts the cameras have not yet written join the totals, and the rates
    // over faces follow them.
    let mut live = m.clone();
    live.add_unrecorded(10_000, 7);
    assert_eq!((live.faces_scanned, live.dropped_frames), (20_000, 10));
    assert_eq!(live.system_false_alert_rate, Some(2.0 / 20_000.0));
    assert_eq!(live.operational_false_alert_rate, Some(1.0 / 20_000.0));
    assert_eq!(live.system_false_alert_rate_per_person, Some(2.0 / 4_000.0));
}

#[test]
fn incomplete_applications_are_refused_naming_the_gaps() {
    let mut a = deployment().application;
    a.necessity = " ".into();
    a.safeguards = String::new();
    let r = application_is_complete(&a).unwrap_err();
    assert!(
        r.message.contains("necessity") && r.message.contains("safeguards"),
        "{r}"
    );
}

#[test]
fn reference_images_graded_poor_are_never_enrolled() {
    let reasons = vec!["no face found".to_string()];
    let r = reference_image_is_usable(QualityGrade::Poor, &reasons).unwrap_err();
    assert_eq!(r.rule, Rule::ReferenceImageIsUsable);
    assert!(r.message.contains("no face found"));
    assert!(reference_image_is_usable(QualityGrade::Acceptable, &[]).is_ok());
    assert!(reference_image_is_usable(QualityGrade::Good, &[]).is_ok());
}

#[test]
fn the_recognition_model_changes_only_while_no_camera_recognises_with_it() {
    use crate::deployment::RecognitionModel;
    let other = RecognitionModel {
        model: "arc".into(),
        algorithm: "yunet-n-dynamic/align-arc-v1/arc-1".into(),
        calibration: None,
    };
    let mut d = deployment();
    assert_eq!(d.recognition, RecognitionModel::default());
    for (state, ok) in [
        (DeploymentState::Applied, true),
        (DeploymentState::Authorised, true),
        (DeploymentState::Suspended, true),
        (DeploymentState::Active, false),
        (DeploymentState::Concluded, false),
        (DeploymentState::Terminated, false),
    ] {
        d.state = state;
        let r = d.clone().set_recognition(other.clone());
        assert_eq!(r.is_ok(), ok, "{state}");
        if let Err(r) = r {
            assert_eq!(r.rule, Rule::AlgorithmChangesOnlyWhileNotRunning);
        }
    }
    assert!(role_permits(&silver(), Action::ChangeAlgorithm).is_ok());
    assert!(role_permits(&ao(), Action::ChangeAlgorithm).is_err());
    let r = templates_match_the_deployment_algorithm(&d, &other.algorithm).unwrap_err();
    assert!(r.message.contains("set-algorithm"), "{r}");
    assert!(
        templates_match_the_deployment_algorithm(&d, RecognitionModel::BUILTIN_ALGORITHM).is_ok()
    );
}

#[test]
fn a_restricted_model_needs_a_licence_reference() {
    let research = Some("non-commercial research only");
    assert!(model_licensed_for_operational_use("sface", None, None).is_ok());
    let r = model_licensed_for_operational_use("w600k-mbf", research, None).unwrap_err();
    assert_eq!(r.rule, Rule::ModelLicensedForOperationalUse);
    assert!(r.message.contains("--licence"), "{r}");
    assert!(r.message.contains("research only"), "{r}");
    assert!(model_licensed_for_operational_use("w600k-mbf", research, Some("  ")).is_err());
    assert!(
        model_licensed_for_operational_use("w600k-mbf", research, Some("InsightFace L-2026-17"))
            .is_ok()
    );
}

#[test]
fn a_model_whose_calibration_is_not_shown_to_hold_needs_a_reason() {
    use crate::calibration::CalibrationCheck;
    let on = "LFW people N-Z".to_string();
    let holds = CalibrationCheck::Holds {
        of: 45,
        on: on.clone(),
    };
    let fails = CalibrationCheck::Fails {
        held: 35,
        of: 45,
        on,
        not_held: vec!["single image at 1e-4: measured 1.3e-4".into()],
    };
    let unchecked = CalibrationCheck::NotChecked;
    assert!(model_calibration_holds("sface", &holds, None).is_ok());
    for (check, says) in [(&fails, "35 of 45"), (&unchecked, "not been checked")] {
        let r = model_calibration_holds("omz", check, None).unwrap_err();
        assert_eq!(r.rule, Rule::ModelCalibrationHolds);
        assert!(r.message.contains(says), "{r}");
        assert!(r.message.contains("--accept-calibration"), "{r}");
        assert!(model_calibration_holds("omz", check, Some(" \t")).is_err());
        assert!(model_calibration_holds("omz", check, Some("force's own check, ref 12")).is_ok());
    }
    assert!(
        model_calibration_holds("omz", &fails, None)
            .unwrap_err()
            .message
            .contains("measured 1.3e-4")
    );
}

/// Properties over many generated cases: the rules' boundaries, and the
/// lifecycle's invariants under any sequence of steps at any times.
mod properties {
    use super::*;
    use proptest::prelude::*;

    const DAY: i64 = 86_400;

    proptest! {
        #[test]
        fn an_authority_is_allowed_exactly_when_it_ends_after_it_starts_within_seven_days(
            from in 0i64..(3 * 365 * DAY), span in -(10 * DAY)..(10 * DAY)
        ) {
            let base: Timestamp = t("2026-01-01T00:00:00Z");
            let f = base.checked_add(SignedDuration::from_secs(from)).unwrap();
            let u = f.checked_add(SignedDuration::from_secs(span)).unwrap();
            let ok = authority_at_most_seven_days(f, u).is_ok();
            prop_assert_eq!(ok, span > 0 && span <= 7 * DAY);
        }

        #[test]
        fn thresholds_hold_exactly_within_their_bounds(
            minimum in prop_oneof![Just(f64::NAN), Just(f64::INFINITY), -1.0f64..2.0],
            threshold in prop_oneof![Just(f64::NAN), Just(f64::NEG_INFINITY), -1.0f64..2.0],
        ) {
            let floor_ok = minimum_threshold_not_below_system_floor(minimum).is_ok();
            prop_assert_eq!(floor_ok, minimum.is_finite() && (SYSTEM_FLOOR..=1.0).contains(&minimum));
            let mut a = written("2026-11-22T08:00:00Z", "2026-11-23T08:00:00Z");
            a.minimum_threshold = minimum;
            let ok = threshold_not_below_authorised_minimum(threshold, &a).is_ok();
            prop_assert_eq!(ok, threshold.is_finite() && threshold >= minimum && threshold <= 1.0);
        }

        #[test]
        fn deadlines_are_their_period_after_the_event(secs in 0i64..(5 * 365 * DAY)) {
            let p = crate::retention::RetentionPolicy::default();
            let at = t("2026-01-01T00:00:00Z").checked_add(SignedDuration::from_secs(secs)).unwrap();
            prop_assert_eq!(alert_personal_data_deadline(at, &p).duration_since(at), p.alert_personal_data);
            prop_assert_eq!(watchlist_data_deadline(at, &p).duration_since(at), p.watchlist_after_end);
            prop_assert_eq!(footage_deadline(at, &p).duration_since(at), p.footage);
        }

        /// Whatever is asked, in whatever order and at whatever time: a
        /// refused step changes nothing; recognition runs only under
        /// authority; an ended deployment stays ended at its first end; a
        /// cancelled authority and a submitted record come only after the end.
        #[test]
        fn the_lifecycle_keeps_its_invariants_under_any_sequence_of_steps(
            steps in proptest::collection::vec((0u8..9, 0i64..(3 * DAY), 1i64..(9 * DAY)), 1..24)
        ) {
            let mut d = deployment();
            let mut now = t("2026-11-22T07:00:00Z");
            let mut first_end: Option<Timestamp> = None;
            let wl = [approved_watchlist()];
            for (step, wait, span) in steps {
                now = now.checked_add(SignedDuration::from_secs(wait)).unwrap();
                let before = d.clone();
                let result = match step {
                    0 => {
                        let until = now.checked_add(SignedDuration::from_secs(span)).unwrap();
                        let mut a = written("2026-11-22T07:00:00Z", "2026-11-22T08:00:00Z");
                        (a.granted_at, a.valid_from, a.valid_until) = (now, now, until);
                        d.authorise(&ao(), a)
                    }
                    1 => d.confirm_verbal(&ao(), now),
                    2 => d.start(now, &wl),
                    3 => d.suspend(&silver()),
                    4 => d.terminate(&silver(), now),
                    5 => d.conclude(now),
                    6 => d.withdraw_authority(&ao(), "a reason", now),
                    7 => d.cancel_authority(&ao(), now),
                    _ => d.submit_record(now),
                };
                if result.is_err() {
                    prop_assert_eq!(&d, &before, "a refused step changed the deployment");
                }
                if d.state == DeploymentState::Active {
                    let a = d.authority.as_ref();
                    prop_assert!(a.is_some_and(|a| a.cancelled_at.is_none()), "running without authority");
                }
                if d.state.is_ended() {
                    let end = d.ended_at.expect("an ended deployment has its end");
                    prop_assert_eq!(*first_end.get_or_insert(end), end, "the end moved");
                } else {
                    prop_assert!(first_end.is_none(), "an ended deployment ran again");
                    prop_assert!(d.record_submitted_at.is_none());
                    prop_assert!(d.authority.as_ref().is_none_or(|a| a.cancelled_at.is_none()));
                }
            }
        }
    }
}
