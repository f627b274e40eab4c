//! Blue Watchlist passes marked live: the operator starts a pass when a
//! volunteer sets off through the Zone of Recognition and ends it (or it ends
//! by itself at the end of its window). Whether the pass was recognised is
//! decided here, at the end, by the domain's rule over the alerts table
//! ([`lfr_domain::blue::recognising_alert`]); nobody types it in. Open passes
//! are rows, so a restart loses none: one that ran out while the server was
//! down is ended at its window's end by the next [`Store::end_due_blue_passes`].

use lfr_domain::alert::Alert;
use lfr_domain::audit::{AuditEvent, Outcome};
use lfr_domain::blue::{self, BluePass, DEFAULT_PASS_WINDOW, PassState};
use lfr_domain::ids::{AlertId, BluePassId, DeploymentId, InclusionId};
use lfr_domain::policy::{self, Action};
use lfr_domain::role::User;
use lfr_domain::{SignedDuration, Timestamp};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::db::{ms, next_id, ts};
use crate::gate::{Act, done, made};
use crate::{Result, Store, StoreError};

/// A volunteer a pass can be started for: the inclusion and its reference
/// (never the name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Volunteer {
    pub inclusion: InclusionId,
    pub reference: String,
}

fn open_row(r: &sqlx::any::AnyRow) -> Result<BluePass> {
    Ok(BluePass {
        id: BluePassId(r.try_get("id")?),
        deployment: DeploymentId(r.try_get("deployment")?),
        inclusion: InclusionId(r.try_get("inclusion")?),
        camera: r.try_get("camera")?,
        started_at: ts(r.try_get("started_ms")?),
        ends_by: ts(r.try_get("ends_by_ms")?),
        state: PassState::Open,
        ended_at: None,
        alert: None,
    })
}

/// An ended pass. Passes recorded before schema version 3 have no start:
/// they started and ended at the moment they were recorded.
fn ended_row(r: &sqlx::any::AnyRow) -> Result<BluePass> {
    let end = ts(r.try_get("at_ms")?);
    let started: Option<i64> = r.try_get("started_ms")?;
    let alert: Option<i64> = r.try_get("alert")?;
    Ok(BluePass {
        id: BluePassId(r.try_get("id")?),
        deployment: DeploymentId(r.try_get("deployment")?),
        inclusion: InclusionId(r.try_get("inclusion")?),
        camera: r.try_get("camera")?,
        started_at: started.map_or(end, ts),
        ends_by: end,
        state: if r.try_get::<i64, _>("alerted")? != 0 {
            PassState::Recognised
        } else {
            PassState::NotRecognised
        },
        ended_at: Some(end),
        alert: alert.map(AlertId),
    })
}

async fn load_open(conn: &mut AnyConnection, id: BluePassId) -> Result<Option<BluePass>> {
    sqlx::query("SELECT * FROM open_blue_passes WHERE id = $1")
        .bind(id.0)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(open_row)
        .transpose()
}

/// Any pass, open or ended.
pub(crate) async fn load(conn: &mut AnyConnection, id: BluePassId) -> Result<BluePass> {
    if let Some(p) = load_open(conn, id).await? {
        return Ok(p);
    }
    let r = sqlx::query("SELECT * FROM blue_passes WHERE id = $1")
        .bind(id.0)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!(
                "no Blue Watchlist pass BP{id}; GET /api/deployments/D/blue-passes lists them"
            ))
        })?;
    ended_row(&r)
}

/// The volunteer's alerts that could fall in the pass; the domain's rule decides.
async fn candidate_alerts(
    conn: &mut AnyConnection,
    p: &BluePass,
    end: Timestamp,
) -> Result<Vec<Alert>> {
    let rows = sqlx::query(
        "SELECT * FROM alerts WHERE deployment = $1 AND inclusion = $2 AND at_ms >= $3 AND at_ms <= $4 ORDER BY at_ms, id",
    )
    .bind(p.deployment.0)
    .bind(p.inclusion.0)
    .bind(ms(p.started_at))
    .bind(ms(end))
    .fetch_all(conn)
    .await?;
    rows.iter().map(crate::alerts::row_to_alert).collect()
}

/// The alert that recognises `p` if it ends at `end`.
async fn recognised_by(
    conn: &mut AnyConnection,
    p: &BluePass,
    end: Timestamp,
) -> Result<Option<AlertId>> {
    let d = crate::deployments::load(&mut *conn, p.deployment).await?;
    // No threshold without authority: then nothing is an alert.
    let threshold = d.threshold_in_force().unwrap_or(f64::INFINITY);
    let alerts = candidate_alerts(conn, p, end).await?;
    Ok(blue::recognising_alert(p, end, threshold, &alerts).map(|a| a.id))
}

/// Ends an open pass at `end`: decides it, moves it to `blue_passes`.
/// `None` when another caller ended it first.
async fn close(conn: &mut AnyConnection, p: &BluePass, end: Timestamp) -> Result<Option<BluePass>> {
    // Deleting first makes the end happen once, whoever races to it.
    let gone = sqlx::query("DELETE FROM open_blue_passes WHERE id = $1")
        .bind(p.id.0)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if gone == 0 {
        return Ok(None);
    }
    let alert = recognised_by(conn, p, end).await?;
    sqlx::query(
        "INSERT INTO blue_passes (id, deployment, inclusion, at_ms, alerted, started_ms, camera, alert)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(p.id.0)
    .bind(p.deployment.0)
    .bind(p.inclusion.0)
    .bind(ms(end))
    .bind(i64::from(alert.is_some()))
    .bind(ms(p.started_at))
    .bind(p.camera.clone())
    .bind(alert.map(|a| a.0))
    .execute(&mut *conn)
    .await?;
    Ok(Some(BluePass {
        state: if alert.is_some() {
            PassState::Recognised
        } else {
            PassState::NotRecognised
        },
        ended_at: Some(end),
        alert,
        ..p.clone()
    }))
}

fn end_detail(p: &BluePass, how: &str) -> String {
    match p.alert {
        Some(a) => format!("{how}: recognised by A{a}"),
        None => format!("{how}: not recognised"),
    }
}

impl Store {
    /// The volunteers of the deployment's Blue Watchlists, by reference.
    pub async fn blue_volunteers(&self, actor: &User, d: DeploymentId) -> Result<Vec<Volunteer>> {
        self.permit(
            actor,
            Action::ReadBluePasses,
            "blue_pass.list",
            &format!("D{d}"),
        )
        .await?;
        let rows = sqlx::query(
            "SELECT i.id, i.reference FROM inclusions i JOIN watchlists w ON i.watchlist = w.id
             WHERE w.deployment = $1 AND w.kind = 'blue' ORDER BY i.reference, i.id",
        )
        .bind(d.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Volunteer {
                    inclusion: InclusionId(r.try_get(0)?),
                    reference: r.try_get(1)?,
                })
            })
            .collect()
    }

    /// The deployment's passes, open ones first, then ended ones newest
    /// first. An open pass carries the alert seen so far, if any.
    pub async fn blue_passes(&self, actor: &User, d: DeploymentId) -> Result<Vec<BluePass>> {
        self.permit(
            actor,
            Action::ReadBluePasses,
            "blue_pass.list",
            &format!("D{d}"),
        )
        .await?;
        let now = self.now();
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(
            "SELECT * FROM open_blue_passes WHERE deployment = $1 ORDER BY started_ms, id",
        )
        .bind(d.0)
        .fetch_all(&mut *conn)
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            let mut p = open_row(r)?;
            p.alert = recognised_by(&mut conn, &p, p.end_at(now)).await?;
            out.push(p);
        }
        let rows = sqlx::query(
            "SELECT * FROM blue_passes WHERE deployment = $1 ORDER BY at_ms DESC, id DESC",
        )
        .bind(d.0)
        .fetch_all(&mut *conn)
        .await?;
        for r in &rows {
            out.push(ended_row(r)?);
        }
        Ok(out)
    }

    /// The operator marks a volunteer setting off through the Zone of
    /// Recognition, past `camera` if named. The pass ends by itself after
    /// `window` (default [`DEFAULT_PASS_WINDOW`]).
    pub async fn start_blue_pass(
        &self,
        actor: &User,
        d: DeploymentId,
        inclusion: InclusionId,
        camera: Option<&str>,
        window: Option<SignedDuration>,
    ) -> Result<BluePass> {
        let window = window.unwrap_or(DEFAULT_PASS_WINDOW);
        let camera = camera.map(str::trim).filter(|c| !c.is_empty());
        let act = Act::new(
            actor,
            Action::MarkBluePass,
            "blue_pass.start",
            format!("D{d}"),
        );
        self.act(act, async |tx, now| {
            let dep = crate::deployments::load(tx, d).await?;
            let on_blue = sqlx::query(
                "SELECT 1 FROM inclusions i JOIN watchlists w ON i.watchlist = w.id WHERE i.id = $1 AND w.deployment = $2 AND w.kind = 'blue'",
            )
            .bind(inclusion.0)
            .bind(d.0)
            .fetch_optional(&mut *tx)
            .await?;
            let open = sqlx::query("SELECT * FROM open_blue_passes WHERE inclusion = $1")
                .bind(inclusion.0)
                .fetch_optional(&mut *tx)
                .await?
                .as_ref()
                .map(open_row)
                .transpose()?;
            // A pass while recognition cannot run would count a miss the system never had a chance at.
            policy::recognition_requires_active_authorisation(&dep, now)?;
            blue::blue_pass_is_a_volunteer(on_blue.is_some(), inclusion, d)?;
            blue::blue_pass_window_is_bounded(window)?;
            blue::blue_pass_one_at_a_time(open.as_ref())?;
            let id = BluePassId(next_id(tx, "blue_passes").await?);
            let ends_by = now.checked_add(window).expect("time in range");
            sqlx::query(
                "INSERT INTO open_blue_passes (id, deployment, inclusion, camera, started_ms, ends_by_ms, started_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id.0)
            .bind(d.0)
            .bind(inclusion.0)
            .bind(camera.map(str::to_string))
            .bind(ms(now))
            .bind(ms(ends_by))
            .bind(actor.id.0)
            .execute(&mut *tx)
            .await?;
            let detail = format!(
                "D{d} I{inclusion} camera {} window {} s",
                camera.unwrap_or("any"),
                window.as_secs()
            );
            let pass = BluePass {
                id,
                deployment: d,
                inclusion,
                camera: camera.map(str::to_string),
                started_at: now,
                ends_by,
                state: PassState::Open,
                ended_at: None,
                alert: None,
            };
            made(pass, format!("BP{id}"), detail)
        })
        .await
    }

    /// The operator ends a pass: the volunteer is through the zone. It ends
    /// now, or at its window's end if that came first; recognised or not is
    /// decided from the alerts.
    pub async fn end_blue_pass(&self, actor: &User, id: BluePassId) -> Result<BluePass> {
        let act = Act::new(
            actor,
            Action::MarkBluePass,
            "blue_pass.end",
            format!("BP{id}"),
        );
        self.act(act, async |tx, now| {
            let p = load(tx, id).await?;
            blue::blue_pass_is_open(&p)?;
            let ended = close(tx, &p, p.end_at(now))
                .await?
                .ok_or_else(|| blue::blue_pass_ended_meanwhile(id))?;
            let detail = end_detail(&ended, "ended");
            done(ended, detail)
        })
        .await
    }

    /// The operator cancels a pass that did not happen (the volunteer did
    /// not walk through): it counts for nothing; the audit log keeps why.
    pub async fn cancel_blue_pass(
        &self,
        actor: &User,
        id: BluePassId,
        reason: &str,
    ) -> Result<BluePass> {
        let act = Act::new(
            actor,
            Action::MarkBluePass,
            "blue_pass.cancel",
            format!("BP{id}"),
        );
        self.act(act, async |tx, _| {
            let p = load(tx, id).await?;
            blue::blue_pass_is_open(&p)?;
            let gone = sqlx::query("DELETE FROM open_blue_passes WHERE id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if gone == 0 {
                return Err(blue::blue_pass_ended_meanwhile(id).into());
            }
            let reason = match reason.trim() {
                "" => "the volunteer did not walk through",
                r => r,
            };
            done(p, format!("cancelled: {reason}"))
        })
        .await
    }

    /// Ends every open pass whose window is over, at its window's end, as
    /// `system`. The server calls this every few seconds; the passes ended
    /// are returned so it can tell the dashboards.
    pub async fn end_due_blue_passes(&self) -> Result<Vec<BluePass>> {
        let now = self.now();
        let due: Vec<BluePass> =
            sqlx::query("SELECT * FROM open_blue_passes WHERE ends_by_ms <= $1 ORDER BY id")
                .bind(ms(now))
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(open_row)
                .collect::<Result<_>>()?;
        let mut ended = Vec::new();
        for p in due {
            let mut tx = self.begin().await?;
            let Some(done) = close(&mut tx, &p, p.ends_by).await? else {
                continue; // the operator ended it meanwhile
            };
            let ev = AuditEvent {
                at: now,
                actor: "system".into(),
                action: "blue_pass.end".into(),
                target: format!("BP{}", p.id),
                outcome: Outcome::Allowed,
                detail: end_detail(&done, "window over"),
            };
            self.audit(&mut tx, &ev).await?;
            tx.commit().await?;
            ended.push(done);
        }
        Ok(ended)
    }

    /// One pass, open or ended.
    pub async fn blue_pass(&self, actor: &User, id: BluePassId) -> Result<BluePass> {
        self.permit(
            actor,
            Action::ReadBluePasses,
            "blue_pass.list",
            &format!("BP{id}"),
        )
        .await?;
        let mut conn = self.pool.acquire().await?;
        load(&mut conn, id).await
    }
}
