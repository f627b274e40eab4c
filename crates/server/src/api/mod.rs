//! The HTTP API: one route per action of the console, JSON in and out, each
//! handler a thin call into the store (which checks the role and audits).
//! Described for other systems by [`openapi::document`] at `/api/openapi.json`.

use axum::Router;
use axum::extract::{FromRequest, Request};
use axum::routing::{get, post};
use serde::de::DeserializeOwned;

use crate::App;
use crate::error::{ApiError, ApiResult};

pub mod alerts;
pub mod blue_passes;
pub mod deployments;
pub mod imports;
pub mod openapi;
pub mod oversight;
pub mod watchlists;

pub fn routes() -> Router<App> {
    use crate::auth;
    Router::new()
        .route(
            "/api/session",
            post(auth::sign_in).get(auth::whoami).delete(auth::sign_out),
        )
        .route("/api/events", get(crate::events::stream))
        .route("/api/openapi.json", get(openapi::serve))
        .merge(deployments::routes())
        .merge(watchlists::routes())
        .merge(imports::routes())
        .merge(alerts::routes())
        .merge(blue_passes::routes())
        .merge(oversight::routes())
        .fallback(not_found)
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!(
        "no such page or API route: {}; the API is described at /api/openapi.json",
        uri.path()
    ))
}

/// Parses an id from a path segment, accepting `7` or `D7`.
pub fn id<T: std::str::FromStr<Err = String>>(s: &str) -> ApiResult<T> {
    s.parse().map_err(ApiError::invalid)
}

/// A JSON request body. Bodies must be `application/json`: besides being
/// the API's format, a browser cannot send that type to another site
/// without asking first, which keeps other sites' pages from acting for a
/// signed-in user.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Body(v)),
            Err(e) => Err(ApiError::invalid(format!(
                "{}; send a JSON body as /api/openapi.json describes",
                e.body_text()
            ))),
        }
    }
}

/// An encoded image answer; never cached, never sniffed.
pub fn image(bytes: Vec<u8>) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let kind = if bytes.starts_with(&[0x89, b'P', b'N', b'G']) {
        "image/png"
    } else {
        "image/jpeg"
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "no-store, private"),
        ],
        bytes,
    )
        .into_response()
}
