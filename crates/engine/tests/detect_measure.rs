//! Measurements behind the detector's and the grading's defaults. Run with
//! `cargo test -p lfr-engine --release --test detect_measure -- --ignored --nocapture`.

mod support;

use lfr_engine::detect::{Detector, DetectorConfig, InputScale, load_image};
use support::*;

fn detector(config: DetectorConfig) -> Detector {
    let onnx = model_bytes(lfr_models::files::YUNET);
    Detector::new(&backend(), &onnx, config).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
#[ignore]
fn large_faces_by_scale() {
    for r in dlib_reference()
        .iter()
        .filter(|r| !r.image.to_string_lossy().contains("lfw"))
    {
        let img = load_image(&r.image).unwrap();
        let lm = &r.landmarks5;
        let left = ((lm[2][0] + lm[3][0]) / 2.0, (lm[2][1] + lm[3][1]) / 2.0);
        let right = ((lm[0][0] + lm[1][0]) / 2.0, (lm[0][1] + lm[1][1]) / 2.0);
        let iod = ((left.0 - right.0).powi(2) + (left.1 - right.1).powi(2)).sqrt();
        for s in [1.0, 0.75, 0.5, 0.35, 0.25] {
            let mut det = detector(DetectorConfig {
                scale: InputScale::Factor(s),
                ..DetectorConfig::stills()
            });
            let faces = det.detect(&img).unwrap();
            let Some(f) = faces.first() else {
                eprintln!("{} x{s}: none", r.image.display());
                continue;
            };
            let el = f.landmarks.left_eye();
            let er = f.landmarks.right_eye();
            let e = ((el.x - left.0).hypot(el.y - left.1))
                .max((er.x - right.0).hypot(er.y - right.1))
                / iod;
            eprintln!(
                "{:60} {}x{} iod {iod:4.0} x{s}: score {:.3} box {:.0} eye err {:.3}",
                r.image.display().to_string(),
                img.width(),
                img.height(),
                f.score,
                f.bbox.w,
                e
            );
        }
    }
}
