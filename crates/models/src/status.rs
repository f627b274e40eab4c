//! The state of each manifest file in a models directory, by re-hashing:
//! what `lfr models list` shows and `lfr models verify` judges.

use crate::digest::sha256_file;
use crate::manifest::{self, ModelFile};
use crate::record::{Installed, Record};
use crate::{ModelsDir, ModelsError};
use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "state")]
pub enum State {
    /// Present and matching its pin.
    Installed,
    /// Absent.
    Missing,
    /// Present with other contents than the pinned file.
    Corrupt { sha256: String, size: u64 },
    /// Present but could not be read.
    Unreadable { error: String },
}

impl State {
    pub fn label(&self) -> &'static str {
        match self {
            State::Installed => "installed",
            State::Missing => "missing",
            State::Corrupt { .. } => "corrupt",
            State::Unreadable { .. } => "unreadable",
        }
    }
}

#[derive(Debug, Clone)]
pub struct FileStatus {
    pub file: &'static ModelFile,
    pub path: PathBuf,
    pub state: State,
    /// The entry of `installed.json`, if any.
    pub record: Option<Installed>,
}

impl FileStatus {
    /// A problem is any state but installed, except an optional file that is
    /// simply missing (a licence text the source did not provide).
    pub fn is_problem(&self) -> bool {
        match self.state {
            State::Installed => false,
            State::Missing => self.file.required,
            State::Corrupt { .. } | State::Unreadable { .. } => true,
        }
    }
}

/// Re-hashes every manifest file of `dir`. A malformed `installed.json` is
/// an error: the caller should say how to rebuild it.
pub fn check(dir: &ModelsDir) -> Result<Vec<FileStatus>, ModelsError> {
    let record = Record::load(dir.root())?;
    // The GPU runtime is listed once installed: it is not missing otherwise.
    let gpu = manifest::gpu().filter(|m| dir.root().join(m.name).exists());
    Ok(manifest::all()
        .chain(gpu)
        .map(|m| {
            let path = dir.root().join(m.name);
            let state = state_of(m, &path);
            FileStatus {
                file: m,
                path,
                state,
                record: record.files.get(m.name).cloned(),
            }
        })
        .collect())
}

fn state_of(m: &ModelFile, path: &std::path::Path) -> State {
    if !path.exists() {
        return State::Missing;
    }
    match sha256_file(path) {
        Ok((sha, size)) if sha == m.sha256 && size == m.size => State::Installed,
        Ok((sha256, size)) => State::Corrupt { sha256, size },
        Err(e) => State::Unreadable {
            error: e.to_string(),
        },
    }
}
