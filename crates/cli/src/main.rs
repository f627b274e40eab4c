//! `lfr`: the command-line face of the system. One file per subcommand in `cmds/`.

use clap::{Parser, Subcommand};

mod cmds;
mod global;
mod progress;
mod recognition;

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
enum Command {
    /// Find faces in an image, with landmarks and quality measures.
    Detect(cmds::detect::DetectArgs),
    /// The Similarity Score between the faces of two photographs.
    Compare(cmds::compare::CompareArgs),
    /// Grade a watchlist image against the custody-photo ideal.
    Quality(cmds::quality::QualityArgs),
    /// Benchmarks: LFW accuracy, video speed.
    #[command(subcommand)]
    Bench(cmds::bench::BenchCmd),
    /// Compute the score calibration from a labelled face set.
    Calibrate(cmds::calibrate::CalibrateArgs),
    /// Deployments: apply, authorise, start, suspend, review, conclude, record.
    #[command(subcommand)]
    Deployment(cmds::deployment::DeploymentCmd),
    /// Watchlists: create, import, approve, inspect.
    #[command(subcommand)]
    Watchlist(cmds::watchlist::WatchlistCmd),
    /// Alerts: list, adjudicate, record engagement and outcome (alerts come only from the pipeline).
    #[command(subcommand)]
    Alert(cmds::alert::AlertCmd),
    /// Blue Watchlist passes: mark a volunteer's walk-through; lfr decides if it was recognised.
    #[command(subcommand)]
    BluePass(cmds::blue_pass::BluePassCmd),
    /// Retention: delete data on time; legal holds.
    #[command(subcommand)]
    Retention(cmds::retention::RetentionCmd),
    /// Cameras: which node runs each of a deployment's cameras.
    #[command(subcommand)]
    Camera(cmds::camera::CameraCmd),
    /// The audit log: read it and verify its hash chain.
    #[command(subcommand)]
    Audit(cmds::audit::AuditCmd),
    /// A deployment's figures, its public report, upcoming deployments.
    Report(cmds::report::ReportArgs),
    /// The force's public notice: its legal basis and a contact for the public.
    #[command(subcommand)]
    Force(cmds::force::ForceCmd),
    /// Where the master key is kept: its file, or a hardware token (PKCS#11).
    #[command(subcommand)]
    Keys(cmds::keys::KeysCmd),
    /// The rules lfr enforces, and who may do what.
    Rules(cmds::rules::RulesArgs),
    /// Users, roles, training and sign-in tokens.
    #[command(subcommand)]
    User(cmds::user::UserCmd),
    /// The web console, API and cameras; `--demo` sets up a sample deployment.
    Serve(Box<cmds::serve::ServeArgs>),
    /// Model files: install (online or from a local directory), list, verify.
    #[command(subcommand)]
    Models(cmds::models::ModelsCmd),
    /// Evaluation: seeded walk-throughs, threshold sweeps, equitability.
    #[command(subcommand)]
    Eval(cmds::eval::EvalCmd),
}

/// Commands that only print end quietly when their reader goes away
/// (`lfr quality IMG | head -1`), as Unix tools do, instead of panicking on
/// the broken pipe. Commands that feed FFmpeg through a pipe (serve, bench,
/// eval) keep Rust's default, so a dead child is an error they report.
fn quiet_on_closed_pipe(c: &Command) {
    if !matches!(c, Command::Serve(_) | Command::Bench(_) | Command::Eval(_)) {
        // SAFETY: called before any thread starts; SIG_DFL is always valid.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    quiet_on_closed_pipe(&cli.command);
    // The libraries' warnings and errors (an alert the store refused, a
    // lost connection between nodes) go to standard error.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing_subscriber::filter::LevelFilter::WARN)
        .with_target(false)
        .with_ansi(false)
        .init();
    let g = &cli.global;
    if let Some(r) = g.runtime {
        // The first choice in the process; nothing has opened an engine yet.
        lfr_engine::runtime::choose(r).expect("the runtime is chosen once, at start");
    }
    let result: anyhow::Result<()> = match cli.command {
        Command::Detect(a) => cmds::detect::run(g, a),
        Command::Compare(a) => cmds::compare::run(g, a),
        Command::Quality(a) => cmds::quality::run(g, a),
        Command::Bench(c) => cmds::bench::run(g, c),
        Command::Calibrate(a) => cmds::calibrate::run(g, a),
        Command::Deployment(c) => cmds::deployment::run(g, c),
        Command::Watchlist(c) => cmds::watchlist::run(g, c),
        Command::Alert(c) => cmds::alert::run(g, c),
        Command::BluePass(c) => cmds::blue_pass::run(g, c),
        Command::Retention(c) => cmds::retention::run(g, c),
        Command::Camera(c) => cmds::camera::run(g, c),
        Command::Audit(c) => cmds::audit::run(g, c),
        Command::Report(a) => cmds::report::run(g, a),
        Command::Force(c) => cmds::force::run(g, c),
        Command::Keys(c) => cmds::keys::run(g, c),
        Command::Rules(a) => cmds::rules::run(g, a),
        Command::User(c) => cmds::user::run(g, c),
        Command::Models(c) => cmds::models::run(g, c),
        Command::Serve(a) => cmds::serve::run(g, *a),
        Command::Eval(c) => cmds::eval::run(g, c),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
