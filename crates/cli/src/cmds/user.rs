//! `lfr user`: accounts, roles, training and sign-in tokens.

use anyhow::Result;
use clap::Subcommand;
use lfr_domain::role::{Rank, Role, User};
use lfr_store::role_changes::{RoleChange, RolesOutcome};
use lfr_store::users::NewUser;

use super::session::{block_on, fields, open, parse_time, print_json, show_time, signed_in, table};
use crate::Global;

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Create the database, the operator's master key and the first Administrator (once).
    Bootstrap {
        #[arg(long)]
        username: String,
        /// Full name, as it should appear in the audit log.
        #[arg(long)]
        name: String,
    },
    /// Add a user and print their sign-in token (Administrator).
    Add {
        username: String,
        #[arg(long)]
        name: String,
        /// Roles, comma-separated: administrator, authorising_officer, gold_commander,
        /// silver_commander, operator, engagement_officer, system_engineer, auditor.
        #[arg(long, value_delimiter = ',', required = true)]
        role: Vec<Role>,
        /// Police rank (constable ... chief_constable), or `staff`.
        #[arg(long, default_value = "staff")]
        rank: Rank,
    },
    /// Record a user's LFR training (required before authorising) (Administrator).
    Train {
        username: String,
        #[arg(long)]
        course: String,
        /// Date completed, e.g. 2026-01-10.
        #[arg(long)]
        completed: String,
    },
    /// Replace a user's roles (and rank) (Administrator; not your own). Making
    /// or changing an Authorising Officer waits for a second administrator.
    Roles {
        username: String,
        #[arg(long, value_delimiter = ',', required = true)]
        role: Vec<Role>,
        #[arg(long)]
        rank: Option<Rank>,
    },
    /// Role changes that make or change an Authorising Officer, awaiting a
    /// second administrator (Administrator).
    Pending,
    /// Approve a pending role change (an Administrator other than the one
    /// who proposed it, and not the person it changes).
    Approve {
        /// The change, e.g. C3 (`lfr user pending`).
        change: String,
    },
    /// Issue a new token, revoking the old one (Administrator).
    Token { username: String },
    /// Break-glass: a new token for an administrator, with no sign-in, when
    /// every administrator's token has expired or been lost. Needs the
    /// database and its keys (--db, --keys); audited as the key holder.
    Recover { username: String },
    /// Stop a user signing in (Administrator).
    Deactivate { username: String },
    /// Let a deactivated user sign in again (Administrator).
    Activate { username: String },
    /// List users.
    List,
    /// Show who the current token signs in as.
    Whoami,
}

fn roles(u: &User) -> String {
    u.roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn show_token(g: &Global, u: &User, token: &str, pending: Option<&RoleChange>) -> Result<()> {
    if g.json {
        return print_json(&serde_json::json!({
            "user": u, "token": token, "pending_change": pending.map(|c| c.id)
        }));
    }
    println!(
        "{} ({}) can now sign in. Their token, shown only this once:\n",
        u.username,
        roles(u)
    );
    println!("  {token}\n");
    println!("Give it to them privately; they use it with `export LFR_TOKEN=...` (or --token).");
    if let Some(c) = pending {
        print_pending(c);
    }
    Ok(())
}

fn print_pending(c: &RoleChange) {
    println!(
        "C{}: roles {} (rank {}) for {} await a second administrator: `lfr user approve C{}`",
        c.id,
        c.roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(","),
        c.rank,
        c.username,
        c.id
    );
}

pub fn run(g: &Global, cmd: UserCmd) -> Result<()> {
    block_on(async move {
        if let UserCmd::Bootstrap { username, name } = &cmd {
            let store = open(g, true).await?;
            let (u, token) = store.bootstrap(username, name).await?;
            return show_token(g, &u, &token, None);
        }
        if let UserCmd::Recover { username } = &cmd {
            let store = open(g, false).await?;
            let token = store.recover_administrator(username).await?;
            if g.json {
                return print_json(
                    &serde_json::json!({ "username": username, "token": token.as_str() }),
                );
            }
            println!(
                "new token for {username} (the old one no longer works; recorded in the audit log as done by the key holder):\n\n  {}\n",
                token.as_str()
            );
            return Ok(());
        }
        let (store, me) = signed_in(g).await?;
        match cmd {
            UserCmd::Bootstrap { .. } | UserCmd::Recover { .. } => unreachable!("handled above"),
            UserCmd::Add {
                username,
                name,
                role,
                rank,
            } => {
                let (u, token) = store
                    .create_user(
                        &me,
                        &NewUser {
                            username,
                            display_name: name,
                            roles: role,
                            rank,
                        },
                    )
                    .await?;
                let pending = store.pending_role_changes(&me).await?;
                show_token(g, &u, &token, pending.iter().find(|c| c.user == u.id))
            }
            UserCmd::Train {
                username,
                course,
                completed,
            } => {
                let u = store
                    .record_training(&me, &username, &course, parse_time(&completed)?)
                    .await?;
                if g.json {
                    print_json(&u)
                } else {
                    println!("recorded: {} completed {course}", u.username);
                    Ok(())
                }
            }
            UserCmd::Roles {
                username,
                role,
                rank,
            } => {
                let outcome = store.set_roles(&me, &username, &role, rank).await?;
                if g.json {
                    return print_json(&outcome);
                }
                match &outcome {
                    RolesOutcome::Applied { user: u } => println!(
                        "{} now has roles {} (rank {})",
                        u.username,
                        roles(u),
                        u.rank
                    ),
                    RolesOutcome::Pending { change } => print_pending(change),
                }
                Ok(())
            }
            UserCmd::Pending => {
                let changes = store.pending_role_changes(&me).await?;
                if g.json {
                    return print_json(&changes);
                }
                if changes.is_empty() {
                    println!("no role change awaits approval");
                }
                changes.iter().for_each(print_pending);
                Ok(())
            }
            UserCmd::Approve { change } => {
                let id: i64 = change.trim_start_matches(['C', 'c']).parse().map_err(|_| {
                    anyhow::anyhow!(
                        "`{change}` is not a role change such as C3 (`lfr user pending`)"
                    )
                })?;
                let u = store.approve_role_change(&me, id).await?;
                if g.json {
                    print_json(&u)
                } else {
                    println!(
                        "approved: {} now has roles {} (rank {})",
                        u.username,
                        roles(&u),
                        u.rank
                    );
                    Ok(())
                }
            }
            UserCmd::Token { username } => {
                let token = store.reissue_token(&me, &username).await?;
                if g.json {
                    print_json(
                        &serde_json::json!({ "username": username, "token": token.as_str() }),
                    )
                } else {
                    println!(
                        "new token for {username} (the old one no longer works):\n\n  {}\n",
                        token.as_str()
                    );
                    Ok(())
                }
            }
            UserCmd::Deactivate { username } => {
                store.set_active(&me, &username, false).await?;
                println!("{username} can no longer sign in");
                Ok(())
            }
            UserCmd::Activate { username } => {
                store.set_active(&me, &username, true).await?;
                println!("{username} can sign in again");
                Ok(())
            }
            UserCmd::List => {
                let users = store.list_users(&me).await?;
                if g.json {
                    return print_json(&users);
                }
                let rows: Vec<Vec<String>> = users
                    .iter()
                    .map(|u| {
                        vec![
                            format!("U{}", u.id),
                            u.username.clone(),
                            u.display_name.clone(),
                            u.rank.to_string(),
                            roles(u),
                            u.training
                                .as_ref()
                                .map(|t| format!("{} ({})", t.course, show_time(t.completed_on)))
                                .unwrap_or_else(|| "-".into()),
                            if u.active { "yes".into() } else { "no".into() },
                        ]
                    })
                    .collect();
                table(
                    &[
                        "id", "username", "name", "rank", "roles", "training", "active",
                    ],
                    &rows,
                );
                Ok(())
            }
            UserCmd::Whoami => {
                if g.json {
                    return print_json(&me);
                }
                fields(&[
                    ("user", format!("U{} {}", me.id, me.username)),
                    ("name", me.display_name.clone()),
                    ("rank", me.rank.to_string()),
                    ("roles", roles(&me)),
                    (
                        "training",
                        me.training
                            .as_ref()
                            .map(|t| t.course.clone())
                            .unwrap_or_else(|| "-".into()),
                    ),
                ]);
                Ok(())
            }
        }
    })
}
