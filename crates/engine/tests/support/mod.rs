//! What the engine's integration tests share: where the models and the shared
//! test data are, with clear failures when they are missing.
#![allow(dead_code)]

use std::path::PathBuf;

/// The installed model file `name`, or a panic that says how to install it.
pub fn model(name: &str) -> PathBuf {
    let dir = lfr_models::ModelsDir::resolve(
        std::env::var_os("LFR_MODELS").map(PathBuf::from).as_deref(),
    );
    dir.file(name).unwrap_or_else(|e| panic!("{e}"))
}

/// The installed model files, running `recogniser`.
pub fn model_files(
    recogniser: lfr_engine::pipeline::Recogniser,
) -> lfr_engine::pipeline::ModelFiles {
    lfr_engine::pipeline::ModelFiles {
        onnxruntime: model(lfr_models::files::ONNXRUNTIME),
        yunet: model(lfr_models::files::YUNET),
        dlib_resnet: model(lfr_models::files::DLIB_RESNET),
        dlib_shape5: Some(model(lfr_models::files::DLIB_SHAPE5)),
        recogniser,
    }
}

/// An installed shipped package, or a panic that says how to install it.
pub fn package(id: &str) -> lfr_engine::package::Package {
    let dir = lfr_models::ModelsDir::resolve(
        std::env::var_os("LFR_MODELS").map(PathBuf::from).as_deref(),
    );
    let path = dir.package_dir(id).unwrap();
    lfr_engine::package::Package::open(&path).unwrap_or_else(|e| {
        panic!(
            "the shipped package {id} is not installed in {} ({e}): run `lfr models install --from ARCHIVES --from ../shared/models/yunet --from ../shared/models/omz-face-reid-0095` (see docs/models.md)",
            path.display()
        )
    })
}

pub fn model_bytes(name: &str) -> Vec<u8> {
    std::fs::read(model(name)).unwrap()
}

pub use lfr_testkit::shared;

pub fn backend() -> lfr_engine::runtime::OrtBackend {
    lfr_engine::runtime::OrtBackend::new(&model(lfr_models::files::ONNXRUNTIME), 1)
        .unwrap_or_else(|e| panic!("{e}"))
}

pub fn load_rgb(path: &std::path::Path) -> image::RgbImage {
    image::open(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .to_rgb8()
}

/// One face of `dlib-reference/reference.json`.
pub struct ReferenceFace {
    pub image: PathBuf,
    pub box_ltrb: [f32; 4],
    pub landmarks5: Vec<[f32; 2]>,
    pub chip: PathBuf,
    pub descriptor: Vec<f32>,
}

pub fn dlib_reference() -> Vec<ReferenceFace> {
    let json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(shared("data/dlib-reference/reference.json")).unwrap(),
    )
    .unwrap();
    let mut out = Vec::new();
    for img in json["images"].as_array().unwrap() {
        let image = shared(img["image"].as_str().unwrap());
        for f in img["faces"].as_array().unwrap() {
            let nums = |v: &serde_json::Value| -> Vec<f32> {
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_f64().unwrap() as f32)
                    .collect()
            };
            let b = nums(&f["box_ltrb"]);
            out.push(ReferenceFace {
                image: image.clone(),
                box_ltrb: [b[0], b[1], b[2], b[3]],
                landmarks5: f["landmarks5"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| {
                        let p = nums(p);
                        [p[0], p[1]]
                    })
                    .collect(),
                chip: shared("data/dlib-reference").join(f["chip_png"].as_str().unwrap()),
                descriptor: nums(&f["descriptor"]),
            });
        }
    }
    out
}

pub fn euclidean(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f32>()
        .sqrt()
}

/// The cosine of the angle between two descriptors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let n = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (n(a) * n(b))
}
