//! One module per subcommand.
pub mod alert;
pub mod audit;
pub mod bench;
pub mod bench_live;
pub mod blue_pass;
pub mod calibrate;
pub mod camera;
pub mod compare;
pub mod deployment;
pub mod detect;
pub mod eval;
pub mod force;
pub mod keys;
pub mod models;
mod models_combine;
mod models_packages;
pub mod quality;
pub mod report;
pub mod retention;
pub mod rules;
pub mod serve;
mod session;
pub mod user;
pub mod watchlist;

/// How a video's frames are searched for faces (`--detect`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detection {
    /// The whole of every frame.
    Full,
    /// The whole frame at least every 400 ms, and in between only around
    /// the faces being tracked.
    Regions,
}

impl Detection {
    /// The live pipeline's default.
    pub fn default_live() -> Self {
        if lfr_live::analysis::AnalysisConfig::default()
            .regions
            .is_some()
        {
            Detection::Regions
        } else {
            Detection::Full
        }
    }

    pub fn regions(self) -> Option<lfr_live::analysis::Regions> {
        match self {
            Detection::Full => None,
            Detection::Regions => Some(lfr_live::analysis::Regions::default()),
        }
    }
}
