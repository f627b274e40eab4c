//! `lfr compare A B`: the Similarity Score between the faces of two photographs.

use std::path::PathBuf;

use anyhow::Result;
use lfr_engine::detect::load_image;

use crate::Global;
use crate::recognition::EngineArgs;

/// Compare the main faces of two photographs and print the Similarity Score.
#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// First photograph (JPEG or PNG).
    pub a: PathBuf,
    /// Second photograph.
    pub b: PathBuf,
    #[command(flatten)]
    pub engine: EngineArgs,
}

pub fn run(g: &Global, args: CompareArgs) -> Result<()> {
    let mut engine = args.engine.open_for_stills(g)?;
    let mut template = |p: &PathBuf| -> Result<_> {
        let img = load_image(p)?;
        Ok(engine.subject_template(&img, &p.display().to_string())?.1)
    };
    let (ta, tb) = (template(&args.a)?, template(&args.b)?);
    let distance = ta.distance(&tb)?;
    let calibration = engine.calibration()?;
    let score = calibration.score(distance);
    let fmr = lfr_engine::calibration::Calibration::fmr_of_score(score);
    if g.json {
        let v = serde_json::json!({
            "a": args.a, "b": args.b, "score": score, "distance": distance,
            "false_match_rate": fmr, "algorithm": engine.algorithm().as_str(),
            "extrapolated": score > calibration.extrapolated_above(),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        eprintln!(
            "distance {distance:.4}; strangers score this high with probability {fmr:.1e}{}",
            if score > calibration.extrapolated_above() {
                " (extrapolated beyond the calibration data)"
            } else {
                ""
            }
        );
        println!("{score:.4}");
    }
    Ok(())
}
