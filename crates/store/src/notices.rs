//! Notices between processes that share one PostgreSQL database (several
//! `lfr serve` nodes): short texts on one `LISTEN`/`NOTIFY` channel, so that
//! an alert or a state change made on one node reaches the others' consoles
//! at once, without any node polling the store.
//!
//! A notice names what changed; it never carries personal data, because
//! PostgreSQL queues notifications in files of its own. Receivers read the
//! object itself from the store ([`Store::alert_to_relay`]).

use lfr_domain::alert::Alert;
use lfr_domain::blue::BluePass;
use lfr_domain::ids::{AlertId, BluePassId};
use sqlx::Row;
use sqlx::postgres::PgListener;

use crate::{Backend, Result, Store, StoreError};

/// The channel every node listens on.
pub const CHANNEL: &str = "lfr_events";

/// PostgreSQL's limit on a notice is 8,000 bytes; ours stay far below.
pub const MAX_NOTICE: usize = 7_900;

/// The notices other processes send, in the order the database delivers them.
pub struct Notices {
    listener: PgListener,
}

/// What [`Notices::next`] gives.
#[derive(Debug)]
pub enum Heard {
    Notice(String),
    /// The connection to the database was lost and has been made again:
    /// notices sent meanwhile are lost, so re-read what matters.
    Reconnected,
}

impl Notices {
    pub async fn next(&mut self) -> Result<Heard> {
        match self.listener.try_recv().await? {
            Some(n) => Ok(Heard::Notice(n.payload().to_string())),
            None => Ok(Heard::Reconnected),
        }
    }
}

impl Store {
    /// Whether other processes can share this database (PostgreSQL).
    pub fn shared(&self) -> bool {
        self.backend == Backend::Postgres
    }

    /// Sends `text` to every process listening on this database. Nothing
    /// to do on SQLite, which one process uses at a time.
    pub async fn notify(&self, text: &str) -> Result<()> {
        if !self.shared() {
            return Ok(());
        }
        if text.len() > MAX_NOTICE {
            return Err(StoreError::Invalid(format!(
                "a notice of {} bytes is over the {MAX_NOTICE}-byte limit",
                text.len()
            )));
        }
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(text)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Listens for other processes' notices (PostgreSQL); `None` on SQLite.
    pub async fn listen(&self) -> Result<Option<Notices>> {
        let Some(url) = self.shared_url.as_deref() else {
            return Ok(None);
        };
        let mut listener = PgListener::connect(url).await?;
        listener.listen(CHANNEL).await?;
        Ok(Some(Notices { listener }))
    }

    /// An alert, to pass on as an event another node announced. Not an
    /// audited view: no person sees it through this call, and the event
    /// streams show an alert's detail only to the roles that may view alerts.
    pub async fn alert_to_relay(&self, id: AlertId) -> Result<Alert> {
        let mut conn = self.pool.acquire().await?;
        crate::alerts::load(&mut conn, self.keys(), id).await
    }

    /// Alerts with ids after `after` up to `upto`, oldest first: for a node
    /// to announce what it missed (a notice lost while the database
    /// restarted, a node killed between its commit and its notice). Not
    /// audited, as [`Store::alert_to_relay`].
    pub async fn alerts_to_relay_between(
        &self,
        after: AlertId,
        upto: AlertId,
    ) -> Result<Vec<Alert>> {
        let rows = sqlx::query("SELECT * FROM alerts WHERE id > $1 AND id <= $2 ORDER BY id")
            .bind(after.0)
            .bind(upto.0)
            .fetch_all(&self.pool)
            .await?;
        let mut alerts = rows
            .iter()
            .map(|r| crate::alerts::row_with_notes(self.keys(), r))
            .collect::<Result<Vec<_>>>()?;
        let mut conn = self.pool.acquire().await?;
        crate::alerts::attach_sightings(&mut conn, &mut alerts).await?;
        Ok(alerts)
    }

    /// The newest alert's id (0 when there is none).
    pub async fn last_alert_id(&self) -> Result<AlertId> {
        let r = sqlx::query("SELECT COALESCE(MAX(id), 0) FROM alerts")
            .fetch_one(&self.pool)
            .await?;
        Ok(AlertId(r.try_get::<i64, _>(0)?))
    }

    /// A Blue Watchlist pass, to pass on as [`Store::alert_to_relay`] does.
    pub async fn blue_pass_to_relay(&self, id: BluePassId) -> Result<BluePass> {
        let mut conn = self.pool.acquire().await?;
        crate::blue_passes::load(&mut conn, id).await
    }
}
