//! The public page (upcoming deployments, published reports) and the
//! staff sign-in page. Neither needs a sign-in; the public page shows no
//! personal data because its sources have no field that could hold any.

use axum::extract::State;
use maud::{Markup, html};

use super::{PageResult, layout, time};
use crate::App;
use crate::auth::MaybeCaller;

/// `GET /`: what the public is told.
pub async fn page(State(app): State<App>, MaybeCaller(c): MaybeCaller) -> PageResult {
    let upcoming = app.store.upcoming().await?;
    let reports = app.published.list();
    let force = app.store.force_notice().await?;
    let body = html! {
        p.lead { "This force uses Live Facial Recognition (LFR) only where and when an Authorising Officer has authorised it in writing. Faces that do not match the watchlist are deleted at once and never stored." }
        @if let Some(f) = &force {
            section #force-notice aria-labelledby="h-force" {
                h2 #h-force { "About " (f.force) "'s use of LFR" }
                dl.figures {
                    dt { "Legal basis" } dd { (f.legal_basis) }
                    dt { "Questions and complaints" } dd { (f.contact) }
                    @if let Some(p) = &f.policy { dt { "Policy" } dd { (p) } }
                }
            }
        }
        section aria-labelledby="h-upcoming" {
            h2 #h-upcoming { "Where LFR will be used" }
            @if upcoming.is_empty() {
                p { "No deployment is planned at present." }
            } @else {
                table {
                    caption.visually-hidden { "Planned and running deployments" }
                    thead { tr { th scope="col" { "Location" } th scope="col" { "Purpose" } th scope="col" { "From" } th scope="col" { "Until" } th scope="col" { "Now" } } }
                    tbody {
                        @for n in &upcoming {
                            tr {
                                th scope="row" { (n.location) }
                                td { "LFR " (n.use_case.public_words()) ", cameras " (n.style.public_words()) }
                                td { (time::when(n.starts_at)) }
                                td { (time::when(n.ends_at)) }
                                td { @if n.running_now { strong { "In use now" } } @else { "Planned" } }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="h-reports" {
            h2 #h-reports { "Results of past deployments" }
            @if reports.is_empty() {
                p { "No report has been published yet." }
            }
            @for r in &reports {
                article.report aria-labelledby=(format!("r-{}", r.deployment)) {
                    h3 id=(format!("r-{}", r.deployment)) { (r.location) ", " (r.date) }
                    dl.figures {
                        dt { "Duration" } dd { (r.duration_minutes.map(|m| format!("{} h {:02} min", m / 60, m % 60)).unwrap_or_else(|| "-".into())) }
                        dt { "Purpose" } dd { "LFR " (r.use_case.public_words()) }
                        dt { "Cameras" } dd { (r.assets) ", " (r.style.public_words()) }
                        dt { "Watchlist size" } dd {
                            (r.watchlist_inclusions)
                            @if !r.watchlist_categories.is_empty() {
                                " ("
                                @for (i, (k, v)) in r.watchlist_categories.iter().enumerate() {
                                    @if i > 0 { ", " }
                                    (v) " " (k.replace('_', " "))
                                }
                                ")"
                            }
                        }
                        dt { "Lowest threshold authorised" } dd { (r.minimum_threshold_authorised.map(|t| format!("{t:.2}")).unwrap_or_else(|| "-".into())) }
                        dt { "Faces scanned" } dd {
                            (r.faces_scanned)
                            @if r.interrupted_sessions > 0 {
                                " (at least: " (r.interrupted_sessions) " recording session(s) stopped without writing their last counts, each missing up to 5 seconds)"
                            }
                        }
                        dt { "Alerts" } dd {
                            (r.alerts)
                            @if r.repeats > 0 { " (" (r.repeats) " of them the same person seen again, counted as the first alert was)" }
                        }
                        dt { "True alerts, confirmed" } dd { (r.positive_alerts_confirmed) }
                        dt { "True alerts, unconfirmed" } dd { (r.positive_alerts_unconfirmed) }
                        dt { "False alerts, confirmed" } dd { (r.false_alerts_confirmed) }
                        dt { "False alerts, unconfirmed" } dd { (r.false_alerts_unconfirmed) }
                        dt { "False alert rate" } dd { (lfr_domain::report::show_rate(r.false_alert_rate)) }
                        @for (k, v) in &r.policing_outcomes {
                            dt { "Outcome: " (k.replace('_', " ")) } dd { (v) }
                        }
                        @if let Some(f) = &r.force {
                            dt { "Legal basis" } dd { (f.legal_basis) }
                            dt { "Questions and complaints" } dd { (f.contact) }
                        }
                        @if let Some(c) = &r.audit_checkpoint {
                            dt { "Audit log checkpoint" } dd.checkpoint { code { (c) } }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(
        "Live Facial Recognition in this force area",
        c.as_ref().map(|c| &c.user),
        "/",
        body,
    ))
}

fn sign_in_form() -> Markup {
    html! {
        form #signin.api data-api="/api/session" data-then="/console" {
            p { "Paste the sign-in token your administrator gave you (it starts with " code { "lfr_" } ")." }
            p.field {
                label for="token" { "Token" }
                input #token name="token" type="password" autocomplete="current-password" required spellcheck="false" autofocus;
            }
            p.error role="alert" {}
            button type="submit" { "Sign in" }
        }
    }
}

/// `GET /signin`. A link ending `#token=...` signs in directly: the
/// fragment never leaves the browser, and the script wipes it from the
/// address bar and history.
pub async fn sign_in(MaybeCaller(c): MaybeCaller) -> PageResult {
    Ok(layout(
        "Staff sign-in",
        c.as_ref().map(|c| &c.user),
        "/signin",
        sign_in_form(),
    ))
}
