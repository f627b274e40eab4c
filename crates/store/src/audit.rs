//! The audit log: append-only and hash-chained.
//!
//! Entry `n` stores `hash_n = SHA-256(JSON[seq, at, actor, action, target,
//! outcome, detail, hash_{n-1}])`, starting from 64 zeros. Changing,
//! inserting or deleting any entry breaks the chain from that entry on, and
//! [`Store::verify_audit`] names the first entry that does not check out.
//! Removing entries from the end leaves a shorter valid chain: compare the
//! head hash with one recorded elsewhere (`lfr audit verify --expect-head`).

use lfr_domain::audit::{AuditEvent, Outcome};
use lfr_domain::policy::Action;
use lfr_domain::role::User;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use crate::db::{ms, parse, ts};
use crate::{Result, Store};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    #[serde(flatten)]
    pub event: AuditEvent,
    pub prev_hash: String,
    pub hash: String,
}

/// The result of checking the chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verification {
    pub entries: u64,
    /// Hash of the last entry: record it elsewhere to detect truncation later.
    pub head: String,
    pub first_tampered: Option<Tampered>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tampered {
    pub seq: i64,
    pub reason: String,
}

fn entry_hash(seq: i64, e: &AuditEvent, prev: &str) -> String {
    let canonical = serde_json::to_string(&(
        seq,
        ms(e.at),
        &e.actor,
        &e.action,
        &e.target,
        e.outcome.as_str(),
        &e.detail,
        prev,
    ))
    .expect("strings serialise");
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// Appends an entry inside the caller's transaction, so the record of an
/// action commits (or not) with the action itself.
pub(crate) async fn append(conn: &mut AnyConnection, e: &AuditEvent) -> Result<()> {
    if conn.backend_name() == "PostgreSQL" {
        // Concurrent writers queue here, so no two entries claim the same place in
        // the chain. (SQLite's single writer already serialises them.)
        sqlx::query("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *conn)
            .await?;
    }
    let last = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    let (seq, prev) = match last {
        Some(r) => (r.try_get::<i64, _>(0)? + 1, r.try_get::<String, _>(1)?),
        None => (1, GENESIS.to_string()),
    };
    let hash = entry_hash(seq, e, &prev);
    sqlx::query(
        "INSERT INTO audit_log (seq, at_ms, actor, action, target, outcome, detail, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(seq)
    .bind(ms(e.at))
    .bind(&e.actor)
    .bind(&e.action)
    .bind(&e.target)
    .bind(e.outcome.as_str())
    .bind(&e.detail)
    .bind(&prev)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn row_to_entry(r: &sqlx::any::AnyRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        seq: r.try_get("seq")?,
        event: AuditEvent {
            at: ts(r.try_get("at_ms")?),
            actor: r.try_get("actor")?,
            action: r.try_get("action")?,
            target: r.try_get("target")?,
            outcome: parse::<Outcome>(&r.try_get::<String, _>("outcome")?)?,
            detail: r.try_get("detail")?,
        },
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub target: Option<String>,
    pub actor: Option<String>,
    pub refused_only: bool,
    pub limit: i64,
}

impl Store {
    /// Checks the whole chain. Needs the Auditor or Administrator role; the
    /// check itself is audited.
    pub async fn verify_audit(&self, actor: &User) -> Result<Verification> {
        self.permit(actor, Action::ReadAudit, "audit.verify", "audit_log")
            .await?;
        let v = self.verify_chain().await?;
        let mut tx = self.begin().await?;
        let detail = match &v.first_tampered {
            None => format!("{} entries intact", v.entries),
            Some(t) => format!("tampering detected at entry {}: {}", t.seq, t.reason),
        };
        self.allowed(&mut tx, actor, "audit.verify", "audit_log", detail)
            .await?;
        tx.commit().await?;
        Ok(v)
    }

    /// The chain check itself, for callers that have already been authorised.
    pub async fn verify_chain(&self) -> Result<Verification> {
        let rows = sqlx::query("SELECT * FROM audit_log ORDER BY seq")
            .fetch_all(&self.pool)
            .await?;
        let mut prev = GENESIS.to_string();
        let mut first_tampered = None;
        for (expected_seq, r) in (1i64..).zip(rows.iter()) {
            let e = match row_to_entry(r) {
                Ok(e) => e,
                Err(err) => {
                    let seq = r.try_get::<i64, _>("seq").unwrap_or(expected_seq);
                    first_tampered = Some(Tampered {
                        seq,
                        reason: format!("entry is unreadable: {err}"),
                    });
                    break;
                }
            };
            let reason = if e.seq != expected_seq {
                Some(format!(
                    "expected entry {expected_seq} here, found {} (entries removed or inserted)",
                    e.seq
                ))
            } else if e.prev_hash != prev {
                Some("its link to the previous entry does not match (an entry before it was removed or replaced)".into())
            } else if entry_hash(e.seq, &e.event, &e.prev_hash) != e.hash {
                Some("its contents do not match its hash (the entry was altered)".into())
            } else {
                None
            };
            if let Some(reason) = reason {
                first_tampered = Some(Tampered {
                    seq: expected_seq.min(e.seq),
                    reason,
                });
                break;
            }
            prev = e.hash;
        }
        Ok(Verification {
            entries: rows.len() as u64,
            head: prev,
            first_tampered,
        })
    }

    /// Lists entries, newest first.
    pub async fn audit_entries(&self, actor: &User, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
        self.permit(actor, Action::ReadAudit, "audit.read", "audit_log")
            .await?;
        let rows = sqlx::query(
            "SELECT * FROM audit_log
             WHERE ($1 = '' OR target = $1) AND ($2 = '' OR actor = $2) AND ($3 = 0 OR outcome = 'refused')
             ORDER BY seq DESC LIMIT $4",
        )
        .bind(f.target.clone().unwrap_or_default())
        .bind(f.actor.clone().unwrap_or_default())
        .bind(i64::from(f.refused_only))
        .bind(if f.limit > 0 { f.limit } else { 50 })
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row_to_entry).collect()
    }
}
