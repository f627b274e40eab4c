//! Progress on stderr for long runs: a line rewritten in place on a
//! terminal, an occasional plain line otherwise.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Instant;

pub struct Progress {
    what: &'static str,
    total: usize,
    started: Instant,
    last: Mutex<(Instant, usize)>,
    tty: bool,
}

impl Progress {
    pub fn new(what: &'static str, total: usize) -> Self {
        let now = Instant::now();
        Self {
            what,
            total,
            started: now,
            last: Mutex::new((now, 0)),
            tty: std::io::stderr().is_terminal(),
        }
    }

    pub fn set(&self, done: usize) {
        let mut last = self.last.lock().unwrap();
        let every = if self.tty { 0.2 } else { 10.0 };
        if last.0.elapsed().as_secs_f64() < every && done != self.total {
            return;
        }
        *last = (Instant::now(), done);
        let secs = self.started.elapsed().as_secs_f64();
        let rate = done as f64 / secs.max(1e-9);
        let line = if self.total > 0 {
            let eta = (self.total.saturating_sub(done)) as f64 / rate.max(1e-9);
            format!(
                "{}: {done}/{} ({:.0}%), {rate:.1}/s, {eta:.0} s left",
                self.what,
                self.total,
                100.0 * done as f64 / self.total as f64
            )
        } else {
            format!("{}: {done}, {rate:.1}/s", self.what)
        };
        let mut e = std::io::stderr().lock();
        if self.tty {
            let _ = write!(e, "\r{line}\x1b[K");
        } else {
            let _ = writeln!(e, "{line}");
        }
    }

    pub fn finish(&self) {
        if self.tty {
            eprintln!();
        }
    }
}
