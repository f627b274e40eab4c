//! Metrics, the public report and the public notice of upcoming deployments.

use std::collections::BTreeMap;

use lfr_domain::ids::DeploymentId;
use lfr_domain::metrics::{Counts, Metrics};
use lfr_domain::policy::{self, Action};
use lfr_domain::report::{PublicReport, UpcomingNotice};
use lfr_domain::role::User;
use sqlx::{AnyConnection, Row};

use crate::{Result, Store};

async fn counts(conn: &mut AnyConnection, d: DeploymentId) -> Result<Counts> {
    let r = sqlx::query(
        "SELECT CAST(COALESCE(SUM(faces_scanned), 0) AS BIGINT), CAST(COALESCE(SUM(dropped_frames), 0) AS BIGINT),
                CAST(SUM(people_passing) AS BIGINT)
         FROM scan_counts WHERE deployment = $1",
    )
    .bind(d.0)
    .fetch_one(&mut *conn)
    .await?;
    let b = sqlx::query("SELECT COUNT(*), CAST(COALESCE(SUM(alerted), 0) AS BIGINT) FROM blue_passes WHERE deployment = $1").bind(d.0).fetch_one(&mut *conn).await?;
    let people: Option<i64> = r.try_get(2)?;
    Ok(Counts {
        faces_scanned: r.try_get::<i64, _>(0)? as u64,
        dropped_frames: r.try_get::<i64, _>(1)? as u64,
        people_passing: people.map(|p| p as u64),
        blue_passes: b.try_get::<i64, _>(0)? as u64,
        blue_passes_alerted: b.try_get::<i64, _>(1)? as u64,
    })
}

/// The deployment's standard watchlist inclusions, counted by category.
async fn categories(conn: &mut AnyConnection, d: DeploymentId) -> Result<BTreeMap<String, u64>> {
    let rows = sqlx::query(
        "SELECT i.category, COUNT(*) FROM inclusions i JOIN watchlists w ON i.watchlist = w.id
         WHERE w.deployment = $1 AND w.kind = 'standard' GROUP BY i.category",
    )
    .bind(d.0)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)? as u64)))
        .collect()
}

impl Store {
    async fn compute_metrics(&self, conn: &mut AnyConnection, d: DeploymentId) -> Result<Metrics> {
        let alerts = crate::alerts::load_for_deployment(conn, d).await?;
        let c = counts(conn, d).await?;
        let mut m = Metrics::compute(&alerts, &c);
        if crate::deployments::load(conn, d).await?.state.is_ended() {
            let r = sqlx::query(
                "SELECT COUNT(*) FROM recognition_sessions WHERE deployment = $1 AND closed_ms IS NULL",
            )
            .bind(d.0)
            .fetch_one(&mut *conn)
            .await?;
            m.interrupted_sessions = r.try_get::<i64, _>(0)? as u64;
        }
        Ok(m)
    }

    /// The full figures, for command and oversight.
    pub async fn metrics(&self, actor: &User, d: DeploymentId) -> Result<Metrics> {
        self.permit(
            actor,
            Action::ReadFullReport,
            "report.metrics",
            &format!("D{d}"),
        )
        .await?;
        let mut conn = self.pool.acquire().await?;
        crate::deployments::load(&mut conn, d).await?;
        self.compute_metrics(&mut conn, d).await
    }

    /// The published post-deployment report. Built from public facts and
    /// figures only; it has no field that could carry a name or an image.
    pub async fn public_report(&self, actor: &User, d: DeploymentId) -> Result<PublicReport> {
        self.report_for(actor, d, false).await
    }

    /// The public report for publishing: refused until the deployment is over.
    pub async fn report_to_publish(&self, actor: &User, d: DeploymentId) -> Result<PublicReport> {
        self.report_for(actor, d, true).await
    }

    async fn report_for(
        &self,
        actor: &User,
        d: DeploymentId,
        publish: bool,
    ) -> Result<PublicReport> {
        let target = format!("D{d}");
        self.permit(actor, Action::PublishReport, "report.public", &target)
            .await?;
        let mut tx = self.begin().await?;
        let dep = crate::deployments::load(&mut tx, d).await?;
        if publish && let Err(r) = policy::report_published_after_the_end(&dep) {
            return self.refuse(tx, actor, "report.public", &target, r).await;
        }
        let force = crate::force::load(&mut tx).await?;
        if publish && let Err(r) = policy::public_report_states_legal_basis(force.as_ref()) {
            return self.refuse(tx, actor, "report.public", &target, r).await;
        }
        let m = self.compute_metrics(&mut tx, d).await?;
        let mut report = PublicReport::new(&dep, categories(&mut tx, d).await?, &m, self.now());
        report.force = force;
        self.allowed(
            &mut tx,
            actor,
            "report.public",
            &target,
            "public report produced",
        )
        .await?;
        // Taken after its own entry, so the report anchors its production too.
        report.audit_checkpoint = Some(self.checkpoint_in(&mut tx).await?.to_string());
        tx.commit().await?;
        Ok(report)
    }

    /// Planned and running deployments, for the public notice. Public by
    /// design, so it needs no user.
    pub async fn upcoming(&self) -> Result<Vec<UpcomingNotice>> {
        let mut conn = self.pool.acquire().await?;
        let all = crate::deployments::load_all(&mut conn).await?;
        Ok(UpcomingNotice::list(&all, self.now()))
    }
}
