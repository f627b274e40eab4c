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

/// One deployment's cameras, as one user (a System Engineer or Operator).
pub struct Supervisor {
    pub store: Arc<Store>,
    pub actor: User,
    pub deployment: DeploymentId,
    pub cameras: Vec<CameraConfig>,
    pub models: ModelFiles,
    pub config: LiveConfig,
    /// How long to wait for news before trying a failed start again.
    pub retry: Duration,
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
            let started = Session::start(
                self.store.clone(),
                self.actor.clone(),
                self.deployment,
                self.cameras.clone(),
                self.models.clone(),
                self.config.clone(),
            )
            .await;
            let session = match started {
                Ok(s) => s,
                Err(e) => {
                    let reason = e.to_string();
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
            listener.supervision(self.deployment, &Supervision::Running);
            let mut events = session.subscribe();
            let ended = loop {
                tokio::select! {
                    _ = stop.changed() => break Ended::Stop,
                    ev = events.recv() => match ev {
                        Ok(ev) => listener.event(self.deployment, &ev),
                        Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => break Ended::SessionClosed,
                    },
                    n = next_news(&mut news, &mut feed_open) => match n {
                        News::Ended => break Ended::Deployment,
                        News::Changed => {
                            session.refresh().await;
                        }
                    },
                }
            };
            let last = session.stop().await;
            match ended {
                Ended::Deployment => return Outcome::DeploymentEnded,
                Ended::Stop => return Outcome::Stopped(last),
                Ended::SessionClosed => continue,
            }
        }
    }
}

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
}
