//! A camera with a Zone of Recognition has only the part of each frame
//! where a face centred in the zone can lie searched, and finds there every
//! face the whole frame has in the zone: the same faces, for less work.
mod common;

use std::sync::Arc;
use std::time::Instant;

use lfr_engine::detect::Face;
use lfr_engine::pipeline::{Engine, EngineConfig};
use lfr_live::Zone;
use lfr_live::analysis::{AnalysisConfig, CameraAnalysis};
use lfr_live::figures::Counters;

/// Frames 30, 60 and 90 of the crowd video.
fn crowd_frames() -> Vec<image::RgbImage> {
    let video = common::crowd();
    let mut d = lfr_video::Decoder::open(&video.to_string_lossy(), &Default::default())
        .unwrap_or_else(|e| panic!("{}: {e}", video.display()));
    let mut out = Vec::new();
    for i in 1..=90 {
        let f = d
            .next_frame()
            .unwrap()
            .expect("the crowd video has 90 frames");
        if i % 30 == 0 {
            out.push(f);
        }
    }
    out
}

/// One camera's analysis, with `zone` if any, as the live pipeline makes it.
fn camera(zone: Option<Zone>) -> CameraAnalysis {
    CameraAnalysis::new(
        "arcade".into(),
        zone,
        AnalysisConfig::default(),
        Arc::new(Counters::default()),
    )
}

fn centre_in(zone: &Zone, f: &Face) -> bool {
    zone.contains(f.bbox.x + f.bbox.w / 2.0, f.bbox.y + f.bbox.h / 2.0)
}

#[test]
fn a_zone_is_searched_alone_and_keeps_every_face_centred_in_it() {
    // The live detector's settings (frames shrunk to 0.75 for 20 px faces).
    let mut engine = Engine::open(&common::models(), &EngineConfig::default()).unwrap();
    // The crowd walks across the middle band of the picture; the zone is
    // its left half, so faces straddle the zone's edges.
    let zone = Zone::rect(200.0, 560.0, 800.0, 200.0);
    let searched = zone.search_box(1920, 1080).unwrap();
    assert!(
        searched.w * searched.h < 0.4 * 1920.0 * 1080.0,
        "{searched:?}"
    );
    let mut camera = camera(Some(zone.clone()));
    let (mut kept, mut elsewhere) = (0, 0);
    for frame in crowd_frames() {
        let whole = engine.detect(&frame).unwrap();
        let want: Vec<&Face> = whole.iter().filter(|f| centre_in(&zone, f)).collect();
        elsewhere += whole.len() - want.len();
        let got = camera.detect(&mut engine, &frame, Instant::now()).unwrap();
        assert_eq!(
            got.len(),
            want.len(),
            "zone search {got:?}\nwhole frame, centred in the zone {want:?}"
        );
        for w in &want {
            assert!(
                got.iter().any(|g| g.bbox.iou(&w.bbox) > 0.8),
                "the face at {:?} was not found by the zone's search",
                w.bbox
            );
        }
        kept += got.len();
    }
    assert!(kept >= 3, "the zone holds faces: {kept}");
    // Faces far from the zone were not even found: fewer were found and
    // dropped outside it than the whole frames hold there.
    let dropped = camera
        .counters()
        .outside_zone
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        (dropped as usize) < elsewhere,
        "{dropped} faces found outside the zone, of {elsewhere} in the whole frames"
    );
}

/// A face too large for the zone's search box, centred in the zone, is cut
/// by the box's side; the frame is then searched whole and the face kept.
#[test]
fn a_face_too_large_for_the_zones_search_is_found_by_a_whole_search() {
    let mut engine = Engine::open(&common::models(), &EngineConfig::default()).unwrap();
    // A zone whose search box (a fifth of 1080 each side) falls on the
    // 128-pixel grid of the live scale: rows 256-768, columns 640-1280.
    let zone = Zone::rect(856.0, 472.0, 208.0, 80.0);
    let b = zone.search_box(1920, 1080).unwrap();
    assert_eq!(
        (b.x, b.y, b.right(), b.bottom()),
        (640.0, 256.0, 1280.0, 768.0)
    );
    // An LFW portrait enlarged so that its face, centred in the zone, is
    // taller than the box: 540 pixels, where the box holds 512.
    let portrait = common::shared("data/lfw/images/Colin_Powell/Colin_Powell_0001.jpg");
    let portrait = image::open(&portrait).unwrap().to_rgb8();
    let stills = EngineConfig {
        detector: lfr_engine::detect::DetectorConfig::stills(),
        ..EngineConfig::default()
    };
    let mut still = Engine::open(&common::models(), &stills).unwrap();
    let face = still.detect(&portrait).unwrap()[0].bbox;
    let k = 540.0 / face.h;
    let (w, h) = (portrait.width() as f32 * k, portrait.height() as f32 * k);
    let big = image::imageops::resize(
        &portrait,
        w as u32,
        h as u32,
        image::imageops::FilterType::Triangle,
    );
    let mut frame = image::RgbImage::from_pixel(1920, 1080, image::Rgb([90, 90, 90]));
    let (cx, cy) = ((face.x + face.w / 2.0) * k, (face.y + face.h / 2.0) * k);
    image::imageops::overlay(&mut frame, &big, (960.0 - cx) as i64, (512.0 - cy) as i64);

    let whole = engine.detect(&frame).unwrap();
    let want: Vec<&Face> = whole.iter().filter(|f| centre_in(&zone, f)).collect();
    assert_eq!(want.len(), 1, "the whole frame's faces: {whole:?}");
    assert!(
        want[0].bbox.h > b.h,
        "{:?} fits the search box",
        want[0].bbox
    );
    let mut camera = camera(Some(zone));
    let got = camera.detect(&mut engine, &frame, Instant::now()).unwrap();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].bbox, want[0].bbox);
}

/// A camera that sets its own smallest face has its frames searched for
/// that, on the engine every camera shares.
#[test]
fn a_camera_searches_for_its_own_smallest_face() {
    let files = common::models();
    let mut engine = Engine::open(&files, &EngineConfig::default()).unwrap();
    let close = EngineConfig {
        detector: lfr_engine::detect::DetectorConfig::default().with_smallest_face(30.0),
        ..EngineConfig::default()
    };
    let mut own = Engine::open(&files, &close).unwrap();
    let min_eyes = lfr_live::MinEyes::new(30.0).unwrap();
    let mut camera = camera(None).with_min_eyes(Some(min_eyes));
    for frame in crowd_frames() {
        let boxes = |f: Vec<Face>| f.into_iter().map(|f| f.bbox).collect::<Vec<_>>();
        let want = boxes(own.detect(&frame).unwrap());
        let got = boxes(camera.detect(&mut engine, &frame, Instant::now()).unwrap());
        assert_eq!(got, want);
        assert_ne!(boxes(engine.detect(&frame).unwrap()), want);
    }
}
