//! dlib's `pyramid_down<2>` for RGB images and its bilinear sampler, bit for
//! bit: the descriptor network was trained on chips made this way, so small
//! differences in filtering or rounding show up as template noise.

use super::rect::DRect;

/// A borrowed RGB view: `height` rows of `width` pixels, `stride` bytes apart.
#[derive(Clone, Copy)]
pub(crate) struct Plane<'a> {
    pub data: &'a [u8],
    pub stride: usize,
    pub width: usize,
    pub height: usize,
}

impl<'a> Plane<'a> {
    /// The whole of an owned buffer.
    pub fn of(buf: &'a RgbBuf) -> Self {
        Plane {
            data: &buf.data,
            stride: buf.width * 3,
            width: buf.width,
            height: buf.height,
        }
    }
}

/// An owned, tightly packed RGB image (a pyramid level).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RgbBuf {
    pub width: usize,
    pub height: usize,
    pub data: Vec<u8>,
}

/// Where a point lands one level down (`pyramid_down<2>::point_down`).
/// dlib uses these offsets (1.25 across, 0.75 down) for its 5-tap filter,
/// and chip placement inherits them.
pub(crate) fn point_down(p: [f64; 2]) -> [f64; 2] {
    [p[0] / 2.0 - 1.25, p[1] / 2.0 - 0.75]
}

pub(crate) fn rect_down(r: &DRect) -> DRect {
    DRect::from_points(point_down(r.tl()), point_down(r.br()))
}

/// One level of dlib's `pyramid_down<2>` on RGB: a separable [1 4 6 4 1]
/// filter, keeping every second row and column, in integers, with the final
/// division by 256 truncating. Output is `(h-3)/2` x `(w-3)/2`, empty for
/// inputs of 8 pixels or fewer on a side (dlib's rule). Output pixel (c, r)
/// is centred on input (2c+2, 2r+2).
///
/// dlib filters rows first; the sums are exact integers either way, so this
/// filters columns first, which touches only the rows that are kept and runs
/// over contiguous bytes.
#[inline(always)]
pub(crate) fn pyramid_down2(src: Plane) -> RgbBuf {
    if src.width <= 8 || src.height <= 8 {
        return RgbBuf::default();
    }
    let tw = (src.width - 3) / 2;
    let oh = (src.height - 3) / 2;
    let in3 = src.width * 3;
    let w3 = tw * 3;
    let mut col = vec![0u16; in3];
    let mut data = vec![0u8; oh * w3];
    for (dr, out) in data.chunks_exact_mut(w3).enumerate() {
        // Vertical taps on input rows 2dr..2dr+4 (at most 16 * 255: fits u16).
        let row = |k: usize| {
            let y = 2 * dr + k;
            &src.data[y * src.stride..y * src.stride + in3]
        };
        let (r0, r1, r2, r3, r4) = (row(0), row(1), row(2), row(3), row(4));
        for (i, c) in col.iter_mut().enumerate() {
            *c = r0[i] as u16
                + 4 * r1[i] as u16
                + 6 * r2[i] as u16
                + 4 * r3[i] as u16
                + r4[i] as u16;
        }
        // Horizontal taps on columns 2c..2c+4 (at most 256 * 255: fits u32 easily).
        for (c, o) in out.chunks_exact_mut(3).enumerate() {
            let p = &col[c * 6..c * 6 + 15];
            for ch in 0..3 {
                let v = |k: usize| p[k * 3 + ch] as u32;
                o[ch] = ((v(0) + 4 * v(1) + 6 * v(2) + 4 * v(3) + v(4)) / 256) as u8;
            }
        }
    }
    RgbBuf {
        width: tw,
        height: oh,
        data,
    }
}

/// `floor` without a library call (the baseline x86-64 target has no
/// rounding instruction): exact for |x| < 2^53, saturating beyond, and 0 for
/// NaN, so callers check NaN themselves.
#[inline(always)]
pub(crate) fn floor(x: f64) -> f64 {
    let t = x as i64 as f64;
    if t > x { t - 1.0 } else { t }
}

/// dlib's `interpolate_bilinear` on RGB: `None` (dlib paints black) unless
/// all four neighbours lie inside the view, so the last row and column are
/// never sampled even at integer positions; each channel is truncated to u8.
/// The arithmetic order is dlib's, so results match it bit for bit.
#[inline(always)]
pub(crate) fn bilinear(src: &Plane, x: f64, y: f64) -> Option<[u8; 3]> {
    let left = floor(x);
    let top = floor(y);
    // Compare as floats first so huge or NaN coordinates never reach an index.
    if !(x >= 0.0 && y >= 0.0 && left + 1.0 < src.width as f64 && top + 1.0 < src.height as f64) {
        return None;
    }
    let i = top as usize * src.stride + left as usize * 3;
    let t = &src.data[i..i + 6];
    let b = &src.data[i + src.stride..i + src.stride + 6];
    let lr = x - left;
    let tb = y - top;
    let mut out = [0u8; 3];
    for ch in 0..3 {
        let v = (1.0 - tb) * ((1.0 - lr) * t[ch] as f64 + lr * t[ch + 3] as f64)
            + tb * ((1.0 - lr) * b[ch] as f64 + lr * b[ch + 3] as f64);
        // Within 0..=255 by construction; `as` truncates like dlib's cast
        // (through i32, which compiles to a single conversion).
        out[ch] = v as i32 as u8;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buf(width: usize, height: usize, f: impl Fn(usize, usize) -> [u8; 3]) -> RgbBuf {
        let mut data = Vec::with_capacity(width * height * 3);
        for y in 0..height {
            for x in 0..width {
                data.extend_from_slice(&f(x, y));
            }
        }
        RgbBuf {
            width,
            height,
            data,
        }
    }

    #[test]
    fn pyramid_sizes_follow_dlib_and_small_inputs_vanish() {
        let b = buf(20, 13, |_, _| [9, 9, 9]);
        let d = pyramid_down2(Plane::of(&b));
        assert_eq!((d.width, d.height), (8, 5));
        assert!(d.data.iter().all(|&v| v == 9), "a flat image stays flat");
        let small = buf(8, 40, |_, _| [1, 2, 3]);
        assert_eq!(pyramid_down2(Plane::of(&small)), RgbBuf::default());
        let small = buf(40, 8, |_, _| [1, 2, 3]);
        assert_eq!(pyramid_down2(Plane::of(&small)), RgbBuf::default());
    }

    #[test]
    fn pyramid_filter_weights_and_truncation() {
        // One bright pixel at (x=4, y=4) in an otherwise black 11x11 image.
        let b = buf(11, 11, |x, y| {
            if (x, y) == (4, 4) {
                [255, 100, 1]
            } else {
                [0, 0, 0]
            }
        });
        let d = pyramid_down2(Plane::of(&b));
        assert_eq!((d.width, d.height), (4, 4));
        // Output (c, r) is centred on input (2c+2, 2r+2); weights are outer
        // products of [1 4 6 4 1] / 256.
        let at = |c: usize, r: usize| &d.data[(r * 4 + c) * 3..(r * 4 + c) * 3 + 3];
        // Centre tap 6*6 = 36: 255*36/256 = 35.86 -> 35; 100*36/256 -> 14; 1*36/256 -> 0.
        assert_eq!(at(1, 1), &[35, 14, 0]);
        // Two rows above the centre: weight 6*1.
        assert_eq!(at(1, 0), &[5, 2, 0], "255*6/256 = 5.98, 100*6/256 = 2.3");
        assert_eq!(at(0, 0), &[0, 0, 0], "255*1/256 truncates to 0");
        assert_eq!(at(3, 3), &[0, 0, 0]);
        // The horizontal pass sums up to 16*255 and the vertical to 256*255:
        // still exact with no overflow.
        let white = buf(11, 11, |_, _| [255, 255, 255]);
        assert!(
            pyramid_down2(Plane::of(&white))
                .data
                .iter()
                .all(|&v| v == 255)
        );
    }

    #[test]
    fn point_down_uses_dlib_offsets() {
        assert_eq!(point_down([10.0, 10.0]), [3.75, 4.25]);
        let r = rect_down(&DRect::new(0.0, 0.0, 99.0, 99.0));
        assert_eq!(r, DRect::new(-1.25, -0.75, 48.25, 48.75));
    }

    #[test]
    fn bilinear_edges_and_rounding() {
        let b = buf(3, 2, |x, y| {
            [(x * 100 + y * 10) as u8, 255 * (x % 2) as u8, 7]
        });
        let p = Plane::of(&b);
        // Integer positions return the pixel itself.
        assert_eq!(bilinear(&p, 1.0, 0.0), Some([100, 255, 7]));
        // Halfway between 0 and 255 is 127.5, truncated to 127.
        assert_eq!(bilinear(&p, 0.5, 0.0), Some([50, 127, 7]));
        assert_eq!(bilinear(&p, 0.25, 0.5), Some([30, 63, 7]));
        // The last column and row are outside, even at integer positions.
        assert_eq!(bilinear(&p, 2.0, 0.0), None);
        assert_eq!(bilinear(&p, 0.0, 1.0), None);
        assert!(bilinear(&p, 1.999, 0.999).is_some());
        assert_eq!(bilinear(&p, -0.001, 0.0), None);
        assert_eq!(bilinear(&p, f64::NAN, 0.0), None);
        assert_eq!(bilinear(&p, 1e300, 0.0), None);
    }
}
