//! Times as people in England and Wales read them.

use lfr_base::Timestamp;

fn uk() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get("Europe/London").unwrap_or(jiff::tz::TimeZone::UTC)
}

/// `2026-11-22 09:00 GMT`.
pub fn when(t: Timestamp) -> String {
    t.to_zoned(uk()).strftime("%Y-%m-%d %H:%M %Z").to_string()
}

/// `2026-11-22 09:00:41 GMT`, for the audit log.
pub fn precise(t: Timestamp) -> String {
    t.to_zoned(uk())
        .strftime("%Y-%m-%d %H:%M:%S %Z")
        .to_string()
}

/// `09:00:41`, for the alert queue.
pub fn clock(t: Timestamp) -> String {
    t.to_zoned(uk()).strftime("%H:%M:%S").to_string()
}

pub fn opt(t: Option<Timestamp>) -> String {
    t.map(when).unwrap_or_else(|| "-".into())
}
