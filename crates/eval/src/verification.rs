//! Face verification figures: 10-fold accuracy by the LFW protocol, and true
//! match rates at fixed false match rates.

/// One scored comparison.
#[derive(Debug, Clone, Copy)]
pub struct Trial {
    pub distance: f32,
    pub same: bool,
}

/// The threshold maximising accuracy on `trials` ("same" when distance <= threshold).
pub fn best_threshold(trials: &[Trial]) -> f32 {
    let mut t: Vec<Trial> = trials.to_vec();
    t.sort_by(|a, b| a.distance.total_cmp(&b.distance));
    let different = t.iter().filter(|x| !x.same).count();
    // Start with a threshold below everything: all "different".
    let mut correct = different;
    let (mut best, mut best_at) = (correct, t.first().map_or(0.0, |x| x.distance - 1e-6));
    for (i, x) in t.iter().enumerate() {
        if x.same {
            correct += 1;
        } else {
            correct -= 1;
        }
        // Only between distinct distances can a threshold separate them.
        let next = t.get(i + 1).map(|n| n.distance);
        if next != Some(x.distance) && correct > best {
            best = correct;
            best_at = match next {
                Some(n) => (x.distance + n) / 2.0,
                None => x.distance,
            };
        }
    }
    best_at
}

pub fn accuracy(trials: &[Trial], threshold: f32) -> f64 {
    let ok = trials
        .iter()
        .filter(|t| (t.distance <= threshold) == t.same)
        .count();
    ok as f64 / trials.len().max(1) as f64
}

/// Mean and sample standard deviation.
pub fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, var.sqrt())
}

/// The standard LFW View 2 figure: for each fold, the threshold is chosen on
/// the other nine and accuracy measured on the held-out one.
#[derive(Debug, Clone)]
pub struct FoldedAccuracy {
    pub per_fold: Vec<f64>,
    pub thresholds: Vec<f32>,
    pub mean: f64,
    pub std: f64,
}

pub fn ten_fold(folds: &[Vec<Trial>]) -> FoldedAccuracy {
    let mut per_fold = Vec::new();
    let mut thresholds = Vec::new();
    for (i, test) in folds.iter().enumerate() {
        let train: Vec<Trial> = folds
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .flat_map(|(_, f)| f.iter().copied())
            .collect();
        let th = best_threshold(&train);
        thresholds.push(th);
        per_fold.push(accuracy(test, th));
    }
    let (mean, std) = mean_std(&per_fold);
    FoldedAccuracy {
        per_fold,
        thresholds,
        mean,
        std,
    }
}

/// Fraction of `genuine` distances at or below `threshold`.
pub fn match_rate(genuine: &[f32], threshold: f32) -> f64 {
    genuine.iter().filter(|&&d| d <= threshold).count() as f64 / genuine.len().max(1) as f64
}

/// A person-weighted match rate: each person's genuine pairs give that
/// person's rate, and people count equally (so one much-photographed person
/// cannot dominate the figure).
pub fn match_rate_by_person(genuine: &[(usize, f32)], threshold: f32) -> f64 {
    let people = genuine.iter().map(|g| g.0).max().map_or(0, |m| m + 1);
    let mut hits = vec![0usize; people];
    let mut all = vec![0usize; people];
    for &(p, d) in genuine {
        all[p] += 1;
        if d <= threshold {
            hits[p] += 1;
        }
    }
    let rates: Vec<f64> = all
        .iter()
        .zip(&hits)
        .filter(|(a, _)| **a > 0)
        .map(|(a, h)| *h as f64 / *a as f64)
        .collect();
    rates.iter().sum::<f64>() / rates.len().max(1) as f64
}

/// Chance that a passer-by matches at least one of `watchlist` entries when
/// each comparison falsely matches with probability `fmr` (independence assumed).
pub fn false_alert_rate(fmr: f64, watchlist: u64) -> f64 {
    1.0 - (1.0 - fmr).powf(watchlist as f64)
}

/// A Wilson score interval (95 %): one definition, the domain's, for
/// accuracy tables and deployment figures alike.
pub use lfr_domain::metrics::{wilson95, wilson95_of};

/// True and false match rates at a list of thresholds, with their counts and
/// 95 % Wilson intervals: the figures every accuracy table prints.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RateFigures {
    /// True match rate at each threshold (genuine comparisons that reached it).
    pub tmr: Vec<f64>,
    pub tmr_ci: Vec<(f64, f64)>,
    /// Impostor comparisons at or beyond each threshold, and their rate.
    pub impostors_beyond: Vec<u64>,
    pub measured_fmr: Vec<f64>,
    pub measured_fmr_ci: Vec<(f64, f64)>,
    /// The same false matches counted by pairs of people, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_people: Option<ByPeople>,
}

/// False matches counted by pairs of people. The comparisons of one pair of
/// people (several images or draws of each) stand or fall together: a pair
/// of sisters can put hundreds of comparisons beyond a threshold, so an
/// interval that counts comparisons as independent is far too narrow. Here
/// each pair of different people weighs the same, its share being the part
/// of its comparisons beyond the threshold, and the interval is over pairs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ByPeople {
    /// Pairs of different people compared.
    pub pairs: u64,
    /// At each threshold, the pairs of people with a comparison beyond it.
    pub pairs_beyond: Vec<u64>,
    /// The rate with every pair of people weighted equally.
    pub measured_fmr: Vec<f64>,
    /// 95 % interval over pairs of people ([`wilson95_of`]).
    pub measured_fmr_ci: Vec<(f64, f64)>,
    /// At each threshold, who the pairs beyond it are ("A | B"), when
    /// there are at most [`FEW_BEYOND`] of them: a rate carried by one
    /// pair of sisters reads differently from one spread over many.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub few_beyond: Vec<Vec<String>>,
}

/// Pairs of people named beyond a threshold when there are this few.
pub const FEW_BEYOND: usize = 3;

/// The names of the pairs of people `pairs`, if there are few enough.
pub fn few_beyond<'a>(pairs: impl ExactSizeIterator<Item = (&'a str, &'a str)>) -> Vec<String> {
    if pairs.len() > FEW_BEYOND {
        return Vec::new();
    }
    let mut names: Vec<String> = pairs
        .map(|(a, b)| {
            if a <= b {
                format!("{a} | {b}")
            } else {
                format!("{b} | {a}")
            }
        })
        .collect();
    names.sort();
    names
}

impl ByPeople {
    /// From, at each threshold, the pairs of people beyond it and the sum of
    /// their shares, out of `pairs` pairs of people.
    pub fn new(pairs: u64, pairs_beyond: Vec<u64>, shares: &[f64]) -> Self {
        Self {
            pairs,
            pairs_beyond,
            measured_fmr: shares.iter().map(|x| x / pairs.max(1) as f64).collect(),
            measured_fmr_ci: shares.iter().map(|&x| wilson95_of(x, pairs)).collect(),
            few_beyond: Vec::new(),
        }
    }

    /// With the names of the few pairs beyond each threshold ([`few_beyond`]).
    pub fn naming(mut self, few_beyond: Vec<Vec<String>>) -> Self {
        self.few_beyond = few_beyond;
        self
    }

    /// Who is beyond threshold `i`, if few enough to name.
    pub fn named_beyond(&self, i: usize) -> &[String] {
        self.few_beyond.get(i).map_or(&[], Vec::as_slice)
    }

    /// Whether the rate at threshold `i` is consistent with `nominal`: the
    /// nominal rate is not below the interval's lower end.
    pub fn holds(&self, i: usize, nominal: f64) -> bool {
        self.measured_fmr_ci[i].0 <= nominal
    }
}

impl RateFigures {
    /// From counts at each threshold: genuine comparisons that reached it (of
    /// `genuine`) and impostor comparisons that did (of `impostors`).
    pub fn from_counts(hits: &[u64], genuine: u64, beyond: &[u64], impostors: u64) -> Self {
        let rate = |k: u64, n: u64| k as f64 / n.max(1) as f64;
        Self {
            tmr: hits.iter().map(|&h| rate(h, genuine)).collect(),
            tmr_ci: hits.iter().map(|&h| wilson95(h, genuine)).collect(),
            impostors_beyond: beyond.to_vec(),
            measured_fmr: beyond.iter().map(|&b| rate(b, impostors)).collect(),
            measured_fmr_ci: beyond.iter().map(|&b| wilson95(b, impostors)).collect(),
            by_people: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(d: f32, same: bool) -> Trial {
        Trial { distance: d, same }
    }

    #[test]
    fn best_threshold_separates_separable_sets() {
        let trials = [t(0.1, true), t(0.2, true), t(0.5, false), t(0.7, false)];
        let th = best_threshold(&trials);
        assert!(th > 0.2 && th < 0.5, "{th}");
        assert_eq!(accuracy(&trials, th), 1.0);
    }

    #[test]
    fn ten_fold_holds_each_fold_out() {
        let good = vec![t(0.1, true), t(0.9, false)];
        // A fold where "same" pairs are far: the others' threshold gets it wrong.
        let odd = vec![t(0.95, true), t(0.05, false)];
        let mut folds = vec![good.clone(); 9];
        folds.push(odd);
        let r = ten_fold(&folds);
        assert_eq!(r.per_fold[0], 1.0);
        assert_eq!(r.per_fold[9], 0.0);
        assert!((r.mean - 0.9).abs() < 1e-9);
    }

    #[test]
    fn person_weighting_counts_people_equally() {
        // Person 0: 3 pairs all matched; person 1: one pair missed.
        let g = [(0, 0.1), (0, 0.1), (0, 0.1), (1, 0.9)];
        assert_eq!(match_rate_by_person(&g, 0.5), 0.5);
        assert_eq!(match_rate(&g.map(|x| x.1), 0.5), 0.75);
    }

    #[test]
    fn false_alert_rate_grows_with_watchlist() {
        let a = false_alert_rate(1e-6, 1000);
        assert!((a - 1e-3).abs() < 1e-5);
        assert!(false_alert_rate(1e-6, 10_000) > a);
        let (lo, hi) = wilson95(0, 1000);
        assert_eq!(lo, 0.0);
        assert!(hi > 0.003 && hi < 0.004);
    }

    #[test]
    fn pairs_of_people_widen_the_interval_of_clustered_false_matches() {
        // 72 comparisons beyond of 4.1 M look like 1.8e-5 +- 20 %; if they
        // are 3 pairs of people of 20,503 (200 comparisons each, 1.125 pairs'
        // worth), the interval must reach far further.
        let by_comparisons = wilson95(72, 4_100_600);
        let shares = 72.0 * 20_503.0 / 4_100_600.0;
        let p = ByPeople::new(20_503, vec![3], &[shares]);
        assert!((p.measured_fmr[0] - 72.0 / 4_100_600.0).abs() < 1e-12);
        let (lo, hi) = p.measured_fmr_ci[0];
        assert!(
            lo < by_comparisons.0 && hi > 5.0 * by_comparisons.1,
            "{lo} {hi}"
        );
        assert!(p.holds(0, 1e-5) && !p.holds(0, 1e-7));
        // Whole shares give the integer interval back.
        assert_eq!(wilson95_of(3.0, 1000), wilson95(3, 1000));
        assert_eq!(wilson95_of(0.0, 10).0, 0.0);
    }
}
