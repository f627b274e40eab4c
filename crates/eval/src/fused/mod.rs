//! Several pictures per side, on LFW: fitting the fused score curves on
//! people A-M, and measuring them on people N-Z.
//!
//! A comparison is a *subject* (the mean of `k` images of one person)
//! against a *probe* (the mean of `m` images of one person). Impostor
//! comparisons for a curve are drawn from A-M people with enough images:
//! with `k = 1` every image is a subject, otherwise each person gives up to
//! [`DRAWS`] distinct random `k`-subsets (likewise for probes). When `k = m`
//! subjects and probes are the same draws and each unordered pair counts once.
//!
//! [`fit`] fits the curves (`lfr calibrate`); [`measure`] checks them on
//! people N-Z (`lfr bench lfw`). Both draw their sides here.

use std::collections::HashSet;

use lfr_engine::calibration::{Calibration, CalibrationError, PairComparison};
use lfr_engine::fusion::{
    FusedCurve, FusionCalibration, MAX_FRAMES, MAX_REFERENCES, mean, references_penalty,
};
use lfr_engine::normalise::{Cohort, CohortStats};
use lfr_engine::template::{Algorithm, euclidean};
use serde::Serialize;

use crate::pairs::interleaved;
use crate::people::People;
use crate::verification::{ByPeople, RateFigures, few_beyond};

pub mod fit;
pub mod measure;

pub use fit::{ONE_REFERENCE, calibrate, fit_curves};
pub use measure::{FusionRow, MethodFigures, Scorers, evaluate};

/// Distinct random subsets drawn per person for a side of more than one image.
pub const DRAWS: usize = 8;
/// Cohort: every `COHORT_STRIDE`-th A-M person gives one blended entry
/// (444 of 3,990 people). Chosen on A-M only (`examples/cohort_tuning.rs`:
/// cohort from people A-F, judged on G-M): 445 entries came within 0.025 of
/// 890 entries in true match rate per person at FMR 1e-5 and 1e-6, 223
/// entries lost 0.03-0.05; the shipped file is about half a megabyte.
pub const COHORT_STRIDE: usize = 9;
/// Neighbours that describe a template's neighbourhood in that cohort
/// (about a ninth of it; 50 did as well as 100 and better than 25).
pub const COHORT_TOP_K: usize = 50;
/// Knot spacing of the fused curves: 16 curves at the single-image
/// calibration's spacing would make a shipped file of half a megabyte.
pub const FUSED_KNOT_STEP: f64 = 1.1;
/// Decimals kept of the cohort's values in the shipped file; the curves
/// are fitted with the cohort already rounded, so that the file holds
/// exactly the cohort they were measured with.
pub const COHORT_DECIMALS: i32 = 4;

/// A small deterministic generator (SplitMix64), so that draws repeat exactly.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

/// One side of a comparison.
#[derive(Clone)]
pub(crate) struct Side<'a> {
    pub(crate) person: usize,
    vector: Vec<f32>,
    stats: Option<CohortStats>,
    /// The first picture alone, for the single-image figure on the same draw.
    first: &'a [f32],
}

/// A cohort, and for calibration the people behind each of its entries:
/// a side's neighbourhood then leaves out the entries built from its own
/// person, as for the unseen people the matcher meets in service.
#[derive(Clone, Copy)]
pub struct CohortUse<'a> {
    pub cohort: &'a Cohort,
    pub owners: Option<&'a [[usize; 3]]>,
}

impl<'a> CohortUse<'a> {
    pub fn unseen(cohort: &'a Cohort) -> Self {
        Self {
            cohort,
            owners: None,
        }
    }

    fn stats(&self, person: usize, v: &[f32]) -> CohortStats {
        match self.owners {
            Some(o) => self.cohort.stats_without(v, |e| o[e].contains(&person)),
            None => self.cohort.stats(v),
        }
    }
}

fn side<'a>(person: usize, pics: &[&'a [f32]], cohort: Option<CohortUse>) -> Side<'a> {
    let vector = mean(pics.iter().copied());
    let stats = cohort.map(|c| c.stats(person, &vector));
    Side {
        person,
        vector,
        stats,
        first: pics[0],
    }
}

/// Sides of `k` pictures: every image when `k = 1`, else up to [`DRAWS`]
/// distinct `k`-subsets per person with at least `k` images.
pub(crate) fn draws<'a>(
    people: &People<'a>,
    k: usize,
    cohort: Option<CohortUse>,
    rng: &mut Rng,
) -> Vec<Side<'a>> {
    subsets(people, k, rng)
        .into_iter()
        .map(|(p, pics)| side(p, &pics, cohort))
        .collect()
}

/// The pictures of [`draws`]: `(person, k pictures)`.
fn subsets<'a>(people: &People<'a>, k: usize, rng: &mut Rng) -> Vec<(usize, Vec<&'a [f32]>)> {
    let mut out = Vec::new();
    for (p, imgs) in people.images.iter().enumerate() {
        if imgs.len() < k {
            continue;
        }
        if k == 1 {
            out.extend(imgs.iter().map(|v| (p, vec![*v])));
            continue;
        }
        let mut seen: HashSet<Vec<usize>> = HashSet::new();
        let mut idx: Vec<usize> = (0..imgs.len()).collect();
        for _ in 0..4 * DRAWS {
            if seen.len() == DRAWS {
                break;
            }
            rng.shuffle(&mut idx);
            let mut pick = idx[..k].to_vec();
            pick.sort_unstable();
            if seen.insert(pick.clone()) {
                out.push((p, pick.iter().map(|&i| imgs[i]).collect()));
            }
        }
    }
    out
}

pub(crate) fn statistic(a: &Side, b: &Side) -> f32 {
    let d = euclidean(&a.vector, &b.vector);
    match (a.stats, b.stats) {
        (Some(x), Some(y)) => Cohort::normalise(d, x, y),
        _ => d,
    }
}

/// One impostor comparison and the two people behind it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Impostor {
    pub statistic: f32,
    /// The people compared, the smaller index first.
    pub pair: (u32, u32),
}

/// `make(a, b)` of every subject against every probe of another person
/// (each unordered pair once when both sides are the same draws).
fn impostors<T: Send + Clone>(
    people: &People,
    subjects: &[Side],
    probes: Option<&[Side]>,
    threads: usize,
    make: impl Fn(&Side, &Side) -> T + Sync,
) -> Vec<T> {
    interleaved(subjects.len(), threads, Vec::new, |i, out| {
        let a = &subjects[i];
        let others = match probes {
            Some(p) => p,
            None => &subjects[i + 1..],
        };
        for b in others {
            if people.groups[a.person] != people.groups[b.person] {
                out.push(make(a, b));
            }
        }
    })
    .concat()
}

fn impostor_pair(a: &Side, b: &Side) -> Impostor {
    Impostor {
        statistic: statistic(a, b),
        pair: (a.person.min(b.person) as u32, a.person.max(b.person) as u32),
    }
}

/// Impostor comparisons weighted so that each pair of people weighs one
/// in all: `comparisons(a, b)` is how many comparisons the pair has.
pub fn by_people(
    impostors: Vec<Impostor>,
    comparisons: impl Fn(u32, u32) -> f64,
) -> Vec<PairComparison> {
    impostors
        .into_iter()
        .map(|i| PairComparison {
            distance: i.statistic,
            weight: 1.0 / comparisons(i.pair.0, i.pair.1).max(1.0),
            pair: (i.pair.0 as u64) << 32 | i.pair.1 as u64,
        })
        .collect()
}

/// Sides per person.
fn sides_per_person(people: &People, sides: &[Side]) -> Vec<f64> {
    let mut n = vec![0.0; people.names.len()];
    for s in sides {
        n[s.person] += 1.0;
    }
    n
}

/// Impostor comparisons of `subjects` against `probes` (or among
/// `subjects`), each pair of people weighing one in all.
fn impostors_by_people(
    people: &People,
    subjects: &[Side],
    probes: Option<&[Side]>,
    threads: usize,
) -> Vec<PairComparison> {
    let found = impostors(people, subjects, probes, threads, impostor_pair);
    let s = sides_per_person(people, subjects);
    match probes {
        None => by_people(found, |a, b| s[a as usize] * s[b as usize]),
        Some(probes) => {
            let p = sides_per_person(people, probes);
            // Each pair of people meets both ways round.
            by_people(found, |a, b| {
                let (a, b) = (a as usize, b as usize);
                s[a] * p[b] + s[b] * p[a]
            })
        }
    }
}

/// Every impostor pair of single images of `people`, weighted by pairs of
/// people: the single-image calibration's input.
pub fn single_image_impostors(people: &People, threads: usize) -> Vec<PairComparison> {
    let sides = draws(people, 1, None, &mut Rng::new(0));
    impostors_by_people(people, &sides, None, threads)
}

/// Every genuine pair (with its person) and every impostor pair of single
/// images (with its two people), as raw distances or, with a cohort, as
/// normalised statistics.
pub fn all_pairs(
    people: &People,
    cohort: Option<CohortUse>,
    threads: usize,
) -> (Vec<(usize, f32)>, Vec<Impostor>) {
    let sides = draws(people, 1, cohort, &mut Rng::new(0));
    let mut genuine = Vec::new();
    for (i, a) in sides.iter().enumerate() {
        for b in &sides[i + 1..] {
            if a.person == b.person {
                genuine.push((a.person, statistic(a, b)));
            }
        }
    }
    (
        genuine,
        impostors(people, &sides, None, threads, impostor_pair),
    )
}

#[cfg(test)]
mod tests {
    use super::measure::unordered_pairs;
    use super::*;

    #[test]
    fn rng_is_repeatable_and_shuffles_everything() {
        let mut a = Rng::new(3);
        let mut b = Rng::new(3);
        assert_eq!(a.next_u64(), b.next_u64());
        let mut v: Vec<usize> = (0..50).collect();
        a.shuffle(&mut v);
        assert_ne!(v, (0..50).collect::<Vec<_>>());
        v.sort_unstable();
        assert_eq!(v, (0..50).collect::<Vec<_>>());
    }

    fn people_fixture(vs: &[Vec<f32>]) -> People<'_> {
        // Person p has images 3p, 3p+1, 3p+2; persons 2 and 3 are one person under two names.
        People {
            names: vec!["a", "b", "c", "d"],
            images: (0..4)
                .map(|p| (0..3).map(|i| vs[3 * p + i].as_slice()).collect())
                .collect(),
            groups: vec![0, 1, 2, 2],
        }
    }

    #[test]
    fn draws_are_distinct_subsets_and_pairs_skip_one_person() {
        let vs: Vec<Vec<f32>> = (0..12).map(|i| vec![i as f32, (i % 3) as f32]).collect();
        let people = people_fixture(&vs);
        let ones = draws(&people, 1, None, &mut Rng::new(1));
        assert_eq!(ones.len(), 12);
        let twos = draws(&people, 2, None, &mut Rng::new(1));
        // Three distinct pairs per person of three images.
        assert_eq!(twos.len(), 12);
        let imp = impostors(&people, &ones, None, 2, impostor_pair);
        // 66 pairs of images, less 4*3 same-person and 9 between the two names of person 2/3.
        assert_eq!(imp.len(), 66 - 12 - 9);
        let n = sides_per_person(&people, &ones);
        assert_eq!(unordered_pairs(&people, &n, &n), 5);
        // Subjects of two images meet probes of one: pairs where either
        // person can be the subject.
        let t = sides_per_person(&people, &twos);
        assert_eq!(unordered_pairs(&people, &t, &n), 5);
    }
}
