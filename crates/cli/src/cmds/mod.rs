//! One module per subcommand.
pub mod alert;
pub mod audit;
pub mod bench;
pub mod bench_live;
pub mod calibrate;
pub mod compare;
pub mod deployment;
pub mod detect;
pub mod eval;
pub mod models;
mod models_packages;
pub mod quality;
pub mod report;
pub mod retention;
pub mod serve;
mod session;
pub mod user;
pub mod watchlist;
