//! Greedy non-maximum suppression: YuNet fires on many neighbouring cells for
//! one face (and tiles see the same face twice), so keep the best of each
//! overlapping group.

use super::RawFace;
use crate::geometry::BoundingBox;

/// A box lying this much (fraction of its own area) inside a better one is
/// suppressed whatever the IoU. On a portrait with 494 px between the eyes the
/// full-size run reports parts of the face (cheek, chin) as faces of half the
/// size: IoU with the real face is about 0.2, but they lie wholly inside it.
/// Two real faces' boxes overlap this much only when one hides the other.
pub const CONTAINED: f32 = 0.8;

fn contained(inner: &BoundingBox, outer: &BoundingBox) -> bool {
    let w = (inner.right().min(outer.right()) - inner.x.max(outer.x)).max(0.0);
    let h = (inner.bottom().min(outer.bottom()) - inner.y.max(outer.y)).max(0.0);
    w * h > CONTAINED * inner.area()
}

/// Keeps the best-scoring faces, dropping any whose box overlaps an already
/// kept one by more than `iou` or lies inside it (see [`CONTAINED`]), until
/// `max_faces` are kept. The result is sorted by score, best first.
pub fn non_max_suppression(mut faces: Vec<RawFace>, iou: f32, max_faces: usize) -> Vec<RawFace> {
    faces.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<RawFace> = Vec::new();
    for f in faces {
        if kept.len() >= max_faces {
            break;
        }
        if kept
            .iter()
            .all(|k| k.bbox.iou(&f.bbox) <= iou && !contained(&f.bbox, &k.bbox))
        {
            kept.push(f);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::{BoundingBox, Landmarks5};

    fn face(x: f32, y: f32, size: f32, score: f32) -> RawFace {
        RawFace {
            bbox: BoundingBox {
                x,
                y,
                w: size,
                h: size,
            },
            landmarks: Landmarks5::default(),
            score,
        }
    }

    #[test]
    fn overlapping_boxes_keep_the_best() {
        let kept = non_max_suppression(
            vec![
                face(0.0, 0.0, 100.0, 0.7),
                face(5.0, 5.0, 100.0, 0.9),
                face(10.0, 0.0, 100.0, 0.8),
            ],
            0.3,
            10,
        );
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].score, 0.9);
    }

    #[test]
    fn disjoint_boxes_are_all_kept_best_first() {
        let kept = non_max_suppression(
            vec![
                face(0.0, 0.0, 50.0, 0.6),
                face(200.0, 0.0, 50.0, 0.95),
                face(0.0, 200.0, 50.0, 0.8),
            ],
            0.3,
            10,
        );
        let scores: Vec<f32> = kept.iter().map(|f| f.score).collect();
        assert_eq!(scores, vec![0.95, 0.8, 0.6]);
    }

    #[test]
    fn overlap_at_the_threshold_is_kept() {
        // Two 100x100 boxes offset by 50: IoU = 5000 / 15000 = 1/3.
        let pair = vec![face(0.0, 0.0, 100.0, 0.9), face(50.0, 0.0, 100.0, 0.8)];
        assert_eq!(non_max_suppression(pair.clone(), 0.34, 10).len(), 2);
        assert_eq!(non_max_suppression(pair, 0.3, 10).len(), 1);
    }

    #[test]
    fn a_box_inside_a_better_one_is_dropped() {
        // IoU 0.16, but the small box lies wholly inside the large one.
        let kept = non_max_suppression(
            vec![face(0.0, 0.0, 250.0, 0.95), face(100.0, 100.0, 100.0, 0.8)],
            0.3,
            10,
        );
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].score, 0.95);
        // Half inside: kept.
        let kept = non_max_suppression(
            vec![face(0.0, 0.0, 250.0, 0.95), face(200.0, 100.0, 100.0, 0.8)],
            0.3,
            10,
        );
        assert_eq!(kept.len(), 2);
    }

    #[test]
    fn max_faces_keeps_the_best() {
        let faces: Vec<RawFace> = (0..10)
            .map(|i| face(i as f32 * 100.0, 0.0, 50.0, 0.5 + i as f32 * 0.01))
            .collect();
        let kept = non_max_suppression(faces, 0.3, 3);
        let scores: Vec<f32> = kept.iter().map(|f| f.score).collect();
        assert_eq!(scores, vec![0.59, 0.58, 0.57]);
    }
}
