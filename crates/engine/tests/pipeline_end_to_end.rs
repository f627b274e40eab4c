//! The whole engine on the `face_recognition` test photographs: three of
//! Obama, one of Biden.
//!
//! On the calibrated scale a score of 0.64 means a false match rate of 4e-7,
//! a point at which this descriptor matches only about one genuine pair in
//! eight (see the README). dlib's own pipeline puts obama2 and obama3 0.428
//! apart, a score of about 0.46, so "every Obama pair above 0.64" is not
//! something this descriptor can do. What must hold: every Obama pair scores
//! at least 0.355 (strangers do that about once in 3,600 comparisons: 1e-4
//! by the fit, raised by the calibration's 2.8-fold margin, which lowers
//! every score by 0.045), two of them above 0.455 (0.5 before the margin),
//! and Biden scores below 0.1 against each (strangers do that routinely).
mod support;

use lfr_engine::detect::DetectorConfig;
use lfr_engine::pipeline::{Engine, EngineConfig};
use support::*;

fn engine() -> Engine {
    let files = model_files(Default::default());
    let config = EngineConfig {
        detector: DetectorConfig::stills(),
        ..Default::default()
    };
    Engine::open(&files, &config).unwrap()
}

fn template(e: &mut Engine, name: &str) -> lfr_engine::template::Template {
    let path = shared(&format!("data/dlib-reference/images/{name}.jpg"));
    let img = load_rgb(&path);
    e.subject_template(&img, name).unwrap().1
}

#[test]
fn obama_matches_obama_and_not_biden() {
    let mut e = engine();
    let obama: Vec<_> = ["obama", "obama2", "obama3"]
        .iter()
        .map(|n| template(&mut e, n))
        .collect();
    let biden = template(&mut e, "biden");
    let mut above_half = 0;
    for i in 0..3 {
        for j in i + 1..3 {
            let s = e.score(&obama[i], &obama[j]).unwrap();
            eprintln!("obama {i} vs obama {j}: {s:.3}");
            // 0.40 before the shipped calibration's 2.8-fold margin, which
            // lowers every score by log10(2.8) / 10 = 0.045 at the same distance.
            assert!(s >= 0.355, "obama {i} vs {j} scored {s}");
            above_half += (s > 0.455) as usize;
        }
        let s = e.score(&obama[i], &biden).unwrap();
        eprintln!("obama {i} vs biden: {s:.3}");
        assert!(s < 0.1, "obama {i} vs biden scored {s}");
    }
    assert!(above_half >= 2, "only {above_half} Obama pairs above 0.455");
}

#[test]
fn the_score_is_symmetric_and_a_template_matches_itself_fully() {
    let mut e = engine();
    let a = template(&mut e, "obama");
    let b = template(&mut e, "obama2");
    assert_eq!(e.score(&a, &b).unwrap(), e.score(&b, &a).unwrap());
    assert_eq!(e.score(&a, &a).unwrap(), 1.0);
}

#[test]
fn a_photograph_without_a_face_is_a_clear_error() {
    let mut e = engine();
    let blank = image::RgbImage::from_pixel(300, 300, image::Rgb([128, 128, 128]));
    let err = e.subject_template(&blank, "blank.png").unwrap_err();
    assert!(
        err.to_string().contains("no face found in blank.png"),
        "{err}"
    );
}

#[test]
fn templates_record_their_algorithm_and_alignments_do_not_mix() {
    let mut e = engine();
    let a = template(&mut e, "obama");
    assert_eq!(
        a.algorithm.as_str(),
        "yunet-n-dynamic/align-yunet5-v1/dlib-resnet-v1"
    );
    let mut other = a.clone();
    other.algorithm = lfr_engine::pipeline::algorithm(lfr_engine::align::AlignMethod::Dlib5Cascade);
    assert!(e.score(&a, &other).is_err());
}

/// `bench video` sets the runtime's own time beside each stage's; that
/// figure must count each network's runs, and only them.
#[test]
fn the_runtime_s_share_of_each_stage_is_counted_and_within_it() {
    use std::time::{Duration, Instant};
    let mut e = engine();
    let img = load_rgb(&shared("data/dlib-reference/images/obama.jpg"));
    let before = e.runtime_busy();
    let t0 = Instant::now();
    let faces = e.detect(&img).unwrap();
    let detect = t0.elapsed();
    let after_detect = e.runtime_busy() - before;
    let t1 = Instant::now();
    let templates = e.templates(&img, &faces).unwrap();
    let describe = t1.elapsed();
    assert!(!templates.is_empty());
    let both = e.runtime_busy() - before;
    // Each stage's runs counted, within the stage's time, and only there.
    for (what, busy, stage) in [
        ("YuNet", after_detect.detect, detect),
        ("the descriptor", both.describe, describe),
    ] {
        assert!(busy > Duration::ZERO, "{what}'s run was not counted");
        assert!(
            busy <= stage,
            "{what}: {busy:?} is more than the stage's {stage:?}"
        );
    }
    assert_eq!(
        after_detect.describe,
        Duration::ZERO,
        "detection counted as description"
    );
    assert_eq!(
        both.detect, after_detect.detect,
        "description counted as detection"
    );
}
