//! The catalogue of rules: every refusal lfr gives names one of these.
//!
//! A rule is a variant, not a string, so a refusal cannot name a rule that
//! does not exist, and the catalogue (`lfr rules`, docs/rules.md) cannot
//! miss one. The checks themselves live in [`crate::policy`] (and, for the
//! Blue Watchlist's passes, [`crate::blue`]); the deployment's state
//! machine refuses under [`Rule::DeploymentLifecycle`].

use crate::refusal::Refusal;

str_enum! {
    /// Every rule lfr enforces, by the name it is refused under.
    pub enum Rule {
        RolePermits = "role_permits",
        DeploymentLifecycle = "deployment_lifecycle",
        ApplicationIsComplete = "application_is_complete",
        OnlySilverCommanderOrAboveSuspendsOrTerminates = "only_silver_commander_or_above_suspends_or_terminates",
        AuthorisingOfficerIsSuperintendentOrAbove = "authorising_officer_is_superintendent_or_above",
        AuthorisingOfficerIsTrained = "authorising_officer_is_trained",
        AuthorisingOfficerIsNotTheApplicant = "authorising_officer_is_not_the_applicant",
        AuthorityHasRationale = "authority_has_rationale",
        AuthorityAtMostSevenDays = "authority_at_most_seven_days",
        VerbalConfirmationDeadlineIsReasonable = "verbal_confirmation_deadline_is_reasonable",
        VerbalAuthorityConfirmedInTime = "verbal_authority_confirmed_in_time",
        WithdrawalHasReason = "withdrawal_has_reason",
        MinimumThresholdNotBelowSystemFloor = "minimum_threshold_not_below_system_floor",
        ThresholdBelowDefaultHasReason = "threshold_below_default_has_reason",
        ThresholdNotBelowAuthorisedMinimum = "threshold_not_below_authorised_minimum",
        RecognitionRequiresActiveAuthorisation = "recognition_requires_active_authorisation",
        WatchlistsReviewedBeforeDeployment = "watchlists_reviewed_before_deployment",
        AlgorithmChangesOnlyWhileNotRunning = "algorithm_changes_only_while_not_running",
        ModelLicensedForOperationalUse = "model_licensed_for_operational_use",
        ModelCalibrationHolds = "model_calibration_holds",
        CalibrationAsRecorded = "calibration_as_recorded",
        TemplatesMatchTheDeploymentAlgorithm = "templates_match_the_deployment_algorithm",
        TemplatesMatchTheAlgorithm = "templates_match_the_algorithm",
        WatchlistOpenForChanges = "watchlist_open_for_changes",
        CategoryFitsWatchlist = "category_fits_watchlist",
        InclusionIsJustified = "inclusion_is_justified",
        InclusionHasAReferenceImage = "inclusion_has_a_reference_image",
        BlueWatchlistImagesNeedConsent = "blue_watchlist_images_need_consent",
        ReferenceImageIsUsable = "reference_image_is_usable",
        NoProtectedCharacteristics = "no_protected_characteristics",
        AlertsKeepTheirInclusion = "alerts_keep_their_inclusion",
        AlertAtOrAboveThreshold = "alert_at_or_above_threshold",
        AlertCandidateOnWatchlist = "alert_candidate_on_watchlist",
        AdjudicationIsFinal = "adjudication_is_final",
        RepeatOfADealtWithAlert = "repeat_of_a_dealt_with_alert",
        NoteWithinAlertRetention = "note_within_alert_retention",
        EngagementFollowsPassedAlert = "engagement_follows_passed_alert",
        PolicingOutcomeFollowsEngagement = "policing_outcome_follows_engagement",
        ReferenceImageBesideItsAlert = "reference_image_beside_its_alert",
        BluePassIsAVolunteer = "blue_pass_is_a_volunteer",
        BluePassWindowIsBounded = "blue_pass_window_is_bounded",
        BluePassOneAtATime = "blue_pass_one_at_a_time",
        BluePassIsOpen = "blue_pass_is_open",
        ReportPublishedAfterTheEnd = "report_published_after_the_end",
        LegalHoldHasAReason = "legal_hold_has_a_reason",
        NoOneGrantsThemselves = "no_one_grants_themselves",
        ApprovedByASecondAdministrator = "approved_by_a_second_administrator",
        RoleChangeStillCurrent = "role_change_still_current",
        CamerasChangeOnlyBeforeTheEnd = "cameras_change_only_before_the_end",
        OnTheDeploymentTeam = "on_the_deployment_team",
        ForceNoticeIsComplete = "force_notice_is_complete",
        PublicReportStatesLegalBasis = "public_report_states_legal_basis",
    }
}

impl Rule {
    /// A refusal under this rule; `message` says what would allow the action.
    pub fn refuse(self, message: impl Into<String>) -> Refusal {
        Refusal::new(self, message)
    }

    /// Whether it refuses a deployment the model chosen for it: answered by
    /// applying with another model and changing to this one with
    /// `deployment set-algorithm`, which takes what the rule asks for.
    pub fn is_about_the_model(self) -> bool {
        matches!(
            self,
            Rule::ModelLicensedForOperationalUse | Rule::ModelCalibrationHolds
        )
    }

    /// What the rule requires, in one sentence, for the catalogue.
    pub fn requires(self) -> &'static str {
        use Rule::*;
        match self {
            RolePermits => {
                "An action is taken only by an active user holding a role the role table gives it."
            }
            DeploymentLifecycle => {
                "A deployment moves applied, authorised, active, suspended, then terminated or concluded, in that order only; its record is submitted once, after it ends."
            }
            ApplicationIsComplete => {
                "An application names its place, legitimate aim, legal basis, necessity, proportionality, safeguards, alternatives, watchlist composition, resources and at least one camera, ends after it starts, and asks for a threshold the rules allow."
            }
            OnlySilverCommanderOrAboveSuspendsOrTerminates => {
                "Only the Silver Commander, or the Gold Commander above them, suspends or terminates a deployment."
            }
            AuthorisingOfficerIsSuperintendentOrAbove => {
                "The Authorising Officer holds the rank of Superintendent or above."
            }
            AuthorisingOfficerIsTrained => "The Authorising Officer has recorded LFR training.",
            AuthorisingOfficerIsNotTheApplicant => "Nobody authorises their own application.",
            AuthorityHasRationale => {
                "The Authorising Officer records a rationale with the authority."
            }
            AuthorityAtMostSevenDays => {
                "One authority covers at most 7 days; a longer series needs new authority."
            }
            VerbalConfirmationDeadlineIsReasonable => {
                "Urgent verbal authority is confirmed in writing by a deadline in the future and at most 72 hours away."
            }
            VerbalAuthorityConfirmedInTime => {
                "Urgent verbal authority not confirmed in writing by its deadline blocks further use; it is confirmed once."
            }
            WithdrawalHasReason => {
                "The Authorising Officer withdraws a running deployment's authority only with a recorded reason."
            }
            MinimumThresholdNotBelowSystemFloor => {
                "No authorised minimum threshold is below the system floor of 0.5."
            }
            ThresholdBelowDefaultHasReason => {
                "A threshold below the default 0.64 is asked for and authorised only with a recorded reason."
            }
            ThresholdNotBelowAuthorisedMinimum => {
                "No deployment runs below the threshold its Authorising Officer set as the minimum."
            }
            RecognitionRequiresActiveAuthorisation => {
                "Recognition runs only while the deployment is active under authority in force, uncancelled and, if verbal, confirmed in time."
            }
            WatchlistsReviewedBeforeDeployment => {
                "A deployment starts only with at least one watchlist, each non-empty and approved by the Authorising Officer as it now stands."
            }
            AlgorithmChangesOnlyWhileNotRunning => {
                "The recognition model changes only before the start or while suspended, never once the deployment has ended."
            }
            ModelLicensedForOperationalUse => {
                "A model whose licence forbids operational use becomes a deployment's model only with the reference of a licence that allows it."
            }
            ModelCalibrationHolds => {
                "A model becomes a deployment's model only if its score calibration was checked on people it was not fitted on and held, or with a recorded reason to use it anyway."
            }
            CalibrationAsRecorded => {
                "Recognition scores with the calibration recorded with the deployment's model, so the threshold the Authorising Officer set keeps its meaning."
            }
            TemplatesMatchTheDeploymentAlgorithm => {
                "A watchlist holds, and recognition compares, templates of the deployment's algorithm only."
            }
            TemplatesMatchTheAlgorithm => {
                "A watchlist's templates are compared only by the algorithm that made them; after an engine upgrade it is re-enrolled from its reference images."
            }
            OnTheDeploymentTeam => {
                "Silver Commanders, Operators, Engagement Officers and System Engineers act on a deployment, and see its records, only when they are on its team; the Gold Commander, Authorising Officers, Auditors and Administrators act force-wide."
            }
            ForceNoticeIsComplete => {
                "The force's public notice names the force, the legal basis it relies on and a contact for the public, each in at most 2,000 characters."
            }
            PublicReportStatesLegalBasis => {
                "A post-deployment report is published only once the force has stated its legal basis and a contact for the public (`lfr force set`)."
            }
            CamerasChangeOnlyBeforeTheEnd => {
                "A deployment's cameras are added, moved between nodes or removed only until the deployment has ended."
            }
            WatchlistOpenForChanges => {
                "A watchlist is compiled or changed only for a deployment that has not ended, and never after its data was purged."
            }
            CategoryFitsWatchlist => {
                "Blue Watchlist volunteers are on Blue Watchlists, and only they are."
            }
            InclusionIsJustified => "Every inclusion carries a justification and a source.",
            InclusionHasAReferenceImage => {
                "Every inclusion has at least one usable reference image."
            }
            BlueWatchlistImagesNeedConsent => {
                "Every image on a Blue Watchlist has the volunteer's recorded written consent."
            }
            ReferenceImageIsUsable => "An image graded poor is never enrolled.",
            NoProtectedCharacteristics => {
                "No protected characteristic is stored with an inclusion."
            }
            AlertsKeepTheirInclusion => {
                "An inclusion that has caused alerts stays on its watchlist, so the alerts keep what they matched."
            }
            AlertAtOrAboveThreshold => "An alert's score is at or above the threshold in force.",
            AlertCandidateOnWatchlist => {
                "An alert's candidate is on a watchlist of its deployment."
            }
            NoteWithinAlertRetention => {
                "An officer's note on an alert is recorded only while the alert's personal data is kept; after that the decision is recorded without one."
            }
            AdjudicationIsFinal => {
                "An operator adjudicates an alert once; decisions are not rewritten."
            }
            RepeatOfADealtWithAlert => {
                "An alert is marked a repeat only of an earlier alert of the same deployment and subject that has been dealt with (judged false, or engaged and found), itself no repeat."
            }
            EngagementFollowsPassedAlert => {
                "An engagement is recorded only for an alert passed for engagement, and once."
            }
            PolicingOutcomeFollowsEngagement => "A policing outcome follows an engagement, once.",
            ReferenceImageBesideItsAlert => {
                "A reference image is shown to those reviewing alerts only beside an alert it caused."
            }
            BluePassIsAVolunteer => {
                "A Blue Watchlist pass is walked by a volunteer on the deployment's Blue Watchlist."
            }
            BluePassWindowIsBounded => {
                "A pass's window is long enough to walk through and short enough not to catch a later walk-past."
            }
            BluePassOneAtATime => "A volunteer walks one pass at a time.",
            BluePassIsOpen => "Only an open pass is ended or cancelled.",
            ReportPublishedAfterTheEnd => {
                "A post-deployment report is published only once the deployment has been concluded or terminated."
            }
            LegalHoldHasAReason => {
                "A legal hold records the case, complaint or request that needs the data."
            }
            NoOneGrantsThemselves => "Nobody changes their own roles, rank or training.",
            ApprovedByASecondAdministrator => {
                "Making or changing an Authorising Officer is approved by a second administrator, signed in with a token the proposer did not issue."
            }
            RoleChangeStillCurrent => {
                "A proposed role change applies only to the roles and rank it was proposed against."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Rule;

    #[test]
    fn names_are_unique_and_parse_back() {
        for r in Rule::ALL {
            assert_eq!(r.as_str().parse::<Rule>().unwrap(), *r);
            assert!(r.requires().ends_with('.'), "{r}");
        }
        let mut names: Vec<_> = Rule::ALL.iter().map(|r| r.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Rule::ALL.len());
    }

    /// Refusals are made by the rules, in this crate's rule modules: a store,
    /// server or CLI that built one itself would be a second copy of a rule.
    #[test]
    fn refusals_are_made_only_by_the_rule_modules() {
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let allowed = [
            "policy.rs",
            "policy_tests.rs",
            "blue.rs",
            "deployment.rs",
            "rule.rs",
            "refusal.rs",
        ];
        let mut found = Vec::new();
        let mut dirs: Vec<_> = std::fs::read_dir(&crates)
            .unwrap()
            .map(|e| e.unwrap().path().join("src"))
            .collect();
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                    continue;
                }
                let in_domain = p.starts_with(crates.join("domain"));
                let name = p.file_name().unwrap().to_str().unwrap();
                if p.extension().is_none_or(|x| x != "rs") || (in_domain && allowed.contains(&name))
                {
                    continue;
                }
                let text = std::fs::read_to_string(&p).unwrap();
                for (i, line) in text.lines().enumerate() {
                    if line.contains("Refusal::new(")
                        || (line.contains("Rule::") && !line.contains("Rule::ALL"))
                    {
                        found.push(format!("{}:{}", p.display(), i + 1));
                    }
                }
            }
        }
        assert!(
            found.is_empty(),
            "refusals built outside the rule modules (add a rule function to policy.rs): {found:#?}"
        );
    }
}
