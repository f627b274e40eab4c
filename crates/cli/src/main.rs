//! `lfr`: the command-line face of the system. One file per subcommand in `cmds/`.

use clap::{Parser, Subcommand};

mod cmds;
mod global;

pub use global::Global;

/// lfr: open Live Facial Recognition, with the College of Policing's APP enforced by the software.
#[derive(Parser)]
#[command(name = "lfr", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result: anyhow::Result<()> = match cli.command {};
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
