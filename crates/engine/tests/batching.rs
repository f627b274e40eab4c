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
        let c = cosine(&ta.vector, &tb.vector);
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

/// A graph that sums its batch into one row: right for one request at a
/// time, wrong for a joined batch, whose first dimension it does not keep.
fn batch_summing_graph() -> Vec<u8> {
    use lfr_onnx::proto::{
        AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorShapeProto,
        TypeProto, ValueInfoProto, attribute_proto::AttributeType, tensor_proto,
        tensor_shape_proto::Dimension, tensor_shape_proto::dimension::Value, type_proto,
    };
    let value = |name: &str, first: Value| ValueInfoProto {
        name: Some(name.into()),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: Some(tensor_proto::DataType::Float as i32),
                shape: Some(TensorShapeProto {
                    dim: vec![
                        Dimension {
                            value: Some(first),
                            ..Default::default()
                        },
                        Dimension {
                            value: Some(Value::DimValue(4)),
                            ..Default::default()
                        },
                    ],
                }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    };
    let model = ModelProto {
        ir_version: Some(7),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(11),
        }],
        graph: Some(GraphProto {
            name: Some("sum".into()),
            node: vec![NodeProto {
                op_type: Some("ReduceSum".into()),
                input: vec!["x".into()],
                output: vec!["y".into()],
                attribute: vec![AttributeProto {
                    name: Some("axes".into()),
                    ints: vec![0],
                    r#type: Some(AttributeType::Ints as i32),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            input: vec![value("x", Value::DimParam("N".into()))],
            output: vec![value("y", Value::DimValue(1))],
            ..Default::default()
        }),
        ..Default::default()
    };
    lfr_onnx::encode(&model)
}

#[test]
fn a_graph_that_cannot_take_a_joined_batch_runs_each_request_alone() {
    use lfr_engine::runtime::{Backend, Batching, Tensor};
    let backend = std::sync::Arc::new(backend());
    let batching = Batching::new(
        backend,
        BatchConfig {
            max_rows: 2,
            gather: Duration::from_secs(10),
        },
    );
    let graph = batch_summing_graph();
    let start = Barrier::new(2);
    let rows = [[1.0f32, 2.0, 3.0, 4.0], [10.0, 20.0, 30.0, 40.0]];
    let got: Vec<Vec<f32>> = std::thread::scope(|s| {
        let runs: Vec<_> = rows
            .iter()
            .map(|row| {
                let mut model = batching.load("sum", &graph).unwrap();
                let start = &start;
                s.spawn(move || {
                    let x = Tensor::new(vec![1, 4], row.to_vec());
                    start.wait();
                    let out = model.run(&[("x", &x)]).unwrap();
                    out.get("y").unwrap().data.clone()
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    // Each its own row back, not the two summed.
    assert_eq!(got, rows.map(|r| r.to_vec()).to_vec());
    let stats = batching.stats();
    assert_eq!(
        stats,
        [(
            "sum".to_string(),
            BatchStats {
                requests: 2,
                // The joined run, refused, then each alone.
                runs: 3,
                rows: 4
            }
        )]
    );
}
