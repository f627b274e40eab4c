//! A combined model (SFace and the built-in dlib descriptor in one
//! template): the engine makes exactly the weighted unit parts of its
//! components' descriptors, its templates never compare with a component's,
//! its calibration is its own, and a component that changed is refused.
mod support;

use lfr_engine::detect::DetectorConfig;
use lfr_engine::package::{
    BUILTIN_ID, COMBINED_FILE, CombinedManifest, CombinedModel, Component, Package,
    append_component,
};
use lfr_engine::pipeline::{Engine, EngineConfig, Recogniser, algorithm};
use lfr_engine::template::{Algorithm, euclidean};
use support::*;

fn sface() -> Package {
    package("sface")
}

fn engine(recogniser: Recogniser) -> Engine {
    let files = model_files(recogniser);
    let config = EngineConfig {
        detector: DetectorConfig::stills(),
        ..Default::default()
    };
    Engine::open(&files, &config).unwrap()
}

fn manifest(sface: &Package) -> CombinedManifest {
    CombinedManifest {
        format: 1,
        id: "sface-dlib-test".into(),
        version: "1".into(),
        description: String::new(),
        components: vec![
            Component {
                model: "sface".into(),
                algorithm: sface.algorithm(),
                weight: 0.6,
            },
            Component {
                model: BUILTIN_ID.into(),
                algorithm: algorithm(lfr_engine::align::AlignMethod::YuNet5),
                weight: 0.4,
            },
        ],
        fitted: "by hand, for the test".into(),
    }
}

fn open(dir: &std::path::Path, sface: &Package) -> Result<CombinedModel, String> {
    let builtin = algorithm(lfr_engine::align::AlignMethod::YuNet5);
    CombinedModel::open(dir, &builtin, |id| {
        Ok((id != BUILTIN_ID).then(|| sface.clone()))
    })
    .map_err(|e| e.to_string())
}

#[test]
fn a_combined_template_is_its_components_weighed_and_compares_with_no_component() {
    let sface = sface();
    let dir = tempfile::tempdir().unwrap();
    let m = manifest(&sface);
    std::fs::write(dir.path().join(COMBINED_FILE), m.to_json()).unwrap();
    let combined = open(dir.path(), &sface).unwrap();
    assert_eq!(combined.algorithm(), m.algorithm());

    let img = load_rgb(&shared("data/dlib-reference/images/obama.jpg"));
    let (_, c) = engine(Recogniser::Combined(combined.clone()))
        .subject_template(&img, "obama")
        .unwrap();
    let (_, s) = engine(Recogniser::Package(Box::new(sface.clone())))
        .subject_template(&img, "obama")
        .unwrap();
    let (_, d) = engine(Recogniser::Builtin)
        .subject_template(&img, "obama")
        .unwrap();
    assert_eq!(c.algorithm, m.algorithm());
    let mut want = Vec::new();
    append_component(&mut want, &s.vector, 0.6);
    append_component(&mut want, &d.vector, 0.4);
    assert_eq!(c.vector.len(), 128 + 128);
    assert!(
        euclidean(&c.vector, &want) < 1e-5,
        "the same faces, the same parts"
    );
    let norm: f32 = c.vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!(
        (norm - 1.0).abs() < 1e-4,
        "weights summing to one give unit length: {norm}"
    );

    for component in [&s, &d] {
        let e = c.distance(component).unwrap_err().to_string();
        assert!(e.contains("re-enrol"), "{e}");
    }
    // Its calibration is its own: none yet, and a component's is refused.
    let e = engine(Recogniser::Combined(combined.clone()))
        .calibration()
        .unwrap_err()
        .to_string();
    assert!(e.contains("lfr calibrate"), "{e}");
    std::fs::copy(
        sface.calibration_path(),
        dir.path().join("calibration.json"),
    )
    .unwrap();
    let files = model_files(Recogniser::Combined(combined));
    let e = files
        .calibration(lfr_engine::align::AlignMethod::YuNet5)
        .unwrap_err()
        .to_string();
    assert!(e.contains("was made for"), "{e}");
}

#[test]
fn a_component_that_changed_is_refused() {
    let sface = sface();
    let dir = tempfile::tempdir().unwrap();
    let mut m = manifest(&sface);
    m.components[0].algorithm = Algorithm("yunet-n-dynamic/align-sface-v1/sface-1".into());
    std::fs::write(dir.path().join(COMBINED_FILE), m.to_json()).unwrap();
    let e = open(dir.path(), &sface).unwrap_err();
    assert!(e.contains("combine again"), "{e}");
}

#[test]
fn every_shipped_combined_model_carries_calibrations_of_its_own_algorithm() {
    for s in lfr_models::shipped::SHIPPED_COMBINED {
        let file = |name: &str| {
            s.files
                .iter()
                .find(|f| f.0 == name)
                .unwrap_or_else(|| panic!("{} ships no {name}", s.id))
                .1
        };
        let m = CombinedManifest::parse(file(COMBINED_FILE)).unwrap();
        assert_eq!(m.id, s.id);
        let single = lfr_engine::calibration::Calibration::from_json(file("calibration.json"));
        assert_eq!(single.unwrap().algorithm, m.algorithm(), "{}", s.id);
        let fused =
            lfr_engine::fusion::FusionCalibration::from_json(file("calibration.fused.json"));
        assert_eq!(fused.unwrap().algorithm, m.algorithm(), "{}", s.id);
        for c in &m.components {
            assert!(
                c.model == BUILTIN_ID || s.needs.contains(&c.model.as_str()),
                "{}: component {} is not among the packages it needs",
                s.id,
                c.model
            );
        }
    }
}
