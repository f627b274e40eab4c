//! The clock that every time-driven rule reads.
//!
//! Retention deadlines, authority expiry and review intervals are all "now
//! compared with a recorded time". Reading "now" through a trait lets the
//! tests move time forward by 24 hours or 31 days in a microsecond, and lets
//! an inspector replay a day deterministically.

use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};

/// A source of the current time.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealClock;

impl Clock for RealClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that stands still until told to move. For tests and simulations.
#[derive(Debug)]
pub struct SimulatedClock {
    now: Mutex<Timestamp>,
}

impl SimulatedClock {
    pub fn new(start: Timestamp) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// A clock at a fixed, readable instant: handy as a test's "day one".
    pub fn at(rfc3339: &str) -> Self {
        Self::new(
            rfc3339
                .parse()
                .expect("SimulatedClock::at needs an RFC 3339 time"),
        )
    }

    /// Moves the clock on (or back, with a negative duration).
    pub fn advance(&self, by: SignedDuration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now = now.checked_add(by).expect("simulated time out of range");
    }

    pub fn set(&self, to: Timestamp) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> Timestamp {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Timestamp {
        (**self).now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulated_clock_moves_only_when_told() {
        let c = SimulatedClock::at("2026-11-22T10:00:00Z");
        let t0 = c.now();
        assert_eq!(c.now(), t0);
        c.advance(SignedDuration::from_hours(24));
        assert_eq!(c.now().duration_since(t0), SignedDuration::from_hours(24));
    }

    #[test]
    fn real_clock_is_after_2020() {
        assert!(RealClock.now() > "2020-01-01T00:00:00Z".parse().unwrap());
    }
}
