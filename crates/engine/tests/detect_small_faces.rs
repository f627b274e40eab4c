//! The live-video default must find faces with 20 px between the eyes in a
//! 1080p frame (the APP's smallest watchlist face), here LFW faces scaled to
//! that size and pasted into a full-HD scene.

mod support;

use image::imageops;
use lfr_engine::detect::{Detector, DetectorConfig, load_image};
use lfr_engine::geometry::Point;
use support::*;

#[test]
fn default_config_finds_20px_faces_in_a_1080p_frame() {
    let onnx = model_bytes(lfr_models::files::YUNET);
    let mut still = Detector::new(&backend(), &onnx, DetectorConfig::stills()).unwrap();
    let mut live = Detector::new(&backend(), &onnx, DetectorConfig::default()).unwrap();
    let scene = load_image(&shared("data/stills/multiface.jpg")).unwrap();
    let mut frame = imageops::resize(&scene, 1920, 1080, imageops::FilterType::Triangle);
    // Darken the scene so its own (now large) faces stay out of the count.
    frame.pixels_mut().for_each(|p| p.0 = p.0.map(|v| v / 8));

    let root = shared("data/lfw/images");
    let mut people: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    people.sort();
    let mut truth = Vec::new();
    for dir in people.iter().step_by(97) {
        if truth.len() == 12 {
            break;
        }
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let img = load_image(&files[0]).unwrap();
        let faces = still.detect(&img).unwrap();
        let Some(f) = faces
            .iter()
            .find(|f| f.bbox.x < 125.0 && f.bbox.right() > 125.0)
        else {
            continue;
        };
        let k = 20.0 / f.quality.inter_eye_px;
        let side = (250.0 * k).round() as u32;
        let small = imageops::resize(&img, side, side, imageops::FilterType::Triangle);
        let j = truth.len() as i64;
        let (ox, oy) = (j % 4 * 480 + 200, j / 4 * 360 + 120);
        imageops::replace(&mut frame, &small, ox, oy);
        let eyes = Point::new(
            (f.landmarks.left_eye().x + f.landmarks.right_eye().x) / 2.0,
            (f.landmarks.left_eye().y + f.landmarks.right_eye().y) / 2.0,
        );
        truth.push(Point::new(ox as f32 + eyes.x * k, oy as f32 + eyes.y * k));
    }
    assert_eq!(truth.len(), 12);

    let found = live.detect(&frame).unwrap();
    let hits = truth
        .iter()
        .filter(|t| {
            found.iter().any(|f| {
                let l = f.landmarks;
                let c = Point::new(
                    (l.left_eye().x + l.right_eye().x) / 2.0,
                    (l.left_eye().y + l.right_eye().y) / 2.0,
                );
                c.distance(**t) < 6.0 && (f.quality.inter_eye_px - 20.0).abs() < 6.0
            })
        })
        .count();
    // Measured: 96 of 96 such faces at this scale (`detect_measure`).
    assert!(
        hits >= 11,
        "found {hits} of 12 faces with 20 px eyes: {found:?}"
    );
}
