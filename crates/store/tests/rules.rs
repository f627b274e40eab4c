//! The APP's rules, enforced through the store, each with the refusal or
//! the effect, and each refusal audited.

mod common;

use common::*;
use lfr_domain::alert::{Adjudication, EngagementOutcome, PolicingOutcome};
use lfr_domain::deployment::DeploymentState;
use lfr_domain::enrol::ModelUse;
use lfr_domain::watchlist::{Consent, WatchlistKind};
use lfr_store::StoreError;
use lfr_store::audit::AuditFilter;

async fn last_refusal(w: &World, target: &str) -> String {
    let f = AuditFilter {
        target: Some(target.into()),
        refused_only: true,
        limit: 1,
        ..Default::default()
    };
    let e = w.store.audit_entries(&w.auditor, &f).await.unwrap();
    assert_eq!(e.len(), 1, "a refusal on {target} should be audited");
    e[0].event.detail.clone()
}

#[tokio::test]
async fn no_recognition_without_an_active_authorisation() {
    let w = World::new().await;
    let (d, _) = w.authorised().await;
    // Authorised but not started: no templates for the pipeline, no alerts.
    assert_eq!(
        rule(
            w.store
                .gallery(&w.operator, d, TEST_ALGORITHM)
                .await
                .unwrap_err()
        ),
        "recognition_requires_active_authorisation"
    );
    w.store.start(&w.silver, d).await.unwrap();
    let g = w
        .store
        .gallery(&w.operator, d, TEST_ALGORITHM)
        .await
        .unwrap();
    assert_eq!(g.len(), 2);
    let img = g[0].image;
    w.store
        .raise_alert(&w.session(d).await, w.new_alert(img, 0.7))
        .await
        .unwrap();
    w.store
        .suspend(&w.silver, d, "crowd too dense")
        .await
        .unwrap();
    assert_eq!(
        rule(
            w.store
                .raise_alert(&w.session(d).await, w.new_alert(img, 0.7))
                .await
                .unwrap_err()
        ),
        "recognition_requires_active_authorisation"
    );
    assert!(
        last_refusal(&w, &format!("D{d}"))
            .await
            .contains("recognition_requires_active_authorisation")
    );
    // The authority runs out while active: refused though nobody pressed stop.
    w.store.start(&w.silver, d).await.unwrap();
    w.clock.advance(hours(25));
    assert_eq!(
        rule(
            w.store
                .raise_alert(&w.session(d).await, w.new_alert(img, 0.7))
                .await
                .unwrap_err()
        ),
        "recognition_requires_active_authorisation"
    );
}

#[tokio::test]
async fn no_threshold_below_the_authorised_minimum() {
    let w = World::new().await;
    let (d, img) = w.running().await;
    let mut a = w.new_alert(img, 0.7);
    a.threshold = 0.6;
    assert_eq!(
        rule(
            w.store
                .raise_alert(&w.session(d).await, a)
                .await
                .unwrap_err()
        ),
        "threshold_not_below_authorised_minimum"
    );
    // A score under the threshold is not an alert at all.
    assert_eq!(
        rule(
            w.store
                .raise_alert(&w.session(d).await, w.new_alert(img, 0.63))
                .await
                .unwrap_err()
        ),
        "alert_at_or_above_threshold"
    );
    assert!(w.store.alerts(&w.operator, d).await.unwrap().is_empty());
    // An AO cannot authorise a minimum below the system floor either.
    let d2 = w.store.apply(&w.silver, w.application()).await.unwrap().id;
    let mut g = w.grant();
    g.minimum_threshold = 0.4;
    assert_eq!(
        rule(w.store.authorise(&w.ao, d2, g).await.unwrap_err()),
        "minimum_threshold_not_below_system_floor"
    );
}

#[tokio::test]
async fn no_authority_longer_than_seven_days() {
    let w = World::new().await;
    let d = w.store.apply(&w.silver, w.application()).await.unwrap().id;
    let mut g = w.grant();
    g.valid_until = w.now().checked_add(hours(7 * 24 + 1)).ok();
    assert_eq!(
        rule(w.store.authorise(&w.ao, d, g).await.unwrap_err()),
        "authority_at_most_seven_days"
    );
    assert_eq!(
        w.store.deployment(&w.silver, d).await.unwrap().state,
        DeploymentState::Applied
    );
    assert!(last_refusal(&w, &format!("D{d}")).await.contains("7 days"));
}

#[tokio::test]
async fn no_deployment_with_an_unreviewed_watchlist() {
    let w = World::new().await;
    let d = w.store.apply(&w.silver, w.application()).await.unwrap().id;
    w.store.authorise(&w.ao, d, w.grant()).await.unwrap();
    assert_eq!(
        rule(w.store.start(&w.silver, d).await.unwrap_err()),
        "watchlists_reviewed_before_deployment"
    );
    let wl = w
        .store
        .create_watchlist(&w.silver, d, WatchlistKind::Standard, "wl")
        .await
        .unwrap()
        .id;
    w.store
        .commit_import(&w.silver, wl, &[entry("S1", "Person One")])
        .await
        .unwrap();
    assert_eq!(
        rule(w.store.start(&w.silver, d).await.unwrap_err()),
        "watchlists_reviewed_before_deployment"
    );
    w.store.approve_watchlist(&w.ao, wl, "ok").await.unwrap();
    // A change after approval needs a new review.
    w.store
        .commit_import(&w.silver, wl, &[entry("S2", "Person Two")])
        .await
        .unwrap();
    assert_eq!(
        rule(w.store.start(&w.silver, d).await.unwrap_err()),
        "watchlists_reviewed_before_deployment"
    );
    w.store
        .approve_watchlist(&w.ao, wl, "ok again")
        .await
        .unwrap();
    assert_eq!(
        w.store.start(&w.silver, d).await.unwrap().state,
        DeploymentState::Active
    );
}

#[tokio::test]
async fn no_authorising_officer_below_superintendent() {
    let w = World::new().await;
    let d = w.store.apply(&w.silver, w.application()).await.unwrap().id;
    assert_eq!(
        rule(
            w.store
                .authorise(&w.inspector_ao, d, w.grant())
                .await
                .unwrap_err()
        ),
        "authorising_officer_is_superintendent_or_above"
    );
    assert!(
        last_refusal(&w, &format!("D{d}"))
            .await
            .contains("inspector")
    );
    // Nor may an inspector approve a watchlist.
    let wl = w
        .store
        .create_watchlist(&w.silver, d, WatchlistKind::Standard, "wl")
        .await
        .unwrap()
        .id;
    w.store
        .commit_import(&w.silver, wl, &[entry("S1", "Person One")])
        .await
        .unwrap();
    assert_eq!(
        rule(
            w.store
                .approve_watchlist(&w.inspector_ao, wl, "ok")
                .await
                .unwrap_err()
        ),
        "authorising_officer_is_superintendent_or_above"
    );
}

#[tokio::test]
async fn unconfirmed_verbal_authority_is_flagged_and_blocks_the_series() {
    let w = World::new().await;
    let d = w.store.apply(&w.silver, w.application()).await.unwrap().id;
    let mut g = w.grant();
    g.valid_until = w.now().checked_add(hours(72)).ok();
    g.verbal_confirm_by = Some(w.now().checked_add(hours(12)).unwrap());
    w.store.authorise(&w.ao, d, g).await.unwrap();
    let wl = w
        .store
        .create_watchlist(&w.silver, d, WatchlistKind::Standard, "wl")
        .await
        .unwrap()
        .id;
    w.store
        .commit_import(&w.silver, wl, &[entry("S1", "Person One")])
        .await
        .unwrap();
    w.store.approve_watchlist(&w.ao, wl, "ok").await.unwrap();
    w.store.start(&w.silver, d).await.unwrap();
    w.store
        .suspend(&w.silver, d, "end of day one")
        .await
        .unwrap();
    w.clock.advance(hours(13));
    let owed = w.store.outstanding(&w.silver).await.unwrap();
    assert!(
        owed.iter()
            .any(|(id, o)| *id == d && o.what.contains("verbal") && o.overdue),
        "{owed:?}"
    );
    assert_eq!(
        rule(w.store.start(&w.silver, d).await.unwrap_err()),
        "verbal_authority_confirmed_in_time"
    );
    assert_eq!(
        rule(w.store.confirm_verbal(&w.ao, d).await.unwrap_err()),
        "verbal_authority_confirmed_in_time"
    );
}

#[tokio::test]
async fn blue_watchlist_images_need_consent() {
    let w = World::new().await;
    let d = w.store.apply(&w.silver, w.application()).await.unwrap().id;
    let blue = w
        .store
        .create_watchlist(&w.silver, d, WatchlistKind::Blue, "volunteers")
        .await
        .unwrap()
        .id;
    let mut vol = entry("V1", "Volunteer One");
    vol.entry.category = lfr_domain::watchlist::Category::Volunteer;
    vol.entry.justification = "Blue Watchlist volunteer for TRR".into();
    assert_eq!(
        rule(
            w.store
                .commit_import(&w.silver, blue, &[vol.clone()])
                .await
                .unwrap_err()
        ),
        "blue_watchlist_images_need_consent"
    );
    vol.images = vec![image(Some(Consent {
        form_reference: "CF-7".into(),
        signed_on: "2026-11-20".into(),
        recorded_by: "PC 99".into(),
    }))];
    assert_eq!(
        w.store
            .commit_import(&w.silver, blue, &[vol])
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn only_the_silver_commander_or_above_suspends_or_terminates() {
    let w = World::new().await;
    let (d, _) = w.running().await;
    for u in [&w.operator, &w.ao, &w.admin, &w.engineer] {
        assert_eq!(
            rule(w.store.suspend(u, d, "x").await.unwrap_err()),
            "role_permits"
        );
        assert_eq!(
            rule(w.store.terminate(u, d, "x").await.unwrap_err()),
            "role_permits"
        );
    }
    assert!(
        last_refusal(&w, &format!("D{d}"))
            .await
            .contains("silver_commander")
    );
    assert_eq!(
        w.store
            .suspend(&w.gold, d, "gold's call")
            .await
            .unwrap()
            .state,
        DeploymentState::Suspended
    );
    assert_eq!(
        w.store
            .terminate(&w.silver, d, "intelligence changed")
            .await
            .unwrap()
            .state,
        DeploymentState::Terminated
    );
}

#[tokio::test]
async fn lifecycle_through_to_the_deployment_record() {
    let w = World::new().await;
    let (d, img) = w.running().await;
    let a = w
        .store
        .raise_alert(&w.session(d).await, w.new_alert(img, 0.81))
        .await
        .unwrap();
    assert_eq!(
        rule(
            w.store
                .record_engagement(&w.engagement, a.id, EngagementOutcome::ConfirmedTrue, "")
                .await
                .unwrap_err()
        ),
        "engagement_follows_passed_alert"
    );
    assert_eq!(
        rule(
            w.store
                .adjudicate(&w.engagement, a.id, Adjudication::PassedForEngagement, "")
                .await
                .unwrap_err()
        ),
        "role_permits"
    );
    w.store
        .adjudicate(
            &w.operator,
            a.id,
            Adjudication::PassedForEngagement,
            "looks alike",
        )
        .await
        .unwrap();
    assert_eq!(
        rule(
            w.store
                .adjudicate(&w.operator, a.id, Adjudication::FalseAlertNoEngagement, "")
                .await
                .unwrap_err()
        ),
        "adjudication_is_final"
    );
    w.store
        .record_engagement(
            &w.engagement,
            a.id,
            EngagementOutcome::ConfirmedTrue,
            "identity confirmed",
        )
        .await
        .unwrap();
    w.store
        .record_policing_outcome(&w.engagement, a.id, PolicingOutcome::Arrest, "")
        .await
        .unwrap();
    w.clock.advance(hours(2));
    w.store
        .record_review(
            &w.silver,
            d,
            lfr_store::deployments::ReviewInput {
                legality: "lawful".into(),
                necessity: "still needed".into(),
                proportionality: "fine".into(),
                performance: "no false alerts".into(),
                engagements: "one arrest".into(),
                continue_deployment: true,
            },
        )
        .await
        .unwrap();
    w.store.conclude(&w.silver, d).await.unwrap();
    let owed = w.store.outstanding(&w.silver).await.unwrap();
    assert!(
        owed.iter()
            .any(|(_, o)| o.what.contains("record") && !o.overdue)
    );
    w.store.cancel_authority(&w.ao, d).await.unwrap();
    w.clock.advance(hours(24 * 32));
    assert!(
        w.store
            .outstanding(&w.silver)
            .await
            .unwrap()
            .iter()
            .any(|(_, o)| o.what.contains("record") && o.overdue)
    );
    w.store
        .submit_record(&w.silver, d, "record sent to Supt AO")
        .await
        .unwrap();
    assert!(w.store.outstanding(&w.silver).await.unwrap().is_empty());
    let m = w.store.metrics(&w.auditor, d).await.unwrap();
    assert_eq!((m.alerts, m.true_alerts_confirmed), (1, 1));
    let v = w.store.verify_audit(&w.auditor, None).await.unwrap();
    assert!(v.first_tampered.is_none() && v.entries > 20, "{v:?}");
}

#[tokio::test]
async fn every_action_is_by_role_and_refusals_are_audited() {
    let w = World::new().await;
    assert_eq!(
        rule(
            w.store
                .apply(&w.operator, w.application())
                .await
                .unwrap_err()
        ),
        "role_permits"
    );
    assert_eq!(
        rule(w.store.verify_audit(&w.operator, None).await.unwrap_err()),
        "role_permits"
    );
    assert_eq!(
        rule(w.store.run_retention(&w.operator).await.unwrap_err()),
        "role_permits"
    );
    let refused = w
        .store
        .audit_entries(
            &w.auditor,
            &AuditFilter {
                actor: Some("operator".into()),
                refused_only: true,
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(refused.len(), 3);
    // An unknown token is refused and audited too.
    assert!(matches!(
        w.store.authenticate("lfr_not-a-token").await,
        Err(StoreError::Unauthenticated(_))
    ));
    // A second bootstrap is refused.
    assert!(w.store.bootstrap("mallory", "Mallory").await.is_err());
}

async fn last_entry_contains(w: &World, what: &str) -> bool {
    let entries = w
        .store
        .audit_entries(
            &w.auditor,
            &AuditFilter {
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    format!("{entries:?}").contains(what)
}

#[tokio::test]
async fn tokens_expire_after_their_lifetime_and_a_new_one_signs_in() {
    let w = World::new().await;
    let (_, tok) = w
        .add_user(
            "pc5678",
            lfr_domain::role::Role::Operator,
            lfr_domain::role::Rank::Constable,
        )
        .await;
    let life = lfr_domain::policy::TOKEN_LIFETIME;
    w.clock
        .advance(life - lfr_base::SignedDuration::from_secs(1));
    assert!(
        w.store.authenticate(&tok).await.is_ok(),
        "valid to its last second"
    );
    w.clock.advance(lfr_base::SignedDuration::from_secs(1));
    match w.store.authenticate(&tok).await {
        Err(StoreError::Unauthenticated(m)) => {
            assert!(
                m.contains("expired") && m.contains("lfr user token pc5678"),
                "{m}"
            )
        }
        other => panic!("an expired token signed in: {other:?}"),
    }
    // Every administrator's token has expired too: the key holder recovers one.
    assert!(
        w.store.recover_administrator("pc5678").await.is_err(),
        "only an administrator"
    );
    let admin = w.store.recover_administrator("admin").await.unwrap();
    assert!(w.store.authenticate(&admin).await.is_ok());
    assert!(last_entry_contains(&w, "user.recover").await);
    let fresh = w.store.reissue_token(&w.admin, "pc5678").await.unwrap();
    assert!(
        w.store.authenticate(&fresh).await.is_ok(),
        "a reissued token starts a new lifetime"
    );
}

#[tokio::test]
async fn tokens_sign_users_in_and_reissue_revokes() {
    let w = World::new().await;
    let (u, tok) = w
        .add_user(
            "pc1234",
            lfr_domain::role::Role::Operator,
            lfr_domain::role::Rank::Constable,
        )
        .await;
    assert_eq!(w.store.authenticate(&tok).await.unwrap().id, u.id);
    let new = w.store.reissue_token(&w.admin, "pc1234").await.unwrap();
    assert!(w.store.authenticate(&tok).await.is_err());
    assert_eq!(w.store.authenticate(&new).await.unwrap().username, "pc1234");
    w.store.set_active(&w.admin, "pc1234", false).await.unwrap();
    assert!(w.store.authenticate(&new).await.is_err());
}

#[tokio::test]
async fn templates_of_another_algorithm_are_not_released() {
    let w = World::new().await;
    let (d, _) = w.authorised().await;
    w.store.start(&w.silver, d).await.unwrap();
    let e = w
        .store
        .gallery(&w.operator, d, "another-detector+aligner+embedder-v2")
        .await
        .unwrap_err();
    assert_eq!(rule(e), "templates_match_the_algorithm");
    assert!(last_refusal(&w, &format!("D{d}")).await.contains("reenrol"));
    assert_eq!(
        w.store
            .gallery(&w.operator, d, TEST_ALGORITHM)
            .await
            .unwrap()
            .len(),
        2
    );
}

/// Makes templates of another algorithm; fails on images once `fail` is set.
#[derive(Default)]
struct OtherModel {
    fail: bool,
    /// Its licence forbids operational use.
    restricted: bool,
    /// Its calibration has no record of checks on unseen people.
    unchecked: bool,
}
const OTHER_ALGORITHM: &str = "yunet-n-dynamic/align-other-v1/other-1";
const OTHER_CALIBRATION: &str = "5ca1ab1e";
impl lfr_domain::enrol::Enroller for OtherModel {
    fn algorithm(&self) -> String {
        OTHER_ALGORITHM.into()
    }
    fn restriction(&self) -> Option<String> {
        self.restricted.then(|| "research only".into())
    }
    fn calibration(&self) -> Option<String> {
        Some(OTHER_CALIBRATION.into())
    }
    fn calibration_check(&self) -> lfr_domain::enrol::CalibrationCheck {
        match self.unchecked {
            true => lfr_domain::enrol::CalibrationCheck::NotChecked,
            false => lfr_domain::enrol::CalibrationCheck::Holds {
                of: 45,
                on: "LFW people N-Z".into(),
            },
        }
    }
    fn enrol(&self, _: &[u8]) -> Result<lfr_domain::enrol::Enrolment, String> {
        if self.fail {
            return Err("no face found".into());
        }
        Ok(lfr_domain::enrol::Enrolment {
            grade: lfr_domain::watchlist::QualityGrade::Good,
            reasons: vec![],
            template: Some(lfr_domain::watchlist::Template {
                algorithm: OTHER_ALGORITHM.into(),
                vector: vec![0.5; 4],
            }),
        })
    }
}

/// Asks `who` to switch D to `model` and expects the refusal of `rule_name`,
/// audited with a message that `says`, and the deployment's model unchanged.
async fn model_change_refused(
    w: &World,
    who: &lfr_domain::role::User,
    d: lfr_domain::ids::DeploymentId,
    (model, uses): (&OtherModel, ModelUse<'_>),
    rule_name: &str,
    says: &str,
) {
    let before = w.store.deployment(&w.silver, d).await.unwrap().recognition;
    let e = w
        .store
        .set_recognition(who, d, "other", model, uses)
        .await
        .unwrap_err();
    assert_eq!(rule(e), rule_name);
    let refusal = last_refusal(w, &format!("D{d}")).await;
    assert!(refusal.contains(says), "{refusal}");
    let after = w.store.deployment(&w.silver, d).await.unwrap().recognition;
    assert_eq!(after, before);
}

fn licensed(reference: &str) -> ModelUse<'_> {
    ModelUse {
        licence: Some(reference),
        ..Default::default()
    }
}

/// A threshold names a false match rate only through the calibration: a
/// model whose calibration was never checked on unseen people becomes the
/// deployment's model only with a reason, which the audit log keeps.
#[tokio::test]
async fn a_model_whose_calibration_is_not_shown_to_hold_needs_a_recorded_reason() {
    let w = World::new().await;
    let (d, _) = w.authorised().await;
    let unchecked = OtherModel {
        unchecked: true,
        ..Default::default()
    };
    for blank in [None, Some("  ")] {
        let uses = ModelUse {
            calibration: blank,
            ..Default::default()
        };
        let (rule_name, says) = ("model_calibration_holds", "--accept-calibration");
        model_change_refused(&w, &w.silver, d, (&unchecked, uses), rule_name, says).await;
    }

    let why = "checked on the force's own custody images, report CI-2026-04";
    let uses = ModelUse {
        calibration: Some(why),
        ..Default::default()
    };
    let (dep, _) = w
        .store
        .set_recognition(&w.silver, d, "other", &unchecked, uses)
        .await
        .unwrap();
    assert_eq!(dep.recognition.algorithm, OTHER_ALGORITHM);
    let f = AuditFilter {
        target: Some(format!("D{d}")),
        limit: 1,
        ..Default::default()
    };
    let e = w.store.audit_entries(&w.auditor, &f).await.unwrap();
    let detail = &e[0].event.detail;
    assert!(
        detail.contains("not checked on people it was not fitted on") && detail.contains(why),
        "{detail}"
    );
}

/// Whoever applies (the CLI, the console), the store refuses a new
/// deployment a model the model rules refuse, and audits the refusal.
#[tokio::test]
async fn an_application_is_refused_a_model_the_model_rules_refuse() {
    use lfr_domain::calibration::{CalibrationCheck, NewDeploymentModel};
    use lfr_domain::deployment::RecognitionModel;
    let mut w = World::new().await;
    let other = RecognitionModel {
        model: "other".into(),
        algorithm: OTHER_ALGORITHM.into(),
        calibration: Some(OTHER_CALIBRATION.into()),
    };
    let fails = CalibrationCheck::Fails {
        held: 35,
        of: 45,
        on: "LFW people N-Z".into(),
        not_held: vec!["single image 1v1 at score 0.40: measured 1.3e-4".into()],
    };
    for (restriction, check, rule_name) in [
        (None, Some(fails.clone()), "model_calibration_holds"),
        (
            None,
            Some(CalibrationCheck::NotChecked),
            "model_calibration_holds",
        ),
        // Only the store's own default may come without a record.
        (None, None, "model_calibration_holds"),
        (
            Some("research only".to_string()),
            Some(CalibrationCheck::Holds {
                of: 45,
                on: "LFW people N-Z".into(),
            }),
            "model_licensed_for_operational_use",
        ),
    ] {
        w.store.set_new_deployment_model(NewDeploymentModel {
            recognition: other.clone(),
            restriction,
            check,
        });
        let e = w.store.apply(&w.silver, w.application()).await.unwrap_err();
        assert_eq!(rule(e), rule_name);
    }
    let f = AuditFilter {
        refused_only: true,
        limit: 1,
        ..Default::default()
    };
    let last = w.store.audit_entries(&w.auditor, &f).await.unwrap();
    assert!(last[0].event.detail.contains("--licence"), "{last:?}");
    w.store.set_new_deployment_model(NewDeploymentModel {
        recognition: other.clone(),
        restriction: None,
        check: Some(CalibrationCheck::Holds {
            of: 45,
            on: "LFW people N-Z".into(),
        }),
    });
    let d = w.store.apply(&w.silver, w.application()).await.unwrap();
    assert_eq!(d.recognition, other);
}

/// The calibration recorded with the model is the one recognition must run
/// with: another would change what the authorised threshold means.
#[tokio::test]
async fn recognition_runs_only_with_the_recorded_calibration() {
    let w = World::new().await;
    let (d, _) = w.authorised().await;
    let other = OtherModel::default();
    w.store
        .set_recognition(&w.silver, d, "other", &other, ModelUse::default())
        .await
        .unwrap();
    let dep = w.store.deployment(&w.silver, d).await.unwrap();
    assert_eq!(
        dep.recognition.calibration.as_deref(),
        Some(OTHER_CALIBRATION)
    );
    let e = w
        .store
        .open_recognition_session(&w.operator, d, OTHER_ALGORITHM, "0ddba11")
        .await
        .unwrap_err();
    assert_eq!(rule(e), "calibration_as_recorded");
    assert!(
        last_refusal(&w, &format!("D{d}"))
            .await
            .contains("set-algorithm")
    );
    w.store
        .open_recognition_session(&w.operator, d, OTHER_ALGORITHM, OTHER_CALIBRATION)
        .await
        .unwrap();
}

#[tokio::test]
async fn changing_the_recognition_model_reenrols_every_watchlist_or_nothing() {
    let w = World::new().await;
    let (d, wl) = w.authorised().await;
    w.store.start(&w.silver, d).await.unwrap();
    let ok = OtherModel::default();
    // Not while cameras may recognise with the old model, and not by an operator.
    let running = "algorithm_changes_only_while_not_running";
    let uses = ModelUse::default();
    model_change_refused(&w, &w.silver, d, (&ok, uses), running, "suspends it").await;
    let e = w
        .store
        .set_recognition(&w.operator, d, "other", &ok, ModelUse::default())
        .await;
    assert_eq!(rule(e.unwrap_err()), "role_permits");
    w.store
        .suspend(&w.silver, d, "changing the model")
        .await
        .unwrap();
    // A failing image leaves everything as it was.
    let e = w
        .store
        .set_recognition(
            &w.silver,
            d,
            "other",
            &OtherModel {
                fail: true,
                ..Default::default()
            },
            ModelUse::default(),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("nothing was changed"), "{e}");
    let dep = w.store.deployment(&w.silver, d).await.unwrap();
    assert_eq!(dep.recognition.algorithm, TEST_ALGORITHM);

    // A model whose licence forbids operational use needs a licence reference.
    let research = OtherModel {
        restricted: true,
        ..Default::default()
    };
    let licence = "model_licensed_for_operational_use";
    let uses = ModelUse::default();
    model_change_refused(&w, &w.silver, d, (&research, uses), licence, "--licence").await;

    let (dep, n) = w
        .store
        .set_recognition(
            &w.silver,
            d,
            "other",
            &research,
            licensed("vendor licence 17"),
        )
        .await
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(
        (
            dep.recognition.model.as_str(),
            dep.recognition.algorithm.as_str()
        ),
        ("other", OTHER_ALGORITHM)
    );
    assert_eq!(
        w.store.deployment(&w.silver, d).await.unwrap().recognition,
        dep.recognition
    );
    // The watchlist stays approved (who is on it did not change) and its
    // templates are all of the new algorithm; the old one is refused.
    w.store.start(&w.silver, d).await.unwrap();
    let e = w
        .store
        .gallery(&w.operator, d, TEST_ALGORITHM)
        .await
        .unwrap_err();
    assert_eq!(rule(e), "templates_match_the_algorithm");
    assert!(
        last_refusal(&w, &format!("D{d}"))
            .await
            .contains("re-enrol")
    );
    let g = w
        .store
        .gallery(&w.operator, d, OTHER_ALGORITHM)
        .await
        .unwrap();
    assert_eq!(g.len(), 2);
    assert!(g.iter().all(|e| e.template.algorithm == OTHER_ALGORITHM));
    // Templates of the old model no longer enter this deployment's watchlists.
    w.store.suspend(&w.silver, d, "import").await.unwrap();
    let e = w
        .store
        .commit_import(&w.silver, wl, &[entry("S3", "Third Person")])
        .await
        .unwrap_err();
    assert_eq!(rule(e), "templates_match_the_deployment_algorithm");
    let audit = w
        .store
        .audit_entries(
            &w.auditor,
            &AuditFilter {
                target: Some(format!("D{d}")),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.event.action == "deployment.set_algorithm"
                && e.event.detail.contains("2 templates")
                && e.event.detail.contains("under licence vendor licence 17")),
        "the change and its licence are audited"
    );
}

#[tokio::test]
async fn nobody_grants_themselves_and_an_authorising_officer_takes_two_administrators() {
    use lfr_domain::role::{Rank, Role};
    use lfr_store::role_changes::RolesOutcome;
    let w = World::new().await;
    // The review's finding: an administrator made itself a trained
    // Superintendent AO. Its own roles, rank and training are refused.
    let own = w
        .store
        .set_roles(
            &w.admin,
            "admin",
            &[Role::Administrator, Role::AuthorisingOfficer],
            Some(Rank::Superintendent),
        )
        .await
        .unwrap_err();
    assert_eq!(rule(own), "no_one_grants_themselves");
    let trained = w
        .store
        .record_training(&w.admin, "admin", "LFR course", t("2026-01-10T00:00:00Z"))
        .await
        .unwrap_err();
    assert_eq!(rule(trained), "no_one_grants_themselves");
    assert!(
        last_refusal(&w, "admin")
            .await
            .contains("no_one_grants_themselves")
    );
    // A new account asked for as an AO has its other roles only, until a
    // different administrator approves; the proposer cannot.
    let (u, _) = w
        .add_user(
            "new.ao",
            lfr_domain::role::Role::AuthorisingOfficer,
            lfr_domain::role::Rank::Superintendent,
        )
        .await;
    assert!(u.roles.is_empty(), "{u:?}");
    let change = w
        .store
        .pending_role_changes(&w.admin)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.user == u.id)
        .unwrap();
    let e = w
        .store
        .approve_role_change(&w.admin, change.id)
        .await
        .unwrap_err();
    assert_eq!(rule(e), "approved_by_a_second_administrator");
    let approved = w
        .store
        .approve_role_change(&w.admin2, change.id)
        .await
        .unwrap();
    assert!(approved.has(Role::AuthorisingOfficer));
    assert!(
        w.store
            .approve_role_change(&w.admin2, change.id)
            .await
            .is_err()
    );
    // Two administrators cannot make one of themselves an AO either: the
    // one changed cannot approve their own change.
    let RolesOutcome::Pending { change } = w
        .store
        .set_roles(
            &w.admin,
            "admin2",
            &[Role::Administrator, Role::AuthorisingOfficer],
            Some(Rank::Superintendent),
        )
        .await
        .unwrap()
    else {
        panic!("making an AO must wait for approval");
    };
    let e = w
        .store
        .approve_role_change(&w.admin2, change.id)
        .await
        .unwrap_err();
    assert_eq!(rule(e), "no_one_grants_themselves");
    // A puppet: an administrator account whose token the proposer holds.
    let (puppet, _) = w
        .add_user(
            "puppet",
            lfr_domain::role::Role::Administrator,
            lfr_domain::role::Rank::Staff,
        )
        .await;
    let RolesOutcome::Pending { change: c2 } = w
        .store
        .set_roles(
            &w.admin,
            "auditor",
            &[Role::Auditor, Role::AuthorisingOfficer],
            Some(Rank::Superintendent),
        )
        .await
        .unwrap()
    else {
        panic!("pending");
    };
    let e = w
        .store
        .approve_role_change(&puppet, c2.id)
        .await
        .unwrap_err();
    assert_eq!(rule(e), "approved_by_a_second_administrator");
    // An old proposal cannot undo a later change: after the auditor's roles
    // change, C2 no longer applies.
    w.store
        .set_roles(&w.admin2, "auditor", &[Role::Auditor], Some(Rank::Staff))
        .await
        .unwrap();
    w.store
        .set_roles(&w.admin2, "auditor", &[Role::Auditor, Role::Operator], None)
        .await
        .unwrap();
    let e = w
        .store
        .approve_role_change(&w.admin2, c2.id)
        .await
        .unwrap_err();
    assert_eq!(rule(e), "role_change_still_current");
    // Roles without authority change at once.
    let RolesOutcome::Applied { user } = w
        .store
        .set_roles(
            &w.admin,
            "engineer",
            &[Role::SystemEngineer, Role::Operator],
            None,
        )
        .await
        .unwrap()
    else {
        panic!("an ordinary role change applies at once");
    };
    assert!(user.has(Role::Operator));
    // Proposal and approval are both in the log.
    let log = w
        .store
        .audit_entries(&w.auditor, &AuditFilter::default())
        .await
        .unwrap();
    for action in ["user.roles.propose", "user.roles.approve"] {
        assert!(log.iter().any(|e| e.event.action == action), "{action}");
    }
}

#[tokio::test]
async fn a_deactivated_pipeline_user_records_nothing_more() {
    let w = World::new().await;
    let (d, img) = w.running().await;
    let session = w.session(d).await;
    w.store
        .raise_alert(&session, w.new_alert(img, 0.7))
        .await
        .unwrap();
    w.store
        .set_active(&w.admin, "operator", false)
        .await
        .unwrap();
    assert!(
        w.store
            .raise_alert(&session, w.new_alert(img, 0.7))
            .await
            .is_err()
    );
    assert!(
        w.store
            .record_counts(&session, "van-1-left", 10, 0, None)
            .await
            .is_err()
    );
    assert_eq!(w.store.alerts(&w.silver, d).await.unwrap().len(), 1);
}

async fn sign_in_entries(w: &World) -> Vec<lfr_store::audit::AuditEntry> {
    let f = AuditFilter {
        refused_only: true,
        limit: 10_000,
        ..Default::default()
    };
    let all = w.store.audit_entries(&w.auditor, &f).await.unwrap();
    all.into_iter()
        .filter(|e| e.event.action == "user.sign_in")
        .collect()
}

#[tokio::test]
async fn failed_sign_ins_are_counted_into_one_entry_a_minute() {
    let w = World::new().await;
    for _ in 0..1000 {
        assert!(w.store.authenticate("lfr_wrong").await.is_err());
    }
    // The first at once, then one entry per hundred: 10, not 1,000.
    assert_eq!(
        sign_in_entries(&w).await.len(),
        10,
        "not one write per failure"
    );
    w.clock.advance(lfr_base::SignedDuration::from_secs(61));
    assert!(w.store.authenticate("lfr_wrong").await.is_err());
    let e = sign_in_entries(&w).await;
    assert_eq!(e.len(), 11);
    assert!(
        e[0].event.detail.contains("100 attempt(s)"),
        "the entry counts every failure since the last: {}",
        e[0].event.detail
    );
    // A real sign-in is unaffected.
    let (_, token) = w
        .add_user(
            "pc9",
            lfr_domain::role::Role::Operator,
            lfr_domain::role::Rank::Constable,
        )
        .await;
    assert!(w.store.authenticate(&token).await.is_ok());
}

#[tokio::test]
async fn an_operator_sees_a_reference_image_only_beside_its_alert() {
    let w = World::new().await;
    let (d, img) = w.running().await;
    // Walking the image ids: refused, and audited.
    let e = w.store.reference_image(&w.operator, img).await.unwrap_err();
    assert_eq!(rule(e), "reference_image_beside_its_alert");
    assert!(
        last_refusal(&w, &format!("IMG{img}"))
            .await
            .contains("reference_image_beside_its_alert")
    );
    // Those who compile or approve the watchlist review its images.
    assert!(w.store.reference_image(&w.silver, img).await.is_ok());
    // Once the image is an alert's candidate, the operator adjudicating it sees it.
    w.store
        .raise_alert(&w.session(d).await, w.new_alert(img, 0.7))
        .await
        .unwrap();
    assert!(w.store.reference_image(&w.operator, img).await.is_ok());
}

/// A second alert for a subject already dealt with is marked a repeat of the
/// first: it counts as that one (false here, not a second false alert
/// judged on its own), and the rule holds the chain to the decided alert.
#[tokio::test]
async fn a_repeat_counts_as_the_alert_it_repeats() {
    let w = World::new().await;
    let (d, _) = w.running().await;
    let g = w
        .store
        .gallery(&w.operator, d, TEST_ALGORITHM)
        .await
        .unwrap();
    let (s1, s2) = (
        &g[0],
        g.iter().find(|e| e.inclusion != g[0].inclusion).unwrap(),
    );
    let session = w.session(d).await;
    let first = w
        .store
        .raise_alert(&session, w.new_alert(s1.image, 0.81))
        .await
        .unwrap();
    w.clock.advance(lfr_base::SignedDuration::from_secs(40));
    let again = w
        .store
        .raise_alert(&session, w.new_alert(s1.image, 0.77))
        .await
        .unwrap();
    let other = w
        .store
        .raise_alert(&session, w.new_alert(s2.image, 0.70))
        .await
        .unwrap();
    let refused = |e| rule(e);
    // Not while the first waits for its own decision.
    assert_eq!(
        refused(
            w.store
                .mark_repeat(&w.operator, again.id, first.id, "")
                .await
                .unwrap_err()
        ),
        "repeat_of_a_dealt_with_alert"
    );
    w.store
        .adjudicate(
            &w.operator,
            first.id,
            Adjudication::FalseAlertNoEngagement,
            "",
        )
        .await
        .unwrap();
    // Another subject's alert is no repeat of it.
    assert_eq!(
        refused(
            w.store
                .mark_repeat(&w.operator, other.id, first.id, "")
                .await
                .unwrap_err()
        ),
        "repeat_of_a_dealt_with_alert"
    );
    // Only the operator adjudicates.
    assert_eq!(
        refused(
            w.store
                .mark_repeat(&w.engagement, again.id, first.id, "")
                .await
                .unwrap_err()
        ),
        "role_permits"
    );
    // "repeat" without the alert it repeats is not a decision.
    assert!(matches!(
        w.store
            .adjudicate(&w.operator, again.id, Adjudication::Repeat, "")
            .await,
        Err(lfr_store::StoreError::Invalid(_))
    ));
    let marked = w
        .store
        .mark_repeat(&w.operator, again.id, first.id, "same coat, same person")
        .await
        .unwrap();
    assert_eq!(marked.repeat_of, Some(first.id));
    let stored = w.store.alert(&w.operator, again.id).await.unwrap();
    assert_eq!(stored.repeat_of, Some(first.id));
    assert_eq!(stored.class(), lfr_domain::alert::AlertClass::Repeat);
    // Final, like any adjudication; and the first is no repeat of the second.
    assert_eq!(
        refused(
            w.store
                .mark_repeat(&w.operator, again.id, first.id, "")
                .await
                .unwrap_err()
        ),
        "adjudication_is_final"
    );
    let m = w.store.metrics(&w.silver, d).await.unwrap();
    assert_eq!(m.repeats, 1);
    assert_eq!(
        m.false_alerts_unconfirmed, 2,
        "the repeat counts as the false alert it repeats"
    );
    assert_eq!(m.pending, 1, "the other subject's alert still waits");
    // A third alert repeats the decided one, not the repeat.
    w.clock.advance(lfr_base::SignedDuration::from_secs(40));
    let third = w
        .store
        .raise_alert(&session, w.new_alert(s1.image, 0.75))
        .await
        .unwrap();
    assert_eq!(
        refused(
            w.store
                .mark_repeat(&w.operator, third.id, again.id, "")
                .await
                .unwrap_err()
        ),
        "repeat_of_a_dealt_with_alert"
    );
    w.store
        .mark_repeat(&w.operator, third.id, first.id, "")
        .await
        .unwrap();
    // The refusals and the repeats are in the audit log.
    let f = AuditFilter {
        target: Some(format!("A{}", again.id)),
        limit: 50,
        ..Default::default()
    };
    let log = w.store.audit_entries(&w.auditor, &f).await.unwrap();
    assert!(
        log.iter().any(|e| e.event.action == "alert.repeat"
            && e.event.detail.contains(&format!("repeat of A{}", first.id))),
        "{log:?}"
    );
}

/// Need to know: an operator sees and acts on the deployments of their
/// teams only; the force-wide roles see every one; taking someone off a
/// team takes effect at once.
#[tokio::test]
async fn deployment_records_are_for_its_team() {
    use lfr_domain::role::{Rank, Role};
    let w = World::new().await;
    let (d1, _) = w.running().await;
    let (silver2, _) = w
        .add_user("silver2", Role::SilverCommander, Rank::ChiefInspector)
        .await;
    let d2 = w.store.apply(&silver2, w.application()).await.unwrap().id;
    let (outsider, _) = w.add_user("op2", Role::Operator, Rank::Constable).await;

    // On D1's team: its alerts; not on D2's: refused, named, audited.
    assert!(w.store.alerts(&w.operator, d1).await.is_ok());
    assert_eq!(
        rule(w.store.alerts(&w.operator, d2).await.unwrap_err()),
        "on_the_deployment_team"
    );
    assert!(
        last_refusal(&w, &format!("D{d2}"))
            .await
            .contains("not on the team")
    );
    assert_eq!(
        rule(w.store.alerts(&outsider, d1).await.unwrap_err()),
        "on_the_deployment_team"
    );
    // Lists show each their own deployments; force-wide roles see all.
    let ids = |v: Vec<lfr_domain::deployment::Deployment>| -> Vec<i64> {
        v.iter().map(|d| d.id.0).collect()
    };
    let mine = ids(w.store.deployments(&w.operator).await.unwrap());
    assert!(mine.contains(&d1.0) && !mine.contains(&d2.0), "{mine:?}");
    assert_eq!(
        ids(w.store.deployments(&silver2).await.unwrap()),
        vec![d2.0]
    );
    assert!(w.store.deployments(&outsider).await.unwrap().is_empty());
    let all = ids(w.store.deployments(&w.gold).await.unwrap());
    assert!(all.contains(&d1.0) && all.contains(&d2.0));
    assert!(
        w.store.metrics(&w.auditor, d2).await.is_ok(),
        "the auditor oversees every deployment"
    );
    // A commander manages only their own deployment's team.
    assert_eq!(
        rule(w.store.add_to_team(&w.silver, d2, "op2").await.unwrap_err()),
        "on_the_deployment_team"
    );
    w.store.add_to_team(&silver2, d2, "op2").await.unwrap();
    assert!(w.store.deployment(&outsider, d2).await.is_ok());
    let team: Vec<String> = w
        .store
        .team(&silver2, d2)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.username)
        .collect();
    assert_eq!(team, vec!["op2".to_string(), "silver2".to_string()]);
    // Off the team: at once, for reads and for the pipeline's writes.
    w.store
        .remove_from_team(&w.silver, d1, &w.operator.username)
        .await
        .unwrap();
    assert_eq!(
        rule(w.store.alerts(&w.operator, d1).await.unwrap_err()),
        "on_the_deployment_team"
    );
}

/// A published report says on what legal basis the force acted and whom
/// the public can ask: publishing waits for the force's notice, which only
/// an administrator sets, complete.
#[tokio::test]
async fn a_report_is_published_only_with_the_forces_legal_basis_and_contact() {
    let w = World::new().await;
    let (d, _) = w.running().await;
    w.clock.advance(hours(2));
    w.store.conclude(&w.silver, d).await.unwrap();
    let refused = w.store.report_to_publish(&w.silver, d).await.unwrap_err();
    assert_eq!(rule(refused), "public_report_states_legal_basis");

    let notice = lfr_domain::force::ForceNotice {
        force: "Example Constabulary".into(),
        legal_basis: "Common law policing powers; Data Protection Act 2018, Part 3".into(),
        contact: "lfr@example.police.uk".into(),
        policy: Some("https://example.police.uk/lfr".into()),
    };
    let refused = w
        .store
        .set_force_notice(&w.silver, &notice)
        .await
        .unwrap_err();
    assert_eq!(rule(refused), "role_permits");
    let no_contact = lfr_domain::force::ForceNotice {
        contact: " ".into(),
        ..notice.clone()
    };
    let refused = w
        .store
        .set_force_notice(&w.admin, &no_contact)
        .await
        .unwrap_err();
    assert_eq!(rule(refused), "force_notice_is_complete");
    assert_eq!(w.store.force_notice().await.unwrap(), None);

    w.store.set_force_notice(&w.admin, &notice).await.unwrap();
    assert_eq!(w.store.force_notice().await.unwrap(), Some(notice.clone()));
    let r = w.store.report_to_publish(&w.silver, d).await.unwrap();
    assert_eq!(r.force, Some(notice));
    // The watchlist in counts by category, never by person.
    assert_eq!(
        r.watchlist_categories.get("wanted_by_courts").copied(),
        Some(r.watchlist_inclusions)
    );
    assert!(r.watchlist_inclusions > 0);

    // Set again: the new notice replaces the old; a blank policy is none.
    let again = lfr_domain::force::ForceNotice {
        contact: "0800 000 000 (LFR enquiries)".into(),
        policy: Some("  ".into()),
        ..notice_again()
    };
    w.store.set_force_notice(&w.admin, &again).await.unwrap();
    let stored = w.store.force_notice().await.unwrap().unwrap();
    assert_eq!(stored.contact, again.contact);
    assert_eq!(stored.policy, None);
}

fn notice_again() -> lfr_domain::force::ForceNotice {
    lfr_domain::force::ForceNotice {
        force: "Example Constabulary".into(),
        legal_basis: "Common law policing powers".into(),
        contact: String::new(),
        policy: None,
    }
}
