//! Detection in regions of a frame finds, inside them, the faces a
//! whole-frame pass finds, at the same places, and nothing else.
mod support;

use lfr_engine::detect::{Detector, DetectorConfig, Face};
use lfr_engine::geometry::BoundingBox;
use support::*;

/// Frame 60 of the crowd video, when the crowd is close.
fn crowd_frame() -> image::RgbImage {
    let video = shared("data/video/arcade-crowd-1080p.mp4");
    let mut d = lfr_video::Decoder::open(&video.to_string_lossy(), &Default::default())
        .unwrap_or_else(|e| panic!("{}: {e}", video.display()));
    let mut frame = None;
    for _ in 0..60 {
        frame = d.next_frame().unwrap();
    }
    frame.expect("the crowd video has 60 frames")
}

fn around(b: &BoundingBox, widths: f32) -> BoundingBox {
    let pad = b.w * widths;
    BoundingBox {
        x: b.x - pad,
        y: b.y - pad,
        w: b.w + 2.0 * pad,
        h: b.h + 2.0 * pad,
    }
}

fn same_place(a: &Face, b: &Face) -> bool {
    a.bbox.iou(&b.bbox) > 0.8
        && a.landmarks
            .0
            .iter()
            .zip(&b.landmarks.0)
            .all(|(p, q)| (p.x - q.x).hypot(p.y - q.y) < 0.1 * a.bbox.w)
}

#[test]
fn regions_find_the_whole_frames_faces_inside_them_and_nothing_else() {
    let frame = crowd_frame();
    let backend = backend();
    let yunet = model_bytes(lfr_models::files::YUNET);
    let mut det = Detector::new(&backend, &yunet, DetectorConfig::default()).unwrap();
    let whole = det.detect(&frame).unwrap();
    assert!(
        whole.len() >= 4,
        "the crowd frame has faces: {}",
        whole.len()
    );

    // Regions around every other face the whole frame found.
    let wanted: Vec<&Face> = whole.iter().step_by(2).collect();
    let regions: Vec<BoundingBox> = wanted.iter().map(|f| around(&f.bbox, 1.0)).collect();
    let found = det.detect_regions(&frame, &regions).unwrap();
    for f in &wanted {
        assert!(
            found.iter().any(|g| same_place(f, g)),
            "the face at {:?} was not found in its region: {found:?}",
            f.bbox
        );
    }
    // Regions widen to the model's sampling grid, so a neighbour may be
    // found too; but only faces the whole frame has, where it has them.
    for g in &found {
        assert!(
            whole.iter().any(|f| same_place(f, g)),
            "{:?} is not a face the whole frame has",
            g.bbox
        );
    }
    // Regions that hold no face find none, and no region looks at nothing.
    let empty = BoundingBox {
        x: 0.0,
        y: 0.0,
        w: 8.0,
        h: 8.0,
    };
    assert!(det.detect_regions(&frame, &[empty]).unwrap().is_empty());
    assert!(det.detect_regions(&frame, &[]).unwrap().is_empty());
    // The whole frame again, after region runs, still finds the same faces.
    assert_eq!(det.detect(&frame).unwrap().len(), whole.len());
}
