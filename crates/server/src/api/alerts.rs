//! Alerts: raising (for pipelines outside this process), the operator's
//! adjudication, the engagement officer's finding and outcome, and the
//! probe and candidate images, each viewing audited by the store.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use lfr_domain::alert::{Adjudication, Alert, AlertClass, EngagementOutcome, PolicingOutcome};
use lfr_domain::ids::AlertId;
use lfr_domain::role::User;
use serde::{Deserialize, Serialize};

use super::{Body, id, image};
use crate::App;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::subjects::Subject;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/api/deployments/{d}/alerts", get(list))
        .route("/api/alerts/{a}", get(show))
        .route("/api/alerts/{a}/adjudication", post(adjudicate))
        .route("/api/alerts/{a}/engagement", post(engagement))
        .route("/api/alerts/{a}/outcome", post(outcome))
        .route("/api/alerts/{a}/probe", get(probe))
        .route("/api/images/{img}", get(reference_image))
}

/// An alert with what the operator needs beside it.
#[derive(Debug, Serialize)]
pub struct AlertView {
    #[serde(flatten)]
    pub alert: Alert,
    pub class: AlertClass,
    /// The inclusion's reference, category and watchlist (never the name).
    pub subject: Option<Subject>,
    /// Where to fetch the probe crop (until retention deletes it).
    pub probe: Option<String>,
    /// Where to fetch the candidate reference image.
    pub candidate: String,
}

pub async fn view(app: &App, user: &User, a: Alert) -> AlertView {
    let subject = app
        .subjects
        .lookup(&app.store, user, a.deployment, a.inclusion)
        .await;
    AlertView {
        class: a.class(),
        subject,
        probe: a
            .purged_at
            .is_none()
            .then(|| format!("/api/alerts/{}/probe", a.id)),
        candidate: format!("/api/images/{}", a.candidate_image),
        alert: a,
    }
}

async fn list(
    State(app): State<App>,
    c: Caller,
    Path(d): Path<String>,
) -> ApiResult<Json<Vec<AlertView>>> {
    let alerts = app.store.alerts(&c.user, id(&d)?).await?;
    let mut out = Vec::with_capacity(alerts.len());
    for a in alerts.into_iter().rev() {
        out.push(view(&app, &c.user, a).await);
    }
    Ok(Json(out))
}

async fn show(
    State(app): State<App>,
    c: Caller,
    Path(a): Path<String>,
) -> ApiResult<Json<AlertView>> {
    let a = app.store.alert(&c.user, id(&a)?).await?;
    Ok(Json(view(&app, &c.user, a).await))
}

#[derive(Debug, Deserialize)]
pub struct AdjudicationBody {
    pub decision: Adjudication,
    /// For `repeat`: the earlier alert (`A12` or `12`).
    #[serde(default)]
    pub repeat_of: Option<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize)]
pub struct EngagementBody {
    pub outcome: EngagementOutcome,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize)]
pub struct OutcomeBody {
    pub outcome: PolicingOutcome,
    #[serde(default)]
    pub note: String,
}

async fn decided(app: &App, c: &Caller, a: Alert) -> Json<AlertView> {
    app.hub.alert_updated(&a, &c.user);
    Json(view(app, &c.user, a).await)
}

async fn adjudicate(
    State(app): State<App>,
    c: Caller,
    Path(a): Path<String>,
    Body(b): Body<AdjudicationBody>,
) -> ApiResult<Json<AlertView>> {
    let id: AlertId = id(&a)?;
    let a = match (b.decision, b.repeat_of) {
        (Adjudication::Repeat, Some(of)) => {
            let of: AlertId = crate::api::id(&of)?;
            app.store.mark_repeat(&c.user, id, of, &b.note).await?
        }
        (decision, _) => app.store.adjudicate(&c.user, id, decision, &b.note).await?,
    };
    Ok(decided(&app, &c, a).await)
}

async fn engagement(
    State(app): State<App>,
    c: Caller,
    Path(a): Path<String>,
    Body(b): Body<EngagementBody>,
) -> ApiResult<Json<AlertView>> {
    let id: AlertId = id(&a)?;
    let a = app
        .store
        .record_engagement(&c.user, id, b.outcome, &b.note)
        .await?;
    Ok(decided(&app, &c, a).await)
}

async fn outcome(
    State(app): State<App>,
    c: Caller,
    Path(a): Path<String>,
    Body(b): Body<OutcomeBody>,
) -> ApiResult<Json<AlertView>> {
    let id: AlertId = id(&a)?;
    let a = app
        .store
        .record_policing_outcome(&c.user, id, b.outcome, &b.note)
        .await?;
    Ok(decided(&app, &c, a).await)
}

async fn probe(State(app): State<App>, c: Caller, Path(a): Path<String>) -> ApiResult<Response> {
    Ok(image(app.store.probe_image(&c.user, id(&a)?).await?))
}

async fn reference_image(
    State(app): State<App>,
    c: Caller,
    Path(img): Path<String>,
) -> ApiResult<Response> {
    Ok(image(app.store.reference_image(&c.user, id(&img)?).await?))
}
