//! Errors as HTTP answers. A refusal by a rule is 403 with the rule's name
//! and its message, so a caller learns what would make the action allowed.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lfr_store::StoreError;
use serde::Serialize;

/// The JSON body of every error answer.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    /// `refused`, `not_found`, `invalid`, `unauthenticated`, `server_error`.
    pub error: &'static str,
    /// The rule that refused, for `refused`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
    pub message: String,
}

/// An API failure; converts from the store's errors.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
    /// Seconds to wait, sent as `Retry-After` (429 answers).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }

    pub fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody {
                error,
                rule: None,
                message: message.into(),
            },
            retry_after: None,
        }
    }

    /// Too many failed sign-ins from this address: try again after `wait`.
    pub fn too_many(wait: std::time::Duration) -> Self {
        let secs = wait.as_secs().max(1);
        Self {
            retry_after: Some(secs),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                format!(
                    "too many failed sign-ins from this address; try again in {secs} s with a valid token (an administrator issues one with `lfr user token NAME`)"
                ),
            )
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Refused(r) => Self {
                status: StatusCode::FORBIDDEN,
                body: ErrorBody {
                    error: "refused",
                    rule: Some(r.rule.as_str()),
                    message: r.message,
                },
                retry_after: None,
            },
            StoreError::NotFound(m) => Self::not_found(m),
            StoreError::Invalid(m) => Self::invalid(m),
            StoreError::Unauthenticated(m) => Self::unauthenticated(m),
            StoreError::Shredded(_) => Self::new(StatusCode::GONE, "gone", e.to_string()),
            other => {
                tracing::error!("store failure: {other}");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    format!(
                        "{other}; the action was not recorded, try again or ask the system engineer"
                    ),
                )
            }
        }
    }
}

impl From<lfr_domain::Refusal> for ApiError {
    fn from(r: lfr_domain::Refusal) -> Self {
        StoreError::Refused(r).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, Json(self.body)).into_response();
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                "www-authenticate",
                axum::http::HeaderValue::from_static("Bearer realm=\"lfr\""),
            );
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
