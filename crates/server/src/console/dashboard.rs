//! The Silver Commander's dashboard: live figures per camera, the
//! deployment's totals, suspend / resume / terminate, and the review form.

use axum::extract::{Query, State};
use axum::http::request::Parts;
use lfr_domain::deployment::DeploymentState;
use lfr_domain::ids::DeploymentId;
use lfr_domain::policy::Action;
use maud::{Markup, html};
use serde::Deserialize;

use super::{PageResult, api_form, as_user, layout, signed_in, text_field, time};
use crate::App;
use crate::api::deployments::{Figures, load_figures};
use crate::auth::{Caller, role_allows};

#[derive(Debug, Deserialize, Default)]
pub struct Which {
    /// The deployment; default the first one running.
    pub d: Option<String>,
}

pub(super) async fn pick(
    app: &App,
    c: &Caller,
    q: &Which,
) -> Result<Option<DeploymentId>, super::PageError> {
    if let Some(d) = &q.d {
        return Ok(Some(as_user(crate::api::id(d), &c.user)?));
    }
    let all = as_user(app.store.deployments(&c.user).await, &c.user)?;
    Ok(all
        .iter()
        .find(|d| d.state == DeploymentState::Active)
        .or_else(|| all.iter().find(|d| d.state == DeploymentState::Suspended))
        .map(|d| d.id))
}

fn count(n: u64) -> String {
    n.to_string()
}

fn ms(v: Option<u32>) -> String {
    v.map(|m| format!("{m} ms")).unwrap_or_else(|| "-".into())
}

/// The figures region, redrawn by the script whenever something changes.
pub fn figures(f: &Figures) -> Markup {
    let t = &f.totals;
    html! {
        div #figures data-deployment=(f.deployment.id.0) {
            p.state { "D" (f.deployment.id) " is " strong.(f.deployment.state.as_str()) { (f.deployment.state) } }
            dl.totals {
                div { dt { "Faces scanned" } dd #t-faces { (count(t.faces_scanned)) } }
                div { dt { "Alerts" } dd #t-alerts { (count(t.alerts)) } }
                div { dt { "Waiting for the operator" } dd #t-pending { (count(t.pending)) } }
                div { dt { "Awaiting engagement" } dd #t-awaiting { (count(t.awaiting_engagement)) } }
                div { dt { "True alerts (confirmed)" } dd #t-true { (count(t.true_alerts_confirmed)) } }
                div { dt { "False alerts" } dd #t-false { (count(t.false_alerts_confirmed + t.false_alerts_unconfirmed)) } }
                div { dt { "False alert rate" } dd #t-far { (lfr_domain::report::show_rate(t.system_false_alert_rate)) } }
                div { dt { "Dropped frames" } dd #t-dropped { (count(t.dropped_frames)) } }
                div { dt { "Recognition time (95%)" } dd #t-rt { (ms(t.recognition_ms.as_ref().map(|p| p.p95))) } }
            }
            dl.totals.blue {
                div.wide {
                    dt { "True Recognition Rate (Blue Watchlist passes)" }
                    dd #t-trr data-recognised=(t.blue_passes_recognised) data-passes=(t.blue_passes) {
                        (super::blue::trr(t.blue_passes_recognised, t.blue_passes))
                    }
                }
                @if let Some(n) = f.blue_passes_open {
                    div { dt { "Blue passes under way" } dd #t-blue-open { (count(n)) } }
                }
            }
            table.cameras {
                caption { "Cameras" }
                thead { tr {
                    th scope="col" { "Camera" } th scope="col" { "State" } th scope="col" { "Faces scanned" }
                    th scope="col" { "Alerts" } th scope="col" { "False alert rate" } th scope="col" { "Dropped frames" }
                    th scope="col" { "Recognition time (50% / 95%)" }
                } }
                tbody {
                    @for c in &f.cameras {
                        tr data-camera=(c.camera) {
                            th scope="row" { (c.camera) @if let Some(l) = &c.location { br; small { (l) } } }
                            td.(c.state.replace(' ', "-")) {
                                (c.state)
                                @if let Some(a) = &c.alarm { br; strong.alarm role="alert" { (a) } }
                                @else if let Some(e) = &c.detail { br; small { (e) } }
                            }
                            td.faces { (count(c.faces_scanned)) }
                            td.alerts { (count(c.alerts)) }
                            td { (lfr_domain::report::show_rate(c.false_alert_rate)) }
                            td { (count(c.dropped_frames)) }
                            td { (ms(c.recognition_ms_p50)) " / " (ms(c.recognition_ms_p95)) }
                        }
                    }
                    @if f.cameras.is_empty() { tr { td colspan="7" { "No camera has reported yet." } } }
                }
            }
        }
    }
}

fn controls(f: &Figures, c: &Caller) -> Markup {
    let id = f.deployment.id.0;
    let state = f.deployment.state;
    let base = format!("/api/deployments/{id}");
    html! {
        section aria-labelledby="h-control" {
            h2 #h-control { "Control" }
            div.controls {
                @if state == DeploymentState::Active && role_allows(&c.user, Action::Suspend) {
                    (api_form(&format!("{base}/suspend"), "reload", "Suspend recognition", text_field("reason", "Reason for suspending", true)))
                }
                @if state == DeploymentState::Suspended && role_allows(&c.user, Action::Resume) {
                    (api_form(&format!("{base}/resume"), "reload", "Resume recognition", html! {}))
                }
                @if !state.is_ended() && role_allows(&c.user, Action::Terminate) {
                    (api_form(&format!("{base}/terminate"), "reload", "Terminate the deployment", text_field("reason", "Reason for terminating", true)))
                }
            }
        }
        @if matches!(state, DeploymentState::Active | DeploymentState::Suspended) && role_allows(&c.user, Action::RecordReview) {
            section aria-labelledby="h-review" {
                h2 #h-review { "Record a review" }
                p { "Last review: " (time::opt(f.deployment.last_review_at)) }
                (api_form(&format!("{base}/reviews"), "reload", "Record review", html! {
                    (text_field("legality", "Legality: is the use still lawful?", true))
                    (text_field("necessity", "Necessity: is it still needed?", true))
                    (text_field("proportionality", "Proportionality", true))
                    (text_field("performance", "Performance of the system", true))
                    (text_field("engagements", "Engagements so far", true))
                    p.choice {
                        input #continue type="checkbox" name="continue_deployment" checked;
                        label for="continue" { "Continue the deployment (untick to suspend it)" }
                    }
                }))
            }
        }
    }
}

/// `GET /console/dashboard?d=ID`.
pub async fn page(parts: Parts, State(app): State<App>, Query(q): Query<Which>) -> PageResult {
    let c = signed_in(&parts, &app).await?;
    let Some(d) = pick(&app, &c, &q).await? else {
        return Ok(layout(
            "Dashboard",
            Some(&c.user),
            "/console/dashboard",
            html! { p { "No deployment is running. " a href="/console/deployments" { "See all deployments" } "." } },
        ));
    };
    let f = as_user(load_figures(&app, &c, d).await, &c.user)?;
    let wls = as_user(app.store.watchlists(&c.user, d).await, &c.user)?;
    let (blue, standard): (Vec<_>, Vec<_>) = wls
        .iter()
        .partition(|(w, _)| w.kind == lfr_domain::watchlist::WatchlistKind::Blue);
    let now = app.store.clock().now();
    let title = format!("Dashboard: {}", f.deployment.application.location);
    let dep = &f.deployment;
    let body = html! {
        dl.facts #authority {
            dt { "Authority" }
            dd { @match &dep.authority {
                Some(a) if a.cancelled_at.is_some() => { strong { "cancelled" } }
                Some(a) if now >= a.valid_until => { strong { "expired at " (time::when(a.valid_until)) } }
                Some(a) if now < a.valid_from => { "from " (time::when(a.valid_from)) " until " strong { (time::when(a.valid_until)) } ", minimum threshold " (format!("{:.2}", a.minimum_threshold)) }
                Some(a) => { "in force until " strong { (time::when(a.valid_until)) } ", minimum threshold " (format!("{:.2}", a.minimum_threshold)) }
                None => { "not granted" }
            } }
            dt { "Threshold in force" }
            dd { (dep.threshold_in_force().map(|t| format!("{t:.2}")).unwrap_or_else(|| "-".into())) }
            dt { "Watchlists" }
            dd {
                (standard.iter().map(|(_, n)| n).sum::<u64>()) " inclusion(s) on " (standard.len()) " watchlist(s)"
                @if !blue.is_empty() { ", " (blue.iter().map(|(_, n)| n).sum::<u64>()) " Blue Watchlist volunteer(s)" }
                @if wls.iter().any(|(w, _)| !w.is_approved_as_is()) { ", " strong { "not all approved as they stand" } }
            }
        }
        p.quiet { "Figures update by themselves as alerts arrive and decisions are made." }
        p { a href=(format!("/console/blue-passes?d={}", d.0)) { "Blue Watchlist passes" } ": how the True Recognition Rate is measured in this deployment." }
        section aria-labelledby="h-figures" data-live-figures=(format!("/console/dashboard/figures?d={}", d.0)) {
            h2 #h-figures { "Figures" }
            (figures(&f))
        }
        (controls(&f, &c))
    };
    Ok(layout(&title, Some(&c.user), "/console/dashboard", body))
}

/// `GET /console/dashboard/figures?d=ID`: the figures region alone.
pub async fn figures_fragment(
    parts: Parts,
    State(app): State<App>,
    Query(q): Query<Which>,
) -> PageResult {
    let c = signed_in(&parts, &app).await?;
    let Some(d) = pick(&app, &c, &q).await? else {
        return Ok(html! {});
    };
    let f = as_user(load_figures(&app, &c, d).await, &c.user)?;
    Ok(figures(&f))
}
