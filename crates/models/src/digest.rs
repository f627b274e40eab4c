//! SHA-256 of files and streams, and the per-process record of files
//! already proved good.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

/// Lower-case hex SHA-256 of bytes in memory.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// SHA-256 (lower-case hex) and length of a file's contents.
pub fn sha256_file(path: &Path) -> io::Result<(String, u64)> {
    let mut r = HashingReader::new(File::open(path)?);
    io::copy(&mut r, &mut io::sink())?;
    Ok(r.finish())
}

/// A reader that hashes and counts what passes through it.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    len: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            len: 0,
        }
    }

    /// Reads the rest of the stream (so the hash covers all of it), then
    /// returns the hash and total length.
    pub fn drain_and_finish(mut self) -> io::Result<(String, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        Ok(self.finish())
    }

    pub fn finish(self) -> (String, u64) {
        (hex::encode(self.hasher.finalize()), self.len)
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
}

/// What identifies a file's contents cheaply: if any of these change, the
/// file is hashed again.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    ino: u64,
}

fn stamp(path: &Path) -> io::Result<Stamp> {
    let md = std::fs::metadata(path)?;
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(&md);
    #[cfg(not(unix))]
    let ino = 0;
    Ok(Stamp {
        len: md.len(),
        modified: md.modified().ok(),
        ino,
    })
}

type ProvedMap = HashMap<(PathBuf, &'static str), Stamp>;

/// Files whose hash matched in this process, keyed by path and pinned hash.
fn proved() -> &'static Mutex<ProvedMap> {
    static CACHE: OnceLock<Mutex<ProvedMap>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// `None` if `path` hashes to `sha256`, else its actual hash and length.
/// A file proved earlier in this process and not replaced or modified since
/// is not hashed again. The stamp is taken before hashing, so a change made
/// while hashing shows up as a different stamp on the next call.
pub(crate) fn check_cached(path: &Path, sha256: &'static str) -> io::Result<Option<(String, u64)>> {
    let before = stamp(path)?;
    let key = (path.to_path_buf(), sha256);
    {
        let cache = proved().lock().unwrap_or_else(|e| e.into_inner());
        if cache.get(&key) == Some(&before) {
            return Ok(None);
        }
    }
    let (actual, len) = sha256_file(path)?;
    let mut cache = proved().lock().unwrap_or_else(|e| e.into_inner());
    if actual == sha256 {
        cache.insert(key, before);
        Ok(None)
    } else {
        cache.remove(&key);
        Ok(Some((actual, len)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digest_of_abc() {
        let mut r = HashingReader::new(&b"abc"[..]);
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        let (h, n) = r.finish();
        assert_eq!(n, 3);
        assert_eq!(
            h,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
