//! Users, roles and sign-in.
//!
//! A user proves who they are with a bearer token issued once when the
//! account is created (or reissued by an administrator). Only its SHA-256
//! is stored: tokens carry 256 bits of randomness, so a slow password hash
//! adds nothing, and a stolen database yields no usable token.

use lfr_domain::Timestamp;
use lfr_domain::audit::Outcome;
use lfr_domain::ids::UserId;
use lfr_domain::policy::{self, Action};
use lfr_domain::role::{Rank, Role, Training, User};
use sha2::{Digest, Sha256};
use sqlx::Row;
use zeroize::Zeroizing;

use crate::db::{ms, next_id, opt_ts, parse, ts};
use crate::gate::{Act, made};
use crate::role_changes::RolesOutcome;
use crate::{Result, Store, StoreError};

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub rank: Rank,
}

/// A freshly issued token: shown once, never stored.
pub type Token = Zeroizing<String>;

fn new_token() -> Result<Token> {
    let mut b = Zeroizing::new([0u8; 32]);
    getrandom::getrandom(&mut b[..])
        .map_err(|e| StoreError::Crypto(format!("no system randomness: {e}")))?;
    Ok(Zeroizing::new(format!("lfr_{}", hex::encode(&b[..]))))
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

pub(crate) fn roles_text(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Roles as stored: comma-separated names.
pub(crate) fn parse_roles(text: &str) -> Result<Vec<Role>> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(parse::<Role>)
        .collect()
}

/// Writes `u`'s roles and rank.
pub(crate) async fn write_roles(conn: &mut sqlx::AnyConnection, u: &User) -> Result<()> {
    sqlx::query("UPDATE users SET roles = $1, rank = $2 WHERE id = $3")
        .bind(roles_text(&u.roles))
        .bind(u.rank.as_str())
        .bind(u.id.0)
        .execute(conn)
        .await?;
    Ok(())
}

fn row_to_user(r: &sqlx::any::AnyRow) -> Result<User> {
    let roles: String = r.try_get("roles")?;
    let course: Option<String> = r.try_get("training_course")?;
    let completed = opt_ts(r.try_get("training_completed_ms")?);
    Ok(User {
        id: UserId(r.try_get("id")?),
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        roles: parse_roles(&roles)?,
        rank: parse(&r.try_get::<String, _>("rank")?)?,
        training: match (course, completed) {
            (Some(course), Some(completed_on)) => Some(Training {
                course,
                completed_on,
            }),
            _ => None,
        },
        active: r.try_get::<i64, _>("active")? != 0,
    })
}

/// The user with `id`, as the database holds them now.
pub(crate) async fn user_by_id(conn: &mut sqlx::AnyConnection, id: UserId) -> Result<User> {
    let r = sqlx::query("SELECT * FROM users WHERE id = $1")
        .bind(id.0)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no user U{id}")))?;
    row_to_user(&r)
}

fn valid_username(u: &str) -> Result<()> {
    if !u.is_empty()
        && u.len() <= 64
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "username `{u}` must be 1-64 letters, digits, dots, dashes or underscores (e.g. a collar number)"
        )))
    }
}

impl Store {
    /// `issued_by`: the administrator who receives the first token (none
    /// for bootstrap).
    async fn insert_user(
        &self,
        conn: &mut sqlx::AnyConnection,
        n: &NewUser,
        issued_by: Option<UserId>,
    ) -> Result<(User, Token)> {
        valid_username(&n.username)?;
        let taken = sqlx::query("SELECT 1 FROM users WHERE username = $1")
            .bind(&n.username)
            .fetch_optional(&mut *conn)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Invalid(format!(
                "user {} already exists",
                n.username
            )));
        }
        let id = next_id(conn, "users").await?;
        let token = new_token()?;
        sqlx::query(
            "INSERT INTO users (id, username, display_name, roles, rank, token_hash, active, created_ms, token_issued_by, token_issued_ms)
             VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $7)",
        )
        .bind(id)
        .bind(&n.username)
        .bind(&n.display_name)
        .bind(roles_text(&n.roles))
        .bind(n.rank.as_str())
        .bind(token_hash(&token))
        .bind(ms(self.now()))
        .bind(issued_by.map(|u| u.0))
        .execute(&mut *conn)
        .await?;
        let user = User {
            id: UserId(id),
            username: n.username.clone(),
            display_name: n.display_name.clone(),
            roles: n.roles.clone(),
            rank: n.rank,
            training: None,
            active: true,
        };
        Ok((user, token))
    }

    /// Creates the first Administrator. Refused once any user exists.
    pub async fn bootstrap(&self, username: &str, display_name: &str) -> Result<(User, Token)> {
        let mut tx = self.begin().await?;
        let any = sqlx::query("SELECT 1 FROM users LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
        if any.is_some() {
            return Err(StoreError::Invalid(
                "the system already has users; an administrator adds more with `lfr user add`"
                    .into(),
            ));
        }
        let n = NewUser {
            username: username.into(),
            display_name: display_name.into(),
            roles: vec![Role::Administrator],
            rank: Rank::Staff,
        };
        let (user, token) = self.insert_user(&mut tx, &n, None).await?;
        self.allowed(
            &mut tx,
            &user,
            "user.bootstrap",
            &format!("U{}", user.id),
            "first administrator created",
        )
        .await?;
        tx.commit().await?;
        Ok((user, token))
    }

    /// Break-glass: issues a new token to an active Administrator without a
    /// signed-in user, when every administrator's token has expired or been
    /// lost. Only whoever can open the store with its keys can call this,
    /// and they can already read everything the keys protect; the audit log
    /// records it as done by the key holder.
    pub async fn recover_administrator(&self, username: &str) -> Result<Token> {
        let mut tx = self.begin().await?;
        let u = self.user_row(&mut tx, username).await?;
        if !u.active || !u.has(Role::Administrator) {
            return Err(StoreError::Invalid(format!(
                "{username} is not an active administrator; recovery gives a token only to one, who then manages the others"
            )));
        }
        let token = new_token()?;
        sqlx::query(
            "UPDATE users SET token_hash = $1, token_issued_by = NULL, token_issued_ms = $2 WHERE id = $3",
        )
        .bind(token_hash(&token))
        .bind(ms(self.now()))
        .bind(u.id.0)
        .execute(&mut *tx)
        .await?;
        let ev = lfr_domain::audit::AuditEvent {
            at: self.now(),
            actor: "(key holder)".into(),
            action: "user.recover".into(),
            target: format!("U{} {}", u.id, u.username),
            outcome: Outcome::Allowed,
            detail: "administrator token reissued with the keys, without sign-in".into(),
        };
        self.audit(&mut tx, &ev).await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Finds the user a token belongs to. Failed sign-ins are audited.
    pub async fn authenticate(&self, token: &str) -> Result<User> {
        let row = sqlx::query("SELECT * FROM users WHERE token_hash = $1")
            .bind(token_hash(token))
            .fetch_optional(&self.pool)
            .await?;
        let user = match row {
            Some(r) => {
                let issued: Option<i64> = r.try_get("token_issued_ms")?;
                let issued = ts(issued.unwrap_or(r.try_get("created_ms")?));
                let expires = issued
                    .checked_add(policy::TOKEN_LIFETIME)
                    .expect("time in range");
                let user = row_to_user(&r)?;
                if self.now() >= expires {
                    return Err(StoreError::Unauthenticated(format!(
                        "the token of {} expired at {expires} ({} days after it was issued); ask an administrator for a new one (`lfr user token {}`)",
                        user.username,
                        policy::TOKEN_LIFETIME.as_hours() / 24,
                        user.username
                    )));
                }
                user
            }
            None => {
                let now = self.now();
                if let Some(n) = self.failed_sign_ins.failed(now) {
                    let ev = lfr_domain::audit::AuditEvent {
                        at: now,
                        actor: "(unknown)".into(),
                        action: "user.sign_in".into(),
                        target: "-".into(),
                        outcome: Outcome::Refused,
                        detail: format!(
                            "unknown or revoked token: {n} attempt(s) since the last such entry"
                        ),
                    };
                    if let Err(e) = self.audit_alone(&ev).await {
                        self.failed_sign_ins.unwrite(n);
                        return Err(e);
                    }
                }
                return Err(StoreError::Unauthenticated(
                    "the token is unknown or was revoked; ask an administrator for a new one (`lfr user token USERNAME`)".into(),
                ));
            }
        };
        if !user.active {
            return Err(StoreError::Unauthenticated(format!(
                "{} is deactivated; ask an administrator",
                user.username
            )));
        }
        Ok(user)
    }

    /// `u` as the database holds them now, refused once deactivated: a
    /// long-running caller such as the pipeline feels a role change or a
    /// deactivation at its next write.
    pub async fn current(&self, u: &User) -> Result<User> {
        let mut conn = self.pool.acquire().await?;
        let now = user_by_id(&mut conn, u.id).await?;
        if !now.active {
            return Err(StoreError::Unauthenticated(format!(
                "{} was deactivated; the pipeline stops recording as them",
                now.username
            )));
        }
        Ok(now)
    }

    pub(crate) async fn user_row(
        &self,
        conn: &mut sqlx::AnyConnection,
        username: &str,
    ) -> Result<User> {
        let r = sqlx::query("SELECT * FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(conn)
            .await?
            .ok_or_else(|| {
                StoreError::NotFound(format!(
                    "no user {username}; `lfr user list` shows who exists"
                ))
            })?;
        row_to_user(&r)
    }

    /// An administrator creates an account and receives its first token.
    /// The Authorising Officer role, if asked for, is only proposed: the
    /// account has its other roles until a second administrator approves
    /// ([`Store::approve_role_change`]).
    pub async fn create_user(&self, actor: &User, n: &NewUser) -> Result<(User, Token)> {
        self.permit(actor, Action::ManageUsers, "user.create", &n.username)
            .await?;
        if n.roles.is_empty() {
            return Err(StoreError::Invalid(
                "give the user at least one role with --role".into(),
            ));
        }
        let mut tx = self.begin().await?;
        // What would need a second administrator as a change needs one here:
        // the account starts with its other roles, the rest is proposed.
        let at_once = NewUser {
            roles: n
                .roles
                .iter()
                .copied()
                .filter(|r| !policy::ROLES_TAKING_TWO.contains(r))
                .collect(),
            ..n.clone()
        };
        let (user, token) = self.insert_user(&mut tx, &at_once, Some(actor.id)).await?;
        let detail = format!("roles {}; rank {}", roles_text(&user.roles), user.rank);
        self.allowed(
            &mut tx,
            actor,
            "user.create",
            &format!("U{} {}", user.id, user.username),
            detail,
        )
        .await?;
        if policy::needs_second_administrator(&user, &n.roles, n.rank) {
            self.propose_roles(&mut tx, actor, &user, &n.roles, n.rank)
                .await?;
        }
        tx.commit().await?;
        Ok((user, token))
    }

    /// Records LFR training (needed before someone may authorise).
    pub async fn record_training(
        &self,
        actor: &User,
        username: &str,
        course: &str,
        completed_on: Timestamp,
    ) -> Result<User> {
        let act = Act::new(actor, Action::ManageUsers, "user.training", username);
        self.act(act, async |tx, _| {
            let mut u = self.user_row(tx, username).await?;
            policy::no_one_grants_themselves(actor, &u)?;
            sqlx::query(
                "UPDATE users SET training_course = $1, training_completed_ms = $2 WHERE id = $3",
            )
            .bind(course)
            .bind(ms(completed_on))
            .bind(u.id.0)
            .execute(&mut *tx)
            .await?;
            u.training = Some(Training {
                course: course.into(),
                completed_on,
            });
            let target = format!("U{} {}", u.id, u.username);
            made(u, target, format!("{course}, completed {completed_on}"))
        })
        .await
    }

    /// Replaces a user's roles and rank, at once unless the change makes or
    /// changes an Authorising Officer: then it is proposed, and applies when
    /// a second administrator approves it. Nobody changes their own.
    pub async fn set_roles(
        &self,
        actor: &User,
        username: &str,
        roles: &[Role],
        rank: Option<Rank>,
    ) -> Result<RolesOutcome> {
        let name = "user.roles";
        self.permit(actor, Action::ManageUsers, name, username)
            .await?;
        if roles.is_empty() {
            return Err(StoreError::Invalid("give at least one role".into()));
        }
        let mut tx = self.begin().await?;
        let mut u = self.user_row(&mut tx, username).await?;
        if let Err(r) = policy::no_one_grants_themselves(actor, &u) {
            return self.refuse(tx, actor, name, username, r).await;
        }
        let rank = rank.unwrap_or(u.rank);
        if policy::needs_second_administrator(&u, roles, rank) {
            let change = self.propose_roles(&mut tx, actor, &u, roles, rank).await?;
            tx.commit().await?;
            return Ok(RolesOutcome::Pending { change });
        }
        u.roles = roles.to_vec();
        u.rank = rank;
        write_roles(&mut tx, &u).await?;
        self.allowed(
            &mut tx,
            actor,
            name,
            &format!("U{} {}", u.id, u.username),
            format!("roles {}; rank {}", roles_text(&u.roles), u.rank),
        )
        .await?;
        tx.commit().await?;
        Ok(RolesOutcome::Applied { user: u })
    }

    /// Revokes the old token and issues a new one. A new administrator
    /// reissues their own, so that only they hold it (an approval is
    /// refused with a token the proposer issued).
    pub async fn reissue_token(&self, actor: &User, username: &str) -> Result<Token> {
        let act = Act::new(actor, Action::ManageUsers, "user.token", username);
        self.act(act, async |tx, _| {
            let u = self.user_row(tx, username).await?;
            let token = new_token()?;
            sqlx::query("UPDATE users SET token_hash = $1, token_issued_by = $2, token_issued_ms = $3 WHERE id = $4")
                .bind(token_hash(&token))
                .bind(actor.id.0)
                .bind(ms(self.now()))
                .bind(u.id.0)
                .execute(&mut *tx)
                .await?;
            let target = format!("U{} {}", u.id, u.username);
            made(token, target, "token reissued; the old one no longer works")
        })
        .await
    }

    /// Deactivates or reactivates an account.
    pub async fn set_active(&self, actor: &User, username: &str, active: bool) -> Result<()> {
        let act = Act::new(actor, Action::ManageUsers, "user.active", username);
        self.act(act, async |tx, _| {
            let u = self.user_row(tx, username).await?;
            sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
                .bind(i64::from(active))
                .bind(u.id.0)
                .execute(&mut *tx)
                .await?;
            let what = if active { "reactivated" } else { "deactivated" };
            made((), format!("U{} {}", u.id, u.username), what)
        })
        .await
    }

    pub async fn list_users(&self, actor: &User) -> Result<Vec<User>> {
        self.permit(actor, Action::ReadDeployments, "user.list", "users")
            .await?;
        let rows = sqlx::query("SELECT * FROM users ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(row_to_user).collect()
    }
}
