//! The quality gate: which detected faces are good enough to compare.
//!
//! A face that fails the gate is still tracked (so the person stays one
//! track) but is never described or searched: a tiny, turned or blurred
//! face makes an unreliable template, and comparing it would only add
//! false alerts and cost time.

use lfr_engine::quality::{Quality, SHARPNESS_POOR};
use serde::{Deserialize, Serialize};

/// Limits a face must meet to be compared with the watchlist.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QualityGate {
    /// Pixels between the eyes in the frame. 20 is the APP's minimum for a
    /// reference image, and the size the video detector is set to find.
    pub min_inter_eye_px: f32,
    /// Head pose limits in degrees (absolute values). Wider than the
    /// reference-image limits (25/25/15): people in a crowd do not pose, and
    /// the descriptor still separates faces at 30 degrees of yaw.
    pub max_yaw: f32,
    pub max_pitch: f32,
    pub max_roll: f32,
    /// The engine's sharpness measure; the default is the level below which
    /// a reference image is refused as blurred.
    pub min_sharpness: f32,
    /// The detector's confidence.
    pub min_detector_score: f32,
}

impl Default for QualityGate {
    fn default() -> Self {
        Self {
            min_inter_eye_px: 20.0,
            max_yaw: 35.0,
            max_pitch: 30.0,
            max_roll: 30.0,
            min_sharpness: SHARPNESS_POOR,
            min_detector_score: 0.6,
        }
    }
}

impl QualityGate {
    /// Whether the face may be compared.
    pub fn passes(&self, q: &Quality) -> bool {
        q.inter_eye_px >= self.min_inter_eye_px
            && q.pose.yaw.abs() <= self.max_yaw
            && q.pose.pitch.abs() <= self.max_pitch
            && q.pose.roll.abs() <= self.max_roll
            && q.sharpness >= self.min_sharpness
            && q.score >= self.min_detector_score
    }
}

/// How good a face is for description, to rank the frames of a track:
/// resolution (up to 80 px between the eyes, beyond which the 150 px chip
/// gains nothing), frontality, sharpness and detector confidence, each 0-1,
/// multiplied.
pub fn merit(q: &Quality) -> f32 {
    let size = (q.inter_eye_px / 80.0).clamp(0.0, 1.0);
    let frontal = q.pose.yaw.to_radians().cos().max(0.0) * q.pose.pitch.to_radians().cos().max(0.0);
    let sharp = (q.sharpness / 0.1).clamp(0.0, 1.0);
    size * frontal * sharp * q.score.clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lfr_engine::quality::Pose;

    fn q(iod: f32, yaw: f32, sharp: f32) -> Quality {
        Quality {
            inter_eye_px: iod,
            score: 0.9,
            pose: Pose {
                yaw,
                pitch: 0.0,
                roll: 0.0,
            },
            sharpness: sharp,
            ..Default::default()
        }
    }

    #[test]
    fn gate_and_merit() {
        let g = QualityGate::default();
        assert!(g.passes(&q(30.0, 10.0, 0.1)));
        assert!(!g.passes(&q(15.0, 10.0, 0.1)), "too small");
        assert!(!g.passes(&q(30.0, -50.0, 0.1)), "turned away");
        assert!(!g.passes(&q(30.0, 0.0, 0.01)), "blurred");
        assert!(merit(&q(60.0, 0.0, 0.1)) > merit(&q(30.0, 0.0, 0.1)));
        assert!(merit(&q(40.0, 0.0, 0.1)) > merit(&q(40.0, 30.0, 0.1)));
        assert!(merit(&q(40.0, 0.0, 0.1)) > merit(&q(40.0, 0.0, 0.04)));
    }
}
