//! Blue Watchlist passes: the operator starts one as a volunteer sets off
//! through the Zone of Recognition and ends or cancels it; the server ends
//! those whose window is over. Whether a pass was recognised is the store's
//! decision from the alerts, never a field of a request.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use lfr_domain::SignedDuration;
use lfr_domain::blue::BluePass;
use lfr_domain::ids::{BluePassId, DeploymentId, InclusionId};
use lfr_domain::role::User;
use serde::{Deserialize, Serialize};

use super::{Body, id};
use crate::App;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/api/deployments/{d}/blue-passes", get(list).post(start))
        .route("/api/blue-passes/{p}/end", post(end))
        .route("/api/blue-passes/{p}/cancel", post(cancel))
}

/// A pass with the volunteer's reference (never the name).
#[derive(Debug, Serialize)]
pub struct BluePassView {
    #[serde(flatten)]
    pub pass: BluePass,
    pub reference: Option<String>,
}

/// The deployment's passes, open first, with the volunteers' references.
pub async fn views(app: &App, user: &User, d: DeploymentId) -> ApiResult<Vec<BluePassView>> {
    let passes = app.store.blue_passes(user, d).await?;
    let volunteers = app.store.blue_volunteers(user, d).await?;
    Ok(passes
        .into_iter()
        .map(|pass| BluePassView {
            reference: volunteers
                .iter()
                .find(|v| v.inclusion == pass.inclusion)
                .map(|v| v.reference.clone()),
            pass,
        })
        .collect())
}

async fn list(
    State(app): State<App>,
    c: Caller,
    Path(d): Path<String>,
) -> ApiResult<Json<Vec<BluePassView>>> {
    Ok(Json(views(&app, &c.user, id(&d)?).await?))
}

/// An id as a number (`5`) or as text (`"5"`, `"I5"`), as forms send it.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum IdText {
    Number(i64),
    Text(String),
}

#[derive(Debug, Deserialize)]
pub struct StartBody {
    /// The volunteer's inclusion on the deployment's Blue Watchlist.
    pub inclusion: IdText,
    /// The camera the volunteer walks past; empty or absent: any camera.
    #[serde(default)]
    pub camera: Option<String>,
    /// When the pass ends by itself; default 120.
    #[serde(default)]
    pub window_seconds: Option<i64>,
}

async fn start(
    State(app): State<App>,
    c: Caller,
    Path(d): Path<String>,
    Body(b): Body<StartBody>,
) -> ApiResult<Json<BluePass>> {
    let d: DeploymentId = id(&d)?;
    let inclusion = match b.inclusion {
        IdText::Number(n) => InclusionId(n),
        IdText::Text(t) => id(&t)?,
    };
    let camera = b.camera.as_deref().map(str::trim).filter(|c| !c.is_empty());
    // A misspelt camera would never see the volunteer: refuse it while the
    // operator can still correct it.
    let known: Vec<String> = app
        .cameras
        .cameras()
        .into_iter()
        .filter(|s| s.deployment == d)
        .map(|s| s.name)
        .collect();
    if let Some(cam) = camera
        && !known.is_empty()
        && !known.iter().any(|k| k == cam)
    {
        return Err(ApiError::invalid(format!(
            "D{d} has no camera `{cam}`; its cameras are {}, or leave the camera out for any",
            known.join(", ")
        )));
    }
    let window = b.window_seconds.map(SignedDuration::from_secs);
    let p = app
        .store
        .start_blue_pass(&c.user, d, inclusion, camera, window)
        .await?;
    app.hub.blue_pass(&p, "start", &c.user.username);
    Ok(Json(p))
}

async fn end(
    State(app): State<App>,
    c: Caller,
    Path(p): Path<String>,
) -> ApiResult<Json<BluePass>> {
    let id: BluePassId = id(&p)?;
    let p = app.store.end_blue_pass(&c.user, id).await?;
    app.hub.blue_pass(&p, "end", &c.user.username);
    Ok(Json(p))
}

#[derive(Debug, Deserialize)]
pub struct CancelBody {
    /// Why the pass did not happen; default: the volunteer did not walk through.
    #[serde(default)]
    pub reason: String,
}

async fn cancel(
    State(app): State<App>,
    c: Caller,
    Path(p): Path<String>,
    Body(b): Body<CancelBody>,
) -> ApiResult<Json<BluePass>> {
    let id: BluePassId = id(&p)?;
    let p = app.store.cancel_blue_pass(&c.user, id, &b.reason).await?;
    app.hub.blue_pass(&p, "cancel", &c.user.username);
    Ok(Json(p))
}

/// Ends the passes whose window is over and tells the dashboards.
pub async fn end_due(app: &App) -> lfr_store::Result<usize> {
    let ended = app.store.end_due_blue_passes().await?;
    for p in &ended {
        app.hub.blue_pass(p, "end", "system");
    }
    Ok(ended.len())
}

/// Runs [`end_due`] every `every`, for as long as the server runs. A pass
/// therefore ends within `every` of its window; its end time is the
/// window's end whenever it is closed, so a late closing changes nothing.
pub async fn end_due_loop(app: App, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        if let Err(e) = end_due(&app).await {
            tracing::warn!("ending Blue Watchlist passes past their window failed: {e}");
        }
    }
}
