//! Deployments through their lifecycle, each step checked by the domain and audited.

use lfr_domain::authority::{Authority, AuthorityForm};
use lfr_domain::deployment::{Application, AssessmentKind, Deployment, Document, Outstanding};
use lfr_domain::ids::{DeploymentId, UserId};
use lfr_domain::policy::{self, Action};
use lfr_domain::review::Review;
use lfr_domain::role::User;
use lfr_domain::watchlist::Watchlist;
use lfr_domain::{Refusal, Timestamp};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use crate::db::{from_json, json, ms, next_id, opt_ts, parse, ts};
use crate::gate::{Act, done, made};
use crate::{Result, Store, StoreError};

/// What the AO grants.
#[derive(Debug, Clone)]
pub struct Grant {
    pub verbal_confirm_by: Option<Timestamp>,
    pub rationale: String,
    /// When the authority starts; absent: when the application asked to start.
    pub valid_from: Option<Timestamp>,
    /// When it ends; absent: when the application asked to end.
    pub valid_until: Option<Timestamp>,
    pub minimum_threshold: f64,
    /// Required below the default 0.64.
    pub minimum_threshold_reason: Option<String>,
}

/// A review as entered by the Silver Commander.
#[derive(Debug, Clone)]
pub struct ReviewInput {
    pub legality: String,
    pub necessity: String,
    pub proportionality: String,
    pub performance: String,
    pub engagements: String,
    pub continue_deployment: bool,
}

fn row_to_deployment(r: &sqlx::any::AnyRow) -> Result<Deployment> {
    let authority: Option<String> = r.try_get("authority")?;
    Ok(Deployment {
        id: DeploymentId(r.try_get("id")?),
        application: from_json(&r.try_get::<String, _>("application")?, "application")?,
        applied_by: UserId(r.try_get("applied_by")?),
        applied_at: ts(r.try_get("applied_ms")?),
        state: parse(&r.try_get::<String, _>("state")?)?,
        authority: authority
            .map(|a| from_json::<Authority>(&a, "authority"))
            .transpose()?,
        started_at: opt_ts(r.try_get("started_ms")?),
        ended_at: opt_ts(r.try_get("ended_ms")?),
        last_review_at: opt_ts(r.try_get("last_review_ms")?),
        record_submitted_at: opt_ts(r.try_get("record_submitted_ms")?),
        recognition: lfr_domain::deployment::RecognitionModel {
            model: r.try_get("model")?,
            algorithm: r.try_get("algorithm")?,
            calibration: r.try_get("calibration")?,
        },
    })
}

pub(crate) async fn load(conn: &mut AnyConnection, id: DeploymentId) -> Result<Deployment> {
    let r = sqlx::query("SELECT * FROM deployments WHERE id = $1")
        .bind(id.0)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!(
                "no deployment D{id}; `lfr deployment list` shows them"
            ))
        })?;
    row_to_deployment(&r)
}

pub(crate) async fn load_all(conn: &mut AnyConnection) -> Result<Vec<Deployment>> {
    let rows = sqlx::query("SELECT * FROM deployments ORDER BY id")
        .fetch_all(conn)
        .await?;
    rows.iter().map(row_to_deployment).collect()
}

async fn save(conn: &mut AnyConnection, d: &Deployment) -> Result<()> {
    sqlx::query(
        "UPDATE deployments SET state = $1, authority = $2, started_ms = $3, ended_ms = $4,
         last_review_ms = $5, record_submitted_ms = $6 WHERE id = $7",
    )
    .bind(d.state.as_str())
    .bind(d.authority.as_ref().map(json))
    .bind(d.started_at.map(ms))
    .bind(d.ended_at.map(ms))
    .bind(d.last_review_at.map(ms))
    .bind(d.record_submitted_at.map(ms))
    .bind(d.id.0)
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// An officer applies for a deployment. Its data key is made now.
    pub async fn apply(&self, actor: &User, app: Application) -> Result<Deployment> {
        let act = Act::new(actor, Action::ApplyForDeployment, "deployment.apply", "-");
        self.act(act, async |tx, now| {
            policy::application_is_complete(&app)?;
            let m = &self.new_deployments;
            policy::model_may_be_chosen(
                &m.recognition.model,
                m.restriction.as_deref(),
                m.check().as_ref(),
                Default::default(),
            )?;
            let id = DeploymentId(next_id(tx, "deployments").await?);
            let d = Deployment {
                id,
                application: app,
                applied_by: actor.id,
                applied_at: now,
                state: lfr_domain::deployment::DeploymentState::Applied,
                authority: None,
                started_at: None,
                ended_at: None,
                last_review_at: None,
                record_submitted_at: None,
                recognition: self.new_deployments.recognition.clone(),
            };
            sqlx::query("INSERT INTO deployments (id, application, applied_by, applied_ms, state, model, algorithm, calibration) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(id.0)
                .bind(json(&d.application))
                .bind(actor.id.0)
                .bind(ms(d.applied_at))
                .bind(d.state.as_str())
                .bind(&d.recognition.model)
                .bind(&d.recognition.algorithm)
                .bind(&d.recognition.calibration)
                .execute(&mut *tx)
                .await?;
            crate::team::add_applicant(tx, id, actor, now).await?;
            // The key file is made before the commit: a crash between the two
            // leaves an unused key file (moved aside by the next `create`),
            // never a deployment without a key.
            self.keys().create(id)?;
            let detail = format!(
                "{} ({}); recognition model {} ({})",
                d.application.location,
                d.application.use_case,
                d.recognition.model,
                d.recognition.algorithm
            );
            made(d, format!("D{id}"), detail)
        })
        .await
    }

    /// Attaches an assessment (CIA, EIA, DPIA, camera self-assessment).
    pub async fn attach_document(
        &self,
        actor: &User,
        id: DeploymentId,
        kind: AssessmentKind,
        file_name: &str,
        content: &[u8],
    ) -> Result<Document> {
        let act = Act::new(
            actor,
            Action::ApplyForDeployment,
            "deployment.attach",
            format!("D{id}"),
        );
        self.act(act, async |tx, now| {
            load(tx, id).await?;
            let sha = hex::encode(Sha256::digest(content));
            let doc_id = next_id(tx, "documents").await?;
            sqlx::query("INSERT INTO documents (id, deployment, kind, file_name, sha256, content, added_by, added_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(doc_id)
                .bind(id.0)
                .bind(kind.as_str())
                .bind(file_name)
                .bind(&sha)
                .bind(content.to_vec())
                .bind(actor.id.0)
                .bind(ms(now))
                .execute(&mut *tx)
                .await?;
            let detail = format!("{kind} {file_name} sha256 {sha}");
            let doc = Document {
                kind,
                file_name: file_name.into(),
                sha256: sha,
            };
            done(doc, detail)
        })
        .await
    }

    pub async fn documents(&self, actor: &User, id: DeploymentId) -> Result<Vec<Document>> {
        self.permit(
            actor,
            Action::ReadDeployments,
            "deployment.read",
            &format!("D{id}"),
        )
        .await?;
        let rows = sqlx::query(
            "SELECT kind, file_name, sha256 FROM documents WHERE deployment = $1 ORDER BY id",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Document {
                    kind: parse(&r.try_get::<String, _>(0)?)?,
                    file_name: r.try_get(1)?,
                    sha256: r.try_get(2)?,
                })
            })
            .collect()
    }

    /// Loads, applies one lifecycle step, saves and audits, or audits the refusal.
    async fn step<F>(
        &self,
        actor: &User,
        id: DeploymentId,
        action: Action,
        name: &'static str,
        detail: String,
        f: F,
    ) -> Result<Deployment>
    where
        F: FnOnce(&mut Deployment, &[Watchlist], Timestamp) -> Result<(), Refusal>,
    {
        self.act(
            Act::new(actor, action, name, format!("D{id}")),
            async |tx, now| {
                let mut d = load(tx, id).await?;
                let wls = crate::watchlists::load_for_deployment(tx, id).await?;
                f(&mut d, &wls, now)?;
                save(tx, &d).await?;
                done(d, detail)
            },
        )
        .await
    }

    /// An Authorising Officer grants written authority, or urgent verbal
    /// authority with a deadline for written confirmation.
    pub async fn authorise(&self, actor: &User, id: DeploymentId, g: Grant) -> Result<Deployment> {
        let act = Act::new(
            actor,
            Action::Authorise,
            "deployment.authorise",
            format!("D{id}"),
        );
        self.act(act, async |tx, now| {
            let mut d = load(tx, id).await?;
            let authority = Authority {
                granted_by: actor.id,
                granted_at: now,
                form: match g.verbal_confirm_by {
                    None => AuthorityForm::Written,
                    Some(confirm_by) => AuthorityForm::UrgentVerbal {
                        confirm_by,
                        confirmed_at: None,
                    },
                },
                rationale: g.rationale,
                valid_from: g.valid_from.unwrap_or(d.application.starts_at),
                valid_until: g.valid_until.unwrap_or(d.application.ends_at),
                minimum_threshold: g.minimum_threshold,
                minimum_threshold_reason: g.minimum_threshold_reason.clone(),
                cancelled_at: None,
            };
            let reason = g
                .minimum_threshold_reason
                .as_deref()
                .map(|r| format!(" (below the default because: {r})"))
                .unwrap_or_default();
            let detail = format!(
                "{} authority {} to {}, minimum threshold {}{reason}",
                if g.verbal_confirm_by.is_some() {
                    "urgent verbal"
                } else {
                    "written"
                },
                authority.valid_from,
                authority.valid_until,
                g.minimum_threshold
            );
            d.authorise(actor, authority)?;
            save(tx, &d).await?;
            done(d, detail)
        })
        .await
    }

    pub async fn confirm_verbal(&self, actor: &User, id: DeploymentId) -> Result<Deployment> {
        let ao = actor.clone();
        self.step(
            actor,
            id,
            Action::ConfirmVerbalAuthority,
            "deployment.confirm_verbal",
            "confirmed in writing".into(),
            move |d, _, now| d.confirm_verbal(&ao, now),
        )
        .await
    }

    /// Starts recognition, or resumes it after a suspension.
    pub async fn start(&self, actor: &User, id: DeploymentId) -> Result<Deployment> {
        self.step(
            actor,
            id,
            Action::StartRecognition,
            "deployment.start",
            "recognition started".into(),
            |d, w, now| d.start(now, w),
        )
        .await
    }

    pub async fn suspend(
        &self,
        actor: &User,
        id: DeploymentId,
        reason: &str,
    ) -> Result<Deployment> {
        let by = actor.clone();
        self.step(
            actor,
            id,
            Action::Suspend,
            "deployment.suspend",
            reason.into(),
            move |d, _, _| d.suspend(&by),
        )
        .await
    }

    pub async fn terminate(
        &self,
        actor: &User,
        id: DeploymentId,
        reason: &str,
    ) -> Result<Deployment> {
        let by = actor.clone();
        self.step(
            actor,
            id,
            Action::Terminate,
            "deployment.terminate",
            reason.into(),
            move |d, _, now| d.terminate(&by, now),
        )
        .await
    }

    pub async fn conclude(&self, actor: &User, id: DeploymentId) -> Result<Deployment> {
        self.step(
            actor,
            id,
            Action::Conclude,
            "deployment.conclude",
            "concluded as planned".into(),
            |d, _, now| d.conclude(now),
        )
        .await
    }

    pub async fn cancel_authority(&self, actor: &User, id: DeploymentId) -> Result<Deployment> {
        let ao = actor.clone();
        self.step(
            actor,
            id,
            Action::CancelAuthority,
            "deployment.cancel_authority",
            "authority cancelled".into(),
            move |d, _, now| d.cancel_authority(&ao, now),
        )
        .await
    }

    /// The AO withdraws authority from a deployment that has not ended:
    /// it ends at once ([`Deployment::withdraw_authority`]).
    pub async fn withdraw_authority(
        &self,
        actor: &User,
        id: DeploymentId,
        reason: &str,
    ) -> Result<Deployment> {
        let ao = actor.clone();
        let why = reason.to_string();
        self.step(
            actor,
            id,
            Action::CancelAuthority,
            "deployment.withdraw_authority",
            format!("authority withdrawn: {reason}"),
            move |d, _, now| d.withdraw_authority(&ao, &why, now),
        )
        .await
    }

    pub async fn submit_record(
        &self,
        actor: &User,
        id: DeploymentId,
        note: &str,
    ) -> Result<Deployment> {
        self.step(
            actor,
            id,
            Action::SubmitDeploymentRecord,
            "deployment.record",
            note.into(),
            |d, _, now| d.submit_record(now),
        )
        .await
    }

    /// Records a review; a decision not to continue suspends the deployment.
    pub async fn record_review(
        &self,
        actor: &User,
        id: DeploymentId,
        r: ReviewInput,
    ) -> Result<Review> {
        let act = Act::new(
            actor,
            Action::RecordReview,
            "deployment.review",
            format!("D{id}"),
        );
        self.act(act, async |tx, now| {
                let mut d = load(tx, id).await?;
                d.review_may_be_recorded()?;
                let review = Review {
                    at: now,
                    by: actor.id,
                    legality: r.legality,
                    necessity: r.necessity,
                    proportionality: r.proportionality,
                    performance: r.performance,
                    engagements: r.engagements,
                    continue_deployment: r.continue_deployment,
                };
                let rid = next_id(tx, "reviews").await?;
                sqlx::query(
                    "INSERT INTO reviews (id, deployment, at_ms, by_user, legality, necessity, proportionality, performance, engagements, continue_deployment)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(rid)
                .bind(id.0)
                .bind(ms(now))
                .bind(actor.id.0)
                .bind(&review.legality)
                .bind(&review.necessity)
                .bind(&review.proportionality)
                .bind(&review.performance)
                .bind(&review.engagements)
                .bind(i64::from(review.continue_deployment))
                .execute(&mut *tx)
                .await?;
                d.last_review_at = Some(now);
                if !review.continue_deployment
                    && d.state == lfr_domain::deployment::DeploymentState::Active
                {
                    d.suspend(actor)?;
                }
                save(tx, &d).await?;
                let detail = if review.continue_deployment {
                    "review: continue"
                } else {
                    "review: do not continue (suspended)"
                };
                done(review, detail)
            })
            .await
    }

    pub async fn reviews(&self, actor: &User, id: DeploymentId) -> Result<Vec<Review>> {
        self.permit(
            actor,
            Action::ReadDeployments,
            "deployment.read",
            &format!("D{id}"),
        )
        .await?;
        let rows = sqlx::query("SELECT * FROM reviews WHERE deployment = $1 ORDER BY at_ms")
            .bind(id.0)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Review {
                    at: ts(r.try_get("at_ms")?),
                    by: UserId(r.try_get("by_user")?),
                    legality: r.try_get("legality")?,
                    necessity: r.try_get("necessity")?,
                    proportionality: r.try_get("proportionality")?,
                    performance: r.try_get("performance")?,
                    engagements: r.try_get("engagements")?,
                    continue_deployment: r.try_get::<i64, _>("continue_deployment")? != 0,
                })
            })
            .collect()
    }

    pub async fn deployment(&self, actor: &User, id: DeploymentId) -> Result<Deployment> {
        self.permit(
            actor,
            Action::ReadDeployments,
            "deployment.read",
            &format!("D{id}"),
        )
        .await?;
        let mut conn = self.pool.acquire().await?;
        load(&mut conn, id).await
    }

    pub async fn deployments(&self, actor: &User) -> Result<Vec<Deployment>> {
        self.permit(
            actor,
            Action::ReadDeployments,
            "deployment.list",
            "deployments",
        )
        .await?;
        let mut conn = self.pool.acquire().await?;
        let all = load_all(&mut conn).await?;
        drop(conn);
        // Each sees the deployments of their teams, or every one force-wide.
        self.only_visible(actor, Action::ReadDeployments, all, |d| {
            format!("D{}", d.id)
        })
        .await
    }

    /// Everything owed across deployments: late reviews, unconfirmed verbal
    /// authority, uncancelled authority, deployment records due or overdue.
    pub async fn outstanding(&self, actor: &User) -> Result<Vec<(DeploymentId, Outstanding)>> {
        let now = self.now();
        Ok(self
            .deployments(actor)
            .await?
            .into_iter()
            .flat_map(|d| d.outstanding(now).into_iter().map(move |o| (d.id, o)))
            .collect())
    }
}
