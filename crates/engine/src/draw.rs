//! Marks detected faces on an image (for `lfr detect --draw`): the box, the
//! five landmarks in distinct colours so their order can be checked by eye,
//! and the score in percent above the box.

use image::{Rgb, RgbImage};

use crate::detect::Face;
use crate::geometry::BoundingBox;

const BOX: Rgb<u8> = Rgb([0, 255, 0]);
/// Image-left eye, image-right eye, nose, image-left and image-right mouth
/// corner.
pub const LANDMARK_COLOURS: [Rgb<u8>; 5] = [
    Rgb([255, 0, 0]),
    Rgb([0, 0, 255]),
    Rgb([0, 255, 255]),
    Rgb([255, 0, 255]),
    Rgb([255, 255, 0]),
];

/// 3x5 digit glyphs, one row per 3-bit number, top row first.
const DIGITS: [[u8; 5]; 10] = [
    [0b111, 0b101, 0b101, 0b101, 0b111],
    [0b010, 0b110, 0b010, 0b010, 0b111],
    [0b111, 0b001, 0b111, 0b100, 0b111],
    [0b111, 0b001, 0b111, 0b001, 0b111],
    [0b101, 0b101, 0b111, 0b001, 0b001],
    [0b111, 0b100, 0b111, 0b001, 0b111],
    [0b111, 0b100, 0b111, 0b101, 0b111],
    [0b111, 0b001, 0b010, 0b010, 0b010],
    [0b111, 0b101, 0b111, 0b101, 0b111],
    [0b111, 0b101, 0b111, 0b001, 0b111],
];

fn put(img: &mut RgbImage, x: i64, y: i64, c: Rgb<u8>) {
    if x >= 0 && y >= 0 && (x as u32) < img.width() && (y as u32) < img.height() {
        img.put_pixel(x as u32, y as u32, c);
    }
}

fn fill(img: &mut RgbImage, x0: i64, y0: i64, w: i64, h: i64, c: Rgb<u8>) {
    for y in y0..y0 + h {
        for x in x0..x0 + w {
            put(img, x, y, c);
        }
    }
}

fn outline(img: &mut RgbImage, b: &BoundingBox, t: i64, c: Rgb<u8>) {
    let (x0, y0) = (b.x.round() as i64, b.y.round() as i64);
    let (x1, y1) = (b.right().round() as i64, b.bottom().round() as i64);
    fill(img, x0, y0, x1 - x0, t, c);
    fill(img, x0, y1 - t, x1 - x0, t, c);
    fill(img, x0, y0, t, y1 - y0, c);
    fill(img, x1 - t, y0, t, y1 - y0, c);
}

fn disc(img: &mut RgbImage, cx: f32, cy: f32, r: f32, c: Rgb<u8>) {
    let ri = r.ceil() as i64;
    let (x, y) = (cx.round() as i64, cy.round() as i64);
    for dy in -ri..=ri {
        for dx in -ri..=ri {
            if ((dx * dx + dy * dy) as f32) <= r * r {
                put(img, x + dx, y + dy, c);
            }
        }
    }
}

/// Writes a non-negative number at (x, y) (top-left), `px` image pixels per
/// glyph pixel.
pub fn number(img: &mut RgbImage, x: i64, y: i64, value: u32, px: i64, c: Rgb<u8>) {
    for (i, ch) in value.to_string().bytes().enumerate() {
        let glyph = DIGITS[(ch - b'0') as usize];
        let gx = x + i as i64 * 4 * px;
        for (row, bits) in glyph.iter().enumerate() {
            for col in 0..3 {
                if bits & (0b100 >> col) != 0 {
                    fill(img, gx + col * px, y + row as i64 * px, px, px, c);
                }
            }
        }
    }
}

/// Draws every face onto `img`. Line widths and text grow with the face, so
/// the marks stay visible on large faces and do not hide small ones.
pub fn draw_faces(img: &mut RgbImage, faces: &[Face]) {
    for f in faces {
        let size = f.bbox.w.min(f.bbox.h).max(1.0);
        let t = (size / 60.0).round().max(1.0) as i64;
        outline(img, &f.bbox, t, BOX);
        for (p, c) in f.landmarks.0.iter().zip(LANDMARK_COLOURS) {
            disc(img, p.x, p.y, (size / 40.0).max(1.5), c);
        }
        let px = (size / 40.0).round().clamp(1.0, 8.0) as i64;
        let percent = (f.score * 100.0).round().clamp(0.0, 100.0) as u32;
        let ty = f.bbox.y.round() as i64 - 6 * px - t;
        number(img, f.bbox.x.round() as i64, ty.max(0), percent, px, BOX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::{Landmarks5, Point};
    use crate::quality::Quality;

    #[test]
    fn marks_box_landmarks_and_score() {
        let mut img = RgbImage::new(200, 200);
        let lm = Landmarks5([
            Point::new(80.0, 90.0),
            Point::new(120.0, 90.0),
            Point::new(100.0, 110.0),
            Point::new(85.0, 130.0),
            Point::new(115.0, 130.0),
        ]);
        let face = Face {
            bbox: BoundingBox {
                x: 60.0,
                y: 60.0,
                w: 80.0,
                h: 100.0,
            },
            landmarks: lm,
            score: 0.87,
            quality: Quality::default(),
        };
        draw_faces(&mut img, &[face]);
        assert_eq!(*img.get_pixel(60, 100), BOX, "left side of the box");
        assert_eq!(*img.get_pixel(100, 159), BOX, "bottom of the box");
        for (p, c) in lm.0.iter().zip(LANDMARK_COLOURS) {
            assert_eq!(*img.get_pixel(p.x as u32, p.y as u32), c);
        }
        assert_eq!(*img.get_pixel(100, 100), Rgb([0, 0, 0]), "inside untouched");
        // "87" above the box: the 8's top row is lit.
        let lit = (0..200)
            .filter(|&x| *img.get_pixel(x, 60 - 6 * 2 - 1) == BOX)
            .count();
        assert!(lit > 0, "score digits drawn");
    }

    #[test]
    fn digits_render_their_glyphs() {
        let mut img = RgbImage::new(20, 10);
        number(&mut img, 0, 0, 10, 1, BOX);
        // "1": middle column lit on the top row; "0": hollow centre.
        assert_eq!(*img.get_pixel(1, 0), BOX);
        assert_eq!(*img.get_pixel(0, 0), Rgb([0, 0, 0]));
        assert_eq!(*img.get_pixel(5, 2), Rgb([0, 0, 0]));
        assert_eq!(*img.get_pixel(4, 2), BOX);
    }
}
