//! `lfr bench lfw`: the standard LFW accuracy, and what the calibrated
//! scale means on people the calibration never saw.

use std::collections::HashMap;

use lfr_engine::calibration::Calibration;
use serde::Serialize;

use crate::faceset::Described;
use crate::lfw::{ImageId, Protocol, is_calibration_person};
use crate::pairs::{self, Labelled};
use crate::verification::{
    FoldedAccuracy, Trial, false_alert_rate, match_rate, match_rate_by_person, ten_fold, wilson95,
};

/// False match rates at which the operating points are reported.
pub const FMRS: [f64; 4] = [1e-3, 1e-4, 1e-5, 1e-6];

#[derive(Debug, Clone, Serialize)]
pub struct OperatingPoint {
    /// The score threshold.
    pub score: f64,
    /// The false match rate the calibration (people A-M) promises at that score.
    pub calibrated_fmr: f64,
    pub distance: f32,
    /// True match rate over all genuine pairs of people N-Z.
    pub tmr_pairs: f64,
    /// True match rate averaged over people N-Z (each person counts once).
    pub tmr_persons: f64,
    /// Impostor pairs of people N-Z at or beyond the threshold, and the rate.
    pub impostors_beyond: u64,
    pub measured_fmr: f64,
    /// 95 % Wilson interval of the measured rate.
    pub measured_fmr_ci: (f64, f64),
    /// The chance a passer-by raises a false alert against watchlists of
    /// 1,000 and 10,000, if comparisons were independent at the calibrated rate.
    pub false_alert_rate_1k: f64,
    pub false_alert_rate_10k: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LfwReport {
    pub algorithm: String,
    pub images: usize,
    pub images_without_face: usize,
    pub images_with_several_faces: usize,
    pub accuracy: f64,
    pub accuracy_std: f64,
    pub accuracy_per_fold: Vec<f64>,
    pub pairs_missing_a_face: usize,
    pub eval_people: usize,
    pub eval_images: usize,
    pub eval_genuine_pairs: usize,
    pub eval_impostor_pairs: u64,
    /// Share of genuine pairs belonging to the most photographed person.
    pub largest_person_share: f64,
    pub largest_person: String,
    pub calibration_pairs: u64,
    pub points: Vec<OperatingPoint>,
}

pub fn run(
    protocol: &Protocol,
    set: &[Described],
    calibration: &Calibration,
    threads: usize,
) -> LfwReport {
    let by_id: HashMap<&ImageId, &Described> = set.iter().map(|d| (&d.id, d)).collect();
    let vector = |id: &ImageId| by_id.get(id).and_then(|d| d.vector.as_deref());

    let mut missing = 0;
    let folds: Vec<Vec<Trial>> = protocol
        .folds
        .iter()
        .map(|fold| {
            fold.iter()
                .map(|p| {
                    let distance = match (vector(&p.a), vector(&p.b)) {
                        (Some(a), Some(b)) => lfr_engine::template::euclidean(a, b),
                        _ => {
                            // No face: the pair is judged "different", as a system would.
                            missing += 1;
                            f32::INFINITY
                        }
                    };
                    Trial {
                        distance,
                        same: p.same,
                    }
                })
                .collect()
        })
        .collect();
    let FoldedAccuracy {
        per_fold,
        mean,
        std,
        ..
    } = ten_fold(&folds);

    // Evaluation people: N to Z, never used for calibration.
    let mut people: Vec<&str> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut items = Vec::new();
    for d in set.iter().filter(|d| !is_calibration_person(&d.id.person)) {
        if let Some(v) = d.vector.as_deref() {
            let p = *index.entry(&d.id.person).or_insert_with(|| {
                people.push(&d.id.person);
                people.len() - 1
            });
            items.push((p, v));
        }
    }
    let labelled = Labelled { items };
    let genuine = pairs::genuine(&labelled);
    let mut impostor = pairs::impostor(&labelled, threads);
    impostor.sort_unstable_by(f32::total_cmp);
    let genuine_d: Vec<f32> = genuine.iter().map(|g| g.1).collect();
    let mut per_person = vec![0usize; people.len()];
    for g in &genuine {
        per_person[g.0] += 1;
    }
    let (top, top_n) = per_person
        .iter()
        .enumerate()
        .max_by_key(|x| x.1)
        .map(|(i, n)| (people[i].to_string(), *n))
        .unwrap_or_default();

    let mut scores: Vec<f64> = FMRS.iter().map(|f| -f.log10() / 10.0).collect();
    scores.push(0.64);
    let points = scores
        .into_iter()
        .map(|score| {
            let distance = calibration.distance_at(score);
            let beyond = impostor.partition_point(|&d| d <= distance) as u64;
            let n = impostor.len() as u64;
            let fmr = Calibration::fmr_of_score(score);
            OperatingPoint {
                score,
                calibrated_fmr: fmr,
                distance,
                tmr_pairs: match_rate(&genuine_d, distance),
                tmr_persons: match_rate_by_person(&genuine, distance),
                impostors_beyond: beyond,
                measured_fmr: beyond as f64 / n.max(1) as f64,
                measured_fmr_ci: wilson95(beyond, n),
                false_alert_rate_1k: false_alert_rate(fmr, 1_000),
                false_alert_rate_10k: false_alert_rate(fmr, 10_000),
            }
        })
        .collect();

    LfwReport {
        algorithm: calibration.algorithm.to_string(),
        images: set.len(),
        images_without_face: set.iter().filter(|d| d.vector.is_none()).count(),
        images_with_several_faces: set.iter().filter(|d| d.faces > 1).count(),
        accuracy: mean,
        accuracy_std: std,
        accuracy_per_fold: per_fold,
        pairs_missing_a_face: missing,
        eval_people: people.len(),
        eval_images: labelled.items.len(),
        eval_genuine_pairs: genuine.len(),
        eval_impostor_pairs: impostor.len() as u64,
        largest_person_share: top_n as f64 / genuine.len().max(1) as f64,
        largest_person: top,
        calibration_pairs: calibration.impostor_pairs,
        points,
    }
}

/// Impostor distances among the calibration people (A to M).
pub fn calibration_impostors(set: &[Described], threads: usize) -> Vec<f32> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut items = Vec::new();
    for d in set.iter().filter(|d| is_calibration_person(&d.id.person)) {
        if let Some(v) = d.vector.as_deref() {
            let n = index.len();
            let p = *index.entry(&d.id.person).or_insert(n);
            items.push((p, v));
        }
    }
    pairs::impostor(&Labelled { items }, threads)
}
