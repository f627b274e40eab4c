//! Separable resampling with a triangle filter widened when shrinking (so a
//! downscaled frame is averaged, not aliased), straight into the model's input
//! layout.

use image::RgbImage;

use super::Window;
use crate::runtime::Tensor;

/// YuNet's strides end at 32, so inputs are padded to multiples of 32.
const DIVISOR: usize = 32;

/// Filter taps for every output position along one axis: `n` weights per
/// output starting at `starts[i]`, stored flat. A fixed width keeps the inner
/// loops free of per-output allocations and bounds checks.
pub(crate) struct Taps {
    pub n: usize,
    pub starts: Vec<usize>,
    pub weights: Vec<f32>,
}

impl Taps {
    pub fn at(&self, i: usize) -> (usize, &[f32]) {
        (self.starts[i], &self.weights[i * self.n..(i + 1) * self.n])
    }
}

/// Taps that resample the source span `origin..origin + src` (in a row of
/// `limit` samples; positions outside repeat the edge) to `dst` samples.
/// Shrinking averages the source pixels each output pixel covers (area
/// weights, as OpenCV's `INTER_AREA`), so nothing aliases and the cost stays
/// at about two taps per output; enlarging interpolates linearly.
pub(crate) fn taps(origin: f32, src: f32, dst: usize, limit: usize) -> Taps {
    let scale = src / dst as f32;
    let n = (scale.ceil() as usize + 1).max(2).min(limit);
    let mut starts = Vec::with_capacity(dst);
    let mut weights = vec![0f32; dst * n];
    for i in 0..dst {
        let centre = origin + (i as f32 + 0.5) * scale;
        let reach = if scale > 1.0 { scale / 2.0 } else { 0.5 };
        let lo = (centre - reach).floor().max(0.0) as usize;
        let start = lo.min(limit - n);
        let w = &mut weights[i * n..(i + 1) * n];
        for (k, wk) in w.iter_mut().enumerate() {
            let j = (start + k) as f32;
            *wk = if scale > 1.0 {
                // Overlap of source pixel [j, j + 1) with the output's span.
                ((j + 1.0).min(centre + reach) - j.max(centre - reach)).max(0.0)
            } else {
                (1.0 - (j + 0.5 - centre).abs()).max(0.0)
            };
        }
        let sum: f32 = w.iter().sum();
        if sum > 0.0 {
            w.iter_mut().for_each(|x| *x /= sum);
        } else {
            // Entirely outside the source: repeat the nearest edge sample.
            let nearest = (centre.max(0.0) as usize).min(limit - 1) - start;
            w[nearest] = 1.0;
        }
        starts.push(start);
    }
    Taps { n, starts, weights }
}

/// Resamples an interleaved `CH`-channel u8 image (`stride` bytes per row):
/// rows by `yt`, then columns by `xt`, calling `put` with each output row's
/// `CH`-interleaved values. Vertical first: it shrinks the row count before
/// the costlier horizontal gather, and its inner loop runs along contiguous
/// rows, which the compiler vectorises. Only the columns `xt` reads are touched.
/// Inlined into its callers so that it is vectorised for the instructions
/// each was compiled for ([`crate::simd`]).
#[inline(always)]
pub(crate) fn resample_rows<const CH: usize>(
    raw: &[u8],
    stride: usize,
    xt: &Taps,
    yt: &Taps,
    mut put: impl FnMut(usize, &[f32]),
) {
    let ow = xt.starts.len();
    let c0 = xt.starts.iter().copied().min().unwrap_or(0);
    let c1 = xt.starts.iter().copied().max().unwrap_or(0) + xt.n;
    let mut acc = vec![0f32; (c1 - c0) * CH];
    let mut out = vec![0f32; ow * CH];
    for y in 0..yt.starts.len() {
        let (sy, wy) = yt.at(y);
        acc.iter_mut().for_each(|a| *a = 0.0);
        for (k, &w) in wy.iter().enumerate() {
            if w == 0.0 {
                continue;
            }
            let base = (sy + k) * stride;
            let row = &raw[base + c0 * CH..base + c1 * CH];
            for (a, &v) in acc.iter_mut().zip(row) {
                *a += w * v as f32;
            }
        }
        gather_row::<CH>(&acc, c0, xt, &mut out);
        put(y, &out);
    }
}

/// The horizontal step: `out` (`CH`-interleaved) from the vertically filtered
/// row `acc`, which starts at source column `c0`.
#[inline(always)]
fn gather_row<const CH: usize>(acc: &[f32], c0: usize, xt: &Taps, out: &mut [f32]) {
    match xt.n {
        2 => gather::<CH, 2>(acc, c0, xt, out),
        3 => gather::<CH, 3>(acc, c0, xt, out),
        4 => gather::<CH, 4>(acc, c0, xt, out),
        _ => gather_any::<CH>(acc, c0, xt, out),
    }
}

/// The horizontal step for a tap count known at compile time: the loops over
/// taps and channels unroll, leaving one bounds check per output pixel. Frames
/// shrunk by up to 2 (video detection shrinks by 0.75) take 3 taps or fewer,
/// and this step was most of the resampling's time when written generally.
#[inline(always)]
fn gather<const CH: usize, const N: usize>(acc: &[f32], c0: usize, xt: &Taps, out: &mut [f32]) {
    let outputs = out.chunks_exact_mut(CH).zip(&xt.starts);
    for ((o, &sx), w) in outputs.zip(xt.weights.chunks_exact(N)) {
        let src = &acc[(sx - c0) * CH..][..N * CH];
        let mut v = [0f32; CH];
        for k in 0..N {
            for c in 0..CH {
                v[c] += w[k] * src[k * CH + c];
            }
        }
        o.copy_from_slice(&v);
    }
}

/// The horizontal step for any tap count (large shrink factors).
#[inline(always)]
fn gather_any<const CH: usize>(acc: &[f32], c0: usize, xt: &Taps, out: &mut [f32]) {
    for (x, o) in out.chunks_exact_mut(CH).enumerate() {
        let (sx, wx) = xt.at(x);
        let src = &acc[(sx - c0) * CH..(sx - c0 + xt.n) * CH];
        let mut v = [0f32; CH];
        for (&w, px) in wx.iter().zip(src.chunks_exact(CH)) {
            for c in 0..CH {
                v[c] += w * px[c];
            }
        }
        o.copy_from_slice(&v);
    }
}

/// The window of `img` as a 1x3xHxW BGR tensor of raw 0-255 values, zero-padded
/// at the bottom and right to multiples of 32, as OpenCV's `FaceDetectorYN`
/// prepares it.
#[cfg(test)]
pub(crate) fn bgr_tensor(img: &RgbImage, w: &Window) -> Tensor {
    let mut t = Tensor::new(vec![0], Vec::new());
    bgr_tensor_into(img, w, &mut t);
    t
}

crate::simd::widest!(
    /// [`bgr_tensor`] written into `t`, whose buffer is reused when it has the
    /// right shape: video frames all have the same, and a fresh 14 MB buffer a
    /// frame costs page faults and zeroing.
    pub(crate) fn bgr_tensor_into(img: &RgbImage, w: &Window, t: &mut Tensor) -> () => bgr_tensor_into_with
);

#[inline(always)]
fn bgr_tensor_into_with(img: &RgbImage, w: &Window, t: &mut Tensor) {
    let (iw, ih) = (img.width() as usize, img.height() as usize);
    let (ow, oh) = (w.out_w as usize, w.out_h as usize);
    let pw = ow.div_ceil(DIVISOR) * DIVISOR;
    let ph = oh.div_ceil(DIVISOR) * DIVISOR;
    if t.shape != [1, 3, ph, pw] {
        *t = Tensor::new(vec![1, 3, ph, pw], vec![0f32; 3 * pw * ph]);
    } else {
        // Only the window is written below: clear the padding, which an
        // earlier, larger window may have filled.
        for plane in t.data.chunks_exact_mut(pw * ph) {
            for row in plane[..oh * pw].chunks_exact_mut(pw) {
                row[ow..].fill(0.0);
            }
            plane[oh * pw..].fill(0.0);
        }
    }
    let data = &mut t.data;
    let (bp, rest) = data.split_at_mut(pw * ph);
    let (gp, rp) = rest.split_at_mut(pw * ph);
    let mut store = |y: usize, row: &[f32]| {
        let span = y * pw..y * pw + ow;
        let (b, g, r) = (&mut bp[span.clone()], &mut gp[span.clone()], &mut rp[span]);
        for (((px, b), g), r) in row.chunks_exact(3).zip(b).zip(g).zip(r) {
            *r = px[0];
            *g = px[1];
            *b = px[2];
        }
    };
    let raw = img.as_raw();
    if ow == w.src_w as usize && oh == w.src_h as usize {
        let mut row = vec![0f32; ow * 3];
        for y in 0..oh {
            let src = &raw[((w.y0 as usize + y) * iw + w.x0 as usize) * 3..][..ow * 3];
            row.iter_mut().zip(src).for_each(|(d, &s)| *d = s as f32);
            store(y, &row);
        }
    } else {
        let xt = taps(w.x0 as f32, w.src_w as f32, ow, iw);
        let yt = taps(w.y0 as f32, w.src_h as f32, oh, ih);
        resample_rows::<3>(raw, iw * 3, &xt, &yt, store);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinking_averages_covered_pixels() {
        let t = taps(0.0, 8.0, 4, 8);
        assert_eq!(t.starts.len(), 4);
        // Output 1 covers source pixels 2 and 3.
        let (start, w) = t.at(1);
        assert_eq!(start, 2);
        assert_eq!(w, &[0.5, 0.5, 0.0]);
        // At the edges the weights are renormalised and stay in the row.
        for i in [0, 3] {
            let (start, w) = t.at(i);
            assert!(start + w.len() <= 8);
            assert!((w.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        }
        // A third: output 0 covers pixel 0 and half of pixel 1.
        let t = taps(0.0, 3.0, 2, 3);
        assert_eq!(t.at(0), (0, &[2.0 / 3.0, 1.0 / 3.0, 0.0][..]));
    }

    #[test]
    fn fixed_tap_gathers_agree_with_the_general_one() {
        let acc: Vec<f32> = (0..300).map(|i| (i * 37 % 101) as f32).collect();
        // Shrinking 100 columns to 31, 47 and 70 gives 5, 4 and 3 taps;
        // enlarging to 150 gives 2.
        for dst in [31, 47, 70, 150] {
            let xt = taps(0.0, 100.0, dst, 100);
            let mut fixed = vec![0f32; dst * 3];
            let mut general = vec![0f32; dst * 3];
            gather_row::<3>(&acc, 0, &xt, &mut fixed);
            gather_any::<3>(&acc, 0, &xt, &mut general);
            assert_eq!(fixed, general, "{dst} outputs, {} taps", xt.n);
        }
    }

    #[test]
    fn tensor_is_bgr_padded_nchw() {
        let img = RgbImage::from_fn(40, 10, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let w = Window {
            x0: 0,
            y0: 0,
            src_w: 40,
            src_h: 10,
            out_w: 40,
            out_h: 10,
            overlap: 0,
            inner: [false; 4],
        };
        let t = bgr_tensor(&img, &w);
        assert_eq!(t.shape, vec![1, 3, 32, 64]);
        let at = |c: usize, y: usize, x: usize| t.data[(c * 32 + y) * 64 + x];
        assert_eq!(at(0, 3, 5), 7.0); // blue
        assert_eq!(at(1, 3, 5), 3.0); // green = y
        assert_eq!(at(2, 3, 5), 5.0); // red = x
        assert_eq!(at(2, 3, 50), 0.0); // padding
        // Halved: each output is the mean of the source around it.
        let half = Window {
            out_w: 20,
            out_h: 5,
            ..w
        };
        let t = bgr_tensor(&img, &half);
        let red = t.data[2 * 32 * 32 + 2 * 32 + 10];
        assert!((red - 20.5).abs() < 0.01, "{red}");
        // Enlarged: linear interpolation between neighbours.
        let double = Window {
            out_w: 80,
            out_h: 20,
            ..w
        };
        let t = bgr_tensor(&img, &double);
        let red = t.data[2 * 32 * 96 + 4 * 96 + 11];
        assert!((red - 5.25).abs() < 0.01, "{red}");
        // A reused buffer of the same shape gives what a fresh one does, even
        // after a larger window filled what is now padding.
        let mut reused = bgr_tensor(&img, &w);
        let smaller = Window {
            out_w: 33,
            out_h: 9,
            ..w
        };
        bgr_tensor_into(&img, &smaller, &mut reused);
        assert_eq!(reused, bgr_tensor(&img, &smaller));
    }
}

#[cfg(test)]
mod widest {
    use super::*;

    /// The copy for this processor's widest instructions gives the same
    /// tensor as the baseline copy, shrinking and enlarging.
    #[test]
    fn every_instruction_set_resamples_alike() {
        let img = RgbImage::from_fn(640, 360, |x, y| {
            image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x + y) % 239) as u8])
        });
        for (out_w, out_h) in [(480, 270), (200, 90), (900, 500)] {
            let w = Window {
                x0: 7,
                y0: 3,
                src_w: 600,
                src_h: 350,
                out_w,
                out_h,
                overlap: 0,
                inner: [false; 4],
            };
            let mut base = Tensor::new(vec![0], Vec::new());
            bgr_tensor_into_with(&img, &w, &mut base);
            assert_eq!(bgr_tensor(&img, &w), base, "{out_w}x{out_h}");
        }
    }
}
