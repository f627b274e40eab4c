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

use zeroize::Zeroizing;

use crate::StoreError;
use crate::audit::ChainKey;
use crate::crypto::Key;

mod token;
pub use token::{CONFIG as TOKEN_CONFIG, PIN_ENV, TokenConfig, TokenKey};

const MASTER: &str = "master.key";
/// How many entries of the audit chain predate its keying: kept here, out
/// of reach of whoever can write only the database.
const UNKEYED: &str = "audit-chain.unkeyed";

/// Where the master key is: a file in the key directory, or a PKCS#11 token.
#[derive(Debug)]
enum Master {
    File(Key),
    Token(TokenKey),
}

impl Master {
    fn seal(&self, plaintext: &[u8], aad: &str) -> Result<Vec<u8>, StoreError> {
        match self {
            Master::File(k) => k.seal(plaintext, aad),
            Master::Token(t) => t.seal(plaintext, aad),
        }
    }

    fn open(&self, sealed: &[u8], aad: &str) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        match self {
            Master::File(k) => k.open(sealed, aad),
            Master::Token(t) => t.open(sealed, aad),
        }
    }

    fn chain_key(&self) -> Result<ChainKey, StoreError> {
        match self {
            Master::File(k) => Ok(ChainKey::derive(k.bytes())),
            Master::Token(t) => t.chain_key(),
        }
    }
}

/// What moving the master key into a token did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MovedToToken {
    pub token: String,
    pub key: String,
    /// Deployment data keys proven to open under the token's key.
    pub deployment_keys: usize,
}

/// The key directory.
#[derive(Debug)]
pub struct Keyring {
    dir: PathBuf,
    master: Master,
    chain: ChainKey,
}

impl Keyring {
    /// Opens the keyring, creating the directory and a new master key if
    /// `create` is set and none exists yet. With `master.pkcs11` the master
    /// key is in that token (made there if `create` is set and it has none).
    pub fn open(dir: &Path, create: bool) -> Result<Self, StoreError> {
        let path = dir.join(MASTER);
        if let Some(cfg) = TokenConfig::read(dir)? {
            let token = TokenKey::connect(&cfg, create && !path.exists())?;
            let master = Master::Token(token);
            let chain = master.chain_key()?;
            if path.exists() {
                // A move into the token that stopped before the file was
                // destroyed: finish it, once the file is proven to hold the
                // token's key.
                let file = Self::read_master(&path)?;
                if !ChainKey::derive(file.bytes()).same_as(&chain) {
                    return Err(StoreError::Invalid(format!(
                        "{} and {} hold different master keys: keep the one the system was set up with and move the other away",
                        path.display(),
                        dir.join(TOKEN_CONFIG).display()
                    )));
                }
                shred_file(&path, dir)?;
            }
            return Ok(Self {
                dir: dir.to_path_buf(),
                master,
                chain,
            });
        }
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
        let master = Master::File(Self::read_master(&path)?);
        Ok(Self {
            dir: dir.to_path_buf(),
            chain: master.chain_key()?,
            master,
        })
    }

    fn read_master(path: &Path) -> Result<Key, StoreError> {
        let text = Zeroizing::new(fs::read_to_string(path).map_err(|e| io(path, e))?);
        let bytes =
            Zeroizing::new(hex::decode(text.trim()).map_err(|_| {
                StoreError::Invalid(format!("{} is not a hex key", path.display()))
            })?);
        Key::from_bytes(&bytes)
    }

    /// Sets up a new key directory whose master key is made inside a token
    /// and never exists anywhere else. Refused where a master key exists.
    pub fn create_in_token(dir: &Path, cfg: &TokenConfig) -> Result<Self, StoreError> {
        if dir.join(MASTER).exists() || dir.join(TOKEN_CONFIG).exists() {
            return Err(StoreError::Invalid(format!(
                "{} already has a master key: move it into the token with an administrator's token instead (LFR_TOKEN)",
                dir.display()
            )));
        }
        fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        restrict(dir, 0o700)?;
        let master = Master::Token(TokenKey::connect(cfg, true)?);
        cfg.write(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            chain: master.chain_key()?,
            master,
        })
    }

    /// Where the master key is, in words.
    pub fn master_location(&self) -> String {
        match &self.master {
            Master::File(_) => format!("file {}", self.dir.join(MASTER).display()),
            Master::Token(t) => format!(
                "key {:?} in PKCS#11 token {:?} ({})",
                t.config().key,
                t.config().token,
                t.config().module.display()
            ),
        }
    }

    /// Moves the master key from its file into a token: stored there
    /// sensitive and non-extractable, proven to open every deployment's
    /// data key and to give the same audit chain key, then the file is
    /// overwritten and removed. Nothing is rewrapped: a token's key wraps
    /// as the file's did.
    pub fn move_to_token(&self, cfg: &TokenConfig) -> Result<MovedToToken, StoreError> {
        let Master::File(file) = &self.master else {
            return Err(StoreError::Invalid(format!(
                "the master key is already in a token: {}",
                self.master_location()
            )));
        };
        if let Some(c) = TokenConfig::read(&self.dir)? {
            return Err(StoreError::Invalid(format!(
                "{} already names token {:?}, key {:?}: another move is under way",
                self.dir.join(TOKEN_CONFIG).display(),
                c.token,
                c.key
            )));
        }
        let token = TokenKey::import(cfg, file)?;
        let deployment_keys = match self.prove(&token) {
            Ok(n) => n,
            Err(e) => {
                // Nothing of a failed move stays in the token.
                token.destroy();
                return Err(e);
            }
        };
        cfg.write(&self.dir)?;
        shred_file(&self.dir.join(MASTER), &self.dir)?;
        Ok(MovedToToken {
            token: cfg.token.clone(),
            key: cfg.key.clone(),
            deployment_keys,
        })
    }

    /// That `token` holds this keyring's master key, unextractable: it
    /// gives the same audit chain key and opens every deployment's data key
    /// as the file does. Returns how many data keys it opened.
    fn prove(&self, token: &TokenKey) -> Result<usize, StoreError> {
        let cfg = token.config();
        if token.extractable() {
            return Err(StoreError::Invalid(format!(
                "PKCS#11 token {:?} gives out the value of key {:?}: it cannot keep a master key; use a token that honours CKA_SENSITIVE",
                cfg.token, cfg.key
            )));
        }
        if !token.chain_key()?.same_as(&self.chain) {
            return Err(StoreError::Invalid(format!(
                "PKCS#11 token {:?}'s key {:?} is not this system's master key: choose another --key-label",
                cfg.token, cfg.key
            )));
        }
        let mut deployment_keys = 0;
        for entry in fs::read_dir(&self.dir).map_err(|e| io(&self.dir, e))? {
            let path = entry.map_err(|e| io(&self.dir, e))?.path();
            let Some(id) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("deployment-")?.strip_suffix(".key"))
                .and_then(|n| n.parse().ok())
            else {
                continue;
            };
            let d = DeploymentId(id);
            let wrapped = self.wrapped(d)?;
            let by_file = self.master.open(&wrapped, &Self::aad(d))?;
            let by_token = token.open(&wrapped, &Self::aad(d))?;
            if by_file[..] != by_token[..] {
                return Err(StoreError::Crypto(format!(
                    "{} opens differently under the token: the file is kept",
                    path.display()
                )));
            }
            deployment_keys += 1;
        }
        Ok(deployment_keys)
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
        Key::from_bytes(&self.master.open(&self.wrapped(d)?, &Self::aad(d))?)
    }

    fn wrapped(&self, d: DeploymentId) -> Result<Vec<u8>, StoreError> {
        let path = self.file(d);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::Shredded(d));
            }
            Err(e) => return Err(io(&path, e)),
        };
        hex::decode(text.trim())
            .map_err(|_| StoreError::Crypto(format!("{} is corrupt", path.display())))
    }

    /// The key of the audit chain, derived from the master key.
    pub(crate) fn chain_key(&self) -> ChainKey {
        self.chain.clone()
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
        shred_file(&self.file(d), &self.dir)
    }
}

/// Overwrites a key file with zeros, flushes it and unlinks it.
fn shred_file(path: &Path, dir: &Path) -> Result<bool, StoreError> {
    let Ok(meta) = fs::metadata(path) else {
        return Ok(false);
    };
    let mut f = fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| io(path, e))?;
    f.write_all(&vec![0u8; meta.len() as usize])
        .map_err(|e| io(path, e))?;
    f.sync_all().map_err(|e| io(path, e))?;
    drop(f);
    fs::remove_file(path).map_err(|e| io(path, e))?;
    sync_dir(dir);
    Ok(true)
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
