//! Foundations shared by lfr's crates.
pub mod clock;
pub use clock::{Clock, RealClock, SimulatedClock};
pub use jiff::{SignedDuration, Timestamp};
