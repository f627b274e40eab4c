//! What the domain commands share: opening the store, signing in, reading
//! times, and printing tables or JSON.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use lfr_base::{RealClock, Timestamp};
use lfr_domain::role::User;
use lfr_store::Store;

use crate::Global;

/// Runs an async command body on a small runtime.
pub fn block_on<F: std::future::Future<Output = Result<()>>>(f: F) -> Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(f)
}

fn data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("lfr");
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| ".".into());
    PathBuf::from(home).join(".local/share/lfr")
}

pub fn db_url(g: &Global) -> String {
    g.db.clone()
        .unwrap_or_else(|| format!("sqlite://{}", data_dir().join("lfr.db").display()))
}

fn config_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("lfr");
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| ".".into());
    PathBuf::from(home).join(".config/lfr")
}

/// The key directory: `--keys`, or by default `$XDG_CONFIG_HOME/lfr/keys`,
/// away from the data folder, so that a backup or copy of the database's
/// folder does not carry the keys that open it. Keys left at the old
/// default, inside the data folder, are still used, with a warning.
pub fn keys_dir(g: &Global) -> PathBuf {
    if let Some(k) = &g.keys {
        return k.clone();
    }
    let (new, old) = (config_dir().join("keys"), data_dir().join("keys"));
    if !new.exists() && old.exists() {
        eprintln!(
            "warning: the keys are in the data folder ({}), so a backup of that folder carries them; move them to {} (or point --keys, LFR_KEYS, elsewhere)",
            old.display(),
            new.display()
        );
        return old;
    }
    new
}

/// Opens the store; `create` makes a new database and master key (bootstrap only).
pub async fn open(g: &Global, create: bool) -> Result<Store> {
    let url = db_url(g);
    if let Some(path) = url.strip_prefix("sqlite://") {
        let file = std::path::Path::new(path.split('?').next().unwrap_or(path));
        if create && let Some(dir) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        if !create && !file.exists() {
            let p = file.display();
            bail!(
                "no database at {p}. Create one with `lfr user bootstrap --username NAME --name \"FULL NAME\"`, or point --db (LFR_DB) at it"
            );
        }
    }
    let mut store = Store::open(&url, &keys_dir(g), create, Arc::new(RealClock)).await?;
    store.set_footage_dir(
        g.footage_dir
            .clone()
            .unwrap_or_else(|| data_dir().join("footage")),
    );
    Ok(store)
}

/// Opens the store and signs in with the token from --token / LFR_TOKEN.
pub async fn signed_in(g: &Global) -> Result<(Store, User)> {
    let store = open(g, false).await?;
    let Some(token) = g.token.as_deref().filter(|t| !t.trim().is_empty()) else {
        bail!(
            "not signed in: set LFR_TOKEN (or pass --token) to the token issued to you by `lfr user add` or `lfr user token`"
        );
    };
    let user = store.authenticate(token).await?;
    Ok((store, user))
}

/// Reads a time: `now`, `+2h` / `+30m` / `+3d` from now, an RFC 3339 time
/// (`2026-11-22T09:00:00Z`), or a UK local time (`2026-11-22 09:00`).
pub fn parse_time(s: &str) -> Result<Timestamp> {
    let s = s.trim();
    let now = Timestamp::now();
    if s == "now" {
        return Ok(now);
    }
    if let Some(rel) = s.strip_prefix('+') {
        let (n, unit) = rel.split_at(rel.len().saturating_sub(1));
        let n: i64 = n
            .parse()
            .with_context(|| format!("`{s}`: give a number then h, m or d, e.g. +2h"))?;
        let secs = match unit {
            "m" => n * 60,
            "h" => n * 3600,
            "d" => n * 86_400,
            _ => bail!("`{s}`: the unit must be m, h or d, e.g. +30m, +2h, +3d"),
        };
        return Ok(now.checked_add(jiff::SignedDuration::from_secs(secs))?);
    }
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    let civil: jiff::civil::DateTime = s
        .replace(' ', "T")
        .parse()
        .or_else(|_| s.parse::<jiff::civil::Date>().map(|d| d.to_datetime(jiff::civil::Time::midnight())))
        .with_context(|| format!("`{s}` is not a time; use e.g. 2026-11-22 09:00 (UK time), 2026-11-22T09:00:00Z, now or +2h"))?;
    let tz = jiff::tz::TimeZone::get("Europe/London").unwrap_or(jiff::tz::TimeZone::UTC);
    Ok(civil.to_zoned(tz)?.timestamp())
}

/// Shows a time in UK local time.
pub fn show_time(t: Timestamp) -> String {
    let tz = jiff::tz::TimeZone::get("Europe/London").unwrap_or(jiff::tz::TimeZone::UTC);
    t.to_zoned(tz).strftime("%Y-%m-%d %H:%M %Z").to_string()
}

pub fn show_opt_time(t: Option<Timestamp>) -> String {
    t.map(show_time).unwrap_or_else(|| "-".into())
}

pub fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// Prints rows as an aligned table.
pub fn table(headers: &[&str], rows: &[Vec<String>]) {
    let mut w: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < w.len() {
                w[i] = w[i].max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<width$}", width = w[i]))
            .collect();
        println!("{}", parts.join("  ").trim_end());
    };
    line(headers.iter().map(|h| h.to_uppercase()).collect());
    for r in rows {
        line(r.clone());
    }
    if rows.is_empty() {
        println!("(none)");
    }
}

/// Prints `key: value` lines, aligned.
pub fn fields(pairs: &[(&str, String)]) {
    let w = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in pairs {
        println!("{k:>w$}: {v}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_the_forms_people_type() {
        assert_eq!(
            parse_time("2026-11-22T09:00:00Z").unwrap().to_string(),
            "2026-11-22T09:00:00Z"
        );
        // November: UK time is GMT.
        assert_eq!(
            parse_time("2026-11-22 09:00").unwrap().to_string(),
            "2026-11-22T09:00:00Z"
        );
        // July: BST, an hour ahead.
        assert_eq!(
            parse_time("2026-07-01 09:00").unwrap().to_string(),
            "2026-07-01T08:00:00Z"
        );
        let d = parse_time("+2h")
            .unwrap()
            .duration_since(Timestamp::now())
            .as_secs();
        assert!((7190..=7200).contains(&d));
        assert!(
            parse_time("next tuesday")
                .unwrap_err()
                .to_string()
                .contains("not a time")
        );
        assert!(parse_time("+2w").is_err());
    }
}
