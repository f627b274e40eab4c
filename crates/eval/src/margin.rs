//! How far a calibration's false match rates must be raised to hold for
//! people unlike those it was fitted on.
//!
//! A calibration fitted on some people predicts the rate among others only
//! as far as they are alike: LFW's people N-Z, sorted by first name as the
//! A-M calibration people are, differ in mix from A-M, and their measured
//! rates ran 1.2 to 2.4 times the nominal ones. The margin is measured the
//! same way inside A-M alone, so N-Z stays unseen: fit on the first half of
//! the names, measure by pairs of people on the second, and the other way
//! round. The factor is the largest measured-over-nominal ratio, taken
//! only where enough pairs of people are expected beyond the score for the
//! ratio to mean something.

use lfr_engine::calibration::{Calibration, CalibrationError, PairComparison};
use lfr_engine::template::Algorithm;
use serde::Serialize;

use crate::exclusions::Exclusions;
use crate::faceset::Described;
use crate::fused;
use crate::lfw::is_calibration_person;
use crate::people::People;

/// Scores at which the halves are compared.
pub const SCORES: [f64; 4] = [0.3, 0.4, 0.5, 0.6];
/// A ratio counts only where the nominal rate expects this many pairs of
/// people beyond the score on the measured half (Poisson error about 32 %;
/// the rates run further from nominal deeper in the tail, so the deepest
/// measurable point matters most).
pub const MIN_EXPECTED_PAIRS: f64 = 10.0;

/// One score, fitted on one half and measured on the other.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MarginPoint {
    pub fitted_on: String,
    pub score: f64,
    pub nominal_fmr: f64,
    pub measured_fmr: f64,
    /// Pairs of people on the measured half.
    pub pairs: u64,
    /// Whether enough pairs are expected beyond for the ratio to count.
    pub counted: bool,
}

/// The margin and the comparisons it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Margin {
    /// At least one.
    pub factor: f64,
    pub points: Vec<MarginPoint>,
}

/// The share of `comparisons`' pairs of people at or below `distance`.
fn rate_at_or_below(comparisons: &[PairComparison], distance: f32) -> f64 {
    let total: f64 = comparisons.iter().map(|c| c.weight).sum();
    // An empty float sum is -0.0; adding 0.0 makes it print as 0.
    let within = 0.0
        + comparisons
            .iter()
            .filter(|c| c.distance <= distance)
            .map(|c| c.weight)
            .sum::<f64>();
    if total > 0.0 { within / total } else { 0.0 }
}

/// Measures the margin on the calibration people (A-M) of `set`.
pub fn measure(
    set: &[Described],
    algorithm: &Algorithm,
    exclusions: &Exclusions,
    threads: usize,
) -> Result<Margin, CalibrationError> {
    let mut names: Vec<&str> = set
        .iter()
        .map(|d| d.id.person.as_str())
        .filter(|p| is_calibration_person(p))
        .collect();
    names.sort_unstable();
    names.dedup();
    let Some(&middle) = names.get(names.len() / 2) else {
        return Err(CalibrationError::TooFew { need: 2, got: 0 });
    };
    let first = |p: &str| is_calibration_person(p) && p < middle;
    let second = |p: &str| is_calibration_person(p) && p >= middle;
    let halves = [
        (
            format!("A-M names before {middle}"),
            People::select(set, first, Some(exclusions)),
        ),
        (
            format!("A-M names from {middle}"),
            People::select(set, second, Some(exclusions)),
        ),
    ];
    let comparisons: Vec<Vec<PairComparison>> = halves
        .iter()
        .map(|(_, people)| fused::single_image_impostors(people, threads))
        .collect();
    let mut points = Vec::new();
    for (fit, measured) in [(0, 1), (1, 0)] {
        let pairs = halves[measured].1.pairs_of_people();
        let calibration = Calibration::fit_by_people(
            algorithm.clone(),
            halves[fit].0.clone(),
            comparisons[fit].clone(),
            lfr_engine::calibration::KNOT_STEP,
        )?;
        for score in SCORES {
            let nominal_fmr = Calibration::fmr_of_score(score);
            points.push(MarginPoint {
                fitted_on: halves[fit].0.clone(),
                score,
                nominal_fmr,
                measured_fmr: rate_at_or_below(
                    &comparisons[measured],
                    calibration.distance_at(score),
                ),
                pairs,
                counted: nominal_fmr * pairs as f64 >= MIN_EXPECTED_PAIRS,
            });
        }
    }
    let factor = points
        .iter()
        .filter(|p| p.counted)
        .map(|p| p.measured_fmr / p.nominal_fmr)
        .fold(1.0, f64::max);
    Ok(Margin { factor, points })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_counts_pairs_of_people_not_comparisons() {
        // Pair 1 has three comparisons (weight 1/3 each), pair 2 one.
        let c = |distance, weight, pair| PairComparison {
            distance,
            weight,
            pair,
        };
        let comparisons = [
            c(0.1, 1.0 / 3.0, 1),
            c(0.2, 1.0 / 3.0, 1),
            c(0.3, 1.0 / 3.0, 1),
            c(0.4, 1.0, 2),
        ];
        assert!((rate_at_or_below(&comparisons, 0.1) - 1.0 / 6.0).abs() < 1e-12);
        assert!((rate_at_or_below(&comparisons, 0.35) - 0.5).abs() < 1e-12);
        assert_eq!(rate_at_or_below(&comparisons, 0.5), 1.0);
    }
}
