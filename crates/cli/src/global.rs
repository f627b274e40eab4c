//! Options every subcommand understands.

use std::path::PathBuf;

#[derive(clap::Args, Debug, Clone)]
pub struct Global {
    /// Models directory (default: $XDG_DATA_HOME/lfr/models, or ~/.local/share/lfr/models).
    #[arg(long, global = true, env = "LFR_MODELS", value_name = "DIR")]
    pub models: Option<PathBuf>,
}
