//! Templates: what the recognition pipeline searches, released only while
//! the deployment may recognise, and remade from the reference images
//! when the algorithm changes.

use lfr_domain::ids::{DeploymentId, ImageId, InclusionId, WatchlistId};
use lfr_domain::policy::{self, Action};
use lfr_domain::role::User;
use lfr_domain::watchlist::{Category, Template};
use sqlx::{AnyConnection, Row};

use crate::db::{json, parse};
use crate::gate::{Act, done};
use crate::watchlists::{load, load_for_deployment};
use crate::{Result, Store, StoreError};

/// One entry of the gallery the recognition pipeline searches.
#[derive(Debug, Clone)]
pub struct GalleryEntry {
    pub inclusion: InclusionId,
    pub image: ImageId,
    pub category: Category,
    pub template: Template,
}

impl Store {
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
        let act = Act::new(
            actor,
            Action::RaiseAlert,
            "watchlist.gallery",
            format!("D{d}"),
        );
        self.act(act, async |tx, now| {
            let dep = crate::deployments::load(tx, d).await?;
            let wls = load_for_deployment(tx, d).await?;
            policy::recognition_requires_active_authorisation(&dep, now)?;
            policy::watchlists_reviewed_before_deployment(&wls)?;
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
                let wl = WatchlistId(r.try_get("wl")?);
                policy::templates_match_the_algorithm(wl, &made_by, algorithm)?;
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
            let detail = format!("{} templates released to recognition", out.len());
            done(out, detail)
        })
        .await
    }

    /// A reference image's bytes, for the operator's side-by-side view.
    pub async fn reference_image(&self, actor: &User, img: ImageId) -> Result<Vec<u8>> {
        let act = Act::new(actor, Action::ViewAlerts, "image.view", format!("IMG{img}"));
        self.act(act, async |tx, _| {
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
            policy::reference_image_beside_its_alert(actor, img, behind_alert)?;
            let sealed: Option<Vec<u8>> = r.try_get(1)?;
            let sealed = sealed
                .ok_or_else(|| StoreError::NotFound(format!("IMG{img} was deleted by retention")))?;
            let bytes = self
                .keys()
                .data_key(d)?
                .open(&sealed, &format!("image:{img}:image"))?
                .to_vec();
            done(bytes, "reference image viewed")
        })
        .await
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
        let act = Act::new(
            actor,
            Action::CompileWatchlist,
            "watchlist.reenrol",
            format!("W{id}"),
        );
        self.act(act, async |tx, _| {
            let w = load(tx, id).await?;
            let d = crate::deployments::load(tx, w.deployment).await?;
            let algorithm = enroller.algorithm();
            policy::watchlist_open_for_changes(&w, &d)?;
            policy::templates_match_the_deployment_algorithm(&d, &algorithm)?;
            let key = self.keys().data_key(w.deployment)?;
            let remade = remake_templates(tx, &key, &[id], enroller)
                .await?
                .map_err(nothing_changed)?;
            store_templates(tx, &key, &remade).await?;
            let detail = format!("{} templates remade with {algorithm}", remade.len());
            done(remade.len(), detail)
        })
        .await
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
