//! Alerts, their adjudication, engagement and outcome, and the counts the
//! pipeline reports. Each write commits before the call returns: once a
//! caller has an alert id or a recorded decision, a crash cannot lose it.

use lfr_domain::alert::{
    Adjudication, Alert, AlertSource, Decision, EngagementOutcome, PolicingOutcome, Sighting,
};
use lfr_domain::ids::{AlertId, DeploymentId, ImageId, InclusionId, UserId};
use lfr_domain::policy::{self, Action};
use lfr_domain::role::User;
use lfr_domain::{Refusal, Timestamp};
use sqlx::{AnyConnection, Row};

use crate::Keyring;
use crate::db::{from_json, json, ms, next_id, opt_ts, ts};
use crate::gate::{Act, done, made};
use crate::sessions::RecognitionSession;
use crate::{Result, Store, StoreError};

/// What the recognition pipeline reports when a face scores at or above
/// the threshold; its deployment is the session's.
#[derive(Debug, Clone)]
pub struct NewAlert {
    pub candidate_image: ImageId,
    pub camera: String,
    pub score: f64,
    pub threshold: f64,
    pub recognition_ms: u32,
    /// The probe crop, as an encoded image (JPEG or PNG).
    pub probe: Vec<u8>,
}

pub(crate) fn row_to_alert(r: &sqlx::any::AnyRow) -> Result<Alert> {
    fn decision<T: serde::de::DeserializeOwned>(s: Option<String>) -> Result<Option<Decision<T>>> {
        s.map(|s| from_json(&s, "decision")).transpose()
    }
    Ok(Alert {
        id: AlertId(r.try_get("id")?),
        deployment: DeploymentId(r.try_get("deployment")?),
        inclusion: InclusionId(r.try_get("inclusion")?),
        candidate_image: ImageId(r.try_get("candidate_image")?),
        camera: r.try_get("camera")?,
        at: ts(r.try_get("at_ms")?),
        score: r.try_get("score")?,
        threshold: r.try_get("threshold")?,
        recognition_ms: r
            .try_get::<i64, _>("recognition_ms")?
            .clamp(0, u32::MAX as i64) as u32,
        adjudication: decision(r.try_get("adjudication")?)?,
        engagement: decision(r.try_get("engagement")?)?,
        policing_outcome: decision(r.try_get("policing_outcome")?)?,
        repeat_of: r.try_get::<Option<i64>, _>("repeat_of")?.map(AlertId),
        purged_at: opt_ts(r.try_get("purged_ms")?),
        source: match (
            r.try_get::<Option<i64>, _>("session")?,
            r.try_get::<Option<String>, _>("algorithm")?,
        ) {
            (Some(session), Some(algorithm)) => Some(AlertSource { session, algorithm }),
            _ => None,
        },
        sightings: vec![],
    })
}

/// The decisions that carry an officer's free-text note, by column: the note
/// may name people, so it is sealed under the deployment's key
/// (`<column>_note_enc`) and goes with the alert's personal data.
pub(crate) const NOTED: [&str; 3] = ["adjudication", "engagement", "policing_outcome"];

fn note_aad(id: AlertId, column: &str) -> String {
    format!("alert:{id}:{column}:note")
}

/// An alert as stored, its officers' notes opened under the deployment's key.
pub(crate) fn row_with_notes(keys: &Keyring, r: &sqlx::any::AnyRow) -> Result<Alert> {
    let mut a = row_to_alert(r)?;
    for column in NOTED {
        let sealed: Option<Vec<u8>> = r.try_get(format!("{column}_note_enc").as_str())?;
        let Some(sealed) = sealed else { continue };
        let key = match keys.data_key(a.deployment) {
            Ok(k) => k,
            // Shredded with the deployment's data: the note is gone, the alert stays.
            Err(StoreError::Shredded(_)) => continue,
            Err(e) => return Err(e),
        };
        let opened = key.open(&sealed, &note_aad(a.id, column))?;
        let note = String::from_utf8_lossy(&opened).into_owned();
        let slot = match column {
            "adjudication" => a.adjudication.as_mut().map(|d| &mut d.note),
            "engagement" => a.engagement.as_mut().map(|d| &mut d.note),
            _ => a.policing_outcome.as_mut().map(|d| &mut d.note),
        };
        if let Some(slot) = slot {
            *slot = note;
        }
    }
    Ok(a)
}

pub(crate) async fn load(conn: &mut AnyConnection, keys: &Keyring, id: AlertId) -> Result<Alert> {
    let r = sqlx::query("SELECT * FROM alerts WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!(
                "no alert A{id}; `lfr alert list DEPLOYMENT` shows them"
            ))
        })?;
    let mut a = [row_with_notes(keys, &r)?];
    attach_sightings(conn, &mut a).await?;
    let [a] = a;
    Ok(a)
}

/// Puts each alert's sightings under it, oldest first.
pub(crate) async fn attach_sightings(conn: &mut AnyConnection, alerts: &mut [Alert]) -> Result<()> {
    let (Some(lo), Some(hi)) = (
        alerts.iter().map(|a| a.id.0).min(),
        alerts.iter().map(|a| a.id.0).max(),
    ) else {
        return Ok(());
    };
    let rows = sqlx::query(
        "SELECT alert, camera, at_ms, score FROM alert_sightings WHERE alert >= $1 AND alert <= $2 ORDER BY at_ms",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(conn)
    .await?;
    let index: std::collections::HashMap<i64, usize> = alerts
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id.0, i))
        .collect();
    for r in rows {
        if let Some(&i) = index.get(&r.try_get::<i64, _>("alert")?) {
            alerts[i].sightings.push(Sighting {
                camera: r.try_get("camera")?,
                at: ts(r.try_get("at_ms")?),
                score: r.try_get("score")?,
            });
        }
    }
    Ok(())
}

async fn rows_for_deployment(
    conn: &mut AnyConnection,
    d: DeploymentId,
) -> Result<Vec<sqlx::any::AnyRow>> {
    Ok(
        sqlx::query("SELECT * FROM alerts WHERE deployment = $1 ORDER BY at_ms, id")
            .bind(d.0)
            .fetch_all(conn)
            .await?,
    )
}

/// A deployment's alerts for counting: decisions without their notes.
pub(crate) async fn load_for_deployment(
    conn: &mut AnyConnection,
    d: DeploymentId,
) -> Result<Vec<Alert>> {
    rows_for_deployment(conn, d)
        .await?
        .iter()
        .map(row_to_alert)
        .collect()
}

/// What became of a match reported by the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub enum Raised {
    /// A new alert, for the operator.
    New(Alert),
    /// The subject of a fresh alert seen by another camera: the alert, with
    /// this sighting recorded on it.
    SeenAgain(Alert),
}

impl Raised {
    pub fn is_new(&self) -> bool {
        matches!(self, Raised::New(_))
    }

    pub fn into_alert(self) -> Alert {
        match self {
            Raised::New(a) | Raised::SeenAgain(a) => a,
        }
    }
}

impl std::ops::Deref for Raised {
    type Target = Alert;

    fn deref(&self) -> &Alert {
        match self {
            Raised::New(a) | Raised::SeenAgain(a) => a,
        }
    }
}

/// The PostgreSQL advisory lock class under which raising an alert for one
/// subject waits for another node raising one for the same subject.
const SUBJECT_LOCK: i64 = 0x4c46_5201;

impl Store {
    /// The fresh alert whose encounter a match belongs to, with the match
    /// recorded on it as a sighting; `None` when the match is a new alert.
    async fn same_encounter(
        &self,
        tx: &mut AnyConnection,
        deployment: DeploymentId,
        inclusion: i64,
        a: &NewAlert,
        now: Timestamp,
        session: &RecognitionSession,
    ) -> Result<Option<Alert>> {
        if self.backend == crate::Backend::Postgres {
            // Two nodes seeing one subject at once take turns here, so the
            // second finds the first's alert. SQLite has one writer already.
            sqlx::query("SELECT pg_advisory_xact_lock(CAST($1 AS INTEGER), CAST($2 AS INTEGER))")
                .bind(SUBJECT_LOCK)
                .bind(inclusion % (1 << 31))
                .execute(&mut *tx)
                .await?;
        }
        let since = ms(now) - policy::SAME_ENCOUNTER.as_millis() as i64;
        let Some(r) = sqlx::query(
            "SELECT * FROM alerts WHERE deployment = $1 AND inclusion = $2 AND camera <> $3
             AND COALESCE(last_seen_ms, at_ms) >= $4
             AND (adjudication IS NULL OR adjudication NOT LIKE '%false_alert_no_engagement%')
             ORDER BY id DESC LIMIT 1",
        )
        .bind(deployment.0)
        .bind(inclusion)
        .bind(&a.camera)
        .bind(since)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(None);
        };
        let last_seen = ts(r
            .try_get::<Option<i64>, _>("last_seen_ms")?
            .unwrap_or(r.try_get("at_ms")?));
        let alert = row_to_alert(&r)?;
        if !policy::same_encounter(&alert, last_seen, &a.camera, now) {
            return Ok(None);
        }
        sqlx::query(
            "INSERT INTO alert_sightings (alert, camera, at_ms, score, session) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(alert.id.0)
        .bind(&a.camera)
        .bind(ms(now))
        .bind(a.score)
        .bind(session.id())
        .execute(&mut *tx)
        .await?;
        // Never back in time: nodes' clocks may differ by a little.
        sqlx::query(
            "UPDATE alerts SET last_seen_ms = $1 WHERE id = $2 AND COALESCE(last_seen_ms, at_ms) < $1",
        )
            .bind(ms(now))
            .bind(alert.id.0)
            .execute(&mut *tx)
            .await?;
        Ok(Some(load(tx, self.keys(), alert.id).await?))
    }

    /// Records an alert made by `session`. Refused unless recognition is
    /// authorised now, the deployment still uses the session's algorithm,
    /// the threshold is not below the authorised minimum, the score reaches
    /// the threshold, and the candidate is on this deployment's watchlist.
    /// The subject of a fresh alert seen by another camera is the same
    /// encounter ([`policy::same_encounter`]): recorded on that alert as a
    /// sighting, without a probe, and answered as [`Raised::SeenAgain`].
    pub async fn raise_alert(&self, session: &RecognitionSession, a: NewAlert) -> Result<Raised> {
        let actor = &self.current(session.actor()).await?;
        let deployment = session.deployment();
        let act = Act::new(
            actor,
            Action::RaiseAlert,
            "alert.raise",
            format!("D{deployment}"),
        );
        self.act(act, async |tx, now| {
            let d = crate::deployments::load(tx, deployment).await?;
            let candidate = sqlx::query(
                "SELECT i.id FROM reference_images r JOIN inclusions i ON r.inclusion = i.id JOIN watchlists w ON i.watchlist = w.id
                 WHERE r.id = $1 AND w.deployment = $2",
            )
            .bind(a.candidate_image.0)
            .bind(deployment.0)
            .fetch_optional(&mut *tx)
            .await?;
            policy::recognition_requires_active_authorisation(&d, now)?;
            // The deployment moved to another model since the session opened.
            policy::templates_match_the_deployment_algorithm(&d, session.algorithm())?;
            policy::threshold_not_below_authorised_minimum(a.threshold, policy::granted_authority(&d)?)?;
            policy::alert_at_or_above_threshold(a.score, a.threshold)?;
            let found =
                policy::alert_candidate_on_watchlist(candidate, a.candidate_image, deployment)?;
            let inclusion: i64 = found.try_get(0)?;
            if let Some(seen) = self.same_encounter(tx, deployment, inclusion, &a, now, session).await? {
                let detail = format!(
                    "D{deployment}: the subject of A{} seen again by camera {} score {:.3}, the same encounter: recorded on A{}, not raised again",
                    seen.id, a.camera, a.score, seen.id
                );
                let target = format!("A{}", seen.id);
                return made(Raised::SeenAgain(seen), target, detail);
            }
            let id = next_id(tx, "alerts").await?;
            let probe = self
                .keys()
                .data_key(deployment)?
                .seal(&a.probe, &format!("alert:{id}:probe"))?;
            sqlx::query(
                "INSERT INTO alerts (id, deployment, inclusion, candidate_image, camera, at_ms, score, threshold, recognition_ms, probe_enc, session, algorithm)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(id)
            .bind(deployment.0)
            .bind(inclusion)
            .bind(a.candidate_image.0)
            .bind(&a.camera)
            .bind(ms(now))
            .bind(a.score)
            .bind(a.threshold)
            .bind(i64::from(a.recognition_ms))
            .bind(probe)
            .bind(session.id())
            .bind(session.algorithm())
            .execute(&mut *tx)
            .await?;
            let detail = format!(
                "D{deployment} camera {} score {:.3} threshold {} session RS{}",
                a.camera,
                a.score,
                a.threshold,
                session.id()
            );
            let alert = Alert {
                id: AlertId(id),
                deployment,
                inclusion: InclusionId(inclusion),
                candidate_image: a.candidate_image,
                camera: a.camera,
                at: now,
                score: a.score,
                threshold: a.threshold,
                recognition_ms: a.recognition_ms,
                adjudication: None,
                engagement: None,
                policing_outcome: None,
                repeat_of: None,
                purged_at: None,
                source: Some(AlertSource {
                    session: session.id(),
                    algorithm: session.algorithm().to_string(),
                }),
                sightings: vec![],
            };
            made(Raised::New(alert), format!("A{id}"), detail)
        })
        .await
    }

    async fn decide<F>(
        &self,
        actor: &User,
        id: AlertId,
        kind: DecisionKind,
        note: &str,
        f: F,
    ) -> Result<Alert>
    where
        F: FnOnce(&mut Alert, Timestamp) -> Result<(String, String), Refusal>,
    {
        let DecisionKind {
            action,
            audit,
            column,
        } = kind;
        self.act(
            Act::new(actor, action, audit, format!("A{id}")),
            async |tx, now| {
                let mut a = load(tx, self.keys(), id).await?;
                policy::note_within_alert_retention(&a, note)?;
                // The decision's JSON, its note left out: the note is sealed beside it.
                let (value, detail) = f(&mut a, now)?;
                let sealed = self.seal_note(&a, column, note)?;
                // `column` is one of three fixed names chosen by this module.
                sqlx::query(&format!(
                    "UPDATE alerts SET {column} = $1, {column}_note_enc = $2 WHERE id = $3"
                ))
                .bind(value)
                .bind(sealed)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
                done(a, detail)
            },
        )
        .await
    }

    /// The operator's adjudication: false alert without engagement, or passed on.
    pub async fn adjudicate(
        &self,
        actor: &User,
        id: AlertId,
        value: Adjudication,
        note: &str,
    ) -> Result<Alert> {
        if value == Adjudication::Repeat {
            return Err(StoreError::Invalid(format!(
                "a repeat names the alert it repeats: `lfr alert repeat A{id} --of A<earlier>` (API: decision \"repeat\" with \"repeat_of\")"
            )));
        }
        let by = actor.id;
        self.decide(actor, id, ADJUDICATION, note, |a, now| {
            policy::adjudication_is_final(a)?;
            let (d, s) = decision(value, by, now, note);
            a.adjudication = Some(d);
            Ok((s, value.to_string()))
        })
        .await
    }

    /// An officer's note on `a`'s decision in `column`, sealed under the
    /// deployment's key to be stored beside it; `None` for no note.
    fn seal_note(&self, a: &Alert, column: &str, note: &str) -> Result<Option<Vec<u8>>> {
        if note.trim().is_empty() {
            return Ok(None);
        }
        Ok(Some(
            self.keys()
                .data_key(a.deployment)?
                .seal(note.as_bytes(), &note_aad(a.id, column))?,
        ))
    }

    /// The operator's adjudication that `id` is the same person as the
    /// earlier alert `of`, already dealt with: nobody is approached again,
    /// and the figures count it as `of` (rule `repeat_of_a_dealt_with_alert`).
    pub async fn mark_repeat(
        &self,
        actor: &User,
        id: AlertId,
        of: AlertId,
        note: &str,
    ) -> Result<Alert> {
        let by = actor.id;
        self.act(
            Act::new(actor, Action::Adjudicate, "alert.repeat", format!("A{id}")),
            async |tx, now| {
                let mut a = load(tx, self.keys(), id).await?;
                let original = load(tx, self.keys(), of).await?;
                policy::adjudication_is_final(&a)?;
                policy::repeat_of_a_dealt_with_alert(&a, &original)?;
                policy::note_within_alert_retention(&a, note)?;
                let (d, row) = decision(Adjudication::Repeat, by, now, note);
                let sealed = self.seal_note(&a, "adjudication", note)?;
                sqlx::query(
                    "UPDATE alerts SET adjudication = $1, adjudication_note_enc = $2, repeat_of = $3 WHERE id = $4",
                )
                .bind(row)
                .bind(sealed)
                .bind(of.0)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
                a.adjudication = Some(d);
                a.repeat_of = Some(of);
                done(a, format!("repeat of A{of}"))
            },
        )
        .await
    }

    /// The engagement officer's finding.
    pub async fn record_engagement(
        &self,
        actor: &User,
        id: AlertId,
        value: EngagementOutcome,
        note: &str,
    ) -> Result<Alert> {
        let by = actor.id;
        self.decide(actor, id, ENGAGEMENT, note, |a, now| {
            policy::engagement_follows_passed_alert(a)?;
            let (d, s) = decision(value, by, now, note);
            a.engagement = Some(d);
            Ok((s, value.to_string()))
        })
        .await
    }

    /// What policing action followed.
    pub async fn record_policing_outcome(
        &self,
        actor: &User,
        id: AlertId,
        value: PolicingOutcome,
        note: &str,
    ) -> Result<Alert> {
        let by = actor.id;
        self.decide(actor, id, POLICING_OUTCOME, note, |a, now| {
            policy::policing_outcome_follows_engagement(a)?;
            let (d, s) = decision(value, by, now, note);
            a.policing_outcome = Some(d);
            Ok((s, value.to_string()))
        })
        .await
    }

    pub async fn alert(&self, actor: &User, id: AlertId) -> Result<Alert> {
        self.permit(actor, Action::ViewAlerts, "alert.read", &format!("A{id}"))
            .await?;
        let mut conn = self.pool.acquire().await?;
        load(&mut conn, self.keys(), id).await
    }

    pub async fn alerts(&self, actor: &User, d: DeploymentId) -> Result<Vec<Alert>> {
        self.permit(actor, Action::ViewAlerts, "alert.list", &format!("D{d}"))
            .await?;
        let mut conn = self.pool.acquire().await?;
        let mut alerts = rows_for_deployment(&mut conn, d)
            .await?
            .iter()
            .map(|r| row_with_notes(self.keys(), r))
            .collect::<Result<Vec<_>>>()?;
        attach_sightings(&mut conn, &mut alerts).await?;
        Ok(alerts)
    }

    /// The probe image of an alert (until retention deletes it). Audited.
    pub async fn probe_image(&self, actor: &User, id: AlertId) -> Result<Vec<u8>> {
        let act = Act::new(actor, Action::ViewAlerts, "alert.probe", format!("A{id}"));
        self.act(act, async |tx, _| {
            let r = sqlx::query("SELECT deployment, probe_enc FROM alerts WHERE id = $1")
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("no alert A{id}")))?;
            let d = DeploymentId(r.try_get(0)?);
            let sealed: Option<Vec<u8>> = r.try_get(1)?;
            let sealed = sealed.ok_or_else(|| {
                StoreError::NotFound(format!("the probe image of A{id} was deleted by retention"))
            })?;
            let bytes = self
                .keys()
                .data_key(d)?
                .open(&sealed, &format!("alert:{id}:probe"))?
                .to_vec();
            done(bytes, "probe image viewed")
        })
        .await
    }

    /// Adds to a camera's counts of faces scanned and frames dropped (and,
    /// where a footfall counter is fitted, people passing).
    pub async fn record_counts(
        &self,
        session: &RecognitionSession,
        camera: &str,
        faces_scanned: u64,
        dropped_frames: u64,
        people_passing: Option<u64>,
    ) -> Result<()> {
        let (actor, d) = (&self.current(session.actor()).await?, session.deployment());
        let act = Act::new(
            actor,
            Action::RecordCounts,
            "counts.record",
            format!("D{d}"),
        );
        self.act(act, async |tx, now| {
            crate::deployments::load(tx, d).await?;
            let id = next_id(tx, "scan_counts").await?;
            sqlx::query("INSERT INTO scan_counts (id, deployment, camera, at_ms, faces_scanned, dropped_frames, people_passing, session) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(id)
                .bind(d.0)
                .bind(camera)
                .bind(ms(now))
                .bind(faces_scanned as i64)
                .bind(dropped_frames as i64)
                .bind(people_passing.map(|p| p as i64))
                .bind(session.id())
                .execute(&mut *tx)
                .await?;
            done(
                (),
                format!(
                    "camera {camera}: {faces_scanned} faces, {dropped_frames} dropped frames; session RS{}",
                    session.id()
                ),
            )
        })
        .await
    }
}

/// Which of an alert's decisions a step records: the action that may, the
/// audit log's name for it, and the column it is kept in.
#[derive(Clone, Copy)]
struct DecisionKind {
    action: Action,
    audit: &'static str,
    column: &'static str,
}

const ADJUDICATION: DecisionKind = DecisionKind {
    action: Action::Adjudicate,
    audit: "alert.adjudicate",
    column: "adjudication",
};
const ENGAGEMENT: DecisionKind = DecisionKind {
    action: Action::RecordEngagement,
    audit: "alert.engagement",
    column: "engagement",
};
const POLICING_OUTCOME: DecisionKind = DecisionKind {
    action: Action::RecordEngagement,
    audit: "alert.outcome",
    column: "policing_outcome",
};

/// A decision and the JSON its column holds: the note is left out there,
/// because it is sealed apart under the deployment's key
/// ([`Store::seal_note`]).
fn decision<T: Clone + serde::Serialize>(
    value: T,
    by: UserId,
    at: Timestamp,
    note: &str,
) -> (Decision<T>, String) {
    let d = Decision {
        value,
        by,
        at,
        note: note.into(),
    };
    let row = json(&Decision {
        note: String::new(),
        ..d.clone()
    });
    (d, row)
}
