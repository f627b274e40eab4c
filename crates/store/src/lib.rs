//! lfr's storage: the domain's records in SQL (SQLite by default; the SQL is
//! kept portable for PostgreSQL), subject data sealed with AES-256-GCM under
//! per-deployment keys, and the hash-chained audit log.
//!
//! Every operation here takes the acting [`User`], asks the domain's
//! [`policy`](lfr_domain::policy) whether it is allowed, and records the
//! answer, allowed or refused, in the audit log in the same transaction as
//! its effect: one path, `Store::act` in `gate.rs`. The CLI and the server are thin layers over these calls, so
//! a rule cannot be skipped by using one front end rather than the other.

use std::path::Path;
use std::sync::Arc;

use lfr_base::Clock;
use lfr_domain::Refusal;
use lfr_domain::audit::{AuditEvent, Outcome};
use lfr_domain::ids::DeploymentId;
use lfr_domain::policy::{self, Action};
use lfr_domain::retention::RetentionPolicy;
use lfr_domain::role::User;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyConnection, Row};

pub mod alerts;
pub mod audit;
pub mod blue_passes;
pub mod cameras;
pub mod crypto;
mod db;
pub mod deployments;
pub mod force;
mod gate;
pub mod import;
pub mod keyring;
mod keys;
mod migrate;
pub mod notices;
mod recognition;
pub mod reports;
pub mod retention;
pub mod role_changes;
pub mod schedule;
pub mod sessions;
mod sign_ins;
pub mod team;
pub mod templates;
pub mod users;
pub mod watchlists;

pub use keyring::{Keyring, MovedToToken, PIN_ENV, TOKEN_CONFIG, TokenConfig};

/// What can go wrong, each saying what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("not signed in: {0}")]
    Unauthenticated(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Crypto(String),
    #[error("the data of deployment D{0} has been crypto-shredded and cannot be recovered")]
    Shredded(DeploymentId),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database is behind the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The store: a connection pool, the operator's keyring and the clock.
pub struct Store {
    pool: sqlx::AnyPool,
    keys: Keyring,
    chain: audit::ChainKey,
    failed_sign_ins: sign_ins::FailedSignIns,
    clock: Arc<dyn Clock>,
    retention: RetentionPolicy,
    /// The only folder whose recordings retention registers and deletes.
    footage_dir: Option<std::path::PathBuf>,
    /// The recognition model new deployments get.
    new_deployments: lfr_domain::calibration::NewDeploymentModel,
    backend: Backend,
    /// PostgreSQL's URL, for listening to other processes' notices.
    shared_url: Option<String>,
}

/// Creates a new SQLite file readable by its owner only (SQLite gives its
/// WAL and shared-memory files the same mode); an existing file is left as
/// it is.
fn create_private(url: &str) -> Result<()> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() || path.starts_with(':') || Path::new(path).exists() {
        return Ok(());
    }
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    match o.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Invalid(format!(
            "cannot create the database {path}: {e}; check that its folder exists and is writable"
        ))),
    }
}

impl Store {
    /// Opens (and migrates) the database at `url` (`sqlite://PATH` or
    /// `postgres://...`), with the keyring in `keys`. `create` makes a new
    /// SQLite file and master key if they do not exist (used by bootstrap).
    pub async fn open(url: &str, keys: &Path, create: bool, clock: Arc<dyn Clock>) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::Invalid(format!(
                "unsupported database URL `{url}`; use sqlite://PATH or postgres://USER@HOST/DB"
            )));
        };
        if backend == Backend::Sqlite && create {
            create_private(url)?;
        }
        let url = match backend {
            Backend::Sqlite if create && !url.contains('?') => format!("{url}?mode=rwc"),
            _ => url.to_string(),
        };
        let opts = AnyPoolOptions::new();
        // One SQLite connection serialises writers: no lock-upgrade failures
        // between this process's own transactions.
        let opts = match backend {
            Backend::Sqlite => opts.max_connections(1).after_connect(|conn, _| {
                Box::pin(async move {
                    // Deleted content is overwritten with zeros, so purged
                    // data does not linger in the file's free space.
                    sqlx::query("PRAGMA secure_delete = ON")
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            }),
            Backend::Postgres => opts.max_connections(8),
        };
        let pool = opts.connect(&url).await.map_err(|e| match e {
            sqlx::Error::Database(ref d) if backend == Backend::Sqlite => StoreError::Invalid(format!(
                "cannot open the database {url}: {d}. Create it with `lfr user bootstrap`, or pass --db (LFR_DB)"
            )),
            e => StoreError::Db(e),
        })?;
        if backend == Backend::Sqlite {
            // WAL is a property of the file and persists. sqlx already opens every
            // SQLite connection with foreign_keys=ON, a 5 s busy timeout and SQLite's
            // default synchronous=FULL: a committed (acknowledged) write survives a
            // crash or power cut.
            sqlx::query("PRAGMA journal_mode=WAL")
                .execute(&pool)
                .await?;
        }
        migrate::run(&pool, backend).await?;
        let keys = Keyring::open(keys, create)?;
        let store = Self {
            pool,
            chain: keys.chain_key(),
            failed_sign_ins: Default::default(),
            keys,
            clock,
            retention: RetentionPolicy::default(),
            footage_dir: None,
            new_deployments: lfr_domain::calibration::NewDeploymentModel::builtin(),
            backend,
            shared_url: (backend == Backend::Postgres).then(|| url.clone()),
        };
        store.record_unkeyed_audit_entries().await?;
        Ok(store)
    }

    /// After a purge: SQLite copies the write-ahead log into the database
    /// (where secure delete has zeroed what was removed) and truncates it,
    /// so no older copy of a purged page survives in the log. PostgreSQL
    /// keeps dead rows until vacuum; what they held was sealed under the
    /// deployment's data key, which retention shreds.
    pub(crate) async fn flush_deleted(&self) -> Result<()> {
        if self.backend == Backend::Sqlite {
            let r = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&self.pool)
                .await?;
            if r.try_get::<i64, _>(0)? != 0 {
                return Err(StoreError::Invalid(
                    "the purge is done, but another process was reading the database, so the write-ahead log (lfr.db-wal) could not be truncated and may still hold older copies of purged pages; run `lfr retention run` again when the database is idle".into(),
                ));
            }
        }
        Ok(())
    }

    /// Closes the database connections: every later call fails. For an
    /// orderly stop, and for tests of a lost database.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn clock(&self) -> &dyn Clock {
        &*self.clock
    }

    /// The clock, for those that keep time beside the store (sessions).
    pub fn shared_clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    pub fn retention_policy(&self) -> RetentionPolicy {
        self.retention
    }

    /// The recognition model new deployments get (the built-in descriptor
    /// unless set): the product's default, or the one the applicant named.
    /// An application is refused if the model's licence forbids
    /// operational use or its calibration is not shown to hold (a
    /// deployment takes such a model only through
    /// [`Store::set_recognition`]). Existing deployments keep theirs.
    pub fn set_new_deployment_model(&mut self, model: lfr_domain::calibration::NewDeploymentModel) {
        self.new_deployments = model;
    }

    /// Confines footage to `dir`: recordings outside it are neither
    /// registered nor deleted.
    pub fn set_footage_dir(&mut self, dir: std::path::PathBuf) {
        self.footage_dir = Some(dir);
    }

    /// Shortens the retention periods (a force may keep less, never more).
    pub fn set_retention_policy(&mut self, p: RetentionPolicy) -> Result<()> {
        let d = RetentionPolicy::default();
        if p.alert_personal_data > d.alert_personal_data
            || p.watchlist_after_end > d.watchlist_after_end
            || p.footage > d.footage
        {
            return Err(StoreError::Invalid(
                "retention periods may be shortened, never lengthened beyond the APP's".into(),
            ));
        }
        self.retention = p;
        Ok(())
    }

    /// Now, to the millisecond: times are stored to the millisecond, so what
    /// an action returns is what a later read gives back.
    pub(crate) fn now(&self) -> lfr_base::Timestamp {
        db::ts(db::ms(self.clock.now()))
    }

    pub(crate) async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(self.pool.begin().await?)
    }

    pub(crate) fn event(
        &self,
        actor: &User,
        action: &str,
        target: &str,
        outcome: Outcome,
        detail: String,
    ) -> AuditEvent {
        AuditEvent {
            at: self.now(),
            actor: actor.username.clone(),
            action: action.to_string(),
            target: target.to_string(),
            outcome,
            detail,
        }
    }

    /// Records an allowed action inside the transaction that performs it.
    pub(crate) async fn allowed(
        &self,
        conn: &mut AnyConnection,
        actor: &User,
        action: &str,
        target: &str,
        detail: impl Into<String>,
    ) -> Result<()> {
        let ev = self.event(actor, action, target, Outcome::Allowed, detail.into());
        self.audit(conn, &ev).await
    }

    /// Appends `ev` to the audit chain inside the caller's transaction.
    pub(crate) async fn audit(&self, conn: &mut AnyConnection, ev: &AuditEvent) -> Result<()> {
        audit::append(conn, &self.chain, ev).await
    }

    /// Records a refusal in its own transaction and returns the refusal as
    /// the error. Call only when no transaction of this store is open.
    pub(crate) async fn refused(
        &self,
        actor: &User,
        action: &str,
        target: &str,
        r: Refusal,
    ) -> StoreError {
        let ev = self.event(
            actor,
            action,
            target,
            Outcome::Refused,
            format!("{}: {}", r.rule, r.message),
        );
        match self.audit_alone(&ev).await {
            Ok(()) => StoreError::Refused(r),
            Err(e) => e,
        }
    }

    /// Appends `ev` in a transaction of its own: for what is recorded
    /// without an action to commit with (refusals, failed sign-ins).
    pub(crate) async fn audit_alone(&self, ev: &AuditEvent) -> Result<()> {
        let mut tx = self.begin().await?;
        self.audit(&mut tx, ev).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Refuses unless the actor's role allows `action`, and allows it on
    /// what `target` names: the deployment's team, or a force-wide role
    /// ([`team`]).
    pub(crate) async fn permit(
        &self,
        actor: &User,
        action: Action,
        audit_action: &str,
        target: &str,
    ) -> Result<()> {
        let verdict = match policy::role_permits(actor, action) {
            Ok(()) => self.object_permits(actor, action, target).await?,
            Err(r) => Err(r),
        };
        match verdict {
            Ok(()) => Ok(()),
            Err(r) => Err(self.refused(actor, audit_action, target, r).await),
        }
    }

    /// Rolls back `tx`, audits the refusal, returns it as the error.
    pub(crate) async fn refuse<T>(
        &self,
        tx: sqlx::Transaction<'static, sqlx::Any>,
        actor: &User,
        action: &str,
        target: &str,
        r: Refusal,
    ) -> Result<T> {
        tx.rollback().await?;
        Err(self.refused(actor, action, target, r).await)
    }

    pub(crate) fn keys(&self) -> &Keyring {
        &self.keys
    }

    /// Raw pool, for tests that play the part of an attacker with database access.
    #[doc(hidden)]
    pub fn pool_for_tests(&self) -> &sqlx::AnyPool {
        &self.pool
    }

    pub fn keys_for_tests(&self) -> &Keyring {
        &self.keys
    }
}
