//! The operator's keys: a master key, and one data key per deployment
//! wrapped (encrypted) under it.
//!
//! The keyring is a directory kept apart from the database on purpose.
//! Deleting a deployment's key file makes every sealed value of that
//! deployment unreadable, in the live database and in every backup of it,
//! provided the keyring itself is not backed up beyond the retention
//! periods (see docs/retention.md). That is crypto-shredding.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use lfr_domain::ids::DeploymentId;

use crate::StoreError;
use crate::crypto::Key;

const MASTER: &str = "master.key";
/// How many entries of the audit chain predate its keying: kept here, out
/// of reach of whoever can write only the database.
const UNKEYED: &str = "audit-chain.unkeyed";

/// The key directory.
#[derive(Debug)]
pub struct Keyring {
    dir: PathBuf,
    master: Key,
}

impl Keyring {
    /// Opens the keyring, creating the directory and a new master key if
    /// `create` is set and none exists yet.
    pub fn open(dir: &Path, create: bool) -> Result<Self, StoreError> {
        let path = dir.join(MASTER);
        if !path.exists() {
            if !create {
                return Err(StoreError::Invalid(format!(
                    "no master key at {}; create the system with `lfr user bootstrap`, or point --keys (LFR_KEYS) at the operator's key directory",
                    path.display()
                )));
            }
            fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
            restrict(dir, 0o700)?;
            let k = Key::generate()?;
            write_atomic(&path, hex::encode(k.bytes()).as_bytes())?;
        }
        let text = fs::read_to_string(&path).map_err(|e| io(&path, e))?;
        let bytes = hex::decode(text.trim())
            .map_err(|_| StoreError::Invalid(format!("{} is not a hex key", path.display())))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            master: Key::from_bytes(&bytes)?,
        })
    }

    fn file(&self, d: DeploymentId) -> PathBuf {
        self.dir.join(format!("deployment-{}.key", d.0))
    }

    fn aad(d: DeploymentId) -> String {
        format!("lfr-data-key:deployment:{}", d.0)
    }

    /// Creates the data key of a new deployment. `d` is an id the database
    /// has just handed out, so a key file already there belongs to no
    /// committed deployment: an application whose commit failed, or a key
    /// directory newer than a restored database. It is moved aside (never
    /// overwritten: it may still open data in some backup) and named so.
    pub fn create(&self, d: DeploymentId) -> Result<(), StoreError> {
        let path = self.file(d);
        if path.exists() {
            let stamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |t| t.as_millis());
            let aside = path.with_extension(format!("key.orphaned-{stamp}"));
            fs::rename(&path, &aside).map_err(|e| io(&path, e))?;
        }
        let wrapped = self.master.seal(Key::generate()?.bytes(), &Self::aad(d))?;
        write_atomic(&path, hex::encode(wrapped).as_bytes())
    }

    /// The data key of a deployment, or an error saying it was shredded.
    pub fn data_key(&self, d: DeploymentId) -> Result<Key, StoreError> {
        let path = self.file(d);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::Shredded(d));
            }
            Err(e) => return Err(io(&path, e)),
        };
        let wrapped = hex::decode(text.trim())
            .map_err(|_| StoreError::Crypto(format!("{} is corrupt", path.display())))?;
        Key::from_bytes(&self.master.open(&wrapped, &Self::aad(d))?)
    }

    /// The key of the audit chain, derived from the master key.
    pub(crate) fn chain_key(&self) -> crate::audit::ChainKey {
        crate::audit::ChainKey::derive(self.master.bytes())
    }

    /// The number of leading audit entries allowed to be unkeyed, if recorded.
    pub(crate) fn unkeyed_audit_entries(&self) -> Result<Option<u64>, StoreError> {
        let path = self.dir.join(UNKEYED);
        match fs::read_to_string(&path) {
            Ok(t) => t.trim().parse().map(Some).map_err(|_| {
                StoreError::Invalid(format!("{} does not hold a count", path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&path, e)),
        }
    }

    pub(crate) fn record_unkeyed_audit_entries(&self, n: u64) -> Result<(), StoreError> {
        write_atomic(&self.dir.join(UNKEYED), n.to_string().as_bytes())
    }

    pub fn has(&self, d: DeploymentId) -> bool {
        self.file(d).exists()
    }

    /// Destroys a deployment's data key: overwrite, flush, unlink.
    pub fn shred(&self, d: DeploymentId) -> Result<bool, StoreError> {
        let path = self.file(d);
        let Ok(meta) = fs::metadata(&path) else {
            return Ok(false);
        };
        let mut f = fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(|e| io(&path, e))?;
        f.write_all(&vec![0u8; meta.len() as usize])
            .map_err(|e| io(&path, e))?;
        f.sync_all().map_err(|e| io(&path, e))?;
        drop(f);
        fs::remove_file(&path).map_err(|e| io(&path, e))?;
        sync_dir(&self.dir);
        Ok(true)
    }
}

fn io(p: &Path, e: std::io::Error) -> StoreError {
    StoreError::Invalid(format!("{}: {e}", p.display()))
}

fn restrict(p: &Path, mode: u32) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(p, fs::Permissions::from_mode(mode)).map_err(|e| io(p, e))?;
    }
    let _ = (p, mode);
    Ok(())
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Writes a file readable only by its owner, atomically and durably.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = fs::File::create(&tmp).map_err(|e| io(&tmp, e))?;
        restrict(&tmp, 0o600)?;
        f.write_all(bytes).map_err(|e| io(&tmp, e))?;
        f.sync_all().map_err(|e| io(&tmp, e))?;
    }
    fs::rename(&tmp, path).map_err(|e| io(path, e))?;
    if let Some(dir) = path.parent() {
        sync_dir(dir);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_keys_are_wrapped_and_shredding_destroys_them() {
        let dir = tempfile::tempdir().unwrap();
        let ring = Keyring::open(dir.path(), true).unwrap();
        let d = DeploymentId(4);
        ring.create(d).unwrap();
        let k = ring.data_key(d).unwrap();
        let sealed = k.seal(b"name", "ctx").unwrap();
        // The key file does not hold the key in the clear.
        let on_disk = fs::read_to_string(dir.path().join("deployment-4.key")).unwrap();
        assert!(!on_disk.contains(&hex::encode(k.bytes())));
        // Reopened with the same master key, the data key still opens the data.
        let again = Keyring::open(dir.path(), false).unwrap();
        assert_eq!(
            &again.data_key(d).unwrap().open(&sealed, "ctx").unwrap()[..],
            b"name"
        );
        assert!(ring.shred(d).unwrap());
        assert!(matches!(again.data_key(d), Err(StoreError::Shredded(_))));
        assert!(!ring.shred(d).unwrap());
    }

    #[test]
    fn a_missing_master_key_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let e = Keyring::open(&dir.path().join("nope"), false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("lfr user bootstrap"), "{e}");
    }
}
