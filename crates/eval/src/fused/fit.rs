//! Fitting the fused curves on people A-M (`lfr calibrate --fusion-out`).

use super::*;

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
