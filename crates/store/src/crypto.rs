//! Encryption at rest: AES-256-GCM with a fresh 96-bit nonce per value.
//!
//! Every sealed value is bound to where it lives by associated data (e.g.
//! `alert:17:probe`), so a ciphertext copied into another row fails to open
//! instead of showing the wrong person's face.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use zeroize::Zeroizing;

use crate::StoreError;

const NONCE_LEN: usize = 12;

/// A 256-bit key, zeroed when dropped.
#[derive(Clone)]
pub struct Key(Zeroizing<[u8; 32]>);

impl Key {
    pub fn generate() -> Result<Self, StoreError> {
        let mut k = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(&mut k[..])
            .map_err(|e| StoreError::Crypto(format!("no system randomness: {e}")))?;
        Ok(Self(k))
    }

    pub fn from_bytes(b: &[u8]) -> Result<Self, StoreError> {
        let arr: [u8; 32] = b.try_into().map_err(|_| {
            StoreError::Crypto(format!("a key must be 32 bytes, found {}", b.len()))
        })?;
        Ok(Self(Zeroizing::new(arr)))
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Encrypts: output is nonce || ciphertext || tag.
    pub fn seal(&self, plaintext: &[u8], aad: &str) -> Result<Vec<u8>, StoreError> {
        let cipher = Aes256Gcm::new_from_slice(&self.0[..]).expect("32-byte key");
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::getrandom(&mut nonce)
            .map_err(|e| StoreError::Crypto(format!("no system randomness: {e}")))?;
        let ct = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Crypto("encryption failed".into()))?;
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Decrypts and authenticates; any change to the bytes or the context fails.
    pub fn open(&self, sealed: &[u8], aad: &str) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(StoreError::Crypto(format!(
                "sealed value for {aad} is truncated"
            )));
        }
        let cipher = Aes256Gcm::new_from_slice(&self.0[..]).expect("32-byte key");
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: aad.as_bytes(),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| {
                StoreError::Crypto(format!(
                    "{aad} failed authentication: wrong key, or the data was altered"
                ))
            })
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_tamper_detection() {
        let k = Key::generate().unwrap();
        let s = k.seal(b"a face", "alert:1:probe").unwrap();
        assert_eq!(&k.open(&s, "alert:1:probe").unwrap()[..], b"a face");
        assert!(k.open(&s, "alert:2:probe").is_err(), "bound to its row");
        let mut bad = s.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(k.open(&bad, "alert:1:probe").is_err());
        assert!(
            Key::generate().unwrap().open(&s, "alert:1:probe").is_err(),
            "other key"
        );
        assert!(k.open(&s[..10], "alert:1:probe").is_err());
        assert_ne!(
            k.seal(b"a face", "x").unwrap(),
            k.seal(b"a face", "x").unwrap(),
            "fresh nonce"
        );
    }
}
