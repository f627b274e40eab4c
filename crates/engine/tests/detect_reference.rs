//! YuNet on real images: faces where dlib finds them, landmarks in the
//! engine's order, coordinates that survive rescaling and tiling, and clear
//! errors for unreadable images.

mod support;

use lfr_engine::detect::{
    DetectError, Detector, DetectorConfig, Face, InputScale, Tiling, load_image,
};
use lfr_engine::geometry::Point;
use support::*;

fn detector(config: DetectorConfig) -> Detector {
    let onnx = model_bytes(lfr_models::files::YUNET);
    Detector::new(&backend(), &onnx, config).unwrap_or_else(|e| panic!("{e}"))
}

fn mid(a: [f32; 2], b: [f32; 2]) -> Point {
    Point::new((a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0)
}

/// The face whose box holds `p`.
fn face_at(faces: &[Face], p: Point) -> &Face {
    faces
        .iter()
        .find(|f| p.x > f.bbox.x && p.x < f.bbox.right() && p.y > f.bbox.y && p.y < f.bbox.bottom())
        .unwrap_or_else(|| panic!("no face around {p:?} in {faces:?}"))
}

/// dlib's five points are eye corners (image-right eye outer, inner,
/// image-left eye outer, inner) and the base of the nose; YuNet's are eye
/// centres, nose tip and mouth corners. The eye centres must agree to within
/// 15% of the eye distance: the two models mark the eye differently (YuNet's
/// point sits higher than the corners' midpoint, by 6% of the eye distance on
/// average here), and on these 20 faces they differ by at most 14%; swapped
/// eyes would be off by 100%.
#[test]
fn eyes_match_dlib_on_the_reference_faces_in_order() {
    let mut det = detector(DetectorConfig::stills());
    let refs = dlib_reference();
    let mut worst = 0f32;
    for r in &refs {
        let img = load_image(&r.image).unwrap();
        let faces = det.detect(&img).unwrap();
        let lm = &r.landmarks5;
        let left = mid(lm[2], lm[3]);
        let right = mid(lm[0], lm[1]);
        let iod = left.distance(right);
        let f = face_at(&faces, mid([left.x, left.y], [right.x, right.y]));
        let e = f
            .landmarks
            .left_eye()
            .distance(left)
            .max(f.landmarks.right_eye().distance(right))
            / iod;
        worst = worst.max(e);
        let (l, rr) = (f.landmarks.left_eye(), f.landmarks.right_eye());
        eprintln!(
            "{:50} iod {iod:4.0}  left d=({:+.3},{:+.3})  right d=({:+.3},{:+.3})",
            r.image.file_name().unwrap().to_string_lossy(),
            (l.x - left.x) / iod,
            (l.y - left.y) / iod,
            (rr.x - right.x) / iod,
            (rr.y - right.y) / iod
        );
        assert!(
            e < 0.15,
            "{}: eye landmarks {:?} vs dlib's {left:?} {right:?} (error {:.0}% of {iod:.0} px)",
            r.image.display(),
            f.landmarks,
            e * 100.0
        );
        // Nose tip above dlib's nose base, within a third of the eye distance.
        let nose = Point::new(lm[4][0], lm[4][1]);
        assert!(f.landmarks.nose().y < nose.y + 0.05 * iod);
        assert!(f.landmarks.nose().distance(nose) < 0.35 * iod);
        // Mouth corners below the nose, image-left one on the left.
        assert!(f.landmarks.mouth_left().x < f.landmarks.mouth_right().x);
        assert!(f.landmarks.mouth_left().y > f.landmarks.nose().y);
        assert!((f.quality.inter_eye_px - f.landmarks.inter_eye_distance()).abs() < 1e-3);
    }
    eprintln!("worst eye error: {:.1}% of the eye distance", worst * 100.0);
}

#[test]
fn obama_and_biden_are_found_with_high_scores() {
    let mut det = detector(DetectorConfig::stills());
    for name in ["obama", "biden"] {
        let img = load_image(&shared(&format!("data/dlib-reference/images/{name}.jpg"))).unwrap();
        let faces = det.detect(&img).unwrap();
        assert_eq!(faces.len(), 1, "{name}: {faces:?}");
        assert!(faces[0].score > 0.9, "{name}: {}", faces[0].score);
        assert!(faces[0].landmarks.left_eye().x < faces[0].landmarks.right_eye().x);
    }
}

#[test]
fn multiface_finds_every_face_sorted_by_score() {
    let mut det = detector(DetectorConfig::stills());
    let img = load_image(&shared("data/stills/multiface.jpg")).unwrap();
    let faces = det.detect(&img).unwrap();
    assert!(faces.len() >= 5, "found {}", faces.len());
    assert!(faces.windows(2).all(|w| w[0].score >= w[1].score));
    for (i, a) in faces.iter().enumerate() {
        for b in &faces[i + 1..] {
            assert!(a.bbox.iou(&b.bbox) <= 0.3, "overlapping faces kept");
        }
    }
    let mut few = detector(DetectorConfig {
        max_faces: 2,
        ..DetectorConfig::stills()
    });
    let two = few.detect(&img).unwrap();
    assert_eq!(two.len(), 2);
    assert_eq!(two[0].bbox, faces[0].bbox, "max_faces keeps the best");
}

/// Half-scale and tiled runs must put each face where the full-resolution run
/// does. Landmarks move a little with resolution (up to 15% of the eye
/// distance at half scale on these 37 px faces); a mapping error would move
/// them by a tile offset (hundreds of pixels) or by a factor.
#[test]
fn rescaled_and_tiled_runs_map_back_to_frame_coordinates() {
    let img = load_image(&shared("data/stills/multiface.jpg")).unwrap();
    let native = detector(DetectorConfig::stills()).detect(&img).unwrap();
    let variants = [
        ("half scale", InputScale::Factor(0.5), None),
        (
            "tiles",
            InputScale::Native,
            Some(Tiling {
                tile: 384,
                overlap: 128,
            }),
        ),
        (
            "scaled tiles",
            InputScale::Factor(1.5),
            Some(Tiling {
                tile: 512,
                overlap: 160,
            }),
        ),
    ];
    for (name, scale, tiling) in variants {
        let mut det = detector(DetectorConfig {
            scale,
            tiling,
            ..DetectorConfig::stills()
        });
        let got = det.detect(&img).unwrap();
        assert_eq!(got.len(), native.len(), "{name}: {got:?}");
        for f in &native {
            let g = got
                .iter()
                .min_by(|a, b| {
                    let d = |x: &Face| x.landmarks.nose().distance(f.landmarks.nose());
                    d(a).total_cmp(&d(b))
                })
                .unwrap();
            let iod = f.quality.inter_eye_px;
            for (p, q) in f.landmarks.0.iter().zip(g.landmarks.0) {
                assert!(
                    p.distance(q) < 0.25 * iod,
                    "{name}: landmark {p:?} became {q:?} (eye distance {iod})"
                );
            }
            assert!(
                f.bbox.iou(&g.bbox) > 0.7,
                "{name}: box {:?} vs {:?}",
                f.bbox,
                g.bbox
            );
        }
    }
}

#[test]
fn unreadable_images_give_clear_errors() {
    let dir = std::env::temp_dir().join(format!("lfr-detect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.jpg");
    std::fs::write(&empty, b"").unwrap();
    let corrupt = dir.join("corrupt.jpg");
    let mut bytes = std::fs::read(shared("data/stills/multiface.jpg")).unwrap();
    bytes.truncate(200);
    std::fs::write(&corrupt, &bytes).unwrap();
    let text = dir.join("notes.png");
    std::fs::write(&text, b"this is not an image").unwrap();
    // Cut off two thirds of the way through its image data: the JPEG decoder
    // alone would fill the rest in grey and find the faces above the cut.
    let cut = dir.join("cut-off.jpg");
    let mut bytes = std::fs::read(shared("data/stills/multiface.jpg")).unwrap();
    bytes.truncate(bytes.len() * 2 / 3);
    std::fs::write(&cut, &bytes).unwrap();
    let e = load_image(&cut).unwrap_err().to_string();
    assert!(e.contains("incomplete") && e.contains("cut-off.jpg"), "{e}");
    for p in [&empty, &corrupt, &text, &cut, &dir.join("missing.jpg")] {
        match load_image(p) {
            Err(e @ DetectError::Image { .. }) => {
                let msg = e.to_string();
                assert!(msg.contains(&p.display().to_string()), "{msg}");
                assert!(msg.contains("JPEG or PNG"), "{msg}");
            }
            other => panic!("{}: {other:?}", p.display()),
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    let mut det = detector(DetectorConfig::default());
    assert!(matches!(
        det.detect(&image::RgbImage::new(0, 0)),
        Err(DetectError::EmptyImage)
    ));
}

#[test]
fn invalid_configuration_and_model_are_refused() {
    let onnx = model_bytes(lfr_models::files::YUNET);
    let bad = DetectorConfig {
        score_threshold: 1.5,
        ..DetectorConfig::default()
    };
    let e = Detector::new(&backend(), &onnx, bad)
        .err()
        .expect("refused");
    assert!(e.to_string().contains("score_threshold"), "{e}");
    let e = Detector::new(&backend(), b"not a model", DetectorConfig::default())
        .err()
        .expect("refused");
    assert!(e.to_string().contains("yunet"), "{e}");
}

/// LFW images are 250x250 with one subject in the middle; the subject must be
/// found (the face nearest the centre is the caller's choice, so here: some
/// face whose box holds the centre).
#[test]
fn finds_the_subject_in_300_lfw_images() {
    let mut det = detector(DetectorConfig::stills());
    let root = shared("data/lfw/images");
    let mut people: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    people.sort();
    let mut tried = 0;
    let mut missed = Vec::new();
    for dir in people.iter().step_by(people.len() / 300 + 1) {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let img = load_image(&files[0]).unwrap();
        let faces = det.detect(&img).unwrap();
        tried += 1;
        let centre = Point::new(125.0, 125.0);
        if !faces.iter().any(|f| {
            f.bbox.x < centre.x
                && f.bbox.right() > centre.x
                && f.bbox.y < centre.y
                && f.bbox.bottom() > centre.y
        }) {
            missed.push(files[0].clone());
        }
    }
    let rate = 1.0 - missed.len() as f32 / tried as f32;
    eprintln!(
        "LFW: subject found in {}/{tried} ({:.1}%)",
        tried - missed.len(),
        rate * 100.0
    );
    assert!(tried >= 250, "only {tried} LFW people");
    assert!(
        rate >= 0.98,
        "found {:.1}%; missed {missed:?}",
        rate * 100.0
    );
}
