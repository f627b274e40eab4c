//! A recognition model package made from the built-in dlib ResNet, with an
//! input convention of its own (NHWC, BGR, scaled to [-1, 1]): with the
//! right manifest it must give the built-in descriptors; with a wrong one it
//! must give other descriptors or refuse to load.
mod support;

use lfr_engine::describe::Describer;
use lfr_engine::detect::DetectorConfig;
use lfr_engine::package::{ColourOrder, Layout, MANIFEST_FILE, Manifest, Package, export_dlib};
use lfr_engine::pipeline::Recogniser;
use lfr_engine::pipeline::{Engine, EngineConfig};
use support::*;

fn exported() -> (tempfile::TempDir, Package) {
    let dir = tempfile::tempdir().unwrap();
    let dat = model_bytes(lfr_models::files::DLIB_RESNET);
    export_dlib(&dat, dir.path(), "dlib-export", "1").unwrap();
    let p = Package::open(dir.path()).unwrap();
    (dir, p)
}

fn reference_chips() -> Vec<image::RgbImage> {
    dlib_reference().iter().map(|f| load_rgb(&f.chip)).collect()
}

fn describe_with(p: &Package, m: &Manifest, chips: &[image::RgbImage]) -> Vec<Vec<f32>> {
    let refs: Vec<_> = chips.iter().collect();
    Describer::onnx(&backend(), "export", &p.read_onnx().unwrap(), &m.model)
        .unwrap()
        .describe(&refs)
        .unwrap()
}

fn builtin(chips: &[image::RgbImage]) -> Vec<Vec<f32>> {
    let refs: Vec<_> = chips.iter().collect();
    let dat = model_bytes(lfr_models::files::DLIB_RESNET);
    Describer::dlib_resnet(&backend(), &dat)
        .unwrap()
        .describe(&refs)
        .unwrap()
}

#[test]
fn with_the_right_manifest_the_package_gives_the_builtin_descriptors() {
    let (_dir, p) = exported();
    let m = p.manifest();
    assert_eq!(
        (m.model.layout, m.model.colour_order),
        (Layout::NHWC, ColourOrder::BGR)
    );
    assert_eq!(m.model.normalisation.std, [127.5; 3]);
    let chips = reference_chips();
    let want = builtin(&chips);
    let got = describe_with(&p, m, &chips);
    let worst = want
        .iter()
        .zip(&got)
        .map(|(a, b)| euclidean(a, b))
        .fold(0f32, f32::max);
    eprintln!(
        "{} chips, worst distance to the built-in path: {worst:e}",
        chips.len()
    );
    assert!(worst < 1e-5, "worst distance {worst}");
}

#[test]
fn a_wrong_colour_order_changes_the_descriptors_and_a_wrong_layout_does_not_load() {
    let (_dir, p) = exported();
    let chips = reference_chips();
    let want = builtin(&chips);
    let mut m = p.manifest().clone();
    m.model.colour_order = ColourOrder::RGB;
    let got = describe_with(&p, &m, &chips);
    let least = want
        .iter()
        .zip(&got)
        .map(|(a, b)| euclidean(a, b))
        .fold(f32::INFINITY, f32::min);
    eprintln!("RGB fed to a BGR model: least distance to the right descriptor {least}");
    assert!(least > 0.01, "least distance {least}");

    let mut m = p.manifest().clone();
    m.model.layout = Layout::NCHW;
    let e = Describer::onnx(&backend(), "export", &p.read_onnx().unwrap(), &m.model)
        .err()
        .expect("an NCHW input into an NHWC graph must not load");
    assert!(e.to_string().contains("does not fit its manifest"), "{e}");

    let mut m = p.manifest().clone();
    m.model.descriptor_size = 64;
    let e = Describer::onnx(&backend(), "export", &p.read_onnx().unwrap(), &m.model)
        .err()
        .unwrap();
    assert!(e.to_string().contains("[1, 128]"), "{e}");
}

#[test]
fn a_changed_model_file_is_refused() {
    let (dir, p) = exported();
    let onnx = p.onnx_path();
    let mut bytes = std::fs::read(&onnx).unwrap();
    let n = bytes.len();
    bytes[n - 10] ^= 1;
    std::fs::write(&onnx, &bytes).unwrap();
    let e = Package::open(dir.path()).unwrap_err().to_string();
    assert!(e.contains("SHA-256") && e.contains("corrupt"), "{e}");
    assert!(p.read_onnx().is_err());
    std::fs::remove_file(&onnx).unwrap();
    assert!(
        Package::open(dir.path())
            .unwrap_err()
            .to_string()
            .contains("model.onnx")
    );
    let text = std::fs::read_to_string(dir.path().join(MANIFEST_FILE)).unwrap();
    std::fs::write(
        dir.path().join(MANIFEST_FILE),
        text.replace("\"licence\"", "\"license\""),
    )
    .unwrap();
    let e = Package::open(dir.path()).unwrap_err().to_string();
    assert!(e.contains("unknown field `license`"), "{e}");
}

fn engine(package: Option<Package>) -> Engine {
    let files =
        model_files(package.map_or(Recogniser::Builtin, |p| Recogniser::Package(Box::new(p))));
    // f32 throughout, whatever LFR_RUNTIME says: the export must give the
    // built-in graph's numbers exactly, which bfloat16 rounding would blur.
    let config = EngineConfig {
        detector: DetectorConfig::stills(),
        runtime: lfr_engine::runtime::Runtime::OnnxRuntime,
        ..Default::default()
    };
    Engine::open(&files, &config).unwrap()
}

#[test]
fn the_engine_on_a_package_makes_its_own_algorithm_and_needs_its_own_calibration() {
    let (_dir, p) = exported();
    let img = load_rgb(&shared("data/dlib-reference/images/obama.jpg"));
    let mut dlib = engine(None);
    let mut pkg = engine(Some(p.clone()));
    let (_, a) = dlib.subject_template(&img, "obama").unwrap();
    let (_, b) = pkg.subject_template(&img, "obama").unwrap();
    assert_eq!(
        b.algorithm.as_str(),
        "yunet-n-dynamic/align-dlib-export-v1/dlib-export-1"
    );
    assert!(euclidean(&a.vector, &b.vector) < 1e-5);
    let e = a.distance(&b).unwrap_err().to_string();
    assert!(e.contains("re-enrol"), "{e}");
    let e = pkg.calibration().unwrap_err().to_string();
    assert!(e.contains("lfr calibrate"), "{e}");
    // dlib's calibration is never borrowed.
    let shipped = dlib.calibration().unwrap().to_json();
    std::fs::write(p.calibration_path(), shipped).unwrap();
    let e = p.calibration().unwrap_err().to_string();
    assert!(
        e.contains("was made for yunet-n-dynamic/align-yunet5-v1/dlib-resnet-v1"),
        "{e}"
    );
}
