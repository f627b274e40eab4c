//! Deployments through their lifecycle, reviews, and the figures the Silver
//! Commander watches.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use lfr_base::Timestamp;
use lfr_domain::alert::Alert;
use lfr_domain::blue::PassState;
use lfr_domain::deployment::{Application, Deployment, Outstanding};
use lfr_domain::ids::DeploymentId;
use lfr_domain::metrics::{Counts, Metrics};
use lfr_domain::policy::{Action, DEFAULT_MINIMUM_THRESHOLD};
use lfr_domain::review::Review;
use lfr_store::deployments::{Grant, ReviewInput};
use serde::{Deserialize, Serialize};

use super::{Body, id};
use crate::App;
use crate::auth::{Caller, role_allows};
use crate::cameras::CameraStatus;
use crate::error::ApiResult;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/api/deployments", get(list).post(apply))
        .route("/api/deployments/outstanding", get(outstanding))
        .route("/api/deployments/{d}", get(show))
        .route("/api/deployments/{d}/authorise", post(authorise))
        .route("/api/deployments/{d}/confirm", post(confirm))
        .route("/api/deployments/{d}/start", post(start))
        .route("/api/deployments/{d}/suspend", post(suspend))
        .route("/api/deployments/{d}/resume", post(resume))
        .route("/api/deployments/{d}/terminate", post(terminate))
        .route("/api/deployments/{d}/conclude", post(conclude))
        .route(
            "/api/deployments/{d}/cancel-authority",
            post(cancel_authority),
        )
        .route("/api/deployments/{d}/withdraw-authority", post(withdraw))
        .route("/api/deployments/{d}/record", post(record))
        .route("/api/deployments/{d}/reviews", get(reviews).post(review))
        .route("/api/deployments/{d}/figures", get(figures))
        .route(
            "/api/deployments/{d}/cameras/{camera}/view",
            get(camera_view),
        )
        .route("/api/deployments/{d}/team", get(team).post(change_team))
        .route("/api/deployments/{d}/cameras", get(cameras))
        .route(
            "/api/deployments/{d}/cameras/{camera}/assign",
            post(assign_camera),
        )
}

/// Which node runs a camera.
#[derive(Debug, Deserialize)]
pub struct AssignBody {
    pub node: String,
}

async fn cameras(
    State(app): State<App>,
    c: Caller,
    Path(d): Path<String>,
) -> ApiResult<Json<Vec<lfr_store::cameras::Camera>>> {
    Ok(Json(app.store.cameras(&c.user, id(&d)?).await?))
}

/// Moves a camera to another node; the nodes hear of it at once.
async fn assign_camera(
    State(app): State<App>,
    c: Caller,
    Path((d, camera)): Path<(String, String)>,
    Body(b): Body<AssignBody>,
) -> ApiResult<Json<lfr_store::cameras::Camera>> {
    let d = id(&d)?;
    let moved = app
        .store
        .assign_camera(&c.user, d, &camera, b.node.trim())
        .await?;
    if let Ok(dep) = app.store.deployment(&c.user, d).await {
        app.hub.deployment_changed(&dep, "camera.assign", &c.user);
    }
    Ok(Json(moved))
}

/// A change to a deployment's team: one user added, or one taken off.
#[derive(Debug, Deserialize)]
pub struct TeamBody {
    #[serde(default)]
    pub add: Option<String>,
    #[serde(default)]
    pub remove: Option<String>,
}

async fn team(
    State(app): State<App>,
    c: Caller,
    Path(d): Path<String>,
) -> ApiResult<Json<Vec<lfr_store::team::Member>>> {
    Ok(Json(app.store.team(&c.user, id(&d)?).await?))
}

async fn change_team(
    State(app): State<App>,
    c: Caller,
    Path(d): Path<String>,
    Body(b): Body<TeamBody>,
) -> ApiResult<Json<Vec<lfr_store::team::Member>>> {
    let d = id(&d)?;
    app.store
        .change_team(&c.user, d, b.add.as_deref(), b.remove.as_deref())
        .await?;
    Ok(Json(app.store.team(&c.user, d).await?))
}

/// A camera's live view as JPEG, for those who may see it; `X-Frame-Age-Ms`
/// says how old its frame is.
async fn camera_view(
    State(app): State<App>,
    c: Caller,
    Path((d, camera)): Path<(String, String)>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let d = id(&d)?;
    app.store.may_view_live(&c.user, d, &camera).await?;
    let Some(v) = app.cameras.view(d, &camera) else {
        return Err(crate::error::ApiError::not_found(format!(
            "no live view of camera {camera} of D{d} here: it is not running on this node, or no frame has been analysed since you asked (try again in a second)"
        )));
    };
    let mut r = crate::api::image(v.jpeg.to_vec()).into_response();
    if let Ok(age) = axum::http::HeaderValue::from_str(&v.age.as_millis().to_string()) {
        r.headers_mut().insert("x-frame-age-ms", age);
    }
    Ok(r)
}

async fn list(State(app): State<App>, c: Caller) -> ApiResult<Json<Vec<Deployment>>> {
    Ok(Json(app.store.deployments(&c.user).await?))
}

async fn show(
    State(app): State<App>,
    c: Caller,
    Path(d): Path<String>,
) -> ApiResult<Json<Deployment>> {
    Ok(Json(app.store.deployment(&c.user, id(&d)?).await?))
}

async fn apply(
    State(app): State<App>,
    c: Caller,
    Body(a): Body<Application>,
) -> ApiResult<Json<Deployment>> {
    let d = app.store.apply(&c.user, a).await?;
    app.hub.deployment_changed(&d, "apply", &c.user);
    Ok(Json(d))
}

#[derive(Debug, Deserialize)]
pub struct AuthoriseBody {
    pub rationale: String,
    /// Default: the application's start.
    pub valid_from: Option<Timestamp>,
    /// Default: the application's end.
    pub valid_until: Option<Timestamp>,
    pub minimum_threshold: Option<f64>,
    /// Why, when the minimum is below the default 0.64.
    pub minimum_threshold_reason: Option<String>,
    /// Urgent verbal authority, to be confirmed in writing by then.
    pub verbal_confirm_by: Option<Timestamp>,
}

async fn authorise(
    State(app): State<App>,
    c: Caller,
    Path(d): Path<String>,
    Body(b): Body<AuthoriseBody>,
) -> ApiResult<Json<Deployment>> {
    let id: DeploymentId = id(&d)?;
    let g = Grant {
        verbal_confirm_by: b.verbal_confirm_by,
        rationale: b.rationale,
        valid_from: b.valid_from,
        valid_until: b.valid_until,
        minimum_threshold: b.minimum_threshold.unwrap_or(DEFAULT_MINIMUM_THRESHOLD),
        minimum_threshold_reason: b.minimum_threshold_reason,
    };
    let d = app.store.authorise(&c.user, id, g).await?;
    app.hub.deployment_changed(&d, "authorise", &c.user);
    Ok(Json(d))
}

#[derive(Debug, Deserialize)]
pub struct ReasonBody {
    pub reason: String,
}

#[derive(Debug, Deserialize)]
pub struct NoteBody {
    #[serde(default)]
    pub note: String,
}

/// One lifecycle step: call the store, tell listeners, answer the new state.
macro_rules! step {
    ($name:ident, $action:literal, |$app:ident, $c:ident, $id:ident| $call:expr) => {
        async fn $name(
            State($app): State<App>,
            $c: Caller,
            Path(d): Path<String>,
        ) -> ApiResult<Json<Deployment>> {
            let $id: DeploymentId = id(&d)?;
            let d = $call.await?;
            $app.hub.deployment_changed(&d, $action, &$c.user);
            Ok(Json(d))
        }
    };
    ($name:ident, $action:literal, $body:ty, |$app:ident, $c:ident, $id:ident, $b:ident| $call:expr) => {
        async fn $name(
            State($app): State<App>,
            $c: Caller,
            Path(d): Path<String>,
            Body($b): Body<$body>,
        ) -> ApiResult<Json<Deployment>> {
            let $id: DeploymentId = id(&d)?;
            let d = $call.await?;
            $app.hub.deployment_changed(&d, $action, &$c.user);
            Ok(Json(d))
        }
    };
}

step!(confirm, "confirm", |app, c, d| app
    .store
    .confirm_verbal(&c.user, d));
step!(start, "start", |app, c, d| app.store.start(&c.user, d));
step!(resume, "resume", |app, c, d| app.store.start(&c.user, d));
step!(conclude, "conclude", |app, c, d| app
    .store
    .conclude(&c.user, d));
step!(cancel_authority, "cancel_authority", |app, c, d| app
    .store
    .cancel_authority(&c.user, d));
step!(
    withdraw,
    "withdraw_authority",
    ReasonBody,
    |app, c, d, b| app.store.withdraw_authority(&c.user, d, &b.reason)
);
step!(suspend, "suspend", ReasonBody, |app, c, d, b| app
    .store
    .suspend(&c.user, d, &b.reason));
step!(terminate, "terminate", ReasonBody, |app, c, d, b| app
    .store
    .terminate(&c.user, d, &b.reason));
step!(record, "record", NoteBody, |app, c, d, b| app
    .store
    .submit_record(&c.user, d, &b.note));

#[derive(Debug, Deserialize)]
pub struct ReviewBody {
    pub legality: String,
    pub necessity: String,
    pub proportionality: String,
    pub performance: String,
    pub engagements: String,
    /// `false` suspends the deployment.
    pub continue_deployment: bool,
}

async fn review(
    State(app): State<App>,
    c: Caller,
    Path(d): Path<String>,
    Body(b): Body<ReviewBody>,
) -> ApiResult<Json<Review>> {
    let id: DeploymentId = id(&d)?;
    let r = app
        .store
        .record_review(
            &c.user,
            id,
            ReviewInput {
                legality: b.legality,
                necessity: b.necessity,
                proportionality: b.proportionality,
                performance: b.performance,
                engagements: b.engagements,
                continue_deployment: b.continue_deployment,
            },
        )
        .await?;
    let dep = app.store.deployment(&c.user, id).await?;
    app.hub.deployment_changed(&dep, "review", &c.user);
    Ok(Json(r))
}

async fn reviews(
    State(app): State<App>,
    c: Caller,
    Path(d): Path<String>,
) -> ApiResult<Json<Vec<Review>>> {
    Ok(Json(app.store.reviews(&c.user, id(&d)?).await?))
}

#[derive(Debug, Serialize)]
pub struct OutstandingItem {
    pub deployment: String,
    #[serde(flatten)]
    pub item: Outstanding,
}

async fn outstanding(State(app): State<App>, c: Caller) -> ApiResult<Json<Vec<OutstandingItem>>> {
    Ok(Json(
        app.store
            .outstanding(&c.user)
            .await?
            .into_iter()
            .map(|(d, item)| OutstandingItem {
                deployment: format!("D{d}"),
                item,
            })
            .collect(),
    ))
}

/// One camera's figures: running counts from the pipeline, alerts from the store.
#[derive(Debug, Serialize)]
pub struct CameraFigures {
    pub camera: String,
    pub location: Option<String>,
    /// The pipeline's word (`running`, `reconnecting`, ...), or `not reporting`.
    pub state: String,
    pub faces_scanned: u64,
    pub dropped_frames: u64,
    pub alerts: u64,
    pub false_alerts: u64,
    /// False alerts (confirmed or not) over faces scanned.
    pub false_alert_rate: Option<f64>,
    pub recognition_ms_p50: Option<u32>,
    pub recognition_ms_p95: Option<u32>,
    /// What last happened to the stream, in words.
    pub detail: Option<String>,
    /// Why someone must look at the camera now (failed, stalled, silent);
    /// see [`CameraStatus::alarm`].
    pub alarm: Option<String>,
}

/// What the Silver Commander's dashboard shows.
#[derive(Debug, Serialize)]
pub struct Figures {
    pub deployment: Deployment,
    /// The deployment's figures as the store computes them (they persist),
    /// plus the faces and dropped frames the cameras counted since they last
    /// wrote their counts.
    pub totals: Metrics,
    pub cameras: Vec<CameraFigures>,
    /// Blue Watchlist passes under way; `None` for roles that may not read passes.
    pub blue_passes_open: Option<u64>,
}

/// Per-camera figures from the pipeline's status of the deployment's
/// cameras (`live`) and the deployment's alerts.
fn camera_figures(live: &[CameraStatus], alerts: &[Alert], now: Timestamp) -> Vec<CameraFigures> {
    let mut names: Vec<String> = live.iter().map(|c| c.name.clone()).collect();
    for a in alerts {
        if !names.contains(&a.camera) {
            names.push(a.camera.clone());
        }
    }
    names
        .into_iter()
        .map(|name| {
            let status = live.iter().find(|c| c.name == name);
            let mine: Vec<Alert> = alerts
                .iter()
                .filter(|a| a.camera == name)
                .cloned()
                .collect();
            let counts = Counts {
                faces_scanned: status.map_or(0, |s| s.faces_scanned),
                dropped_frames: status.map_or(0, |s| s.dropped_frames),
                ..Default::default()
            };
            let m = Metrics::compute(&mine, &counts);
            CameraFigures {
                camera: name,
                location: status.map(|s| s.location.clone()),
                state: status.map_or_else(|| "not reporting".into(), |s| s.state.clone()),
                faces_scanned: counts.faces_scanned,
                dropped_frames: counts.dropped_frames,
                alerts: m.alerts,
                false_alerts: m.false_alerts_confirmed + m.false_alerts_unconfirmed,
                false_alert_rate: m.system_false_alert_rate,
                recognition_ms_p50: m.recognition_ms.as_ref().map(|p| p.p50),
                recognition_ms_p95: m.recognition_ms.as_ref().map(|p| p.p95),
                detail: status.and_then(|s| s.detail.clone()),
                alarm: status.and_then(|s| s.alarm(now)),
            }
        })
        .collect()
}

pub async fn load_figures(app: &App, c: &Caller, d: DeploymentId) -> ApiResult<Figures> {
    // The figures' own check first: a role that may not read them learns nothing of the deployment.
    let mut totals = app.store.metrics(&c.user, d).await?;
    let deployment = app.store.deployment(&c.user, d).await?;
    let mut live = app.cameras.cameras();
    live.retain(|s| s.deployment == d);
    let (faces, dropped) = live.iter().fold((0, 0), |(f, x), s| {
        (f + s.unrecorded_faces, x + s.unrecorded_dropped)
    });
    totals.add_unrecorded(faces, dropped);
    // Per-camera alert counts need the alerts themselves; roles that may
    // read the figures but not the alerts (the AO, the auditor) see the
    // cameras' running counts only.
    let alerts = if role_allows(&c.user, Action::ViewAlerts) {
        app.store.alerts(&c.user, d).await?
    } else {
        Vec::new()
    };
    let blue_passes_open = if role_allows(&c.user, Action::ReadBluePasses) {
        let passes = app.store.blue_passes(&c.user, d).await?;
        Some(passes.iter().filter(|p| p.state == PassState::Open).count() as u64)
    } else {
        None
    };
    Ok(Figures {
        deployment,
        totals,
        cameras: camera_figures(&live, &alerts, app.store.clock().now()),
        blue_passes_open,
    })
}

async fn figures(
    State(app): State<App>,
    c: Caller,
    Path(d): Path<String>,
) -> ApiResult<Json<Figures>> {
    Ok(Json(load_figures(&app, &c, id(&d)?).await?))
}
