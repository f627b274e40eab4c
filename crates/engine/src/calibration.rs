//! From descriptor distance to a calibrated Similarity Score.
//!
//! A score `s` in [0, 1] means: two *different* people reach `s` or more
//! with probability `10^(-10 s)`, as measured on the calibration set. So 0.5
//! is a false match rate (FMR) of 1e-5 per comparison and 0.64 about 4e-7.
//! An Authorising Officer setting a threshold can therefore read it as a
//! false match rate, whatever algorithm is in use, provided each algorithm
//! ships its own calibration.
//!
//! The calibration is the empirical distribution of impostor distances,
//! kept as knots of (distance, log10 FMR). Below the smallest observed
//! impostor distances the count is too small to trust, so the tail is a line
//! in log10 FMR fitted to the next few decades and anchored at the last
//! trustworthy knot; scores that high are extrapolated, and reports say so.
//!
//! "Two different people" means a pair of people drawn at random, each pair
//! weighing the same ([`Calibration::fit_by_people`]): that is what a
//! watchlist meets, one pair of people per passer-by and subject. Counting
//! pairs of *images* instead lets the much-photographed and a few look-alike
//! pairs (two sisters with fifty photographs each) set the tail, and the
//! rate then fails to hold on people the calibration never saw.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::template::Algorithm;

/// One impostor comparison of a fit by pairs of people.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairComparison {
    pub distance: f32,
    /// One over the comparisons of its pair of people, so that every pair
    /// of people weighs one in all.
    pub weight: f64,
    /// Which pair of people (any key unique to the pair).
    pub pair: u64,
}

/// Knots are trusted down to this many impostor pairs at or below the distance.
const MIN_TRUSTED_COUNT: usize = 10;
/// The tail line is fitted over FMRs from the trusted limit up to this.
const TAIL_FIT_MAX_FMR: f64 = 1e-4;
/// Ratio between successive knot counts: about 1,000 knots for 1e8 pairs.
pub const KNOT_STEP: f64 = 1.02;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Calibration {
    pub algorithm: Algorithm,
    /// What the impostor pairs were, for the record.
    pub source: String,
    pub impostor_pairs: u64,
    /// Pairs of different people behind those comparisons, when the fit
    /// weighted each pair of people equally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people_pairs: Option<u64>,
    /// The factor by which the fitted false match rates were raised so that
    /// they hold for people unlike those fitted (see `lfr_eval::margin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin: Option<f64>,
    /// (distance, log10 FMR), distance increasing, log10 FMR non-decreasing.
    pub knots: Vec<(f32, f64)>,
    /// d(log10 FMR)/d(distance) used below the first knot.
    pub tail_slope: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum CalibrationError {
    #[error("need at least {need} impostor distances to calibrate, got {got}")]
    TooFew { need: usize, got: usize },
    #[error("calibration file is invalid: {0}")]
    Invalid(String),
    #[error(
        "no calibration for algorithm {0}; compute one on a labelled face set with `lfr calibrate --data LFW_DIR` (for a package: `lfr calibrate --model ID --data LFW_DIR`)"
    )]
    Missing(Algorithm),
}

/// Calibrations shipped with lfr, by algorithm (JSON written by `lfr calibrate`).
const SHIPPED: &[&str] = &[include_str!(
    "../calibration/yunet-n-dynamic.align-yunet5-v1.dlib-resnet-v1.json"
)];

/// The first of the shipped JSON `texts` made for `algorithm`.
pub(crate) fn find_shipped<T>(
    texts: &[&str],
    algorithm: &Algorithm,
    parse: impl Fn(&str) -> Result<T, CalibrationError>,
    algorithm_of: impl Fn(&T) -> &Algorithm,
) -> Result<T, CalibrationError> {
    for text in texts {
        let c = parse(text)?;
        if algorithm_of(&c) == algorithm {
            return Ok(c);
        }
    }
    Err(CalibrationError::Missing(algorithm.clone()))
}

impl Calibration {
    /// The shipped calibration for `algorithm`, if there is one.
    pub fn shipped(algorithm: &Algorithm) -> Result<Self, CalibrationError> {
        find_shipped(SHIPPED, algorithm, Self::from_json, |c| &c.algorithm)
    }

    pub fn from_json(text: &str) -> Result<Self, CalibrationError> {
        let c: Calibration =
            serde_json::from_str(text).map_err(|e| CalibrationError::Invalid(e.to_string()))?;
        c.validate()?;
        Ok(c)
    }

    /// Pretty JSON with one knot per line, so that a changed calibration diffs readably.
    /// SHA-256 of the calibration as written ([`Self::to_json`]).
    pub fn digest(&self) -> String {
        digest_of(&self.to_json())
    }

    pub fn to_json(&self) -> String {
        let q = |s: &str| serde_json::to_string(s).expect("strings serialise");
        let knots: Vec<String> = self
            .knots
            .iter()
            .map(|(d, l)| format!("    [{d}, {l}]"))
            .collect();
        let people = self
            .people_pairs
            .map_or(String::new(), |n| format!("\n  \"people_pairs\": {n},"));
        let margin = self
            .margin
            .map_or(String::new(), |m| format!("\n  \"margin\": {m},"));
        format!(
            "{{\n  \"algorithm\": {},\n  \"source\": {},\n  \"impostor_pairs\": {},{people}{margin}\n  \"tail_slope\": {},\n  \"knots\": [\n{}\n  ]\n}}",
            q(self.algorithm.as_str()),
            q(&self.source),
            self.impostor_pairs,
            self.tail_slope,
            knots.join(",\n")
        )
    }

    pub(crate) fn validate(&self) -> Result<(), CalibrationError> {
        let bad = |m: &str| Err(CalibrationError::Invalid(m.to_string()));
        if self.knots.len() < 2 {
            return bad("fewer than two knots");
        }
        if !(self.tail_slope.is_finite() && self.tail_slope > 0.0) {
            return bad("tail slope must be positive");
        }
        for w in self.knots.windows(2) {
            if !(w[1].0 > w[0].0 && w[1].1 >= w[0].1) {
                return bad("knots are not monotone");
            }
        }
        if self
            .knots
            .iter()
            .any(|k| !k.0.is_finite() || !k.1.is_finite() || k.1 > 0.0)
        {
            return bad("knot values out of range");
        }
        Ok(())
    }

    /// Fits a calibration to impostor distances (all pairs of different people).
    pub fn fit(
        algorithm: Algorithm,
        source: impl Into<String>,
        impostors: Vec<f32>,
    ) -> Result<Self, CalibrationError> {
        Self::fit_with_step(algorithm, source, impostors, KNOT_STEP)
    }

    /// As [`Calibration::fit`], with successive knots `step` times as many
    /// pairs apart (at least 1.01). Coarser knots keep a file with many
    /// curves small: at 1.1 each knot is 0.04 of a decade from the next.
    pub fn fit_with_step(
        algorithm: Algorithm,
        source: impl Into<String>,
        impostors: Vec<f32>,
        step: f64,
    ) -> Result<Self, CalibrationError> {
        // Every comparison its own pair of people, each weighing one.
        let comparisons = impostors
            .into_iter()
            .enumerate()
            .map(|(i, distance)| PairComparison {
                distance,
                weight: 1.0,
                pair: i as u64,
            })
            .collect();
        let mut c = Self::fit_by_people(algorithm, source, comparisons, step)?;
        c.people_pairs = None;
        Ok(c)
    }

    /// Fits a calibration to impostor comparisons with each pair of people
    /// weighing the same: a comparison weighs one over the comparisons of
    /// its pair. A knot's rate is the weight at or below its distance over
    /// the pairs of people, and knots are trusted only where at least
    /// [`MIN_TRUSTED_COUNT`] distinct pairs of people lie at or below.
    pub fn fit_by_people(
        algorithm: Algorithm,
        source: impl Into<String>,
        mut comparisons: Vec<PairComparison>,
        step: f64,
    ) -> Result<Self, CalibrationError> {
        let step = step.max(1.01);
        comparisons.retain(|c| c.distance.is_finite() && c.weight > 0.0);
        let total: f64 = comparisons.iter().map(|c| c.weight).sum();
        let people = total.round() as u64;
        let need = 100 * MIN_TRUSTED_COUNT;
        if people < need as u64 {
            return Err(CalibrationError::TooFew {
                need,
                got: people as usize,
            });
        }
        comparisons.sort_unstable_by(|a, b| a.distance.total_cmp(&b.distance));
        let mut seen: HashSet<u64> = HashSet::new();
        let (mut weight, mut next) = (0.0, 0.0);
        let mut knots: Vec<(f32, f64)> = Vec::new();
        let last = comparisons.len() - 1;
        for (i, c) in comparisons.iter().enumerate() {
            weight += c.weight;
            if seen.len() < MIN_TRUSTED_COUNT {
                seen.insert(c.pair);
                if seen.len() < MIN_TRUSTED_COUNT {
                    continue;
                }
            }
            // Only between distinct distances, and every `step` in weight.
            let tie = i < last && comparisons[i + 1].distance == c.distance;
            if tie || (weight < next && i < last) {
                continue;
            }
            knots.push((c.distance, (weight / total).min(1.0).log10()));
            next = weight * step;
        }
        Self::from_knots(
            algorithm,
            source.into(),
            comparisons.len() as u64,
            Some(people),
            knots,
        )
    }

    /// The calibration of `knots` with its tail line: the least squares
    /// slope through the first knot over FMRs up to 1e-4, or the first
    /// decade when the set is too small to reach that far.
    fn from_knots(
        algorithm: Algorithm,
        source: String,
        impostor_pairs: u64,
        people_pairs: Option<u64>,
        knots: Vec<(f32, f64)>,
    ) -> Result<Self, CalibrationError> {
        if knots.len() < 2 {
            return Err(CalibrationError::Invalid(
                "the impostor distances give fewer than two distinct knots".into(),
            ));
        }
        let (d0, l0) = knots[0];
        let fit_max = TAIL_FIT_MAX_FMR.log10().max(l0 + 1.0);
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for &(d, l) in knots.iter().filter(|k| k.1 <= fit_max) {
            let (x, y) = ((d - d0) as f64, l - l0);
            sxy += x * y;
            sxx += x * x;
        }
        let tail_slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
        let c = Self {
            algorithm,
            source,
            impostor_pairs,
            people_pairs,
            margin: None,
            knots,
            tail_slope,
        };
        c.validate()?;
        Ok(c)
    }

    /// The calibration with every false match rate multiplied by `factor`
    /// (at least one; capped at a rate of one), so each score needs a
    /// closer match. The tail keeps its slope.
    pub fn with_margin(mut self, factor: f64) -> Self {
        let factor = factor.max(1.0);
        let shift = factor.log10();
        for k in &mut self.knots {
            k.1 = (k.1 + shift).min(0.0);
        }
        self.margin = Some(factor * self.margin.unwrap_or(1.0));
        self
    }

    /// log10 of the false match rate at `distance`.
    pub fn log10_fmr(&self, distance: f32) -> f64 {
        let (d0, l0) = self.knots[0];
        if distance <= d0 {
            return l0 - self.tail_slope * (d0 - distance) as f64;
        }
        let last = self.knots[self.knots.len() - 1];
        if distance >= last.0 {
            return last.1;
        }
        let i = self.knots.partition_point(|k| k.0 <= distance);
        let (a, b) = (self.knots[i - 1], self.knots[i]);
        let t = ((distance - a.0) / (b.0 - a.0)) as f64;
        a.1 + t * (b.1 - a.1)
    }

    /// The Similarity Score of two templates `distance` apart.
    pub fn score(&self, distance: f32) -> f64 {
        if distance.is_nan() {
            return 0.0;
        }
        (-self.log10_fmr(distance) / 10.0).clamp(0.0, 1.0)
    }

    /// The largest distance that still scores at least `score`.
    pub fn distance_at(&self, score: f64) -> f32 {
        let target = -10.0 * score.clamp(0.0, 1.0);
        let (d0, l0) = self.knots[0];
        if target <= l0 {
            return d0 - ((l0 - target) / self.tail_slope) as f32;
        }
        let i = self.knots.partition_point(|k| k.1 < target);
        if i >= self.knots.len() {
            return self.knots[self.knots.len() - 1].0;
        }
        let (a, b) = (self.knots[i - 1], self.knots[i]);
        if b.1 == a.1 {
            return a.0;
        }
        let t = (target - a.1) / (b.1 - a.1);
        a.0 + (t as f32) * (b.0 - a.0)
    }

    /// The false match rate a score stands for, by definition of the scale.
    pub fn fmr_of_score(score: f64) -> f64 {
        10f64.powf(-10.0 * score)
    }

    /// Scores above this are extrapolated beyond the calibration data.
    pub fn extrapolated_above(&self) -> f64 {
        -self.knots[0].1 / 10.0
    }
}

/// Lower-case hex SHA-256 of a calibration's JSON: what a deployment records
/// so that its threshold keeps its meaning.
pub fn digest_of(json: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(json.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Impostor distances spread like a real set: many near 1, few near 0.4.
    fn synthetic(n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| {
                let u = (i as f64 + 0.5) / n as f64;
                (0.4 + 0.6 * u.powf(0.25)) as f32
            })
            .collect()
    }

    fn fitted() -> Calibration {
        Calibration::fit(Algorithm("t".into()), "synthetic", synthetic(200_000)).unwrap()
    }

    #[test]
    fn score_falls_as_distance_grows() {
        let c = fitted();
        let mut prev = f64::INFINITY;
        for i in 0..=300 {
            let s = c.score(i as f32 / 200.0);
            assert!((0.0..=1.0).contains(&s));
            assert!(s <= prev, "score rose at distance {}", i as f32 / 200.0);
            prev = s;
        }
        assert_eq!(c.score(0.0), 1.0);
        assert_eq!(c.score(2.0), 0.0);
    }

    #[test]
    fn score_means_false_match_rate() {
        let c = fitted();
        let imp = synthetic(200_000);
        for s in [0.1, 0.2, 0.3, 0.4] {
            let d = c.distance_at(s);
            let fmr = imp.iter().filter(|&&x| x <= d).count() as f64 / imp.len() as f64;
            let want = Calibration::fmr_of_score(s);
            assert!(
                (fmr / want - 1.0).abs() < 0.1,
                "score {s}: fmr {fmr} vs {want}"
            );
            assert!((c.score(d) - s).abs() < 1e-3);
        }
    }

    #[test]
    fn round_trips_through_json_and_rejects_nonsense() {
        let c = fitted();
        assert_eq!(Calibration::from_json(&c.to_json()).unwrap(), c);
        let mut bad = c.clone();
        bad.knots.reverse();
        assert!(Calibration::from_json(&bad.to_json()).is_err());
        assert!(Calibration::from_json("{").is_err());
        assert!(Calibration::fit(Algorithm("t".into()), "", vec![0.5; 10]).is_err());
    }

    #[test]
    fn coarser_knots_keep_the_meaning_of_scores() {
        let fine = fitted();
        let coarse =
            Calibration::fit_with_step(Algorithm("t".into()), "synthetic", synthetic(200_000), 1.1)
                .unwrap();
        assert!(coarse.knots.len() * 3 < fine.knots.len());
        for s in [0.1, 0.2, 0.3, 0.4] {
            let (a, b) = (fine.distance_at(s), coarse.distance_at(s));
            assert!((a - b).abs() < 2e-3, "score {s}: {a} vs {b}");
        }
    }

    /// 100,000 pairs of people with one comparison each, spread as
    /// [`synthetic`], and one pair of sisters with 10,000 comparisons at 0.3.
    fn sisters() -> Vec<PairComparison> {
        let mut v: Vec<PairComparison> = synthetic(100_000)
            .into_iter()
            .enumerate()
            .map(|(i, d)| PairComparison {
                distance: d,
                weight: 1.0,
                pair: i as u64,
            })
            .collect();
        v.extend((0..10_000).map(|_| PairComparison {
            distance: 0.3,
            weight: 1e-4,
            pair: u64::MAX,
        }));
        v
    }

    #[test]
    fn a_pair_of_people_weighs_one_however_many_its_comparisons() {
        let alg = || Algorithm("t".into());
        let people = Calibration::fit_by_people(alg(), "sisters", sisters(), 1.02).unwrap();
        assert_eq!(people.people_pairs, Some(100_001));
        // By comparisons the sisters alone would put 9 % of all impostor
        // comparisons at 0.3; by people they are one pair in 100,001, too
        // few to trust, so the curve starts at the tenth pair of people
        // (the sisters and nine others).
        let images: Vec<f32> = sisters().iter().map(|c| c.distance).collect();
        let by_images = Calibration::fit(alg(), "sisters", images).unwrap();
        assert!(by_images.log10_fmr(0.3) > -1.1);
        let tenth = synthetic(100_000)[8];
        assert!((people.knots[0].0 - tenth).abs() < 1e-6);
        assert!((people.knots[0].1 - (10.0f64 / 100_001.0).log10()).abs() < 1e-3);
        // Elsewhere the rate is the share of pairs of people.
        for s in [0.1, 0.2, 0.3] {
            let d = people.distance_at(s);
            let share = synthetic(100_000).iter().filter(|&&x| x <= d).count() as f64 + 1.0;
            let want = Calibration::fmr_of_score(s);
            assert!(((share / 100_001.0) / want - 1.0).abs() < 0.1, "score {s}");
        }
        let json = people.to_json();
        assert!(json.contains("\"people_pairs\": 100001"));
        assert_eq!(Calibration::from_json(&json).unwrap(), people);
        assert!(Calibration::fit_by_people(alg(), "", sisters()[..500].to_vec(), 1.1).is_err());
    }

    #[test]
    fn a_margin_raises_every_rate_and_asks_a_closer_match_for_each_score() {
        let alg = Algorithm("t".into());
        let fitted = Calibration::fit(alg, "synthetic", synthetic(100_000)).unwrap();
        let strict = fitted.clone().with_margin(2.0);
        assert_eq!(strict.margin, Some(2.0));
        for d in [0.35f32, 0.45, 0.6, 0.9] {
            let raised = strict.log10_fmr(d) - fitted.log10_fmr(d);
            assert!(raised <= 2f64.log10() + 1e-9 && strict.log10_fmr(d) <= 0.0);
            if fitted.log10_fmr(d) < -1.0 {
                assert!((raised - 2f64.log10()).abs() < 1e-9, "at {d}");
            }
        }
        for s in [0.3, 0.5, 0.64] {
            assert!(strict.distance_at(s) < fitted.distance_at(s), "score {s}");
        }
        // Margins compound, never lower, and survive the file.
        assert_eq!(strict.clone().with_margin(0.5).margin, Some(2.0));
        assert_eq!(Calibration::from_json(&strict.to_json()).unwrap(), strict);
    }
}
