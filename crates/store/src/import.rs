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
            read_archive(&origin, reader, &mut files, MAX_IMPORT_BYTES)?;
        } else {
            return Err(fail(format!("{origin} does not exist")));
        }
        Ok(Self { files, origin })
    }

    /// A `.tar` or `.tar.gz` archive held in memory (an upload to the
    /// console or the API); gzip is recognised by its magic number. Refused
    /// once its files add up to more than `limit` bytes.
    pub fn from_archive(origin: &str, bytes: &[u8], limit: u64) -> Result<Self, ManifestProblems> {
        let reader: Box<dyn Read + '_> = if bytes.starts_with(&[0x1f, 0x8b]) {
            Box::new(flate2::read::GzDecoder::new(bytes))
        } else {
            Box::new(bytes)
        };
        let mut files = BTreeMap::new();
        read_archive(origin, reader, &mut files, limit)?;
        Ok(Self {
            files,
            origin: origin.into(),
        })
    }

    /// The bytes of one file of the import.
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    /// An import held in memory (e.g. uploaded to the server).
    pub fn from_files(origin: &str, files: BTreeMap<String, Vec<u8>>) -> Self {
        Self {
            files,
            origin: origin.into(),
        }
    }
}

fn read_archive(
    origin: &str,
    reader: impl Read,
    files: &mut BTreeMap<String, Vec<u8>>,
    limit: u64,
) -> Result<(), ManifestProblems> {
    let fail = |m: String| ManifestProblems(vec![m]);
    let mut total = 0u64;
    let mut ar = tar::Archive::new(reader);
    let entries = ar
        .entries()
        .map_err(|e| fail(format!("{origin} is not a readable archive: {e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| {
            fail(format!(
                "{origin} is not a readable .tar or .tar.gz archive: {e}"
            ))
        })?;
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
        if total > limit {
            return Err(fail(format!(
                "{origin} holds more than {} MiB; split the import",
                limit >> 20
            )));
        }
        let mut buf = Vec::new();
        entry
            .read_to_end(&mut buf)
            .map_err(|e| fail(format!("{origin}: cannot read {p}: {e}")))?;
        files.insert(p, buf);
    }
    Ok(())
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

/// What the engine made of one image of an import.
#[derive(Debug, Clone)]
pub struct ExaminedImage {
    pub file: String,
    /// The grade, when the image could be read and graded.
    pub grade: Option<QualityGrade>,
    /// The shortfalls behind the grade.
    pub reasons: Vec<String>,
    /// Why the image cannot be imported; `None` when it can.
    pub problem: Option<String>,
}

/// One inclusion of an import, each image examined.
#[derive(Debug, Clone)]
pub struct ExaminedEntry {
    pub entry: ManifestEntry,
    pub images: Vec<ExaminedImage>,
}

/// Every image of an import examined: what a person checks before
/// importing, and the import itself when nothing is wrong.
pub struct Examined {
    pub entries: Vec<ExaminedEntry>,
    /// Every problem, each naming its entry and image; empty when the
    /// import may be committed.
    pub problems: Vec<String>,
    /// Ready to commit; complete only when `problems` is empty.
    pub prepared: Vec<PreparedEntry>,
}

impl Examined {
    /// Adds a problem for each inclusion whose reference is already on the
    /// watchlist, so that a check finds what the import would be refused for.
    pub fn refuse_references_on(
        &mut self,
        existing: &std::collections::BTreeSet<String>,
        watchlist: &str,
    ) {
        for e in &self.entries {
            if existing.contains(&e.entry.reference) {
                self.problems.push(format!(
                    "ref {} is already on {watchlist}: take it out of the manifest, or remove the inclusion first",
                    e.entry.reference
                ));
            }
        }
    }

    /// The import, ready to commit, or all that is wrong with it.
    pub fn ready(self) -> Result<Vec<PreparedEntry>, ManifestProblems> {
        if self.problems.is_empty() {
            Ok(self.prepared)
        } else {
            Err(ManifestProblems(self.problems))
        }
    }
}

/// Validates, then enrols every image with the engine, keeping each
/// image's outcome; manifest problems stop it before any image is decoded.
pub fn examine(
    src: &ImportSource,
    kind: WatchlistKind,
    enroller: &dyn Enroller,
) -> Result<Examined, ManifestProblems> {
    let manifest = validate(src, kind)?;
    let mut problems = Vec::new();
    let mut prepared = Vec::new();
    let mut entries = Vec::new();
    for e in manifest {
        let mut images = Vec::new();
        let mut examined = Vec::new();
        for img in &e.images {
            let bytes = &src.files[&img.file];
            let (outcome, ready) = enrol_one(enroller, &img.file, bytes, img.consent.clone());
            if let Some(p) = &outcome.problem {
                problems.push(format!("ref {} image {}: {p}", e.reference, img.file));
            }
            images.extend(ready);
            examined.push(outcome);
        }
        entries.push(ExaminedEntry {
            entry: e.clone(),
            images: examined,
        });
        prepared.push(PreparedEntry { entry: e, images });
    }
    Ok(Examined {
        entries,
        problems,
        prepared,
    })
}

/// Grades and templates one image: its outcome, and the image ready to
/// store when it may be.
fn enrol_one(
    enroller: &dyn Enroller,
    file: &str,
    bytes: &[u8],
    consent: Option<Consent>,
) -> (ExaminedImage, Option<PreparedImage>) {
    let outcome = |grade, reasons, problem| ExaminedImage {
        file: file.into(),
        grade,
        reasons,
        problem,
    };
    let en = match enroller.enrol(bytes) {
        Err(m) => return (outcome(None, vec![], Some(m)), None),
        Ok(en) => en,
    };
    if let Err(r) = policy::reference_image_is_usable(en.grade, &en.reasons) {
        return (outcome(Some(en.grade), en.reasons, Some(r.message)), None);
    }
    match en.template {
        None => (
            outcome(
                Some(en.grade),
                en.reasons,
                Some("no template could be made".into()),
            ),
            None,
        ),
        Some(template) => (
            outcome(Some(en.grade), en.reasons.clone(), None),
            Some(PreparedImage {
                file: file.into(),
                bytes: bytes.to_vec(),
                consent,
                grade: en.grade,
                reasons: en.reasons,
                template,
            }),
        ),
    }
}

/// Validates, then enrols every image with the engine, collecting every
/// problem; returns everything ready to commit, or all that is wrong.
pub fn prepare(
    src: &ImportSource,
    kind: WatchlistKind,
    enroller: &dyn Enroller,
) -> Result<Vec<PreparedEntry>, ManifestProblems> {
    examine(src, kind, enroller)?.ready()
}
