//! Face alignment: from a detected face to the 150x150 RGB chip the
//! descriptor network expects.
//!
//! The descriptor was trained on chips cut by dlib's `get_face_chip`, so every
//! step here (transform fit, chip placement, pyramid, interpolation, rounding)
//! reproduces dlib's arithmetic rather than approximating it. Two ways to
//! place the chip are offered:
//! - [`AlignMethod::YuNet5`] (default): fit the detector's five points to
//!   where those points sit, on average, in dlib's own chips. No extra model,
//!   nothing to run per face but the sampling.
//! - [`AlignMethod::Dlib5Cascade`]: run dlib's 5-point shape predictor on a box
//!   derived from the detection, then place the chip exactly as dlib would.
//!   Slower, but it is dlib's pipeline end to end.

mod chip;
mod pyramid;
mod rect;
mod similarity;

use std::sync::Arc;

use image::RgbImage;
use serde::{Deserialize, Serialize};

use crate::geometry::{BoundingBox, Landmarks5};
use crate::landmarks::ShapePredictor;

pub use chip::{ChipDetails, extract_chip};
pub(crate) use pyramid::floor;
pub use rect::{DRect, IRect};
pub use similarity::Similarity;

/// Side of the square chip the descriptor takes, in pixels.
pub const CHIP_SIZE: usize = 150;
/// Margin dlib's `get_face_chip` adds around the mean face, as a fraction of its size.
pub const CHIP_PADDING: f64 = 0.25;

/// Mean positions, in dlib's 150x150 chips (padding 0.25), of the five points
/// a face detector reports, in [`Landmarks5`] order: image-left eye centre,
/// image-right eye centre, nose tip, image-left and image-right mouth corner.
pub const YUNET5_CHIP_MEAN: [[f64; 2]; 5] = [
    [46.51, 45.43],
    [102.17, 45.92],
    [74.33, 78.44],
    [49.77, 103.34],
    [98.20, 103.81],
];

/// The predictor runs on a square this many times the detector box's width:
/// dlib's predictor was trained on its HOG detector's boxes, which are wider
/// than a landmark detector's tight boxes.
pub const DLIB5_BOX_SCALE: f64 = 1.12;

#[derive(Debug, thiserror::Error)]
pub enum AlignError {
    #[error("cannot fit a transform: {0}")]
    Degenerate(String),
    #[error("invalid alignment input: {0}")]
    Invalid(String),
}

/// How the chip is placed on the face.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum AlignMethod {
    #[default]
    #[serde(rename = "yunet5")]
    YuNet5,
    #[serde(rename = "dlib5-cascade")]
    Dlib5Cascade,
}

impl AlignMethod {
    pub fn name(self) -> &'static str {
        match self {
            Self::YuNet5 => "yunet5",
            Self::Dlib5Cascade => "dlib5-cascade",
        }
    }
}

impl std::fmt::Display for AlignMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for AlignMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "yunet5" => Ok(Self::YuNet5),
            "dlib5-cascade" => Ok(Self::Dlib5Cascade),
            other => Err(format!(
                "unknown alignment method {other:?}; use yunet5 or dlib5-cascade"
            )),
        }
    }
}

/// A face chip and where it came from.
#[derive(Debug, Clone)]
pub struct AlignedFace {
    /// `CHIP_SIZE` x `CHIP_SIZE` RGB.
    pub chip: RgbImage,
    /// Chip pixel (column, row) to image coordinates.
    pub chip_to_image: Similarity,
}

/// Where a descriptor wants the detector's five points to land in its
/// chip, in [`Landmarks5`] order, and the chip's side. Any model's template
/// works: the aligner fits the points with a similarity transform and
/// samples the chip exactly as dlib would.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlignTemplate {
    pub points: [[f64; 2]; 5],
    pub size: usize,
}

impl AlignTemplate {
    /// The built-in descriptor's: YuNet's points in dlib's 150x150 chips.
    pub const DLIB_YUNET5: AlignTemplate = AlignTemplate {
        points: YUNET5_CHIP_MEAN,
        size: CHIP_SIZE,
    };

    /// Refuses templates that cannot place a face: points outside the chip,
    /// eyes or mouth corners swapped, or points that give no transform.
    pub fn validate(&self) -> Result<(), String> {
        let s = self.size as f64;
        if !(2..=4096).contains(&self.size) {
            return Err(format!("chip size {} is outside 2..=4096", self.size));
        }
        if let Some(p) = self
            .points
            .iter()
            .find(|p| !p.iter().all(|v| v.is_finite() && (0.0..=s).contains(v)))
        {
            return Err(format!("point {p:?} lies outside the {s}x{s} chip"));
        }
        let [le, re, nose, lm, rm] = self.points;
        if le[0] >= re[0] || lm[0] >= rm[0] {
            return Err(
                "the image-left eye and mouth corner must lie left of the image-right ones".into(),
            );
        }
        if le[1].max(re[1]) >= nose[1] || nose[1] >= lm[1].min(rm[1]) {
            return Err("the eyes must lie above the nose tip, and it above the mouth".into());
        }
        Similarity::fit(&self.points, &self.points)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Chip placement for detected landmarks.
    pub fn chip_details(&self, landmarks: &Landmarks5) -> Result<ChipDetails, AlignError> {
        let img = landmarks.0.map(|p| [p.x as f64, p.y as f64]);
        ChipDetails::from_points(&self.points, &img, self.size)
    }
}

/// Cuts chips with one [`AlignMethod`]; cheap to clone and share across threads.
#[derive(Clone)]
pub struct Aligner {
    predictor: Option<Arc<ShapePredictor>>,
    template: AlignTemplate,
}

impl Aligner {
    /// Alignment from the detector's own five points.
    pub fn yunet5() -> Self {
        Self::template(AlignTemplate::DLIB_YUNET5)
    }

    /// Alignment of the detector's five points onto a model's template.
    pub fn template(template: AlignTemplate) -> Self {
        Self {
            predictor: None,
            template,
        }
    }

    /// Alignment through dlib's 5-point shape predictor.
    pub fn dlib5_cascade(predictor: Arc<ShapePredictor>) -> Self {
        Self {
            predictor: Some(predictor),
            template: AlignTemplate::DLIB_YUNET5,
        }
    }

    /// Side of the chips this aligner cuts.
    pub fn chip_size(&self) -> usize {
        self.template.size
    }

    pub fn method(&self) -> AlignMethod {
        match self.predictor {
            None => AlignMethod::YuNet5,
            Some(_) => AlignMethod::Dlib5Cascade,
        }
    }

    /// The chip for one detected face. YuNet5 uses only the landmarks and
    /// Dlib5Cascade only the box (its predictor finds its own landmarks).
    pub fn align(
        &self,
        img: &RgbImage,
        face_box: &BoundingBox,
        landmarks: &Landmarks5,
    ) -> Result<AlignedFace, AlignError> {
        let details = match &self.predictor {
            None => self.template.chip_details(landmarks)?,
            Some(sp) => {
                let rect = predictor_box(face_box)?;
                let shape = sp.predict(img, rect).rounded();
                let shape: [[i64; 2]; 5] = shape.try_into().map_err(|s: Vec<_>| {
                    AlignError::Invalid(format!(
                        "the shape predictor gives {} points, not 5",
                        s.len()
                    ))
                })?;
                ChipDetails::dlib_face5(&shape, CHIP_SIZE, CHIP_PADDING)?
            }
        };
        cut(img, &details)
    }
}

/// dlib's `get_face_chip(img, shape, 150, 0.25)` for a 5-point dlib shape
/// (integer points in dlib's order, as `full_object_detection` holds them).
pub fn dlib_face_chip(img: &RgbImage, shape: &[[i64; 2]; 5]) -> Result<AlignedFace, AlignError> {
    cut(
        img,
        &ChipDetails::dlib_face5(shape, CHIP_SIZE, CHIP_PADDING)?,
    )
}

/// Chip placement from a detector's five points: the similarity taking the
/// mean chip positions onto them, turned into a dlib chip rectangle.
pub fn yunet5_chip_details(landmarks: &Landmarks5) -> Result<ChipDetails, AlignError> {
    AlignTemplate::DLIB_YUNET5.chip_details(landmarks)
}

/// The box the shape predictor runs on: a square `DLIB5_BOX_SCALE` times the
/// detector box's width, on the same centre, in dlib's integer rectangle.
pub fn predictor_box(b: &BoundingBox) -> Result<IRect, AlignError> {
    let vals = [b.x, b.y, b.w, b.h];
    if vals.iter().any(|v| !v.is_finite() || v.abs() > 1e7) || b.w <= 0.0 || b.h <= 0.0 {
        return Err(AlignError::Invalid(format!(
            "face box {b:?} is empty or not finite"
        )));
    }
    let side = (b.w as f64 * DLIB5_BOX_SCALE).round().max(1.0);
    let cx = b.x as f64 + b.w as f64 / 2.0;
    let cy = b.y as f64 + b.h as f64 / 2.0;
    let left = (cx - side / 2.0).round() as i64;
    let top = (cy - side / 2.0).round() as i64;
    let side = side as i64;
    Ok(IRect::new(left, top, left + side - 1, top + side - 1))
}

fn cut(img: &RgbImage, details: &ChipDetails) -> Result<AlignedFace, AlignError> {
    Ok(AlignedFace {
        chip: extract_chip(img, details)?,
        chip_to_image: details.chip_to_image(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_names_round_trip() {
        for m in [AlignMethod::YuNet5, AlignMethod::Dlib5Cascade] {
            assert_eq!(m.to_string().parse::<AlignMethod>().unwrap(), m);
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(json, format!("\"{m}\""));
        }
        assert_eq!(AlignMethod::default(), AlignMethod::YuNet5);
        assert!(
            "dlib68"
                .parse::<AlignMethod>()
                .unwrap_err()
                .contains("yunet5")
        );
    }

    #[test]
    fn predictor_box_is_a_centred_square() {
        let b = BoundingBox {
            x: 100.0,
            y: 50.0,
            w: 100.0,
            h: 120.0,
        };
        // Side round(1.12 * 100) = 112 about the centre (150, 110).
        assert_eq!(predictor_box(&b).unwrap(), IRect::new(94, 54, 205, 165));
        for bad in [
            BoundingBox { w: 0.0, ..b },
            BoundingBox { h: -1.0, ..b },
            BoundingBox { x: f32::NAN, ..b },
            BoundingBox {
                w: f32::INFINITY,
                ..b
            },
        ] {
            assert!(predictor_box(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn templates_are_checked() {
        assert_eq!(AlignTemplate::DLIB_YUNET5.validate(), Ok(()));
        let mut t = AlignTemplate::DLIB_YUNET5;
        t.points.swap(0, 1);
        assert!(t.validate().unwrap_err().contains("left"));
        let mut t = AlignTemplate::DLIB_YUNET5;
        t.points[2] = [200.0, 80.0];
        assert!(t.validate().unwrap_err().contains("outside"));
        let mut t = AlignTemplate::DLIB_YUNET5;
        t.points[2][1] = 120.0;
        assert!(t.validate().unwrap_err().contains("above"));
    }

    #[test]
    fn a_template_of_another_size_cuts_chips_of_that_size() {
        let arc = AlignTemplate {
            points: [
                [38.29, 51.70],
                [73.53, 51.50],
                [56.03, 71.74],
                [41.55, 92.37],
                [70.73, 92.20],
            ],
            size: 112,
        };
        let pts = arc
            .points
            .map(|[x, y]| crate::geometry::Point::new(2.0 * x as f32 + 10.0, 2.0 * y as f32));
        let img = RgbImage::from_pixel(300, 300, image::Rgb([9, 9, 9]));
        let a = Aligner::template(arc)
            .align(&img, &BoundingBox::default(), &Landmarks5(pts))
            .unwrap();
        assert_eq!(a.chip.dimensions(), (112, 112));
        let back = a.chip_to_image.apply(arc.points[0]);
        // dlib spreads the chip over (size - 1) pixels: within a pixel or two.
        assert!(
            (back[0] - (2.0 * 38.29 + 10.0)).abs() < 2.0 && (back[1] - 2.0 * 51.70).abs() < 2.0,
            "{back:?}"
        );
    }

    #[test]
    fn yunet5_rejects_collapsed_landmarks() {
        let lm = Landmarks5([crate::geometry::Point::new(10.0, 10.0); 5]);
        assert!(matches!(
            yunet5_chip_details(&lm),
            Err(AlignError::Degenerate(_))
        ));
        let img = RgbImage::new(64, 64);
        let e = Aligner::yunet5().align(&img, &BoundingBox::default(), &lm);
        assert!(e.is_err());
    }
}
