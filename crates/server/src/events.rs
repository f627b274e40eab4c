//! What changed, told to whoever listens: the console (Server-Sent Events),
//! other systems (the same stream, or MQTT) and the metrics.
//!
//! An event is a notice, not a record: the store is the record. Events carry
//! no image and no name. Callers whose roles may view alerts also get the
//! score's context (the subject's watchlist category, the inclusion's
//! reference) and the links to the probe and candidate images, which are
//! fetched separately through audited endpoints; everyone else gets the bare
//! fact that an alert happened on a camera.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};
use lfr_domain::alert::Alert;
use lfr_domain::blue::BluePass;
use lfr_domain::deployment::{Deployment, DeploymentState};
use lfr_domain::ids::DeploymentId;
use lfr_domain::policy::Action;
use lfr_domain::role::User;
use lfr_domain::watchlist::Category;
use serde_json::{Value, json};
use tokio::sync::{broadcast, watch};
use tokio_stream::wrappers::BroadcastStream;

use crate::App;
use crate::auth::{Caller, role_allows};
use crate::prometheus::Counters;

/// Something that changed.
#[derive(Debug, Clone)]
pub enum Event {
    /// A new alert, with the subject's category when the raiser knew it.
    AlertRaised {
        alert: Alert,
        category: Option<Category>,
    },
    /// An operator adjudicated, or an engagement officer recorded a finding or outcome.
    AlertUpdated { alert: Alert, by: String },
    /// The alert's subject was seen by another camera during the same
    /// encounter (`lfr_domain::policy::same_encounter`): not a new alert.
    AlertSeenAgain { alert: Alert, camera: String },
    /// A deployment moved through its lifecycle (or was reviewed).
    DeploymentChanged {
        deployment: DeploymentId,
        state: DeploymentState,
        action: String,
        by: String,
    },
    /// A camera's figures moved on (sent by the live pipeline now and then).
    CameraFigures {
        deployment: DeploymentId,
        camera: String,
    },
    /// A Blue Watchlist pass started, ended (by the operator or at its
    /// window's end) or was cancelled; `action` says which.
    BluePass {
        pass: BluePass,
        action: String,
        by: String,
    },
}

impl Event {
    pub fn name(&self) -> &'static str {
        match self {
            Event::AlertRaised { .. } => "alert.raised",
            Event::AlertUpdated { .. } => "alert.updated",
            Event::AlertSeenAgain { .. } => "alert.seen_again",
            Event::DeploymentChanged { .. } => "deployment.changed",
            Event::CameraFigures { .. } => "camera.figures",
            Event::BluePass { .. } => "blue_pass.changed",
        }
    }

    pub fn deployment(&self) -> DeploymentId {
        match self {
            Event::AlertRaised { alert, .. }
            | Event::AlertUpdated { alert, .. }
            | Event::AlertSeenAgain { alert, .. } => alert.deployment,
            Event::DeploymentChanged { deployment, .. }
            | Event::CameraFigures { deployment, .. } => *deployment,
            Event::BluePass { pass, .. } => pass.deployment,
        }
    }

    /// The event as JSON, with alert context only when `detail` is true
    /// (the viewer's roles may view alerts).
    pub fn to_json(&self, detail: bool) -> Value {
        let mut v = json!({ "type": self.name(), "deployment": format!("D{}", self.deployment()) });
        let o = v.as_object_mut().expect("object");
        match self {
            Event::AlertRaised { alert, category } => {
                alert_fields(o, alert, detail);
                if detail && let Some(c) = category {
                    o.insert("category".into(), json!(c));
                }
            }
            Event::AlertUpdated { alert, by } => {
                alert_fields(o, alert, detail);
                o.insert("by".into(), json!(by));
            }
            Event::AlertSeenAgain { alert, camera } => {
                alert_fields(o, alert, detail);
                if detail {
                    o.insert("seen_by".into(), json!(camera));
                }
            }
            Event::DeploymentChanged {
                state, action, by, ..
            } => {
                o.insert("state".into(), json!(state));
                o.insert("action".into(), json!(action));
                o.insert("by".into(), json!(by));
            }
            Event::CameraFigures { camera, .. } => {
                o.insert("camera".into(), json!(camera));
            }
            Event::BluePass { pass, action, by } => {
                o.insert("pass".into(), json!(format!("BP{}", pass.id)));
                o.insert("state".into(), json!(pass.state));
                o.insert("action".into(), json!(action));
                o.insert("by".into(), json!(by));
                // Which volunteer, past which camera, and the alert: for
                // those who may view alerts, as with alerts themselves.
                if detail {
                    o.insert("inclusion".into(), json!(format!("I{}", pass.inclusion)));
                    o.insert("camera".into(), json!(pass.camera));
                    o.insert("alert".into(), json!(pass.alert.map(|a| format!("A{a}"))));
                }
            }
        }
        v
    }
}

fn alert_fields(o: &mut serde_json::Map<String, Value>, a: &Alert, detail: bool) {
    o.insert("alert".into(), json!(format!("A{}", a.id)));
    o.insert("camera".into(), json!(a.camera));
    o.insert("at".into(), json!(a.at));
    o.insert("class".into(), json!(a.class()));
    if detail {
        o.insert("score".into(), json!(a.score));
        o.insert("threshold".into(), json!(a.threshold));
        o.insert("recognition_ms".into(), json!(a.recognition_ms));
        o.insert("probe".into(), json!(format!("/api/alerts/{}/probe", a.id)));
        o.insert(
            "candidate".into(),
            json!(format!("/api/images/{}", a.candidate_image)),
        );
    }
}

/// The broadcast point. Cheap to clone; hand one to the live pipeline.
#[derive(Clone)]
pub struct Hub {
    tx: broadcast::Sender<Arc<Event>>,
    /// Where this node's own events go to reach other nodes ([`crate::relay`]).
    relay: Arc<std::sync::OnceLock<tokio::sync::mpsc::Sender<Arc<Event>>>>,
    shutdown: watch::Sender<bool>,
    pub counters: Arc<Counters>,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    pub fn new() -> Self {
        // A slow listener that falls this far behind is told to resync
        // rather than holding everyone else back.
        let (tx, _) = broadcast::channel(1024);
        Self {
            tx,
            relay: Default::default(),
            shutdown: watch::channel(false).0,
            counters: Arc::new(Counters::default()),
        }
    }

    /// Tells this node's listeners, and the other nodes if relaying.
    pub fn publish(&self, e: Event) {
        let e = Arc::new(e);
        if let Some(relay) = self.relay.get()
            && relay.try_send(e.clone()).is_err()
        {
            tracing::warn!(
                "the other nodes were not told of a {}: too many notices wait",
                e.name()
            );
        }
        self.publish_here(e);
    }

    /// Tells this node's listeners of an event another node announced.
    pub fn publish_relayed(&self, e: Event) {
        self.publish_here(Arc::new(e));
    }

    fn publish_here(&self, e: Arc<Event>) {
        self.counters.count(&e);
        // No listener is not an error: the store already holds the record.
        let _ = self.tx.send(e);
    }

    /// Sends this node's events on to `relay` from now on (once).
    pub fn relay_to(&self, relay: tokio::sync::mpsc::Sender<Arc<Event>>) {
        let _ = self.relay.set(relay);
    }

    pub fn alert_raised(&self, alert: &Alert, category: Option<Category>) {
        self.publish(Event::AlertRaised {
            alert: alert.clone(),
            category,
        });
    }

    pub fn alert_seen_again(&self, alert: &Alert, camera: &str) {
        self.publish(Event::AlertSeenAgain {
            alert: alert.clone(),
            camera: camera.into(),
        });
    }

    pub fn alert_updated(&self, alert: &Alert, by: &User) {
        self.publish(Event::AlertUpdated {
            alert: alert.clone(),
            by: by.username.clone(),
        });
    }

    pub fn deployment_changed(&self, d: &Deployment, action: &str, by: &User) {
        self.publish(Event::DeploymentChanged {
            deployment: d.id,
            state: d.state,
            action: action.into(),
            by: by.username.clone(),
        });
    }

    pub fn blue_pass(&self, pass: &BluePass, action: &str, by: &str) {
        self.publish(Event::BluePass {
            pass: pass.clone(),
            action: action.into(),
            by: by.into(),
        });
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }

    pub fn listeners(&self) -> usize {
        self.tx.receiver_count()
    }

    /// Ends every open event stream, so the server can stop.
    pub fn close(&self) {
        let _ = self.shutdown.send(true);
    }

    fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static + use<> {
        let mut rx = self.shutdown.subscribe();
        async move {
            let _ = rx.wait_for(|v| *v).await;
        }
    }
}

/// Which deployments an event stream's caller may see, read again when an
/// event names another one or every recheck interval (a team changed).
struct Visible {
    app: App,
    user: User,
    cache: tokio::sync::Mutex<(
        std::time::Instant,
        Option<std::collections::HashSet<DeploymentId>>,
    )>,
}

impl Visible {
    fn new(app: App, user: User) -> Self {
        let stale = std::time::Instant::now() - app.events_recheck - Duration::from_secs(1);
        Self {
            app,
            user,
            cache: tokio::sync::Mutex::new((stale, Some(Default::default()))),
        }
    }

    async fn may_see(&self, d: DeploymentId) -> bool {
        let mut c = self.cache.lock().await;
        let fresh = c.0.elapsed() < self.app.events_recheck;
        let known = c.1.as_ref().is_none_or(|set| set.contains(&d));
        if fresh && known {
            return true;
        }
        // Another deployment's event: read again at most every 2 s, so that a
        // busy deployment the caller may not see costs no query per event.
        if fresh && c.0.elapsed() < Duration::from_secs(2) {
            return false;
        }
        match self
            .app
            .store
            .visible_deployments(&self.user, Action::ReadDeployments)
            .await
        {
            Ok(v) => *c = (std::time::Instant::now(), v),
            // Unsure: show nothing more until the store answers.
            Err(_) => return false,
        }
        c.1.as_ref().is_none_or(|set| set.contains(&d))
    }
}

/// How often an open event stream checks that its caller may still listen.
pub const RECHECK: Duration = Duration::from_secs(30);

/// Ends when the caller may no longer listen: deactivated, or their console
/// session ended (sign-out, idle, a shift's end). An open stream is not a
/// request, so it does not keep an idle session alive.
async fn still_signed_in(app: App, caller: Caller) {
    let mut tick = tokio::time::interval(app.events_recheck);
    tick.tick().await;
    loop {
        tick.tick().await;
        let session_live = caller
            .session
            .as_deref()
            .is_none_or(|id| app.sessions.alive(id));
        if !session_live || app.store.current(&caller.user).await.is_err() {
            return;
        }
    }
}

/// `GET /api/events`: Server-Sent Events for the signed-in caller.
/// Event names are the `type` field (`alert.raised`, ...); a `resync` event
/// means events were missed and the client should reload what it shows.
pub async fn stream(
    State(app): State<App>,
    caller: Caller,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let detail = role_allows(&caller.user, Action::ViewAlerts);
    let rx = app.hub.subscribe();
    let username = caller.user.username.clone();
    let hello = futures_util::stream::once(async move {
        Ok(SseEvent::default()
            .event("hello")
            .data(json!({ "user": username, "detail": detail }).to_string()))
    });
    let seen = Arc::new(Visible::new(app.clone(), caller.user.clone()));
    let events = BroadcastStream::new(rx).filter_map(move |m| {
        let seen = seen.clone();
        async move {
            Some(Ok(match m {
                // Only the deployments of the caller's teams (or every one,
                // force-wide): need to know holds on the stream too.
                Ok(e) if !seen.may_see(e.deployment()).await => return None,
                Ok(e) => SseEvent::default()
                    .event(e.name())
                    .data(e.to_json(detail).to_string()),
                Err(_lagged) => SseEvent::default().event("resync").data("{}"),
            }))
        }
    });
    let closed = app.hub.closed();
    let signed_out = still_signed_in(app.clone(), caller);
    let end = async move {
        futures_util::future::select(Box::pin(closed), Box::pin(signed_out)).await;
    };
    Sse::new(hello.chain(events).take_until(end))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
