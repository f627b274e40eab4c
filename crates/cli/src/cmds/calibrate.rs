//! `lfr calibrate`: compute the score calibration of the current algorithm
//! from a labelled face set: the built-in model's into files, a package's
//! into the package itself.

use std::path::PathBuf;

use anyhow::{Context, Result};
use lfr_engine::calibration::{Calibration, KNOT_STEP};
use lfr_engine::fusion::{MAX_FRAMES, MAX_REFERENCES};
use lfr_engine::package::{CALIBRATION_FILE, FUSED_CALIBRATION_FILE};
use lfr_eval::exclusions::Exclusions;
use lfr_eval::lfw_bench::calibration_impostors;
use lfr_eval::people::{Half, People};

use crate::Global;
use crate::cmds::bench::{LfwData, describe_lfw};
use crate::progress::Progress;
use crate::recognition::model_files;

/// Compute the Similarity Score calibration from all impostor pairs of LFW
/// people whose names begin with A to M (people N to Z are kept for
/// evaluation), less the exclusion list, and the fused calibration (cohort
/// and multi-image curves) from the same people.
#[derive(clap::Args, Debug)]
pub struct CalibrateArgs {
    #[command(flatten)]
    pub data: LfwData,
    /// Where to write the single-image calibration (JSON). With a package
    /// (`--model ID`) the default is the package's own `calibration.json`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Where to write the fused calibration (JSON): the AS-norm cohort and
    /// one curve per number of references and frames.
    #[arg(long, value_name = "FILE")]
    pub fusion_out: Option<PathBuf>,
    /// Also compute the fused calibration, into the package (with `--model ID`).
    #[arg(long)]
    pub fused: bool,
}

pub fn run(g: &Global, args: CalibrateArgs) -> Result<()> {
    let files = model_files(g)?;
    let package = files.recogniser.dir();
    let out = match (&args.out, package) {
        (Some(p), _) => Target::File(p.clone()),
        (None, Some(dir)) => Target::Package(dir.to_path_buf(), CALIBRATION_FILE),
        (None, None) => anyhow::bail!(
            "give --out FILE for the built-in model's calibration (the shipped one is crates/engine/calibration/), or --model ID to calibrate a package"
        ),
    };
    let fusion_out = match (&args.fusion_out, package, args.fused) {
        (Some(p), _, _) => Some(Target::File(p.clone())),
        (None, Some(dir), true) => Some(Target::Package(dir.to_path_buf(), FUSED_CALIBRATION_FILE)),
        (None, None, true) => anyhow::bail!("--fused needs --model ID; use --fusion-out FILE"),
        _ => None,
    };
    let (algorithm, set, _) = describe_lfw(g, &args.data, false)?;
    let threads = args.data.workers();
    eprintln!("computing impostor distances among people A-M...");
    let exclusions = Exclusions::lfw();
    let impostors = calibration_impostors(&set, &exclusions, threads);
    let n = impostors.len();
    eprintln!("measuring the margin between the two halves of people A-M...");
    let margin = lfr_eval::margin::measure(&set, &algorithm, &exclusions, threads)?;
    print_margin(&margin);
    let calibration = Calibration::fit_by_people(
        algorithm.clone(),
        format!(
            "LFW people A-M less lfr's exclusion list (crates/eval/data/lfw-exclusions.tsv): all {n} impostor pairs of the images in which a face was found, each pair of people weighing one; rates raised by the margin between the halves of A-M"
        ),
        impostors,
        KNOT_STEP,
    )?
    .with_margin(margin.factor);
    out.write(&(calibration.to_json() + "\n"))?;
    println!(
        "calibration of {} from {n} impostor pairs ({} pairs of people) written to {}",
        calibration.algorithm,
        calibration.people_pairs.unwrap_or(0),
        out.path().display()
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
    if let Some(out) = &fusion_out {
        let people = People::of(&set, Half::Calibration, Some(&exclusions));
        let progress = Progress::new("fitting fused curves", MAX_REFERENCES * MAX_FRAMES);
        let fusion = lfr_eval::fused::calibrate(&people, &algorithm, threads, &|done, _| {
            progress.set(done)
        })
        .with_context(|| {
            format!(
                "the fused calibration needs more people with several images than the {} images described hold; use more (or all) of the set",
                set.len()
            )
        })?
        .with_margin(margin.factor);
        progress.finish();
        out.write(&(fusion.to_json() + "\n"))?;
        println!(
            "fused calibration ({} cohort entries, {} curves) written to {}",
            fusion.cohort.vectors.len(),
            fusion.curves.len(),
            out.path().display()
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

fn print_margin(m: &lfr_eval::margin::Margin) {
    println!("margin: each half of people A-M measured with the calibration fitted on the other");
    for p in &m.points {
        println!(
            "  fitted on {:<34} score {:.2}: nominal {:.0e}, measured {:.2e} ({:.2}x) over {} pairs of people{}",
            p.fitted_on,
            p.score,
            p.nominal_fmr,
            p.measured_fmr,
            p.measured_fmr / p.nominal_fmr,
            p.pairs,
            if p.counted {
                ""
            } else {
                " (too few expected to count)"
            }
        );
    }
    println!("  every false match rate is raised {:.2}-fold", m.factor);
}

/// Where a calibration goes: a file named on the command line, or a file
/// of an installed package (written atomically).
enum Target {
    File(PathBuf),
    Package(PathBuf, &'static str),
}

impl Target {
    fn path(&self) -> PathBuf {
        match self {
            Target::File(p) => p.clone(),
            Target::Package(dir, name) => dir.join(name),
        }
    }

    fn write(&self, text: &str) -> Result<()> {
        match self {
            Target::File(p) => {
                std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display()))
            }
            Target::Package(dir, name) => Ok(lfr_models::packages::write_file(
                dir,
                name,
                text.as_bytes(),
            )?),
        }
    }
}
