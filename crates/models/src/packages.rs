//! Recognition model packages in the models directory: `packages/<id>/`,
//! one directory per package, put in place whole or not at all.
//!
//! What a package's files mean is the engine's business (`lfr_engine::package`);
//! here they are only copied, each proved by SHA-256 after the copy, and an
//! installed package is never silently replaced by different content.

use std::path::{Path, PathBuf};

use crate::digest::sha256_file;
use crate::error::io;
use crate::{ModelsDir, ModelsError};

/// Subdirectory of the models directory holding the packages.
pub const PACKAGES_DIR: &str = "packages";

/// One file of a package to install.
#[derive(Debug, Clone)]
pub struct PackageFile {
    /// Plain file name, the same in the source and the installed package.
    pub name: String,
    /// The SHA-256 it must have (from the manifest); `None` means the
    /// source's own hash, re-checked after the copy.
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    Installed(PathBuf),
    /// The same content was already installed.
    AlreadyInstalled(PathBuf),
    /// Other content was installed under the id and has been replaced
    /// (only with [`Existing::Replace`]).
    Replaced(PathBuf),
}

/// What to do when the id is installed with other content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Refuse: a force's own package is never overwritten by surprise.
    Refuse,
    /// Replace it: lfr's shipped packages follow the lfr that installs them.
    Replace,
}

impl ModelsDir {
    pub fn packages_dir(&self) -> PathBuf {
        self.root().join(PACKAGES_DIR)
    }

    /// Where package `id` is (or would be) installed.
    pub fn package_dir(&self, id: &str) -> Result<PathBuf, ModelsError> {
        check_name(id, "package id")?;
        Ok(self.packages_dir().join(id))
    }

    /// Ids of the installed packages, sorted.
    pub fn package_ids(&self) -> Result<Vec<String>, ModelsError> {
        let dir = self.packages_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(format!("reading {}", dir.display()))(e)),
        };
        let mut ids = Vec::new();
        for e in entries {
            let e = e.map_err(io(format!("reading {}", dir.display())))?;
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') && e.path().is_dir() {
                ids.push(name);
            }
        }
        ids.sort();
        Ok(ids)
    }
}

fn check_name(name: &str, what: &str) -> Result<(), ModelsError> {
    if name.is_empty()
        || name.starts_with('.')
        || name.contains(['/', '\\'])
        || name.chars().any(char::is_control)
    {
        return Err(ModelsError::Package(format!(
            "{what} {name:?} is not a plain name"
        )));
    }
    Ok(())
}

/// Copies `files` from `src` into `packages/<id>/`, all or nothing: into a
/// staging directory first, each file hashed after the copy, then renamed
/// into place. An installed package with the same files is left alone; one
/// with different files is an error (remove it first) unless `existing`
/// says to replace it.
pub fn add(
    dir: &ModelsDir,
    src: &Path,
    id: &str,
    files: &[PackageFile],
    existing: Existing,
) -> Result<Added, ModelsError> {
    let target = dir.package_dir(id)?;
    let mut want = Vec::with_capacity(files.len());
    for f in files {
        check_name(&f.name, "file name")?;
        let from = src.join(&f.name);
        let (sha, _) = sha256_file(&from).map_err(io(format!("reading {}", from.display())))?;
        if let Some(pin) = &f.sha256
            && *pin != sha
        {
            return Err(ModelsError::Package(format!(
                "{} has SHA-256 {sha}, the manifest says {pin}: the package is corrupt or incomplete; obtain it again",
                from.display()
            )));
        }
        want.push((f.name.as_str(), sha));
    }
    let mut replacing = false;
    if target.exists() {
        let differs = want.iter().find(|(name, sha)| {
            let have = sha256_file(&target.join(name)).ok().map(|(s, _)| s);
            have.as_deref() != Some(sha.as_str())
        });
        match (differs, existing) {
            (None, _) => return Ok(Added::AlreadyInstalled(target)),
            (Some((name, _)), Existing::Refuse) => {
                return Err(ModelsError::Package(format!(
                    "package {id} is already installed in {} with different content ({name} differs). A new version needs a new version number; to replace it, `lfr models remove {id}` first",
                    target.display()
                )));
            }
            (Some(_), Existing::Replace) => replacing = true,
        }
    }
    let parent = dir.packages_dir();
    std::fs::create_dir_all(&parent).map_err(io(format!("creating {}", parent.display())))?;
    let stage = tempfile::Builder::new()
        .prefix(&format!(".{id}."))
        .tempdir_in(&parent)
        .map_err(io(format!(
            "creating a staging directory in {}",
            parent.display()
        )))?;
    for (name, sha) in &want {
        let to = stage.path().join(name);
        std::fs::copy(src.join(name), &to).map_err(io(format!("copying {name}")))?;
        let (got, _) = sha256_file(&to).map_err(io(format!("reading {}", to.display())))?;
        if got != *sha {
            return Err(ModelsError::Package(format!(
                "{name} changed while it was copied (SHA-256 {got}, expected {sha}); try again"
            )));
        }
    }
    let staged = stage.keep();
    // The old package moves aside only once the new one is complete.
    let old = parent.join(format!(".{id}.old"));
    if replacing {
        let _ = std::fs::remove_dir_all(&old);
        std::fs::rename(&target, &old).map_err(io(format!("moving {} aside", target.display())))?;
    }
    std::fs::rename(&staged, &target).map_err(|e| {
        let _ = std::fs::remove_dir_all(&staged);
        if replacing {
            let _ = std::fs::rename(&old, &target);
        }
        io(format!("moving the package into {}", target.display()))(e)
    })?;
    if replacing {
        let _ = std::fs::remove_dir_all(&old);
        return Ok(Added::Replaced(target));
    }
    Ok(Added::Installed(target))
}

/// Deletes an installed package.
pub fn remove(dir: &ModelsDir, id: &str) -> Result<PathBuf, ModelsError> {
    let target = dir.package_dir(id)?;
    if !target.is_dir() {
        return Err(ModelsError::Package(format!(
            "no package {id} in {}; `lfr models list` shows the installed ones",
            dir.packages_dir().display()
        )));
    }
    std::fs::remove_dir_all(&target).map_err(io(format!("removing {}", target.display())))?;
    Ok(target)
}

/// Writes `bytes` as `name` in an installed package, atomically (used for
/// the package's calibration).
pub fn write_file(package_dir: &Path, name: &str, bytes: &[u8]) -> Result<(), ModelsError> {
    check_name(name, "file name")?;
    let mut tmp = tempfile::NamedTempFile::new_in(package_dir)
        .map_err(io(format!("writing in {}", package_dir.display())))?;
    std::io::Write::write_all(&mut tmp, bytes).map_err(io(format!("writing {name}")))?;
    tmp.persist(package_dir.join(name))
        .map_err(|e| io(format!("writing {name}"))(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Existing::{Refuse, Replace};
    use super::*;

    fn source(content: &str) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("manifest.json"), "{}").unwrap();
        std::fs::write(d.path().join("m.onnx"), content).unwrap();
        d
    }

    fn files(pin: Option<&str>) -> Vec<PackageFile> {
        vec![
            PackageFile {
                name: "manifest.json".into(),
                sha256: None,
            },
            PackageFile {
                name: "m.onnx".into(),
                sha256: pin.map(str::to_string),
            },
        ]
    }

    #[test]
    fn add_is_whole_idempotent_and_refuses_other_content() {
        let models = tempfile::tempdir().unwrap();
        let dir = ModelsDir::resolve(Some(models.path()));
        let src = source("abc");
        let pin = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let r = add(&dir, src.path(), "p", &files(Some(pin)), Refuse).unwrap();
        assert!(matches!(r, Added::Installed(_)));
        assert_eq!(dir.package_ids().unwrap(), ["p"]);
        let r = add(&dir, src.path(), "p", &files(Some(pin)), Refuse).unwrap();
        assert!(matches!(r, Added::AlreadyInstalled(_)));
        let other = source("abd");
        let e = add(&dir, other.path(), "p", &files(None), Refuse).unwrap_err();
        assert!(e.to_string().contains("different content"), "{e}");
        let e = add(&dir, other.path(), "q", &files(Some(pin)), Refuse).unwrap_err();
        assert!(e.to_string().contains("corrupt or incomplete"), "{e}");
        let mut missing = files(None);
        missing.push(PackageFile {
            name: "LICENSE".into(),
            sha256: None,
        });
        assert!(add(&dir, src.path(), "r", &missing, Refuse).is_err());
        assert_eq!(dir.package_ids().unwrap(), ["p"], "nothing left behind");
        assert!(add(&dir, src.path(), "../x", &files(None), Refuse).is_err());
        remove(&dir, "p").unwrap();
        assert!(dir.package_ids().unwrap().is_empty());
        assert!(remove(&dir, "p").is_err());
    }

    #[test]
    fn replace_swaps_in_the_new_content_whole() {
        let models = tempfile::tempdir().unwrap();
        let dir = ModelsDir::resolve(Some(models.path()));
        add(&dir, source("abc").path(), "p", &files(None), Replace).unwrap();
        let r = add(&dir, source("abd").path(), "p", &files(None), Replace).unwrap();
        assert!(matches!(r, Added::Replaced(_)), "{r:?}");
        let installed = dir.package_dir("p").unwrap().join("m.onnx");
        assert_eq!(std::fs::read_to_string(installed).unwrap(), "abd");
        assert_eq!(dir.package_ids().unwrap(), ["p"], "nothing left aside");
        let r = add(&dir, source("abd").path(), "p", &files(None), Replace).unwrap();
        assert!(matches!(r, Added::AlreadyInstalled(_)));
    }
}
