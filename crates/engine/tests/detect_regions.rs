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

/// YuNet with `config`.
fn detector(config: DetectorConfig) -> Detector {
    Detector::new(&backend(), &model_bytes(lfr_models::files::YUNET), config).unwrap()
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
    let mut det = detector(DetectorConfig::default());
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

/// Cameras of one process share detectors, each camera with its own
/// smallest face: searched for 30 px between the eyes, a frame gives what a
/// detector configured for 30 px gives (on a frame shrunk further), and the
/// shared detector is left as it was.
#[test]
fn a_cameras_smallest_face_is_searched_as_its_own_detector_would() {
    let frame = crowd_frame();
    let mut shared_det = detector(DetectorConfig::default());
    let close = DetectorConfig::default().with_smallest_face(30.0);
    assert!(close.input_scale() < DetectorConfig::default().input_scale());
    let mut own = detector(close);
    let at_20 = shared_det.detect(&frame).unwrap();
    let want = own.detect(&frame).unwrap();
    let got = shared_det.detect_for(&frame, None, Some(30.0)).unwrap();
    assert!(
        !want.is_empty() && want.len() <= at_20.len(),
        "{} faces from 30 px, {} from 20",
        want.len(),
        at_20.len()
    );
    // The very same boxes as the camera's own detector, which are not the
    // 20 px search's: the frame was shrunk further.
    let boxes = |f: &[Face]| f.iter().map(|f| f.bbox).collect::<Vec<_>>();
    assert_eq!(boxes(&got), boxes(&want));
    assert_ne!(boxes(&at_20), boxes(&want));
    // In regions too, and the next camera gets the detector's own search.
    let regions: Vec<BoundingBox> = want.iter().map(|f| around(&f.bbox, 1.0)).collect();
    let in_regions = shared_det
        .detect_for(&frame, Some(&regions), Some(30.0))
        .unwrap();
    assert!(
        want.iter()
            .all(|f| in_regions.iter().any(|g| same_place(f, g)))
    );
    assert_eq!(shared_det.detect(&frame).unwrap().len(), at_20.len());
    assert_eq!(*shared_det.config(), DetectorConfig::default());
}
