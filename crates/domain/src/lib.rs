//! The College of Policing's Live Facial Recognition APP as types and rules.
//!
//! This crate is pure: no storage, no engine, no I/O. Time comes in as a
//! [`Timestamp`] read from a [`lfr_base::Clock`] by the caller, so every
//! time rule can be tested with a simulated clock. The rules themselves live
//! in [`policy`], one function per rule, each named after it, and every
//! refusal names a rule of the one catalogue, [`Rule`].
//!
//! Source of the practice: College of Policing, *Authorised Professional
//! Practice: Live facial recognition*, <https://www.college.police.uk/app/live-facial-recognition>.

#[macro_use]
mod strenum;

pub mod alert;
pub mod audit;
pub mod authority;
pub mod blue;
pub mod calibration;
pub mod deployment;
pub mod enrol;
pub mod force;
pub mod ids;
pub mod manifest;
pub mod metrics;
pub mod policy;
pub mod refusal;
pub mod report;
pub mod retention;
pub mod review;
pub mod role;
pub mod rule;
pub mod watchlist;

pub use lfr_base::{SignedDuration, Timestamp};
pub use refusal::Refusal;
pub use rule::Rule;
