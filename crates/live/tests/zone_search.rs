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
    let mut camera = CameraAnalysis::new(
        "arcade".into(),
        Some(zone.clone()),
        AnalysisConfig::default(),
        Arc::new(Counters::default()),
    );
    let mut kept = 0;
    for frame in crowd_frames() {
        let whole = engine.detect(&frame).unwrap();
        let want: Vec<&Face> = whole.iter().filter(|f| centre_in(&zone, f)).collect();
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
    let mut camera = CameraAnalysis::new(
        "close".into(),
        None,
        AnalysisConfig::default(),
        Arc::new(Counters::default()),
    )
    .with_min_eyes(Some(min_eyes));
    for frame in crowd_frames() {
        let boxes = |f: Vec<Face>| f.into_iter().map(|f| f.bbox).collect::<Vec<_>>();
        let want = boxes(own.detect(&frame).unwrap());
        let got = boxes(camera.detect(&mut engine, &frame, Instant::now()).unwrap());
        assert_eq!(got, want);
        assert_ne!(boxes(engine.detect(&frame).unwrap()), want);
    }
}
