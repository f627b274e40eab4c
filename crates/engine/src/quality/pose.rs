//! Head pose from the five landmarks: fit a mean 3D face to the points with
//! a scaled orthographic camera (least squares, a 3x3 solve) and read the
//! angles off the rotation. Approximate by nature, since five points and one
//! mean face cannot see a person's own proportions, but cheap and steady
//! enough to tell a frontal face from a turned one.

use serde::{Deserialize, Serialize};

use crate::geometry::Landmarks5;

/// Angles in degrees. Yaw is positive when the nose points towards the
/// image's right, pitch when the face looks up, roll when the eye line turns
/// clockwise on screen (the image-right eye lower).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Pose {
    pub yaw: f32,
    pub pitch: f32,
    pub roll: f32,
}

/// The mean face in units of the distance between the eyes, origin between
/// the eyes, x to the image's right, y down, z away from the camera. The x and
/// y of nose and mouth are the mean of YuNet's landmarks over 1,150 LFW faces
/// (`detect_measure`; LFW is mostly frontal and its yaw and roll average out,
/// so the mean is close to a frontal face); the depths are
/// rounded anthropometric figures (the nose tip about 35 mm in front of the
/// pupils, the mouth corners about 6 mm, for 63 mm between the pupils).
const MEAN_FACE: [[f32; 3]; 5] = [
    [-0.5, 0.0, 0.0],
    [0.5, 0.0, 0.0],
    [0.0, 0.585, -0.55],
    [-0.435, 1.052, -0.10],
    [0.435, 1.052, -0.10],
];

type V3 = [f32; 3];

fn dot(a: V3, b: V3) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}
fn scaled(a: V3, s: f32) -> V3 {
    [a[0] * s, a[1] * s, a[2] * s]
}
fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
fn unit(a: V3) -> V3 {
    let n = dot(a, a).sqrt();
    if n > 0.0 { scaled(a, 1.0 / n) } else { a }
}

/// Inverse of a symmetric 3x3 matrix given by rows (None if singular).
fn inverse(m: [V3; 3]) -> Option<[V3; 3]> {
    let c0 = cross(m[1], m[2]);
    let det = dot(m[0], c0);
    if det.abs() < 1e-9 {
        return None;
    }
    let (c1, c2) = (cross(m[2], m[0]), cross(m[0], m[1]));
    // Columns of the adjugate are the cross products; m is symmetric, so
    // rows will do.
    Some([
        scaled(c0, 1.0 / det),
        scaled(c1, 1.0 / det),
        scaled(c2, 1.0 / det),
    ])
}

/// Estimates the head pose from the landmarks (any scale, any position).
pub fn estimate(lm: &Landmarks5) -> Pose {
    let pts = lm.0;
    let n = pts.len() as f32;
    let (mx, my) = (
        pts.iter().map(|p| p.x).sum::<f32>() / n,
        pts.iter().map(|p| p.y).sum::<f32>() / n,
    );
    let mut mean3 = [0f32; 3];
    for m in MEAN_FACE {
        mean3 = [
            mean3[0] + m[0] / n,
            mean3[1] + m[1] / n,
            mean3[2] + m[2] / n,
        ];
    }
    // Least squares for the 2x3 camera M in x_i = M X_i (both centred):
    // M = B A^-1 with A = sum X X^T and B = sum x X^T.
    let mut a = [[0f32; 3]; 3];
    let mut b = [[0f32; 3]; 2];
    for (p, m) in pts.iter().zip(MEAN_FACE) {
        let x = sub(m, mean3);
        let u = [p.x - mx, p.y - my];
        for i in 0..3 {
            for j in 0..3 {
                a[i][j] += x[i] * x[j];
            }
        }
        for i in 0..2 {
            for j in 0..3 {
                b[i][j] += u[i] * x[j];
            }
        }
    }
    let Some(ai) = inverse(a) else {
        return Pose::default();
    };
    let row =
        |r: [f32; 3]| -> V3 { std::array::from_fn(|j| dot(r, [ai[0][j], ai[1][j], ai[2][j]])) };
    let (r1, r2) = (unit(row(b[0])), unit(row(b[1])));
    // Make the two rows orthonormal, sharing the correction between them.
    let e = dot(r1, r2) / 2.0;
    let (r1, r2) = (unit(sub(r1, scaled(r2, e))), unit(sub(r2, scaled(r1, e))));
    let r3 = cross(r1, r2);
    // R = Rz(roll) Rx(pitch) Ry(yaw), so R's last row is
    // (-cos p sin y, sin p, cos p cos y) and R01 / R11 = -tan roll.
    let deg = 180.0 / std::f32::consts::PI;
    Pose {
        yaw: r3[0].atan2(r3[2]) * deg,
        pitch: -r3[1].clamp(-1.0, 1.0).asin() * deg,
        roll: (-r1[1]).atan2(r2[1]) * deg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Point;

    /// Projects the mean face after yaw, pitch, roll (degrees, in this
    /// module's sign convention), scale 50, at (300, 200).
    fn project(yaw: f32, pitch: f32, roll: f32) -> Landmarks5 {
        let r = std::f32::consts::PI / 180.0;
        let (y, p, z) = (-yaw * r, -pitch * r, roll * r);
        Landmarks5(MEAN_FACE.map(|m| {
            let (x1, z1) = (
                m[0] * y.cos() + m[2] * y.sin(),
                -m[0] * y.sin() + m[2] * y.cos(),
            );
            let (y2, _z2) = (m[1] * p.cos() - z1 * p.sin(), m[1] * p.sin() + z1 * p.cos());
            let (x3, y3) = (x1 * z.cos() - y2 * z.sin(), x1 * z.sin() + y2 * z.cos());
            Point::new(300.0 + 50.0 * x3, 200.0 + 50.0 * y3)
        }))
    }

    #[test]
    fn recovers_the_angles_of_the_mean_face() {
        for (yaw, pitch, roll) in [
            (0.0, 0.0, 0.0),
            (25.0, 0.0, 0.0),
            (-20.0, 10.0, 5.0),
            (10.0, -15.0, -20.0),
        ] {
            let p = estimate(&project(yaw, pitch, roll));
            assert!((p.yaw - yaw).abs() < 0.5, "{p:?} vs yaw {yaw}");
            assert!((p.pitch - pitch).abs() < 0.5, "{p:?} vs pitch {pitch}");
            assert!((p.roll - roll).abs() < 0.5, "{p:?} vs roll {roll}");
        }
    }

    #[test]
    fn nose_to_the_right_is_positive_yaw() {
        let mut lm = project(0.0, 0.0, 0.0);
        lm.0[2].x += 10.0;
        assert!(estimate(&lm).yaw > 5.0);
        let mut lm = project(0.0, 0.0, 0.0);
        lm.0[2].y -= 8.0;
        assert!(estimate(&lm).pitch > 5.0, "nose higher: looking up");
    }

    #[test]
    fn rotating_the_points_changes_roll_only() {
        let base = project(12.0, 5.0, 0.0);
        let a = 15f32.to_radians();
        let turned = Landmarks5(base.0.map(|p| {
            let (dx, dy) = (p.x - 300.0, p.y - 200.0);
            Point::new(
                300.0 + dx * a.cos() - dy * a.sin(),
                200.0 + dx * a.sin() + dy * a.cos(),
            )
        }));
        let (p0, p1) = (estimate(&base), estimate(&turned));
        assert!((p1.roll - p0.roll - 15.0).abs() < 0.5, "{p0:?} {p1:?}");
        assert!((p1.yaw - p0.yaw).abs() < 0.5 && (p1.pitch - p0.pitch).abs() < 0.5);
    }
}
