//! The shape predictor file reader against damaged copies of the real model:
//! every truncation and corruption is an error or a working model, never a panic.

mod support;

use std::path::Path;

use image::RgbImage;
use lfr_engine::align::IRect;
use lfr_engine::dlib_format::Reader;
use lfr_engine::landmarks::{LandmarksError, ShapePredictor};
use support::*;

fn model_file() -> Vec<u8> {
    model_bytes(lfr_models::files::DLIB_SHAPE5)
}

/// Offset of the first split's `idx1` (after version, initial shape, cascade,
/// tree and split counts).
fn first_split_offset(bytes: &[u8]) -> usize {
    let mut r = Reader::new("t", bytes);
    r.int().unwrap();
    let (rows, cols) = (r.int().unwrap(), r.int().unwrap());
    for _ in 0..rows * cols {
        r.float().unwrap();
    }
    r.int().unwrap();
    r.int().unwrap();
    r.int().unwrap();
    r.position()
}

#[test]
fn the_real_model_loads() {
    let sp = ShapePredictor::from_bytes("sp5", &model_file()).unwrap();
    assert_eq!(sp.num_parts(), 5);
}

#[test]
fn truncated_copies_are_errors() {
    let bytes = model_file();
    let n = bytes.len();
    for cut in [
        0,
        1,
        2,
        5,
        17,
        100,
        1000,
        n / 3,
        n / 2,
        n - 100,
        n - 2,
        n - 1,
    ] {
        let e = ShapePredictor::from_bytes("truncated.dat", &bytes[..cut])
            .expect_err(&format!("a copy cut at {cut} bytes loaded"));
        let msg = e.to_string();
        assert!(
            msg.contains("truncated.dat") && msg.contains("lfr models install"),
            "{msg}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    let e = ShapePredictor::from_bytes("long.dat", &longer).unwrap_err();
    assert!(e.to_string().contains("unexpected bytes"), "{e}");
}

#[test]
fn targeted_corruptions_are_clear_errors() {
    let bytes = model_file();
    let case = |what: &str, f: &dyn Fn(&mut Vec<u8>), expect: &str| {
        let mut b = bytes.clone();
        f(&mut b);
        let e = ShapePredictor::from_bytes("bad.dat", &b).expect_err(what);
        assert!(e.to_string().contains(expect), "{what}: {e}");
    };
    // Version 1 is stored as 0x01 0x01.
    case("version", &|b| b[1] = 7, "version 7");
    // The initial shape's row count (-10 as 0x81 0x0a) made odd.
    case("odd shape", &|b| b[3] = 9, "even");
    let at = first_split_offset(&bytes);
    assert_eq!(
        bytes[at], 0x02,
        "the first split's feature index is a 2-byte integer"
    );
    case(
        "feature index",
        &|b| {
            b[at + 1] = 0xff;
            b[at + 2] = 0x7f;
        },
        "feature 32767",
    );
    case("bad control byte", &|b| b[at] = 0x7f, "control byte");
}

#[test]
fn scattered_corruptions_never_panic() {
    let bytes = model_file();
    let img = RgbImage::from_fn(64, 64, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 4) as u8, 128])
    });
    let (mut errors, mut loaded) = (0, 0);
    // Each full parse of the 9 MB model is slow in the unoptimised test
    // build, so a dozen places spread over the file, two bytes each.
    let step = bytes.len() / 12;
    for i in 0..12 {
        let at = 3 + i * step;
        for v in [0x00, 0xff] {
            let mut b = bytes.clone();
            b[at] = v;
            match ShapePredictor::from_bytes("bad.dat", &b) {
                Err(_) => errors += 1,
                Ok(sp) => {
                    // A value changed but the structure held: it must still run.
                    let s = sp.predict(&img, IRect::new(8, 8, 55, 55));
                    assert_eq!(s.points.len(), sp.num_parts());
                    loaded += 1;
                }
            }
        }
    }
    println!("{errors} corrupted copies rejected, {loaded} loaded and ran");
    assert!(errors > 0);
}

#[test]
fn a_missing_file_says_what_to_do() {
    match ShapePredictor::load(Path::new(
        "/nonexistent/shape_predictor_5_face_landmarks.dat",
    )) {
        Err(e @ LandmarksError::Io { .. }) => {
            assert!(e.to_string().contains("lfr models install"), "{e}")
        }
        other => panic!("expected an I/O error, got {other:?}"),
    }
}

#[test]
fn faces_off_the_image_edge_still_get_landmarks() {
    let sp = ShapePredictor::from_bytes("sp5", &model_file()).unwrap();
    let img = RgbImage::from_pixel(40, 30, image::Rgb([100, 120, 140]));
    for rect in [
        IRect::new(-50, -50, 10, 10),
        IRect::new(30, 20, 200, 200),
        IRect::new(1000, 1000, 1100, 1100),
        IRect::new(5, 5, 5, 5),
    ] {
        let s = sp.predict(&img, rect);
        assert_eq!(s.points.len(), 5);
        assert!(
            s.points.iter().flatten().all(|v| v.is_finite()),
            "{rect:?}: {s:?}"
        );
    }
}
