//! The head model: a photograph of a face wrapped on a vertical cylinder,
//! so that turning it (yaw) moves the nose relative to the eyes as a real
//! head turn does, while the outline stays an ellipse. It is an image
//! transform, not a 3-D face: the far cheek is squeezed rather than hidden
//! behind the nose, and nothing unseen in the photograph is revealed.
//!
//! Coordinates are "head units": one unit is the frontal distance between
//! the eyes, the origin is the point midway between the eyes, v points down.

use std::f32::consts::FRAC_PI_2;

/// Half-width of the head (the cylinder's radius) in head units: a head is
/// about 155 mm broad (British men, median) against about 63 mm between
/// the pupils.
pub const RADIUS: f32 = 1.2;
/// How far above the eyes the outline reaches: the crown, hair included.
/// British adults' median stature less their eye height is 110 mm for men
/// and 105 mm for women (Pheasant, *Bodyspace*), 1.7-1.75 times the
/// distance between the pupils. (Until truth format 2 the outline stopped
/// at 1.25, mid-forehead, and the walkway showed where the hair should be.)
pub const CROWN_V: f32 = -1.75;
/// How far below the eyes it reaches: past the chin, into the neck.
pub const NECK_V: f32 = 2.15;
/// The head's outline: an ellipse from the crown to the neck...
pub const OUTLINE_CENTRE_V: f32 = (CROWN_V + NECK_V) / 2.0;
/// ...this tall (half-height), and `RADIUS` wide.
pub const OUTLINE_HALF_HEIGHT: f32 = (NECK_V - CROWN_V) / 2.0;
/// How far from the eyes' midpoint any of the head can be drawn, whatever
/// its roll: the farthest point of the outline.
pub const REACH: f32 = 2.4;

/// Where and how a head is drawn in one frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pose {
    /// The head's origin in the frame (between the eyes when frontal).
    pub x: f32,
    pub y: f32,
    /// Frontal pixels between the eyes.
    pub iod: f32,
    /// Radians; positive turns the face towards image-right.
    pub yaw: f32,
    /// Radians, clockwise in the image.
    pub roll: f32,
}

impl Pose {
    /// Frame point of a head-unit point on the face surface (frontal `u`).
    pub fn to_frame(&self, u: f32, v: f32) -> (f32, f32) {
        let phi = (u / RADIUS).clamp(-1.0, 1.0).asin() + self.yaw;
        let u2 = RADIUS * phi.clamp(-FRAC_PI_2, FRAC_PI_2).sin();
        let (s, c) = self.roll.sin_cos();
        let (dx, dy) = (u2 * self.iod, v * self.iod);
        (self.x + c * dx - s * dy, self.y + s * dx + c * dy)
    }

    /// Head units of a frame point: the outline coordinates `(u', v)` and
    /// the frontal surface coordinate `u` it shows (the inverse of
    /// [`Pose::to_frame`]).
    pub fn from_frame(&self, x: f32, y: f32) -> (f32, f32, f32) {
        let (u2, v) = self.outline_point(self.roll.sin_cos(), x, y);
        (u2, v, self.surface_u(u2))
    }

    /// The outline coordinates of a frame point, given `roll.sin_cos()`
    /// (computed once per head when drawing).
    pub fn outline_point(&self, (s, c): (f32, f32), x: f32, y: f32) -> (f32, f32) {
        let (dx, dy) = (x - self.x, y - self.y);
        ((c * dx + s * dy) / self.iod, (-s * dx + c * dy) / self.iod)
    }

    /// The frontal surface coordinate shown at outline coordinate `u2`.
    pub fn surface_u(&self, u2: f32) -> f32 {
        let phi = (u2 / RADIUS).clamp(-1.0, 1.0).asin() - self.yaw;
        RADIUS * phi.clamp(-FRAC_PI_2, FRAC_PI_2).sin()
    }

    /// The eyes as they appear: image-left then image-right.
    pub fn eyes(&self) -> [(f32, f32); 2] {
        [self.to_frame(-0.5, 0.0), self.to_frame(0.5, 0.0)]
    }

    /// A face box of about the size and place YuNet gives: x, y, w, h.
    pub fn face_box(&self) -> [f32; 4] {
        let [l, r] = self.eyes();
        let apparent = ((r.0 - l.0).powi(2) + (r.1 - l.1).powi(2)).sqrt();
        let w = 1.05 * self.iod + 1.1 * apparent;
        let h = 2.5 * self.iod;
        let (s, c) = self.roll.sin_cos();
        let (mx, my) = ((l.0 + r.0) / 2.0, (l.1 + r.1) / 2.0);
        let (cx, cy) = (mx - s * 0.55 * self.iod, my + c * 0.55 * self.iod);
        [cx - w / 2.0, cy - h / 2.0, w, h]
    }

    /// 0 outside the head's outline, 1 inside, with a soft edge.
    pub fn outline_alpha(u2: f32, v: f32) -> f32 {
        let e =
            ((u2 / RADIUS).powi(2) + ((v - OUTLINE_CENTRE_V) / OUTLINE_HALF_HEIGHT).powi(2)).sqrt();
        ((1.0 - e) / 0.1).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turning_the_head_narrows_the_eyes_and_moves_the_nose_off_centre() {
        let frontal = Pose {
            x: 100.0,
            y: 50.0,
            iod: 40.0,
            yaw: 0.0,
            roll: 0.0,
        };
        let [l, r] = frontal.eyes();
        assert!((r.0 - l.0 - 40.0).abs() < 1e-3 && (l.1 - 50.0).abs() < 1e-3);
        let turned = Pose {
            yaw: 40f32.to_radians(),
            ..frontal
        };
        let [l2, r2] = turned.eyes();
        assert!(r2.0 - l2.0 < 36.0, "narrower: {}", r2.0 - l2.0);
        let nose = turned.to_frame(0.0, 0.6).0;
        let mid = (l2.0 + r2.0) / 2.0;
        assert!(
            nose > mid + 2.0,
            "nose {nose} beyond the eyes' midpoint {mid}"
        );
        // The inverse finds the same surface point.
        let rolled = Pose {
            roll: 0.2,
            ..turned
        };
        let (x, y) = rolled.to_frame(0.3, 0.7);
        let (_, v, u) = rolled.from_frame(x, y);
        assert!((u - 0.3).abs() < 1e-3 && (v - 0.7).abs() < 1e-3);
        assert_eq!(Pose::outline_alpha(0.0, 0.45), 1.0);
        assert_eq!(Pose::outline_alpha(2.0, 0.0), 0.0);
    }

    #[test]
    fn the_outline_holds_the_hair_above_the_forehead() {
        // The forehead and the hair above it are drawn from the photograph...
        assert_eq!(Pose::outline_alpha(0.0, -1.5), 1.0);
        assert!(Pose::outline_alpha(0.5, -1.2) > 0.9);
        // ...up to the crown, and not beyond.
        assert_eq!(Pose::outline_alpha(0.0, CROWN_V - 0.05), 0.0);
        assert_eq!(Pose::outline_alpha(0.0, NECK_V + 0.05), 0.0);
        // Nothing of it lies beyond the reach drawing searches.
        for k in 0..360 {
            let a = (k as f32).to_radians();
            let (u, v) = (
                RADIUS * a.cos(),
                OUTLINE_CENTRE_V + OUTLINE_HALF_HEIGHT * a.sin(),
            );
            assert!(u.hypot(v) < REACH, "{u}, {v}");
        }
    }
}
