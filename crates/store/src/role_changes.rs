//! Separation of duties for authority: nobody changes their own roles,
//! rank or training, and making or changing an Authorising Officer takes
//! two administrators, one to propose and another to approve. Both steps
//! are audited; the change applies only on approval.

use lfr_domain::Timestamp;
use lfr_domain::ids::UserId;
use lfr_domain::policy::{self, Action};
use lfr_domain::role::{Rank, Role, User};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::db::{ms, next_id, parse, ts};
use crate::gate::{Act, made};
use crate::users::{parse_roles, roles_text, user_by_id, write_roles};
use crate::{Result, Store, StoreError};

/// A proposed change of roles and rank awaiting a second administrator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleChange {
    pub id: i64,
    pub user: UserId,
    pub username: String,
    pub roles: Vec<Role>,
    pub rank: Rank,
    /// What the person held when it was proposed.
    pub from_roles: Vec<Role>,
    pub from_rank: Rank,
    pub proposed_by: UserId,
    pub proposed_at: Timestamp,
}

/// What asking for new roles did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RolesOutcome {
    /// Applied at once.
    Applied { user: User },
    /// Touches the Authorising Officer role: waits for another administrator.
    Pending { change: RoleChange },
}

async fn load_pending(conn: &mut AnyConnection, id: i64) -> Result<RoleChange> {
    let r = sqlx::query(
        "SELECT c.*, u.username FROM role_changes c JOIN users u ON u.id = c.user_id
         WHERE c.id = $1 AND c.approved_by IS NULL",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| {
        StoreError::NotFound(format!(
            "no pending role change C{id}; `lfr user pending` lists them"
        ))
    })?;
    row_to_change(&r)
}

fn row_to_change(r: &sqlx::any::AnyRow) -> Result<RoleChange> {
    Ok(RoleChange {
        id: r.try_get("id")?,
        user: UserId(r.try_get("user_id")?),
        username: r.try_get("username")?,
        roles: parse_roles(&r.try_get::<String, _>("roles")?)?,
        rank: parse(&r.try_get::<String, _>("rank")?)?,
        from_roles: parse_roles(&r.try_get::<String, _>("from_roles")?)?,
        from_rank: parse(&r.try_get::<String, _>("from_rank")?)?,
        proposed_by: UserId(r.try_get("proposed_by")?),
        proposed_at: ts(r.try_get("proposed_ms")?),
    })
}

impl Store {
    /// Records `roles` and `rank` for `user` as proposed by `actor`, inside
    /// the caller's transaction.
    pub(crate) async fn propose_roles(
        &self,
        conn: &mut AnyConnection,
        actor: &User,
        user: &User,
        roles: &[Role],
        rank: Rank,
    ) -> Result<RoleChange> {
        let id = next_id(conn, "role_changes").await?;
        let now = self.now();
        sqlx::query(
            "INSERT INTO role_changes (id, user_id, roles, rank, from_roles, from_rank, proposed_by, proposed_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(user.id.0)
        .bind(roles_text(roles))
        .bind(rank.as_str())
        .bind(roles_text(&user.roles))
        .bind(user.rank.as_str())
        .bind(actor.id.0)
        .bind(ms(now))
        .execute(&mut *conn)
        .await?;
        self.allowed(
            conn,
            actor,
            "user.roles.propose",
            &format!("U{} {}", user.id, user.username),
            format!(
                "C{id}: roles {}; rank {rank}; awaits a second administrator",
                roles_text(roles)
            ),
        )
        .await?;
        Ok(RoleChange {
            id,
            user: user.id,
            username: user.username.clone(),
            roles: roles.to_vec(),
            rank,
            from_roles: user.roles.clone(),
            from_rank: user.rank,
            proposed_by: actor.id,
            proposed_at: now,
        })
    }

    /// Role changes awaiting approval (Administrator).
    pub async fn pending_role_changes(&self, actor: &User) -> Result<Vec<RoleChange>> {
        self.permit(actor, Action::ManageUsers, "user.roles.pending", "users")
            .await?;
        let rows = sqlx::query(
            "SELECT c.*, u.username FROM role_changes c JOIN users u ON u.id = c.user_id
             WHERE c.approved_by IS NULL ORDER BY c.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row_to_change).collect()
    }

    /// A second administrator approves change `id`: it applies now.
    pub async fn approve_role_change(&self, actor: &User, id: i64) -> Result<User> {
        let act = Act::new(
            actor,
            Action::ManageUsers,
            "user.roles.approve",
            format!("C{id}"),
        );
        self.act(act, async |tx, now| {
            let change = load_pending(tx, id).await?;
            let user = user_by_id(tx, change.user).await?;
            let issued_by: Option<i64> =
                sqlx::query("SELECT token_issued_by FROM users WHERE id = $1")
                    .bind(actor.id.0)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get(0)?;
            policy::approved_by_a_second_administrator(
                actor,
                issued_by.map(UserId),
                change.proposed_by,
                change.user,
            )?;
            policy::role_change_still_current(&user, &change.from_roles, change.from_rank)?;
            let mut user = user;
            user.roles = change.roles.clone();
            user.rank = change.rank;
            write_roles(tx, &user).await?;
            sqlx::query("UPDATE role_changes SET approved_by = $1, approved_ms = $2 WHERE id = $3")
                .bind(actor.id.0)
                .bind(ms(now))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let detail = format!(
                "C{id} proposed by U{}: roles {}; rank {}",
                change.proposed_by,
                roles_text(&user.roles),
                user.rank
            );
            let target = format!("U{} {}", user.id, user.username);
            made(user, target, detail)
        })
        .await
    }
}
