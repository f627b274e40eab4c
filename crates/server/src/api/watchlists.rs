//! Watchlists of a deployment: compile (create), read, approve, remove an
//! inclusion. Import, which needs the recognition engine, is in
//! [`super::imports`].

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use lfr_domain::watchlist::{Watchlist, WatchlistKind};
use lfr_store::watchlists::InclusionView;
use serde::{Deserialize, Serialize};

use super::{Body, id};
use crate::App;
use crate::auth::Caller;
use crate::error::ApiResult;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/api/deployments/{d}/watchlists", get(list).post(create))
        .route("/api/watchlists/{w}", get(show))
        .route("/api/watchlists/{w}/inclusions", get(inclusions))
        .route("/api/watchlists/{w}/approve", post(approve))
        .route("/api/inclusions/{i}/remove", post(remove))
}

#[derive(Debug, Serialize)]
pub struct WatchlistSummary {
    #[serde(flatten)]
    pub watchlist: Watchlist,
    /// Inclusions, as the APP counts a watchlist's size.
    pub size: u64,
    /// Approved at its current revision: it may be used.
    pub approved_as_is: bool,
}

async fn list(
    State(app): State<App>,
    c: Caller,
    Path(d): Path<String>,
) -> ApiResult<Json<Vec<WatchlistSummary>>> {
    Ok(Json(
        app.store
            .watchlists(&c.user, id(&d)?)
            .await?
            .into_iter()
            .map(|(w, size)| WatchlistSummary {
                approved_as_is: w.is_approved_as_is(),
                watchlist: w,
                size,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize)]
pub struct CreateBody {
    pub kind: WatchlistKind,
    pub name: String,
}

async fn create(
    State(app): State<App>,
    c: Caller,
    Path(d): Path<String>,
    Body(b): Body<CreateBody>,
) -> ApiResult<Json<Watchlist>> {
    Ok(Json(
        app.store
            .create_watchlist(&c.user, id(&d)?, b.kind, &b.name)
            .await?,
    ))
}

async fn show(
    State(app): State<App>,
    c: Caller,
    Path(w): Path<String>,
) -> ApiResult<Json<Watchlist>> {
    Ok(Json(app.store.watchlist(&c.user, id(&w)?).await?))
}

async fn inclusions(
    State(app): State<App>,
    c: Caller,
    Path(w): Path<String>,
) -> ApiResult<Json<Vec<InclusionView>>> {
    Ok(Json(app.store.inclusions(&c.user, id(&w)?).await?))
}

#[derive(Debug, Deserialize)]
pub struct NoteBody {
    #[serde(default)]
    pub note: String,
}

async fn approve(
    State(app): State<App>,
    c: Caller,
    Path(w): Path<String>,
    Body(b): Body<NoteBody>,
) -> ApiResult<Json<Watchlist>> {
    Ok(Json(
        app.store
            .approve_watchlist(&c.user, id(&w)?, &b.note)
            .await?,
    ))
}

#[derive(Debug, Deserialize)]
pub struct RemoveBody {
    pub reason: String,
}

async fn remove(
    State(app): State<App>,
    c: Caller,
    Path(i): Path<String>,
    Body(b): Body<RemoveBody>,
) -> ApiResult<axum::http::StatusCode> {
    app.store
        .remove_inclusion(&c.user, id(&i)?, &b.reason)
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
