//! Watchlist import over HTTP, for the console and other systems: the
//! checks of `lfr watchlist import` on a `.tar` or `.tar.gz` upload. The
//! engine grades and templates every image, each image's outcome is
//! answered (with a thumbnail, for the person checking), and nothing is
//! stored unless every image passes and the caller asked to import rather
//! than to check.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use lfr_domain::enrol::Enroller;
use lfr_domain::watchlist::{Category, QualityGrade};
use lfr_store::import::{Examined, ImportSource, examine};
use serde::{Deserialize, Serialize};

use super::id;
use crate::App;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};

/// Opens the enrolment step of a recognition model. The binary implements
/// it over the engine; a server without one refuses uploads and points to
/// `lfr watchlist import`.
pub trait Enrollers: Send + Sync {
    /// The enroller of `model`, or why it cannot be had on this node.
    fn enroller(&self, model: &str) -> Result<Arc<dyn Enroller>, String>;
}

/// Largest upload. `lfr watchlist import` takes archives up to 2 GiB.
pub const MAX_UPLOAD: usize = 256 << 20;

/// Largest an upload may unpack to: a compressed archive cannot make the
/// server hold more than this.
const MAX_UNPACKED: u64 = 512 << 20;

/// Longest side of the thumbnails answered for each image.
const THUMBNAIL_PX: u32 = 96;

pub fn routes() -> Router<App> {
    Router::new().route("/api/watchlists/{w}/import", post(import))
}

#[derive(Debug, Default, Deserialize)]
pub struct ImportQuery {
    /// Check everything and store nothing.
    #[serde(default)]
    pub check: bool,
}

/// The answer to an import or a check: every image's outcome. Status 200
/// when nothing is wrong, 422 (with `error: invalid`) when something is.
#[derive(Debug, Serialize)]
pub struct ImportAnswer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'static str>,
    pub message: String,
    /// Every image can be imported.
    pub valid: bool,
    /// Inclusions written: 0 for a check, or when anything is wrong.
    pub imported: usize,
    /// The recognition model the templates were made with.
    pub algorithm: String,
    pub problems: Vec<String>,
    pub inclusions: Vec<InclusionCheck>,
}

#[derive(Debug, Serialize)]
pub struct InclusionCheck {
    #[serde(rename = "ref")]
    pub reference: String,
    pub category: Category,
    pub under_18: bool,
    pub images: Vec<ImageCheck>,
}

#[derive(Debug, Serialize)]
pub struct ImageCheck {
    pub file: String,
    pub grade: Option<QualityGrade>,
    pub reasons: Vec<String>,
    /// Why this image cannot be imported.
    pub problem: Option<String>,
    /// A small JPEG of the image as a `data:` URL, when it could be read.
    pub thumbnail: Option<String>,
}

/// What an import needs before its upload is looked at: the caller's
/// role and team and an open watchlist, an engine for the deployment's
/// model, and this node's one turn.
async fn ready(
    app: &App,
    c: &Caller,
    w: lfr_domain::ids::WatchlistId,
) -> ApiResult<(
    lfr_store::watchlists::ImportTarget,
    Arc<dyn Enrollers>,
    tokio::sync::OwnedSemaphorePermit,
)> {
    let target = app.store.import_target(&c.user, w).await?;
    let Some(enrollers) = app.enrollers.clone() else {
        return Err(unavailable(format!(
            "this server cannot enrol images; import with `lfr watchlist import W{} ARCHIVE` on a machine with model {} installed",
            w.0, target.model
        )));
    };
    // One import at a time: enrolling is CPU work that live cameras share.
    // The turn travels with the work, so a caller who goes away does not
    // free it while the engine still runs.
    let turn = app.imports.clone().try_acquire_owned().map_err(|_| {
        unavailable(
            "another import is being checked on this node; try again when it has finished".into(),
        )
    })?;
    Ok((target, enrollers, turn))
}

fn unavailable(why: String) -> ApiError {
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", why)
}

/// Reads and throws away what the caller is still sending (up to the
/// upload limit, for at most a minute), then gives the refusal. A server
/// that answers and closes while the client is still writing resets the
/// connection, and the client sees a broken pipe instead of the reason.
async fn discard(body: axum::body::Body, refusal: ApiError) -> ApiError {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let drain = async {
        let mut seen = 0;
        while let Some(Ok(chunk)) = stream.next().await {
            seen += chunk.len();
            if seen > MAX_UPLOAD {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(60), drain).await;
    refusal
}

async fn import(
    State(app): State<App>,
    c: Result<Caller, ApiError>,
    Path(w): Path<String>,
    Query(q): Query<ImportQuery>,
    body: axum::body::Body,
) -> ApiResult<Response> {
    // Sign-in, role, team, an open watchlist, an engine and a free turn
    // before the upload is examined: a refusal discards it unread.
    let checked = async {
        let (c, w) = (c?, id(&w)?);
        let r = ready(&app, &c, w).await?;
        Ok::<_, ApiError>((c, w, r))
    };
    let (c, w, (target, enrollers, turn)) = match checked.await {
        Ok(r) => r,
        Err(e) => return Err(discard(body, e).await),
    };
    let model = target.model.clone();
    let body = axum::body::to_bytes(body, MAX_UPLOAD).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "the upload is larger than {} MiB (or was cut off); split it, or import it with `lfr watchlist import W{w} ARCHIVE`",
                MAX_UPLOAD >> 20
            ),
        )
    })?;
    if body.is_empty() {
        return Err(ApiError::invalid(
            "the upload is empty: send a .tar or .tar.gz archive holding manifest.json and the images it names (docs/watchlists.md)",
        ));
    }
    let kind = target.watchlist.kind;
    let m = model.clone();
    let examined = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        let src = match ImportSource::from_archive("the upload", &body, MAX_UNPACKED) {
            Ok(src) => src,
            Err(p) => return Examination::Problems(p.0),
        };
        let enroller = match enrollers.enroller(&m) {
            Ok(e) => e,
            Err(e) => return Examination::NoEngine(e),
        };
        match examine(&src, kind, enroller.as_ref()) {
            Ok(mut examined) => {
                examined.refuse_references_on(&target.references, &format!("W{w}"));
                let answer = describe(&examined, &src);
                Examination::Done(Box::new(examined), answer)
            }
            Err(p) => Examination::Problems(p.0),
        }
    })
    .await
    .map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            format!("the import check failed: {e}"),
        )
    })?;
    let (examined, inclusions) = match examined {
        Examination::Done(x, answer) => (*x, answer),
        Examination::Problems(p) => return Ok(answer(model, p, vec![], 0, q.check)),
        Examination::NoEngine(e) => return Err(unavailable(e)),
    };
    let problems = examined.problems.clone();
    let mut imported = 0;
    if problems.is_empty() && !q.check {
        let prepared = examined.ready().expect("no problems");
        imported = app.store.commit_import(&c.user, w, &prepared).await?;
    }
    Ok(answer(model, problems, inclusions, imported, q.check))
}

/// What the engine made of an upload.
enum Examination {
    Done(Box<Examined>, Vec<InclusionCheck>),
    /// The archive or its manifest is wrong: nothing was enrolled.
    Problems(Vec<String>),
    /// This node cannot open the deployment's model.
    NoEngine(String),
}

fn answer(
    algorithm: String,
    problems: Vec<String>,
    inclusions: Vec<InclusionCheck>,
    imported: usize,
    check: bool,
) -> Response {
    let valid = problems.is_empty();
    let images: usize = inclusions.iter().map(|i| i.images.len()).sum();
    let message = if !valid {
        format!(
            "{} problem(s); nothing was stored. Correct them and upload again",
            problems.len()
        )
    } else if check {
        format!(
            "ready to import: {} inclusion(s), {images} image(s), every one enrolled with {algorithm} (nothing stored)",
            inclusions.len()
        )
    } else {
        format!(
            "imported {imported} inclusion(s); an Authorising Officer must now approve the watchlist"
        )
    };
    let status = if valid {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = ImportAnswer {
        error: (!valid).then_some("invalid"),
        message,
        valid,
        imported,
        algorithm,
        problems,
        inclusions,
    };
    (status, Json(body)).into_response()
}

/// Each inclusion's images as the person checking sees them.
fn describe(examined: &Examined, src: &ImportSource) -> Vec<InclusionCheck> {
    examined
        .entries
        .iter()
        .map(|e| InclusionCheck {
            reference: e.entry.reference.clone(),
            category: e.entry.category,
            under_18: e.entry.under_18,
            images: e
                .images
                .iter()
                .map(|i| ImageCheck {
                    file: i.file.clone(),
                    grade: i.grade,
                    reasons: i.reasons.clone(),
                    problem: i.problem.clone(),
                    thumbnail: i.grade.and_then(|_| src.file(&i.file)).and_then(thumbnail),
                })
                .collect(),
        })
        .collect()
}

/// A small JPEG of an image the engine could read, as a `data:` URL.
fn thumbnail(bytes: &[u8]) -> Option<String> {
    use base64::Engine as _;
    let img = image::load_from_memory(bytes).ok()?;
    let small = img.thumbnail(THUMBNAIL_PX, THUMBNAIL_PX).to_rgb8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&small)
        .ok()?;
    Some(format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(out)
    ))
}
