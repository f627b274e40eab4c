//! Watchlists: compiled for one deployment, imported whole, approved by an
//! AO as they stand, released to recognition only while the deployment runs.

use lfr_domain::Refusal;
use lfr_domain::ids::{DeploymentId, ImageId, InclusionId, WatchlistId};
use lfr_domain::policy::{self, Action};
use lfr_domain::role::User;
use lfr_domain::watchlist::{Approval, Category, Inclusion, Template, Watchlist, WatchlistKind};
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

use crate::db::{from_json, json, ms, next_id, opt_ts, parse, ts};
use crate::import::PreparedEntry;
use crate::{Result, Store, StoreError};

/// The sealed part of an inclusion.
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

/// One entry of the gallery the recognition pipeline searches.
#[derive(Debug, Clone)]
pub struct GalleryEntry {
    pub inclusion: InclusionId,
    pub image: ImageId,
    pub category: Category,
    pub template: Template,
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

async fn load(conn: &mut AnyConnection, id: WatchlistId) -> Result<Watchlist> {
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
        let target = format!("D{d}");
        self.permit(actor, Action::CompileWatchlist, "watchlist.create", &target)
            .await?;
        let mut tx = self.begin().await?;
        let dep = crate::deployments::load(&mut tx, d).await?;
        if dep.state.is_ended() {
            let r = Refusal::new(
                "watchlist_open_for_changes",
                format!("D{d} has ended; a watchlist is compiled for a deployment still to run"),
            );
            return self.refuse(tx, actor, "watchlist.create", &target, r).await;
        }
        let id = WatchlistId(next_id(&mut tx, "watchlists").await?);
        let now = self.now();
        sqlx::query("INSERT INTO watchlists (id, deployment, kind, name, revision, created_ms) VALUES ($1, $2, $3, $4, 1, $5)")
            .bind(id.0)
            .bind(d.0)
            .bind(kind.as_str())
            .bind(name)
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
        self.allowed(
            &mut tx,
            actor,
            "watchlist.create",
            &format!("W{id}"),
            format!("{kind} watchlist `{name}` for D{d}"),
        )
        .await?;
        tx.commit().await?;
        Ok(Watchlist {
            id,
            deployment: d,
            kind,
            name: name.into(),
            revision: 1,
            approval: None,
            created_at: now,
            purged_at: None,
        })
    }

    /// Writes a prepared import in one transaction: all of it or none.
    /// Any earlier approval no longer covers the changed watchlist.
    pub async fn commit_import(
        &self,
        actor: &User,
        id: WatchlistId,
        entries: &[PreparedEntry],
    ) -> Result<usize> {
        let target = format!("W{id}");
        self.permit(actor, Action::CompileWatchlist, "watchlist.import", &target)
            .await?;
        let mut tx = self.begin().await?;
        let w = load(&mut tx, id).await?;
        let d = crate::deployments::load(&mut tx, w.deployment).await?;
        let check = || -> Result<(), Refusal> {
            policy::watchlist_open_for_changes(&w, &d)?;
            for e in entries {
                policy::category_fits_watchlist(w.kind, e.entry.category)?;
                policy::inclusion_is_justified(&e.entry.justification, &e.entry.source)?;
                if e.images.is_empty() {
                    return Err(Refusal::new(
                        "inclusion_is_justified",
                        format!("ref {} has no usable reference image", e.entry.reference),
                    ));
                }
                for i in &e.images {
                    policy::blue_watchlist_images_need_consent(w.kind, i.consent.as_ref())?;
                    policy::reference_image_is_usable(i.grade, &i.reasons)?;
                    policy::templates_match_the_deployment_algorithm(&d, &i.template.algorithm)?;
                }
            }
            Ok(())
        };
        if let Err(r) = check() {
            return self.refuse(tx, actor, "watchlist.import", &target, r).await;
        }
        let key = self.keys().data_key(w.deployment)?;
        let now = ms(self.now());
        for e in entries {
            let inc = next_id(&mut tx, "inclusions").await?;
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
                let img = next_id(&mut tx, "reference_images").await?;
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
        bump_revision(&mut tx, id).await?;
        let images: usize = entries.iter().map(|e| e.images.len()).sum();
        self.allowed(
            &mut tx,
            actor,
            "watchlist.import",
            &target,
            format!("{} inclusions, {images} images", entries.len()),
        )
        .await?;
        tx.commit().await?;
        Ok(entries.len())
    }

    /// An Authorising Officer approves the watchlist as it now stands.
    pub async fn approve_watchlist(
        &self,
        actor: &User,
        id: WatchlistId,
        note: &str,
    ) -> Result<Watchlist> {
        let target = format!("W{id}");
        self.permit(
            actor,
            Action::ApproveWatchlist,
            "watchlist.approve",
            &target,
        )
        .await?;
        let mut tx = self.begin().await?;
        let mut w = load(&mut tx, id).await?;
        let d = crate::deployments::load(&mut tx, w.deployment).await?;
        let size: i64 = sqlx::query("SELECT COUNT(*) FROM inclusions WHERE watchlist = $1")
            .bind(id.0)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        let check = || -> Result<(), Refusal> {
            policy::authorising_officer_is_superintendent_or_above(actor)?;
            policy::watchlist_open_for_changes(&w, &d)?;
            if size == 0 {
                return Err(Refusal::new(
                    "watchlists_reviewed_before_deployment",
                    format!("W{id} is empty; import inclusions before approving it"),
                ));
            }
            Ok(())
        };
        if let Err(r) = check() {
            return self
                .refuse(tx, actor, "watchlist.approve", &target, r)
                .await;
        }
        let approval = Approval {
            by: actor.id,
            at: self.now(),
            revision: w.revision,
            note: note.into(),
        };
        sqlx::query("UPDATE watchlists SET approval = $1 WHERE id = $2")
            .bind(json(&approval))
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        self.allowed(
            &mut tx,
            actor,
            "watchlist.approve",
            &target,
            format!("revision {} with {size} inclusions approved", w.revision),
        )
        .await?;
        tx.commit().await?;
        w.approval = Some(approval);
        Ok(w)
    }

    /// Removes one inclusion (e.g. the person was arrested elsewhere).
    pub async fn remove_inclusion(
        &self,
        actor: &User,
        inc: InclusionId,
        reason: &str,
    ) -> Result<()> {
        let target = format!("I{inc}");
        self.permit(actor, Action::CompileWatchlist, "watchlist.remove", &target)
            .await?;
        let mut tx = self.begin().await?;
        let wid: i64 = sqlx::query("SELECT watchlist FROM inclusions WHERE id = $1")
            .bind(inc.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no inclusion I{inc}")))?
            .try_get(0)?;
        let w = load(&mut tx, WatchlistId(wid)).await?;
        let d = crate::deployments::load(&mut tx, w.deployment).await?;
        if let Err(r) = policy::watchlist_open_for_changes(&w, &d) {
            return self.refuse(tx, actor, "watchlist.remove", &target, r).await;
        }
        let alerted = sqlx::query("SELECT 1 FROM alerts WHERE inclusion = $1 LIMIT 1")
            .bind(inc.0)
            .fetch_optional(&mut *tx)
            .await?;
        if alerted.is_some() {
            let r = Refusal::new(
                "alerts_keep_their_inclusion",
                format!(
                    "I{inc} has alerts; suspend the deployment and compile a new watchlist instead"
                ),
            );
            return self.refuse(tx, actor, "watchlist.remove", &target, r).await;
        }
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
        bump_revision(&mut tx, w.id).await?;
        self.allowed(&mut tx, actor, "watchlist.remove", &target, reason)
            .await?;
        tx.commit().await?;
        Ok(())
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
        let target = format!("W{id}");
        self.permit(actor, Action::ReadDeployments, "watchlist.read", &target)
            .await?;
        let reveal = actor.has_any(&[
            lfr_domain::role::Role::SilverCommander,
            lfr_domain::role::Role::GoldCommander,
            lfr_domain::role::Role::AuthorisingOfficer,
        ]);
        let mut tx = self.begin().await?;
        let w = load(&mut tx, id).await?;
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
            let grades: Vec<String> =
                sqlx::query("SELECT grade FROM reference_images WHERE inclusion = $1 ORDER BY id")
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
        self.allowed(&mut tx, actor, "watchlist.read", &target, detail)
            .await?;
        tx.commit().await?;
        Ok(out)
    }

    /// The templates the recognition pipeline searches. Released only while
    /// the deployment may run recognition: no recognition without an active
    /// authorisation, and only from approved watchlists.
    /// `algorithm` is the pipeline's template algorithm: templates made by
    /// another never compare, so a mismatch is refused until the watchlist
    /// is re-enrolled ([`Store::reenrol_watchlist`]).
    pub async fn gallery(
        &self,
        actor: &User,
        d: DeploymentId,
        algorithm: &str,
    ) -> Result<Vec<GalleryEntry>> {
        let target = format!("D{d}");
        self.permit(actor, Action::RaiseAlert, "watchlist.gallery", &target)
            .await?;
        let mut tx = self.begin().await?;
        let dep = crate::deployments::load(&mut tx, d).await?;
        let wls = load_for_deployment(&mut tx, d).await?;
        let check = || -> Result<(), Refusal> {
            policy::recognition_requires_active_authorisation(&dep, self.now())?;
            policy::watchlists_reviewed_before_deployment(&wls)
        };
        if let Err(r) = check() {
            return self
                .refuse(tx, actor, "watchlist.gallery", &target, r)
                .await;
        }
        let key = self.keys().data_key(d)?;
        let rows = sqlx::query(
            "SELECT i.id AS inc, i.category, i.watchlist AS wl, r.id AS img, r.algorithm, r.template_enc FROM reference_images r
             JOIN inclusions i ON r.inclusion = i.id JOIN watchlists w ON i.watchlist = w.id
             WHERE w.deployment = $1 AND r.template_enc IS NOT NULL ORDER BY r.id",
        )
        .bind(d.0)
        .fetch_all(&mut *tx)
        .await?;
        for r in &rows {
            let made_by: String = r.try_get("algorithm")?;
            if made_by != algorithm {
                let wl: i64 = r.try_get("wl")?;
                let refusal = Refusal::new(
                    "templates_match_the_algorithm",
                    format!(
                        "W{wl} holds templates made by `{made_by}`, not `{algorithm}`; re-enrol it from its reference images with `lfr watchlist reenrol W{wl}`"
                    ),
                );
                return self
                    .refuse(tx, actor, "watchlist.gallery", &target, refusal)
                    .await;
            }
        }
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let img: i64 = r.try_get("img")?;
            let sealed: Vec<u8> = r.try_get("template_enc")?;
            let bytes = key.open(&sealed, &format!("image:{img}:template"))?;
            out.push(GalleryEntry {
                inclusion: InclusionId(r.try_get("inc")?),
                image: ImageId(img),
                category: parse(&r.try_get::<String, _>("category")?)?,
                template: Template::from_bytes(&bytes).map_err(StoreError::Invalid)?,
            });
        }
        self.allowed(
            &mut tx,
            actor,
            "watchlist.gallery",
            &target,
            format!("{} templates released to recognition", out.len()),
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }

    /// A reference image's bytes, for the operator's side-by-side view.
    pub async fn reference_image(&self, actor: &User, img: ImageId) -> Result<Vec<u8>> {
        let target = format!("IMG{img}");
        self.permit(actor, Action::ViewAlerts, "image.view", &target)
            .await?;
        let mut tx = self.begin().await?;
        let r = sqlx::query(
            "SELECT w.deployment, r.image_enc FROM reference_images r JOIN inclusions i ON r.inclusion = i.id
             JOIN watchlists w ON i.watchlist = w.id WHERE r.id = $1",
        )
        .bind(img.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no reference image IMG{img} (it may have been deleted by retention)")))?;
        let d = DeploymentId(r.try_get(0)?);
        let behind_alert =
            sqlx::query("SELECT 1 FROM alerts WHERE candidate_image = $1 AND purged_ms IS NULL")
                .bind(img.0)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
        if let Err(r) = policy::reference_image_beside_its_alert(actor, img, behind_alert) {
            return self.refuse(tx, actor, "image.view", &target, r).await;
        }
        let sealed: Option<Vec<u8>> = r.try_get(1)?;
        let sealed = sealed
            .ok_or_else(|| StoreError::NotFound(format!("IMG{img} was deleted by retention")))?;
        let bytes = self
            .keys()
            .data_key(d)?
            .open(&sealed, &format!("image:{img}:image"))?
            .to_vec();
        self.allowed(
            &mut tx,
            actor,
            "image.view",
            &target,
            "reference image viewed",
        )
        .await?;
        tx.commit().await?;
        Ok(bytes)
    }

    /// Makes every template of a watchlist again from its stored reference
    /// images, with the enroller's (new) algorithm. All or nothing: if any
    /// image fails, nothing changes and every failure is listed. Who is on
    /// the watchlist does not change, so its approval stands. The enroller
    /// must make the deployment's algorithm (changing that is
    /// [`Store::set_recognition`], which re-enrols every watchlist).
    pub async fn reenrol_watchlist(
        &self,
        actor: &User,
        id: WatchlistId,
        enroller: &dyn lfr_domain::enrol::Enroller,
    ) -> Result<usize> {
        let target = format!("W{id}");
        self.permit(
            actor,
            Action::CompileWatchlist,
            "watchlist.reenrol",
            &target,
        )
        .await?;
        let mut tx = self.begin().await?;
        let w = load(&mut tx, id).await?;
        let d = crate::deployments::load(&mut tx, w.deployment).await?;
        let algorithm = enroller.algorithm();
        let check = || {
            policy::watchlist_open_for_changes(&w, &d)?;
            policy::templates_match_the_deployment_algorithm(&d, &algorithm)
        };
        if let Err(r) = check() {
            return self
                .refuse(tx, actor, "watchlist.reenrol", &target, r)
                .await;
        }
        let key = self.keys().data_key(w.deployment)?;
        let remade = remake_templates(&mut tx, &key, &[id], enroller)
            .await?
            .map_err(nothing_changed)?;
        store_templates(&mut tx, &key, &remade).await?;
        self.allowed(
            &mut tx,
            actor,
            "watchlist.reenrol",
            &target,
            format!("{} templates remade with {algorithm}", remade.len()),
        )
        .await?;
        tx.commit().await?;
        Ok(remade.len())
    }
}

/// A reference image's new template and grade.
pub(crate) struct Remade {
    image: i64,
    grade: lfr_domain::watchlist::QualityGrade,
    reasons: Vec<String>,
    template: Template,
}

/// The error for images that could not be re-enrolled.
pub(crate) fn nothing_changed(problems: Vec<String>) -> StoreError {
    StoreError::Invalid(format!(
        "{} image(s) could not be re-enrolled; nothing was changed:\n  {}",
        problems.len(),
        problems.join("\n  ")
    ))
}

/// New templates for every stored reference image of `watchlists`, or
/// every image that failed (nothing is written either way).
pub(crate) async fn remake_templates(
    conn: &mut AnyConnection,
    key: &crate::crypto::Key,
    watchlists: &[WatchlistId],
    enroller: &dyn lfr_domain::enrol::Enroller,
) -> Result<std::result::Result<Vec<Remade>, Vec<String>>> {
    let mut problems = Vec::new();
    let mut remade = Vec::new();
    for w in watchlists {
        let rows = sqlx::query(
            "SELECT r.id, r.file_name, r.image_enc FROM reference_images r JOIN inclusions i ON r.inclusion = i.id
             WHERE i.watchlist = $1 AND r.image_enc IS NOT NULL ORDER BY r.id",
        )
        .bind(w.0)
        .fetch_all(&mut *conn)
        .await?;
        for r in &rows {
            let img: i64 = r.try_get(0)?;
            let file: String = r.try_get(1)?;
            let sealed: Vec<u8> = r.try_get(2)?;
            let bytes = key.open(&sealed, &format!("image:{img}:image"))?;
            match enroller.enrol(&bytes) {
                Err(m) => problems.push(format!("W{w} IMG{img} ({file}): {m}")),
                Ok(en) => match (
                    policy::reference_image_is_usable(en.grade, &en.reasons),
                    en.template,
                ) {
                    (Err(r), _) => problems.push(format!("W{w} IMG{img} ({file}): {}", r.message)),
                    (Ok(()), None) => {
                        problems.push(format!("W{w} IMG{img} ({file}): no template could be made"))
                    }
                    (Ok(()), Some(t)) => remade.push(Remade {
                        image: img,
                        grade: en.grade,
                        reasons: en.reasons,
                        template: t,
                    }),
                },
            }
        }
    }
    Ok(if problems.is_empty() {
        Ok(remade)
    } else {
        Err(problems)
    })
}

/// Writes remade templates (sealed) over the old ones.
pub(crate) async fn store_templates(
    conn: &mut AnyConnection,
    key: &crate::crypto::Key,
    remade: &[Remade],
) -> Result<()> {
    for r in remade {
        let img = r.image;
        sqlx::query("UPDATE reference_images SET algorithm = $1, grade = $2, grade_reasons = $3, template_enc = $4 WHERE id = $5")
            .bind(&r.template.algorithm)
            .bind(r.grade.as_str())
            .bind(json(&r.reasons))
            .bind(key.seal(&r.template.to_bytes(), &format!("image:{img}:template"))?)
            .bind(img)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
