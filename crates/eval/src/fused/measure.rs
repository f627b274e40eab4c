//! Measuring the fused curves on people N-Z (`lfr bench lfw`).

use super::*;

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
pub(super) fn unordered_pairs(people: &People, subjects: &[f64], probes: &[f64]) -> u64 {
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
