//! Engines opened on one batched backend (one per camera's worker) share
//! each network, and runs that arrive together are made one: each engine
//! must still get exactly its own faces and templates, as an engine on its
//! own would.
mod support;

use std::sync::Barrier;
use std::time::Duration;

use image::RgbImage;
use lfr_engine::detect::{DetectorConfig, Face};
use lfr_engine::pipeline::{Engine, EngineConfig, Recogniser};
use lfr_engine::runtime::{BatchConfig, BatchStats, Runtime};
use lfr_engine::template::Template;
use support::*;

fn photo(name: &str, w: u32, h: u32) -> RgbImage {
    let img = load_rgb(&shared(&format!("data/dlib-reference/images/{name}.jpg")));
    image::imageops::resize(&img, w, h, image::imageops::FilterType::Triangle)
}

/// Video's settings: one detector run a frame.
fn config() -> EngineConfig {
    EngineConfig {
        detector: DetectorConfig::default(),
        runtime: Runtime::OnnxRuntime,
        ..Default::default()
    }
}

fn cosine(a: &Template, b: &Template) -> f32 {
    let dot: f32 = a.vector.iter().zip(&b.vector).map(|(x, y)| x * y).sum();
    let n = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (n(&a.vector) * n(&b.vector))
}

/// Each photograph's subject: its face and template.
type Found = Vec<(Face, Template)>;

/// Each photograph's subject found by its own engine on `batch`'s shared
/// backends, the engines' runs started together; and what each graph ran
/// for them (not for the engines' own checks when they open).
fn together(
    recogniser: Recogniser,
    photos: &[RgbImage],
    batch: BatchConfig,
) -> (Found, Vec<(String, BatchStats)>) {
    let files = model_files(recogniser);
    let backends = Runtime::OnnxRuntime
        .backends(&files.onnxruntime, 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let (shared, batching) = backends.batched(batch);
    let stats = || batching.iter().flat_map(|b| b.stats()).collect::<Vec<_>>();
    // The photographs' threads and this one.
    let (opened, start) = (
        Barrier::new(photos.len() + 1),
        Barrier::new(photos.len() + 1),
    );
    let (found, before) = std::thread::scope(|s| {
        let runs: Vec<_> = photos
            .iter()
            .map(|img| {
                let (files, shared, opened, start) = (&files, &shared, &opened, &start);
                s.spawn(move || {
                    let mut e = Engine::open_on(files, &config(), shared).unwrap();
                    opened.wait();
                    start.wait();
                    e.subject_template(img, "photo").unwrap()
                })
            })
            .collect();
        opened.wait();
        let before = stats();
        start.wait();
        let found = runs
            .into_iter()
            .map(|r| r.join().unwrap())
            .collect::<Vec<_>>();
        (found, before)
    });
    let ran = stats()
        .into_iter()
        .zip(before)
        .map(|((graph, after), (_, before))| (graph, after - before))
        .collect();
    (found, ran)
}

fn alone(recogniser: Recogniser, photos: &[RgbImage]) -> Found {
    let mut e = Engine::open(&model_files(recogniser), &config()).unwrap();
    photos
        .iter()
        .map(|img| e.subject_template(img, "photo").unwrap())
        .collect()
}

fn assert_same(what: &str, a: &[(Face, Template)], b: &[(Face, Template)]) {
    for ((fa, ta), (fb, tb)) in a.iter().zip(b) {
        let moved = [
            fa.bbox.x - fb.bbox.x,
            fa.bbox.y - fb.bbox.y,
            fa.bbox.w - fb.bbox.w,
            fa.bbox.h - fb.bbox.h,
        ]
        .iter()
        .fold(0f32, |m, d| m.max(d.abs()));
        assert!(moved < 0.01, "{what}: a face box moved {moved} px");
        let c = cosine(ta, tb);
        assert!(c > 0.99999, "{what}: templates at cosine {c}");
        assert_eq!(ta.algorithm, tb.algorithm);
    }
}

#[test]
fn engines_on_a_batched_backend_each_get_their_own_faces_from_one_run() {
    let photos = [photo("obama", 800, 600), photo("biden", 800, 600)];
    let recogniser = || Recogniser::Package(Box::new(package("sface")));
    let (joined, stats) = together(
        recogniser(),
        &photos,
        BatchConfig {
            max_rows: 2,
            gather: Duration::from_secs(10),
        },
    );
    assert_same("joined", &alone(recogniser(), &photos), &joined);
    // The detector and SFace, each asked twice and run once for both.
    assert_eq!(stats.len(), 2, "{stats:?}");
    for (graph, s) in &stats {
        assert_eq!(
            *s,
            BatchStats {
                requests: 2,
                runs: 1,
                rows: 2
            },
            "{graph}"
        );
    }
}

#[test]
fn frames_of_different_sizes_are_run_apart() {
    let photos = [photo("obama", 800, 600), photo("biden", 640, 480)];
    let (apart, stats) = together(
        Recogniser::Builtin,
        &photos,
        BatchConfig {
            max_rows: 8,
            gather: Duration::from_millis(300),
        },
    );
    assert_same("apart", &alone(Recogniser::Builtin, &photos), &apart);
    let detector = stats
        .iter()
        .find(|(graph, _)| graph == "yunet")
        .unwrap_or_else(|| panic!("no detector graph among {stats:?}"));
    assert_eq!(detector.1.requests, 2);
    assert_eq!(
        detector.1.runs, 2,
        "frames of two sizes cannot be one batch"
    );
}
