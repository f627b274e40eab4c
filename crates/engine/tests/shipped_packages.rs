//! The recognition packages lfr ships, as `lfr models install` built them:
//! SFace's repaired graph computes what the published one does, its folded
//! float weights give the quantised graph's descriptors, and the OMZ
//! descriptor's N x 256 x 1 x 1 output is read as 256-d templates,
//! InsightFace's w600k_mbf takes batches once its batch dimension is freed,
//! and the runtime's rewrite of their PRelu activations changes no
//! descriptor.
mod support;

use lfr_engine::align::Aligner;
use lfr_engine::describe::Describer;
use lfr_engine::detect::{Detector, DetectorConfig};
use lfr_engine::package::Package;
use lfr_engine::pipeline::subject_face;
use support::*;

/// Photographs of four LFW people, two each, for chips cut to `p`'s template.
fn chips(p: &Package) -> Vec<(String, image::RgbImage)> {
    let backend = backend();
    let yunet = model_bytes(lfr_models::files::YUNET);
    let mut det = Detector::new(&backend, &yunet, DetectorConfig::stills()).unwrap();
    let aligner = Aligner::template(p.manifest().template());
    let mut out = Vec::new();
    for person in [
        "Colin_Powell",
        "Gloria_Macapagal_Arroyo",
        "Serena_Williams",
        "Tony_Blair",
    ] {
        for n in [1, 2] {
            let path = shared(&format!("data/lfw/images/{person}/{person}_{n:04}.jpg"));
            let img = load_rgb(&path);
            let faces = det.detect(&img).unwrap();
            let f = subject_face(&img, &faces).expect("a face in every photograph");
            let chip = aligner.align(&img, &f.bbox, &f.landmarks).unwrap().chip;
            out.push((person.to_string(), chip));
        }
    }
    out
}

fn lowest_cosine(a: &[Vec<f32>], b: &[Vec<f32>]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| cosine(x, y))
        .fold(1f32, f32::min)
}

fn describe(d: &mut Describer, chips: &[(String, image::RgbImage)]) -> Vec<Vec<f32>> {
    let refs: Vec<_> = chips.iter().map(|(_, c)| c).collect();
    d.describe(&refs).unwrap()
}

#[test]
fn sface_folded_gives_the_quantised_graphs_descriptors() {
    let p = package("sface");
    let spec = &p.manifest().model;
    let backend = backend();
    let published = model_bytes(lfr_models::files::SFACE);

    let mut as_published =
        Describer::onnx(&backend, "sface as published", &published, spec).unwrap();
    // Repaired only: still int8, dequantised on every run.
    let mut m = lfr_onnx::decode(&published).unwrap();
    let r = lfr_onnx::repair(&mut m).unwrap();
    assert_eq!(r.unfed.len(), 29, "{:?}", r.unfed);
    assert_eq!(r.constant.len(), 145, "weights declared as inputs");
    lfr_onnx::set_dynamic_batch(&mut m, "N").unwrap();
    let mut quantised =
        Describer::onnx(&backend, "sface repaired", &lfr_onnx::encode(&m), spec).unwrap();
    let mut folded = Describer::onnx(&backend, "sface", &p.read_onnx().unwrap(), spec).unwrap();

    let chips = chips(&p);
    let published = describe(&mut as_published, &chips);
    let q = describe(&mut quantised, &chips);
    let f = describe(&mut folded, &chips);
    let repaired = lowest_cosine(&published, &q);
    let worst = lowest_cosine(&q, &f);
    eprintln!(
        "{} real chips: lowest cosine, repaired against published {repaired}, folded against quantised {worst}",
        chips.len()
    );
    assert!(
        repaired >= 0.9999,
        "dropping inputs changed descriptors: {repaired}"
    );
    assert!(worst >= 0.9999, "lowest cosine {worst}");
    assert!(f.iter().all(|v| v.len() == 128));
}

/// Unit descriptors of `dims` that put each person's two photographs
/// closer than either is to anyone else.
fn tells_people_apart(id: &str, dims: usize) {
    let p = package(id);
    let backend = backend();
    let mut d =
        Describer::onnx(&backend, id, &p.read_onnx().unwrap(), &p.manifest().model).unwrap();
    assert_eq!(d.dims(), dims);
    let chips = chips(&p);
    // All eight in one batch: the graph must take more than one face a run.
    let v = describe(&mut d, &chips);
    assert_eq!(v.len(), chips.len());
    for x in &v {
        let norm = x.iter().map(|a| a * a).sum::<f32>().sqrt();
        assert!(
            (norm - 1.0).abs() < 1e-4,
            "cosine descriptors are unit length: {norm}"
        );
    }
    for i in (0..v.len()).step_by(2) {
        let same = cosine(&v[i], &v[i + 1]);
        for j in 0..v.len() {
            if chips[j].0 != chips[i].0 {
                let other = cosine(&v[i], &v[j]).max(cosine(&v[i + 1], &v[j]));
                assert!(
                    same > other,
                    "{id}, {}: {same} between its photographs, {other} to {}",
                    chips[i].0,
                    chips[j].0
                );
            }
        }
    }
}

#[test]
fn omz_descriptors_come_from_its_one_by_one_output_and_tell_people_apart() {
    tells_people_apart("omz-face-reid", 256);
}

/// InsightFace's graph declares a batch of one; the package frees it.
#[test]
fn w600k_mbf_describes_a_batch_and_tells_people_apart() {
    tells_people_apart("w600k-mbf", 512);
    let p = package("w600k-mbf");
    assert!(
        p.manifest()
            .restriction
            .as_deref()
            .is_some_and(|r| r.contains("non-commercial research only")),
        "its licence restriction travels with it"
    );
}

/// The runtime loads graphs with PRelu rewritten (per-channel slopes in
/// SFace and w600k_mbf, one slope in OMZ); the descriptors must be the
/// graph-as-written's to float rounding, on real chips, in batches.
#[test]
fn prelu_rewrite_keeps_every_shipped_descriptor() {
    for id in ["sface", "omz-face-reid", "w600k-mbf"] {
        let p = package(id);
        let onnx = p.read_onnx().unwrap();
        let mut m = lfr_onnx::decode(&onnx).unwrap();
        let r = lfr_onnx::rewrite_prelu(&mut m).unwrap();
        assert!(r.leaky + r.per_channel > 0 && r.kept == 0, "{id}: {r:?}");
        let spec = &p.manifest().model;
        let plain = backend().rewriting_activations(false);
        let mut as_written = Describer::onnx(&plain, id, &onnx, spec).unwrap();
        let mut rewritten = Describer::onnx(&backend(), id, &onnx, spec).unwrap();
        let chips = chips(&p);
        let worst = lowest_cosine(
            &describe(&mut as_written, &chips),
            &describe(&mut rewritten, &chips),
        );
        eprintln!("{id}: {r:?}, lowest cosine {worst}");
        assert!(worst >= 0.99999, "{id}: lowest cosine {worst}");
    }
}

/// The record of a calibration's checks stays with the network they ran:
/// SFace as installed, or copied, finds its shipped record (every rate
/// holds); the same package with one weight changed, or with its weights
/// fed the colour channels the other way round, its id, version and
/// calibration files untouched, has none, so a deployment treats it as not
/// checked.
#[test]
fn a_shipped_record_does_not_follow_its_calibrations_onto_another_network() {
    use lfr_engine::align::AlignMethod;
    use lfr_engine::pipeline::Recogniser;
    let p = package("sface");
    let record_of = |p: Package| {
        let files = model_files(Recogniser::Package(Box::new(p)));
        assert!(files.calibration(AlignMethod::YuNet5).is_ok());
        files.calibration_checks(AlignMethod::YuNet5).unwrap()
    };
    let shipped = record_of(p.clone()).expect("the shipped record of SFace's checks");
    assert!(shipped.holds());
    assert_eq!(shipped.network, p.network());

    // A copy of the package, changed by `change` (its folder, its manifest).
    let changed = |change: &dyn Fn(&std::path::Path, &mut serde_json::Value)| {
        let dir = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir(p.dir()).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
        }
        let manifest = dir.path().join(lfr_engine::package::MANIFEST_FILE);
        let mut json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
        change(dir.path(), &mut json);
        std::fs::write(&manifest, json.to_string()).unwrap();
        let copy = Package::open(dir.path()).unwrap();
        assert_eq!(copy.algorithm(), p.algorithm(), "same id and version");
        (dir, copy)
    };
    let (_dir, same) = changed(&|_, _| {});
    assert_eq!(record_of(same), Some(shipped.clone()));

    let file = p.manifest().model.file.clone();
    let (_dir, other_weights) = changed(&|dir, json| {
        let mut m = lfr_onnx::decode(&p.read_onnx().unwrap()).unwrap();
        let w = m
            .graph
            .as_mut()
            .unwrap()
            .initializer
            .iter_mut()
            .find(|t| t.dims.len() == 4 && t.raw_data.as_ref().is_some_and(|r| r.len() >= 4))
            .expect("a convolution's weights");
        let raw = w.raw_data.as_mut().unwrap();
        let x = f32::from_le_bytes(raw[..4].try_into().unwrap()) + 0.01;
        raw[..4].copy_from_slice(&x.to_le_bytes());
        std::fs::write(dir.join(&file), lfr_onnx::encode(&m)).unwrap();
        let digest = lfr_engine::package::sha256_file(&dir.join(&file)).unwrap();
        json["model"]["sha256"] = digest.into();
    });
    assert_ne!(other_weights.network(), p.network());
    assert_eq!(record_of(other_weights), None);

    let (_dir, swapped) = changed(&|_, json| json["model"]["colour_order"] = "BGR".into());
    assert_eq!(swapped.manifest().model.sha256, p.manifest().model.sha256);
    assert_eq!(record_of(swapped), None);
}
