//! Blue Watchlist passes: the operator marks a volunteer setting off through
//! the Zone of Recognition and ends the pass once they are through (or lets
//! it end by itself); the page shows the passes under way, with any alert
//! seen so far, and the True Recognition Rate they add up to. Recognised or
//! not is read from the alerts; nothing here lets anyone type it in.

use axum::extract::{Query, State};
use axum::http::request::Parts;
use lfr_domain::blue::{
    BluePass, DEFAULT_PASS_WINDOW, MAX_PASS_WINDOW, MIN_PASS_WINDOW, PassState,
};
use lfr_domain::deployment::DeploymentState;
use lfr_domain::ids::DeploymentId;
use lfr_domain::metrics::wilson95;
use lfr_domain::policy::Action;
use maud::{Markup, html};

use super::dashboard::{Which, pick};
use super::{PageResult, api_form, as_user, layout, signed_in, time};
use crate::App;
use crate::api::blue_passes::{BluePassView, views};
use crate::auth::{Caller, role_allows};

/// `71% (5 of 7 passes; 95% interval 36% to 92%)`, or a dash before any pass.
pub fn trr(recognised: u64, passes: u64) -> String {
    if passes == 0 {
        return "- (no passes yet)".into();
    }
    let (lo, hi) = wilson95(recognised, passes);
    let pc = |r: f64| format!("{:.0}%", r * 100.0);
    format!(
        "{} ({recognised} of {passes} passes; 95% interval {} to {})",
        pc(recognised as f64 / passes as f64),
        pc(lo),
        pc(hi)
    )
}

fn volunteer(v: &BluePassView) -> String {
    v.reference
        .clone()
        .unwrap_or_else(|| format!("I{}", v.pass.inclusion))
}

fn camera(p: &BluePass) -> String {
    p.camera.clone().unwrap_or_else(|| "any camera".into())
}

fn open_row(v: &BluePassView, may_mark: bool) -> Markup {
    let p = &v.pass;
    let id = p.id.0;
    html! {
        tr data-pass=(id) data-state=(p.state.as_str()) {
            th scope="row" { "BP" (id) }
            td { (volunteer(v)) }
            td { (camera(p)) }
            td { (time::clock(p.started_at)) }
            td { (time::clock(p.ends_by)) }
            td.seen { @match p.alert { Some(a) => { "Alert A" (a) " raised" }, None => { "None yet" } } }
            @if may_mark {
                td.actions {
                    (api_form(&format!("/api/blue-passes/{id}/end"), "reload", &format!("End pass BP{id}"), html! {}))
                    (api_form(&format!("/api/blue-passes/{id}/cancel"), "reload", &format!("Cancel pass BP{id}"), html! {
                        p.field {
                            label for=(format!("cancel-{id}")) { "Why it did not happen" }
                            input id=(format!("cancel-{id}")) name="reason" type="text" placeholder="the volunteer did not walk through";
                        }
                    }))
                }
            }
        }
    }
}

/// The passes and the rate, redrawn by the script when a pass or an alert changes.
pub fn passes(d: DeploymentId, all: &[BluePassView], may_mark: bool) -> Markup {
    let open: Vec<_> = all
        .iter()
        .filter(|v| v.pass.state == PassState::Open)
        .collect();
    let ended: Vec<_> = all
        .iter()
        .filter(|v| v.pass.state != PassState::Open)
        .collect();
    let recognised = ended
        .iter()
        .filter(|v| v.pass.state == PassState::Recognised)
        .count() as u64;
    html! {
        div #passes data-deployment=(d.0) {
            p.big #trr data-recognised=(recognised) data-passes=(ended.len()) {
                "True Recognition Rate: " (trr(recognised, ended.len() as u64))
            }
            table.passes #open-passes {
                caption { "Passes under way (" (open.len()) ")" }
                thead { tr {
                    th scope="col" { "Pass" } th scope="col" { "Volunteer" } th scope="col" { "Camera" }
                    th scope="col" { "Started" } th scope="col" { "Ends by itself" } th scope="col" { "Alert so far" }
                    @if may_mark { th scope="col" { "End or cancel" } }
                } }
                tbody {
                    @for v in &open { (open_row(v, may_mark)) }
                    @if open.is_empty() { tr { td colspan="7" { "No pass is under way." } } }
                }
            }
            table.passes #ended-passes {
                caption { "Ended passes, newest first" }
                thead { tr {
                    th scope="col" { "Pass" } th scope="col" { "Volunteer" } th scope="col" { "Camera" }
                    th scope="col" { "Started" } th scope="col" { "Ended" } th scope="col" { "Result" }
                } }
                tbody {
                    @for v in ended.iter().take(50) {
                        tr data-pass=(v.pass.id.0) data-state=(v.pass.state.as_str()) {
                            th scope="row" { "BP" (v.pass.id) }
                            td { (volunteer(v)) }
                            td { (camera(&v.pass)) }
                            td { (time::clock(v.pass.started_at)) }
                            td { (v.pass.ended_at.map(time::clock).unwrap_or_default()) }
                            td.(v.pass.state.as_str()) {
                                @match v.pass.alert {
                                    Some(a) => { "Recognised (alert A" (a) ")" },
                                    None => { "Not recognised" },
                                }
                            }
                        }
                    }
                    @if ended.is_empty() { tr { td colspan="6" { "None yet." } } }
                }
            }
        }
    }
}

fn start_form(
    app: &App,
    d: DeploymentId,
    volunteers: &[lfr_store::blue_passes::Volunteer],
) -> Markup {
    let cameras: Vec<String> = app
        .cameras
        .cameras()
        .into_iter()
        .filter(|c| c.deployment == d)
        .map(|c| c.name)
        .collect();
    html! {
        section aria-labelledby="h-start" {
            h2 #h-start { "Start a pass" }
            p.quiet { "Start it as the volunteer sets off through the Zone of Recognition. End it once they are through; otherwise it ends by itself at the end of its window." }
            (api_form(&format!("/api/deployments/{}/blue-passes", d.0), "reload", "Start pass", html! {
                p.field {
                    label for="f-inclusion" { "Volunteer (Blue Watchlist)" }
                    select #f-inclusion name="inclusion" required {
                        @for v in volunteers { option value=(v.inclusion.0) { (v.reference) } }
                    }
                }
                p.field {
                    label for="f-camera" { "Camera they walk past" }
                    select #f-camera name="camera" {
                        option value="" { "Any camera" }
                        @for c in &cameras { option value=(c) { (c) } }
                    }
                }
                p.field {
                    label for="f-window" { "Ends by itself after (seconds)" }
                    input #f-window name="window_seconds" type="number" required
                        min=(MIN_PASS_WINDOW.as_secs()) max=(MAX_PASS_WINDOW.as_secs()) value=(DEFAULT_PASS_WINDOW.as_secs());
                }
            }))
        }
    }
}

async fn load(
    app: &App,
    c: &Caller,
    d: DeploymentId,
) -> Result<Vec<BluePassView>, super::PageError> {
    as_user(views(app, &c.user, d).await, &c.user)
}

/// `GET /console/blue-passes?d=ID`.
pub async fn page(parts: Parts, State(app): State<App>, Query(q): Query<Which>) -> PageResult {
    let c = signed_in(&parts, &app).await?;
    let here = "/console/blue-passes";
    let Some(d) = pick(&app, &c, &q).await? else {
        return Ok(layout(
            "Blue Watchlist passes",
            Some(&c.user),
            here,
            html! { p { "No deployment is running. " a href="/console/deployments" { "See all deployments" } "." } },
        ));
    };
    let dep = as_user(app.store.deployment(&c.user, d).await, &c.user)?;
    let all = load(&app, &c, d).await?;
    let volunteers = as_user(app.store.blue_volunteers(&c.user, d).await, &c.user)?;
    let may_mark = role_allows(&c.user, Action::MarkBluePass);
    let body = html! {
        p { "D" (d) " is " strong.(dep.state.as_str()) { (dep.state) } ". A pass is recognised when the system raised an alert for the volunteer between its start and its end; that is read from the alerts, not entered here." }
        @if may_mark && dep.state == DeploymentState::Active {
            @if volunteers.is_empty() {
                p { "The deployment has no Blue Watchlist volunteers." }
            } @else {
                (start_form(&app, d, &volunteers))
            }
        }
        section aria-labelledby="h-passes" data-live-passes=(format!("{here}/list?d={}", d.0)) {
            h2 #h-passes { "Passes" }
            (passes(d, &all, may_mark))
        }
    };
    Ok(layout(
        &format!("Blue Watchlist passes: {}", dep.application.location),
        Some(&c.user),
        here,
        body,
    ))
}

/// `GET /console/blue-passes/list?d=ID`: the passes region alone.
pub async fn list_fragment(
    parts: Parts,
    State(app): State<App>,
    Query(q): Query<Which>,
) -> PageResult {
    let c = signed_in(&parts, &app).await?;
    let Some(d) = pick(&app, &c, &q).await? else {
        return Ok(html! {});
    };
    let all = load(&app, &c, d).await?;
    Ok(passes(d, &all, role_allows(&c.user, Action::MarkBluePass)))
}
