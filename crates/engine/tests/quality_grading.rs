//! Reference-image grading on a real portrait and on copies spoiled in known
//! ways: each spoiled copy must fail for its own reason, the good one pass.

mod support;

use image::{RgbImage, imageops};
use lfr_engine::detect::{Detector, DetectorConfig, Face, load_image};
use lfr_engine::quality::{Grade, ReferenceGrade, grade_reference};
use support::*;

fn detector() -> Detector {
    let onnx = model_bytes(lfr_models::files::YUNET);
    Detector::new(&backend(), &onnx, DetectorConfig::stills()).unwrap_or_else(|e| panic!("{e}"))
}

fn grade(det: &mut Detector, img: &RgbImage) -> (ReferenceGrade, Vec<Face>) {
    let faces = det.detect(img).unwrap();
    (grade_reference(img, &faces), faces)
}

/// A frontal studio portrait scaled to about 60 px between the eyes: inside
/// the APP's 20-100 px, so it should meet the ideal.
fn good_portrait() -> RgbImage {
    let img = load_image(&shared("data/stills/people/kate_siegel/1.jpg")).unwrap();
    let (w, h) = (img.width() * 6 / 10, img.height() * 6 / 10);
    imageops::resize(&img, w, h, imageops::FilterType::Triangle)
}

fn has(g: &ReferenceGrade, words: &str) -> bool {
    g.reasons.iter().any(|r| r.contains(words))
}

#[test]
fn a_good_portrait_is_good() {
    let mut det = detector();
    let (g, faces) = grade(&mut det, &good_portrait());
    assert_eq!(g.grade, Grade::Good, "{g:?} {:?}", faces[0].quality);
    assert!(g.reasons.is_empty());
    assert_eq!(g.face, Some(0));
}

#[test]
fn heavy_blur_is_poor_for_blur() {
    let mut det = detector();
    let blurred = imageops::blur(&good_portrait(), 4.0);
    let (g, _) = grade(&mut det, &blurred);
    assert_eq!(g.grade, Grade::Poor, "{g:?}");
    assert!(has(&g, "blurred"), "{g:?}");
}

#[test]
fn a_tiny_face_is_poor_for_size() {
    let mut det = detector();
    let img = good_portrait();
    // About 14 px between the eyes.
    let small = imageops::resize(
        &img,
        img.width() / 4,
        img.height() / 4,
        imageops::FilterType::Triangle,
    );
    let (g, faces) = grade(&mut det, &small);
    assert!(!faces.is_empty(), "the small face is still detected");
    assert_eq!(g.grade, Grade::Poor, "{g:?}");
    assert!(has(&g, "too small"), "{g:?}");
}

#[test]
fn a_very_dark_image_is_poor_for_darkness() {
    let mut det = detector();
    let mut dark = good_portrait();
    dark.pixels_mut().for_each(|p| p.0 = p.0.map(|v| v / 5));
    let (g, faces) = grade(&mut det, &dark);
    assert!(!faces.is_empty(), "the dark face is still detected");
    assert_eq!(g.grade, Grade::Poor, "{g:?}");
    assert!(has(&g, "too dark"), "{g:?}");
}

#[test]
fn light_from_one_side_is_uneven() {
    let mut det = detector();
    let img = good_portrait();
    let (_, faces) = grade(&mut det, &img);
    let nose_x = faces[0].landmarks.nose().x as u32;
    let mut side_lit = img.clone();
    for (x, _, p) in side_lit.enumerate_pixels_mut() {
        if x < nose_x {
            p.0 = p.0.map(|v| (v as f32 * 0.4) as u8);
        }
    }
    let (g, _) = grade(&mut det, &side_lit);
    assert_eq!(g.grade, Grade::Poor, "{g:?}");
    assert!(has(&g, "uneven"), "{g:?}");
}

#[test]
fn a_large_face_is_acceptable_and_says_why() {
    let mut det = detector();
    let img = load_image(&shared("data/stills/people/kate_siegel/1.jpg")).unwrap();
    let (g, faces) = grade(&mut det, &img);
    assert!(faces[0].quality.inter_eye_px > 100.0);
    assert_eq!(g.grade, Grade::Acceptable, "{g:?}");
    assert!(has(&g, "scaled down"), "{g:?}");
}

#[test]
fn no_face_and_several_faces_are_poor() {
    let mut det = detector();
    let blank = RgbImage::from_pixel(300, 300, image::Rgb([128, 128, 128]));
    let (g, _) = grade(&mut det, &blank);
    assert_eq!((g.grade, g.face), (Grade::Poor, None));
    assert!(has(&g, "no face"), "{g:?}");

    let group = load_image(&shared("data/stills/multiface.jpg")).unwrap();
    let (g, _) = grade(&mut det, &group);
    assert_eq!(g.grade, Grade::Poor, "{g:?}");
    assert!(has(&g, "faces of similar size"), "{g:?}");
}

#[test]
fn a_turned_head_is_flagged_and_mirroring_flips_yaw() {
    let mut det = detector();
    let img = load_image(&shared("data/dlib-reference/images/biden.jpg")).unwrap();
    let (g, faces) = grade(&mut det, &img);
    let yaw = faces[0].quality.pose.yaw;
    assert!(yaw.abs() > 10.0, "biden.jpg is visibly turned: {yaw}");
    assert!(has(&g, "turned"), "{g:?}");
    let (_, mirrored) = grade(&mut det, &imageops::flip_horizontal(&img));
    // YuNet's points are not exactly mirror-symmetric (on this face the eye
    // line tilts 13 degrees, and 6 in the mirror image), so only the signs of
    // roll are compared.
    let m = mirrored[0].quality.pose;
    assert!((m.yaw + yaw).abs() < 6.0, "yaw {yaw} mirrored to {}", m.yaw);
    let roll = faces[0].quality.pose.roll;
    assert!(
        roll > 5.0 && m.roll < -5.0,
        "roll {roll} mirrored to {}",
        m.roll
    );
}
