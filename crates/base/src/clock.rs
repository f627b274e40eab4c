//! The clock that every time-driven rule reads.
//!
//! Retention deadlines, authority expiry and review intervals are all "now
//! compared with a recorded time". Reading "now" through a trait lets the
//! tests move time forward by 24 hours or 31 days in a microsecond, and lets
//! an inspector replay a day deterministically.

use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};

/// A source of the current time.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;

    /// Time since an arbitrary origin, never going back even when the wall
    /// clock is stepped: for how long something has lasted or been idle.
    fn monotonic(&self) -> Duration;
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealClock;

impl Clock for RealClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }

    fn monotonic(&self) -> Duration {
        static ORIGIN: OnceLock<Instant> = OnceLock::new();
        ORIGIN.get_or_init(Instant::now).elapsed()
    }
}

/// A clock that stands still until told to move. For tests and simulations.
#[derive(Debug)]
pub struct SimulatedClock {
    now: Mutex<Timestamp>,
    /// Moves forward with every forward [`SimulatedClock::advance`] only.
    elapsed: Mutex<Duration>,
}

impl SimulatedClock {
    pub fn new(start: Timestamp) -> Self {
        Self {
            now: Mutex::new(start),
            elapsed: Mutex::new(Duration::ZERO),
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

    /// Moves the clock on (or back, with a negative duration: the wall
    /// clock only, as when a real clock is stepped).
    pub fn advance(&self, by: SignedDuration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now = now.checked_add(by).expect("simulated time out of range");
        if let Ok(forward) = Duration::try_from(by) {
            *self.elapsed.lock().unwrap_or_else(|e| e.into_inner()) += forward;
        }
    }

    pub fn set(&self, to: Timestamp) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn monotonic(&self) -> Duration {
        *self.elapsed.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> Timestamp {
        (**self).now()
    }

    fn monotonic(&self) -> Duration {
        (**self).monotonic()
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Timestamp {
        (**self).now()
    }

    fn monotonic(&self) -> Duration {
        (**self).monotonic()
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
    fn monotonic_time_never_goes_back() {
        let c = SimulatedClock::at("2026-11-22T10:00:00Z");
        c.advance(SignedDuration::from_mins(5));
        c.advance(SignedDuration::from_mins(-60));
        c.set("2020-01-01T00:00:00Z".parse().unwrap());
        assert_eq!(c.monotonic(), Duration::from_secs(300));
        let (a, b) = (RealClock.monotonic(), RealClock.monotonic());
        assert!(b >= a);
    }

    #[test]
    fn real_clock_is_after_2020() {
        assert!(RealClock.now() > "2020-01-01T00:00:00Z".parse().unwrap());
    }
}
