//! One module per subcommand.
pub mod alert;
pub mod audit;
pub mod deployment;
pub mod enrol;
pub mod report;
pub mod retention;
mod session;
pub mod user;
pub mod watchlist;
