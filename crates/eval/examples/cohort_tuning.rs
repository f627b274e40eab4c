//! How large the AS-norm cohort must be, measured on the calibration people
//! only: the cohort is built from LFW people A-F and the normalised
//! statistic is judged on people G-M (people N-Z are never looked at).
//!
//! ```sh
//! cargo run --release -p lfr-eval --example cohort_tuning -- lfw-default.bin
//! ```
//! The cache is the one `lfr bench lfw --cache` writes. For each cohort
//! (every `stride`-th person, `top_k` neighbours) it prints the true match
//! rate of G-M's genuine pairs (over all pairs / averaged over people, as
//! George W Bush alone holds most of G-M's genuine pairs) at the thresholds
//! where G-M's own impostor pairs reach 1e-4, 1e-5 and 1e-6 (in-sample
//! thresholds: a ranking measure, not a calibration).

use lfr_engine::normalise::Cohort;
use lfr_eval::exclusions::Exclusions;
use lfr_eval::faceset::{self, Described};
use lfr_eval::fused::{self, CohortUse};
use lfr_eval::people::{Half, People};
use lfr_eval::verification::match_rate_by_person;

/// TMR over pairs and averaged over people at the threshold where a share
/// `fmr` of `impostor` (sorted) lies at or below it.
fn tmr_at(genuine: &[(usize, f32)], impostor: &[f32], fmr: f64) -> String {
    let k = ((fmr * impostor.len() as f64).round() as usize).max(1);
    let t = impostor[k - 1];
    let hits = genuine.iter().filter(|g| g.1 <= t).count();
    format!(
        "{:.3}/{:.3}",
        hits as f64 / genuine.len() as f64,
        match_rate_by_person(genuine, t)
    )
}

fn row(genuine: &[(usize, f32)], mut impostor: Vec<f32>) -> Vec<String> {
    impostor.sort_unstable_by(f32::total_cmp);
    [1e-4, 1e-5, 1e-6]
        .iter()
        .map(|&f| tmr_at(genuine, &impostor, f))
        .collect()
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("give the descriptor cache written by `lfr bench lfw --cache FILE`");
    let algorithm = lfr_engine::pipeline::algorithm(lfr_engine::align::AlignMethod::YuNet5);
    let set: Vec<Described> = faceset::load(path.as_ref(), &algorithm)
        .expect("readable cache")
        .expect("a cache of the default algorithm");
    let exclusions = Exclusions::lfw();
    let first = |d: &Described| d.id.person.chars().next().unwrap_or('Z');
    let af: Vec<Described> = set.iter().filter(|d| first(d) <= 'F').cloned().collect();
    let gm: Vec<Described> = set
        .iter()
        .filter(|d| ('G'..='M').contains(&first(d)))
        .cloned()
        .collect();
    let cohort_people = People::of(&af, Half::Calibration, Some(&exclusions));
    let test = People::of(&gm, Half::Calibration, Some(&exclusions));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let means = cohort_people.means();
    println!(
        "cohort from {} people A-F; judged on {} people G-M ({} images)",
        cohort_people.names.len(),
        test.names.len(),
        test.image_count()
    );
    println!(
        "{:>6} {:>5} {:>7} {:>14} {:>14} {:>14}",
        "stride", "top_k", "entries", "TMR@1e-4", "TMR@1e-5", "TMR@1e-6"
    );
    let (g, i) = fused::all_pairs(&test, None, threads);
    let cells = row(&g, i.into_iter().map(|x| x.statistic).collect());
    println!(
        "{:>6} {:>5} {:>7} {:>14} {:>14} {:>14}",
        "raw", "-", "-", cells[0], cells[1], cells[2]
    );
    for (stride, top_k) in [
        (2, 50),
        (2, 100),
        (4, 25),
        (4, 50),
        (4, 100),
        (8, 25),
        (8, 50),
        (8, 100),
    ] {
        let cohort = Cohort::from_people(&means, stride, top_k).expect("cohort");
        let (g, i) = fused::all_pairs(&test, Some(CohortUse::unseen(&cohort)), threads);
        let cells = row(&g, i.into_iter().map(|x| x.statistic).collect());
        println!(
            "{stride:>6} {top_k:>5} {:>7} {:>14} {:>14} {:>14}",
            cohort.vectors.len(),
            cells[0],
            cells[1],
            cells[2]
        );
    }
}
