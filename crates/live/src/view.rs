//! What an operator may see of a camera: its latest analysed frame, made
//! small and coarse so that no passer-by can be recognised in it, with the
//! detected faces boxed and filled over, and only the faces that raised an
//! alert left sharp (boxed in red).
//!
//! The whole picture is coarsened, not only the detected faces, so that a
//! face the detector missed is never shown either. Views are made only
//! while someone is looking (at most [`VIEW_FPS`] a second, for
//! [`VIEW_WANTED`] after the last look), kept in memory as one JPEG per
//! camera, and never written anywhere.

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use image::{Rgb, RgbImage, imageops};
use lfr_engine::geometry::BoundingBox;

/// Width of a view, in pixels.
pub const VIEW_WIDTH: u32 = 960;
/// Side of the coarse blocks the whole view is made of, in view pixels:
/// a face 40 px wide in a 1080p frame is 2.5 blocks across.
pub const BLOCK: u32 = 8;
/// Views made a second at most, while wanted.
pub const VIEW_FPS: f64 = 2.0;
/// How long a look keeps a camera's view being made.
pub const VIEW_WANTED: Duration = Duration::from_secs(10);

/// One camera's latest view.
#[derive(Clone)]
pub struct View {
    pub jpeg: Arc<Vec<u8>>,
    /// When the frame it shows arrived.
    pub captured: Instant,
}

/// A camera's view slot: asked for by the console, filled by its analysis.
#[derive(Default)]
pub struct ViewSlot {
    state: Mutex<SlotState>,
}

impl std::fmt::Debug for ViewSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ViewSlot")
    }
}

#[derive(Default)]
struct SlotState {
    wanted_until: Option<Instant>,
    latest: Option<View>,
}

impl ViewSlot {
    /// The latest view, and a wish for more for [`VIEW_WANTED`].
    pub fn look(&self) -> Option<View> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.wanted_until = Some(Instant::now() + VIEW_WANTED);
        s.latest.clone()
    }

    /// Whether a view of a frame that arrived `at` should be made now.
    pub(crate) fn due(&self, at: Instant) -> bool {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match s.wanted_until {
            Some(until) if Instant::now() < until => {}
            Some(_) => {
                // Nobody looks any more: drop the last picture too.
                s.wanted_until = None;
                s.latest = None;
                return false;
            }
            None => return false,
        }
        s.latest.as_ref().is_none_or(|v| {
            at.saturating_duration_since(v.captured).as_secs_f64() >= 1.0 / VIEW_FPS
        })
    }

    pub(crate) fn put(&self, v: View) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).latest = Some(v);
    }

    /// Forgets the picture (the session stopped or recognition paused).
    pub fn clear(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).latest = None;
    }
}

/// One camera's view, by its deployment and name.
type CameraView = (lfr_domain::ids::DeploymentId, String, Arc<ViewSlot>);

/// The views of the cameras a process runs, by deployment and camera, for
/// the console: the supervisor registers a session's cameras while it runs.
#[derive(Clone, Default)]
pub struct Views {
    cameras: Arc<RwLock<Vec<CameraView>>>,
}

impl Views {
    pub(crate) fn set(
        &self,
        d: lfr_domain::ids::DeploymentId,
        cameras: Vec<(String, Arc<ViewSlot>)>,
    ) {
        let mut l = self.cameras.write().unwrap_or_else(|e| e.into_inner());
        l.retain(|(dd, _, _)| *dd != d);
        l.extend(cameras.into_iter().map(|(n, s)| (d, n, s)));
    }

    pub(crate) fn clear(&self, d: lfr_domain::ids::DeploymentId) {
        let mut l = self.cameras.write().unwrap_or_else(|e| e.into_inner());
        for (dd, _, s) in l.iter() {
            if *dd == d {
                s.clear();
            }
        }
        l.retain(|(dd, _, _)| *dd != d);
    }

    /// The latest view of a camera this process runs (asking for more), or
    /// `None`: not running here, or no frame analysed since the first look.
    pub fn look(&self, d: lfr_domain::ids::DeploymentId, camera: &str) -> Option<View> {
        let l = self.cameras.read().unwrap_or_else(|e| e.into_inner());
        let slot = l
            .iter()
            .find(|(dd, n, _)| *dd == d && n == camera)?
            .2
            .clone();
        drop(l);
        slot.look()
    }

    /// Whether this process runs the camera.
    pub fn runs(&self, d: lfr_domain::ids::DeploymentId, camera: &str) -> bool {
        let l = self.cameras.read().unwrap_or_else(|e| e.into_inner());
        l.iter().any(|(dd, n, _)| *dd == d && n == camera)
    }
}

/// Renders the view of `image`: `faces` are the detected faces, each with
/// whether its track raised an alert.
pub fn render(image: &RgbImage, faces: &[(BoundingBox, bool)]) -> Vec<u8> {
    let scale = (VIEW_WIDTH as f32 / image.width().max(1) as f32).min(1.0);
    let (w, h) = (
        ((image.width() as f32 * scale).round() as u32).max(1),
        ((image.height() as f32 * scale).round() as u32).max(1),
    );
    let sharp = imageops::resize(image, w, h, imageops::FilterType::Triangle);
    let mut view = coarse(&sharp, BLOCK);
    let scaled = |b: &BoundingBox| {
        let x0 = ((b.x * scale).floor().max(0.0) as u32).min(w - 1);
        let y0 = ((b.y * scale).floor().max(0.0) as u32).min(h - 1);
        let x1 = (((b.x + b.w) * scale).ceil() as u32).clamp(x0 + 1, w);
        let y1 = (((b.y + b.h) * scale).ceil() as u32).clamp(y0 + 1, h);
        (x0, y0, x1, y1)
    };
    // Faces not alerted on: one flat colour, then a grey box.
    for (b, _) in faces.iter().filter(|(_, alerted)| !alerted) {
        let (x0, y0, x1, y1) = scaled(b);
        let fill = mean(&view, x0, y0, x1, y1);
        for y in y0..y1 {
            for x in x0..x1 {
                view.put_pixel(x, y, fill);
            }
        }
        outline(&mut view, (x0, y0, x1, y1), Rgb([160, 160, 160]), 1);
    }
    // Faces that raised an alert: sharp, in red, for the operator to find.
    for (b, _) in faces.iter().filter(|(_, alerted)| *alerted) {
        let (x0, y0, x1, y1) = scaled(b);
        for y in y0..y1 {
            for x in x0..x1 {
                view.put_pixel(x, y, *sharp.get_pixel(x, y));
            }
        }
        outline(&mut view, (x0, y0, x1, y1), Rgb([230, 30, 30]), 2);
    }
    let mut jpeg = Vec::new();
    let _ = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 70).encode_image(&view);
    jpeg
}

/// The picture made of `block`-pixel squares, each its mean colour.
fn coarse(image: &RgbImage, block: u32) -> RgbImage {
    let (w, h) = image.dimensions();
    let mut out = RgbImage::new(w, h);
    for by in (0..h).step_by(block as usize) {
        for bx in (0..w).step_by(block as usize) {
            let (x1, y1) = ((bx + block).min(w), (by + block).min(h));
            let c = mean(image, bx, by, x1, y1);
            for y in by..y1 {
                for x in bx..x1 {
                    out.put_pixel(x, y, c);
                }
            }
        }
    }
    out
}

fn mean(image: &RgbImage, x0: u32, y0: u32, x1: u32, y1: u32) -> Rgb<u8> {
    let mut sum = [0u64; 3];
    let mut n = 0u64;
    for y in y0..y1 {
        for x in x0..x1 {
            let p = image.get_pixel(x, y);
            for c in 0..3 {
                sum[c] += p[c] as u64;
            }
            n += 1;
        }
    }
    let n = n.max(1);
    Rgb([(sum[0] / n) as u8, (sum[1] / n) as u8, (sum[2] / n) as u8])
}

fn outline(image: &mut RgbImage, (x0, y0, x1, y1): (u32, u32, u32, u32), c: Rgb<u8>, width: u32) {
    for t in 0..width {
        for x in x0..x1 {
            for y in [y0 + t, y1.saturating_sub(1 + t)] {
                if y < image.height() {
                    image.put_pixel(x, y, c);
                }
            }
        }
        for y in y0..y1 {
            for x in [x0 + t, x1.saturating_sub(1 + t)] {
                if x < image.width() {
                    image.put_pixel(x, y, c);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A picture with fine detail everywhere (a checkerboard of 1 px).
    fn detailed(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            if (x + y) % 2 == 0 {
                Rgb([250, 250, 250])
            } else {
                Rgb([5, 5, 5])
            }
        })
    }

    /// How much neighbouring pixels differ inside a region: detail left.
    fn detail(v: &RgbImage, x0: u32, y0: u32, x1: u32, y1: u32) -> f64 {
        let mut d = 0.0;
        let mut n = 0.0;
        for y in y0..y1 {
            for x in x0..x1.saturating_sub(1) {
                d += (v.get_pixel(x, y)[0] as f64 - v.get_pixel(x + 1, y)[0] as f64).abs();
                n += 1.0;
            }
        }
        d / n
    }

    #[test]
    fn only_the_alerted_face_keeps_its_detail() {
        let img = detailed(960, 540);
        let passer = BoundingBox {
            x: 100.0,
            y: 100.0,
            w: 80.0,
            h: 80.0,
        };
        let alerted = BoundingBox {
            x: 500.0,
            y: 100.0,
            w: 80.0,
            h: 80.0,
        };
        let jpeg = render(&img, &[(passer, false), (alerted, true)]);
        let view = image::load_from_memory(&jpeg).unwrap().to_rgb8();
        assert_eq!(view.dimensions(), (960, 540));
        // Inside the boxes (not on their outlines).
        let passer_detail = detail(&view, 110, 110, 170, 170);
        let alerted_detail = detail(&view, 510, 110, 570, 170);
        let background = detail(&view, 300, 300, 400, 400);
        assert!(
            passer_detail < 3.0,
            "a passer-by's face keeps detail: {passer_detail}"
        );
        assert!(
            background < 5.0,
            "the scene keeps fine detail: {background}"
        );
        assert!(
            alerted_detail > 100.0,
            "the alerted face lost its detail: {alerted_detail}"
        );
    }

    #[test]
    fn a_view_is_made_only_while_wanted_and_at_most_twice_a_second() {
        let slot = ViewSlot::default();
        let t0 = Instant::now();
        assert!(!slot.due(t0), "nobody has looked");
        assert!(slot.look().is_none());
        assert!(slot.due(t0));
        slot.put(View {
            jpeg: Arc::new(vec![1]),
            captured: t0,
        });
        assert!(!slot.due(t0 + Duration::from_millis(100)));
        assert!(slot.due(t0 + Duration::from_millis(600)));
        assert!(slot.look().is_some());
    }
}
