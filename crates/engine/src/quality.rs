//! Face quality: cheap measures computed for every detected face, and the
//! grading of a watchlist reference image against the custody-photo ideal.

mod pixels;
mod pose;

pub use pixels::Exposure;
pub use pose::{Pose, estimate as estimate_pose};

use image::RgbImage;
use serde::{Deserialize, Serialize};

use crate::detect::Face;
use crate::geometry::Landmarks5;

/// Quality measures of one face.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Quality {
    /// Pixels between the eye centres in the frame.
    pub inter_eye_px: f32,
    /// The detector's confidence, 0-1.
    pub score: f32,
    pub pose: Pose,
    /// Fine detail relative to contrast on a face patch normalised to 32 px
    /// between the eyes (see [`SHARPNESS_GOOD`] for what the values mean).
    pub sharpness: f32,
    pub exposure: Exposure,
    /// Mouth width over eye distance; grows with a broad smile.
    pub mouth_ratio: f32,
}

/// Measures one face. Costs one 64x64 resample of the face region plus a
/// handful of arithmetic, whatever the face's size.
pub fn measure(img: &RgbImage, lm: &Landmarks5, score: f32) -> Quality {
    let iod = lm.inter_eye_distance();
    let patch = pixels::Patch::from_face(img, lm);
    Quality {
        inter_eye_px: iod,
        score,
        pose: pose::estimate(lm),
        sharpness: patch.sharpness(),
        exposure: patch.exposure(),
        mouth_ratio: lm.mouth_left().distance(lm.mouth_right()) / iod.max(1e-3),
    }
}

/// A reference image's grade against the custody-photo ideal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Grade {
    /// Meets the ideal.
    Good,
    /// Usable, with the deviations listed.
    Acceptable,
    /// Not fit to enrol: take or find another image.
    Poor,
}

/// What the grading found: the grade, the face it judged, and every reason
/// the image falls short, in plain English.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceGrade {
    pub grade: Grade,
    /// Index into the faces given, of the face judged (the largest).
    pub face: Option<usize>,
    pub reasons: Vec<String>,
}

// Thresholds. The distributions quoted come from `detect_measure`
// (`quality_distributions`): the first image of every fifth LFW person (1,150
// faces, 31-54 px between the eyes), copies of them blurred (Gaussian sigma 1,
// 2 and 4 px, i.e. about 2%, 5% and 10% of the eye distance) or darkened (-90
// levels), and the portraits in `stills/` and `dlib-reference/images`.

/// APP image guidance: at least 20 px between the eyes.
pub const MIN_IOD: f32 = 20.0;
/// APP image guidance: up to 100 px between the eyes. A larger face is not a
/// worse face: it is graded Acceptable and noted, because enrolment will scale
/// it down and the extra detail goes unused.
pub const MAX_IOD: f32 = 100.0;
/// Pose limits in degrees (|yaw|, |pitch|, |roll|) for Good. The estimate
/// is approximate (five points and a mean face): frontal portraits (the four
/// `stills/people` and obama.jpg) come out within 6 degrees of yaw, the
/// visibly turned obama2, obama3 and biden at 17-22. ISO/ICAO full-frontal
/// allows 5 degrees; 10 leaves room for the estimate's error. Pitch is the
/// least certain (it rests on where one person's nose sits), hence 12.
pub const POSE_GOOD: [f32; 3] = [10.0, 12.0, 8.0];
/// Beyond these the face is too turned to enrol. LFW's 95th percentiles are
/// 30 (yaw), 11 (pitch) and 7 (roll) degrees.
pub const POSE_ACCEPTABLE: [f32; 3] = [25.0, 25.0, 15.0];
/// Sharpness at or above this is in focus: LFW's 5th percentile is 0.054 and
/// its median 0.13, while sigma-1 blur brings the median down to 0.060.
pub const SHARPNESS_GOOD: f32 = 0.05;
/// Below this the face is too blurred to enrol: under 1% of LFW (1st
/// percentile 0.036), but 85% of the sigma-2 copies (median 0.018) and all of
/// the sigma-4 ones (at most 0.008).
pub const SHARPNESS_POOR: f32 = 0.03;
/// Mean face luma (0-255), Good range. LFW runs from 72 (1st percentile) to
/// 178 (99th).
pub const BRIGHTNESS_GOOD: (f32, f32) = (70.0, 200.0);
/// Outside this the face is unusable: the darkened copies have median 42.
pub const BRIGHTNESS_POOR: (f32, f32) = (40.0, 225.0);
/// Fraction of the face burnt to white, Good / Poor. LFW: 95th percentile
/// 0.003, 99th 0.03.
pub const CLIPPED_BRIGHT_GOOD: f32 = 0.02;
pub const CLIPPED_BRIGHT_POOR: f32 = 0.10;
/// Cheek balance (darker over brighter), Good / Poor. The custody ideal is
/// flat light; press photos are not: LFW's median is 0.87, its 25th
/// percentile 0.78, its 5th 0.57. The portraits in `stills/` score 0.78-1.
pub const EVENNESS_GOOD: f32 = 0.75;
pub const EVENNESS_POOR: f32 = 0.5;
/// Mouth width over eye distance above which the expression is not neutral.
/// Five points cannot see an open mouth or raised brows, only a wide one:
/// LFW's median is 0.87 and 99th percentile 0.94; the broad open smile of
/// obama.jpg gives 0.99.
pub const MOUTH_RATIO_SMILE: f32 = 0.95;
/// A second face with at least this fraction of the subject's eye distance
/// makes it unclear who the reference is of.
pub const RIVAL_FACE: f32 = 0.5;
/// Detections scoring below this are not counted as faces when grading. The
/// LFW subjects score 0.91 or more (1st percentile) and the faces of
/// multiface.jpg 0.93; the false detections on the portraits in `stills/`
/// (hair, lace) score 0.62-0.66.
pub const CLEAR_FACE_SCORE: f32 = 0.8;

/// Grades a candidate reference image, given the faces the detector found in
/// it (e.g. with `DetectorConfig::stills()`).
pub fn grade_reference(img: &RgbImage, faces: &[Face]) -> ReferenceGrade {
    let mut acceptable = Vec::new();
    if is_greyscale(img) {
        acceptable.push("the image is greyscale; a colour image is preferred".to_string());
    }
    let mut poor = Vec::new();
    // The subject: the largest clear face, else the best-scoring detection.
    let clear = |f: &Face| f.score >= CLEAR_FACE_SCORE;
    let subject = faces
        .iter()
        .enumerate()
        .filter(|(_, f)| clear(f))
        .max_by(|a, b| {
            a.1.quality
                .inter_eye_px
                .total_cmp(&b.1.quality.inter_eye_px)
        })
        .or_else(|| {
            faces
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.score.total_cmp(&b.1.score))
        });
    let Some((idx, face)) = subject else {
        return ReferenceGrade {
            grade: Grade::Poor,
            face: None,
            reasons: vec!["no face was found".into()],
        };
    };
    let q = &face.quality;

    if !clear(face) {
        acceptable.push(format!(
            "the face is hard to make out (detector score {:.2})",
            face.score
        ));
    }
    let others: Vec<&Face> = faces
        .iter()
        .enumerate()
        .filter(|&(i, f)| i != idx && clear(f))
        .map(|(_, f)| f)
        .collect();
    let rivals = others
        .iter()
        .filter(|f| f.quality.inter_eye_px >= RIVAL_FACE * q.inter_eye_px)
        .count();
    let others = others.len() - rivals;
    if rivals > 0 {
        poor.push(format!(
            "{} faces of similar size: crop the image to the subject",
            rivals + 1
        ));
    } else if others > 0 {
        acceptable.push(format!(
            "{others} smaller face(s) in the background; the largest face is taken as the subject"
        ));
    }

    let iod = q.inter_eye_px;
    if iod < MIN_IOD {
        poor.push(format!(
            "the face is too small: {iod:.0} px between the eyes, at least {MIN_IOD:.0} needed"
        ));
    } else if iod > MAX_IOD {
        acceptable.push(format!(
            "{iod:.0} px between the eyes, above the {MAX_IOD:.0} px guidance: it will be scaled down"
        ));
    }

    let p = q.pose;
    let checks = [
        ("turned", p.yaw, "left or right"),
        ("tilted", p.pitch, "up or down"),
        ("leaning", p.roll, "to one side"),
    ];
    for (i, (name, v, turn)) in checks.into_iter().enumerate() {
        let (good, acc) = (POSE_GOOD[i], POSE_ACCEPTABLE[i]);
        let msg = format!(
            "the head is {name} {:.0} degrees {turn} (frontal is within {good:.0})",
            v.abs()
        );
        if v.abs() > acc {
            poor.push(msg);
        } else if v.abs() > good {
            acceptable.push(msg);
        }
    }

    if q.sharpness < SHARPNESS_POOR {
        poor.push("the face is blurred (out of focus or moving)".into());
    } else if q.sharpness < SHARPNESS_GOOD {
        acceptable.push("the face is slightly soft (not fully in focus)".into());
    }

    let e = q.exposure;
    if e.mean < BRIGHTNESS_POOR.0 {
        poor.push(format!(
            "the face is far too dark (mean brightness {:.0} of 255)",
            e.mean
        ));
    } else if e.mean > BRIGHTNESS_POOR.1 {
        poor.push(format!(
            "the face is far too bright (mean brightness {:.0} of 255)",
            e.mean
        ));
    } else if e.mean < BRIGHTNESS_GOOD.0 {
        acceptable.push(format!(
            "the face is dark (mean brightness {:.0} of 255)",
            e.mean
        ));
    } else if e.mean > BRIGHTNESS_GOOD.1 {
        acceptable.push(format!(
            "the face is bright (mean brightness {:.0} of 255)",
            e.mean
        ));
    }
    let burnt = e.clipped_bright * 100.0;
    if e.clipped_bright > CLIPPED_BRIGHT_POOR {
        poor.push(format!("{burnt:.0}% of the face is burnt out to white"));
    } else if e.clipped_bright > CLIPPED_BRIGHT_GOOD {
        acceptable.push(format!("{burnt:.0}% of the face is burnt out to white"));
    }
    let uneven = format!(
        "the lighting is uneven: one side of the face is {:.0}% darker than the other",
        (1.0 - e.evenness) * 100.0
    );
    if e.evenness < EVENNESS_POOR {
        poor.push(uneven);
    } else if e.evenness < EVENNESS_GOOD {
        acceptable.push(uneven);
    }

    if q.mouth_ratio > MOUTH_RATIO_SMILE {
        acceptable.push("the expression may not be neutral (a wide mouth, as in a smile)".into());
    }

    let grade = if !poor.is_empty() {
        Grade::Poor
    } else if !acceptable.is_empty() {
        Grade::Acceptable
    } else {
        Grade::Good
    };
    poor.append(&mut acceptable);
    ReferenceGrade {
        grade,
        face: Some(idx),
        reasons: poor,
    }
}

/// True when every sampled pixel has equal red, green and blue.
fn is_greyscale(img: &RgbImage) -> bool {
    let step = (img.width() as usize * img.height() as usize / 10_000).max(1);
    img.pixels()
        .step_by(step)
        .all(|p| p[0] == p[1] && p[1] == p[2])
}
