//! `lfr quality IMG`: is this photograph fit to be a watchlist reference image?

use std::path::PathBuf;

use anyhow::Result;
use lfr_engine::detect::load_image;
use lfr_engine::quality::{Grade, grade_reference};

use crate::Global;
use crate::recognition::EngineArgs;

/// Grade a watchlist image against the custody-photo ideal (frontal, neutral,
/// evenly lit, 20-100 px between the eyes) and say why it falls short.
#[derive(clap::Args, Debug)]
pub struct QualityArgs {
    /// The image (JPEG or PNG).
    pub image: PathBuf,
    #[command(flatten)]
    pub engine: EngineArgs,
}

pub fn run(g: &Global, args: QualityArgs) -> Result<()> {
    let mut engine = args.engine.open_for_stills(g)?;
    let img = load_image(&args.image)?;
    let faces = engine.detect(&img)?;
    let grade = grade_reference(&img, &faces);
    if g.json {
        let face = grade.face.map(|i| &faces[i]);
        let v = serde_json::json!({ "image": args.image, "grade": grade, "face": face });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("{}: {:?}", args.image.display(), grade.grade);
        if let Some(f) = grade.face.map(|i| &faces[i]) {
            let q = &f.quality;
            println!(
                "  face: {:.0} px between the eyes, yaw {:.0}°, pitch {:.0}°, roll {:.0}°, sharpness {:.3}, brightness {:.0}",
                q.inter_eye_px, q.pose.yaw, q.pose.pitch, q.pose.roll, q.sharpness, q.exposure.mean
            );
        }
        for r in &grade.reasons {
            println!("  - {r}");
        }
    }
    if grade.grade == Grade::Poor {
        std::process::exit(3);
    }
    Ok(())
}
