//! The auditor's view of the audit log, with filters and the chain check.

use axum::extract::{Query, State};
use axum::http::request::Parts;
use maud::html;

use super::{PageResult, as_user, layout, signed_in, time};
use crate::App;
use crate::api::oversight::AuditQuery;

/// `GET /console/audit?target=&actor=&refused=true`.
pub async fn page(parts: Parts, State(app): State<App>, Query(q): Query<AuditQuery>) -> PageResult {
    let c = signed_in(&parts, &app).await?;
    let entries = as_user(app.store.audit_entries(&c.user, &q.filter()).await, &c.user)?;
    let body = html! {
        form.filters method="get" action="/console/audit" {
            p.field { label for="target" { "Target (e.g. D1, A7)" } input #target name="target" type="text" value=[q.target.as_deref()]; }
            p.field { label for="actor" { "Who (username)" } input #actor name="actor" type="text" value=[q.actor.as_deref()]; }
            p.choice { input #refused name="refused" type="checkbox" value="true" checked[q.refused]; label for="refused" { "Refusals only" } }
            button type="submit" { "Show" }
        }
        p {
            button type="button" data-verify-audit { "Check the hash chain" }
            " " output #verify-result aria-live="polite" {}
        }
        table.audit {
            caption { "Newest first; " (entries.len()) " entries shown" }
            thead { tr { th scope="col" { "#" } th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "Action" } th scope="col" { "On" } th scope="col" { "Outcome" } th scope="col" { "Detail" } } }
            tbody { @for e in &entries {
                tr.(e.event.outcome.as_str()) {
                    td { (e.seq) }
                    td { (time::precise(e.event.at)) }
                    td { (e.event.actor) }
                    td { code { (e.event.action) } }
                    td { (e.event.target) }
                    td { (e.event.outcome) }
                    td { (readable(&e.event.detail)) }
                }
            } }
        }
    };
    Ok(layout("Audit log", Some(&c.user), "/console/audit", body))
}

/// A detail recorded as JSON, as a list of its fields; other details as
/// written.
fn readable(detail: &str) -> maud::Markup {
    match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(detail) {
        Ok(fields) if !fields.is_empty() => html! {
            dl.detail { @for (k, v) in &fields {
                dt { (k.replace('_', " ")) }
                dd { @match v { serde_json::Value::String(s) => (s), other => (other.to_string()) } }
            } }
        },
        _ => html! { (detail) },
    }
}
