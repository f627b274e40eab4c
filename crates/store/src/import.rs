//! Watchlist import: from a directory (or a `.tar` / `.tar.gz` archive)
//! holding `manifest.json` and the images it names.
//!
//! Import happens in two steps so that nothing is half-imported:
//! [`prepare`] reads and validates everything and runs the engine on every
//! image, collecting every problem; only a clean result reaches
//! [`Store::commit_import`](crate::Store::commit_import), which writes it
//! all in one transaction. `prepare` is synchronous and CPU-bound (it runs
//! the engine): a server calls it on a blocking thread.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use lfr_domain::enrol::Enroller;
use lfr_domain::manifest::{self, ManifestEntry, ManifestProblems};
use lfr_domain::policy;
use lfr_domain::watchlist::{Consent, QualityGrade, Template, WatchlistKind};

/// Files of an import, by relative path.
pub struct ImportSource {
    files: BTreeMap<String, Vec<u8>>,
    origin: String,
}

/// Largest import accepted, to keep a mistaken path from filling memory.
const MAX_IMPORT_BYTES: u64 = 2 << 30;

impl ImportSource {
    /// Reads a directory, or a `.tar` / `.tar.gz` / `.tgz` archive.
    pub fn open(path: &Path) -> Result<Self, ManifestProblems> {
        let fail = |m: String| ManifestProblems(vec![m]);
        let origin = path.display().to_string();
        let mut files = BTreeMap::new();
        let mut total = 0u64;
        if path.is_dir() {
            read_dir(path, path, &mut files, &mut total)
                .map_err(|e| fail(format!("cannot read {origin}: {e}")))?;
        } else if path.is_file() {
            let name = origin.to_ascii_lowercase();
            let f = std::fs::File::open(path)
                .map_err(|e| fail(format!("cannot open {origin}: {e}")))?;
            let reader: Box<dyn Read> = if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
                Box::new(flate2::read::GzDecoder::new(f))
            } else if name.ends_with(".tar") {
                Box::new(f)
            } else {
                return Err(fail(format!(
                    "{origin} is neither a directory nor a .tar/.tar.gz archive"
                )));
            };
            let mut ar = tar::Archive::new(reader);
            let entries = ar
                .entries()
                .map_err(|e| fail(format!("{origin} is not a readable archive: {e}")))?;
            for entry in entries {
                let mut entry = entry.map_err(|e| fail(format!("{origin} is corrupt: {e}")))?;
                if !entry.header().entry_type().is_file() {
                    continue;
                }
                let p = entry
                    .path()
                    .map_err(|e| fail(format!("{origin}: bad entry name: {e}")))?
                    .to_string_lossy()
                    .trim_start_matches("./")
                    .to_string();
                total += entry.size();
                if total > MAX_IMPORT_BYTES {
                    return Err(fail(format!(
                        "{origin} is larger than 2 GiB; split the import"
                    )));
                }
                let mut buf = Vec::new();
                entry
                    .read_to_end(&mut buf)
                    .map_err(|e| fail(format!("{origin}: cannot read {p}: {e}")))?;
                files.insert(p, buf);
            }
        } else {
            return Err(fail(format!("{origin} does not exist")));
        }
        Ok(Self { files, origin })
    }

    /// An import held in memory (e.g. uploaded to the server).
    pub fn from_files(origin: &str, files: BTreeMap<String, Vec<u8>>) -> Self {
        Self {
            files,
            origin: origin.into(),
        }
    }
}

fn read_dir(
    root: &Path,
    dir: &Path,
    out: &mut BTreeMap<String, Vec<u8>>,
    total: &mut u64,
) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let p = e.path();
        if p.is_dir() {
            read_dir(root, &p, out, total)?;
        } else if p.is_file() {
            *total += e.metadata()?.len();
            if *total > MAX_IMPORT_BYTES {
                return Err(std::io::Error::other(
                    "the import is larger than 2 GiB; split it",
                ));
            }
            let rel = p
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(rel, std::fs::read(&p)?);
        }
    }
    Ok(())
}

/// One image, graded and templated, ready to store.
#[derive(Debug, Clone)]
pub struct PreparedImage {
    pub file: String,
    pub bytes: Vec<u8>,
    pub consent: Option<Consent>,
    pub grade: QualityGrade,
    pub reasons: Vec<String>,
    pub template: Template,
}

/// One inclusion, ready to store.
#[derive(Debug, Clone)]
pub struct PreparedEntry {
    pub entry: ManifestEntry,
    pub images: Vec<PreparedImage>,
}

/// Validates the manifest and checks that every image it names is in the
/// import. Needs no engine, so manifest problems are told before any image is decoded.
pub fn validate(
    src: &ImportSource,
    kind: WatchlistKind,
) -> Result<Vec<ManifestEntry>, ManifestProblems> {
    let text = src.files.get("manifest.json").ok_or_else(|| {
        ManifestProblems(vec![format!(
            "{} has no manifest.json at its top level; see docs/watchlists.md for its format",
            src.origin
        )])
    })?;
    let text = std::str::from_utf8(text)
        .map_err(|_| ManifestProblems(vec!["manifest.json is not UTF-8 text".into()]))?;
    let entries = manifest::parse(text, kind)?;
    let problems: Vec<String> = entries
        .iter()
        .flat_map(|e| e.images.iter().map(move |i| (e, i)))
        .filter(|(_, i)| !src.files.contains_key(&i.file))
        .map(|(e, i)| {
            format!(
                "ref {} image {}: file not found in the import",
                e.reference, i.file
            )
        })
        .collect();
    if problems.is_empty() {
        Ok(entries)
    } else {
        Err(ManifestProblems(problems))
    }
}

/// Validates, then enrols every image with the engine, collecting every
/// problem; returns everything ready to commit, or all that is wrong.
pub fn prepare(
    src: &ImportSource,
    kind: WatchlistKind,
    enroller: &dyn Enroller,
) -> Result<Vec<PreparedEntry>, ManifestProblems> {
    let entries = validate(src, kind)?;
    let mut problems = Vec::new();
    let mut prepared = Vec::new();
    for e in entries {
        let mut images = Vec::new();
        for img in &e.images {
            let label = format!("ref {} image {}", e.reference, img.file);
            let bytes = &src.files[&img.file];
            match enroller.enrol(bytes) {
                Err(m) => problems.push(format!("{label}: {m}")),
                Ok(en) => {
                    if let Err(r) = policy::reference_image_is_usable(en.grade, &en.reasons) {
                        problems.push(format!("{label}: {}", r.message));
                        continue;
                    }
                    match en.template {
                        None => problems.push(format!("{label}: no template could be made")),
                        Some(template) => images.push(PreparedImage {
                            file: img.file.clone(),
                            bytes: bytes.clone(),
                            consent: img.consent.clone(),
                            grade: en.grade,
                            reasons: en.reasons,
                            template,
                        }),
                    }
                }
            }
        }
        prepared.push(PreparedEntry { entry: e, images });
    }
    if problems.is_empty() {
        Ok(prepared)
    } else {
        Err(ManifestProblems(problems))
    }
}
