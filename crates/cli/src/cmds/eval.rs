//! `lfr eval walkthrough ...`: build a seeded walk-through video, run the
//! live pipeline over it, and score it by the APP's definitions.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use lfr_walkthrough::build::{self, BuildOptions};
use lfr_walkthrough::equity::Labels;
use lfr_walkthrough::record::{RECORD_FILE, Record};
use lfr_walkthrough::report::{self, REPORT_HTML, REPORT_JSON, Report};
use lfr_walkthrough::run::{self, RunOptions};
use lfr_walkthrough::truth::{Params, Truth, read_json};

use crate::Global;
use crate::progress::Progress;
use crate::recognition::model_files;

#[derive(clap::Subcommand, Debug)]
pub enum EvalCmd {
    /// Walk-throughs: a seeded video of people passing, the pipeline run over it, the APP's figures.
    #[command(subcommand)]
    Walkthrough(WalkthroughCmd),
}

#[derive(clap::Subcommand, Debug)]
pub enum WalkthroughCmd {
    /// Build a walk-through video and its ground truth from LFW people N-Z.
    Build(BuildArgs),
    /// Enrol the Blue Watchlist, run every frame through the live pipeline, and report.
    Run(RunArgs),
    /// Report again from a run's record (for example with a labels file), without the video.
    Score(ScoreArgs),
}

#[derive(clap::Args, Debug)]
pub struct BuildArgs {
    /// The LFW folder (holding `images/`).
    #[arg(long, value_name = "DIR", default_value = "../shared/data/lfw")]
    pub lfw: PathBuf,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// People passing through, in all.
    #[arg(long, default_value_t = 500)]
    pub passes: u32,
    /// Of whom Blue Watchlist volunteers.
    #[arg(long, default_value_t = 100)]
    pub blue: u32,
    /// Crowd density: mean number of people in view at once.
    #[arg(long, default_value_t = 2.5)]
    pub density: f64,
    /// Enrolment images per volunteer, at most (never the image they walk with).
    #[arg(long, default_value_t = 1)]
    pub enrol_images: u32,
    #[arg(long, default_value_t = 1280)]
    pub width: u32,
    #[arg(long, default_value_t = 720)]
    pub height: u32,
    #[arg(long, default_value_t = 10)]
    pub fps: u32,
    /// H.264 quality (FFmpeg's CRF: higher compresses harder).
    #[arg(long, default_value_t = 26)]
    pub crf: u8,
    /// Leave an effect out, to see what it costs (repeatable): defocus,
    /// motion_blur, noise, lighting (each passer's), pose (turns, each
    /// passer's yaw and roll). A diagnostic build: its report says so.
    #[arg(long, value_name = "EFFECT")]
    pub without: Vec<lfr_walkthrough::truth::Effect>,
    /// The folder to write the video, truth.json and enrolment.json to.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The walk-through folder made by `build`.
    pub dir: PathBuf,
    #[arg(long, value_name = "DIR", default_value = "../shared/data/lfw")]
    pub lfw: PathBuf,
    /// The threshold the live gallery runs at (the sweep covers 0.56-0.70 whatever it is).
    #[arg(long, default_value_t = 0.64)]
    pub threshold: f64,
    /// Watchlist size: the Blue Watchlist padded with N-Z identities that never pass.
    #[arg(long, default_value_t = 1000)]
    pub watchlist_size: usize,
    /// Padding identities to describe at most (default: all, for the 10,000 extrapolation).
    #[arg(long)]
    pub pool: Option<usize>,
    /// A descriptor cache of LFW from `lfr bench lfw --cache`, to skip describing the watchlist.
    #[arg(long, value_name = "FILE")]
    pub cache: Option<PathBuf>,
    /// Detection threads (default: all cores).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Perceived attributes per identity, recorded by a person (see docs/evaluation.md).
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// Where faces are looked for: `full` (every frame whole) or `regions`
    /// (whole frames every 400 ms, around tracked faces between; frames are
    /// then detected one at a time). Default: the live pipeline's.
    #[arg(long, value_enum)]
    pub detect: Option<super::Detection>,
    #[command(flatten)]
    pub smallest: super::SmallestFace,
}

#[derive(clap::Args, Debug)]
pub struct ScoreArgs {
    pub dir: PathBuf,
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
}

pub fn run(g: &Global, cmd: EvalCmd) -> Result<()> {
    match cmd {
        EvalCmd::Walkthrough(WalkthroughCmd::Build(a)) => build_cmd(g, a),
        EvalCmd::Walkthrough(WalkthroughCmd::Run(a)) => run_cmd(g, a),
        EvalCmd::Walkthrough(WalkthroughCmd::Score(a)) => score_cmd(g, a),
    }
}

/// One progress line per stage.
fn stages() -> impl FnMut(&str, usize, usize) {
    let mut bars: HashMap<String, Progress> = HashMap::new();
    move |stage: &str, done: usize, total: usize| {
        let name: &'static str = match stage {
            "casting" => "casting",
            "rendering" => "rendering frames",
            "enrolling" => "describing watchlist images",
            "analysing" => "analysing frames",
            _ => "working",
        };
        bars.entry(stage.to_string())
            .or_insert_with(|| Progress::new(name, total))
            .set(done);
    }
}

fn build_cmd(g: &Global, a: BuildArgs) -> Result<()> {
    if !a.lfw.join("images").is_dir() {
        bail!(
            "{} has no images/ folder: give the LFW folder with --lfw",
            a.lfw.display()
        );
    }
    let o = BuildOptions {
        seed: a.seed,
        scene: Params {
            passes: a.passes,
            blue: a.blue,
            density: a.density,
            enrol_images: a.enrol_images,
            width: a.width,
            height: a.height,
            fps: a.fps,
            without: a.without.into_iter().collect(),
        },
        crf: a.crf,
    };
    let started = std::time::Instant::now();
    let truth = build::build(&a.lfw, &a.out, &o, &model_files(g)?, &mut stages())?;
    if g.json {
        println!(
            "{}",
            serde_json::json!({
                "out": a.out, "seed": truth.seed, "frames": truth.video.frames, "fps": truth.video.fps,
                "passes": truth.passes.len(), "blue": truth.blue_passes(), "crowd": truth.crowd,
                "frames_sha256": truth.video.frames_sha256, "seconds": started.elapsed().as_secs_f64(),
            })
        );
    } else {
        println!(
            "{}: {} frames ({:.0} s at {} fps), {} passes ({} Blue), {:.2} people in view on average (max {}), {:.1} a minute; built in {:.0} s",
            a.out.join(&truth.video.file).display(),
            truth.video.frames,
            truth.video.frames as f64 / truth.video.fps as f64,
            truth.video.fps,
            truth.passes.len(),
            truth.blue_passes(),
            truth.crowd.mean_in_view,
            truth.crowd.max_in_view,
            truth.crowd.people_per_minute,
            started.elapsed().as_secs_f64()
        );
        println!("frames sha256 {}", truth.video.frames_sha256);
    }
    Ok(())
}

fn run_cmd(g: &Global, a: RunArgs) -> Result<()> {
    if !a.lfw.join("images").is_dir() {
        bail!(
            "{} has no images/ folder: give the LFW folder with --lfw",
            a.lfw.display()
        );
    }
    if !(0.0..=1.0).contains(&a.threshold) {
        bail!("--threshold is a Similarity Score between 0 and 1");
    }
    let labels = a.labels.as_deref().map(Labels::load).transpose()?;
    let o = RunOptions {
        threshold: a.threshold,
        watchlist_size: a.watchlist_size,
        pool: a.pool,
        workers: a
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        cache: a.cache,
        regions: a
            .detect
            .unwrap_or_else(super::Detection::default_live)
            .regions(),
        detector: a.smallest.detector(),
    };
    let record = run::run(&a.dir, &a.lfw, &o, &model_files(g)?, &mut stages())?;
    let path = a.dir.join(RECORD_FILE);
    std::fs::write(&path, serde_json::to_vec(&record)?)
        .with_context(|| format!("writing {}", path.display()))?;
    let truth = Truth::load(&a.dir)?;
    write_report(g, &a.dir, &report::report(&truth, &record, labels.as_ref()))
}

fn score_cmd(g: &Global, a: ScoreArgs) -> Result<()> {
    let labels = a.labels.as_deref().map(Labels::load).transpose()?;
    let truth = Truth::load(&a.dir)?;
    let record: Record = read_json(&a.dir.join(RECORD_FILE))
        .with_context(|| "run `lfr eval walkthrough run` first".to_string())?;
    write_report(g, &a.dir, &report::report(&truth, &record, labels.as_ref()))
}

fn write_report(g: &Global, dir: &Path, r: &Report) -> Result<()> {
    let json = serde_json::to_string_pretty(r)?;
    std::fs::write(dir.join(REPORT_JSON), &json)?;
    std::fs::write(dir.join(REPORT_HTML), lfr_walkthrough::html::page(r))?;
    if g.json {
        println!("{json}");
        return Ok(());
    }
    let f = &r.figures;
    let rate = |x: &lfr_walkthrough::score::Rate| {
        format!(
            "{:.2}% ({}/{}) [{:.2}%, {:.2}%]",
            100.0 * x.rate,
            x.k,
            x.n,
            100.0 * x.lo,
            100.0 * x.hi
        )
    };
    // A diagnostic build must not pass for a walk-through in the terminal either.
    if let Some(n) = lfr_walkthrough::report::diagnostic_note(&r.without) {
        println!("note: {n}");
    }
    println!(
        "{} passes ({} Blue), watchlist {}, threshold {:.2}:",
        r.passes, r.blue_passes, f.watchlist_size, f.threshold
    );
    println!(
        "  True Recognition Rate            {}",
        rate(&f.true_recognition_rate)
    );
    if let Some(s) = &r.stills {
        println!(
            "  the same photographs as stills   {} reach {:.2} against the enrolment{}",
            rate(&s.reach),
            s.threshold,
            if s.no_face > 0 {
                format!(" ({} gave no face)", s.no_face)
            } else {
                String::new()
            }
        );
    }
    println!(
        "  False alert rate, by person      {}",
        rate(&f.false_alert_rate_by_person)
    );
    println!(
        "  False alert rate, by face scanned {}",
        rate(&f.false_alert_rate_by_face_scanned)
    );
    println!(
        "  alerts: {} true, {} false ({} on public, {} on Blue, {} on no passer)",
        f.true_alerts,
        f.false_alerts,
        f.false_alerts_on_public,
        f.false_alerts_on_blue,
        f.false_alerts_on_nobody
    );
    let p = &f.recognition_time_s;
    let o = |x: Option<f64>| x.map_or("-".into(), |v| format!("{v:.2}"));
    println!(
        "  faces scanned {}, passes scanned {} ({} Blue); recognition time p50 {} p90 {} p95 {} s (n = {})",
        f.faces_scanned,
        f.passes_scanned,
        f.blue_passes_scanned,
        o(p.p50),
        o(p.p90),
        o(p.p95),
        p.n
    );
    if f.tracks_spanning_passes > 0 {
        println!(
            "  {} tracks followed more than one passer (the tracker changed person)",
            f.tracks_spanning_passes
        );
    }
    println!(
        "  dropped frames {} of {}; {:.1} frames/s analysed, {:.0} ms a frame",
        r.speed.dropped_frames, r.speed.frames_in_video, r.speed.fps, r.speed.frame_ms_mean
    );
    let z = &r.zero_false_alerts;
    match z.highest_false_score {
        Some(h) => println!(
            "  false alerts reach zero at {:.2} (highest false score {h:.4}); TRR there {}",
            z.threshold,
            rate(&z.true_recognition_rate)
        ),
        None => println!("  no false alert at any recorded score"),
    }
    println!("false match rate on tracks (impostor comparisons at or above the score):");
    for t in r.track_calibration.iter().filter(|t| t.frames == 0) {
        println!(
            "  score {:.2}: {:.2e} measured ({} of {}), {:.0e} nominal",
            t.score, t.measured.rate, t.measured.k, t.measured.n, t.nominal
        );
    }
    println!("threshold sweep (TPIR / FPIR; * extrapolated):");
    for row in &r.sweep {
        println!(
            "  {:.2}  N={:<6}{} TPIR {:6.2}%  FPIR {:7.3}%  false alerts on public {:.1}",
            row.threshold,
            row.watchlist_size,
            if row.extrapolated { "*" } else { " " },
            100.0 * row.tpir,
            100.0 * row.fpir,
            row.false_alerts_on_public
        );
    }
    if let Some(eq) = &r.equitability {
        for a in eq {
            for s in &a.statements {
                println!("  {}: {s}", a.attribute);
            }
        }
    }
    if r.live_replay_disagreements > 0 {
        println!(
            "warning: {} templates' live answers differ from the replay",
            r.live_replay_disagreements
        );
    }
    println!(
        "report: {} and {}",
        dir.join(REPORT_JSON).display(),
        dir.join(REPORT_HTML).display()
    );
    Ok(())
}
