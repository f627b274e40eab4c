//! `lfr calibrate`: compute the score calibration of the current algorithm
//! from a labelled face set.

use std::path::PathBuf;

use anyhow::{Context, Result};
use lfr_engine::calibration::Calibration;
use lfr_engine::fusion::{MAX_FRAMES, MAX_REFERENCES};
use lfr_eval::exclusions::Exclusions;
use lfr_eval::lfw_bench::calibration_impostors;
use lfr_eval::people::{Half, People};

use crate::Global;
use crate::cmds::bench::{LfwData, describe_lfw};
use crate::progress::Progress;

/// Compute the Similarity Score calibration from all impostor pairs of LFW
/// people whose names begin with A to M (people N to Z are kept for
/// evaluation), less the exclusion list, and the fused calibration (cohort
/// and multi-image curves) from the same people.
#[derive(clap::Args, Debug)]
pub struct CalibrateArgs {
    #[command(flatten)]
    pub data: LfwData,
    /// Where to write the single-image calibration (JSON).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Where to write the fused calibration (JSON): the AS-norm cohort and
    /// one curve per number of references and frames.
    #[arg(long, value_name = "FILE")]
    pub fusion_out: Option<PathBuf>,
}

pub fn run(g: &Global, args: CalibrateArgs) -> Result<()> {
    let (algorithm, set, _) = describe_lfw(g, &args.data)?;
    let threads = args.data.workers();
    eprintln!("computing impostor distances among people A-M...");
    let exclusions = Exclusions::lfw();
    let impostors = calibration_impostors(&set, &exclusions, threads);
    let n = impostors.len();
    let calibration = Calibration::fit(
        algorithm.clone(),
        format!(
            "LFW people A-M less lfr's exclusion list (crates/eval/data/lfw-exclusions.tsv): all {n} impostor pairs of the images in which a face was found"
        ),
        impostors,
    )?;
    std::fs::write(&args.out, calibration.to_json() + "\n")
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    println!(
        "calibration of {} from {n} impostor pairs written to {}",
        calibration.algorithm,
        args.out.display()
    );
    for s in [0.3, 0.4, 0.5, 0.6, 0.64, 0.7] {
        println!(
            "  score {s:.2} = distance {:.4} (false match rate {:.0e})",
            calibration.distance_at(s),
            Calibration::fmr_of_score(s)
        );
    }
    println!(
        "  scores above {:.3} are extrapolated beyond the data",
        calibration.extrapolated_above()
    );
    if let Some(out) = &args.fusion_out {
        let people = People::of(&set, Half::Calibration, Some(&exclusions));
        let progress = Progress::new("fitting fused curves", MAX_REFERENCES * MAX_FRAMES);
        let fusion = lfr_eval::fused::calibrate(&people, &algorithm, threads, &|done, _| {
            progress.set(done)
        })?;
        progress.finish();
        std::fs::write(out, fusion.to_json() + "\n")
            .with_context(|| format!("cannot write {}", out.display()))?;
        println!(
            "fused calibration ({} cohort entries, {} curves) written to {}",
            fusion.cohort.vectors.len(),
            fusion.curves.len(),
            out.display()
        );
        for c in &fusion.curves {
            println!(
                "  {} reference(s), {} frame(s): {} comparisons, {} pairs of people; scores above {:.3} extrapolated",
                c.references,
                c.frames,
                c.calibration.impostor_pairs,
                c.subject_pairs,
                c.calibration.extrapolated_above()
            );
        }
    }
    Ok(())
}
