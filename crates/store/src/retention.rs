//! Retention on the clock: what is past its time is deleted, unless a
//! legal hold with a recorded reason keeps it. Statistics (alert classes,
//! counts, categories) survive; personal and biometric data do not. When
//! nothing of a deployment is left to keep, its data key is destroyed, so
//! copies in backups become unreadable too.
//!
//! [`Store::run_retention`] is the manual run (`lfr retention run`);
//! [`Store::retention_loop`] is what the server runs on a timer.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;

use lfr_base::SignedDuration;
use lfr_domain::Timestamp;
use lfr_domain::audit::{AuditEvent, Outcome};
use lfr_domain::ids::{DeploymentId, FootageId, HoldId, UserId};
use lfr_domain::policy::{self, Action};
use lfr_domain::retention::{HoldReason, HoldTarget, LegalHold, PurgeSummary};
use lfr_domain::role::User;
use sqlx::Row;

use crate::db::{ms, next_id, opt_ts, parse, ts};
use crate::gate::{Act, done, made};
use crate::{Result, Store, StoreError};

/// A recorded footage segment on disk.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Footage {
    pub id: FootageId,
    pub deployment: DeploymentId,
    pub camera: String,
    pub path: String,
    pub started_at: Timestamp,
    pub ended_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
}

fn row_to_hold(r: &sqlx::any::AnyRow) -> Result<LegalHold> {
    let kind: String = r.try_get("target_kind")?;
    let tid: i64 = r.try_get("target_id")?;
    let target = format!("{}{tid}", kind)
        .parse::<HoldTarget>()
        .map_err(StoreError::Invalid)?;
    Ok(LegalHold {
        id: HoldId(r.try_get("id")?),
        target,
        reason: parse::<HoldReason>(&r.try_get::<String, _>("reason")?)?,
        note: r.try_get("note")?,
        placed_by: UserId(r.try_get("placed_by")?),
        placed_at: ts(r.try_get("placed_ms")?),
        released_at: opt_ts(r.try_get("released_ms")?),
    })
}

fn target_parts(t: HoldTarget) -> (&'static str, i64) {
    match t {
        HoldTarget::Alert(a) => ("A", a.0),
        HoldTarget::Footage(f) => ("F", f.0),
        HoldTarget::Deployment(d) => ("D", d.0),
    }
}

/// Active holds, by what they keep.
#[derive(Default)]
pub(crate) struct Held {
    pub alerts: HashSet<i64>,
    pub footage: HashSet<i64>,
    pub deployments: HashSet<i64>,
}

impl Store {
    /// Places a legal hold with its recorded reason.
    pub async fn place_hold(
        &self,
        actor: &User,
        target: HoldTarget,
        reason: HoldReason,
        note: &str,
    ) -> Result<LegalHold> {
        let t = target.to_string();
        let (kind, id) = target_parts(target);
        let table = match kind {
            "A" => "alerts",
            "F" => "footage",
            _ => "deployments",
        };
        let act = Act::new(actor, Action::PlaceLegalHold, "hold.place", &t);
        self.act(act, async |tx, now| {
            policy::legal_hold_has_a_reason(note)?;
            let exists = sqlx::query(&format!("SELECT 1 FROM {table} WHERE id = $1"))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound(format!("{t} does not exist")).into());
            }
            let hid = next_id(tx, "legal_holds").await?;
            sqlx::query("INSERT INTO legal_holds (id, target_kind, target_id, reason, note, placed_by, placed_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(hid)
                .bind(kind)
                .bind(id)
                .bind(reason.as_str())
                .bind(note)
                .bind(actor.id.0)
                .bind(ms(now))
                .execute(&mut *tx)
                .await?;
            let hold = LegalHold {
                id: HoldId(hid),
                target,
                reason,
                note: note.into(),
                placed_by: actor.id,
                placed_at: now,
                released_at: None,
            };
            done(hold, format!("H{hid} {reason}: {note}"))
        })
        .await
    }

    /// Releases a hold; the data it kept is then deleted by the next run.
    pub async fn release_hold(&self, actor: &User, id: HoldId, note: &str) -> Result<()> {
        let act = Act::new(
            actor,
            Action::PlaceLegalHold,
            "hold.release",
            format!("H{id}"),
        );
        self.act(act, async |tx, now| {
            let n = sqlx::query("UPDATE legal_holds SET released_by = $1, released_ms = $2 WHERE id = $3 AND released_ms IS NULL")
                .bind(actor.id.0)
                .bind(ms(now))
                .bind(id.0)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound(format!(
                    "no active hold H{id}; `lfr retention holds` lists them"
                ))
                .into());
            }
            done((), note)
        })
        .await
    }

    pub async fn holds(&self, actor: &User) -> Result<Vec<LegalHold>> {
        self.permit(actor, Action::ReadDeployments, "hold.list", "legal_holds")
            .await?;
        let rows = sqlx::query("SELECT * FROM legal_holds ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        let all = rows.iter().map(row_to_hold).collect::<Result<Vec<_>>>()?;
        self.only_visible(actor, Action::ReadDeployments, all, |h| {
            format!("H{}", h.id)
        })
        .await
    }

    /// `path` if it names a file inside the footage folder, else why not.
    pub(crate) fn confined_footage(
        &self,
        path: &str,
    ) -> std::result::Result<std::path::PathBuf, String> {
        let Some(dir) = &self.footage_dir else {
            return Err("no footage folder is configured (--footage-dir, LFR_FOOTAGE_DIR)".into());
        };
        let dir = dir
            .canonicalize()
            .map_err(|e| format!("the footage folder {} cannot be read: {e}", dir.display()))?;
        let file = std::path::Path::new(path)
            .canonicalize()
            .map_err(|e| format!("{path}: {e}"))?;
        if file.starts_with(&dir) && file.is_file() {
            Ok(file)
        } else {
            Err(format!(
                "{path} is not a file inside the footage folder {}; lfr registers and deletes recordings there only",
                dir.display()
            ))
        }
    }

    /// Registers a footage segment written by the recording pipeline, so that
    /// retention deletes it on time.
    pub async fn register_footage(
        &self,
        actor: &User,
        d: DeploymentId,
        camera: &str,
        path: &str,
        started: Timestamp,
        ended: Timestamp,
    ) -> Result<FootageId> {
        let act = Act::new(
            actor,
            Action::RecordCounts,
            "footage.register",
            format!("D{d}"),
        );
        self.act(act, async |tx, now| {
            let path = self.confined_footage(path).map_err(StoreError::Invalid)?;
            let path = path.to_str().ok_or_else(|| {
                StoreError::Invalid("the recording's path is not valid UTF-8; rename the file".into())
            })?;
            // A recording is registered as it is written: one already past its
            // retention would be deleted at once, which is no registration.
            let oldest = now
                .checked_sub(self.retention.footage)
                .expect("time in range");
            // Its start too: a registration spanning weeks would keep its
            // first weeks past their time.
            let latest = now
                .checked_add(lfr_base::SignedDuration::from_mins(5))
                .expect("time in range");
            if ended < started || started <= oldest || ended > latest {
                return Err(StoreError::Invalid(format!(
                    "a recording from {started} to {ended} cannot be registered at {now}: give the times it was recorded, within the last {} days",
                    self.retention.footage.as_hours() / 24
                ))
                .into());
            }
            crate::deployments::load(tx, d).await?;
            let id = next_id(tx, "footage").await?;
            sqlx::query("INSERT INTO footage (id, deployment, camera, path, started_ms, ended_ms) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(id)
                .bind(d.0)
                .bind(camera)
                .bind(path)
                .bind(ms(started))
                .bind(ms(ended))
                .execute(&mut *tx)
                .await?;
            made(FootageId(id), format!("F{id}"), format!("camera {camera}"))
        })
        .await
    }

    pub async fn footage(&self, actor: &User, d: DeploymentId) -> Result<Vec<Footage>> {
        self.permit(
            actor,
            Action::ReadDeployments,
            "footage.list",
            &format!("D{d}"),
        )
        .await?;
        let rows = sqlx::query("SELECT * FROM footage WHERE deployment = $1 ORDER BY id")
            .bind(d.0)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Footage {
                    id: FootageId(r.try_get("id")?),
                    deployment: d,
                    camera: r.try_get("camera")?,
                    path: r.try_get("path")?,
                    started_at: ts(r.try_get("started_ms")?),
                    ended_at: ts(r.try_get("ended_ms")?),
                    deleted_at: opt_ts(r.try_get("deleted_ms")?),
                })
            })
            .collect()
    }

    /// A manual retention run by a user allowed to run it.
    pub async fn run_retention(&self, actor: &User) -> Result<PurgeSummary> {
        self.permit(actor, Action::RunRetention, "retention.run", "all")
            .await?;
        Ok(self
            .purge(&actor.username, None)
            .await?
            .expect("a run not asked to skip"))
    }

    /// The automatic run, acting as `system`.
    pub async fn run_retention_automatically(&self) -> Result<PurgeSummary> {
        Ok(self
            .purge("system", None)
            .await?
            .expect("a run not asked to skip"))
    }

    /// The automatic run, unless any process sharing the database ran
    /// retention within the last nine tenths of `every` (`None` then): with
    /// several nodes on one database, retention runs once per `every`, not
    /// once per node, and never two at a time.
    pub async fn run_retention_if_due(
        &self,
        every: std::time::Duration,
    ) -> Result<Option<PurgeSummary>> {
        let every = SignedDuration::try_from(every.mul_f64(0.9))
            .map_err(|e| StoreError::Invalid(format!("retention interval: {e}")))?;
        self.purge("system", Some(every)).await
    }

    /// Runs retention every `every` until `shutdown` completes. The server
    /// spawns this; failures are logged into the audit trail by the next
    /// successful run's absence and returned here for the caller to log.
    pub async fn retention_loop<F>(
        self: Arc<Self>,
        every: std::time::Duration,
        shutdown: F,
        mut on_run: impl FnMut(Result<Option<PurgeSummary>>),
    ) where
        F: Future<Output = ()>,
    {
        let mut tick = tokio::time::interval(every);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tick.tick() => on_run(self.run_retention_if_due(every).await),
            }
        }
    }

    pub(crate) async fn held(&self, conn: &mut sqlx::AnyConnection) -> Result<Held> {
        let mut h = Held::default();
        for r in
            sqlx::query("SELECT target_kind, target_id FROM legal_holds WHERE released_ms IS NULL")
                .fetch_all(conn)
                .await?
        {
            let k: String = r.try_get(0)?;
            let id: i64 = r.try_get(1)?;
            match k.as_str() {
                "A" => h.alerts.insert(id),
                "F" => h.footage.insert(id),
                _ => h.deployments.insert(id),
            };
        }
        Ok(h)
    }

    /// One run, in one transaction; `None` when `skip_within` is given and
    /// a run that recent is recorded.
    async fn purge(
        &self,
        actor: &str,
        skip_within: Option<SignedDuration>,
    ) -> Result<Option<PurgeSummary>> {
        let now = self.now();
        let p = self.retention;
        let mut s = PurgeSummary::default();
        let mut tx = self.begin().await?;
        if self.backend == crate::Backend::Postgres {
            // Runs on several nodes wait for one another (released at the end
            // of the transaction). SQLite's single writer already does that.
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(RETENTION_LOCK)
                .execute(&mut *tx)
                .await?;
        }
        let last = sqlx::query("SELECT at_ms FROM retention_runs WHERE id = 1")
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get::<i64, _>(0))
            .transpose()?;
        if let (Some(within), Some(last)) = (skip_within, last)
            && ms(now) - last < within.as_millis() as i64
        {
            return Ok(None);
        }
        let held = self.held(&mut tx).await?;
        let deployments = crate::deployments::load_all(&mut tx).await?;

        // Alerts: personal data within 24 hours of the alert.
        let cutoff = now
            .checked_sub(p.alert_personal_data)
            .expect("time in range");
        let rows = sqlx::query("SELECT id, deployment, adjudication, engagement, policing_outcome FROM alerts WHERE purged_ms IS NULL AND at_ms <= $1")
            .bind(ms(cutoff))
            .fetch_all(&mut *tx)
            .await?;
        for r in rows {
            let (id, d): (i64, i64) = (r.try_get(0)?, r.try_get(1)?);
            if held.alerts.contains(&id) || held.deployments.contains(&d) {
                s.held += 1;
                continue;
            }
            // Officers' free-text notes may name people: they go too (sealed ones,
            // and any written before notes were sealed); the decisions stay.
            let blank = |col: usize| -> Result<Option<String>> {
                let v: Option<String> = r.try_get(col)?;
                Ok(v.map(|j| {
                    let mut v: serde_json::Value = serde_json::from_str(&j).unwrap_or_default();
                    if let Some(o) = v.as_object_mut() {
                        o.insert("note".into(), serde_json::Value::String(String::new()));
                    }
                    v.to_string()
                }))
            };
            sqlx::query("UPDATE alerts SET probe_enc = NULL, purged_ms = $1, adjudication = $2, engagement = $3, policing_outcome = $4,
                         adjudication_note_enc = NULL, engagement_note_enc = NULL, policing_outcome_note_enc = NULL WHERE id = $5")
                .bind(ms(now))
                .bind(blank(2)?)
                .bind(blank(3)?)
                .bind(blank(4)?)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            s.alerts_purged += 1;
        }

        // Watchlists: within 24 hours of the deployment's end.
        for d in &deployments {
            let Some(end) = d.effective_end(now) else {
                continue;
            };
            if now < policy::watchlist_data_deadline(end, &p) {
                continue;
            }
            let wls = sqlx::query(
                "SELECT id FROM watchlists WHERE deployment = $1 AND purged_ms IS NULL",
            )
            .bind(d.id.0)
            .fetch_all(&mut *tx)
            .await?;
            if wls.is_empty() {
                continue;
            }
            if held.deployments.contains(&d.id.0) {
                s.held += wls.len() as u64;
                continue;
            }
            for w in wls {
                let wid: i64 = w.try_get(0)?;
                s.images_deleted += sqlx::query(
                    "UPDATE reference_images SET image_enc = NULL, template_enc = NULL
                     WHERE image_enc IS NOT NULL AND inclusion IN (SELECT id FROM inclusions WHERE watchlist = $1)",
                )
                .bind(wid)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                // What could still point at the person: the image's file name and
                // consent record, and the inclusion's reference (a custody or case
                // number), which becomes the inclusion's own id. Category and age
                // band stay for the figures.
                sqlx::query(
                    "UPDATE reference_images SET file_name = '', consent = NULL
                     WHERE inclusion IN (SELECT id FROM inclusions WHERE watchlist = $1)",
                )
                .bind(wid)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE inclusions SET details_enc = NULL, reference = 'I' || CAST(id AS TEXT) WHERE watchlist = $1",
                )
                .bind(wid)
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE watchlists SET purged_ms = $1 WHERE id = $2")
                    .bind(ms(now))
                    .bind(wid)
                    .execute(&mut *tx)
                    .await?;
                s.watchlists_purged += 1;
            }
        }

        // Footage: within 31 days of recording.
        let cutoff = now.checked_sub(p.footage).expect("time in range");
        let rows = sqlx::query(
            "SELECT id, deployment, path FROM footage WHERE deleted_ms IS NULL AND ended_ms <= $1",
        )
        .bind(ms(cutoff))
        .fetch_all(&mut *tx)
        .await?;
        for r in rows {
            let (id, d, path): (i64, i64, String) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
            if held.footage.contains(&id) || held.deployments.contains(&d) {
                s.held += 1;
                continue;
            }
            let gone = !std::path::Path::new(&path).exists();
            let deleted = match self.confined_footage(&path) {
                _ if gone => Ok(()),
                Ok(file) => std::fs::remove_file(file).map_err(|e| e.to_string()),
                Err(why) => Err(why),
            };
            if let Err(why) = deleted {
                // One file must not keep everything else past its time.
                s.footage_failed.push(format!(
                    "F{id} at {path}: {why}; fix it and run retention again"
                ));
                continue;
            }
            sqlx::query("UPDATE footage SET deleted_ms = $1 WHERE id = $2")
                .bind(ms(now))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            s.footage_deleted += 1;
        }

        // Keys: shred when nothing of the deployment remains to be kept.
        let mut to_shred = Vec::new();
        for d in &deployments {
            if d.effective_end(now).is_none()
                || held.deployments.contains(&d.id.0)
                || !self.keys().has(d.id)
            {
                continue;
            }
            let left: i64 = sqlx::query(
                "SELECT (SELECT COUNT(*) FROM alerts WHERE deployment = $1 AND purged_ms IS NULL)
                      + (SELECT COUNT(*) FROM watchlists WHERE deployment = $1 AND purged_ms IS NULL)
                      + (SELECT COUNT(*) FROM footage WHERE deployment = $1 AND deleted_ms IS NULL)",
            )
            .bind(d.id.0)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
            if left == 0 {
                to_shred.push(d.id);
            }
        }
        for d in &to_shred {
            sqlx::query("UPDATE deployments SET key_shredded_ms = $1 WHERE id = $2")
                .bind(ms(now))
                .bind(d.0)
                .execute(&mut *tx)
                .await?;
        }
        s.keys_shredded = to_shred.len() as u64;
        let ev = AuditEvent {
            at: now,
            actor: actor.into(),
            action: "retention.run".into(),
            target: "all".into(),
            outcome: Outcome::Allowed,
            detail: serde_json::to_string(&s).expect("serialises"),
        };
        self.audit(&mut tx, &ev).await?;
        sqlx::query(
            "INSERT INTO retention_runs (id, at_ms) VALUES (1, $1)
             ON CONFLICT (id) DO UPDATE SET at_ms = excluded.at_ms",
        )
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        // After the commit: a crash here leaves a key that the next run shreds.
        for d in to_shred {
            self.keys().shred(d)?;
        }
        self.flush_deleted().await?;
        Ok(Some(s))
    }
}

/// Which PostgreSQL advisory lock serialises retention runs.
pub const RETENTION_LOCK: i64 = 0x6c66_725f_7265_7465; // "lfr_rete"
