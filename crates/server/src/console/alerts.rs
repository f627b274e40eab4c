//! The operator's alert queue and the engagement officer's page: each alert
//! shown as the probe crop beside the candidate image, with the score, the
//! subject's watchlist category and the camera, and the decision buttons
//! or forms of the viewer's role.

use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use lfr_domain::alert::{Adjudication, Alert, AlertClass, EngagementOutcome, PolicingOutcome};
use lfr_domain::deployment::DeploymentState;
use lfr_domain::ids::AlertId;
use lfr_domain::policy::Action;
use lfr_domain::role::User;
use maud::{Markup, html};
use serde::Deserialize;

use super::{PageResult, as_user, layout, signed_in, time};
use crate::App;
use crate::api::alerts::{AlertView, view};
use crate::auth::role_allows;

/// Which page a card is drawn for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    #[default]
    Operator,
    Engagement,
}

/// Every alert of the deployments that are running (or suspended).
async fn running_alerts(app: &App, user: &User) -> Result<Vec<AlertView>, super::PageError> {
    let deployments = as_user(app.store.deployments(user).await, user)?;
    let mut out = Vec::new();
    for d in deployments.iter().filter(|d| {
        matches!(
            d.state,
            DeploymentState::Active | DeploymentState::Suspended
        )
    }) {
        for a in as_user(app.store.alerts(user, d.id).await, user)? {
            out.push(view(app, user, a).await);
        }
    }
    out.sort_by_key(|v| (v.alert.at, v.alert.id));
    Ok(out)
}

fn words(s: &str) -> String {
    s.replace('_', " ")
}

/// The alert a waiting alert may repeat: the latest earlier alert of the
/// same deployment and subject that was dealt with, itself no repeat.
pub fn repeat_candidate<'a>(
    v: &AlertView,
    all: impl IntoIterator<Item = &'a Alert>,
) -> Option<(AlertId, AlertClass)> {
    // The rule itself decides which alerts qualify, so the offer and the
    // store can never disagree.
    all.into_iter()
        .filter(|o| lfr_domain::policy::repeat_of_a_dealt_with_alert(&v.alert, o).is_ok())
        .max_by_key(|o| (o.at, o.id.0))
        .map(|o| (o.id, o.class()))
}

/// One alert, drawn for the operator or the engagement officer; `repeat`
/// is the earlier alert it may repeat ([`repeat_candidate`]).
pub fn card(
    v: &AlertView,
    user: &User,
    mode: Mode,
    repeat: Option<(AlertId, AlertClass)>,
) -> Markup {
    let a = &v.alert;
    let id = a.id.0;
    let h = format!("alert-{id}-h");
    let reference = v
        .subject
        .as_ref()
        .map(|s| s.reference.clone())
        .unwrap_or_else(|| "unknown".into());
    let class = v.class.as_str();
    html! {
        article.alert.(class) id=(format!("alert-{id}")) data-alert=(id) data-class=(class) data-subject=(format!("{}-{}", a.deployment, a.inclusion)) tabindex="-1" aria-labelledby=(h) {
            h3 id=(h) {
                "Alert A" (id) " · " (a.camera) " · " time datetime=(a.at.to_string()) { (time::clock(a.at)) }
                @if v.class == AlertClass::Pending && mode == Mode::Operator {
                    // The script counts it up each second.
                    " · " span.waiting data-since=(a.at.to_string()) { "waiting" }
                }
            }
            div.pair {
                figure {
                    @if let Some(src) = &v.probe {
                        img src=(src) alt=(format!("Probe: the face seen by camera {}", a.camera)) width="280" height="280";
                    } @else {
                        p.gone { "Probe image deleted by retention" }
                    }
                    figcaption { "Seen by the camera" }
                }
                figure {
                    img src=(v.candidate) alt=(format!("Candidate: watchlist reference image of {reference}")) width="280" height="280";
                    figcaption { "Watchlist image" }
                }
            }
            dl.facts {
                dt { "Score" } dd.score { (format!("{:.3}", a.score)) }
                dt.minor { "Threshold" } dd.minor { (format!("{:.2}", a.threshold)) }
                @if let Some(s) = &v.subject {
                    dt { "Category" } dd.category { (words(s.category.as_str())) @if s.under_18 { " (under 18)" } }
                    dt { "Reference" } dd { (s.reference) " on W" (s.watchlist) @if s.watchlist_kind.as_str() == "blue" { " (Blue Watchlist volunteer)" } }
                }
                dt.minor { "Camera" } dd.minor { (a.camera) }
                @if !a.sightings.is_empty() {
                    dt { "Also seen by" }
                    dd.sightings { @for (i, s) in a.sightings.iter().enumerate() {
                        @if i > 0 { ", " }
                        (s.camera) " (" (format!("{:.3}", s.score)) ", " (time::clock(s.at)) ")"
                    } }
                }
                dt { "Recognised in" } dd { (a.recognition_ms) " ms" }
                dt.minor { "Status" } dd.status.minor { (words(class)) @if let Some(o) = a.repeat_of { " (repeat of A" (o) ")" } }
            }
            @match mode {
                Mode::Operator => (operator_actions(v, user, repeat)),
                Mode::Engagement => (engagement_actions(v, user)),
            }
        }
    }
}

fn operator_actions(v: &AlertView, user: &User, repeat: Option<(AlertId, AlertClass)>) -> Markup {
    let id = v.alert.id.0;
    html! {
        @if v.class == AlertClass::Pending && role_allows(user, Action::Adjudicate) {
            @if let Some((of, class)) = repeat {
                p.earlier { "Same subject as A" (of) ", already dealt with (" (words(class.as_str())) ")." }
            }
            div.decide role="group" aria-label=(format!("Adjudicate alert A{id}")) {
                button.no type="button" data-alert=(id) data-decide=(Adjudication::FalseAlertNoEngagement.as_str()) aria-keyshortcuts="F" {
                    "Not a match " kbd { "F" }
                }
                button.yes type="button" data-alert=(id) data-decide=(Adjudication::PassedForEngagement.as_str()) aria-keyshortcuts="E" {
                    span.long { "Possible match: " } "engage " kbd { "E" }
                }
                @if let Some((of, _)) = repeat {
                    button.repeat type="button" data-alert=(id) data-decide=(Adjudication::Repeat.as_str()) data-repeat-of=(of.0) aria-keyshortcuts="R" {
                        span.long { "Same person: " } "repeat of A" (of) " " kbd { "R" }
                    }
                }
                p.error role="alert" {}
            }
        } @else if let Some(d) = &v.alert.adjudication {
            p.decided {
                "Adjudicated " (words(d.value.as_str()))
                @if let Some(o) = v.alert.repeat_of { " of A" (o) }
                " at " (time::clock(d.at))
            }
        }
    }
}

fn engagement_actions(v: &AlertView, user: &User) -> Markup {
    let id = v.alert.id.0;
    if !role_allows(user, Action::RecordEngagement) {
        return html! {};
    }
    html! {
        @if v.alert.engagement.is_none() {
            form.api data-api=(format!("/api/alerts/{id}/engagement")) data-then="reload" {
                fieldset {
                    legend { "What did engaging the person show?" }
                    @for (value, label) in [
                        (EngagementOutcome::ConfirmedTrue, "It is the person on the watchlist"),
                        (EngagementOutcome::ConfirmedFalse, "It is someone else"),
                        (EngagementOutcome::Unconfirmed, "Could not be established (e.g. not located)"),
                    ] {
                        p.choice {
                            input type="radio" name="outcome" value=(value.as_str()) id=(format!("e{id}-{value}")) required;
                            label for=(format!("e{id}-{value}")) { (label) }
                        }
                    }
                }
                p.field {
                    label for=(format!("e{id}-note")) { "Note (deleted with the alert's personal data after 24 hours)" }
                    textarea id=(format!("e{id}-note")) name="note" rows="2" {}
                }
                p.error role="alert" {}
                button type="submit" { "Record finding for A" (id) }
            }
        } @else if v.alert.policing_outcome.is_none() {
            @if let Some(e) = &v.alert.engagement { p.decided { "Finding: " (words(e.value.as_str())) } }
            form.api data-api=(format!("/api/alerts/{id}/outcome")) data-then="reload" {
                p.field {
                    label for=(format!("o{id}")) { "Policing outcome" }
                    select id=(format!("o{id}")) name="outcome" required {
                        option value="" { "Choose..." }
                        @for o in PolicingOutcome::ALL {
                            option value=(o.as_str()) { (words(o.as_str())) }
                        }
                    }
                }
                p.field {
                    label for=(format!("o{id}-note")) { "Note" }
                    textarea id=(format!("o{id}-note")) name="note" rows="2" {}
                }
                p.error role="alert" {}
                button type="submit" { "Record outcome for A" (id) }
            }
        } @else {
            p.decided { "Outcome recorded: " (words(v.alert.policing_outcome.as_ref().map(|o| o.value.as_str()).unwrap_or(""))) }
        }
    }
}

/// `GET /console/alerts`: the operator's live queue, oldest waiting first.
/// The cameras of the running deployments, each with its state and, when it
/// needs looking at, the alarm: above the queue, because an empty queue
/// must never hide a dead camera.
async fn camera_health(app: &App, user: &User) -> Result<Markup, super::PageError> {
    let running: Vec<_> = as_user(app.store.deployments(user).await, user)?
        .into_iter()
        .filter(|d| {
            matches!(
                d.state,
                DeploymentState::Active | DeploymentState::Suspended
            )
        })
        .map(|d| d.id)
        .collect();
    let now = app.store.clock().now();
    let cameras: Vec<_> = app
        .cameras
        .cameras()
        .into_iter()
        .filter(|c| running.contains(&c.deployment))
        .collect();
    let alarms = cameras.iter().filter(|c| c.alarm(now).is_some()).count();
    let may_view = role_allows(user, Action::ViewLive);
    Ok(html! {
        section #camera-health aria-labelledby="h-cameras" data-alarms=(alarms) {
            h2 #h-cameras { "Cameras" @if alarms > 0 { " " span.alarm { "(" (alarms) " need attention)" } } }
            @if running.is_empty() {
                p.quiet { "No deployment is running." }
            } @else if cameras.is_empty() {
                p.alarm role="alert" { "No camera is reporting: no alert can come until one runs." }
            } @else {
                ul.cameras {
                    @for cam in &cameras {
                        @let alarm = cam.alarm(now);
                        li.(if alarm.is_some() { "alarm" } else { "ok" }) data-camera=(cam.name) data-state=(cam.state) {
                            strong { (cam.name) } " (D" (cam.deployment) "): " (words(&cam.state))
                            @if let Some(a) = alarm { " " span role="alert" { "— " (a) } }
                            @if may_view { " " a.view href={ "/console/live?d=" (cam.deployment) "&camera=" (cam.name) } target="_blank" { "live view" } }
                        }
                    }
                }
            }
        }
    })
}

/// `GET /console/alerts/cameras`: the camera strip alone, for the script to redraw.
pub async fn camera_fragment(parts: Parts, State(app): State<App>) -> PageResult {
    let c = signed_in(&parts, &app).await?;
    camera_health(&app, &c.user).await
}

pub async fn queue(parts: Parts, State(app): State<App>) -> PageResult {
    let c = signed_in(&parts, &app).await?;
    let all = running_alerts(&app, &c.user).await?;
    let (pending, decided): (Vec<_>, Vec<_>) =
        all.iter().partition(|v| v.class == AlertClass::Pending);
    let health = camera_health(&app, &c.user).await?;
    let body = html! {
        div data-live-cameras="/console/alerts/cameras" { (health) }
        section aria-labelledby="h-pending" {
            h2 #h-pending { "Waiting for a decision " span #pending-count { "(" (pending.len()) ")" } }
            div #pending data-queue="operator" {
                @for v in &pending { (card(v, &c.user, Mode::Operator, repeat_candidate(v, all.iter().map(|w| &w.alert)))) }
            }
            p #empty.quiet hidden[!pending.is_empty()] { "No alert is waiting. New alerts appear here by themselves." }
        }
        section aria-labelledby="h-decided" {
            h2 #h-decided { "Decided" }
            div #decided {
                @for v in decided.iter().rev().take(20) { (card(v, &c.user, Mode::Operator, None)) }
            }
        }
        // Below the queue: in a busy zone the alerts come first.
        section.help aria-label="Keys and sound" {
            p.keys {
                "Keys: " kbd { "F" } " not a match, " kbd { "E" } " possible match (engage), "
                kbd { "R" } " repeat of the earlier alert for the same subject, where one was dealt with, "
                kbd { "U" } " undo the last decision (each is sent after 5 s), "
                kbd { "J" } " / " kbd { "K" } " next / previous alert. They act on the alert with focus, or the one at the top of the queue."
            }
            p.sound {
                button #sound type="button" aria-pressed="true" { "Sound on new alerts: on" }
                " " span.quiet { "Also shown as a desktop notification while this page is hidden, once allowed." }
            }
            p.order {
                button #order type="button" aria-pressed="false" { "Newest first: off" }
                " " span.quiet { "Off: the alert that has waited longest is at the top. Kept in this browser." }
            }
            @if role_allows(&c.user, Action::MarkBluePass) {
                p { a href="/console/blue-passes" { "Mark a Blue Watchlist pass" } " (opens the passes page; keep this queue open in another window to see the volunteer's alert)." }
            }
        }
    };
    Ok(layout(
        "Alert queue",
        Some(&c.user),
        "/console/alerts",
        body,
    ))
}

#[derive(Debug, Deserialize, Default)]
pub struct CardQuery {
    #[serde(default)]
    pub mode: Mode,
}

/// `GET /console/alerts/{a}/card`: one card, for the script to insert.
pub async fn card_fragment(
    parts: Parts,
    State(app): State<App>,
    Path(a): Path<String>,
    Query(q): Query<CardQuery>,
) -> PageResult {
    let c = signed_in(&parts, &app).await?;
    let id = as_user(crate::api::id(&a), &c.user)?;
    let alert = as_user(app.store.alert(&c.user, id).await, &c.user)?;
    let v = view(&app, &c.user, alert).await;
    let earlier = match q.mode {
        Mode::Operator if v.class == AlertClass::Pending => {
            let all = as_user(app.store.alerts(&c.user, v.alert.deployment).await, &c.user)?;
            repeat_candidate(&v, &all)
        }
        _ => None,
    };
    Ok(card(&v, &c.user, q.mode, earlier))
}

/// `GET /console/engagement`: alerts passed for engagement, then those
/// awaiting a policing outcome.
pub async fn engagement(parts: Parts, State(app): State<App>) -> PageResult {
    let c = signed_in(&parts, &app).await?;
    let all = running_alerts(&app, &c.user).await?;
    let open: Vec<_> = all
        .iter()
        .filter(|v| {
            v.alert
                .adjudication
                .as_ref()
                .is_some_and(|d| d.value == Adjudication::PassedForEngagement)
                && v.alert.policing_outcome.is_none()
        })
        .collect();
    let body = html! {
        p { "Alerts the operator passed for engagement. Record what engaging the person showed, then what followed." }
        div #engage data-queue="engagement" {
            @for v in &open { (card(v, &c.user, Mode::Engagement, None)) }
        }
        @if open.is_empty() { p.quiet { "Nothing to record. Alerts passed for engagement appear here by themselves." } }
    };
    Ok(layout(
        "Engagement",
        Some(&c.user),
        "/console/engagement",
        body,
    ))
}
