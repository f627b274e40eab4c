//! The master key held in a PKCS#11 token: a hardware security module, a
//! smart card, or a cloud KMS's PKCS#11 library.
//!
//! The key never leaves the token: lfr asks the token to wrap and unwrap
//! deployment data keys (AES-256-GCM, the same layout as a key file's, so
//! a key file can move into a token without rewrapping anything) and to
//! derive the audit chain's key (HMAC-SHA-256 under a second secret of the
//! same value). Both are created sensitive and non-extractable: a copy of
//! the key directory, the database or the process's files gives neither.
//!
//! `master.pkcs11` in the key directory says which library, token and key
//! to use; the user PIN comes from `LFR_PKCS11_PIN` or a file the
//! configuration names, never from the configuration itself.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Function, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::StoreError;
use crate::audit::ChainKey;
use crate::crypto::Key;

/// The configuration's file name in the key directory.
pub const CONFIG: &str = "master.pkcs11";
/// The environment variable holding the token's user PIN.
pub const PIN_ENV: &str = "LFR_PKCS11_PIN";

const NONCE_LEN: usize = 12;
const TAG_BITS: u64 = 128;

/// Which token holds the master key, as kept in `master.pkcs11`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// The PKCS#11 library (for example `/usr/lib/softhsm/libsofthsm2.so`).
    pub module: PathBuf,
    /// The token's label.
    pub token: String,
    /// The key's label; the audit secret is labelled `KEY-audit`.
    pub key: String,
    /// A file holding the user PIN, instead of `LFR_PKCS11_PIN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_file: Option<PathBuf>,
}

impl TokenConfig {
    pub fn read(dir: &Path) -> Result<Option<Self>, StoreError> {
        let path = dir.join(CONFIG);
        match std::fs::read_to_string(&path) {
            Ok(t) => serde_json::from_str(&t).map(Some).map_err(|e| {
                StoreError::Invalid(format!(
                    "{} is not a token configuration ({e}); it holds {{\"module\", \"token\", \"key\"}} and optionally \"pin_file\"",
                    path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(super::io(&path, e)),
        }
    }

    pub(super) fn write(&self, dir: &Path) -> Result<(), StoreError> {
        let text = serde_json::to_string_pretty(self).expect("plain fields");
        super::write_atomic(&dir.join(CONFIG), text.as_bytes())
    }

    fn pin(&self) -> Result<AuthPin, StoreError> {
        let pin = match &self.pin_file {
            Some(f) => std::fs::read_to_string(f)
                .map_err(|e| super::io(f, e))?
                .trim_end_matches(['\r', '\n'])
                .to_string(),
            None => std::env::var(PIN_ENV).map_err(|_| {
                StoreError::Invalid(format!(
                    "the master key is in PKCS#11 token {:?}: set {PIN_ENV} to its user PIN, or name a PIN file as \"pin_file\" in {CONFIG}",
                    self.token
                ))
            })?,
        };
        Ok(AuthPin::from(pin))
    }
}

fn failed(what: &str, cfg: &TokenConfig, e: CkError) -> StoreError {
    StoreError::Crypto(format!(
        "PKCS#11 token {:?} ({}): {what}: {e}",
        cfg.token,
        cfg.module.display()
    ))
}

/// One initialised library per module for the whole process: finalising
/// one would end every other session on it.
fn library(cfg: &TokenConfig) -> Result<Pkcs11, StoreError> {
    static LIBS: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let mut libs = LIBS
        .get_or_init(Default::default)
        .lock()
        .expect("not poisoned");
    if let Some(p) = libs.get(&cfg.module) {
        return Ok(p.clone());
    }
    let p = Pkcs11::new(&cfg.module).map_err(|e| {
        StoreError::Invalid(format!(
            "cannot load the PKCS#11 library {} named in {CONFIG}: {e}",
            cfg.module.display()
        ))
    })?;
    match p.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(())
        | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, Function::Initialize)) => {}
        Err(e) => return Err(failed("initialising the library", cfg, e)),
    }
    libs.insert(cfg.module.clone(), p.clone());
    Ok(p)
}

/// A signed-in session on the configured token.
fn session(cfg: &TokenConfig) -> Result<Session, StoreError> {
    let lib = library(cfg)?;
    let slots = lib
        .get_slots_with_token()
        .map_err(|e| failed("listing slots", cfg, e))?;
    let slot = slots
        .into_iter()
        .find(|s| lib.get_token_info(*s).is_ok_and(|t| t.label().trim_end() == cfg.token))
        .ok_or_else(|| {
            StoreError::Invalid(format!(
                "no PKCS#11 token labelled {:?} in {}: connect the token, or correct \"token\" in {CONFIG}",
                cfg.token,
                cfg.module.display()
            ))
        })?;
    let s = lib
        .open_rw_session(slot)
        .map_err(|e| failed("opening a session", cfg, e))?;
    match s.login(UserType::User, Some(&cfg.pin()?)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(s),
        Err(CkError::Pkcs11(
            RvError::PinIncorrect | RvError::PinInvalid | RvError::PinLenRange,
            _,
        )) => Err(StoreError::Invalid(format!(
            "the PIN for PKCS#11 token {:?} is wrong (check {PIN_ENV} or the PIN file); repeated wrong PINs may lock the token",
            cfg.token
        ))),
        Err(e) => Err(failed("signing in", cfg, e)),
    }
}

/// The two secrets the master key is in a token: an AES key that wraps
/// the data keys, and an HMAC secret of the same value for the audit chain.
#[derive(Clone, Copy)]
enum Part {
    Wrap,
    Audit,
}

impl Part {
    fn label(self, cfg: &TokenConfig) -> String {
        match self {
            Part::Wrap => cfg.key.clone(),
            Part::Audit => format!("{}-audit", cfg.key),
        }
    }

    fn what(self) -> &'static str {
        match self {
            Part::Wrap => "the master key",
            Part::Audit => "the audit secret",
        }
    }

    fn kind(self) -> KeyType {
        match self {
            Part::Wrap => KeyType::AES,
            Part::Audit => KeyType::GENERIC_SECRET,
        }
    }

    /// What the token is asked to keep: this part, in the token, unreadable;
    /// `value` is its value or its length.
    fn template(self, cfg: &TokenConfig, value: Attribute) -> Vec<Attribute> {
        let uses = match self {
            Part::Wrap => [Attribute::Encrypt(true), Attribute::Decrypt(true)],
            Part::Audit => [Attribute::Sign(true), Attribute::Verify(true)],
        };
        let mut a = vec![
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(self.kind()),
            Attribute::Label(self.label(cfg).into_bytes()),
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            value,
        ];
        a.extend(uses);
        a
    }

    fn find(self, s: &Session, cfg: &TokenConfig) -> Result<Option<ObjectHandle>, StoreError> {
        let label = self.label(cfg);
        let found = s
            .find_objects(&[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::KeyType(self.kind()),
                Attribute::Label(label.clone().into_bytes()),
            ])
            .map_err(|e| failed("looking for the key", cfg, e))?;
        match found.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            _ => Err(StoreError::Invalid(format!(
                "PKCS#11 token {:?} holds {} keys labelled {label:?}: lfr cannot tell which is the master key",
                cfg.token,
                found.len()
            ))),
        }
    }
}

/// The master key in a token, with a signed-in session.
pub struct TokenKey {
    cfg: TokenConfig,
    session: Mutex<Session>,
    aes: ObjectHandle,
    mac: ObjectHandle,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenKey({:?} in {:?})", self.cfg.key, self.cfg.token)
    }
}

impl TokenKey {
    /// Opens the configured key; with `create`, a token that holds none gets
    /// a new one, made inside it.
    pub fn connect(cfg: &TokenConfig, create: bool) -> Result<Self, StoreError> {
        let s = session(cfg)?;
        match (Part::Wrap.find(&s, cfg)?, Part::Audit.find(&s, cfg)?) {
            (Some(aes), Some(mac)) => Ok(Self::new(cfg, s, aes, mac)),
            (None, None) if create => {
                let make = |p: Part, how: Mechanism| {
                    s.generate_key(&how, &p.template(cfg, Attribute::ValueLen(32.into())))
                        .map_err(|e| failed(&format!("making {}", p.what()), cfg, e))
                };
                let aes = make(Part::Wrap, Mechanism::AesKeyGen)?;
                let mac = make(Part::Audit, Mechanism::GenericSecretKeyGen)
                    .inspect_err(|_| drop(s.destroy_object(aes)))?;
                Ok(Self::new(cfg, s, aes, mac))
            }
            (None, None) => Err(StoreError::Invalid(format!(
                "PKCS#11 token {:?} holds no key labelled {:?}: this is not the token the system was set up with, or \"key\" in {CONFIG} is wrong",
                cfg.token, cfg.key
            ))),
            _ => Err(StoreError::Invalid(format!(
                "PKCS#11 token {:?} holds only one of {:?} and {:?}: an earlier move into it did not finish; restore the token from its backup",
                cfg.token,
                Part::Wrap.label(cfg),
                Part::Audit.label(cfg)
            ))),
        }
    }

    /// Puts an existing master key into the token (as the AES key and the
    /// audit secret), marked sensitive and non-extractable. Refused if the
    /// token already holds a key of that label.
    pub fn import(cfg: &TokenConfig, master: &Key) -> Result<Self, StoreError> {
        let s = session(cfg)?;
        if Part::Wrap.find(&s, cfg)?.is_some() || Part::Audit.find(&s, cfg)?.is_some() {
            return Err(StoreError::Invalid(format!(
                "PKCS#11 token {:?} already holds a key labelled {:?}: choose another --key-label",
                cfg.token, cfg.key
            )));
        }
        let store = |p: Part| {
            s.create_object(&p.template(cfg, Attribute::Value(master.bytes().to_vec())))
                .map_err(|e| failed(&format!("storing {}", p.what()), cfg, e))
        };
        let aes = store(Part::Wrap)?;
        let mac = store(Part::Audit).inspect_err(|_| drop(s.destroy_object(aes)))?;
        Ok(Self::new(cfg, s, aes, mac))
    }

    fn new(cfg: &TokenConfig, session: Session, aes: ObjectHandle, mac: ObjectHandle) -> Self {
        Self {
            cfg: cfg.clone(),
            session: Mutex::new(session),
            aes,
            mac,
        }
    }

    /// Removes the key from the token: for a move that failed its checks.
    pub(super) fn destroy(self) {
        let s = self.session.lock().expect("not poisoned");
        let _ = s.destroy_object(self.aes);
        let _ = s.destroy_object(self.mac);
    }

    pub fn config(&self) -> &TokenConfig {
        &self.cfg
    }

    /// Whether the token would hand out the key's value (it must not).
    pub fn extractable(&self) -> bool {
        let s = self.session.lock().expect("not poisoned");
        [self.aes, self.mac].iter().any(|k| {
            s.get_attributes(*k, &[AttributeType::Value])
                .is_ok_and(|a| {
                    a.iter()
                        .any(|a| matches!(a, Attribute::Value(v) if !v.is_empty()))
                })
        })
    }

    /// nonce || ciphertext || tag, as [`Key::seal`] writes it.
    pub fn seal(&self, plaintext: &[u8], aad: &str) -> Result<Vec<u8>, StoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::getrandom(&mut nonce)
            .map_err(|e| StoreError::Crypto(format!("no randomness: {e}")))?;
        let mut iv = nonce;
        let params = GcmParams::new(&mut iv, aad.as_bytes(), TAG_BITS.into())
            .map_err(|e| failed("preparing AES-GCM", &self.cfg, e))?;
        let ct = self
            .session
            .lock()
            .expect("not poisoned")
            .encrypt(&Mechanism::AesGcm(params), self.aes, plaintext)
            .map_err(|e| failed("wrapping a key", &self.cfg, e))?;
        Ok([&nonce[..], &ct].concat())
    }

    pub fn open(&self, sealed: &[u8], aad: &str) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(StoreError::Crypto("sealed value too short".into()));
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        let mut iv = [0u8; NONCE_LEN];
        iv.copy_from_slice(nonce);
        let params = GcmParams::new(&mut iv, aad.as_bytes(), TAG_BITS.into())
            .map_err(|e| failed("preparing AES-GCM", &self.cfg, e))?;
        self.session
            .lock()
            .expect("not poisoned")
            .decrypt(&Mechanism::AesGcm(params), self.aes, ct)
            .map(Zeroizing::new)
            .map_err(|_| {
                StoreError::Crypto(format!(
                    "a wrapped key does not open under the master key in PKCS#11 token {:?}: wrong token or key, or the key file is corrupt",
                    self.cfg.token
                ))
            })
    }

    /// The audit chain's key, derived by the token as [`ChainKey::derive`]
    /// derives it from a key file, so a moved key keeps the chain.
    pub(crate) fn chain_key(&self) -> Result<ChainKey, StoreError> {
        Ok(ChainKey::from_derived(self.mac(ChainKey::DERIVATION)?))
    }

    /// HMAC-SHA-256 of `data` under the audit secret.
    fn mac(&self, data: &[u8]) -> Result<[u8; 32], StoreError> {
        let m = self
            .session
            .lock()
            .expect("not poisoned")
            .sign(&Mechanism::Sha256Hmac, self.mac, data)
            .map_err(|e| failed("deriving the audit key", &self.cfg, e))?;
        m.try_into()
            .map_err(|_| StoreError::Crypto("the token's HMAC-SHA-256 is not 32 bytes".into()))
    }
}
