//! Failed sign-ins per client address. Once an address has failed
//! [`FAILED_SIGN_INS_PER_MINUTE`] times in a minute, it is answered 429
//! until that minute is out, before its token is even looked up: a script
//! guessing tokens, or one left running with a revoked token, cannot load
//! the database or slow everyone else's calls. The store still counts and
//! audits the failures that get through.
//!
//! Behind a reverse proxy every client has the proxy's address, so the
//! limit applies to all of them together; run lfr's own listener where
//! clients reach it directly, or put the limit in the proxy.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lfr_base::Clock;

pub const FAILED_SIGN_INS_PER_MINUTE: u32 = 20;
const WINDOW: Duration = Duration::from_secs(60);
/// Addresses remembered at most: a flood from many addresses cannot grow
/// the table without bound (the oldest windows go first).
const MAX_CLIENTS: usize = 10_000;

struct Window {
    start: Duration,
    failures: u32,
}

pub struct SignInThrottle {
    clock: Arc<dyn Clock>,
    clients: Mutex<HashMap<IpAddr, Window>>,
}

impl SignInThrottle {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            clients: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Window>> {
        self.clients.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `Err(wait)` while `ip` is over its limit: how long until it may try again.
    pub fn check(&self, ip: IpAddr) -> Result<(), Duration> {
        let ip = client_key(ip);
        let now = self.clock.monotonic();
        match self.lock().get(&ip) {
            Some(w) if now < w.start + WINDOW && w.failures >= FAILED_SIGN_INS_PER_MINUTE => {
                Err(w.start + WINDOW - now)
            }
            _ => Ok(()),
        }
    }

    /// Counts a failed sign-in from `ip`.
    pub fn failed(&self, ip: IpAddr) {
        let ip = client_key(ip);
        let now = self.clock.monotonic();
        let mut clients = self.lock();
        if clients.len() >= MAX_CLIENTS && !clients.contains_key(&ip) {
            clients.retain(|_, w| now < w.start + WINDOW);
            if clients.len() >= MAX_CLIENTS {
                // Never forget an address being held off: flooding the table
                // must not free it. Forget the oldest still under its limit.
                let oldest = clients
                    .iter()
                    .filter(|(_, w)| w.failures < FAILED_SIGN_INS_PER_MINUTE)
                    .min_by_key(|(_, w)| w.start)
                    .map(|(ip, _)| *ip);
                match oldest {
                    Some(oldest) => {
                        clients.remove(&oldest);
                    }
                    None => return,
                }
            }
        }
        let w = clients.entry(ip).or_insert(Window {
            start: now,
            failures: 0,
        });
        if now >= w.start + WINDOW {
            *w = Window {
                start: now,
                failures: 0,
            };
        }
        w.failures += 1;
    }
}

/// The client an address belongs to: an IPv6 address by its /64, the
/// block one site or one attacker holds whole, so rotating addresses inside
/// it does not escape the limit.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(std::net::Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lfr_base::SimulatedClock;

    #[test]
    fn an_address_is_held_off_for_the_rest_of_its_minute_and_others_are_not() {
        let clock = Arc::new(SimulatedClock::at("2026-12-06T08:00:00Z"));
        let t = SignInThrottle::new(clock.clone());
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        for _ in 0..FAILED_SIGN_INS_PER_MINUTE - 1 {
            t.failed(a);
        }
        assert!(t.check(a).is_ok(), "one short of the limit");
        clock.advance(jiff::SignedDuration::from_secs(20));
        t.failed(a);
        assert_eq!(t.check(a), Err(Duration::from_secs(40)));
        assert!(t.check(b).is_ok(), "another address is not held off");
        clock.advance(jiff::SignedDuration::from_secs(40));
        assert!(t.check(a).is_ok(), "a new minute");
        t.failed(a);
        assert!(t.check(a).is_ok(), "counting starts again");
    }

    #[test]
    fn an_ipv6_client_is_its_64_block() {
        let clock = Arc::new(SimulatedClock::at("2026-12-06T08:00:00Z"));
        let t = SignInThrottle::new(clock);
        for n in 0..FAILED_SIGN_INS_PER_MINUTE {
            t.failed(format!("2001:db8:1:2::{n:x}").parse().unwrap());
        }
        assert!(t.check("2001:db8:1:2::ffff".parse().unwrap()).is_err());
        assert!(t.check("2001:db8:1:3::1".parse().unwrap()).is_ok());
    }
}
