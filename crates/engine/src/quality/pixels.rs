//! Measures of the face's pixels: focus and exposure, taken on a small grey
//! patch so that their cost does not grow with the face, and so that faces of
//! any size are judged at the same scale.

use image::RgbImage;

use crate::detect::resample::{resample_rows, taps};
use crate::geometry::{Landmarks5, Point};

/// Side of the grey patch. The patch spans twice the face's size (the larger
/// of eye distance and eye-to-mouth distance), so the eyes land 32 px apart:
/// roughly the scale at which recognition chips see a face.
pub const PATCH: usize = 64;

/// A square of the frame around the face, resampled to `PATCH` x `PATCH` luma.
pub struct Patch {
    pub luma: Vec<f32>,
    /// The nose's column in the patch, where the face's two sides meet.
    pub nose_col: usize,
}

impl Patch {
    pub fn from_face(img: &RgbImage, lm: &Landmarks5) -> Patch {
        let eyes = mid(lm.left_eye(), lm.right_eye());
        let mouth = mid(lm.mouth_left(), lm.mouth_right());
        let size = lm.inter_eye_distance().max(eyes.distance(mouth)).max(1.0);
        let centre = mid(eyes, mouth);
        let side = 2.0 * size;
        let (x0, y0) = (centre.x - size, centre.y - size);
        let (iw, ih) = (img.width() as usize, img.height() as usize);
        let xt = taps(x0, side, PATCH, iw);
        let yt = taps(y0, side, PATCH, ih);
        let mut luma = vec![0f32; PATCH * PATCH];
        resample_rows::<3>(img.as_raw(), iw * 3, &xt, &yt, |y, row| {
            for (l, p) in luma[y * PATCH..(y + 1) * PATCH]
                .iter_mut()
                .zip(row.chunks_exact(3))
            {
                *l = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
            }
        });
        // Kept clear of the patch's outer eighth so that both cheeks keep at
        // least 4 columns, even for a face turned far aside.
        let margin = (PATCH / 8 + 6) as isize;
        let nose_col = (((lm.nose().x - x0) / side * PATCH as f32) as isize)
            .clamp(margin, PATCH as isize - margin);
        Patch {
            luma,
            nose_col: nose_col as usize,
        }
    }

    fn at(&self, x: usize, y: usize) -> f32 {
        self.luma[y * PATCH + x]
    }

    /// Variance of the 4-neighbour Laplacian over the variance of the patch:
    /// how much of the patch's contrast is fine detail. Dividing by the
    /// patch's own variance keeps a dim but sharp face from reading as blurred.
    pub fn sharpness(&self) -> f32 {
        let mut lap = Vec::with_capacity((PATCH - 2) * (PATCH - 2));
        for y in 1..PATCH - 1 {
            for x in 1..PATCH - 1 {
                lap.push(
                    self.at(x - 1, y) + self.at(x + 1, y) + self.at(x, y - 1) + self.at(x, y + 1)
                        - 4.0 * self.at(x, y),
                );
            }
        }
        variance(&lap) / (variance(&self.luma) + 1.0)
    }

    /// Mean luma, fraction of pixels at the ends of the range, and the
    /// balance between the two cheeks.
    pub fn exposure(&self) -> Exposure {
        let n = self.luma.len() as f32;
        let mean = self.luma.iter().sum::<f32>() / n;
        let dark = self.luma.iter().filter(|&&v| v <= CLIP_DARK).count() as f32 / n;
        let bright = self.luma.iter().filter(|&&v| v >= CLIP_BRIGHT).count() as f32 / n;
        // The cheeks: the middle band of rows, each side of the nose, leaving
        // out the patch's outer eighth (hair, background).
        let rows = PATCH * 3 / 8..PATCH * 7 / 8;
        let side_mean = |cols: std::ops::Range<usize>| {
            let mut s = 0.0;
            let mut c = 0usize;
            for y in rows.clone() {
                for x in cols.clone() {
                    s += self.at(x, y);
                    c += 1;
                }
            }
            s / c.max(1) as f32
        };
        let left = side_mean(PATCH / 8..self.nose_col - 2);
        let right = side_mean(self.nose_col + 2..PATCH - PATCH / 8);
        let evenness = if left.max(right) <= 0.0 {
            1.0
        } else {
            left.min(right) / left.max(right)
        };
        Exposure {
            mean,
            clipped_dark: dark,
            clipped_bright: bright,
            evenness,
        }
    }
}

/// Luma at or below this counts as crushed to black.
const CLIP_DARK: f32 = 8.0;
/// Luma at or above this counts as burnt out to white.
const CLIP_BRIGHT: f32 = 247.0;

/// Exposure of the face region, luma 0-255.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Exposure {
    pub mean: f32,
    /// Fractions (0-1) of the face region crushed to black / burnt to white.
    pub clipped_dark: f32,
    pub clipped_bright: f32,
    /// Darker cheek over brighter cheek: 1 is even, 0.5 one side half as bright.
    pub evenness: f32,
}

fn mid(a: Point, b: Point) -> Point {
    Point::new((a.x + b.x) / 2.0, (a.y + b.y) / 2.0)
}

fn variance(v: &[f32]) -> f32 {
    let n = v.len() as f32;
    let m = v.iter().sum::<f32>() / n;
    v.iter().map(|x| (x - m) * (x - m)).sum::<f32>() / n
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Eyes 40 px apart around (100, 100) in a 200x200 image.
    fn landmarks() -> Landmarks5 {
        Landmarks5([
            Point::new(80.0, 90.0),
            Point::new(120.0, 90.0),
            Point::new(100.0, 110.0),
            Point::new(84.0, 130.0),
            Point::new(116.0, 130.0),
        ])
    }

    #[test]
    fn fine_texture_is_sharper_than_smooth_shading() {
        let fine = RgbImage::from_fn(200, 200, |x, y| {
            let v = if (x / 2 + y / 2) % 2 == 0 { 90 } else { 160 };
            image::Rgb([v, v, v])
        });
        let smooth = image::imageops::blur(&fine, 3.0);
        let (a, b) = (
            Patch::from_face(&fine, &landmarks()).sharpness(),
            Patch::from_face(&smooth, &landmarks()).sharpness(),
        );
        assert!(a > 10.0 * b, "fine {a} vs smooth {b}");
    }

    #[test]
    fn exposure_sees_level_clipping_and_sides() {
        let even = RgbImage::from_pixel(200, 200, image::Rgb([120, 120, 120]));
        let e = Patch::from_face(&even, &landmarks()).exposure();
        assert!((e.mean - 120.0).abs() < 0.5);
        assert_eq!((e.clipped_dark, e.clipped_bright), (0.0, 0.0));
        assert!(e.evenness > 0.99);

        let side = RgbImage::from_fn(200, 200, |x, _| {
            let v = if x < 100 { 60 } else { 255 };
            image::Rgb([v, v, v])
        });
        let e = Patch::from_face(&side, &landmarks()).exposure();
        assert!(e.evenness < 0.3, "{e:?}");
        assert!(e.clipped_bright > 0.4 && e.clipped_bright < 0.6, "{e:?}");
    }

    #[test]
    fn a_face_at_the_border_is_measured_without_panicking() {
        let img = RgbImage::from_pixel(50, 50, image::Rgb([100, 100, 100]));
        let lm = Landmarks5(landmarks().0.map(|p| Point::new(p.x - 90.0, p.y - 90.0)));
        let e = Patch::from_face(&img, &lm).exposure();
        assert!((e.mean - 100.0).abs() < 0.5);
    }
}
