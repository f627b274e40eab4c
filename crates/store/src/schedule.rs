//! The retention schedule: what retention will delete, and when, so that a
//! force (its Data Protection Officer, its auditors) can see it before it
//! happens, not only in the log after.

use lfr_base::Timestamp;
use lfr_domain::policy::{self, Action};
use lfr_domain::role::User;
use serde::Serialize;
use sqlx::Row;

use crate::db::ts;
use crate::{Result, Store};

/// One thing retention will delete.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scheduled {
    /// `A7`, `W2`, `F3`.
    pub target: String,
    /// What goes, in words.
    pub what: &'static str,
    /// When it is due; `None` while its deployment has not ended.
    pub due: Option<Timestamp>,
    /// A legal hold keeps it past its time.
    pub held: bool,
}

impl Store {
    /// Everything still to be deleted, soonest first (undated last).
    pub async fn retention_schedule(&self, actor: &User) -> Result<Vec<Scheduled>> {
        self.permit(actor, Action::ReadDeployments, "retention.schedule", "all")
            .await?;
        let now = self.now();
        let p = self.retention_policy();
        let mut conn = self.pool.acquire().await?;
        let held = self.held(&mut conn).await?;
        let mut out = Vec::new();
        for r in sqlx::query("SELECT id, deployment, at_ms FROM alerts WHERE purged_ms IS NULL")
            .fetch_all(&mut *conn)
            .await?
        {
            let (id, d): (i64, i64) = (r.try_get(0)?, r.try_get(1)?);
            out.push(Scheduled {
                target: format!("A{id}"),
                what: "the alert's probe image and officers' notes",
                due: Some(policy::alert_personal_data_deadline(ts(r.try_get(2)?), &p)),
                held: held.alerts.contains(&id) || held.deployments.contains(&d),
            });
        }
        let deployments = crate::deployments::load_all(&mut conn).await?;
        for r in sqlx::query("SELECT id, deployment FROM watchlists WHERE purged_ms IS NULL")
            .fetch_all(&mut *conn)
            .await?
        {
            let (id, d): (i64, i64) = (r.try_get(0)?, r.try_get(1)?);
            let end = deployments
                .iter()
                .find(|x| x.id.0 == d)
                .and_then(|x| x.effective_end(now));
            out.push(Scheduled {
                target: format!("W{id}"),
                what: "the watchlist's names, justifications, images, templates and references",
                due: end.map(|e| policy::watchlist_data_deadline(e, &p)),
                held: held.deployments.contains(&d),
            });
        }
        for r in
            sqlx::query("SELECT id, deployment, ended_ms FROM footage WHERE deleted_ms IS NULL")
                .fetch_all(&mut *conn)
                .await?
        {
            let (id, d): (i64, i64) = (r.try_get(0)?, r.try_get(1)?);
            out.push(Scheduled {
                target: format!("F{id}"),
                what: "the recorded footage file",
                due: Some(policy::footage_deadline(ts(r.try_get(2)?), &p)),
                held: held.footage.contains(&id) || held.deployments.contains(&d),
            });
        }
        out.sort_by_key(|s| (s.due.is_none(), s.due));
        drop(conn);
        self.only_visible(actor, Action::ReadDeployments, out, |s| s.target.clone())
            .await
    }
}
