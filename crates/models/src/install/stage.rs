//! Staging: every file is written to a temporary file in the models
//! directory, hashed on the way in, and renamed into place only after its
//! hash matches the pin. A failure at any point drops the temporary file,
//! so a models directory never holds a half-written or unverified model.

use crate::ModelsError;
use crate::error::Mismatch;
use crate::error::io;
use crate::manifest::ModelFile;
use crate::record::set_readable;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::Path;
use tempfile::NamedTempFile;

/// Prefix and suffix of staging files; leftovers of a killed install are
/// removed by the next one.
pub(crate) const PART_PREFIX: &str = ".lfr-";
pub(crate) const PART_SUFFIX: &str = ".part";

/// A temporary file being filled.
pub(crate) struct Stager {
    tmp: NamedTempFile,
    hasher: Sha256,
    len: u64,
}

impl Stager {
    pub fn new(root: &Path, name: &str) -> Result<Self, ModelsError> {
        let tmp = tempfile::Builder::new()
            .prefix(&format!("{PART_PREFIX}{name}."))
            .suffix(PART_SUFFIX)
            .tempfile_in(root)
            .map_err(io(format!(
                "creating a temporary file in {}",
                root.display()
            )))?;
        Ok(Self {
            tmp,
            hasher: Sha256::new(),
            len: 0,
        })
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// SHA-256 and length written so far.
    pub fn digest(&self) -> (String, u64) {
        (hex::encode(self.hasher.clone().finalize()), self.len)
    }

    /// Checks the contents against `m`'s pin. `origin` names where the bytes
    /// came from and `hint` says what to do about a mismatch.
    pub fn finish(
        mut self,
        m: &'static ModelFile,
        origin: &str,
        hint: &str,
    ) -> Result<Verified, ModelsError> {
        self.tmp
            .as_file_mut()
            .flush()
            .map_err(io(format!("writing {}", self.tmp.path().display())))?;
        let (actual, actual_size) = self.digest();
        if actual != m.sha256 || actual_size != m.size {
            return Err(ModelsError::from(Mismatch {
                file: m.name.to_string(),
                path: origin.to_string(),
                expected: m.sha256.to_string(),
                expected_size: m.size,
                actual,
                actual_size,
                hint: hint.to_string(),
            }));
        }
        Ok(Verified { tmp: self.tmp })
    }

    /// Returns the temporary file itself, for archives that are read back
    /// (wheels need random access) and are not manifest files.
    #[cfg(feature = "online")]
    pub fn into_temp(self) -> NamedTempFile {
        self.tmp
    }
}

impl Write for Stager {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.tmp.as_file_mut().write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.tmp.as_file_mut().flush()
    }
}

/// A staged file whose hash matched its pin.
pub(crate) struct Verified {
    tmp: NamedTempFile,
}

impl Verified {
    /// Syncs the contents to disk and renames the file into place.
    pub fn place(self, dest: &Path) -> Result<(), ModelsError> {
        self.tmp
            .as_file()
            .sync_all()
            .map_err(io(format!("writing {}", self.tmp.path().display())))?;
        set_readable(self.tmp.path())?;
        self.tmp
            .persist(dest)
            .map_err(|e| io(format!("moving a verified file to {}", dest.display()))(e.error))?;
        Ok(())
    }
}

/// Copies `from` into `to`, telling read failures (a bad source) from write
/// failures (a full or read-only disk) so each gets the right message.
pub(crate) fn copy_tagged<R: Read + ?Sized, W: Write + ?Sized>(
    from: &mut R,
    to: &mut W,
    on_read: impl FnOnce(std::io::Error) -> ModelsError,
    on_write: impl FnOnce(std::io::Error) -> ModelsError,
) -> Result<u64, ModelsError> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(on_read(e)),
        };
        if let Err(e) = to.write_all(&buf[..n]) {
            return Err(on_write(e));
        }
        total += n as u64;
    }
}

/// Copies a local file into a verified staging file.
pub(crate) fn stage_local_file(
    src: &Path,
    root: &Path,
    m: &'static ModelFile,
    hint: &str,
) -> Result<Verified, ModelsError> {
    let mut f = std::fs::File::open(src).map_err(io(format!("opening {}", src.display())))?;
    let mut st = Stager::new(root, m.name)?;
    let staging = st.path().display().to_string();
    copy_tagged(
        &mut f,
        &mut st,
        io(format!("reading {}", src.display())),
        io(format!("writing {staging}")),
    )?;
    st.finish(m, &src.display().to_string(), hint)
}

/// Removes staging files left by an install that was killed.
pub(crate) fn remove_leftovers(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(PART_PREFIX) && name.ends_with(PART_SUFFIX) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}
