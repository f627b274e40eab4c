//! Shared by the walk-through tests: the models and the shared LFW.
#![allow(dead_code)]

use std::path::PathBuf;

use lfr_engine::pipeline::ModelFiles;

/// The installed models, or a panic that says how to install them.
pub fn models() -> ModelFiles {
    let dir = lfr_models::ModelsDir::resolve(
        std::env::var_os("LFR_MODELS").map(PathBuf::from).as_deref(),
    );
    ModelFiles::builtin_in(&dir)
        .unwrap_or_else(|e| panic!("a model file is missing ({e}): run `lfr models install`"))
}

/// LFW in the shared test data (`../shared` beside the repository, or $LFR_SHARED).
pub fn lfw() -> PathBuf {
    let root = std::env::var_os("LFR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    let p = root.join("data/lfw");
    assert!(
        p.join("images").is_dir(),
        "shared test data {} is missing: the walk-through tests need LFW in the read-only `shared/` folder beside the repository (or set LFR_SHARED)",
        p.join("images").display()
    );
    p
}
