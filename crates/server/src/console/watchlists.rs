//! A watchlist: its inclusions, the AO's approval, and import for the
//! roles that compile watchlists. Import is checked first (every image
//! graded and templated, with its thumbnail, nothing stored) and written
//! only when the person importing accepts a clean check of the same files.

use axum::extract::{Path, State};
use axum::http::request::Parts;
use lfr_domain::policy::{self, Action};
use maud::html;

use super::{PageResult, api_form, as_user, layout, signed_in, text_field};
use crate::App;
use crate::auth::role_allows;

/// `GET /console/watchlists/{w}`.
pub async fn page(parts: Parts, State(app): State<App>, Path(w): Path<String>) -> PageResult {
    let c = signed_in(&parts, &app).await?;
    let u = &c.user;
    let id = as_user(crate::api::id(&w), u)?;
    let wl = as_user(app.store.watchlist(u, id).await, u)?;
    let d = as_user(app.store.deployment(u, wl.deployment).await, u)?;
    let incs = as_user(app.store.inclusions(u, id).await, u)?;
    let importable = role_allows(u, Action::CompileWatchlist)
        && policy::watchlist_open_for_changes(&wl, &d).is_ok();
    let body = html! {
        p { "Deployment " a href=(format!("/console/deployments/{}", wl.deployment)) { "D" (wl.deployment) } ", " (wl.kind) " watchlist, revision " (wl.revision) ". "
            @if wl.is_approved_as_is() { "Approved as it stands." } @else { strong { "Not approved as it stands." } } }
        @if incs.is_empty() { p { "No inclusions yet." } }
        @else { table {
            caption.visually-hidden { "Inclusions" }
            thead { tr { th scope="col" { "Ref" } th scope="col" { "Name" } th scope="col" { "Category" } th scope="col" { "Under 18" } th scope="col" { "Images (grades)" } th scope="col" { "Justification" } } }
            tbody { @for v in &incs {
                tr {
                    th scope="row" { (v.reference) }
                    td { (v.name.clone().unwrap_or_else(|| "(not shown to your role)".into())) }
                    td { (v.inclusion.category.as_str().replace('_', " ")) }
                    td { @if v.inclusion.under_18 { "yes" } @else { "no" } }
                    td { (v.images) " (" (v.grades.join(", ")) ")" }
                    td { (v.inclusion.justification) }
                }
            } }
        } }
        @if !wl.is_approved_as_is() && role_allows(u, Action::ApproveWatchlist) {
            (api_form(&format!("/api/watchlists/{id}/approve"), "reload", "Approve this watchlist as it stands", text_field("note", "Note of the review", true)))
        }
        @if importable {
            section.import data-import=(format!("/api/watchlists/{id}/import")) aria-labelledby="import-title" {
                h2 #import-title { "Import subjects" }
                p { "Choose " code { "manifest.json" } " and the images it names, or one .tar or .tar.gz archive holding them (the format is in docs/watchlists.md). "
                    "Every image is graded and templated with the deployment's model, " code { (d.recognition.model) } ", and shown to you before anything is stored. "
                    "Import is all or nothing, and the AO must approve the watchlist again afterwards." }
                p.field {
                    label for="import-files" { "Files" }
                    input #import-files type="file" multiple accept=".json,.jpg,.jpeg,.png,.tar,.gz,.tgz";
                }
                p {
                    button type="button" data-import-check { "Check" } " "
                    button type="button" data-import-commit disabled { "Import" }
                }
                p.error role="alert" {}
                p.status role="status" data-import-status {}
                div data-import-results {}
            }
        }
    };
    Ok(layout(
        &format!("W{id}: {}", wl.name),
        Some(u),
        "/console/deployments",
        body,
    ))
}
