//! One module per subcommand.
pub mod alert;
pub mod audit;
pub mod bench;
pub mod bench_live;
pub mod blue_pass;
pub mod calibrate;
pub mod camera;
pub mod compare;
pub mod deployment;
pub mod detect;
pub mod eval;
pub mod force;
pub mod keys;
pub mod models;
mod models_combine;
mod models_packages;
pub mod quality;
pub mod report;
pub mod retention;
pub mod rules;
pub mod serve;
mod session;
pub mod user;
pub mod watchlist;

/// How a video's frames are searched for faces (`--detect`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detection {
    /// The whole of every frame.
    Full,
    /// The whole frame at least every 400 ms, and in between only around
    /// the faces being tracked.
    Regions,
}

/// The smallest face the cameras must find (`--min-eyes`): frames are shrunk
/// for the detector as far as still finds it, so a zone whose passers come
/// close costs less to search (docs/live.md).
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct SmallestFace {
    /// The smallest face to find, as pixels between the eyes in the frame:
    /// 20 (the default, and the quality gate's floor) to 200; 30 halves the
    /// detector's work on 1080p.
    #[arg(long, default_value_t = 20.0, value_name = "PX", value_parser = parse_min_eyes)]
    pub min_eyes: f32,
}

/// How the cameras' frames are decoded and searched for faces (`serve`,
/// `bench live`).
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct CameraSearch {
    /// Where frames are searched for faces: `full` (the whole of every
    /// frame, or of a camera's Zone of Recognition) or `regions` (that every
    /// 400 ms, around the tracked faces between; docs/live.md). Default:
    /// the live pipeline's, `full`.
    #[arg(long, value_enum)]
    pub detect: Option<Detection>,
    /// Decode the cameras' video on this hardware instead of the CPU:
    /// cuda (NVIDIA) or vaapi (Intel, AMD), as FFmpeg's `-hwaccel`; a
    /// camera whose decoder cannot open it fails and says why.
    #[arg(long, value_name = "HW")]
    pub hwaccel: Option<lfr_video::HwAccel>,
    /// Whether the analysis workers share each network and run the frames
    /// and faces of several cameras that arrive together as one batch:
    /// on or off. Default: on with `--runtime cuda` and more than one
    /// worker, off on the CPU (docs/live.md).
    #[arg(long, value_name = "on|off", value_parser = clap::builder::BoolishValueParser::new())]
    pub batch_cameras: Option<bool>,
    #[command(flatten)]
    pub smallest: SmallestFace,
}

impl CameraSearch {
    /// The live pipeline's settings these options choose; the rest default.
    pub fn live_config(self) -> lfr_live::LiveConfig {
        lfr_live::LiveConfig {
            regions: self
                .detect
                .unwrap_or_else(Detection::default_live)
                .regions(),
            hwaccel: self.hwaccel,
            batch_cameras: self.batch_cameras,
            detector: self.smallest.detector(),
            ..lfr_live::LiveConfig::default()
        }
    }
}

impl SmallestFace {
    pub fn detector(self) -> lfr_engine::detect::DetectorConfig {
        lfr_engine::detect::DetectorConfig::default().with_smallest_face(self.min_eyes)
    }
}

fn parse_min_eyes(s: &str) -> Result<f32, String> {
    let px = s
        .parse::<f32>()
        .map_err(|_| format!("expected pixels between the eyes (20 to 200), got {s:?}"))?;
    lfr_live::MinEyes::new(px).map(lfr_live::MinEyes::px)
}

impl Detection {
    /// The live pipeline's default.
    pub fn default_live() -> Self {
        if lfr_live::analysis::AnalysisConfig::default()
            .regions
            .is_some()
        {
            Detection::Regions
        } else {
            Detection::Full
        }
    }

    pub fn regions(self) -> Option<lfr_live::analysis::Regions> {
        match self {
            Detection::Full => None,
            Detection::Regions => Some(lfr_live::analysis::Regions::default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(clap::Parser)]
    struct Args {
        #[command(flatten)]
        smallest: SmallestFace,
    }

    #[test]
    fn the_smallest_face_by_default_is_the_live_detectors_and_is_bounded() {
        use clap::Parser;
        let default = Args::try_parse_from(["lfr"]).unwrap().smallest;
        assert_eq!(
            default.detector(),
            lfr_engine::detect::DetectorConfig::default()
        );
        assert!(Args::try_parse_from(["lfr", "--min-eyes", "19"]).is_err());
        let close = SmallestFace { min_eyes: 30.0 }.detector();
        assert_eq!((close.min_face_iod, close.min_box_side), (30.0, 30.0));
        assert!(parse_min_eyes("30").is_ok());
        for bad in ["0", "19.9", "201", "NaN", "thirty"] {
            assert!(parse_min_eyes(bad).is_err(), "{bad}");
        }
    }
}
