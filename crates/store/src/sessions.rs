//! Recognition sessions: the only way to write alerts and counts.
//!
//! The pipeline opens a session when its cameras start for a deployment;
//! alerts and counts are written through it, so each records which session
//! (and so which algorithm) produced it. No API route or command opens one:
//! an alert's score and probe, and the counts the published false alert
//! rate divides by, come from the process that ran recognition.

use lfr_domain::ids::DeploymentId;
use lfr_domain::policy::{self, Action};
use lfr_domain::role::User;

use crate::db::{ms, next_id};
use crate::gate::{Act, done, made};
use crate::{Result, Store};

/// An open recognition session. Only [`Store::open_recognition_session`]
/// makes one.
#[derive(Debug, Clone)]
pub struct RecognitionSession {
    id: i64,
    deployment: DeploymentId,
    algorithm: String,
    actor: User,
}

impl RecognitionSession {
    pub fn id(&self) -> i64 {
        self.id
    }

    pub fn deployment(&self) -> DeploymentId {
        self.deployment
    }

    /// The deployment's template algorithm when the session opened.
    pub fn algorithm(&self) -> &str {
        &self.algorithm
    }

    pub fn actor(&self) -> &User {
        &self.actor
    }
}

impl Store {
    /// Opens a session for the pipeline of deployment `d`, run as `actor`
    /// (a role that may raise alerts), whose engine makes templates of
    /// `algorithm`: refused unless that is the deployment's. Whether
    /// recognition is authorised is checked on each alert, not here: a
    /// session may wait out a suspension.
    pub async fn open_recognition_session(
        &self,
        actor: &User,
        d: DeploymentId,
        algorithm: &str,
        calibration: &str,
    ) -> Result<RecognitionSession> {
        let act = Act::new(
            actor,
            Action::RaiseAlert,
            "recognition.open",
            format!("D{d}"),
        );
        self.act(act, async |tx, now| {
            let deployment = crate::deployments::load(tx, d).await?;
            policy::templates_match_the_deployment_algorithm(&deployment, algorithm)?;
            policy::calibration_as_recorded(&deployment, calibration)?;
            let algorithm = deployment.recognition.algorithm.clone();
            let id = next_id(tx, "recognition_sessions").await?;
            sqlx::query(
                "INSERT INTO recognition_sessions (id, deployment, algorithm, opened_by, opened_ms) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(d.0)
            .bind(&algorithm)
            .bind(actor.id.0)
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
            let detail = format!("D{d} with {algorithm}");
            let session = RecognitionSession {
                id,
                deployment: d,
                algorithm,
                actor: actor.clone(),
            };
            made(session, format!("RS{id}"), detail)
        })
        .await
    }

    /// Closes a session once its pipeline has stopped and written its last
    /// counts. A session never closed is counted as interrupted in the
    /// deployment's figures.
    pub async fn close_recognition_session(&self, session: &RecognitionSession) -> Result<()> {
        let actor = self.current(session.actor()).await?;
        let d = session.deployment();
        let act = Act::new(
            &actor,
            Action::RecordCounts,
            "recognition.close",
            format!("D{d}"),
        );
        self.act(act, async |tx, now| {
            sqlx::query("UPDATE recognition_sessions SET closed_ms = $1 WHERE id = $2 AND closed_ms IS NULL")
                .bind(ms(now))
                .bind(session.id())
                .execute(&mut *tx)
                .await?;
            done((), format!("RS{} closed after its last counts", session.id()))
        })
        .await
    }
}
