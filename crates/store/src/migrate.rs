//! Schema migrations: one file per step in `migrations/`, applied in order,
//! each in its own transaction, recorded in `schema_migrations`.

use sqlx::Row;

use crate::db::ms;
use crate::{Backend, Result, StoreError};

struct Step {
    version: i64,
    name: &'static str,
    /// Portable SQL (BLOB is rewritten to BYTEA for PostgreSQL).
    common: Option<&'static str>,
    sqlite: Option<&'static str>,
    postgres: Option<&'static str>,
}

const STEPS: &[Step] = &[
    Step {
        version: 1,
        name: "initial",
        common: Some(include_str!("../migrations/0001_initial.sql")),
        sqlite: None,
        postgres: None,
    },
    Step {
        version: 2,
        name: "audit_append_only",
        common: None,
        sqlite: Some(include_str!(
            "../migrations/0002_audit_append_only.sqlite.sql"
        )),
        postgres: Some(include_str!(
            "../migrations/0002_audit_append_only.postgres.sql"
        )),
    },
    Step {
        version: 3,
        name: "blue_pass_marking",
        common: Some(include_str!("../migrations/0003_blue_pass_marking.sql")),
        sqlite: None,
        postgres: None,
    },
    Step {
        version: 4,
        name: "deployment_algorithm",
        common: Some(include_str!("../migrations/0004_deployment_algorithm.sql")),
        sqlite: None,
        postgres: None,
    },
    Step {
        version: 5,
        name: "recognition_sessions",
        common: Some(include_str!("../migrations/0005_recognition_sessions.sql")),
        sqlite: None,
        postgres: None,
    },
    Step {
        version: 6,
        name: "role_changes",
        common: Some(include_str!("../migrations/0006_role_changes.sql")),
        sqlite: None,
        postgres: None,
    },
    Step {
        version: 7,
        name: "sealed_notes",
        common: Some(include_str!("../migrations/0007_sealed_notes.sql")),
        sqlite: None,
        postgres: None,
    },
    Step {
        version: 8,
        name: "token_issued",
        common: None,
        sqlite: Some(include_str!("../migrations/0008_token_issued.sqlite.sql")),
        postgres: Some(include_str!("../migrations/0008_token_issued.postgres.sql")),
    },
    Step {
        version: 9,
        name: "calibration_pinned",
        common: Some(include_str!("../migrations/0009_calibration_pinned.sql")),
        sqlite: None,
        postgres: None,
    },
    Step {
        version: 10,
        name: "alert_repeats",
        common: Some(include_str!("../migrations/0010_alert_repeats.sql")),
        sqlite: None,
        postgres: None,
    },
    Step {
        version: 11,
        name: "retention_runs",
        common: Some(include_str!("../migrations/0011_retention_runs.sql")),
        sqlite: None,
        postgres: None,
    },
    Step {
        version: 12,
        name: "cameras",
        common: Some(include_str!("../migrations/0012_cameras.sql")),
        sqlite: None,
        postgres: None,
    },
    Step {
        version: 13,
        name: "deployment_team",
        common: Some(include_str!("../migrations/0013_deployment_team.sql")),
        sqlite: None,
        postgres: None,
    },
    Step {
        version: 14,
        name: "session_closing",
        common: Some(include_str!("../migrations/0014_session_closing.sql")),
        sqlite: None,
        postgres: None,
    },
    Step {
        version: 15,
        name: "alert_sightings",
        common: Some(include_str!("../migrations/0015_alert_sightings.sql")),
        sqlite: None,
        postgres: None,
    },
    Step {
        version: 16,
        name: "force_notice",
        common: Some(include_str!("../migrations/0016_force_notice.sql")),
        sqlite: None,
        postgres: None,
    },
];

/// Which PostgreSQL advisory lock serialises migrations: several nodes
/// starting at once on one database upgrade it one after another.
const MIGRATION_LOCK: i64 = 0x6c66_725f_6d69_6772; // "lfr_migr"

pub(crate) async fn run(pool: &sqlx::AnyPool, backend: Backend) -> Result<()> {
    let mut conn = pool.acquire().await?;
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
    }
    let done = apply(&mut conn, backend).await;
    if backend == Backend::Postgres {
        // A session-level lock outlives the call: release it, whatever happened.
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
    }
    done
}

async fn apply(conn: &mut sqlx::AnyConnection, backend: Backend) -> Result<()> {
    use sqlx::Connection;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_ms BIGINT NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    let applied: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<std::result::Result<_, _>>()?;
    let current = applied.iter().copied().max().unwrap_or(0);
    let latest = STEPS.last().map_or(0, |s| s.version);
    if current > latest {
        return Err(StoreError::Invalid(format!(
            "the database is at schema version {current}, newer than this lfr understands ({latest}); upgrade lfr"
        )));
    }
    // Every step not yet applied, in order: a database made by a
    // development build may hold a later step without an earlier one.
    for step in STEPS.iter().filter(|s| !applied.contains(&s.version)) {
        let sql = match (backend, step.common) {
            (Backend::Sqlite, Some(c)) => c.to_string(),
            (Backend::Postgres, Some(c)) => c.replace("BLOB", "BYTEA"),
            (Backend::Sqlite, None) => step.sqlite.unwrap_or_default().to_string(),
            (Backend::Postgres, None) => step.postgres.unwrap_or_default().to_string(),
        };
        let mut tx = conn.begin().await?;
        sqlx::raw_sql(&sql).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_ms) VALUES ($1, $2, $3)",
        )
        .bind(step.version)
        .bind(step.name)
        .bind(ms(lfr_base::Timestamp::now()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    }
    Ok(())
}
