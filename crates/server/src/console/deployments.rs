//! Deployments and their watchlists, with the actions of the roles that
//! own them: commanders apply, start, conclude and compile watchlists; the
//! Authorising Officer authorises, approves watchlists and cancels.

use axum::extract::{Path, State};
use axum::http::request::Parts;
use lfr_domain::deployment::{DeploymentState, DeploymentStyle, UseCase};
use lfr_domain::policy::{Action, DEFAULT_MINIMUM_THRESHOLD};
use lfr_domain::watchlist::WatchlistKind;
use maud::{Markup, html};

use super::{PageResult, api_form, as_user, layout, signed_in, text_field, time};
use crate::App;
use crate::auth::role_allows;

/// `GET /console/deployments`.
pub async fn list(parts: Parts, State(app): State<App>) -> PageResult {
    let c = signed_in(&parts, &app).await?;
    let all = as_user(app.store.deployments(&c.user).await, &c.user)?;
    let owed = as_user(app.store.outstanding(&c.user).await, &c.user)?;
    let body = html! {
        @if role_allows(&c.user, Action::ApplyForDeployment) {
            p { a.button href="/console/deployments/new" { "Apply for a deployment" } }
        }
        table {
            caption.visually-hidden { "Deployments" }
            thead { tr { th scope="col" { "Id" } th scope="col" { "Location" } th scope="col" { "Purpose" } th scope="col" { "From" } th scope="col" { "Until" } th scope="col" { "State" } } }
            tbody {
                @for d in all.iter().rev() {
                    tr {
                        th scope="row" { a href=(format!("/console/deployments/{}", d.id)) { "D" (d.id) } }
                        td { (d.application.location) }
                        td { (d.application.use_case) }
                        td { (time::when(d.application.starts_at)) }
                        td { (time::when(d.application.ends_at)) }
                        td.(d.state.as_str()) { (d.state) }
                    }
                }
            }
        }
        @if !owed.is_empty() {
            section aria-labelledby="h-owed" {
                h2 #h-owed { "Owed" }
                ul { @for (d, o) in &owed {
                    li.(if o.overdue { "overdue" } else { "due" }) { "D" (d) ": " (o.what) ", due " (time::when(o.due)) @if o.overdue { strong { " (overdue)" } } }
                } }
            }
        }
    };
    Ok(layout(
        "Deployments",
        Some(&c.user),
        "/console/deployments",
        body,
    ))
}

fn input(name: &str, label: &str, kind: &str, value: &str) -> Markup {
    let id = format!("f-{name}");
    html! {
        p.field {
            label for=(id) { (label) }
            input id=(id) name=(name) type=(kind) value=(value) required;
        }
    }
}

fn choice<T: std::fmt::Display>(name: &str, label: &str, all: &[T]) -> Markup {
    let id = format!("f-{name}");
    html! {
        p.field {
            label for=(id) { (label) }
            select id=(id) name=(name) { @for v in all { option value=(v.to_string()) { (v.to_string().replace('_', " ")) } } }
        }
    }
}

/// `GET /console/deployments/new`: the application form.
pub async fn new(parts: Parts, State(app): State<App>) -> PageResult {
    let c = signed_in(&parts, &app).await?;
    let body = api_form(
        "/api/deployments",
        "/console/deployments",
        "Apply",
        html! {
            (input("location", "Location (the Zone of Recognition)", "text", ""))
            (choice("use_case", "Use case", UseCase::ALL))
            (choice("style", "Style", DeploymentStyle::ALL))
            (input("assets", "Cameras", "number", "1"))
            (input("starts_at", "Starts (local time)", "datetime-local", ""))
            (input("ends_at", "Ends (local time)", "datetime-local", ""))
            (text_field("legitimate_aim", "Legitimate aim", true))
            (text_field("legal_basis", "Legal basis", true))
            (text_field("necessity", "Necessity", true))
            (text_field("proportionality", "Proportionality", true))
            (text_field("safeguards", "Safeguards", true))
            (text_field("alternatives_considered", "Alternatives considered", true))
            (text_field("watchlist_composition", "Watchlist composition", true))
            (text_field("resources", "Resources", true))
            (input("threshold_requested", "Threshold requested", "number", &DEFAULT_MINIMUM_THRESHOLD.to_string()))
            (input("review_interval_minutes", "Minutes between reviews", "number", "60"))
        },
    );
    Ok(layout(
        "Apply for a deployment",
        Some(&c.user),
        "/console/deployments",
        body,
    ))
}

/// `GET /console/deployments/{d}`: the application, authority, reviews,
/// watchlists, and the actions the viewer's roles allow.
pub async fn show(parts: Parts, State(app): State<App>, Path(d): Path<String>) -> PageResult {
    let c = signed_in(&parts, &app).await?;
    let u = &c.user;
    let id = as_user(crate::api::id(&d), u)?;
    let dep = as_user(app.store.deployment(u, id).await, u)?;
    let wls = as_user(app.store.watchlists(u, id).await, u)?;
    let reviews = as_user(app.store.reviews(u, id).await, u)?;
    let team = as_user(app.store.team(u, id).await, u)?;
    let a = &dep.application;
    let base = format!("/api/deployments/{id}");
    let s = dep.state;
    let body = html! {
        p.state { "State: " strong.(s.as_str()) { (s) } }
        @if matches!(s, DeploymentState::Active | DeploymentState::Suspended) && role_allows(u, Action::ReadFullReport) && role_allows(u, Action::ViewAlerts) {
            p { a href=(format!("/console/dashboard?d={id}")) { "Open the dashboard" } }
        }
        section aria-labelledby="h-app" {
            h2 #h-app { "Application" }
            dl.facts {
                dt { "Location" } dd { (a.location) }
                dt { "Use case" } dd { (a.use_case) " (" (a.style) ", " (a.assets) " camera(s))" }
                dt { "When" } dd { (time::when(a.starts_at)) " to " (time::when(a.ends_at)) }
                dt { "Legitimate aim" } dd { (a.legitimate_aim) }
                dt { "Legal basis" } dd { (a.legal_basis) }
                dt { "Necessity" } dd { (a.necessity) }
                dt { "Proportionality" } dd { (a.proportionality) }
                dt { "Safeguards" } dd { (a.safeguards) }
                dt { "Watchlist composition" } dd { (a.watchlist_composition) }
                dt { "Threshold requested" } dd {
                    (a.threshold_requested)
                    @if let Some(r) = &a.threshold_reason { " (below the default: " (r) ")" }
                }
            }
        }
        section aria-labelledby="h-auth" {
            h2 #h-auth { "Authority" }
            @if let Some(au) = &dep.authority {
                dl.facts {
                    @match au.cancelled_at {
                        Some(at) => { dt { "Cancelled" } dd.cancelled { "at " (time::when(at)) "; it ran from " (time::when(au.valid_from)) " to " (time::when(au.valid_until)) } }
                        None => { dt { "In force" } dd { (time::when(au.valid_from)) " to " (time::when(au.valid_until)) } }
                    }
                    dt { "Minimum threshold" } dd {
                        (au.minimum_threshold)
                        @if let Some(r) = &au.minimum_threshold_reason { " (below the default: " (r) ")" }
                    }
                    dt { "Rationale" } dd { (au.rationale) }
                }
            } @else { p { "Not yet authorised." } }
        }
        section aria-labelledby="h-actions" {
            h2 #h-actions { "Actions" }
            div.controls {
                @if s == DeploymentState::Applied && role_allows(u, Action::Authorise) {
                    (api_form(&format!("{base}/authorise"), "reload", "Authorise in writing", html! {
                        (text_field("rationale", "Rationale: why this use is lawful, necessary and proportionate", true))
                        (input("minimum_threshold", "Minimum threshold", "number", &DEFAULT_MINIMUM_THRESHOLD.to_string()))
                    }))
                }
                @if matches!(s, DeploymentState::Authorised | DeploymentState::Suspended) && role_allows(u, Action::StartRecognition) {
                    (api_form(&format!("{base}/start"), "reload", "Start recognition", html! {}))
                }
                @if matches!(s, DeploymentState::Active | DeploymentState::Suspended) && role_allows(u, Action::Conclude) {
                    (api_form(&format!("{base}/conclude"), "reload", "Conclude as planned", html! {}))
                }
                @if s.is_ended() && role_allows(u, Action::CancelAuthority) && dep.authority.as_ref().is_some_and(|a| a.cancelled_at.is_none()) {
                    (api_form(&format!("{base}/cancel-authority"), "reload", "Cancel the authority", html! {}))
                }
                @if s.is_ended() && dep.record_submitted_at.is_none() && role_allows(u, Action::SubmitDeploymentRecord) {
                    (api_form(&format!("{base}/record"), "reload", "Record the deployment record as sent to the AO", text_field("note", "Note", true)))
                }
                @if s.is_ended() && role_allows(u, Action::PublishReport) {
                    (api_form(&format!("{base}/report/publish"), "/", "Publish the post-deployment report", html! {}))
                }
            }
        }
        section aria-labelledby="h-team" {
            h2 #h-team { "Team" }
            p.quiet { "Silver Commanders, Operators, Engagement Officers and System Engineers see this deployment only from its team." }
            ul #team {
                @for m in &team {
                    li data-user=(m.username) {
                        (m.display_name) " (" (m.username) "; "
                        (m.roles.iter().map(|r| r.as_str().replace('_', " ")).collect::<Vec<_>>().join(", ")) ")"
                    }
                }
            }
            @if role_allows(u, Action::ManageTeam) {
                div.controls {
                    (api_form(&format!("{base}/team"), "reload", "Add to the team", text_field("add", "Username", true)))
                    (api_form(&format!("{base}/team"), "reload", "Take off the team", text_field("remove", "Username", true)))
                }
            }
        }
        section aria-labelledby="h-wl" {
            h2 #h-wl { "Watchlists" }
            ul {
                @for (w, n) in &wls {
                    li {
                        a href=(format!("/console/watchlists/{}", w.id)) { "W" (w.id) " " (w.name) }
                        " (" (w.kind) ", " (n) " inclusions, revision " (w.revision) ", "
                        @if w.is_approved_as_is() { "approved" } @else { strong { "not approved as it stands" } }
                        ")"
                    }
                }
            }
            @if wls.is_empty() { p { "None yet." } }
            @if !s.is_ended() && role_allows(u, Action::CompileWatchlist) {
                (api_form(&format!("{base}/watchlists"), "reload", "Create watchlist", html! {
                    (input("name", "Name", "text", ""))
                    (choice("kind", "Kind", WatchlistKind::ALL))
                }))
                p.quiet { "Then open the watchlist to import its inclusions (or use " code { "lfr watchlist import W... DIR" } "): the engine grades and enrols every image before anything is stored." }
            }
        }
        section aria-labelledby="h-reviews" {
            h2 #h-reviews { "Reviews" }
            @if reviews.is_empty() { p { "None recorded." } }
            ol { @for r in &reviews {
                li { (time::when(r.at)) ": " @if r.continue_deployment { "continue" } @else { strong { "do not continue" } } ". " (r.performance) }
            } }
        }
    };
    Ok(layout(
        &format!("D{id}: {}", a.location),
        Some(u),
        "/console/deployments",
        body,
    ))
}
