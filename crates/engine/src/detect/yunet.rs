//! Decoding YuNet's outputs, as OpenCV's `FaceDetectorYN::postProcess` does
//! (opencv/opencv, modules/objdetect/src/face_detect.cpp).
//!
//! For each stride s in 8, 16, 32 the model gives, per cell (row r, column c)
//! of the padded input divided by s: `cls` and `obj` scores, `bbox` (centre
//! offset and log size) and `kps` (five landmark offsets). Then
//! score = sqrt(clamp01(cls) x clamp01(obj)), centre = (c + dx, r + dy) x s,
//! size = exp(dw, dh) x s, landmark k = (c + kx, r + ky) x s.
//!
//! YuNet's landmark order is the subject's right eye, left eye, nose tip,
//! right mouth corner, left mouth corner: the subject's right is the image's
//! left, so it is already [`Landmarks5`] order (checked on obama.jpg against
//! dlib's landmarks in `detect_reference` tests).

use super::{DetectError, RawFace};
use crate::geometry::{BoundingBox, Landmarks5, Point};
use crate::runtime::{Outputs, Tensor};

const STRIDES: [usize; 3] = [8, 16, 32];

fn output<'a>(
    outputs: &'a Outputs,
    name: &str,
    cells: usize,
    per_cell: usize,
) -> Result<&'a [f32], DetectError> {
    let t: &Tensor = outputs.get(name)?;
    if t.data.len() != cells * per_cell {
        return Err(DetectError::ModelOutput(format!(
            "{name} has shape {:?}, expected {cells} cells of {per_cell} values",
            t.shape
        )));
    }
    Ok(&t.data)
}

/// Faces scoring at least `threshold`, in model-input pixels of a
/// `height` x `width` (padded) input. Not yet suppressed.
pub(crate) fn decode(
    outputs: &Outputs,
    height: usize,
    width: usize,
    threshold: f32,
) -> Result<Vec<RawFace>, DetectError> {
    let mut faces = Vec::new();
    for s in STRIDES {
        let (rows, cols) = (height / s, width / s);
        let cells = rows * cols;
        let cls = output(outputs, &format!("cls_{s}"), cells, 1)?;
        let obj = output(outputs, &format!("obj_{s}"), cells, 1)?;
        let bbox = output(outputs, &format!("bbox_{s}"), cells, 4)?;
        let kps = output(outputs, &format!("kps_{s}"), cells, 10)?;
        let sf = s as f32;
        for idx in 0..cells {
            let score = (cls[idx].clamp(0.0, 1.0) * obj[idx].clamp(0.0, 1.0)).sqrt();
            if score < threshold {
                continue;
            }
            let (r, c) = ((idx / cols) as f32, (idx % cols) as f32);
            let b = &bbox[idx * 4..idx * 4 + 4];
            let (cx, cy) = ((c + b[0]) * sf, (r + b[1]) * sf);
            let (w, h) = (b[2].exp() * sf, b[3].exp() * sf);
            let k = &kps[idx * 10..idx * 10 + 10];
            let lm =
                std::array::from_fn(|n| Point::new((k[2 * n] + c) * sf, (k[2 * n + 1] + r) * sf));
            faces.push(RawFace {
                bbox: BoundingBox {
                    x: cx - w / 2.0,
                    y: cy - h / 2.0,
                    w,
                    h,
                },
                landmarks: Landmarks5(lm),
                score,
            });
        }
    }
    Ok(faces)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Outputs for a 32x32 input with one confident cell at stride 8,
    /// row 1, column 2.
    fn one_cell() -> Outputs {
        let mut v = Vec::new();
        for s in STRIDES {
            let cells = (32 / s) * (32 / s);
            let hit = |per: usize, vals: &[f32]| {
                let mut d = vec![0f32; cells * per];
                if s == 8 {
                    let idx = 4 + 2;
                    d[idx * per..idx * per + per].copy_from_slice(vals);
                }
                Tensor::new(vec![1, cells, per], d)
            };
            v.push((format!("cls_{s}"), hit(1, &[0.81])));
            v.push((format!("obj_{s}"), hit(1, &[1.2])));
            v.push((format!("bbox_{s}"), hit(4, &[0.5, 0.25, 0.0, 1.0f32.ln()])));
            v.push((
                format!("kps_{s}"),
                hit(10, &[0.0, 0.0, 1.0, 0.0, 0.5, 0.5, 0.0, 1.0, 1.0, 1.0]),
            ));
        }
        Outputs(v)
    }

    #[test]
    fn decodes_like_opencv() {
        let faces = decode(&one_cell(), 32, 32, 0.5).unwrap();
        assert_eq!(faces.len(), 1);
        let f = faces[0];
        // sqrt(0.81 * clamp(1.2)) = 0.9
        assert!((f.score - 0.9).abs() < 1e-6);
        // centre ((2 + 0.5) * 8, (1 + 0.25) * 8) = (20, 10), size 8 x 8
        assert_eq!(
            f.bbox,
            BoundingBox {
                x: 16.0,
                y: 6.0,
                w: 8.0,
                h: 8.0
            }
        );
        assert_eq!(f.landmarks.0[0], Point::new(16.0, 8.0));
        assert_eq!(f.landmarks.0[2], Point::new(20.0, 12.0));
        assert_eq!(f.landmarks.0[4], Point::new(24.0, 16.0));
    }

    #[test]
    fn wrong_output_size_is_an_error() {
        let mut o = one_cell();
        o.0[0].1 = Tensor::new(vec![1, 3, 1], vec![0.0; 3]);
        let e = decode(&o, 32, 32, 0.5).unwrap_err();
        assert!(e.to_string().contains("cls_8"), "{e}");
    }
}
