//! Watchlists: compiled for one deployment, imported whole, approved by an
//! AO as they stand, released to recognition only while the deployment runs.

use lfr_domain::ids::{DeploymentId, InclusionId, WatchlistId};
use lfr_domain::policy::{self, Action};
use lfr_domain::role::User;
use lfr_domain::watchlist::{Approval, Inclusion, Watchlist, WatchlistKind};
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

use crate::db::{from_json, json, ms, next_id, opt_ts, parse, ts};
use crate::gate::{Act, done, made};
use crate::import::PreparedEntry;
use crate::{Result, Store, StoreError};

/// The sealed part of an inclusion.
/// What an import into a watchlist must fit ([`Store::import_target`]).
#[derive(Debug, Clone)]
pub struct ImportTarget {
    pub watchlist: Watchlist,
    /// The recognition model its templates are made with.
    pub model: String,
    /// References already on the watchlist: each may be imported once.
    pub references: std::collections::BTreeSet<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Details {
    name: String,
    justification: String,
    source: String,
}

/// An inclusion as shown to people allowed to see it.
#[derive(Debug, Clone, Serialize)]
pub struct InclusionView {
    pub inclusion: Inclusion,
    pub reference: String,
    /// `None` when the viewer's role does not show names, or after purge.
    pub name: Option<String>,
    pub images: u64,
    pub grades: Vec<String>,
}

fn row_to_watchlist(r: &sqlx::any::AnyRow) -> Result<Watchlist> {
    let approval: Option<String> = r.try_get("approval")?;
    Ok(Watchlist {
        id: WatchlistId(r.try_get("id")?),
        deployment: DeploymentId(r.try_get("deployment")?),
        kind: parse(&r.try_get::<String, _>("kind")?)?,
        name: r.try_get("name")?,
        revision: r.try_get("revision")?,
        approval: approval
            .map(|a| from_json::<Approval>(&a, "approval"))
            .transpose()?,
        created_at: ts(r.try_get("created_ms")?),
        purged_at: opt_ts(r.try_get("purged_ms")?),
    })
}

pub(crate) async fn load_for_deployment(
    conn: &mut AnyConnection,
    d: DeploymentId,
) -> Result<Vec<Watchlist>> {
    let rows = sqlx::query("SELECT * FROM watchlists WHERE deployment = $1 ORDER BY id")
        .bind(d.0)
        .fetch_all(conn)
        .await?;
    rows.iter().map(row_to_watchlist).collect()
}

pub(crate) async fn load(conn: &mut AnyConnection, id: WatchlistId) -> Result<Watchlist> {
    let r = sqlx::query("SELECT * FROM watchlists WHERE id = $1")
        .bind(id.0)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!(
                "no watchlist W{id}; `lfr watchlist list` shows them"
            ))
        })?;
    row_to_watchlist(&r)
}

async fn bump_revision(conn: &mut AnyConnection, id: WatchlistId) -> Result<()> {
    sqlx::query("UPDATE watchlists SET revision = revision + 1 WHERE id = $1")
        .bind(id.0)
        .execute(conn)
        .await?;
    Ok(())
}

impl Store {
    /// Creates an empty watchlist bound to a deployment.
    pub async fn create_watchlist(
        &self,
        actor: &User,
        d: DeploymentId,
        kind: WatchlistKind,
        name: &str,
    ) -> Result<Watchlist> {
        let act = Act::new(
            actor,
            Action::CompileWatchlist,
            "watchlist.create",
            format!("D{d}"),
        );
        self.act(act, async |tx, now| {
            let dep = crate::deployments::load(tx, d).await?;
            policy::deployment_open_for_watchlists(&dep)?;
            let id = WatchlistId(next_id(tx, "watchlists").await?);
            sqlx::query("INSERT INTO watchlists (id, deployment, kind, name, revision, created_ms) VALUES ($1, $2, $3, $4, 1, $5)")
                .bind(id.0)
                .bind(d.0)
                .bind(kind.as_str())
                .bind(name)
                .bind(ms(now))
                .execute(&mut *tx)
                .await?;
            let w = Watchlist {
                id,
                deployment: d,
                kind,
                name: name.into(),
                revision: 1,
                approval: None,
                created_at: now,
                purged_at: None,
            };
            made(w, format!("W{id}"), format!("{kind} watchlist `{name}` for D{d}"))
        })
        .await
    }

    /// Refuses unless `actor` may import into `id` now (role, team, and the
    /// watchlist still open for changes); says what an import must fit:
    /// the model its templates are made with and the references already
    /// on the watchlist. Lets a server refuse before it reads an upload;
    /// [`Store::commit_import`] checks it all again when it writes.
    pub async fn import_target(&self, actor: &User, id: WatchlistId) -> Result<ImportTarget> {
        self.permit(
            actor,
            Action::CompileWatchlist,
            "watchlist.import",
            &format!("W{id}"),
        )
        .await?;
        let (w, d, references) = {
            let mut conn = self.pool.acquire().await?;
            let w = load(&mut conn, id).await?;
            let d = crate::deployments::load(&mut conn, w.deployment).await?;
            let references = sqlx::query("SELECT reference FROM inclusions WHERE watchlist = $1")
                .bind(id.0)
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|r| r.try_get::<String, _>(0))
                .collect::<std::result::Result<_, _>>()?;
            (w, d, references)
        };
        match policy::watchlist_open_for_changes(&w, &d) {
            Ok(()) => Ok(ImportTarget {
                watchlist: w,
                model: d.recognition.model,
                references,
            }),
            Err(r) => Err(self
                .refused(actor, "watchlist.import", &format!("W{id}"), r)
                .await),
        }
    }

    /// Writes a prepared import in one transaction: all of it or none.
    /// Any earlier approval no longer covers the changed watchlist.
    pub async fn commit_import(
        &self,
        actor: &User,
        id: WatchlistId,
        entries: &[PreparedEntry],
    ) -> Result<usize> {
        let act = Act::new(
            actor,
            Action::CompileWatchlist,
            "watchlist.import",
            format!("W{id}"),
        );
        self.act(act, async |tx, now| {
            let w = load(tx, id).await?;
            let d = crate::deployments::load(tx, w.deployment).await?;
            policy::watchlist_open_for_changes(&w, &d)?;
            for e in entries {
                policy::category_fits_watchlist(w.kind, e.entry.category)?;
                policy::inclusion_is_justified(&e.entry.justification, &e.entry.source)?;
                policy::inclusion_has_a_reference_image(&e.entry.reference, e.images.len())?;
                for i in &e.images {
                    policy::blue_watchlist_images_need_consent(w.kind, i.consent.as_ref())?;
                    policy::reference_image_is_usable(i.grade, &i.reasons)?;
                    policy::templates_match_the_deployment_algorithm(&d, &i.template.algorithm)?;
                }
            }
            let key = self.keys().data_key(w.deployment)?;
            let now = ms(now);
            for e in entries {
                let inc = next_id(tx, "inclusions").await?;
                let details = Details {
                    name: e.entry.name.clone(),
                    justification: e.entry.justification.clone(),
                    source: e.entry.source.clone(),
                };
                let sealed = key.seal(
                    json(&details).as_bytes(),
                    &format!("inclusion:{inc}:details"),
                )?;
                sqlx::query(
                    "INSERT INTO inclusions (id, watchlist, reference, category, under_18, details_enc, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(inc)
                .bind(id.0)
                .bind(&e.entry.reference)
                .bind(e.entry.category.as_str())
                .bind(i64::from(e.entry.under_18))
                .bind(sealed)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|err| match err {
                    sqlx::Error::Database(ref db) if db.message().to_ascii_lowercase().contains("unique") => {
                        StoreError::Invalid(format!("ref {} is already on W{id}; nothing was imported", e.entry.reference))
                    }
                    other => StoreError::Db(other),
                })?;
                for i in &e.images {
                    let img = next_id(tx, "reference_images").await?;
                    sqlx::query(
                        "INSERT INTO reference_images (id, inclusion, file_name, grade, grade_reasons, consent, algorithm, image_enc, template_enc)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(img)
                    .bind(inc)
                    .bind(&i.file)
                    .bind(i.grade.as_str())
                    .bind(json(&i.reasons))
                    .bind(i.consent.as_ref().map(json))
                    .bind(&i.template.algorithm)
                    .bind(key.seal(&i.bytes, &format!("image:{img}:image"))?)
                    .bind(key.seal(&i.template.to_bytes(), &format!("image:{img}:template"))?)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            bump_revision(tx, id).await?;
            let images: usize = entries.iter().map(|e| e.images.len()).sum();
            done(entries.len(), format!("{} inclusions, {images} images", entries.len()))
        })
        .await
    }

    /// An Authorising Officer approves the watchlist as it now stands.
    pub async fn approve_watchlist(
        &self,
        actor: &User,
        id: WatchlistId,
        note: &str,
    ) -> Result<Watchlist> {
        let act = Act::new(
            actor,
            Action::ApproveWatchlist,
            "watchlist.approve",
            format!("W{id}"),
        );
        self.act(act, async |tx, now| {
            let mut w = load(tx, id).await?;
            let d = crate::deployments::load(tx, w.deployment).await?;
            let size: i64 = sqlx::query("SELECT COUNT(*) FROM inclusions WHERE watchlist = $1")
                .bind(id.0)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            policy::authorising_officer_is_superintendent_or_above(actor)?;
            policy::watchlist_open_for_changes(&w, &d)?;
            policy::watchlist_has_inclusions(&w, size as usize)?;
            let approval = Approval {
                by: actor.id,
                at: now,
                revision: w.revision,
                note: note.into(),
            };
            sqlx::query("UPDATE watchlists SET approval = $1 WHERE id = $2")
                .bind(json(&approval))
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            let detail = format!("revision {} with {size} inclusions approved", w.revision);
            w.approval = Some(approval);
            done(w, detail)
        })
        .await
    }

    /// Removes one inclusion (e.g. the person was arrested elsewhere).
    pub async fn remove_inclusion(
        &self,
        actor: &User,
        inc: InclusionId,
        reason: &str,
    ) -> Result<()> {
        let act = Act::new(
            actor,
            Action::CompileWatchlist,
            "watchlist.remove",
            format!("I{inc}"),
        );
        self.act(act, async |tx, _| {
            let wid: i64 = sqlx::query("SELECT watchlist FROM inclusions WHERE id = $1")
                .bind(inc.0)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("no inclusion I{inc}")))?
                .try_get(0)?;
            let w = load(tx, WatchlistId(wid)).await?;
            let d = crate::deployments::load(tx, w.deployment).await?;
            policy::watchlist_open_for_changes(&w, &d)?;
            let alerted = sqlx::query("SELECT 1 FROM alerts WHERE inclusion = $1 LIMIT 1")
                .bind(inc.0)
                .fetch_optional(&mut *tx)
                .await?;
            policy::alerts_keep_their_inclusion(inc, alerted.is_some())?;
            for table in ["blue_passes", "open_blue_passes"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE inclusion = $1"))
                    .bind(inc.0)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("DELETE FROM reference_images WHERE inclusion = $1")
                .bind(inc.0)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM inclusions WHERE id = $1")
                .bind(inc.0)
                .execute(&mut *tx)
                .await?;
            bump_revision(tx, w.id).await?;
            done((), reason)
        })
        .await
    }

    pub async fn watchlists(&self, actor: &User, d: DeploymentId) -> Result<Vec<(Watchlist, u64)>> {
        self.permit(
            actor,
            Action::ReadDeployments,
            "watchlist.list",
            &format!("D{d}"),
        )
        .await?;
        let mut conn = self.pool.acquire().await?;
        let wls = load_for_deployment(&mut conn, d).await?;
        let mut out = Vec::new();
        for w in wls {
            let n: i64 = sqlx::query("SELECT COUNT(*) FROM inclusions WHERE watchlist = $1")
                .bind(w.id.0)
                .fetch_one(&mut *conn)
                .await?
                .try_get(0)?;
            out.push((w, n as u64));
        }
        Ok(out)
    }

    pub async fn watchlist(&self, actor: &User, id: WatchlistId) -> Result<Watchlist> {
        self.permit(
            actor,
            Action::ReadDeployments,
            "watchlist.read",
            &format!("W{id}"),
        )
        .await?;
        let mut conn = self.pool.acquire().await?;
        load(&mut conn, id).await
    }

    /// The inclusions of a watchlist. Names, justifications and sources are
    /// shown only to those who compile or approve watchlists, and the
    /// viewing is audited.
    pub async fn inclusions(&self, actor: &User, id: WatchlistId) -> Result<Vec<InclusionView>> {
        let reveal = actor.has_any(&[
            lfr_domain::role::Role::SilverCommander,
            lfr_domain::role::Role::GoldCommander,
            lfr_domain::role::Role::AuthorisingOfficer,
        ]);
        let act = Act::new(
            actor,
            Action::ReadDeployments,
            "watchlist.read",
            format!("W{id}"),
        );
        self.act(act, async |tx, _| {
            let w = load(tx, id).await?;
            let key = if reveal && w.purged_at.is_none() {
                Some(self.keys().data_key(w.deployment)?)
            } else {
                None
            };
            let rows = sqlx::query("SELECT * FROM inclusions WHERE watchlist = $1 ORDER BY id")
                .bind(id.0)
                .fetch_all(&mut *tx)
                .await?;
            let mut out = Vec::new();
            for r in &rows {
                let inc_id: i64 = r.try_get("id")?;
                let sealed: Option<Vec<u8>> = r.try_get("details_enc")?;
                let details = match (&key, sealed) {
                    (Some(k), Some(s)) => Some(from_json::<Details>(
                        std::str::from_utf8(&k.open(&s, &format!("inclusion:{inc_id}:details"))?)
                            .unwrap_or(""),
                        "inclusion",
                    )?),
                    _ => None,
                };
                let grades: Vec<String> = sqlx::query(
                    "SELECT grade FROM reference_images WHERE inclusion = $1 ORDER BY id",
                )
                .bind(inc_id)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|g| g.try_get::<String, _>(0))
                .collect::<Result<_, _>>()?;
                out.push(InclusionView {
                    inclusion: Inclusion {
                        id: InclusionId(inc_id),
                        watchlist: id,
                        category: parse(&r.try_get::<String, _>("category")?)?,
                        justification: details
                            .as_ref()
                            .map(|d| d.justification.clone())
                            .unwrap_or_default(),
                        source: details
                            .as_ref()
                            .map(|d| d.source.clone())
                            .unwrap_or_default(),
                        under_18: r.try_get::<i64, _>("under_18")? != 0,
                    },
                    reference: r.try_get("reference")?,
                    name: details.map(|d| d.name),
                    images: grades.len() as u64,
                    grades,
                });
            }
            let detail = if key.is_some() {
                "inclusions viewed with personal details"
            } else {
                "inclusions viewed without personal details"
            };
            done(out, detail)
        })
        .await
    }
}
