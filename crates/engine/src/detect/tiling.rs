//! Which parts of a frame go to the model, at what size, and how the model's
//! coordinates map back to the frame.

use super::{RawFace, Tiling};
use crate::geometry::{BoundingBox, Landmarks5, Point};

/// One model run: a rectangle of the frame, resized to `out_w` x `out_h`
/// (before padding to a multiple of 32).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// Source rectangle in frame pixels.
    pub x0: u32,
    pub y0: u32,
    pub src_w: u32,
    pub src_h: u32,
    /// Size the rectangle is resampled to for the model.
    pub out_w: u32,
    pub out_h: u32,
    /// Overlap with neighbouring tiles in model pixels; 0 for a whole frame.
    pub overlap: u32,
    /// Which sides border another tile (left, top, right, bottom).
    pub inner: [bool; 4],
}

impl Window {
    fn sx(&self) -> f32 {
        self.src_w as f32 / self.out_w as f32
    }
    fn sy(&self) -> f32 {
        self.src_h as f32 / self.out_h as f32
    }

    /// Maps a point in model-input pixels to frame pixels.
    pub fn point_to_image(&self, p: Point) -> Point {
        Point::new(
            self.x0 as f32 + p.x * self.sx(),
            self.y0 as f32 + p.y * self.sy(),
        )
    }

    /// Maps a detection in model-input pixels to frame pixels.
    pub fn to_image(&self, f: RawFace) -> RawFace {
        let tl = self.point_to_image(Point::new(f.bbox.x, f.bbox.y));
        RawFace {
            bbox: BoundingBox {
                x: tl.x,
                y: tl.y,
                w: f.bbox.w * self.sx(),
                h: f.bbox.h * self.sy(),
            },
            landmarks: Landmarks5(f.landmarks.0.map(|p| self.point_to_image(p))),
            score: f.score,
        }
    }

    /// True for a box (model pixels) that touches a side shared with another
    /// tile and is small enough to lie whole in that tile's overlap: the
    /// neighbour sees the whole face, so this cut-off view is dropped.
    /// "Touches": YuNet may frame a face cut by its input's side short of
    /// that side, the further the larger the face (a 370-pixel face 2.2
    /// pixels short), so a box within 2 pixels and a twentieth of its size
    /// of a seam counts as cut.
    pub fn cuts(&self, b: &BoundingBox) -> bool {
        if self.overlap == 0 || b.w.max(b.h) >= self.overlap as f32 {
            return false;
        }
        let margin = 2.0 + 0.05 * b.w.max(b.h);
        let [l, t, r, btm] = self.inner;
        (l && b.x <= margin)
            || (t && b.y <= margin)
            || (r && b.right() >= self.out_w as f32 - margin)
            || (btm && b.bottom() >= self.out_h as f32 - margin)
    }
}

/// Tile start positions along one axis of `len` scaled pixels, spread evenly
/// so that neighbours overlap by at least `overlap`.
fn starts(len: u32, tile: u32, overlap: u32) -> Vec<u32> {
    if len <= tile {
        return vec![0];
    }
    let step = tile - overlap;
    let n = (len - overlap).div_ceil(step);
    let last = len - tile;
    (0..n)
        .map(|i| ((i as u64 * last as u64 + (n as u64 - 1) / 2) / (n as u64 - 1)) as u32)
        .collect()
}

/// The windows for a `w` x `h` frame at `scale`, one for the whole frame or
/// one per tile.
pub fn plan_windows(w: u32, h: u32, scale: f32, tiling: Option<Tiling>) -> Vec<Window> {
    let sw = ((w as f32 * scale).round() as u32).max(1);
    let sh = ((h as f32 * scale).round() as u32).max(1);
    let Some(t) = tiling.filter(|t| sw > t.tile || sh > t.tile) else {
        return vec![Window {
            x0: 0,
            y0: 0,
            src_w: w,
            src_h: h,
            out_w: sw,
            out_h: sh,
            overlap: 0,
            inner: [false; 4],
        }];
    };
    // Scaled coordinates back to frame pixels, clamped to the frame.
    let to_src = |v: u32, limit: u32| ((v as f32 / scale).round() as u32).min(limit);
    let mut out = Vec::new();
    for &ty in &starts(sh, t.tile, t.overlap) {
        for &tx in &starts(sw, t.tile, t.overlap) {
            let (x1, y1) = ((tx + t.tile).min(sw), (ty + t.tile).min(sh));
            let (sx0, sy0) = (to_src(tx, w), to_src(ty, h));
            let (sx1, sy1) = (to_src(x1, w), to_src(y1, h));
            out.push(Window {
                x0: sx0,
                y0: sy0,
                src_w: (sx1 - sx0).max(1),
                src_h: (sy1 - sy0).max(1),
                out_w: x1 - tx,
                out_h: y1 - ty,
                overlap: t.overlap,
                inner: [tx > 0, ty > 0, x1 < sw, y1 < sh],
            });
        }
    }
    out
}

/// The smallest span of frame pixels that the model sees, at `scale`, as
/// a whole number of its coarsest cells (32 px): a crop that starts and
/// ends on this grid is sampled exactly as the whole frame is, so the model
/// gives the same faces. 1 when `scale` has no such span of up to 8 cells.
fn grid(scale: f32) -> u32 {
    (1..=8)
        .map(|k| 32.0 * k as f32 / scale)
        .find(|g| (g - g.round()).abs() < 1e-3)
        .map_or(1, |g| g.round() as u32)
}

/// One window for each part of a `w` x `h` frame where faces can be, at
/// `scale`: `regions` (frame pixels) widened to the whole frame's sampling
/// grid ([`grid`]), clipped to the frame, and merged where they touch or
/// overlap, so that no pixel is looked at twice. A region's sides inside
/// the frame are seams: a face cut by one is dropped ([`Window::cuts`]),
/// because only a wider look sees it whole.
pub fn region_windows(w: u32, h: u32, scale: f32, regions: &[BoundingBox]) -> Vec<Window> {
    let g = grid(scale) as f32;
    let mut rects: Vec<[u32; 4]> = regions
        .iter()
        .filter_map(|r| {
            let down = |v: f32, limit: u32| (((v / g).floor() * g).max(0.0) as u32).min(limit);
            let up = |v: f32, limit: u32| (((v / g).ceil() * g).max(0.0) as u32).min(limit);
            let (x0, y0) = (down(r.x, w), down(r.y, h));
            let (x1, y1) = (up(r.right(), w), up(r.bottom(), h));
            (x1 > x0 && y1 > y0).then_some([x0, y0, x1, y1])
        })
        .collect();
    // Merge until no two rectangles touch.
    let mut merged = true;
    while merged {
        merged = false;
        'outer: for i in 0..rects.len() {
            for j in i + 1..rects.len() {
                let (a, b) = (rects[i], rects[j]);
                if a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3] {
                    rects[i] = [
                        a[0].min(b[0]),
                        a[1].min(b[1]),
                        a[2].max(b[2]),
                        a[3].max(b[3]),
                    ];
                    rects.swap_remove(j);
                    merged = true;
                    break 'outer;
                }
            }
        }
    }
    let (sw, sh) = (w as f32 * scale, h as f32 * scale);
    rects
        .into_iter()
        .map(|[x0, y0, x1, y1]| {
            let (src_w, src_h) = (x1 - x0, y1 - y0);
            // The whole frame's own ratio, so that samples fall where its do.
            let out = |src: u32, whole: u32, scaled: f32| {
                ((src as f32 * scaled.round() / whole as f32).round() as u32).max(1)
            };
            Window {
                x0,
                y0,
                src_w,
                src_h,
                out_w: out(src_w, w, sw),
                out_h: out(src_h, h, sh),
                // Every face touching a seam is cut, whatever its size.
                overlap: u32::MAX,
                inner: [x0 > 0, y0 > 0, x1 < w, y1 < h],
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_clipped_merged_and_seamed_inside_the_frame() {
        let b = |x, y, w, h| BoundingBox { x, y, w, h };
        let ws = region_windows(
            1920,
            1080,
            0.75,
            &[
                b(-50.0, 100.0, 200.0, 200.0),
                b(100.0, 250.0, 200.0, 200.0),
                b(1000.0, 900.0, 400.0, 400.0),
                b(3000.0, 0.0, 10.0, 10.0),
            ],
        );
        // At 0.75 the grid is 128 frame pixels (96 model pixels, 3 cells).
        assert_eq!(grid(0.75), 128);
        assert_eq!(grid(1.0), 32);
        assert_eq!(ws.len(), 2, "{ws:?}");
        let left = ws.iter().find(|w| w.x0 == 0).unwrap();
        assert_eq!((left.y0, left.src_w, left.src_h), (0, 384, 512));
        assert_eq!((left.out_w, left.out_h), (288, 384));
        assert_eq!(left.inner, [false, false, true, true]);
        let low = ws.iter().find(|w| w.x0 == 896).unwrap();
        assert_eq!(
            (low.y0, low.src_w, low.src_h),
            (896, 512, 184),
            "clipped at the bottom"
        );
        assert_eq!(low.out_h, 138);
        assert_eq!(low.inner, [true, true, true, false]);
        // The crop samples where the whole frame does: model pixel 96 of
        // the crop is model pixel 768 of the whole frame.
        let whole = &plan_windows(1920, 1080, 0.75, None)[0];
        let p = low.point_to_image(Point::new(96.0, 0.0));
        let q = whole.point_to_image(Point::new(768.0, 672.0));
        assert!(
            (p.x - q.x).abs() < 1e-3 && (p.y - q.y).abs() < 1e-3,
            "{p:?} {q:?}"
        );
        let edge = BoundingBox {
            x: 0.0,
            y: 50.0,
            w: 200.0,
            h: 200.0,
        };
        assert!(low.cuts(&edge), "a face of any size on a seam is cut");
        assert!(!left.cuts(&edge), "the frame's own edge is no seam");
        // A large face framed a little short of the top seam is cut too;
        // a small one as far from it lies whole in the crop.
        let at = |y: f32, side: f32| BoundingBox {
            x: 40.0,
            y,
            w: side,
            h: side * 1.2,
        };
        assert!(low.cuts(&at(2.5, 100.0)), "framed short of the seam");
        assert!(!low.cuts(&at(6.0, 20.0)), "a small face clear of the seam");
    }

    #[test]
    fn tiles_cover_the_frame_with_the_overlap() {
        let t = Tiling {
            tile: 640,
            overlap: 128,
        };
        let ws = plan_windows(1920, 1080, 1.0, Some(t));
        // 1920 needs 4 tiles of 640 overlapping by >= 128; 1080 needs 2.
        assert_eq!(ws.len(), 8);
        assert_eq!(ws[0].x0, 0);
        assert_eq!(ws[3].x0 + ws[3].src_w, 1920);
        assert_eq!(ws[7].y0 + ws[7].src_h, 1080);
        for pair in ws[..4].windows(2) {
            let overlap = pair[0].x0 + pair[0].src_w - pair[1].x0;
            assert!(overlap >= 128, "overlap {overlap}");
        }
        assert_eq!(ws[0].inner, [false, false, true, true]);
        assert_eq!(ws[5].inner, [true, true, true, false]);
    }

    #[test]
    fn scaled_tile_maps_back_to_frame_pixels() {
        let t = Tiling {
            tile: 320,
            overlap: 64,
        };
        let ws = plan_windows(1000, 500, 0.5, Some(t));
        for w in &ws {
            // The model-pixel corner (0,0) and the far corner land on the
            // tile's source rectangle.
            let a = w.point_to_image(Point::new(0.0, 0.0));
            let b = w.point_to_image(Point::new(w.out_w as f32, w.out_h as f32));
            assert_eq!((a.x, a.y), (w.x0 as f32, w.y0 as f32));
            assert!((b.x - (w.x0 + w.src_w) as f32).abs() < 1e-3);
            assert!((b.y - (w.y0 + w.src_h) as f32).abs() < 1e-3);
            assert!((w.src_w as f32 / w.out_w as f32 - 2.0).abs() < 0.02);
        }
    }

    #[test]
    fn whole_frame_window_scales_coordinates() {
        let ws = plan_windows(1920, 1080, 0.5, None);
        assert_eq!(ws.len(), 1);
        assert_eq!((ws[0].out_w, ws[0].out_h), (960, 540));
        let f = RawFace {
            bbox: BoundingBox {
                x: 10.0,
                y: 20.0,
                w: 30.0,
                h: 40.0,
            },
            landmarks: Landmarks5([Point::new(15.0, 25.0); 5]),
            score: 0.9,
        };
        let m = ws[0].to_image(f);
        assert_eq!(
            m.bbox,
            BoundingBox {
                x: 20.0,
                y: 40.0,
                w: 60.0,
                h: 80.0
            }
        );
        assert_eq!(m.landmarks.0[4], Point::new(30.0, 50.0));
    }

    #[test]
    fn cut_boxes_on_inner_edges_only() {
        let ws = plan_windows(
            1920,
            1080,
            1.0,
            Some(Tiling {
                tile: 640,
                overlap: 128,
            }),
        );
        let w = &ws[0]; // top-left tile: inner right and bottom sides
        let b = |x, y| BoundingBox {
            x,
            y,
            w: 50.0,
            h: 50.0,
        };
        assert!(w.cuts(&b(600.0, 100.0)));
        assert!(w.cuts(&b(100.0, 595.0)));
        assert!(!w.cuts(&b(0.0, 0.0)), "frame border is not a tile seam");
        assert!(!w.cuts(&b(300.0, 300.0)));
        let big = BoundingBox {
            x: 500.0,
            y: 100.0,
            w: 200.0,
            h: 200.0,
        };
        assert!(
            !w.cuts(&big),
            "larger than the overlap: no tile holds it whole"
        );
    }
}
