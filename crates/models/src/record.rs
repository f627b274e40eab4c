//! `installed.json`: what was installed in a models directory, from where and when.
//!
//! It is a record for people and for `lfr models list`; trust comes from
//! re-hashing against the manifest, never from this file.

use crate::error::{ModelsError, io};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

pub const RECORD_FILE: &str = "installed.json";
const FORMAT: u32 = 1;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Record {
    pub format: u32,
    /// Keyed by file name in the models directory.
    pub files: BTreeMap<String, Installed>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Installed {
    /// What the file is (the manifest's role).
    pub what: String,
    pub version: String,
    pub licence: String,
    pub sha256: String,
    pub size: u64,
    pub source: Provenance,
    /// RFC 3339, UTC.
    pub installed_at: String,
}

/// Where an installed file was taken from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Provenance {
    /// `file` (the file itself), `wheel` or `sdist` (a member of a PyPI
    /// archive), or `found` (already in the directory, source unknown).
    pub kind: String,
    /// Archive file name, for members of archives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive: Option<String>,
    /// Path inside the archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// Local path or URL the bytes were read from.
    pub location: String,
    /// Whether the bytes came over the network.
    pub downloaded: bool,
}

impl Provenance {
    /// A file found already in place with the pinned content: where it came
    /// from before is unknown, only that it is the right file.
    pub fn found(path: &Path) -> Self {
        Self {
            kind: "found".into(),
            archive: None,
            member: None,
            location: path.display().to_string(),
            downloaded: false,
        }
    }

    /// One line for tables: the archive or file, and how it arrived.
    pub fn summary(&self) -> String {
        if self.kind == "found" {
            return "found in place, matching the manifest's SHA-256".into();
        }
        let how = if self.downloaded {
            "downloaded"
        } else {
            "local"
        };
        match &self.archive {
            Some(a) => format!("{} {a} ({how})", self.kind),
            None => format!("{} ({how})", self.location),
        }
    }
}

impl Record {
    /// Reads the record of `dir`; an absent record is an empty one.
    pub fn load(dir: &Path) -> Result<Self, ModelsError> {
        let path = dir.join(RECORD_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::new()),
            Err(e) => return Err(io(format!("reading {}", path.display()))(e)),
        };
        let rec: Record = serde_json::from_str(&text).map_err(|e| ModelsError::Record {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        if rec.format != FORMAT {
            return Err(ModelsError::Record {
                path,
                reason: format!("unknown format {} (this lfr writes {FORMAT})", rec.format),
            });
        }
        Ok(rec)
    }

    pub fn new() -> Self {
        Self {
            format: FORMAT,
            files: BTreeMap::new(),
        }
    }

    /// Writes the record atomically (temporary file, then rename).
    pub fn save(&self, dir: &Path) -> Result<(), ModelsError> {
        let path = dir.join(RECORD_FILE);
        let mut text = serde_json::to_string_pretty(self).expect("record serialises");
        text.push('\n');
        let tmp = tempfile::Builder::new()
            .prefix(".installed.json.")
            .suffix(".part")
            .tempfile_in(dir)
            .map_err(io(format!(
                "creating a temporary file in {}",
                dir.display()
            )))?;
        std::fs::write(tmp.path(), text)
            .map_err(io(format!("writing {}", tmp.path().display())))?;
        set_readable(tmp.path())?;
        tmp.persist(&path)
            .map_err(|e| io(format!("writing {}", path.display()))(e.error))?;
        Ok(())
    }
}

/// Installed files are world-readable, like any other installed software.
pub(crate) fn set_readable(path: &Path) -> Result<(), ModelsError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644))
            .map_err(io(format!("setting permissions of {}", path.display())))?;
    }
    Ok(())
}

/// The current time as RFC 3339 UTC, to the second.
pub(crate) fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_malformed() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Record::load(dir.path()).unwrap(), Record::new());
        let mut r = Record::new();
        r.files.insert(
            "a.onnx".into(),
            Installed {
                what: "a".into(),
                version: "1".into(),
                licence: "MIT".into(),
                sha256: "00".into(),
                size: 1,
                source: Provenance {
                    kind: "file".into(),
                    archive: None,
                    member: None,
                    location: "/x/a.onnx".into(),
                    downloaded: false,
                },
                installed_at: now_rfc3339(),
            },
        );
        r.save(dir.path()).unwrap();
        assert_eq!(Record::load(dir.path()).unwrap(), r);
        std::fs::write(dir.path().join(RECORD_FILE), "{ not json").unwrap();
        let e = Record::load(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("installed.json") && e.contains("Delete it"),
            "{e}"
        );
    }
}
