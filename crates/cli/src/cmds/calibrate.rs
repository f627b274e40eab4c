//! `lfr calibrate`: compute the score calibration of the current algorithm
//! from a labelled face set.

use std::path::PathBuf;

use anyhow::{Context, Result};
use lfr_engine::calibration::Calibration;
use lfr_eval::lfw_bench::calibration_impostors;

use crate::Global;
use crate::cmds::bench::{LfwData, describe_lfw};

/// Compute the Similarity Score calibration from all impostor pairs of LFW
/// people whose names begin with A to M (people N to Z are kept for evaluation).
#[derive(clap::Args, Debug)]
pub struct CalibrateArgs {
    #[command(flatten)]
    pub data: LfwData,
    /// Where to write the calibration (JSON).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

pub fn run(g: &Global, args: CalibrateArgs) -> Result<()> {
    let (algorithm, set, _) = describe_lfw(g, &args.data)?;
    let threads = args.data.workers();
    eprintln!("computing impostor distances among people A-M...");
    let impostors = calibration_impostors(&set, threads);
    let n = impostors.len();
    let calibration = Calibration::fit(
        algorithm,
        format!("LFW people A-M, all {n} impostor pairs of the images in which a face was found"),
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
    Ok(())
}
