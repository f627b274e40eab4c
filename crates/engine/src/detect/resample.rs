//! Separable resampling with a triangle filter widened when shrinking (so a
//! downscaled frame is averaged, not aliased), straight into the model's input
//! layout.

use image::RgbImage;

use super::Window;
use crate::runtime::Tensor;

/// YuNet's strides end at 32, so inputs are padded to multiples of 32.
const DIVISOR: usize = 32;

/// Filter taps for one output position: first source index and weights.
pub(crate) struct Taps {
    pub start: usize,
    pub weights: Vec<f32>,
}

/// Taps that resample the source span `origin..origin + src` (in a row of
/// `limit` samples; positions outside repeat the edge) to `dst` samples.
pub(crate) fn taps(origin: f32, src: f32, dst: usize, limit: usize) -> Vec<Taps> {
    let scale = src / dst as f32;
    let support = scale.max(1.0);
    (0..dst)
        .map(|i| {
            let centre = origin + (i as f32 + 0.5) * scale;
            let lo = ((centre - support).floor().max(0.0) as usize).min(limit - 1);
            let hi = ((centre + support).ceil() as usize).clamp(lo + 1, limit);
            let mut weights: Vec<f32> = (lo..hi)
                .map(|j| (1.0 - ((j as f32 + 0.5 - centre) / support).abs()).max(0.0))
                .collect();
            let sum: f32 = weights.iter().sum();
            if sum > 0.0 {
                weights.iter_mut().for_each(|w| *w /= sum);
            } else {
                weights.iter_mut().for_each(|w| *w = 0.0);
                weights[0] = 1.0;
            }
            Taps { start: lo, weights }
        })
        .collect()
}

/// The window of `img` as a 1x3xHxW BGR tensor of raw 0-255 values, zero-padded
/// at the bottom and right to multiples of 32, as OpenCV's `FaceDetectorYN`
/// prepares it.
pub(crate) fn bgr_tensor(img: &RgbImage, w: &Window) -> Tensor {
    let (iw, ih) = (img.width() as usize, img.height() as usize);
    let (ow, oh) = (w.out_w as usize, w.out_h as usize);
    let pw = ow.div_ceil(DIVISOR) * DIVISOR;
    let ph = oh.div_ceil(DIVISOR) * DIVISOR;
    let mut data = vec![0f32; 3 * pw * ph];
    let raw = img.as_raw();
    let plane = pw * ph;

    if ow == w.src_w as usize && oh == w.src_h as usize {
        for y in 0..oh {
            let row = &raw[((w.y0 as usize + y) * iw + w.x0 as usize) * 3..][..ow * 3];
            for (x, px) in row.chunks_exact(3).enumerate() {
                let o = y * pw + x;
                data[o] = px[2] as f32;
                data[plane + o] = px[1] as f32;
                data[2 * plane + o] = px[0] as f32;
            }
        }
        return Tensor::new(vec![1, 3, ph, pw], data);
    }

    let xt = taps(w.x0 as f32, w.src_w as f32, ow, iw);
    let yt = taps(w.y0 as f32, w.src_h as f32, oh, ih);
    // Horizontal pass over the source rows the vertical taps need.
    let row_lo = yt.first().map_or(0, |t| t.start);
    let row_hi = yt
        .last()
        .map_or(0, |t| t.start + t.weights.len())
        .max(row_lo);
    let mut horiz = vec![0f32; (row_hi - row_lo) * ow * 3];
    for sy in row_lo..row_hi {
        let src = &raw[sy * iw * 3..(sy + 1) * iw * 3];
        let dst = &mut horiz[(sy - row_lo) * ow * 3..][..ow * 3];
        for (x, t) in xt.iter().enumerate() {
            let (mut r, mut g, mut b) = (0f32, 0f32, 0f32);
            for (k, &wt) in t.weights.iter().enumerate() {
                let p = &src[(t.start + k) * 3..];
                r += wt * p[0] as f32;
                g += wt * p[1] as f32;
                b += wt * p[2] as f32;
            }
            dst[x * 3] = r;
            dst[x * 3 + 1] = g;
            dst[x * 3 + 2] = b;
        }
    }
    for (y, t) in yt.iter().enumerate() {
        for x in 0..ow {
            let (mut r, mut g, mut b) = (0f32, 0f32, 0f32);
            for (k, &wt) in t.weights.iter().enumerate() {
                let p = &horiz[((t.start - row_lo + k) * ow + x) * 3..];
                r += wt * p[0];
                g += wt * p[1];
                b += wt * p[2];
            }
            let o = y * pw + x;
            data[o] = b;
            data[plane + o] = g;
            data[2 * plane + o] = r;
        }
    }
    Tensor::new(vec![1, 3, ph, pw], data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halving_averages_neighbours() {
        let t = taps(0.0, 8.0, 4, 8);
        assert_eq!(t.len(), 4);
        // Output 1 is centred between source 2 and 3.
        assert_eq!(t[1].start, 1);
        assert_eq!(t[1].weights, vec![0.125, 0.375, 0.375, 0.125]);
        // At the edge the weights are renormalised.
        assert!((t[0].weights.iter().sum::<f32>() - 1.0).abs() < 1e-6);
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
    }
}
