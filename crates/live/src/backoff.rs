//! Exponential backoff for reconnecting a camera: quick retries for a blip,
//! then longer waits so that a camera that is down is not hammered.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The delays between attempts: `initial`, doubled after each failure up to
/// `max`; back to `initial` once a stream has delivered frames for `reset_after`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
    /// A stream that ran this long before failing counts as recovered.
    pub reset_after: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
            reset_after: Duration::from_secs(30),
        }
    }
}

/// The state of one camera's retries.
#[derive(Debug, Clone)]
pub struct Retry {
    policy: Backoff,
    next: Duration,
    attempt: u32,
}

impl Retry {
    pub fn new(policy: Backoff) -> Self {
        Self {
            policy,
            next: policy.initial,
            attempt: 0,
        }
    }

    /// The wait before the next attempt, after a stream that ran for `ran`.
    pub fn after_failure(&mut self, ran: Duration) -> Duration {
        if ran >= self.policy.reset_after {
            self.next = self.policy.initial;
            self.attempt = 0;
        }
        let wait = self.next.min(self.policy.max);
        self.next = (self.next * 2).min(self.policy.max);
        self.attempt += 1;
        wait
    }

    /// Attempts since the last stream that counted as recovered.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_the_cap_and_resets_after_a_good_run() {
        let mut r = Retry::new(Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(500),
            reset_after: Duration::from_secs(10),
        });
        let short = Duration::from_millis(1);
        let waits: Vec<u128> = (0..5).map(|_| r.after_failure(short).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 500, 500]);
        assert_eq!(r.attempt(), 5);
        assert_eq!(r.after_failure(Duration::from_secs(11)).as_millis(), 100);
        assert_eq!(r.attempt(), 1);
    }
}
