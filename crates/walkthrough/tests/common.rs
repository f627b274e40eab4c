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
    lfr_testkit::shared("data/lfw/images")
        .parent()
        .expect("LFW's folder")
        .to_path_buf()
}
