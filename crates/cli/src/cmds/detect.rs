//! `lfr detect IMG`: the faces in a photograph or frame, with quality measures.

use std::path::PathBuf;

use anyhow::{Context, Result};
use lfr_engine::detect::{DetectorConfig, load_image};

use crate::Global;
use crate::recognition::EngineArgs;

/// Find faces in an image and print each with its landmarks and quality measures.
#[derive(clap::Args, Debug)]
pub struct DetectArgs {
    /// The image (JPEG or PNG).
    pub image: PathBuf,
    /// Also write a copy of the image with boxes and landmarks drawn on it.
    #[arg(long, value_name = "OUT.png")]
    pub draw: Option<PathBuf>,
    /// Detection settings for live video (downscaled) instead of stills (full resolution).
    #[arg(long)]
    pub video: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
}

pub fn run(g: &Global, args: DetectArgs) -> Result<()> {
    let detector = if args.video {
        DetectorConfig::default()
    } else {
        DetectorConfig::stills()
    };
    let mut engine = lfr_engine::pipeline::Engine::open(
        &crate::recognition::model_files(g)?,
        &args.engine.config(detector),
    )?;
    let img = load_image(&args.image)?;
    let faces = engine.detect(&img)?;
    if g.json {
        println!("{}", serde_json::to_string_pretty(&faces)?);
    } else {
        println!(
            "{} face(s) in {} ({}x{})",
            faces.len(),
            args.image.display(),
            img.width(),
            img.height()
        );
        if !faces.is_empty() {
            println!(
                "{:>3}  {:>20}  {:>5}  {:>7}  {:>17}  {:>9}  {:>10}",
                "#",
                "box x,y,w,h",
                "score",
                "eyes px",
                "yaw/pitch/roll °",
                "sharpness",
                "brightness"
            );
        }
        for (i, f) in faces.iter().enumerate() {
            let q = &f.quality;
            println!(
                "{:>3}  {:>20}  {:>5.2}  {:>7.1}  {:>17}  {:>9.3}  {:>10.0}",
                i + 1,
                format!(
                    "{:.0},{:.0},{:.0},{:.0}",
                    f.bbox.x, f.bbox.y, f.bbox.w, f.bbox.h
                ),
                f.score,
                q.inter_eye_px,
                format!("{:.0}/{:.0}/{:.0}", q.pose.yaw, q.pose.pitch, q.pose.roll),
                q.sharpness,
                q.exposure.mean,
            );
        }
    }
    if let Some(out) = &args.draw {
        let mut canvas = img.clone();
        lfr_engine::draw::draw_faces(&mut canvas, &faces);
        canvas
            .save(out)
            .with_context(|| format!("cannot write {}", out.display()))?;
        eprintln!("drew {} face(s) on {}", faces.len(), out.display());
    }
    Ok(())
}
