//! Blue Watchlist passes: the measure of the True Recognition Rate.
//!
//! A volunteer on the deployment's Blue Watchlist walks through the Zone of
//! Recognition; the operator marks when the walk starts (and, optionally,
//! past which camera) and ends it, or it ends by itself at the end of its
//! window. Whether the system recognised the volunteer is not the operator's
//! word: it is read from the alerts the pipeline raised, by
//! [`recognising_alert`], so a pass cannot be counted as recognised by
//! anyone's say-so.

use serde::{Deserialize, Serialize};

use crate::alert::Alert;
use crate::ids::{AlertId, BluePassId, DeploymentId, InclusionId};
use crate::refusal::{Refusal, Verdict};
use crate::rule::Rule;
use crate::{SignedDuration, Timestamp};

/// How long a pass stays open when the operator names no window: long
/// enough to walk through a zone at a steady pace and for the alert to reach
/// the store, short enough that a forgotten pass does not collect a later
/// walk-past.
pub const DEFAULT_PASS_WINDOW: SignedDuration = SignedDuration::from_secs(120);

/// Shortest window: less is not enough time to walk through and be recognised.
pub const MIN_PASS_WINDOW: SignedDuration = SignedDuration::from_secs(10);

/// Longest window: a longer one would count a later, unrelated walk-past.
pub const MAX_PASS_WINDOW: SignedDuration = SignedDuration::from_secs(15 * 60);

str_enum! {
    /// Where a pass is.
    pub enum PassState {
        /// The volunteer is walking; the pass ends by the operator or at its window's end.
        Open = "open",
        /// An alert for the volunteer was raised between the start and the end.
        Recognised = "recognised",
        /// No alert for the volunteer between the start and the end.
        NotRecognised = "not_recognised",
    }
}

/// One walk of a volunteer through the Zone of Recognition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BluePass {
    pub id: BluePassId,
    pub deployment: DeploymentId,
    /// The volunteer's inclusion on the deployment's Blue Watchlist.
    pub inclusion: InclusionId,
    /// The camera the volunteer walks past; `None`: any camera of the deployment.
    pub camera: Option<String>,
    pub started_at: Timestamp,
    /// The end of the window: the pass ends by itself then.
    pub ends_by: Timestamp,
    pub state: PassState,
    pub ended_at: Option<Timestamp>,
    /// The alert that recognised the volunteer; while the pass is open, the
    /// one seen so far.
    pub alert: Option<AlertId>,
}

impl BluePass {
    /// When a pass ended at `now` ends: now, but never past its window.
    pub fn end_at(&self, now: Timestamp) -> Timestamp {
        now.min(self.ends_by).max(self.started_at)
    }

    /// Open and past its window: the system ends it.
    pub fn is_due(&self, now: Timestamp) -> bool {
        self.state == PassState::Open && now >= self.ends_by
    }
}

/// The rule of the True Recognition Rate: a pass is recognised if and only
/// if the pipeline raised an alert for the volunteer's inclusion, at or above
/// the deployment's threshold, on the pass's camera when one was named,
/// between the pass's start and `end` (both included). Returns the first
/// such alert.
pub fn recognising_alert<'a>(
    pass: &BluePass,
    end: Timestamp,
    threshold: f64,
    alerts: &'a [Alert],
) -> Option<&'a Alert> {
    alerts
        .iter()
        .filter(|a| {
            a.deployment == pass.deployment
                && a.inclusion == pass.inclusion
                && a.at >= pass.started_at
                && a.at <= end
                && a.score >= threshold
                && pass.camera.as_ref().is_none_or(|c| *c == a.camera)
        })
        .min_by_key(|a| (a.at, a.id))
}

/// A pass is walked by a volunteer on the deployment's Blue Watchlist: anyone
/// else's walk would measure nothing the TRR is about.
pub fn blue_pass_is_a_volunteer(
    on_blue_watchlist: bool,
    inclusion: InclusionId,
    d: DeploymentId,
) -> Verdict {
    if on_blue_watchlist {
        Ok(())
    } else {
        Err(Rule::BluePassIsAVolunteer.refuse(format!(
            "I{inclusion} is not on a Blue Watchlist of D{d}; choose a volunteer from the deployment's Blue Watchlist"
        )))
    }
}

/// A pass's window is long enough to walk through and short enough not to
/// catch a later walk-past.
pub fn blue_pass_window_is_bounded(window: SignedDuration) -> Verdict {
    if (MIN_PASS_WINDOW..=MAX_PASS_WINDOW).contains(&window) {
        Ok(())
    } else {
        Err(Refusal::new(
            Rule::BluePassWindowIsBounded,
            format!(
                "a pass's window of {} s is outside {} s to {} s; leave it out for the default of {} s",
                window.as_secs(),
                MIN_PASS_WINDOW.as_secs(),
                MAX_PASS_WINDOW.as_secs(),
                DEFAULT_PASS_WINDOW.as_secs()
            ),
        ))
    }
}

/// A volunteer walks one pass at a time: two open passes of the same
/// volunteer would share their alerts.
pub fn blue_pass_one_at_a_time(open: Option<&BluePass>) -> Verdict {
    match open {
        None => Ok(()),
        Some(p) => Err(Refusal::new(
            Rule::BluePassOneAtATime,
            format!(
                "I{} is already walking pass BP{} (open until {}); end or cancel it first",
                p.inclusion, p.id, p.ends_by
            ),
        )),
    }
}

/// The pass reached its window's end while the operator was ending or
/// cancelling it: it is already a record.
pub fn blue_pass_ended_meanwhile(id: BluePassId) -> Refusal {
    Rule::BluePassIsOpen.refuse(format!("pass BP{id} has just ended by itself"))
}

/// Only an open pass is ended or cancelled; an ended one is a record.
pub fn blue_pass_is_open(pass: &BluePass) -> Verdict {
    if pass.state == PassState::Open {
        Ok(())
    } else {
        Err(Refusal::new(
            Rule::BluePassIsOpen,
            format!(
                "pass BP{} has already ended ({}); start a new pass for another walk",
                pass.id, pass.state
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ImageId;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn pass(camera: Option<&str>) -> BluePass {
        BluePass {
            id: BluePassId(1),
            deployment: DeploymentId(1),
            inclusion: InclusionId(5),
            camera: camera.map(str::to_string),
            started_at: t("2026-11-22T10:00:00Z"),
            ends_by: t("2026-11-22T10:02:00Z"),
            state: PassState::Open,
            ended_at: None,
            alert: None,
        }
    }

    fn alert(id: i64, inclusion: i64, at: &str, score: f64, camera: &str) -> Alert {
        Alert {
            id: AlertId(id),
            deployment: DeploymentId(1),
            inclusion: InclusionId(inclusion),
            candidate_image: ImageId(9),
            camera: camera.into(),
            at: t(at),
            score,
            threshold: 0.64,
            recognition_ms: 300,
            adjudication: None,
            engagement: None,
            policing_outcome: None,
            repeat_of: None,
            purged_at: None,
            source: None,
            sightings: vec![],
        }
    }

    #[test]
    fn a_pass_is_recognised_only_by_an_alert_for_its_volunteer_within_it() {
        let p = pass(None);
        let end = t("2026-11-22T10:01:00Z");
        let id = |a: Option<&Alert>| a.map(|a| a.id.0);
        // Another person's alert, alerts before the start and after the end: not recognised.
        let others = [
            alert(1, 6, "2026-11-22T10:00:30Z", 0.9, "cam"),
            alert(2, 5, "2026-11-22T09:59:59Z", 0.9, "cam"),
            alert(3, 5, "2026-11-22T10:01:01Z", 0.9, "cam"),
        ];
        assert_eq!(id(recognising_alert(&p, end, 0.64, &others)), None);
        // The ends are included.
        let edges = [
            alert(4, 5, "2026-11-22T10:01:00Z", 0.7, "cam"),
            alert(5, 5, "2026-11-22T10:00:00Z", 0.7, "cam"),
        ];
        assert_eq!(id(recognising_alert(&p, end, 0.64, &edges)), Some(5));
        // Below the deployment's threshold does not count.
        let low = [alert(6, 5, "2026-11-22T10:00:30Z", 0.66, "cam")];
        assert_eq!(id(recognising_alert(&p, end, 0.7, &low)), None);
        assert_eq!(id(recognising_alert(&p, end, 0.64, &low)), Some(6));
        // A named camera counts only its own alerts.
        let elsewhere = [alert(7, 5, "2026-11-22T10:00:30Z", 0.9, "van-2")];
        assert_eq!(
            id(recognising_alert(
                &pass(Some("van-1")),
                end,
                0.64,
                &elsewhere
            )),
            None
        );
        assert_eq!(
            id(recognising_alert(
                &pass(Some("van-2")),
                end,
                0.64,
                &elsewhere
            )),
            Some(7)
        );
    }

    #[test]
    fn a_pass_ends_within_its_window() {
        let p = pass(None);
        assert_eq!(
            p.end_at(t("2026-11-22T10:00:40Z")),
            t("2026-11-22T10:00:40Z")
        );
        assert_eq!(p.end_at(t("2026-11-22T11:00:00Z")), p.ends_by);
        assert!(!p.is_due(t("2026-11-22T10:01:59Z")));
        assert!(p.is_due(t("2026-11-22T10:02:00Z")));
    }

    #[test]
    fn windows_passes_and_ends_are_bounded() {
        assert!(blue_pass_window_is_bounded(DEFAULT_PASS_WINDOW).is_ok());
        for s in [0, 9, 901] {
            let r = blue_pass_window_is_bounded(SignedDuration::from_secs(s)).unwrap_err();
            assert_eq!(r.rule, Rule::BluePassWindowIsBounded);
        }
        let p = pass(None);
        assert_eq!(
            blue_pass_one_at_a_time(Some(&p)).unwrap_err().rule,
            Rule::BluePassOneAtATime
        );
        assert!(blue_pass_one_at_a_time(None).is_ok());
        assert!(blue_pass_is_open(&p).is_ok());
        let ended = BluePass {
            state: PassState::NotRecognised,
            ..p
        };
        assert_eq!(
            blue_pass_is_open(&ended).unwrap_err().rule,
            Rule::BluePassIsOpen
        );
    }
}
