//! Several pictures per side, on LFW: fitting the fused score curves on
//! people A-M, and measuring them on people N-Z.
//!
//! A comparison is a *subject* (the mean of `k` images of one person)
//! against a *probe* (the mean of `m` images of one person). Impostor
//! comparisons for a curve are drawn from A-M people with enough images:
//! with `k = 1` every image is a subject, otherwise each person gives up to
//! [`DRAWS`] distinct random `k`-subsets (likewise for probes). When `k = m`
//! subjects and probes are the same draws and each unordered pair counts once.

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
struct Side<'a> {
    person: usize,
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
fn draws<'a>(
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

fn statistic(a: &Side, b: &Side) -> f32 {
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

/// Fits one curve per (references, frames) up to the fusion limits, on the
/// statistic normalised by `cohort` (or the raw distance of the means).
/// `only`, if given, limits the curves to those (references, frames).
pub fn fit_curves(
    people: &People,
    algorithm: &Algorithm,
    cohort: Option<CohortUse>,
    only: Option<&[(usize, usize)]>,
    threads: usize,
    progress: &dyn Fn(usize, usize),
) -> Result<Vec<FusedCurve>, CalibrationError> {
    let mut curves = Vec::new();
    let wanted = |k: usize, m: usize| only.is_none_or(|o| o.contains(&(k, m)));
    let total = match only {
        Some(o) => o.len(),
        None => MAX_REFERENCES * MAX_FRAMES,
    };
    for k in 1..=MAX_REFERENCES {
        if !(1..=MAX_FRAMES).any(|m| wanted(k, m)) {
            continue;
        }
        let subjects = draws(people, k, cohort, &mut Rng::new(1000 + k as u64));
        for m in 1..=MAX_FRAMES {
            if !wanted(k, m) {
                continue;
            }
            progress(curves.len(), total);
            let comparisons = if k == m {
                impostors_by_people(people, &subjects, None, threads)
            } else {
                let probes = draws(people, m, cohort, &mut Rng::new(2000 + m as u64));
                impostors_by_people(people, &subjects, Some(&probes), threads)
            };
            let n = comparisons.len();
            let what = if cohort.is_some() {
                "AS-norm statistic"
            } else {
                "distance"
            };
            let calibration = Calibration::fit_by_people(
                algorithm.clone(),
                format!(
                    "LFW people A-M: {n} impostor comparisons of subjects of {k} image(s) against probes of {m} image(s), each pair of people weighing one; {what} of the mean descriptors"
                ),
                comparisons,
                FUSED_KNOT_STEP,
            )?;
            curves.push(FusedCurve {
                references: k,
                frames: m,
                subject_pairs: calibration.people_pairs.unwrap_or(0),
                calibration,
            });
        }
    }
    progress(total, total);
    Ok(curves)
}

/// The curves the matcher scores with: one reference image against each
/// count of probe frames ([`lfr_engine::fusion`] compares a subject's
/// images one by one).
pub const ONE_REFERENCE: [(usize, usize); MAX_FRAMES] = {
    let mut c = [(1, 1); MAX_FRAMES];
    let mut m = 0;
    while m < MAX_FRAMES {
        c[m] = (1, m + 1);
        m += 1;
    }
    c
};

/// The whole fused calibration from A-M: the cohort and its curves.
pub fn calibrate(
    people: &People,
    algorithm: &Algorithm,
    threads: usize,
    progress: &dyn Fn(usize, usize),
) -> Result<FusionCalibration, CalibrationError> {
    let (mut cohort, owners) =
        Cohort::from_people_with_owners(&people.means(), COHORT_STRIDE, COHORT_TOP_K)?;
    let scale = 10f64.powi(COHORT_DECIMALS);
    for x in cohort.vectors.iter_mut().flatten() {
        *x = ((*x as f64 * scale).round() / scale) as f32;
    }
    let using = CohortUse {
        cohort: &cohort,
        owners: Some(&owners),
    };
    let curves = fit_curves(
        people,
        algorithm,
        Some(using),
        Some(&ONE_REFERENCE),
        threads,
        progress,
    )?;
    Ok(FusionCalibration {
        algorithm: algorithm.clone(),
        source: format!(
            "LFW people A-M less the exclusion list: cohort of {} entries (each the mean of three people's mean descriptors, every {COHORT_STRIDE}th of {} people), top {COHORT_TOP_K}",
            cohort.vectors.len(),
            people.names.len()
        ),
        cohort,
        curves,
    })
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

/// The `n` closest impostor pairs of single images, as (person, person, statistic).
pub fn closest_impostors(
    people: &People,
    cohort: Option<CohortUse>,
    n: usize,
) -> Vec<(usize, usize, f32)> {
    let sides = draws(people, 1, cohort, &mut Rng::new(0));
    let mut best: Vec<(usize, usize, f32)> = Vec::new();
    let mut worst_kept = f32::INFINITY;
    for (i, a) in sides.iter().enumerate() {
        for b in &sides[i + 1..] {
            if people.groups[a.person] == people.groups[b.person] {
                continue;
            }
            let s = statistic(a, b);
            if best.len() < n || s < worst_kept {
                best.push((a.person, b.person, s));
                if best.len() > 4 * n.max(1) {
                    best.sort_by(|x, y| x.2.total_cmp(&y.2));
                    best.truncate(n);
                    worst_kept = best.last().map_or(f32::INFINITY, |x| x.2);
                }
            }
        }
    }
    best.sort_by(|x, y| x.2.total_cmp(&y.2));
    best.truncate(n);
    best
}

/// The look-alike cluster of a list of close impostor pairs: people are
/// joined when a listed pair links them, and the cluster is the connected
/// group that holds the most listed pairs. Returns its people.
pub fn largest_cluster(pairs: &[(usize, usize, f32)]) -> HashSet<usize> {
    // Union-find over the people named in the list.
    let mut parent: std::collections::HashMap<usize, usize> = Default::default();
    fn root(parent: &mut std::collections::HashMap<usize, usize>, x: usize) -> usize {
        let p = *parent.entry(x).or_insert(x);
        if p == x {
            return x;
        }
        let r = root(parent, p);
        parent.insert(x, r);
        r
    }
    for &(a, b, _) in pairs {
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        if ra != rb {
            parent.insert(ra, rb);
        }
    }
    let mut edges: std::collections::HashMap<usize, usize> = Default::default();
    for &(a, _, _) in pairs {
        *edges.entry(root(&mut parent, a)).or_default() += 1;
    }
    // The largest by pairs; ties go to the smaller root, so the answer repeats.
    let Some(best) = edges
        .iter()
        .max_by(|x, y| x.1.cmp(y.1).then(y.0.cmp(x.0)))
        .map(|x| *x.0)
    else {
        return HashSet::new();
    };
    let people: Vec<usize> = parent.keys().copied().collect();
    people
        .into_iter()
        .filter(|&p| root(&mut parent, p) == best)
        .collect()
}

/// Share of `pairs` whose two people are both in `cluster`.
pub fn share_within(pairs: &[(usize, usize, f32)], cluster: &HashSet<usize>) -> f64 {
    let n = pairs
        .iter()
        .filter(|(a, b, _)| cluster.contains(a) && cluster.contains(b))
        .count();
    n as f64 / pairs.len().max(1) as f64
}

/// One method's figures on one row.
#[derive(Debug, Clone, Serialize)]
pub struct MethodFigures {
    pub method: &'static str,
    /// Each split counts once as a genuine comparison; splits of one person
    /// are not independent, so the TMR interval is a lower bound on the
    /// uncertainty.
    #[serde(flatten)]
    pub figures: RateFigures,
}

/// Subjects of `k` images against probes of `m` other images of people N-Z.
#[derive(Debug, Clone, Serialize)]
pub struct FusionRow {
    pub references: usize,
    pub frames: usize,
    pub people: usize,
    pub genuine: usize,
    pub impostor: u64,
    pub methods: Vec<MethodFigures>,
}

/// How a row's thresholds are set.
pub struct Scorers<'a> {
    /// The single-image calibration (first picture of each side).
    pub single: &'a Calibration,
    /// Raw fused curves (fitted on A-M without normalisation).
    pub raw: &'a [FusedCurve],
    /// The normalised fused calibration.
    pub normalised: &'a FusionCalibration,
}

/// Measures `k` references against `m` frames on `people` (N-Z). Genuine:
/// each person with at least `k + m` images is split `splits` times at
/// random into `k` enrolled and `m` probe images, compared with each other.
/// Impostor: the subjects of `k` images and the probes of `m` images that
/// every person with enough images gives (as the fit draws them), each
/// probe against every other person's subjects, each pair of people
/// weighing one. Thresholds are the calibrated ones at each of `scores`.
/// Three methods:
/// the first image of each side (single-image calibration); the raw
/// distance of both sides' means (`scorers.raw`, curves fitted for `k` and
/// `m`); and the matcher's rule, the probe's mean against each of the
/// subject's images with AS-norm, the best counting at the one-image curve
/// for `m` frames lowered by [`references_penalty`].
pub fn evaluate(
    people: &People,
    k: usize,
    m: usize,
    splits: usize,
    scores_at: &[f64],
    scorers: &Scorers,
    threads: usize,
) -> FusionRow {
    let cohort = CohortUse::unseen(&scorers.normalised.cohort);
    let scores = |s: f64| -> [f32; 3] {
        let raw = scorers
            .raw
            .iter()
            .find(|c| c.references == k && c.frames == m)
            .map_or(f32::NAN, |c| c.calibration.distance_at(s));
        // The matcher's rule: the best of k images against the one-image
        // curve, at a score raised by the union bound's penalty.
        let norm = scorers.normalised.curve(1, m).map_or(f32::NAN, |c| {
            c.calibration.distance_at(s + references_penalty(k))
        });
        [scorers.single.distance_at(s), raw, norm]
    };
    let thresholds: Vec<[f32; 3]> = scores_at.iter().map(|&s| scores(s)).collect();
    let measures = |probe: &Side, subject: &Subject| -> [f32; 3] {
        let closest = subject
            .images
            .iter()
            .map(|r| {
                let d = euclidean(&probe.vector, &r.vector);
                Cohort::normalise(d, probe.stats.unwrap(), r.stats.unwrap())
            })
            .fold(f32::INFINITY, f32::min);
        [
            euclidean(probe.first, subject.mean.first),
            euclidean(&probe.vector, &subject.mean.vector),
            closest,
        ]
    };

    // Genuine: people with k + m images, split `splits` times into a
    // subject and a probe of their own.
    let mut rng = Rng::new(7 + 100 * k as u64 + m as u64);
    let mut persons = 0;
    let mut hits = vec![[0usize; 3]; scores_at.len()];
    let mut genuine = 0;
    for (p, imgs) in people.images.iter().enumerate() {
        if imgs.len() < k + m {
            continue;
        }
        persons += 1;
        let mut idx: Vec<usize> = (0..imgs.len()).collect();
        for _ in 0..splits {
            rng.shuffle(&mut idx);
            let pics: Vec<&[f32]> = idx[..k + m].iter().map(|&i| imgs[i]).collect();
            let x = measures(
                &side(p, &pics[k..], Some(cohort)),
                &Subject::of(p, &pics[..k], cohort),
            );
            genuine += 1;
            for (h, t) in hits.iter_mut().zip(&thresholds) {
                for j in 0..3 {
                    h[j] += (x[j] <= t[j]) as usize;
                }
            }
        }
    }

    // Impostors: every unseen person who can make a side, not only those
    // with k + m images (a subject needs k images of one person, a probe m
    // of another), so that the rate rests on as many pairs of people as the
    // set holds; each pair of people weighs one in all.
    let subjects: Vec<Subject> = subsets(people, k, &mut Rng::new(11 + 100 * k as u64))
        .into_iter()
        .map(|(p, pics)| Subject::of(p, &pics, cohort))
        .collect();
    let probes: Vec<Side> = subsets(people, m, &mut Rng::new(13 + 100 * m as u64))
        .into_iter()
        .map(|(p, pics)| side(p, &pics, Some(cohort)))
        .collect();
    let subject_sides: Vec<Side> = subjects.iter().map(|s| s.mean.clone()).collect();
    let (sn, pn) = (
        sides_per_person(people, &subject_sides),
        sides_per_person(people, &probes),
    );
    let weight = |a: usize, b: usize| 1.0 / (sn[a] * pn[b] + sn[b] * pn[a]).max(1.0);
    let pair_of = |a: usize, b: usize| (a.min(b), a.max(b));
    let parts = interleaved(
        probes.len(),
        threads,
        || {
            (
                vec![[0u64; 3]; thresholds.len()],
                vec![[0f64; 3]; thresholds.len()],
                0u64,
                Vec::new(),
            )
        },
        |i, (beyond, shares, total, who)| {
            let a = &probes[i];
            for b in &subjects {
                if people.groups[a.person] == people.groups[b.mean.person] {
                    continue;
                }
                *total += 1;
                let x = measures(a, b);
                let w = weight(a.person, b.mean.person);
                for (t, th) in thresholds.iter().enumerate() {
                    for j in 0..3 {
                        if x[j] <= th[j] {
                            beyond[t][j] += 1;
                            shares[t][j] += w;
                            who.push((t, j, pair_of(a.person, b.mean.person)));
                        }
                    }
                }
            }
        },
    );
    let mut beyond = vec![[0u64; 3]; thresholds.len()];
    let mut shares = vec![[0f64; 3]; thresholds.len()];
    let mut total = 0;
    let mut pairs_beyond: Vec<[HashSet<(usize, usize)>; 3]> =
        (0..thresholds.len()).map(|_| Default::default()).collect();
    for (b, sh, n, who) in parts {
        total += n;
        for t in 0..thresholds.len() {
            for j in 0..3 {
                beyond[t][j] += b[t][j];
                shares[t][j] += sh[t][j];
            }
        }
        for (t, j, pair) in who {
            pairs_beyond[t][j].insert(pair);
        }
    }
    let pairs = unordered_pairs(people, &sn, &pn);
    let names = ["single image", "fused", "fused + AS-norm"];
    let methods = (0..3)
        .map(|j| {
            let beyond_j: Vec<u64> = beyond.iter().map(|b| b[j]).collect();
            let mut figures = RateFigures::from_counts(
                &hits.iter().map(|h| h[j] as u64).collect::<Vec<_>>(),
                genuine as u64,
                &beyond_j,
                total,
            );
            let shares_j: Vec<f64> = shares.iter().map(|s| s[j]).collect();
            let name = |p: usize| people.names[p];
            figures.by_people = Some(
                ByPeople::new(
                    pairs,
                    pairs_beyond.iter().map(|p| p[j].len() as u64).collect(),
                    &shares_j,
                )
                .naming(
                    pairs_beyond
                        .iter()
                        .map(|p| few_beyond(p[j].iter().map(|&(a, b)| (name(a), name(b)))))
                        .collect(),
                ),
            );
            MethodFigures {
                method: names[j],
                figures,
            }
        })
        .collect();
    FusionRow {
        references: k,
        frames: m,
        people: persons,
        genuine,
        impostor: total,
        methods,
    }
}

/// A subject as the measurement compares it: the mean of its images (for
/// the raw fused method) and each image on its own (for the matcher's).
struct Subject<'a> {
    mean: Side<'a>,
    images: Vec<Side<'a>>,
}

impl<'a> Subject<'a> {
    fn of(person: usize, pics: &[&'a [f32]], cohort: CohortUse) -> Self {
        Self {
            mean: side(person, pics, Some(cohort)),
            images: pics
                .iter()
                .map(|v| side(person, &[*v], Some(cohort)))
                .collect(),
        }
    }
}

/// Unordered pairs of people of different groups where one has a subject
/// side and the other a probe side (`subjects[p]`, `probes[p]`: sides per
/// person).
fn unordered_pairs(people: &People, subjects: &[f64], probes: &[f64]) -> u64 {
    let n = people.names.len();
    let mut count = 0u64;
    for a in 0..n {
        for b in a + 1..n {
            let meet =
                (subjects[a] > 0.0 && probes[b] > 0.0) || (subjects[b] > 0.0 && probes[a] > 0.0);
            if meet && people.groups[a] != people.groups[b] {
                count += 1;
            }
        }
    }
    count
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn the_cluster_is_the_connected_group_with_most_pairs() {
        // 1-2-3 chained by three pairs; 7-8 by two (the same two people twice).
        let pairs = [
            (1, 2, 0.1),
            (7, 8, 0.2),
            (2, 3, 0.3),
            (7, 8, 0.4),
            (3, 1, 0.5),
            (4, 5, 0.6),
        ];
        let c = largest_cluster(&pairs);
        assert_eq!(c, HashSet::from([1, 2, 3]));
        assert_eq!(share_within(&pairs, &c), 0.5);
        assert!(largest_cluster(&[]).is_empty());
        assert_eq!(share_within(&[(4, 5, 0.1), (1, 9, 0.2)], &c), 0.0);
    }
}
