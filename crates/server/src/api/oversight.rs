//! Oversight and administration: the audit log, users, retention runs,
//! camera counts from outside pipelines, and reports, private and public.

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use lfr_domain::force::ForceNotice;
use lfr_domain::ids::DeploymentId;
use lfr_domain::report::{PublicReport, UpcomingNotice};
use lfr_domain::retention::PurgeSummary;
use lfr_domain::role::{Rank, Role};
use lfr_store::audit::{AuditEntry, AuditFilter, Verification};
use lfr_store::users::NewUser;
use serde::{Deserialize, Serialize};

use super::{Body, id};
use crate::App;
use crate::auth::{Caller, Me};
use crate::error::{ApiError, ApiResult};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/api/audit", get(audit))
        .route("/api/audit/verify", get(verify))
        .route("/api/users", get(users).post(create_user))
        .route("/api/users/{u}/token", post(reissue_token))
        .route("/api/users/{u}/active", post(set_active))
        .route("/api/role-changes", get(pending_role_changes))
        .route("/api/role-changes/{c}/approve", post(approve_role_change))
        .route("/api/retention/run", post(run_retention))
        .route("/api/deployments/{d}/report", get(report))
        .route("/api/deployments/{d}/report/publish", post(publish))
        .route("/api/public/upcoming", get(upcoming))
        .route("/api/public/reports", get(published))
        .route("/api/public/force", get(force_notice))
        .route("/api/force", post(set_force_notice))
}

#[derive(Debug, Deserialize, Default)]
pub struct AuditQuery {
    pub target: Option<String>,
    pub actor: Option<String>,
    #[serde(default)]
    pub refused: bool,
    pub limit: Option<i64>,
}

impl AuditQuery {
    pub fn filter(&self) -> AuditFilter {
        AuditFilter {
            target: self.target.clone().filter(|s| !s.is_empty()),
            actor: self.actor.clone().filter(|s| !s.is_empty()),
            refused_only: self.refused,
            limit: self.limit.unwrap_or(100).clamp(1, 1000),
        }
    }
}

async fn audit(
    State(app): State<App>,
    c: Caller,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    Ok(Json(app.store.audit_entries(&c.user, &q.filter()).await?))
}

async fn verify(State(app): State<App>, c: Caller) -> ApiResult<Json<Verification>> {
    Ok(Json(app.store.verify_audit(&c.user, None).await?))
}

async fn users(State(app): State<App>, c: Caller) -> ApiResult<Json<Vec<Me>>> {
    Ok(Json(
        app.store
            .list_users(&c.user)
            .await?
            .iter()
            .map(Me::from)
            .collect(),
    ))
}

#[derive(Debug, Deserialize)]
pub struct NewUserBody {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub rank: Rank,
}

/// A token, shown once.
#[derive(Debug, Serialize)]
pub struct Issued {
    pub username: String,
    pub token: String,
}

async fn create_user(
    State(app): State<App>,
    c: Caller,
    Body(b): Body<NewUserBody>,
) -> ApiResult<Json<Issued>> {
    let (u, token) = app
        .store
        .create_user(
            &c.user,
            &NewUser {
                username: b.username,
                display_name: b.display_name,
                roles: b.roles,
                rank: b.rank,
            },
        )
        .await?;
    Ok(Json(Issued {
        username: u.username,
        token: token.to_string(),
    }))
}

/// Role changes that make or change an Authorising Officer, awaiting a
/// second administrator.
async fn pending_role_changes(
    State(app): State<App>,
    c: Caller,
) -> ApiResult<Json<Vec<lfr_store::role_changes::RoleChange>>> {
    Ok(Json(app.store.pending_role_changes(&c.user).await?))
}

/// A second administrator approves change `C<n>` (or `n`).
async fn approve_role_change(
    State(app): State<App>,
    c: Caller,
    Path(change): Path<String>,
) -> ApiResult<Json<lfr_domain::role::User>> {
    let id: i64 = change.trim_start_matches(['C', 'c']).parse().map_err(|_| {
        crate::error::ApiError::invalid(format!("`{change}` is not a role change such as C3"))
    })?;
    Ok(Json(app.store.approve_role_change(&c.user, id).await?))
}

async fn reissue_token(
    State(app): State<App>,
    c: Caller,
    Path(u): Path<String>,
) -> ApiResult<Json<Issued>> {
    let token = app.store.reissue_token(&c.user, &u).await?;
    Ok(Json(Issued {
        username: u,
        token: token.to_string(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct ActiveBody {
    pub active: bool,
}

async fn set_active(
    State(app): State<App>,
    c: Caller,
    Path(u): Path<String>,
    Body(b): Body<ActiveBody>,
) -> ApiResult<axum::http::StatusCode> {
    app.store.set_active(&c.user, &u, b.active).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

async fn run_retention(State(app): State<App>, c: Caller) -> ApiResult<Json<PurgeSummary>> {
    Ok(Json(app.store.run_retention(&c.user).await?))
}

async fn report(
    State(app): State<App>,
    c: Caller,
    Path(d): Path<String>,
) -> ApiResult<Json<PublicReport>> {
    Ok(Json(app.store.public_report(&c.user, id(&d)?).await?))
}

/// Publishes the post-deployment report. Only once the deployment has
/// ended: figures of a running deployment are not a report.
async fn publish(
    State(app): State<App>,
    c: Caller,
    Path(d): Path<String>,
) -> ApiResult<Json<PublicReport>> {
    let d: DeploymentId = id(&d)?;
    let r = app.store.report_to_publish(&c.user, d).await?;
    app.published.publish(&r).map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            format!("{e:#}"),
        )
    })?;
    Ok(Json(r))
}

/// Public: authorised deployments yet to end.
async fn upcoming(State(app): State<App>) -> ApiResult<Json<Vec<UpcomingNotice>>> {
    Ok(Json(app.store.upcoming().await?))
}

/// Public: the force's legal basis and contact (`null` until set).
async fn force_notice(State(app): State<App>) -> ApiResult<Json<Option<ForceNotice>>> {
    Ok(Json(app.store.force_notice().await?))
}

async fn set_force_notice(
    State(app): State<App>,
    c: Caller,
    Body(n): Body<ForceNotice>,
) -> ApiResult<Json<ForceNotice>> {
    Ok(Json(app.store.set_force_notice(&c.user, &n).await?))
}

/// Public: published post-deployment reports.
async fn published(State(app): State<App>) -> Json<Vec<PublicReport>> {
    Json(app.published.list())
}
