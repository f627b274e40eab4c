//! Several `lfr serve` nodes on one PostgreSQL database: what one node
//! announces (an alert, a decision, a deployment's change, a camera's
//! figures) reaches every node's console, event streams, MQTT and metrics,
//! through the database's notifications ([`lfr_store::notices`]).
//!
//! A notice names the object; the receiving node reads it from the store,
//! so no personal data passes through PostgreSQL's notification queue.
//! Cameras run by other nodes appear on every node's dashboard; a node not
//! heard from for [`NODE_LOST`] has its cameras shown as failed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lfr_domain::deployment::DeploymentState;
use lfr_domain::ids::{AlertId, BluePassId, DeploymentId};
use lfr_domain::watchlist::Category;
use lfr_store::notices::Heard;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::App;
use crate::cameras::{CameraStatus, Cameras};
use crate::events::Event;

/// How often a node says it is alive.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// A node not heard from for this long is taken as gone, and its cameras as failed.
pub const NODE_LOST: Duration = Duration::from_secs(15);

/// What passes between nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub node: String,
    #[serde(flatten)]
    pub what: What,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum What {
    AlertRaised {
        alert: AlertId,
        category: Option<Category>,
    },
    AlertUpdated {
        alert: AlertId,
        by: String,
    },
    AlertSeenAgain {
        alert: AlertId,
        camera: String,
    },
    DeploymentChanged {
        deployment: DeploymentId,
        state: DeploymentState,
        action: String,
        by: String,
    },
    /// A camera's figures: no personal data, so carried whole.
    Camera {
        status: CameraStatus,
    },
    BluePass {
        pass: BluePassId,
        action: String,
        by: String,
    },
    Alive,
}

impl Notice {
    /// The notice that `d` changed (its cameras, say), from a process that
    /// is not a node (a command), for the nodes to re-read it: their
    /// consoles refresh and their supervisors look again at their cameras.
    pub fn deployment_changed(
        from: &str,
        d: &lfr_domain::deployment::Deployment,
        action: &str,
        by: &str,
    ) -> String {
        let n = Notice {
            node: from.into(),
            what: What::DeploymentChanged {
                deployment: d.id,
                state: d.state,
                action: action.into(),
                by: by.into(),
            },
        };
        serde_json::to_string(&n).expect("a notice serialises")
    }
}

impl What {
    /// The notice for a local event.
    fn of(e: &Event, cameras: &dyn Cameras) -> Option<What> {
        Some(match e {
            Event::AlertRaised { alert, category } => What::AlertRaised {
                alert: alert.id,
                category: *category,
            },
            Event::AlertUpdated { alert, by } => What::AlertUpdated {
                alert: alert.id,
                by: by.clone(),
            },
            Event::AlertSeenAgain { alert, camera } => What::AlertSeenAgain {
                alert: alert.id,
                camera: camera.clone(),
            },
            Event::DeploymentChanged {
                deployment,
                state,
                action,
                by,
            } => What::DeploymentChanged {
                deployment: *deployment,
                state: *state,
                action: action.clone(),
                by: by.clone(),
            },
            Event::CameraFigures { deployment, camera } => What::Camera {
                status: cameras
                    .cameras()
                    .into_iter()
                    .find(|c| c.deployment == *deployment && c.name == *camera)?,
            },
            Event::BluePass { pass, action, by } => What::BluePass {
                pass: pass.id,
                action: action.clone(),
                by: by.clone(),
            },
        })
    }
}

/// The cameras of this node, then those other nodes reported.
pub struct NodeCameras {
    local: Arc<dyn Cameras>,
    remote: Mutex<Vec<(String, CameraStatus)>>,
    heard: Mutex<HashMap<String, Instant>>,
    /// [`Relay::lost_after`], in milliseconds (set when the relay starts).
    lost_after_ms: AtomicU64,
}

impl NodeCameras {
    fn report(&self, node: &str, s: CameraStatus) {
        let mut l = self.remote.lock().unwrap_or_else(|e| e.into_inner());
        match l
            .iter_mut()
            .find(|(_, c)| c.deployment == s.deployment && c.name == s.name)
        {
            Some(entry) => *entry = (node.to_string(), s),
            None => l.push((node.to_string(), s)),
        }
    }

    fn heard(&self, node: &str) {
        self.heard
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(node.to_string(), Instant::now());
    }

    fn lost_after(&self) -> Duration {
        Duration::from_millis(self.lost_after_ms.load(Ordering::Relaxed))
    }

    /// How long since `node` was last heard from, if ever.
    fn silent_for(&self, node: &str) -> Option<Duration> {
        self.heard
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(node)
            .map(Instant::elapsed)
    }
}

impl Cameras for NodeCameras {
    fn view(&self, d: DeploymentId, camera: &str) -> Option<crate::cameras::CameraView> {
        self.local.view(d, camera)
    }

    fn cameras(&self) -> Vec<CameraStatus> {
        let mut all = self.local.cameras();
        let remote = self
            .remote
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for (node, mut c) in remote {
            if all
                .iter()
                .any(|l| l.deployment == c.deployment && l.name == c.name)
            {
                continue;
            }
            let lost_after = self.lost_after();
            let silent = self.silent_for(&node).unwrap_or(lost_after);
            if silent >= lost_after && !matches!(c.state.as_str(), "ended" | "stopped") {
                c.state = "failed".into();
                c.detail = Some(format!(
                    "node {node}, which runs this camera, has not been heard from for {} s",
                    silent.as_secs()
                ));
            }
            all.push(c);
        }
        all
    }
}

/// Which alerts this node's listeners have been told of: every alert in
/// the store reaches them once, by its notice or, if the notice was lost,
/// by the sweep a heartbeat later.
#[derive(Default)]
struct Seen {
    /// Every alert up to this id has been announced here, or was older
    /// than this node.
    floor: i64,
    /// Announced alerts above the floor.
    above: std::collections::BTreeSet<i64>,
    /// The newest alert at the last sweep: the next sweep announces what
    /// is missing up to it.
    next_floor: i64,
}

impl Seen {
    fn is_seen(&self, id: i64) -> bool {
        id <= self.floor || self.above.contains(&id)
    }

    fn mark(&mut self, id: i64) {
        if id > self.floor {
            self.above.insert(id);
        }
    }

    fn raise_floor(&mut self, to: i64) {
        self.floor = self.floor.max(to);
        let floor = self.floor;
        self.above.retain(|&i| i > floor);
    }
}

/// This node's part in the relay.
pub struct Relay {
    node: String,
    cameras: Arc<NodeCameras>,
    seen: Mutex<Seen>,
    /// How often this node says it is alive ([`HEARTBEAT`]).
    pub heartbeat: Duration,
    /// After how long without a word a node is taken as gone ([`NODE_LOST`]).
    pub lost_after: Duration,
}

/// The running relay; dropping it stops it.
pub struct Relaying {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Relaying {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Relay {
    /// Wraps the app's cameras so that other nodes' cameras show too; call
    /// before serving, then [`Relay::start`].
    pub fn new(app: &mut App, node: &str) -> Relay {
        let cameras = Arc::new(NodeCameras {
            local: app.cameras.clone(),
            remote: Mutex::default(),
            heard: Mutex::default(),
            lost_after_ms: AtomicU64::new(NODE_LOST.as_millis() as u64),
        });
        app.cameras = cameras.clone();
        Relay {
            node: node.to_string(),
            cameras,
            seen: Mutex::default(),
            heartbeat: HEARTBEAT,
            lost_after: NODE_LOST,
        }
    }

    /// Starts relaying, if the store is shared (PostgreSQL); `None` on SQLite.
    pub async fn start(self, app: &App) -> lfr_store::Result<Option<Relaying>> {
        let Some(mut notices) = app.store.listen().await? else {
            return Ok(None);
        };
        self.cameras
            .lost_after_ms
            .store(self.lost_after.as_millis() as u64, Ordering::Relaxed);
        // Alerts from before this node started are not announced again.
        let newest = app.store.last_alert_id().await?.0;
        {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            seen.floor = newest;
            seen.next_floor = newest;
        }
        let (tx, mut outbound) = mpsc::channel::<Arc<Event>>(OUTBOUND);
        app.hub.relay_to(tx);
        let relay = Arc::new(self);

        // Out: this node's events, then a heartbeat.
        let (store, cameras, me) = (app.store.clone(), relay.cameras.clone(), relay.clone());
        let out = tokio::spawn(async move {
            let mut beat = tokio::time::interval(me.heartbeat);
            loop {
                let what = tokio::select! {
                    e = outbound.recv() => match e {
                        Some(e) => What::of(&e, &*cameras),
                        None => return,
                    },
                    _ = beat.tick() => Some(What::Alive),
                };
                let Some(what) = what else { continue };
                if let What::AlertRaised { alert, .. } = &what {
                    me.seen
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .mark(alert.0);
                }
                let notice = Notice {
                    node: me.node.clone(),
                    what,
                };
                let text = serde_json::to_string(&notice).expect("a notice serialises");
                // A database restarting refuses for a second or two: try again
                // (the other nodes' sweeps catch any alert still missed).
                for attempt in 1..=NOTIFY_TRIES {
                    match store.notify(&text).await {
                        Ok(()) => break,
                        Err(e) if attempt == NOTIFY_TRIES => {
                            tracing::warn!(
                                "node {}: a notice was not sent to the other nodes: {e}",
                                me.node
                            );
                        }
                        Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
                    }
                }
            }
        });

        // In: other nodes' notices, as local events.
        let app = app.clone();
        let inbound = tokio::spawn(async move {
            let mut sweep = tokio::time::interval(relay.heartbeat);
            let mut lost: Vec<String> = Vec::new();
            loop {
                tokio::select! {
                    heard = notices.next() => match heard {
                        Ok(Heard::Notice(text)) => relay.receive(&app, &text).await,
                        Ok(Heard::Reconnected) => {
                            tracing::warn!("node {}: the connection to the database was lost and made again; notices sent meanwhile were missed", relay.node);
                        }
                        Err(e) => {
                            tracing::warn!("node {}: cannot hear the other nodes: {e}; trying again", relay.node);
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                    },
                    _ = sweep.tick() => {
                        relay.sweep(&app, &mut lost);
                        relay.sweep_alerts(&app).await;
                    }
                }
            }
        });
        Ok(Some(Relaying {
            tasks: vec![out, inbound],
        }))
    }

    async fn receive(&self, app: &App, text: &str) {
        let notice: Notice = match serde_json::from_str(text) {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(
                    "node {}: an unreadable notice was ignored ({e}): {text}",
                    self.node
                );
                return;
            }
        };
        if notice.node == self.node {
            return;
        }
        self.cameras.heard(&notice.node);
        let event = match notice.what {
            What::Alive => return,
            What::AlertRaised { alert, category } => {
                if self
                    .seen
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .is_seen(alert.0)
                {
                    return;
                }
                match app.store.alert_to_relay(alert).await {
                    Ok(a) => {
                        self.seen
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .mark(alert.0);
                        Event::AlertRaised { alert: a, category }
                    }
                    Err(e) => return self.unread(&notice.node, &format!("A{alert}"), e),
                }
            }
            What::AlertUpdated { alert, by } => match app.store.alert_to_relay(alert).await {
                Ok(alert) => Event::AlertUpdated { alert, by },
                Err(e) => return self.unread(&notice.node, &format!("A{alert}"), e),
            },
            What::AlertSeenAgain { alert, camera } => match app.store.alert_to_relay(alert).await {
                Ok(alert) => Event::AlertSeenAgain { alert, camera },
                Err(e) => return self.unread(&notice.node, &format!("A{alert}"), e),
            },
            What::DeploymentChanged {
                deployment,
                state,
                action,
                by,
            } => Event::DeploymentChanged {
                deployment,
                state,
                action,
                by,
            },
            What::Camera { status } => {
                let (deployment, camera) = (status.deployment, status.name.clone());
                self.cameras.report(&notice.node, status);
                Event::CameraFigures { deployment, camera }
            }
            What::BluePass { pass, action, by } => match app.store.blue_pass_to_relay(pass).await {
                Ok(pass) => Event::BluePass { pass, action, by },
                Err(e) => return self.unread(&notice.node, &format!("BP{pass}"), e),
            },
        };
        app.hub.publish_relayed(event);
    }

    /// Announces the alerts in the store this node's listeners have not
    /// heard of, up to the newest at the previous sweep (a heartbeat ago, so
    /// that an alert's own notice has had time to come first).
    async fn sweep_alerts(&self, app: &App) {
        let (floor, upto) = {
            let s = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            (s.floor, s.next_floor)
        };
        if upto > floor {
            let missed = match app
                .store
                .alerts_to_relay_between(AlertId(floor), AlertId(upto))
                .await
            {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!("node {}: cannot look for missed alerts: {e}", self.node);
                    return;
                }
            };
            for a in missed {
                let new = {
                    let mut s = self.seen.lock().unwrap_or_else(|e| e.into_inner());
                    let new = !s.is_seen(a.id.0);
                    s.mark(a.id.0);
                    new
                };
                if new {
                    tracing::warn!(
                        "node {}: A{} announced late (its notice was lost)",
                        self.node,
                        a.id
                    );
                    app.hub.publish_relayed(Event::AlertRaised {
                        alert: a,
                        category: None,
                    });
                }
            }
            self.seen
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .raise_floor(upto);
        }
        if let Ok(newest) = app.store.last_alert_id().await {
            let mut s = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            s.next_floor = s.next_floor.max(newest.0);
        }
    }

    fn unread(&self, from: &str, what: &str, e: lfr_store::StoreError) {
        tracing::warn!(
            "node {}: node {from} announced {what}, which cannot be read: {e}",
            self.node
        );
    }

    /// Tells the consoles once when a node's cameras turn failed because it
    /// went silent.
    fn sweep(&self, app: &App, lost: &mut Vec<String>) {
        let remote = self
            .cameras
            .remote
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for (node, c) in remote {
            let gone = self.cameras.silent_for(&node).unwrap_or(self.lost_after) >= self.lost_after;
            let key = format!("{node}/{}/{}", c.deployment, c.name);
            let known = lost.contains(&key);
            if gone && !known {
                lost.push(key);
                app.hub.publish_relayed(Event::CameraFigures {
                    deployment: c.deployment,
                    camera: c.name,
                });
            } else if !gone && known {
                lost.retain(|k| *k != key);
            }
        }
    }
}

/// Tries at sending a notice, half a second apart.
const NOTIFY_TRIES: u32 = 6;

/// Local events waiting to be sent; past this, newer ones are not sent
/// (the store holds every record; the other consoles re-read on their next load).
const OUTBOUND: usize = 4096;
