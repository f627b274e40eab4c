//! Keeps a deployment's cameras running for as long as the deployment may
//! run recognition: starts the session when it becomes possible, has it
//! re-read the deployment whenever someone suspends, resumes or ends it,
//! and stops it when the deployment ends or the process stops.
//!
//! It knows nothing of consoles: it hears of changes through a [`Newsfeed`]
//! (the console's event bus in one process; the database's notifications
//! when several processes share it) and tells a [`Listener`] what happens.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use lfr_domain::ids::DeploymentId;
use lfr_domain::role::User;
use lfr_engine::pipeline::ModelFiles;
use lfr_store::Store;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;

use crate::figures::CameraFigures;
use crate::{CameraConfig, LiveConfig, LiveEvent, Session};

/// News of the supervised deployment from outside the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum News {
    /// Its state changed (suspended, resumed, authority recorded...): re-read it.
    Changed,
    /// It ended (concluded, terminated, cancelled): stop for good.
    Ended,
}

/// Where the supervisor hears of changes to its deployment.
pub trait Newsfeed: Send {
    /// The next news of the deployment; `None` once the feed has closed
    /// (the session's own polling of the deployment still applies).
    fn next(&mut self) -> impl Future<Output = Option<News>> + Send;
}

/// What the supervisor itself has to say, besides the session's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Supervision {
    /// The session could not start (said once per distinct reason); it is
    /// tried again on news of the deployment, or after [`Supervisor::retry`].
    NotStarted(String),
    /// The cameras run.
    Running,
}

/// Who hears what the cameras do: a console, a log, a test.
pub trait Listener: Send + Sync {
    fn event(&self, deployment: DeploymentId, event: &LiveEvent);
    fn supervision(&self, deployment: DeploymentId, s: &Supervision);
}

/// Why [`Supervisor::run`] returned.
#[derive(Debug)]
pub enum Outcome {
    /// The deployment ended; its cameras are stopped.
    DeploymentEnded,
    /// Asked to stop: the cameras' last figures, after their last counts
    /// were written (or not: see `faces_unrecorded`).
    Stopped(Vec<CameraFigures>),
}

/// Which cameras a supervisor runs.
#[derive(Debug, Clone)]
pub enum CameraList {
    /// These (a camera list given to `lfr serve`).
    Given(Vec<CameraConfig>),
    /// Those the store assigns to this node (`lfr camera`), re-read on news
    /// of the deployment and every [`Supervisor::retry`]: a camera moved
    /// to or from this node starts or stops here.
    Assigned { node: String },
}

/// One deployment's cameras, as one user (a System Engineer or Operator).
pub struct Supervisor {
    pub store: Arc<Store>,
    pub actor: User,
    pub deployment: DeploymentId,
    pub cameras: CameraList,
    pub models: ModelFiles,
    pub config: LiveConfig,
    /// How long to wait for news before trying a failed start again (and,
    /// for assigned cameras, between re-readings of the assignment).
    pub retry: Duration,
    /// Where the running cameras' views are offered to the console.
    pub views: Option<crate::view::Views>,
}

impl Supervisor {
    /// Runs until the deployment ends or `stop` turns true.
    pub async fn run(
        self,
        mut news: impl Newsfeed,
        listener: &impl Listener,
        mut stop: watch::Receiver<bool>,
    ) -> Outcome {
        let mut feed_open = true;
        let mut last_refusal = String::new();
        loop {
            if *stop.borrow() {
                return Outcome::Stopped(Vec::new());
            }
            let started = match self.camera_list().await {
                Ok((cameras, assignment)) => Session::start(
                    self.store.clone(),
                    self.actor.clone(),
                    self.deployment,
                    cameras,
                    self.models.clone(),
                    self.config.clone(),
                )
                .await
                .map(|s| (s, assignment))
                .map_err(|e| e.to_string()),
                Err(why) => Err(why),
            };
            let (session, running) = match started {
                Ok(s) => s,
                Err(reason) => {
                    if reason != last_refusal {
                        listener
                            .supervision(self.deployment, &Supervision::NotStarted(reason.clone()));
                        last_refusal = reason;
                    }
                    let wait = tokio::time::sleep(self.retry);
                    tokio::select! {
                        _ = wait => {}
                        n = next_news(&mut news, &mut feed_open) => {
                            if n == News::Ended {
                                return Outcome::DeploymentEnded;
                            }
                        }
                        _ = stop.changed() => return Outcome::Stopped(Vec::new()),
                    }
                    continue;
                }
            };
            last_refusal.clear();
            if let Some(v) = &self.views {
                v.set(self.deployment, session.view_slots());
            }
            listener.supervision(self.deployment, &Supervision::Running);
            let mut events = session.subscribe();
            let mut recheck = tokio::time::interval(self.retry);
            recheck.reset();
            let ended = loop {
                tokio::select! {
                    _ = stop.changed() => break Ended::Stop,
                    _ = recheck.tick() => {
                        if self.reassigned(&running).await {
                            break Ended::Reassigned;
                        }
                    }
                    ev = events.recv() => match ev {
                        Ok(ev) => listener.event(self.deployment, &ev),
                        Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => break Ended::SessionClosed,
                    },
                    n = next_news(&mut news, &mut feed_open) => match n {
                        News::Ended => break Ended::Deployment,
                        News::Changed => {
                            if self.reassigned(&running).await {
                                break Ended::Reassigned;
                            }
                            session.refresh().await;
                        }
                    },
                }
            };
            if let Some(v) = &self.views {
                v.clear(self.deployment);
            }
            let last = session.stop().await;
            match ended {
                Ended::Deployment => return Outcome::DeploymentEnded,
                Ended::Stop => return Outcome::Stopped(last),
                Ended::SessionClosed | Ended::Reassigned => continue,
            }
        }
    }

    /// The cameras to run now (with, for assigned ones, the assignment they
    /// were read under), or why there are none.
    async fn camera_list(&self) -> Result<(Vec<CameraConfig>, Assignment), String> {
        let node = match &self.cameras {
            CameraList::Given(c) => return Ok((c.clone(), Vec::new())),
            CameraList::Assigned { node } => node,
        };
        let unreadable = |e: lfr_store::StoreError| {
            format!("the cameras assigned to node {node} cannot be read: {e}")
        };
        let assignment = self
            .store
            .camera_assignment(&self.actor, self.deployment, node)
            .await
            .map_err(unreadable)?;
        if assignment.is_empty() {
            return Err(format!(
                "no camera of D{} is assigned to node {node}; `lfr camera add` or `lfr camera assign` gives it one",
                self.deployment
            ));
        }
        let cameras = self
            .store
            .camera_settings(&self.actor, self.deployment, node)
            .await
            .map_err(unreadable)?
            .into_iter()
            .map(|(cam, settings)| {
                serde_json::from_str::<CameraConfig>(&settings)
                    .map_err(|e| format!("the settings of camera {} cannot be read: {e}", cam.name))
            })
            .collect::<Result<_, _>>()?;
        Ok((cameras, assignment))
    }

    /// Whether this node's assignment is no longer the one running (a
    /// camera moved, added, removed or replaced). Cheap and unaudited: the
    /// settings are read again only when it has changed. A failed reading
    /// changes nothing: the session's own checks pause recognition if the
    /// store is gone.
    async fn reassigned(&self, running: &Assignment) -> bool {
        match &self.cameras {
            CameraList::Given(_) => false,
            CameraList::Assigned { node } => {
                match self
                    .store
                    .camera_assignment(&self.actor, self.deployment, node)
                    .await
                {
                    Ok(now) => now != *running,
                    Err(_) => false,
                }
            }
        }
    }
}

/// A node's cameras by name, with when each last changed.
type Assignment = Vec<(String, i64)>;

/// The feed's next news; once it has closed, never ready (so a closed feed
/// cannot spin the loops above).
async fn next_news(news: &mut impl Newsfeed, open: &mut bool) -> News {
    if *open {
        match news.next().await {
            Some(n) => return n,
            None => *open = false,
        }
    }
    std::future::pending().await
}

enum Ended {
    Deployment,
    Stop,
    /// The session's events closed: start it again.
    SessionClosed,
    /// This node's cameras changed: start again with the new ones.
    Reassigned,
}
