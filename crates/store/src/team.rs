//! Who works on a deployment. Silver Commanders, Operators, Engagement
//! Officers and System Engineers see and act on a deployment only from its
//! team; the force-wide roles (`policy::FORCE_WIDE`) act on every one. The
//! applicant is on the team from the start; its commanders add and remove
//! the others, audited.
//!
//! The check sits in [`Store::permit`], which every action passes: the
//! target an action names (`D3`, `A12`, `W2`, `I5`, `BP3`, `IMG9`, `H4`)
//! leads to its deployment here.

use std::collections::HashSet;

use lfr_domain::ids::DeploymentId;
use lfr_domain::policy::{self, Action};
use lfr_domain::role::User;
use sqlx::{AnyConnection, Row};

use crate::db::ms;
use crate::gate::{Act, done};
use crate::{Result, Store, StoreError};

/// One member of a deployment's team.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Member {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<lfr_domain::role::Role>,
}

impl Store {
    /// Refuses unless `actor` may take `action` on what `target` names: on
    /// the deployment's team, or in a force-wide role that allows it.
    pub(crate) async fn object_permits(
        &self,
        actor: &User,
        action: Action,
        target: &str,
    ) -> Result<std::result::Result<(), lfr_domain::Refusal>> {
        if policy::acts_force_wide(actor, action) {
            return Ok(Ok(()));
        }
        let mut conn = self.pool.acquire().await?;
        let Some(d) = deployment_of(&mut conn, target).await? else {
            return Ok(Ok(()));
        };
        let on = on_team(&mut conn, d, actor).await?;
        Ok(policy::on_the_deployment_team(actor, action, d, on))
    }

    /// The deployments `actor` may see for `action`; `None`: every one.
    pub async fn visible_deployments(
        &self,
        actor: &User,
        action: Action,
    ) -> Result<Option<HashSet<DeploymentId>>> {
        if policy::acts_force_wide(actor, action) {
            return Ok(None);
        }
        let rows = sqlx::query("SELECT deployment FROM deployment_team WHERE user_id = $1")
            .bind(actor.id.0)
            .fetch_all(&self.pool)
            .await?;
        Ok(Some(
            rows.iter()
                .map(|r| Ok(DeploymentId(r.try_get(0)?)))
                .collect::<Result<_>>()?,
        ))
    }

    /// Of `items`, those whose target (`target(item)`, as `A12` or `W3`)
    /// `actor` may see for `action`: for lists that cross deployments.
    pub(crate) async fn only_visible<T>(
        &self,
        actor: &User,
        action: Action,
        items: Vec<T>,
        target: impl Fn(&T) -> String,
    ) -> Result<Vec<T>> {
        let Some(visible) = self.visible_deployments(actor, action).await? else {
            return Ok(items);
        };
        let mut conn = self.pool.acquire().await?;
        let mut out = Vec::new();
        for item in items {
            match deployment_of(&mut conn, &target(&item)).await? {
                Some(d) if !visible.contains(&d) => {}
                _ => out.push(item),
            }
        }
        Ok(out)
    }

    /// The deployment's team.
    pub async fn team(&self, actor: &User, d: DeploymentId) -> Result<Vec<Member>> {
        self.permit(
            actor,
            Action::ReadDeployments,
            "deployment.team",
            &format!("D{d}"),
        )
        .await?;
        let rows = sqlx::query(
            "SELECT u.username, u.display_name, u.roles FROM deployment_team t JOIN users u ON u.id = t.user_id
             WHERE t.deployment = $1 ORDER BY u.username",
        )
        .bind(d.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let roles: String = r.try_get("roles")?;
                Ok(Member {
                    username: r.try_get("username")?,
                    display_name: r.try_get("display_name")?,
                    roles: crate::users::parse_roles(&roles)?,
                })
            })
            .collect()
    }

    /// Adds `add` and takes off `remove` (either may be absent, not both):
    /// refused by role and team before the request is looked at.
    pub async fn change_team(
        &self,
        actor: &User,
        d: DeploymentId,
        add: Option<&str>,
        remove: Option<&str>,
    ) -> Result<()> {
        self.permit(
            actor,
            Action::ManageTeam,
            "deployment.team",
            &format!("D{d}"),
        )
        .await?;
        let add = add.map(str::trim).filter(|u| !u.is_empty());
        let remove = remove.map(str::trim).filter(|u| !u.is_empty());
        if add.is_none() && remove.is_none() {
            return Err(StoreError::Invalid(
                "name a user to add to the team or to remove from it".into(),
            ));
        }
        if let Some(u) = add {
            self.add_to_team(actor, d, u).await?;
        }
        if let Some(u) = remove {
            self.remove_from_team(actor, d, u).await?;
        }
        Ok(())
    }

    /// Adds `username` to the deployment's team (its Silver or Gold Commander).
    pub async fn add_to_team(&self, actor: &User, d: DeploymentId, username: &str) -> Result<()> {
        let act = Act::new(
            actor,
            Action::ManageTeam,
            "deployment.team.add",
            format!("D{d}"),
        );
        self.act(act, async |tx, now| {
            crate::deployments::load(tx, d).await?;
            let user = self.user_row(tx, username).await?;
            if on_team(tx, d, &user).await? {
                return done((), format!("{username} already on the team"));
            }
            sqlx::query("INSERT INTO deployment_team (deployment, user_id, added_by, added_ms) VALUES ($1, $2, $3, $4)")
                .bind(d.0)
                .bind(user.id.0)
                .bind(actor.id.0)
                .bind(ms(now))
                .execute(&mut *tx)
                .await?;
            done((), format!("added {username}"))
        })
        .await
    }

    /// Takes `username` off the deployment's team: at once, they no longer
    /// see it or act on it.
    pub async fn remove_from_team(
        &self,
        actor: &User,
        d: DeploymentId,
        username: &str,
    ) -> Result<()> {
        let act = Act::new(
            actor,
            Action::ManageTeam,
            "deployment.team.remove",
            format!("D{d}"),
        );
        self.act(act, async |tx, _| {
            crate::deployments::load(tx, d).await?;
            let user = self.user_row(tx, username).await?;
            let gone =
                sqlx::query("DELETE FROM deployment_team WHERE deployment = $1 AND user_id = $2")
                    .bind(d.0)
                    .bind(user.id.0)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            if gone == 0 {
                return Err(
                    StoreError::NotFound(format!("{username} is not on the team of D{d}")).into(),
                );
            }
            done((), format!("removed {username}"))
        })
        .await
    }
}

/// Puts the applicant on a new deployment's team, inside its transaction.
pub(crate) async fn add_applicant(
    conn: &mut AnyConnection,
    d: DeploymentId,
    actor: &User,
    now: lfr_base::Timestamp,
) -> Result<()> {
    sqlx::query("INSERT INTO deployment_team (deployment, user_id, added_by, added_ms) VALUES ($1, $2, $2, $3)")
        .bind(d.0)
        .bind(actor.id.0)
        .bind(ms(now))
        .execute(conn)
        .await?;
    Ok(())
}

async fn on_team(conn: &mut AnyConnection, d: DeploymentId, user: &User) -> Result<bool> {
    Ok(
        sqlx::query("SELECT 1 FROM deployment_team WHERE deployment = $1 AND user_id = $2")
            .bind(d.0)
            .bind(user.id.0)
            .fetch_optional(conn)
            .await?
            .is_some(),
    )
}

/// The deployment a target names, if it names one that exists.
async fn deployment_of(conn: &mut AnyConnection, target: &str) -> Result<Option<DeploymentId>> {
    let number = |prefix: &str| -> Option<i64> {
        let rest = target.strip_prefix(prefix)?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    let one =
        async |conn: &mut AnyConnection, sql: &str, id: i64| -> Result<Option<DeploymentId>> {
            Ok(sqlx::query(sql)
                .bind(id)
                .fetch_optional(conn)
                .await?
                .map(|r| r.try_get::<i64, _>(0))
                .transpose()?
                .map(DeploymentId))
        };
    // Longer prefixes first: BP before B, IMG before I.
    if let Some(id) = number("BP") {
        return one(conn, "SELECT deployment FROM blue_passes WHERE id = $1", id).await;
    }
    if let Some(id) = number("IMG") {
        return one(
            conn,
            "SELECT w.deployment FROM reference_images r JOIN inclusions i ON i.id = r.inclusion JOIN watchlists w ON w.id = i.watchlist WHERE r.id = $1",
            id,
        )
        .await;
    }
    if let Some(id) = number("I") {
        return one(
            conn,
            "SELECT w.deployment FROM inclusions i JOIN watchlists w ON w.id = i.watchlist WHERE i.id = $1",
            id,
        )
        .await;
    }
    if let Some(id) = number("A") {
        return one(conn, "SELECT deployment FROM alerts WHERE id = $1", id).await;
    }
    if let Some(id) = number("W") {
        return one(conn, "SELECT deployment FROM watchlists WHERE id = $1", id).await;
    }
    if let Some(id) = number("F") {
        return one(conn, "SELECT deployment FROM footage WHERE id = $1", id).await;
    }
    if let Some(id) = number("H") {
        let Some(r) = sqlx::query("SELECT target_kind, target_id FROM legal_holds WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
        else {
            return Ok(None);
        };
        let (kind, id): (String, i64) = (r.try_get(0)?, r.try_get(1)?);
        return Box::pin(deployment_of(conn, &format!("{kind}{id}"))).await;
    }
    Ok(number("D").map(DeploymentId))
}
