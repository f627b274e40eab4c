//! A deployment's cameras, and which node runs each: several `lfr serve`
//! nodes share one database, and each runs the cameras assigned to it. The
//! engineers own the cameras (adding, moving, removing, all audited); the
//! pipeline's roles read their settings to run them.
//!
//! The settings are the live pipeline's own JSON (source, zone), kept
//! sealed under the deployment's key because a camera's address may carry
//! a password; the store does not read inside them.

use lfr_domain::ids::DeploymentId;
use lfr_domain::policy::{self, Action};
use lfr_domain::role::User;
use sqlx::Row;

use crate::db::ms;
use crate::gate::{Act, done};
use crate::{Result, Store, StoreError};

/// One camera as everyone allowed to see the deployment sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Camera {
    pub deployment: DeploymentId,
    pub name: String,
    pub location: String,
    /// The node that runs it.
    pub node: String,
}

fn target(d: DeploymentId, name: &str) -> String {
    format!("D{d}/camera/{name}")
}

fn aad(d: DeploymentId, name: &str) -> String {
    format!("camera-settings:{d}:{name}")
}

impl Store {
    /// Adds a camera to `d`, run by `node`, with the pipeline's `settings` (JSON).
    pub async fn add_camera(&self, actor: &User, cam: &Camera, settings: &str) -> Result<Camera> {
        let d = cam.deployment;
        let act = Act::new(
            actor,
            Action::ManageCameras,
            "camera.add",
            target(d, &cam.name),
        );
        let sealed = self
            .keys()
            .data_key(d)?
            .seal(settings.as_bytes(), &aad(d, &cam.name))?;
        self.act(act, async |tx, now| {
            let dep = crate::deployments::load(tx, d).await?;
            policy::cameras_change_only_before_the_end(&dep)?;
            if find(tx, d, &cam.name).await?.is_some() {
                return Err(StoreError::Invalid(format!(
                    "D{d} already has a camera named {}; move it with `lfr camera assign`, or remove it first",
                    cam.name
                ))
                .into());
            }
            sqlx::query("INSERT INTO cameras (deployment, name, location, node, settings_enc, changed_ms) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(d.0)
                .bind(&cam.name)
                .bind(&cam.location)
                .bind(&cam.node)
                .bind(sealed)
                .bind(ms(now))
                .execute(&mut *tx)
                .await?;
            done(cam.clone(), format!("on node {} at {}", cam.node, cam.location))
        })
        .await
    }

    /// Moves a camera to another node; the node running it stops it, and
    /// `node` starts it.
    pub async fn assign_camera(
        &self,
        actor: &User,
        d: DeploymentId,
        name: &str,
        node: &str,
    ) -> Result<Camera> {
        let act = Act::new(
            actor,
            Action::ManageCameras,
            "camera.assign",
            target(d, name),
        );
        self.act(act, async |tx, now| {
            let dep = crate::deployments::load(tx, d).await?;
            policy::cameras_change_only_before_the_end(&dep)?;
            let mut cam = find(tx, d, name).await?.ok_or_else(|| no_camera(d, name))?;
            let from = std::mem::replace(&mut cam.node, node.to_string());
            sqlx::query(
                "UPDATE cameras SET node = $1, changed_ms = $2 WHERE deployment = $3 AND name = $4",
            )
            .bind(node)
            .bind(ms(now))
            .bind(d.0)
            .bind(name)
            .execute(&mut *tx)
            .await?;
            done(cam, format!("from node {from} to node {node}"))
        })
        .await
    }

    pub async fn remove_camera(&self, actor: &User, d: DeploymentId, name: &str) -> Result<()> {
        let act = Act::new(
            actor,
            Action::ManageCameras,
            "camera.remove",
            target(d, name),
        );
        self.act(act, async |tx, _| {
            let dep = crate::deployments::load(tx, d).await?;
            policy::cameras_change_only_before_the_end(&dep)?;
            let cam = find(tx, d, name).await?.ok_or_else(|| no_camera(d, name))?;
            sqlx::query("DELETE FROM cameras WHERE deployment = $1 AND name = $2")
                .bind(d.0)
                .bind(name)
                .execute(&mut *tx)
                .await?;
            done((), format!("was on node {}", cam.node))
        })
        .await
    }

    /// Refuses unless `actor` may see the live view of `d`'s camera (role
    /// and team). Views are not audited one by one (the console polls them);
    /// refusals are.
    pub async fn may_view_live(&self, actor: &User, d: DeploymentId, camera: &str) -> Result<()> {
        self.permit(actor, Action::ViewLive, "camera.view", &target(d, camera))
            .await
    }

    /// The deployment's cameras and their nodes (no settings).
    pub async fn cameras(&self, actor: &User, d: DeploymentId) -> Result<Vec<Camera>> {
        self.permit(
            actor,
            Action::ReadDeployments,
            "camera.list",
            &format!("D{d}"),
        )
        .await?;
        let rows = sqlx::query(
            "SELECT name, location, node FROM cameras WHERE deployment = $1 ORDER BY name",
        )
        .bind(d.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| row(d, r)).collect()
    }

    /// Which cameras `node` runs for `d`, and when each last changed: cheap
    /// and unaudited (no settings), for a node to notice a change.
    pub async fn camera_assignment(
        &self,
        actor: &User,
        d: DeploymentId,
        node: &str,
    ) -> Result<Vec<(String, i64)>> {
        self.permit(
            actor,
            Action::RunCameras,
            "camera.settings",
            &format!("D{d}"),
        )
        .await?;
        let rows = sqlx::query(
            "SELECT name, changed_ms FROM cameras WHERE deployment = $1 AND node = $2 ORDER BY name",
        )
        .bind(d.0)
        .bind(node)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("name")?, r.try_get("changed_ms")?)))
            .collect()
    }

    /// The cameras `node` runs for `d`, each with its settings, to run them.
    /// Audited: the settings may hold a camera's password.
    pub async fn camera_settings(
        &self,
        actor: &User,
        d: DeploymentId,
        node: &str,
    ) -> Result<Vec<(Camera, String)>> {
        let act = Act::new(
            actor,
            Action::RunCameras,
            "camera.settings",
            format!("D{d}"),
        );
        let keys = self.keys();
        self.act(act, async |tx, _| {
            let rows = sqlx::query(
                "SELECT name, location, node, settings_enc FROM cameras WHERE deployment = $1 AND node = $2 ORDER BY name",
            )
            .bind(d.0)
            .bind(node)
            .fetch_all(&mut *tx)
            .await?;
            let key = keys.data_key(d)?;
            let mut out = Vec::new();
            for r in &rows {
                let cam = row(d, r)?;
                let sealed: Vec<u8> = r.try_get("settings_enc")?;
                let text = key.open(&sealed, &aad(d, &cam.name))?;
                let text = String::from_utf8(text.to_vec()).map_err(|_| {
                    StoreError::Invalid(format!("the settings of camera {} are not text", cam.name))
                })?;
                out.push((cam, text));
            }
            let names: Vec<_> = out.iter().map(|(c, _)| c.name.as_str()).collect();
            let detail = format!("node {node}: {}", names.join(", "));
            done(out, detail)
        })
        .await
    }
}

async fn find(
    conn: &mut sqlx::AnyConnection,
    d: DeploymentId,
    name: &str,
) -> Result<Option<Camera>> {
    sqlx::query("SELECT name, location, node FROM cameras WHERE deployment = $1 AND name = $2")
        .bind(d.0)
        .bind(name)
        .fetch_optional(conn)
        .await?
        .map(|r| row(d, &r))
        .transpose()
}

fn row(d: DeploymentId, r: &sqlx::any::AnyRow) -> Result<Camera> {
    Ok(Camera {
        deployment: d,
        name: r.try_get("name")?,
        location: r.try_get("location")?,
        node: r.try_get("node")?,
    })
}

fn no_camera(d: DeploymentId, name: &str) -> StoreError {
    StoreError::NotFound(format!(
        "D{d} has no camera named {name}; `lfr camera list D{d}` shows its cameras"
    ))
}
