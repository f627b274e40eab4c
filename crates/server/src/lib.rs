//! lfr's web side: the console an LFR team works in, the HTTP API that other
//! systems use, the event stream, Prometheus metrics and MQTT publishing.
//!
//! Every handler is a thin layer over [`lfr_store::Store`]: the store asks the
//! domain's rules and audits every answer, so the console, the API and the
//! CLI refuse the same things for the same reasons. This crate adds only what
//! the web needs: sign-in sessions, rendering, and telling browsers and other
//! systems when something changed.
//!
//! ```text
//! browser ── cookie ─┐                         ┌─► SSE /api/events (filtered by role)
//! system ── bearer ──┼─► auth::Caller ─► api/* ─► Store ─► events::Hub ─┼─► MQTT (optional)
//!                    └─► console/* (HTML) ─────┘                        └─► /metrics
//! live pipeline ──────────────────────────────────► Hub (alerts, camera figures)
//! ```

#![recursion_limit = "512"]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use lfr_store::Store;

pub mod api;
pub mod auth;
pub mod cameras;
pub mod console;
pub mod error;
pub mod events;
pub mod mqtt;
pub mod prometheus;
pub mod publish;
pub mod relay;
pub mod subjects;
pub mod throttle;

pub use cameras::{CameraStatus, Cameras};
pub use events::{Event, Hub};

/// Everything a handler needs, shared by all requests.
#[derive(Clone)]
pub struct App {
    pub store: Arc<Store>,
    pub sessions: Arc<auth::Sessions>,
    /// Failed sign-ins per client address.
    pub throttle: Arc<throttle::SignInThrottle>,
    /// How often an open event stream checks that its caller may still listen.
    pub events_recheck: std::time::Duration,
    pub hub: Hub,
    pub cameras: Arc<dyn Cameras>,
    pub published: Arc<publish::Published>,
    pub subjects: Arc<subjects::Subjects>,
    /// Enrols uploaded watchlist images; `None` where this server has no
    /// recognition engine (imports are then refused with what to do).
    pub enrollers: Option<Arc<dyn api::imports::Enrollers>>,
    /// One import at a time: enrolling takes the CPU the cameras need.
    pub imports: Arc<tokio::sync::Semaphore>,
}

/// How the server is set up.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// Where published post-deployment reports are kept (public data only).
    pub publish_dir: PathBuf,
}

impl App {
    pub fn new(
        store: Arc<Store>,
        cameras: Arc<dyn Cameras>,
        publish_dir: PathBuf,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            sessions: Arc::new(auth::Sessions::new(store.shared_clock())),
            throttle: Arc::new(throttle::SignInThrottle::new(store.shared_clock())),
            events_recheck: events::RECHECK,
            store,
            hub: Hub::new(),
            cameras,
            published: Arc::new(publish::Published::open(publish_dir)?),
            subjects: Arc::new(subjects::Subjects::default()),
            enrollers: None,
            imports: Arc::new(tokio::sync::Semaphore::new(1)),
        })
    }

    /// Every route: the console, the API, the event stream, metrics.
    pub fn router(&self) -> Router {
        Router::new()
            .merge(console::routes())
            .merge(api::routes())
            .route("/metrics", axum::routing::get(prometheus::metrics_handler))
            .layer(axum::middleware::from_fn(security_headers))
            .with_state(self.clone())
    }
}

/// Headers every response carries: no framing by other sites, no sniffing,
/// no referrer leaking alert URLs, and scripts only from this server.
async fn security_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::HeaderValue;
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        ),
    );
    res
}

/// Serves until `shutdown` completes.
pub async fn serve(
    app: App,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // Each request carries its client's address, for the sign-in throttle.
    let service = app
        .router()
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}
