//! Chip placement and sampling as dlib's `chip_details`, `get_face_chip_details`
//! and `extract_image_chip` do it.
//!
//! A chip is a rotated rectangle in the image plus an output size. When the
//! rectangle is much larger than the output, dlib first shrinks a crop around
//! it with `pyramid_down<2>` (bilinear alone would alias), then samples the
//! pyramid level bilinearly; pixels whose neighbours leave the crop are black.

use image::RgbImage;

use super::pyramid::{Plane, RgbBuf, bilinear, pyramid_down2, rect_down};
use super::rect::{DRect, IRect, rotate_point};
use super::{AlignError, Similarity};

/// Where a chip comes from: `rect` rotated by `angle` about its centre, sampled
/// to `rows` x `cols` pixels (dlib's `chip_details`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChipDetails {
    pub rect: DRect,
    pub angle: f64,
    pub rows: usize,
    pub cols: usize,
}

/// dlib's mean positions of its five landmarks (right eye outer and inner
/// corner, left eye outer and inner corner, base of the nose; dlib's order)
/// in a unit face box, from `get_face_chip_details`.
const DLIB5_MEAN: [[f64; 2]; 5] = [
    [0.8595674595992, 0.2134981538014],
    [0.6460604764104, 0.2289674387677],
    [0.1205750620789, 0.2137274526848],
    [0.3340850613712, 0.2290642403242],
    [0.4901123135679, 0.6277975316475],
];

impl ChipDetails {
    /// The chip whose similarity maps `chip_points` (in chip pixels) onto
    /// `image_points`, as dlib's `chip_details(chip_points, img_points, dims)`.
    pub fn from_points(
        chip_points: &[[f64; 2]],
        image_points: &[[f64; 2]],
        size: usize,
    ) -> Result<ChipDetails, AlignError> {
        if size < 2 {
            return Err(AlignError::Invalid(format!("chip size {size} is below 2")));
        }
        let t = Similarity::fit(chip_points, image_points)?;
        let s = size as f64;
        let centre = t.apply([s / 2.0, s / 2.0]);
        // dlib reads scale and angle off the image of the unit x vector.
        let (px, py) = (t.a, t.b);
        let scale = px.hypot(py);
        Ok(ChipDetails {
            rect: DRect::centered(centre, s * scale, s * scale),
            angle: py.atan2(px),
            rows: size,
            cols: size,
        })
    }

    /// `get_face_chip_details` for a 5-point dlib shape (integer points, dlib's
    /// order): the mean face, padded by `padding` of its size on every side.
    pub fn dlib_face5(
        shape: &[[i64; 2]; 5],
        size: usize,
        padding: f64,
    ) -> Result<ChipDetails, AlignError> {
        if padding.is_nan() || padding < 0.0 {
            return Err(AlignError::Invalid(format!(
                "padding {padding} is negative"
            )));
        }
        let s = size as f64;
        let chip = DLIB5_MEAN.map(|[x, y]| {
            [
                (padding + x) / (2.0 * padding + 1.0) * s,
                (padding + y) / (2.0 * padding + 1.0) * s,
            ]
        });
        let img = shape.map(|[x, y]| [x as f64, y as f64]);
        ChipDetails::from_points(&chip, &img, size)
    }

    /// The map from chip pixel (column, row) to image coordinates, the
    /// inverse of dlib's `get_mapping_to_chip`. It is a similarity because
    /// face chips are square.
    pub fn chip_to_image(&self) -> Similarity {
        let c = self.rect.center();
        let origin = rotate_point(c, self.rect.tl(), self.angle);
        let k = (self.rect.right - self.rect.left) / (self.cols.max(2) - 1) as f64;
        let s = Similarity::new(k, self.angle, 0.0, 0.0);
        Similarity {
            tx: origin[0],
            ty: origin[1],
            ..s
        }
    }

    fn is_finite(&self) -> bool {
        [
            self.rect.left,
            self.rect.top,
            self.rect.right,
            self.rect.bottom,
            self.angle,
        ]
        .iter()
        .all(|v| v.is_finite() && v.abs() < 1e12)
    }
}

/// `extract_image_chip(img, details, chip)` with bilinear interpolation.
pub fn extract_chip(img: &RgbImage, d: &ChipDetails) -> Result<RgbImage, AlignError> {
    if d.rows < 2 || d.cols < 2 || d.rows > 4096 || d.cols > 4096 {
        return Err(AlignError::Invalid(format!(
            "chip size {}x{} outside 2..=4096",
            d.cols, d.rows
        )));
    }
    if !d.is_finite() {
        return Err(AlignError::Invalid(format!(
            "chip placement is not finite: {d:?}"
        )));
    }
    if d.angle == 0.0 && d.rows as f64 == d.rect.height() && d.cols as f64 == d.rect.width() {
        return Ok(copy_chip(img, d.rect.round(), d.rows, d.cols));
    }
    Ok(sample_chip_widest(img, d))
}

crate::simd::widest!(fn sample_chip_widest(img: &RgbImage, d: &ChipDetails) -> RgbImage => sample_chip);

/// The pyramid and the bilinear sampling of [`extract_chip`], inlined into
/// one copy per instruction set ([`crate::simd`]). Integer sums and dlib's
/// order of float operations, so every copy gives the same bytes.
#[inline(always)]
fn sample_chip(img: &RgbImage, d: &ChipDetails) -> RgbImage {
    let size = (d.rows * d.cols) as f64;

    // How many pyramid levels, and how much margin around the chip they need.
    let mut depth = 0usize;
    let mut grow = 2.0;
    let mut r = rect_down(&d.rect);
    while r.area() > size {
        r = rect_down(&r);
        depth += 1;
        grow = grow * 2.0 + 2.0;
    }
    let centre = d.rect.center();
    let mut rot = DRect::EMPTY;
    for p in [d.rect.tl(), d.rect.tr(), d.rect.bl(), d.rect.br()] {
        rot.include(rotate_point(centre, p, d.angle));
    }
    let (w, h) = img.dimensions();
    let whole = IRect::of_image(w, h);
    let bbox = rot
        .grow(grow)
        .intersect(&DRect::from(whole))
        .round()
        .intersect(&whole);

    // The level dlib samples from (-1 is the crop itself), and the chip
    // rectangle in that level's coordinates.
    let mut level: isize = -1;
    let mut r = d.rect.translate(-bbox.left as f64, -bbox.top as f64);
    while rect_down(&r).area() > size && level < depth as isize - 1 {
        level += 1;
        r = rect_down(&r);
    }

    let crop = crop_plane(img, &bbox);
    let mut owned = RgbBuf::default();
    for i in 0..=level {
        owned = pyramid_down2(if i == 0 { crop } else { Plane::of(&owned) });
    }
    let src = if level < 0 { crop } else { Plane::of(&owned) };

    // Chip corners tl, tr, bl map to the rotated corners of `r`.
    let c = r.center();
    let tl = rotate_point(c, r.tl(), d.angle);
    let tr = rotate_point(c, r.tr(), d.angle);
    let bl = rotate_point(c, r.bl(), d.angle);
    let (cw, ch) = ((d.cols - 1) as f64, (d.rows - 1) as f64);
    let m = [
        [(tr[0] - tl[0]) / cw, (bl[0] - tl[0]) / ch],
        [(tr[1] - tl[1]) / cw, (bl[1] - tl[1]) / ch],
    ];
    let mut out = RgbImage::new(d.cols as u32, d.rows as u32);
    for (row, line) in out.chunks_exact_mut(d.cols * 3).enumerate() {
        let y = row as f64;
        for (col, px) in line.chunks_exact_mut(3).enumerate() {
            let x = col as f64;
            let sx = m[0][0] * x + m[0][1] * y + tl[0];
            let sy = m[1][0] * x + m[1][1] * y + tl[1];
            if let Some(v) = bilinear(&src, sx, sy) {
                px.copy_from_slice(&v);
            }
        }
    }
    out
}

/// The part of `img` inside `r` (already clipped to the image) as a view.
fn crop_plane<'a>(img: &'a RgbImage, r: &IRect) -> Plane<'a> {
    if r.is_empty() {
        return Plane {
            data: &[],
            stride: 0,
            width: 0,
            height: 0,
        };
    }
    let stride = img.width() as usize * 3;
    let start = r.top as usize * stride + r.left as usize * 3;
    Plane {
        data: &img.as_raw()[start..],
        stride,
        width: r.width() as usize,
        height: r.height() as usize,
    }
}

/// dlib's fast path for an unrotated, unscaled chip: a plain copy, black
/// where `r` leaves the image.
fn copy_chip(img: &RgbImage, r: IRect, rows: usize, cols: usize) -> RgbImage {
    let mut out = RgbImage::new(cols as u32, rows as u32);
    let (w, h) = img.dimensions();
    for y in 0..rows {
        for x in 0..cols {
            let (sx, sy) = (r.left + x as i64, r.top + y as i64);
            if sx >= 0 && sy >= 0 && sx < w as i64 && sy < h as i64 {
                out.put_pixel(x as u32, y as u32, *img.get_pixel(sx as u32, sy as u32));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unrotated_same_size_chip_is_a_copy_with_black_outside() {
        let img = RgbImage::from_fn(10, 8, |x, y| image::Rgb([x as u8, y as u8, 200]));
        let d = ChipDetails {
            rect: DRect::new(7.0, -1.0, 11.0, 2.0),
            angle: 0.0,
            rows: 4,
            cols: 5,
        };
        let c = extract_chip(&img, &d).unwrap();
        assert_eq!(c.get_pixel(0, 1).0, [7, 0, 200]);
        assert_eq!(c.get_pixel(2, 3).0, [9, 2, 200]);
        assert_eq!(c.get_pixel(3, 1).0, [0, 0, 0], "column 10 is outside");
        assert_eq!(c.get_pixel(0, 0).0, [0, 0, 0], "row -1 is outside");
    }

    #[test]
    fn chip_entirely_outside_the_image_is_black_not_a_panic() {
        let img = RgbImage::from_pixel(50, 40, image::Rgb([90, 90, 90]));
        for rect in [
            DRect::new(1000.0, 1000.0, 1400.0, 1400.0),
            DRect::new(-900.0, -900.0, -100.0, -100.0),
        ] {
            let d = ChipDetails {
                rect,
                angle: 0.3,
                rows: 150,
                cols: 150,
            };
            let c = extract_chip(&img, &d).unwrap();
            assert!(c.as_raw().iter().all(|&v| v == 0));
        }
        let bad = ChipDetails {
            rect: DRect::new(f64::NAN, 0.0, 10.0, 10.0),
            angle: 0.0,
            rows: 150,
            cols: 150,
        };
        assert!(extract_chip(&img, &bad).is_err());
    }

    #[test]
    fn chip_to_image_maps_corners_like_dlib() {
        let d = ChipDetails {
            rect: DRect::centered([100.0, 80.0], 300.0, 300.0),
            angle: 0.2,
            rows: 150,
            cols: 150,
        };
        let t = d.chip_to_image();
        let tl = t.apply([0.0, 0.0]);
        let want = rotate_point(d.rect.center(), d.rect.tl(), d.angle);
        assert!((tl[0] - want[0]).abs() < 1e-9 && (tl[1] - want[1]).abs() < 1e-9);
        let br = t.apply([149.0, 149.0]);
        let want = rotate_point(d.rect.center(), d.rect.br(), d.angle);
        assert!((br[0] - want[0]).abs() < 1e-9 && (br[1] - want[1]).abs() < 1e-9);
    }
}

#[cfg(test)]
mod widest {
    use super::*;

    /// The copy for this processor's widest instructions samples the same
    /// bytes as the baseline copy, with and without a pyramid level.
    #[test]
    fn every_instruction_set_samples_the_same_chip() {
        let img = RgbImage::from_fn(640, 480, |x, y| {
            image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x * y) % 239) as u8])
        });
        for side in [90.0, 300.0] {
            let d = ChipDetails {
                rect: DRect::centered([320.5, 240.25], side, side),
                angle: 0.12,
                rows: 150,
                cols: 150,
            };
            assert_eq!(
                sample_chip(&img, &d),
                sample_chip_widest(&img, &d),
                "{side} px face"
            );
        }
    }
}
