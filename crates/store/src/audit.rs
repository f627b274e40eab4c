//! The audit log: append-only and chained under a key.
//!
//! Entry `n` stores `hash_n = HMAC-SHA256(K, JSON[seq, at, actor, action,
//! target, outcome, detail, hash_{n-1}])`, starting from 64 zeros, where `K`
//! is derived from the operator's master key (kept in the key directory,
//! never in the database). Changing, inserting or deleting any entry breaks
//! the chain from that entry on, and without `K` nobody can recompute it:
//! [`Store::verify_chain`] names the first entry that does not check out.
//!
//! Cutting entries off the end leaves a shorter valid chain, so the head is
//! anchored elsewhere: a [`Checkpoint`] (sequence number and head, signed
//! under `K`) is printed by every verification and in deployment records;
//! an auditor who kept one checks it later with `lfr audit verify
//! --checkpoint`, which catches rewriting and truncation up to it.
//!
//! Entries written before the chain was keyed (plain SHA-256) still verify,
//! but only as the chain's first entries and no more of them than the key
//! directory recorded when it first met the database; they are counted
//! apart ([`Verification::unkeyed`]).

use futures_util::TryStreamExt;
use hmac::{Hmac, Mac};
use lfr_domain::audit::{AuditEvent, Outcome};
use lfr_domain::policy::Action;
use lfr_domain::role::User;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};
use zeroize::Zeroizing;

use crate::db::{ms, parse, ts};
use crate::{Result, Store, StoreError};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The key of the chain and its checkpoints.
#[derive(Clone)]
pub struct ChainKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChainKey(..)")
    }
}

impl ChainKey {
    /// What the master key signs to give the chain's key.
    pub(crate) const DERIVATION: &'static [u8] = b"lfr audit chain v1";

    /// Derived from the master key, so it lives (and is backed up) with it.
    pub(crate) fn derive(master: &[u8; 32]) -> Self {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(master).expect("any key length");
        m.update(Self::DERIVATION);
        Self(Zeroizing::new(m.finalize().into_bytes().into()))
    }

    /// As a token derived it: HMAC-SHA-256 of [`Self::DERIVATION`] under the master key.
    pub(crate) fn from_derived(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    pub(crate) fn same_as(&self, other: &Self) -> bool {
        self.0[..] == other.0[..]
    }

    fn hmac(&self, label: &str, text: &str) -> Hmac<Sha256> {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.0[..]).expect("any key length");
        m.update(label.as_bytes());
        m.update(&[0]);
        m.update(text.as_bytes());
        m
    }

    fn mac(&self, label: &str, text: &str) -> String {
        hex::encode(self.hmac(label, text).finalize().into_bytes())
    }

    /// Whether `mac_hex` is the MAC of `text`, compared in constant time.
    fn verifies(&self, label: &str, text: &str, mac_hex: &str) -> bool {
        hex::decode(mac_hex).is_ok_and(|m| self.hmac(label, text).verify_slice(&m).is_ok())
    }
}

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
    /// Hash of the last entry.
    pub head: String,
    /// The head, signed: keep it elsewhere to detect rewriting and truncation later.
    pub checkpoint: Checkpoint,
    /// Leading entries from before the chain was keyed (plain SHA-256).
    pub unkeyed: u64,
    pub first_tampered: Option<Tampered>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tampered {
    pub seq: i64,
    pub reason: String,
}

/// A signed statement that entry `seq` of the chain had hash `head`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub head: String,
    pub mac: String,
}

impl Checkpoint {
    const LABEL: &'static str = "lfr audit checkpoint v1";

    fn new(key: &ChainKey, seq: i64, head: &str) -> Self {
        Self {
            seq,
            head: head.to_string(),
            mac: key.mac(Self::LABEL, &format!("{seq}:{head}")),
        }
    }

    fn signed_by(&self, key: &ChainKey) -> bool {
        key.verifies(
            Self::LABEL,
            &format!("{}:{}", self.seq, self.head),
            &self.mac,
        )
    }

    /// Parses `SEQ:HEAD:MAC`, the form [`Checkpoint`]'s `Display` prints.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = || {
            StoreError::Invalid(format!(
                "`{text}` is not a checkpoint; give it as printed by `lfr audit verify`: SEQ:HEAD:MAC"
            ))
        };
        let mut parts = text.trim().split(':');
        let (Some(seq), Some(head), Some(mac), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let hex64 = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
        if !(hex64(head) && hex64(mac)) {
            return Err(bad());
        }
        Ok(Self {
            seq: seq.parse().map_err(|_| bad())?,
            head: head.to_ascii_lowercase(),
            mac: mac.to_ascii_lowercase(),
        })
    }
}

impl std::fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.seq, self.head, self.mac)
    }
}

fn canonical(seq: i64, e: &AuditEvent, prev: &str) -> String {
    serde_json::to_string(&(
        seq,
        ms(e.at),
        &e.actor,
        &e.action,
        &e.target,
        e.outcome.as_str(),
        &e.detail,
        prev,
    ))
    .expect("strings serialise")
}

fn entry_hash(key: &ChainKey, seq: i64, e: &AuditEvent, prev: &str) -> String {
    key.mac("lfr audit entry v1", &canonical(seq, e, prev))
}

/// The hash of an entry written before the chain was keyed.
fn unkeyed_hash(seq: i64, e: &AuditEvent, prev: &str) -> String {
    hex::encode(Sha256::digest(canonical(seq, e, prev).as_bytes()))
}

/// Appends an entry inside the caller's transaction, so the record of an
/// action commits (or not) with the action itself.
pub(crate) async fn append(conn: &mut AnyConnection, key: &ChainKey, e: &AuditEvent) -> Result<()> {
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
    let hash = entry_hash(key, seq, e, &prev);
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
    /// Checks the whole chain, and `checkpoint` if given. Needs the Auditor
    /// or Administrator role (a refusal is audited). Checking the chain does
    /// not add to it, so its head and checkpoint stay comparable.
    pub async fn verify_audit(
        &self,
        actor: &User,
        checkpoint: Option<&Checkpoint>,
    ) -> Result<Verification> {
        self.permit(actor, Action::ReadAudit, "audit.verify", "audit_log")
            .await?;
        let mut v = self.verify_chain().await?;
        if v.first_tampered.is_none()
            && let Some(c) = checkpoint
        {
            v.first_tampered = self.check_checkpoint(c, v.entries).await?;
        }
        Ok(v)
    }

    /// Whether `c` was signed by this operator's key and the chain still
    /// holds its head at its place.
    async fn check_checkpoint(&self, c: &Checkpoint, entries: u64) -> Result<Option<Tampered>> {
        let tampered = |reason: String| Ok(Some(Tampered { seq: c.seq, reason }));
        if !c.signed_by(&self.chain) {
            return tampered(
                "the checkpoint was not signed with this system's audit key (forged, mistyped, or from another system)".into(),
            );
        }
        if c.seq > entries as i64 {
            return tampered(format!(
                "the checkpoint is of entry {}, but the chain now ends at entry {entries}: entries were cut off the end",
                c.seq
            ));
        }
        let at: Option<String> = sqlx::query("SELECT hash FROM audit_log WHERE seq = $1")
            .bind(c.seq)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        if at.as_deref() != Some(c.head.as_str()) {
            return tampered(format!(
                "entry {} no longer has the hash the checkpoint signed: the chain was rewritten up to it",
                c.seq
            ));
        }
        Ok(None)
    }

    /// The signed head of the chain now, to keep outside the system (a
    /// deployment record, a report). Says nothing about what the entries hold.
    pub async fn audit_checkpoint(&self) -> Result<Checkpoint> {
        let mut conn = self.pool.acquire().await?;
        self.checkpoint_in(&mut conn).await
    }

    /// The signed head as `conn` sees it (inside a transaction: with its entries).
    pub(crate) async fn checkpoint_in(&self, conn: &mut AnyConnection) -> Result<Checkpoint> {
        let last = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
        let (seq, head) = match last {
            Some(r) => (r.try_get::<i64, _>(0)?, r.try_get::<String, _>(1)?),
            None => (0, GENESIS.to_string()),
        };
        Ok(Checkpoint::new(&self.chain, seq, &head))
    }

    /// On the first opening with this key directory, records how many
    /// entries predate the keyed chain (all of them, for a database made by
    /// an earlier lfr; none for a new one). Later, unkeyed entries beyond
    /// that count are tampering, not history.
    pub(crate) async fn record_unkeyed_audit_entries(&self) -> Result<()> {
        if self.keys().unkeyed_audit_entries()?.is_some() {
            return Ok(());
        }
        let v = self.check_chain(u64::MAX).await?;
        self.keys().record_unkeyed_audit_entries(v.unkeyed)
    }

    /// The chain check itself, for callers that have already been
    /// authorised. Reads the log as a stream, one entry at a time.
    pub async fn verify_chain(&self) -> Result<Verification> {
        let allowed = self.keys().unkeyed_audit_entries()?.unwrap_or(0);
        self.check_chain(allowed).await
    }

    async fn check_chain(&self, allowed_unkeyed: u64) -> Result<Verification> {
        let mut rows = sqlx::query("SELECT * FROM audit_log ORDER BY seq").fetch(&self.pool);
        let mut prev = GENESIS.to_string();
        let (mut entries, mut unkeyed, mut keyed_seen) = (0u64, 0u64, false);
        let mut first_tampered = None;
        let mut expected_seq = 1i64;
        while let Some(r) = rows.try_next().await? {
            entries += 1;
            if first_tampered.is_some() {
                continue; // count the rest
            }
            let e = match row_to_entry(&r) {
                Ok(e) => e,
                Err(err) => {
                    let seq = r.try_get::<i64, _>("seq").unwrap_or(expected_seq);
                    first_tampered = Some(Tampered {
                        seq,
                        reason: format!("entry is unreadable: {err}"),
                    });
                    continue;
                }
            };
            let keyed = entry_hash(&self.chain, e.seq, &e.event, &e.prev_hash) == e.hash;
            let reason = if e.seq != expected_seq {
                Some(format!(
                    "expected entry {expected_seq} here, found {} (entries removed or inserted)",
                    e.seq
                ))
            } else if e.prev_hash != prev {
                Some("its link to the previous entry does not match (an entry before it was removed or replaced)".into())
            } else if keyed {
                keyed_seen = true;
                None
            } else if !keyed_seen
                && unkeyed < allowed_unkeyed
                && unkeyed_hash(e.seq, &e.event, &e.prev_hash) == e.hash
            {
                unkeyed += 1;
                None
            } else {
                Some("its contents do not match its keyed hash (the entry was altered, or its hash recomputed without the key)".into())
            };
            if let Some(reason) = reason {
                first_tampered = Some(Tampered {
                    seq: expected_seq.min(e.seq),
                    reason,
                });
                continue;
            }
            prev = e.hash;
            expected_seq += 1;
        }
        let last = expected_seq - 1;
        Ok(Verification {
            entries,
            checkpoint: Checkpoint::new(&self.chain, last, &prev),
            head: prev,
            unkeyed,
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
