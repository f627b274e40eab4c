//! `GET /console/retention`: what retention will delete, and when, soonest
//! first, for those who answer for a deployment's data (the same list as
//! `lfr retention schedule`, each seeing their own deployments').

use axum::extract::State;
use axum::http::request::Parts;
use maud::html;

use super::{PageResult, as_user, layout, signed_in, time};
use crate::App;

pub async fn page(parts: Parts, State(app): State<App>) -> PageResult {
    let c = signed_in(&parts, &app).await?;
    let due = as_user(app.store.retention_schedule(&c.user).await, &c.user)?;
    let policy = app.store.retention_policy();
    let hours = |d: lfr_base::SignedDuration| d.as_secs() / 3600;
    Ok(layout(
        "Retention schedule",
        Some(&c.user),
        "/console/retention",
        html! {
            p {
                "Alerts' personal data goes " (hours(policy.alert_personal_data)) " hours after the alert; "
                "watchlist data " (hours(policy.watchlist_after_end)) " hours after the deployment ends; "
                "recorded footage " (hours(policy.footage) / 24) " days after it was recorded. "
                "A legal hold keeps an item past its time until it is released. The server deletes on time by itself, once a minute."
            }
            @if due.is_empty() {
                p.quiet { "Nothing is waiting to be deleted." }
            } @else {
                table.retention {
                    caption { (due.len()) " item(s), soonest first" }
                    thead { tr { th scope="col" { "What" } th scope="col" { "Which" } th scope="col" { "Deleted by" } th scope="col" { "Held" } } }
                    tbody { @for s in &due {
                        tr.(if s.held { "held" } else { "due" }) data-target=(s.target) {
                            td { (s.what) }
                            td { (s.target) }
                            td { @if let Some(t) = s.due { (time::when(t)) } @else { "when its deployment ends" } }
                            td { @if s.held { strong { "held" } } @else { "no" } }
                        }
                    } }
                }
            }
        },
    ))
}
