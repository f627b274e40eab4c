//! Small helpers over sqlx's `Any` driver, which keeps one query text
//! working on SQLite and PostgreSQL (`$1` placeholders, plain types).

use lfr_base::Timestamp;
use sqlx::{AnyConnection, Row};

use crate::{Result, StoreError};

pub(crate) fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

pub(crate) fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

pub(crate) fn opt_ts(ms: Option<i64>) -> Option<Timestamp> {
    ms.map(ts)
}

/// Next id for a table, atomically, on either database.
pub(crate) async fn next_id(conn: &mut AnyConnection, name: &str) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO counters (name, next_id) VALUES ($1, 1)
         ON CONFLICT (name) DO UPDATE SET next_id = counters.next_id + 1
         RETURNING next_id",
    )
    .bind(name)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get::<i64, _>(0)?)
}

pub(crate) fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("domain values serialise")
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T> {
    serde_json::from_str(s)
        .map_err(|e| StoreError::Invalid(format!("stored {what} is unreadable: {e}")))
}

pub(crate) fn parse<T: std::str::FromStr<Err = String>>(s: &str) -> Result<T> {
    s.parse().map_err(StoreError::Invalid)
}
