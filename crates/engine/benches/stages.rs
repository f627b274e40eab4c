//! Per-stage speed of the engine on one thread: detection on a 1080p crowd
//! frame, alignment and description of one face, by the built-in
//! descriptor and by each installed shipped package. `cargo bench -p lfr-engine`.
//!
//! Targets (issue: recognition engine): a descriptor in at most 6 ms per face
//! on one thread; detection plus descriptors at 15 frames per second or more
//! on the crowd video (see `lfr bench video` for the whole-video figure).

use criterion::{Criterion, criterion_group, criterion_main};
use lfr_engine::align::Aligner;
use lfr_engine::describe::Describer;
use lfr_engine::detect::{Detector, DetectorConfig};
use lfr_engine::runtime::OrtBackend;
use lfr_models::{ModelsDir, files};

fn model(name: &str) -> std::path::PathBuf {
    ModelsDir::from_env()
        .verified(name)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn crowd_frame() -> image::RgbImage {
    let shared = std::env::var("LFR_SHARED")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared").into());
    let video = format!("{shared}/data/video/arcade-crowd-1080p.mp4");
    let mut d = lfr_video::Decoder::open(&video, &Default::default())
        .unwrap_or_else(|e| panic!("{video}: {e} (the benchmarks need the shared folder)"));
    // A frame well into the clip, when the crowd is close.
    let mut frame = None;
    for _ in 0..60 {
        frame = d.next_frame().unwrap();
    }
    frame.expect("the crowd video has 60 frames")
}

fn stages(c: &mut Criterion) {
    let backend = OrtBackend::new(&model(files::ONNXRUNTIME), 1).unwrap();
    let mut detector = Detector::new(
        &backend,
        &std::fs::read(model(files::YUNET)).unwrap(),
        DetectorConfig::default(),
    )
    .unwrap();
    let mut describer =
        Describer::dlib_resnet(&backend, &std::fs::read(model(files::DLIB_RESNET)).unwrap())
            .unwrap();
    let frame = crowd_frame();
    let faces = detector.detect(&frame).unwrap();
    assert!(!faces.is_empty(), "no faces in the benchmark frame");
    let face = faces
        .iter()
        .max_by(|a, b| a.bbox.area().total_cmp(&b.bbox.area()))
        .unwrap()
        .clone();
    let aligner = Aligner::yunet5();
    let chip = aligner
        .align(&frame, &face.bbox, &face.landmarks)
        .unwrap()
        .chip;

    let mut g = c.benchmark_group("engine");
    g.sample_size(20);
    g.bench_function("detect 1080p frame (video settings)", |b| {
        b.iter(|| detector.detect(&frame).unwrap())
    });
    g.bench_function("align one face (yunet5)", |b| {
        b.iter(|| aligner.align(&frame, &face.bbox, &face.landmarks).unwrap())
    });
    g.bench_function("describe one face", |b| {
        b.iter(|| describer.describe(&[&chip]).unwrap())
    });
    // A crowd frame holds several faces (7.5 on average in the crowd
    // video), and video analysis describes them in one run: per face, a
    // batch reads the network's weights once for all.
    let eight = [&chip; 8];
    g.throughput(criterion::Throughput::Elements(8));
    g.bench_function("describe eight faces in one batch", |b| {
        b.iter(|| describer.describe(&eight).unwrap())
    });
    g.finish();

    // The shipped packages that are installed, on the same face cut to each
    // one's template; SFace also as published (int8, dequantised each run),
    // to show what folding its weights saves.
    let dir = ModelsDir::from_env();
    let mut g = c.benchmark_group("descriptors");
    g.sample_size(20);
    for s in lfr_models::shipped::SHIPPED {
        let Ok(p) = dir
            .package_dir(s.id)
            .map_err(|e| e.to_string())
            .and_then(|d| lfr_engine::package::Package::open(&d).map_err(|e| e.to_string()))
        else {
            eprintln!("package {} is not installed: skipped", s.id);
            continue;
        };
        let chip = Aligner::template(p.manifest().template())
            .align(&frame, &face.bbox, &face.landmarks)
            .unwrap()
            .chip;
        let spec = &p.manifest().model;
        let mut variants = vec![(s.id.to_string(), p.read_onnx().unwrap())];
        if s.build == lfr_models::shipped::Build::RepairAndFold {
            variants.push((
                format!("{} as published", s.id),
                std::fs::read(model(s.source)).unwrap(),
            ));
        }
        for (name, onnx) in variants {
            let mut d = Describer::onnx(&backend, &name, &onnx, spec).unwrap();
            g.bench_function(format!("describe one face: {name}"), |b| {
                b.iter(|| d.describe(&[&chip]).unwrap())
            });
        }
    }
    g.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
