//! Drawing the frames: a fixed walkway scene, people composited far to near
//! (nearer people cover farther ones), then the scene's lighting and the
//! camera's noise. Single-threaded and in a fixed order, so a seed gives
//! the same pixels every time.

use image::{Rgb, RgbImage};

use crate::cast::Eyes;
use crate::head::Pose;
use crate::rng::Rng;
use crate::script::Moment;

/// Source blur levels (Gaussian sigma in photograph pixels) prepared per
/// sprite: sampling picks the level that matches the frame's
/// anti-aliasing plus defocus, instead of blurring every frame.
const LEVELS: [f32; 6] = [0.0, 1.2, 2.4, 4.0, 6.0, 9.0];

/// A photograph ready to be drawn as a head.
pub struct Sprite {
    levels: Vec<RgbImage>,
    /// Between the eyes, the distance between them, and their angle.
    origin: (f32, f32),
    iod: f32,
    /// Sine and cosine of the eyes' angle in the photograph.
    angle: (f32, f32),
    skin: [f32; 3],
}

impl Sprite {
    pub fn new(photo: &RgbImage, eyes: Eyes) -> Self {
        let (l, r) = eyes;
        let origin = ((l.x + r.x) / 2.0, (l.y + r.y) / 2.0);
        let iod = l.distance(r).max(4.0);
        let angle = (r.y - l.y).atan2(r.x - l.x);
        let levels = LEVELS
            .iter()
            .map(|&s| {
                if s == 0.0 {
                    photo.clone()
                } else {
                    image::imageops::blur(photo, s)
                }
            })
            .collect();
        let mut sprite = Self {
            levels,
            origin,
            iod,
            angle: angle.sin_cos(),
            skin: [0.0; 3],
        };
        // Skin colour: the cheeks, for the neck and hands.
        let (a, b) = (sprite.sample(0, -0.45, 0.8), sprite.sample(0, 0.45, 0.8));
        sprite.skin = [0, 1, 2].map(|c| (a[c] + b[c]) / 2.0);
        sprite
    }

    /// Bilinear sample at head units (u, v) of blur level `level`.
    fn sample(&self, level: usize, u: f32, v: f32) -> [f32; 3] {
        let (s, c) = self.angle;
        let (dx, dy) = (u * self.iod, v * self.iod);
        let x = self.origin.0 + c * dx - s * dy;
        let y = self.origin.1 + s * dx + c * dy;
        let img = &self.levels[level];
        let (w, h) = (img.width() as i64, img.height() as i64);
        let (x0, y0) = (x.floor(), y.floor());
        let (fx, fy) = (x - x0, y - y0);
        let px = |xi: i64, yi: i64| {
            let p = img.get_pixel(xi.clamp(0, w - 1) as u32, yi.clamp(0, h - 1) as u32);
            [p[0] as f32, p[1] as f32, p[2] as f32]
        };
        let (xi, yi) = (x0 as i64, y0 as i64);
        let (a, b, c2, d) = (
            px(xi, yi),
            px(xi + 1, yi),
            px(xi, yi + 1),
            px(xi + 1, yi + 1),
        );
        [0, 1, 2].map(|k| {
            let top = a[k] + (b[k] - a[k]) * fx;
            let bot = c2[k] + (d[k] - c2[k]) * fx;
            top + (bot - top) * fy
        })
    }

    fn level_for(&self, frame_iod: f32, focus_blur: f32) -> usize {
        let scale = frame_iod / self.iod;
        let aa = if scale < 1.0 { 0.5f32 } else { 0.0 };
        let sigma = (focus_blur * focus_blur + aa * aa).sqrt() / scale;
        LEVELS.iter().rposition(|&l| l <= sigma * 1.15).unwrap_or(0)
    }
}

/// How one person looks in one frame.
pub struct Look<'a> {
    pub sprite: &'a Sprite,
    pub moment: Moment,
    pub gain: f32,
    pub tint: [f32; 3],
    pub focus_blur: f32,
    pub clothes: [u8; 3],
    pub occluder: [u8; 3],
}

/// The fixed parts of the scene.
pub struct Scene {
    pub background: RgbImage,
    /// Rows darkened by an awning's shadow: from, to, depth.
    shadow: (f32, f32, f32),
    /// A post near the camera that covers whoever walks behind it: x, width.
    post: (u32, u32),
    /// Slow changes of the light (clouds, lamps): (start s, length s, change).
    light_events: Vec<(f64, f64, f64)>,
}

impl Scene {
    pub fn new(width: u32, height: u32, rng: &Rng, seconds: f64) -> Self {
        let mut r = rng.fork(20);
        let (w, h) = (width as f32, height as f32);
        let horizon = 0.18 * h;
        let vp = w / 2.0;
        let wall: [f32; 3] = [0; 3].map(|_| r.range(90.0, 170.0) as f32);
        let floor: [f32; 3] = [0; 3].map(|_| r.range(95.0, 140.0) as f32);
        let shops: Vec<(f32, f32, [f32; 3])> = (0..6)
            .map(|i| {
                let x0 = i as f32 / 6.0;
                (
                    x0,
                    x0 + 1.0 / 6.0,
                    [0; 3].map(|_| r.range(40.0, 220.0) as f32),
                )
            })
            .collect();
        let mut texture = r.fork(1);
        let mut bg = RgbImage::new(width, height);
        for (x, y, p) in bg.enumerate_pixels_mut() {
            let (xf, yf) = (x as f32, y as f32);
            let grain = (texture.below(17) as f32) - 8.0;
            let c = if yf < horizon {
                // Shop fronts along the far end, with windows.
                let s = shops
                    .iter()
                    .find(|s| xf / w >= s.0 && xf / w < s.1)
                    .map_or(wall, |s| s.2);
                let window = (yf / horizon > 0.35) && ((xf / w * 30.0).fract() < 0.6);
                if window { s.map(|c| c * 0.55) } else { s }
            } else {
                // The walkway: tiles converging on the vanishing point.
                let depth = (yf - horizon) / (h - horizon);
                let across = (xf - vp) / (depth.max(0.02) * w);
                let along = (1.0 / depth.max(0.02)).ln() * 4.0;
                let line = (across * 6.0).fract().abs() < 0.04 || along.fract() < 0.06;
                let side = (xf - vp).abs() > depth * w * 0.55;
                let base = if side { wall } else { floor };
                if line { base.map(|c| c * 0.8) } else { base }
            };
            *p = Rgb(c.map(|v| (v + grain).clamp(0.0, 255.0) as u8));
        }
        let post_x = (0.7 * w) as u32 + r.below((0.1 * w) as usize) as u32;
        let mut light_events = Vec::new();
        let mut t = r.exponential(25.0);
        while t < seconds {
            light_events.push((t, r.range(3.0, 10.0), r.range(-0.25, 0.2)));
            t += r.exponential(25.0);
        }
        Self {
            background: bg,
            shadow: (0.33 * h, 0.41 * h, 0.62),
            post: (post_x, ((0.022 * w) as u32).max(3)),
            light_events,
        }
    }

    /// The scene's brightness at time `t`.
    pub fn light(&self, t: f64) -> f32 {
        let mut l = 1.0 + 0.1 * (std::f64::consts::TAU * t / 47.0).sin();
        for &(start, len, change) in &self.light_events {
            // Ramp in and out over half a second.
            let ramp = ((t - start) / 0.5)
                .min((start + len - t) / 0.5)
                .clamp(0.0, 1.0);
            l += change * ramp;
        }
        l as f32
    }

    fn row_gain(&self, y: f32) -> f32 {
        let (a, b, depth) = self.shadow;
        let edge = 0.02 * (b - a).max(1.0) * 5.0;
        let inside = ((y - a) / edge).min((b - y) / edge).clamp(0.0, 1.0);
        1.0 - (1.0 - depth) * inside
    }

    /// Draws one person (body, then head).
    pub fn draw(&self, frame: &mut RgbImage, look: &Look) {
        draw_body(frame, look);
        draw_head(frame, look);
    }

    /// The post, the lighting and the sensor noise (unless left out), over
    /// the whole frame.
    pub fn finish(&self, frame: &mut RgbImage, t: f64, mut noise: Option<&mut Rng>) {
        let (w, h) = frame.dimensions();
        let (px, pw) = self.post;
        for y in (0.12 * h as f32) as u32..h {
            for x in px..(px + pw).min(w) {
                frame.put_pixel(x, y, Rgb([52, 55, 60]));
            }
        }
        let light = self.light(t);
        let gains: Vec<f32> = (0..h).map(|y| light * self.row_gain(y as f32)).collect();
        let mut bits = 0u64;
        let mut left = 0;
        for (i, p) in frame.as_mut().iter_mut().enumerate() {
            let n = match noise.as_deref_mut() {
                None => 0.0,
                Some(rng) => {
                    if left == 0 {
                        bits = rng.next_u64();
                        left = 4;
                    }
                    let (a, b) = ((bits & 0xff) as f32, ((bits >> 8) & 0xff) as f32);
                    bits >>= 16;
                    left -= 1;
                    (a + b - 255.0) / 40.0
                }
            };
            let g = gains[i / (3 * w as usize)];
            *p = (*p as f32 * g + n).round().clamp(0.0, 255.0) as u8;
        }
    }
}

fn blend(frame: &mut RgbImage, x: u32, y: u32, c: [f32; 3], alpha: f32) {
    let p = frame.get_pixel_mut(x, y);
    for (d, c) in p.0.iter_mut().zip(c) {
        *d = (*d as f32 * (1.0 - alpha) + c.clamp(0.0, 255.0) * alpha).round() as u8;
    }
}

/// Clamp a frame-space box to the frame: x0, y0, x1, y1 (exclusive).
fn clip(frame: &RgbImage, x0: f32, y0: f32, x1: f32, y1: f32) -> Option<(u32, u32, u32, u32)> {
    let (w, h) = (frame.width() as f32, frame.height() as f32);
    let (a, b) = (x0.floor().max(0.0), y0.floor().max(0.0));
    let (c, d) = (x1.ceil().min(w), y1.ceil().min(h));
    (c > a && d > b).then_some((a as u32, b as u32, c as u32, d as u32))
}

fn draw_body(frame: &mut RgbImage, look: &Look) {
    let p = look.moment.pose;
    let s = p.iod;
    let skin = look.sprite.skin.map(|c| c * look.gain);
    let clothes = look.clothes.map(|c| c as f32 * look.gain);
    let Some((x0, y0, x1, y1)) = clip(
        frame,
        p.x - 2.6 * s,
        p.y + 1.5 * s,
        p.x + 2.6 * s,
        p.y + 10.0 * s,
    ) else {
        return;
    };
    for y in y0..y1 {
        for x in x0..x1 {
            let (q, r) = ((x as f32 - p.x) / s, (y as f32 - p.y) / s);
            let shoulders = (q / 2.4).powi(2) + ((r - 4.0) / 1.3).powi(2) < 1.0;
            let torso = r >= 4.0 && q.abs() < 2.4 - 0.05 * (r - 4.0);
            if shoulders || torso {
                blend(frame, x, y, clothes, 1.0);
            } else if q.abs() < 0.45 && (1.6..3.2).contains(&r) {
                blend(frame, x, y, skin, 1.0);
            }
        }
    }
}

fn draw_head(frame: &mut RgbImage, look: &Look) {
    let m = look.moment;
    let p = m.pose;
    let sprite = look.sprite;
    let level = sprite.level_for(p.iod, look.focus_blur);
    let reach = crate::head::REACH * p.iod;
    let (mx, my) = m.motion;
    let Some((x0, y0, x1, y1)) = clip(
        frame,
        p.x - reach - mx.abs(),
        p.y - reach - my.abs(),
        p.x + reach + mx.abs(),
        p.y + reach + my.abs(),
    ) else {
        return;
    };
    // Motion blur: average the head over the positions it takes during the exposure.
    let steps = ((mx * mx + my * my).sqrt() / 1.5).ceil().clamp(1.0, 6.0) as usize;
    let offsets: Vec<(f32, f32)> = (0..steps)
        .map(|k| {
            let f = if steps == 1 {
                0.0
            } else {
                k as f32 / (steps - 1) as f32 - 0.5
            };
            (mx * f, my * f)
        })
        .collect();
    let gain: [f32; 3] = [0, 1, 2].map(|k| look.gain * look.tint[k]);
    let occluder = look.occluder.map(|c| c as f32 * look.gain);
    let roll = p.roll.sin_cos();
    for y in y0..y1 {
        for x in x0..x1 {
            let (mut acc, mut alpha) = ([0f32; 3], 0f32);
            for &(ox, oy) in &offsets {
                let (u2, v) = p.outline_point(roll, x as f32 - ox, y as f32 - oy);
                let a = Pose::outline_alpha(u2, v);
                if a == 0.0 {
                    continue;
                }
                let c = if m.occluded && v > 0.95 {
                    occluder
                } else {
                    let s = sprite.sample(level, p.surface_u(u2), v);
                    [0, 1, 2].map(|k| s[k] * gain[k])
                };
                for (acc, c) in acc.iter_mut().zip(c) {
                    *acc += c * a;
                }
                alpha += a;
            }
            if alpha > 0.0 {
                let c = acc.map(|v| v / alpha);
                blend(frame, x, y, c, alpha / steps as f32);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_left_out_leaves_only_the_light() {
        let scene = Scene::new(64, 48, &Rng::new(3), 1.0);
        let grey = RgbImage::from_pixel(64, 48, Rgb([100, 100, 100]));
        let (mut quiet, mut noisy) = (grey.clone(), grey);
        scene.finish(&mut quiet, 0.0, None);
        scene.finish(&mut noisy, 0.0, Some(&mut Rng::new(4)));
        // Without noise every pixel of a row is the same (the post aside).
        let row = |img: &RgbImage, y: u32| -> Vec<u8> {
            (0..scene.post.0).map(|x| img.get_pixel(x, y)[0]).collect()
        };
        for y in 0..48 {
            let r = row(&quiet, y);
            assert!(r.iter().all(|&v| v == r[0]), "row {y}: {r:?}");
        }
        assert!((0..48).any(|y| {
            let r = row(&noisy, y);
            r.iter().any(|&v| v != r[0])
        }));
    }
}
