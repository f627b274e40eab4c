//! Failed sign-ins are counted, not each written. Writing (and syncing) an
//! audit entry per unknown token let a stream of bad requests slow every
//! real one about 25-fold; now the first failure after a quiet minute is
//! written at once and the rest are counted into the next entry, written
//! once a minute or every hundred failures, so the log says how many there
//! were (losing at most the last 99 of a burst the process stops during).

use std::sync::Mutex;

use lfr_base::{SignedDuration, Timestamp};

/// The least time between two entries about failed sign-ins.
pub const WRITE_EVERY: SignedDuration = SignedDuration::from_secs(60);
/// Failures counted before an entry is written anyway, so that a burst
/// followed by silence (or a stop) loses at most this many from the log.
pub const WRITE_AT: u64 = 100;

#[derive(Default)]
pub(crate) struct FailedSignIns {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Failures not yet in the log.
    unwritten: u64,
    last_written: Option<Timestamp>,
}

impl FailedSignIns {
    /// Counts one failure at `now`; returns how many to write now (this one
    /// and those counted since the last entry), or `None` to wait.
    pub(crate) fn failed(&self, now: Timestamp) -> Option<u64> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.unwritten += 1;
        let due = s.unwritten >= WRITE_AT
            || s.last_written
                .is_none_or(|t| now.duration_since(t) >= WRITE_EVERY);
        if !due {
            return None;
        }
        s.last_written = Some(now);
        Some(std::mem::take(&mut s.unwritten))
    }

    /// The count taken by [`Self::failed`] is put back when its write failed.
    pub(crate) fn unwrite(&self, n: u64) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.unwritten += n;
        s.last_written = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_entry_a_minute_carrying_every_failure() {
        let f = FailedSignIns::default();
        let t0: Timestamp = "2026-11-22T08:00:00Z".parse().unwrap();
        let at = |s: i64| t0.checked_add(SignedDuration::from_secs(s)).unwrap();
        assert_eq!(f.failed(at(0)), Some(1));
        for s in 1..=59 {
            assert_eq!(f.failed(at(s)), None);
        }
        assert_eq!(f.failed(at(60)), Some(60), "59 counted and this one");
        // A burst is written every hundred, minute or not.
        for _ in 1..WRITE_AT {
            assert_eq!(f.failed(at(60)), None);
        }
        assert_eq!(f.failed(at(60)), Some(WRITE_AT));
        assert_eq!(f.failed(at(61)), None);
        f.unwrite(5);
        assert_eq!(f.failed(at(62)), Some(7));
    }
}
