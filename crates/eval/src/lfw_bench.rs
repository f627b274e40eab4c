//! `lfr bench lfw`: the standard LFW accuracy, and what the calibrated
//! scale means on people the calibration never saw, before and after each
//! of lfr's accuracy steps (clean data, several pictures, normalisation).

use std::collections::HashMap;

use lfr_engine::calibration::{Calibration, CalibrationError, PairComparison};
use lfr_engine::fusion::FusionCalibration;
use serde::Serialize;

use crate::exclusions::{Exclusions, Kind};
use crate::faceset::Described;
use crate::fused::{self, FusionRow, Impostor, Scorers};
use crate::lfw::{ImageId, Protocol};
use crate::pairs;
use crate::people::{Half, People};
use crate::verification::{
    ByPeople, FoldedAccuracy, RateFigures, Trial, false_alert_rate, few_beyond, match_rate,
    match_rate_by_person, ten_fold, wilson95,
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
    /// True match rate over all genuine pairs of people N-Z, with its 95 %
    /// Wilson interval (pairs share images, so the interval is a lower
    /// bound on the uncertainty).
    pub tmr_pairs: f64,
    pub tmr_pairs_ci: (f64, f64),
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

/// TMR and measured FMR of one way of scoring single images, on all
/// genuine and impostor pairs of people N-Z.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub name: &'static str,
    pub genuine_pairs: usize,
    pub impostor_pairs: u64,
    pub points: Vec<OperatingPoint>,
    /// The same false matches at each point, counted by pairs of people.
    pub by_people: ByPeople,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExclusionSummary {
    pub same_person: usize,
    pub images: usize,
    pub duplicates: usize,
    pub images_left_out_nz: usize,
}

/// One rung of the ladder: a way of scoring, with the figures at each
/// headline threshold (FMR 1e-4, 1e-5, 1e-6 and score 0.64).
#[derive(Debug, Clone, Serialize)]
pub struct Rung {
    pub name: String,
    /// What was compared.
    pub population: String,
    pub genuine: u64,
    pub impostor: u64,
    pub scores: Vec<f64>,
    #[serde(flatten)]
    pub figures: RateFigures,
}

/// How much of the closest impostor pairs one look-alike cluster holds
/// (see [`crate::lookalike::largest_cluster`]).
#[derive(Debug, Clone, Serialize)]
pub struct LookAlikes {
    /// Closest impostor pairs looked at, by each measure.
    pub pairs: usize,
    /// The cluster of the raw closest pairs: its people.
    pub cluster: Vec<String>,
    /// Share of the raw closest pairs within that cluster.
    pub share_raw: f64,
    /// Share of the AS-norm closest pairs within the same people.
    pub share_normalised: f64,
    /// The cluster of the AS-norm closest pairs, and its share of them.
    pub cluster_normalised: Vec<String>,
    pub share_normalised_own: f64,
}

/// One of the closest impostor pairs among people N-Z.
#[derive(Debug, Clone, Serialize)]
pub struct ClosePair {
    pub a: String,
    pub b: String,
    pub statistic: f32,
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
    pub exclusions: ExclusionSummary,
    pub eval_people: usize,
    pub eval_images: usize,
    pub eval_genuine_pairs: usize,
    pub eval_impostor_pairs: u64,
    /// Share of genuine pairs belonging to the most photographed person.
    pub largest_person_share: f64,
    pub largest_person: String,
    pub calibration_pairs: u64,
    /// The shipped calibration on clean people N-Z (the headline table).
    pub points: Vec<OperatingPoint>,
    /// Single images, step by step: before cleaning, clean, clean + AS-norm.
    pub steps: Vec<Step>,
    /// Several pictures per side.
    pub fusion: Vec<FusionRow>,
    /// Step by step at the headline thresholds, ending with fusion at the
    /// ladder's (references, frames).
    pub ladder: Vec<Rung>,
    /// The closest impostor pairs of clean N-Z, raw and normalised.
    pub closest_raw: Vec<ClosePair>,
    pub closest_normalised: Vec<ClosePair>,
    pub look_alikes: Option<LookAlikes>,
    /// Whether each shipped curve holds on N-Z at each headline threshold.
    pub checks: Vec<Check>,
}

/// One shipped curve at one threshold, on people N-Z: the false match rate
/// measured by pairs of people against the rate the score stands for.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// "single image" (the calibration) or "fused + AS-norm" (a fused curve).
    pub method: String,
    pub references: usize,
    pub frames: usize,
    pub score: f64,
    pub nominal_fmr: f64,
    pub pairs: u64,
    pub pairs_beyond: u64,
    pub measured_fmr: f64,
    pub measured_fmr_ci: (f64, f64),
    /// The nominal rate is not below the measured rate's 95 % interval.
    pub holds: bool,
    /// The pairs of people beyond, when there are few.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub who: Vec<String>,
}

impl Check {
    fn all(
        method: &str,
        (references, frames): (usize, usize),
        scores: &[f64],
        p: &ByPeople,
    ) -> Vec<Check> {
        scores
            .iter()
            .enumerate()
            .map(|(i, &score)| {
                let nominal_fmr = Calibration::fmr_of_score(score);
                Check {
                    method: method.to_string(),
                    references,
                    frames,
                    score,
                    nominal_fmr,
                    pairs: p.pairs,
                    pairs_beyond: p.pairs_beyond[i],
                    measured_fmr: p.measured_fmr[i],
                    measured_fmr_ci: p.measured_fmr_ci[i],
                    holds: p.holds(i, nominal_fmr),
                    who: p.named_beyond(i).to_vec(),
                }
            })
            .collect()
    }
}

/// The checks of every shipped curve the bench measured: the single-image
/// calibration, the (1, 1) AS-norm curve, and each fusion row's AS-norm curve.
fn checks(scores: &[f64], clean: &Step, normalised: &Step, rows: &[FusionRow]) -> Vec<Check> {
    let mut out = Check::all("single image", (1, 1), scores, &clean.by_people);
    out.extend(Check::all(
        "+ AS-norm",
        (1, 1),
        scores,
        &normalised.by_people,
    ));
    for row in rows {
        for m in row.methods.iter().filter(|m| m.method == "fused + AS-norm") {
            if let Some(p) = &m.figures.by_people {
                out.extend(Check::all(
                    m.method,
                    (row.references, row.frames),
                    scores,
                    p,
                ));
            }
        }
    }
    out
}

/// What the bench needs besides the descriptors.
pub struct BenchInputs<'a> {
    pub protocol: &'a Protocol,
    pub calibration: &'a Calibration,
    pub fusion: &'a FusionCalibration,
    pub exclusions: &'a Exclusions,
    /// Random enrol/probe splits per person for the fusion rows.
    pub splits: usize,
    /// Closest impostor pairs to list and to measure the look-alike cluster on.
    pub closest: usize,
    /// (references, frames) of the ladder's fusion rung.
    pub ladder: (usize, usize),
    pub threads: usize,
}

/// (references, frames) of the fusion rows.
pub const FUSION_ROWS: [(usize, usize); 7] =
    [(1, 1), (2, 1), (3, 1), (1, 3), (2, 2), (3, 3), (4, 4)];

fn points(
    scores: &[f64],
    distances: &[f32],
    genuine: &[(usize, f32)],
    impostor_sorted: &[Impostor],
) -> Vec<OperatingPoint> {
    let genuine_d: Vec<f32> = genuine.iter().map(|g| g.1).collect();
    scores
        .iter()
        .zip(distances)
        .map(|(&score, &distance)| {
            let beyond = impostor_sorted.partition_point(|i| i.statistic <= distance) as u64;
            let n = impostor_sorted.len() as u64;
            let fmr = Calibration::fmr_of_score(score);
            OperatingPoint {
                score,
                calibrated_fmr: fmr,
                distance,
                tmr_pairs: match_rate(&genuine_d, distance),
                tmr_pairs_ci: wilson95(
                    genuine_d.iter().filter(|&&d| d <= distance).count() as u64,
                    genuine_d.len() as u64,
                ),
                tmr_persons: match_rate_by_person(genuine, distance),
                impostors_beyond: beyond,
                measured_fmr: beyond as f64 / n.max(1) as f64,
                measured_fmr_ci: wilson95(beyond, n),
                false_alert_rate_1k: false_alert_rate(fmr, 1_000),
                false_alert_rate_10k: false_alert_rate(fmr, 10_000),
            }
        })
        .collect()
}

/// False matches beyond each distance counted by pairs of people: each
/// pair weighs the same, a comparison counting for one over the number of
/// comparisons of its two people (all their images against all).
fn by_people(distances: &[f32], impostor_sorted: &[Impostor], people: &People) -> ByPeople {
    let (mut pairs_beyond, mut shares, mut named) = (Vec::new(), Vec::new(), Vec::new());
    for &distance in distances {
        let k = impostor_sorted.partition_point(|i| i.statistic <= distance);
        let mut who: HashMap<(u32, u32), u64> = HashMap::new();
        for i in &impostor_sorted[..k] {
            *who.entry(i.pair).or_default() += 1;
        }
        let images = |p: u32| people.images[p as usize].len();
        shares.push(
            who.iter()
                .map(|(&(a, b), &c)| c as f64 / (images(a) * images(b)).max(1) as f64)
                .sum(),
        );
        pairs_beyond.push(who.len() as u64);
        let name = |p: u32| people.names[p as usize];
        named.push(few_beyond(who.keys().map(|&(a, b)| (name(a), name(b)))));
    }
    ByPeople::new(people.pairs_of_people(), pairs_beyond, &shares).naming(named)
}

fn step(
    name: &'static str,
    scores: &[f64],
    distance: &dyn Fn(f64) -> f32,
    genuine: &[(usize, f32)],
    mut impostor: Vec<Impostor>,
    people: &People,
) -> Step {
    impostor.sort_unstable_by(|a, b| a.statistic.total_cmp(&b.statistic));
    let distances: Vec<f32> = scores.iter().map(|&s| distance(s)).collect();
    Step {
        name,
        genuine_pairs: genuine.len(),
        impostor_pairs: impostor.len() as u64,
        points: points(scores, &distances, genuine, &impostor),
        by_people: by_people(&distances, &impostor, people),
    }
}

pub fn run(
    set: &[Described],
    inputs: &BenchInputs,
    progress: &dyn Fn(&str),
) -> Result<LfwReport, CalibrationError> {
    let BenchInputs {
        protocol,
        calibration,
        fusion,
        exclusions,
        threads,
        ..
    } = *inputs;
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

    let fmr_scores: Vec<f64> = FMRS.iter().map(|f| -f.log10() / 10.0).collect();
    let mut headline_scores = fmr_scores.clone();
    headline_scores.push(0.64);

    // Step 0: as lfr stood before cleaning: every image, calibrated on every A-M pair.
    progress("step 0: every image, calibration on every A-M pair");
    let all_am = People::of(set, Half::Calibration, None);
    let before_cal = Calibration::fit(
        calibration.algorithm.clone(),
        "LFW people A-M, every image",
        pairs::impostor(&all_am.labelled(), threads),
    )?;
    drop(all_am);
    let all_nz = People::of(set, Half::Evaluation, None);
    let (g0, i0) = fused::all_pairs(&all_nz, None, threads);
    let before = step(
        "baseline (raw list)",
        &headline_scores,
        &|s| before_cal.distance_at(s),
        &g0,
        i0,
        &all_nz,
    );
    let images_all_nz = all_nz.image_count();
    drop(all_nz);

    // Step 1: clean data, the shipped calibration (fitted on clean A-M).
    // Step 3 on single images: AS-norm with the shipped cohort and (1, 1) curve.
    let nz = People::of(set, Half::Evaluation, Some(exclusions));
    let (clean, normalised) = single_image_steps(
        &nz,
        &headline_scores,
        calibration,
        fusion,
        threads,
        &|what| progress(&format!("steps 1 and 3: {what}")),
    )?;

    // Step 2: several pictures. Raw fused curves are fitted here on clean A-M
    // with the same code as `lfr calibrate`, to show fusion without normalisation.
    progress("step 2: fitting raw fused curves on clean A-M");
    let am = People::of(set, Half::Calibration, Some(exclusions));
    let raw = fused::fit_curves(
        &am,
        &calibration.algorithm,
        None,
        Some(&FUSION_ROWS),
        threads,
        &|_, _| {},
    )?;
    drop(am);
    let scorers = Scorers {
        single: calibration,
        raw: &raw,
        normalised: fusion,
    };
    let mut rows: Vec<(usize, usize)> = FUSION_ROWS.to_vec();
    if !rows.contains(&inputs.ladder) {
        rows.push(inputs.ladder);
    }
    let fusion_rows: Vec<FusionRow> = rows
        .iter()
        .map(|&(k, m)| {
            progress(&format!("step 2: {k} reference(s) against {m} frame(s)"));
            fused::evaluate(
                &nz,
                k,
                m,
                inputs.splits,
                &headline_scores,
                &scorers,
                threads,
            )
        })
        .collect();

    let name = |p: usize| nz.names[p].to_string();
    let listed = |pairs: &[(usize, usize, f32)]| {
        pairs
            .iter()
            .map(|&(a, b, s)| ClosePair {
                a: name(a),
                b: name(b),
                statistic: s,
            })
            .collect::<Vec<_>>()
    };
    let names = |c: &std::collections::HashSet<usize>| {
        let mut v: Vec<String> = c.iter().map(|&p| name(p)).collect();
        v.sort();
        v
    };
    let (closest_raw, closest_normalised, look_alikes) = if inputs.closest > 0 {
        progress("closest impostor pairs");
        let raw = crate::lookalike::closest_impostors(&nz, None, inputs.closest);
        let norm = crate::lookalike::closest_impostors(
            &nz,
            Some(fused::CohortUse::unseen(&fusion.cohort)),
            inputs.closest,
        );
        let cluster = crate::lookalike::largest_cluster(&raw);
        let cluster_norm = crate::lookalike::largest_cluster(&norm);
        let look = LookAlikes {
            pairs: inputs.closest,
            cluster: names(&cluster),
            share_raw: crate::lookalike::share_within(&raw, &cluster),
            share_normalised: crate::lookalike::share_within(&norm, &cluster),
            cluster_normalised: names(&cluster_norm),
            share_normalised_own: crate::lookalike::share_within(&norm, &cluster_norm),
        };
        (listed(&raw), listed(&norm), Some(look))
    } else {
        (Vec::new(), Vec::new(), None)
    };
    let mut ladder: Vec<Rung> = [&before, &clean, &normalised]
        .into_iter()
        .zip([
            "N-Z, every image; calibration on every A-M pair",
            "N-Z less the exclusion list; shipped calibration",
            "N-Z less the exclusion list; shipped cohort and (1, 1) curve",
        ])
        .map(|(s, population)| Rung {
            name: s.name.to_string(),
            population: population.to_string(),
            genuine: s.genuine_pairs as u64,
            impostor: s.impostor_pairs,
            scores: headline_scores.clone(),
            figures: RateFigures {
                tmr: s.points.iter().map(|p| p.tmr_pairs).collect(),
                tmr_ci: s.points.iter().map(|p| p.tmr_pairs_ci).collect(),
                impostors_beyond: s.points.iter().map(|p| p.impostors_beyond).collect(),
                measured_fmr: s.points.iter().map(|p| p.measured_fmr).collect(),
                measured_fmr_ci: s.points.iter().map(|p| p.measured_fmr_ci).collect(),
                by_people: Some(s.by_people.clone()),
            },
        })
        .collect();
    let (lk, lm) = inputs.ladder;
    if let Some(row) = fusion_rows
        .iter()
        .find(|r| (r.references, r.frames) == (lk, lm))
    {
        for mth in &row.methods {
            ladder.push(Rung {
                name: format!("{} ({lk} refs, {lm} frames)", mth.method),
                population: format!(
                    "N-Z people with {} or more images ({}), {} random splits each",
                    lk + lm,
                    row.people,
                    inputs.splits
                ),
                genuine: row.genuine as u64,
                impostor: row.impostor,
                scores: headline_scores.clone(),
                figures: mth.figures.clone(),
            });
        }
    }

    // Genuine pairs per person: every pair of one person's images.
    let per_person: Vec<usize> = nz
        .images
        .iter()
        .map(|v| v.len() * v.len().saturating_sub(1) / 2)
        .collect();
    let (top, top_n) = per_person
        .iter()
        .enumerate()
        .max_by_key(|x| x.1)
        .map(|(i, n)| (nz.names[i].to_string(), *n))
        .unwrap_or_default();

    let checks = checks(&headline_scores, &clean, &normalised, &fusion_rows);
    Ok(LfwReport {
        algorithm: calibration.algorithm.to_string(),
        images: set.len(),
        images_without_face: set.iter().filter(|d| d.vector.is_none()).count(),
        images_with_several_faces: set.iter().filter(|d| d.faces > 1).count(),
        accuracy: mean,
        accuracy_std: std,
        accuracy_per_fold: per_fold,
        pairs_missing_a_face: missing,
        exclusions: ExclusionSummary {
            same_person: exclusions.count(Kind::SamePerson),
            images: exclusions.count(Kind::Image),
            duplicates: exclusions.count(Kind::Duplicate),
            images_left_out_nz: images_all_nz - nz.image_count(),
        },
        eval_people: nz.names.len(),
        eval_images: nz.image_count(),
        eval_genuine_pairs: clean.genuine_pairs,
        eval_impostor_pairs: clean.impostor_pairs,
        largest_person_share: top_n as f64 / clean.genuine_pairs.max(1) as f64,
        largest_person: top,
        calibration_pairs: calibration.impostor_pairs,
        points: clean.points.clone(),
        steps: vec![before, clean, normalised],
        fusion: fusion_rows,
        ladder,
        closest_raw,
        closest_normalised,
        look_alikes,
        checks,
    })
}

/// The checks alone: whether each shipped curve holds on clean people N-Z
/// (the single-image calibration, the (1, 1) AS-norm curve and the
/// matcher's rule for each fusion row). Needs descriptors of people N-Z
/// only: nothing is fitted.
pub fn checks_on_unseen(
    set: &[Described],
    calibration: &Calibration,
    fusion: &FusionCalibration,
    exclusions: &Exclusions,
    splits: usize,
    threads: usize,
    progress: &dyn Fn(&str),
) -> Result<Vec<Check>, CalibrationError> {
    let mut scores: Vec<f64> = FMRS.iter().map(|f| -f.log10() / 10.0).collect();
    scores.push(0.64);
    let nz = People::of(set, Half::Evaluation, Some(exclusions));
    let (clean, normalised) =
        single_image_steps(&nz, &scores, calibration, fusion, threads, progress)?;
    let scorers = Scorers {
        single: calibration,
        raw: &[],
        normalised: fusion,
    };
    let rows: Vec<FusionRow> = FUSION_ROWS
        .iter()
        .map(|&(k, m)| {
            progress(&format!("{k} reference(s) against {m} frame(s)"));
            fused::evaluate(&nz, k, m, splits, &scores, &scorers, threads)
        })
        .collect();
    Ok(checks(&scores, &clean, &normalised, &rows))
}

/// One image each side on clean people N-Z: with the shipped single-image
/// calibration, and with AS-norm on the shipped cohort and (1, 1) curve.
fn single_image_steps(
    nz: &People,
    scores: &[f64],
    calibration: &Calibration,
    fusion: &FusionCalibration,
    threads: usize,
    progress: &dyn Fn(&str),
) -> Result<(Step, Step), CalibrationError> {
    progress("single images, shipped calibration");
    let (genuine, impostor) = fused::all_pairs(nz, None, threads);
    let clean = step(
        "+ exclusions",
        scores,
        &|s| calibration.distance_at(s),
        &genuine,
        impostor,
        nz,
    );
    progress("single images, AS-norm");
    let one = fusion.curve(1, 1).ok_or(CalibrationError::Invalid(
        "fused calibration lacks the (1, 1) curve".into(),
    ))?;
    let (gn, inorm) = fused::all_pairs(nz, Some(fused::CohortUse::unseen(&fusion.cohort)), threads);
    let normalised = step(
        "+ AS-norm",
        scores,
        &|s| one.calibration.distance_at(s),
        &gn,
        inorm,
        nz,
    );
    Ok((clean, normalised))
}

/// Every impostor pair of single images of clean people A-M, each pair of
/// people weighing one: the single-image calibration's input.
pub fn calibration_impostors(
    set: &[Described],
    exclusions: &Exclusions,
    threads: usize,
) -> Vec<PairComparison> {
    let am = People::of(set, Half::Calibration, Some(exclusions));
    fused::single_image_impostors(&am, threads)
}
