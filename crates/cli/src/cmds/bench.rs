//! `lfr bench ...`: accuracy and speed, measured the standard way.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use lfr_engine::detect::DetectorConfig;
use lfr_engine::pipeline::Engine;
use lfr_engine::runtime::Runtime;
use lfr_engine::template::Algorithm;
use lfr_eval::faceset::{self, Described};
use lfr_eval::lfw::{self, Protocol};

use crate::Global;
use crate::progress::Progress;
use crate::recognition::{EngineArgs, model_files};

#[derive(clap::Subcommand, Debug)]
pub enum BenchCmd {
    /// LFW: 10-fold View 2 accuracy and true match rates at fixed false match rates.
    Lfw(LfwArgs),
    /// A video: frames per second of detection plus descriptors, per stage.
    Video(VideoArgs),
    /// A live session replaying a video as cameras: drops, recognition time, memory.
    Live(super::bench_live::LiveArgs),
}

pub fn run(g: &Global, cmd: BenchCmd) -> Result<()> {
    match cmd {
        BenchCmd::Lfw(a) => lfw_bench(g, a),
        BenchCmd::Video(a) => video_bench(g, a),
        BenchCmd::Live(a) => super::bench_live::run(g, a),
    }
}

/// Where LFW is and how to describe it.
#[derive(clap::Args, Debug)]
pub struct LfwData {
    /// The LFW folder, holding `images/<Name>/<Name>_NNNN.jpg` and `pairs.txt`.
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// Keep descriptors in this file and reuse them on the next run (LFW is
    /// public research data; deployments never cache templates).
    #[arg(long, value_name = "FILE")]
    pub cache: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Describe only the first N images (people in alphabetical order), for
    /// a quick run; the cache is then not used.
    #[arg(long, value_name = "N")]
    pub max_images: Option<usize>,
    #[command(flatten)]
    pub engine: EngineArgs,
}

impl LfwData {
    pub fn workers(&self) -> usize {
        self.workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    }
}

/// Descriptors for every LFW image, from the cache or computed; with
/// `unseen_only`, of people N-Z alone (never cached: a cache holds every image).
pub fn describe_lfw(
    g: &Global,
    data: &LfwData,
    unseen_only: bool,
) -> Result<(Algorithm, Vec<Described>, f64)> {
    let images_dir = data.data.join("images");
    if !images_dir.is_dir() {
        bail!(
            "{} has no images/ folder: give the LFW folder that holds images/ and pairs.txt",
            data.data.display()
        );
    }
    let files = model_files(g)?;
    let config = data.engine.config(DetectorConfig::stills());
    let algorithm = files.algorithm(config.align)?;
    let cache = data.cache.as_ref().filter(|_| data.max_images.is_none());
    if let Some(cache) = cache
        && cache.exists()
        && let Some(set) = faceset::load(cache, &algorithm)?
    {
        eprintln!("using {} descriptors from {}", set.len(), cache.display());
        return Ok((algorithm, set, 0.0));
    }
    let cache = cache.filter(|_| !unseen_only);
    let mut ids = lfw::all_images(&images_dir)?;
    if unseen_only {
        ids.retain(|id| !lfw::is_calibration_person(&id.person));
    }
    if let Some(n) = data.max_images {
        ids.truncate(n);
    }
    let jobs: Vec<_> = ids
        .iter()
        .map(|id| (id.clone(), id.path(&images_dir)))
        .collect();
    let progress = Progress::new("describing LFW images", jobs.len());
    let started = Instant::now();
    let (algorithm, set) =
        faceset::describe_all(&files, &config, &jobs, data.workers(), &|done, _| {
            progress.set(done)
        })?;
    progress.finish();
    let secs = started.elapsed().as_secs_f64();
    if let Some(cache) = cache {
        faceset::save(cache, &algorithm, &set)?;
    }
    Ok((algorithm, set, secs))
}

#[derive(clap::Args, Debug)]
pub struct LfwArgs {
    #[command(flatten)]
    pub data: LfwData,
    /// Use this calibration instead of the shipped one.
    #[arg(long, value_name = "FILE")]
    pub calibration: Option<PathBuf>,
    /// Use this fused calibration (cohort and curves) instead of the shipped one.
    #[arg(long, value_name = "FILE")]
    pub fusion_calibration: Option<PathBuf>,
    /// Random enrol/probe splits per person for the multi-image rows.
    #[arg(long, default_value_t = 10)]
    pub splits: usize,
    /// Closest impostor pairs of people N-Z (raw and normalised) on which
    /// the look-alike cluster is measured; 0 skips the measure.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub closest: usize,
    /// Also print those closest pairs.
    #[arg(long)]
    pub list_closest: bool,
    /// Reference images (k) and probe frames (m) of the step-by-step
    /// table's fusion step.
    #[arg(long, default_value = "2,2", value_name = "K,M", value_parser = parse_pair)]
    pub ladder: (usize, usize),
    /// Only check that the shipped calibrations hold on people N-Z (the 45
    /// rates), describing those people alone: about a third of the work.
    #[arg(long)]
    pub checks_only: bool,
    /// With --checks-only: write what the checks found, for these exact
    /// calibrations, to FILE (by default `checks.json` in the model's
    /// directory), where the rule `model_calibration_holds` reads it.
    #[arg(long, value_name = "FILE", num_args = 0..=1, requires = "checks_only")]
    pub record: Option<Option<PathBuf>>,
}

fn parse_pair(s: &str) -> Result<(usize, usize), String> {
    let bad = || format!("expected K,M with 1 <= K, M <= 4, e.g. 2,2; got {s:?}");
    let (k, m) = s.split_once(',').ok_or_else(bad)?;
    let k: usize = k.trim().parse().map_err(|_| bad())?;
    let m: usize = m.trim().parse().map_err(|_| bad())?;
    let max = lfr_engine::fusion::MAX_REFERENCES.min(lfr_engine::fusion::MAX_FRAMES);
    if !(1..=max).contains(&k) || !(1..=max).contains(&m) {
        return Err(bad());
    }
    Ok((k, m))
}

fn read_text(p: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))
}

fn lfw_bench(g: &Global, args: LfwArgs) -> Result<()> {
    use lfr_engine::calibration::Calibration;
    use lfr_engine::fusion::FusionCalibration;
    let files = model_files(g)?;
    let record_to = record_destination(&args, &files)?;
    let protocol = Protocol::load(&args.data.data.join("pairs.txt"))?;
    let (algorithm, set, secs) = describe_lfw(g, &args.data, args.checks_only)?;
    let calibration = match &args.calibration {
        Some(p) => Calibration::from_json(&read_text(p)?)?,
        None => files.calibration(args.data.engine.align)?,
    };
    let fusion = match &args.fusion_calibration {
        Some(p) => FusionCalibration::from_json(&read_text(p)?)?,
        None => files.fusion_calibration(args.data.engine.align)?,
    };
    for (what, alg) in [
        ("calibration", &calibration.algorithm),
        ("fused calibration", &fusion.algorithm),
    ] {
        if *alg != algorithm {
            bail!("the {what} is for {alg}, not for {algorithm}, the algorithm measured");
        }
    }
    let exclusions = lfr_eval::exclusions::Exclusions::lfw();
    if args.checks_only {
        let checks = lfr_eval::lfw_bench::checks_on_unseen(
            &set,
            &calibration,
            &fusion,
            &exclusions,
            args.splits.max(1),
            args.data.workers(),
            &|what| eprintln!("{what}..."),
        )?;
        if let Some(to) = &record_to {
            let given = matches!(args.record, Some(Some(_)));
            let record = check_record(g, &files, &calibration, &fusion, &checks, given)?;
            std::fs::write(to, record.to_json())
                .with_context(|| format!("cannot write {}", to.display()))?;
            eprintln!(
                "recorded in {}: {} of {} rates hold",
                to.display(),
                record.held,
                record.of
            );
        }
        if g.json {
            let v = serde_json::json!({ "algorithm": algorithm.to_string(), "checks": checks });
            println!("{}", serde_json::to_string_pretty(&v)?);
        } else {
            println!("algorithm: {algorithm}");
            print_checks(&checks);
            let held = checks.iter().filter(|c| c.holds).count();
            println!("{held} of {} calibrated rates hold", checks.len());
        }
        return Ok(());
    }
    let inputs = lfr_eval::lfw_bench::BenchInputs {
        protocol: &protocol,
        calibration: &calibration,
        fusion: &fusion,
        exclusions: &exclusions,
        splits: args.splits.max(1),
        closest: args.closest,
        ladder: args.ladder,
        threads: args.data.workers(),
    };
    let r = lfr_eval::lfw_bench::run(&set, &inputs, &|what| eprintln!("{what}..."))?;
    if g.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    println!("algorithm: {}", r.algorithm);
    if secs > 0.0 {
        println!(
            "described {} images in {secs:.0} s ({:.1} ms per image per worker)",
            r.images,
            secs * 1000.0 * args.data.workers() as f64 / r.images as f64
        );
    }
    println!(
        "faces: none found in {} of {} images; several in {}",
        r.images_without_face, r.images, r.images_with_several_faces
    );
    println!(
        "LFW View 2, 10 folds of 600 pairs: accuracy {:.4} ± {:.4} ({} pairs lacked a face)",
        r.accuracy, r.accuracy_std, r.pairs_missing_a_face
    );
    let x = &r.exclusions;
    println!(
        "exclusion list: {} pairs of names of one person, {} mislabelled or doubly-named images, {} duplicate photographs ({} images of people N-Z left out)",
        x.same_person, x.images, x.duplicates, x.images_left_out_nz
    );
    println!(
        "held-out people N-Z: {} people, {} images, {} genuine pairs ({:.0}% of them {}), {} impostor pairs",
        r.eval_people,
        r.eval_images,
        r.eval_genuine_pairs,
        100.0 * r.largest_person_share,
        r.largest_person,
        r.eval_impostor_pairs
    );
    println!(
        "thresholds from the calibration on people A-M ({} impostor pairs):",
        r.calibration_pairs
    );
    println!(
        "{:>6} {:>8} {:>8} {:>10} {:>12} {:>24} {:>9} {:>9}",
        "score",
        "FMR",
        "distance",
        "TMR pairs",
        "TMR persons",
        "measured FMR N-Z (95%)",
        "FAR 1k",
        "FAR 10k"
    );
    for p in &r.points {
        println!(
            "{:>6.3} {:>8.0e} {:>8.4} {:>10.4} {:>12.4} {:>24} {:>9.1e} {:>9.1e}",
            p.score,
            p.calibrated_fmr,
            p.distance,
            p.tmr_pairs,
            p.tmr_persons,
            measured(p.measured_fmr, p.impostors_beyond, p.measured_fmr_ci),
            p.false_alert_rate_1k,
            p.false_alert_rate_10k
        );
    }
    println!(
        "step by step on clean people N-Z: TMR [95%] and the measured FMR (impostor comparisons beyond the threshold, of all; 95% interval):"
    );
    for r in &r.ladder {
        println!(
            "  {} — {}: {} genuine, {} impostor comparisons",
            r.name, r.population, r.genuine, r.impostor
        );
        for i in 1..r.scores.len() {
            let people = r.figures.by_people.as_ref().map_or(String::new(), |p| {
                format!(
                    "; by pairs of people {} of {} [{:.0e},{:.0e}]{}",
                    p.pairs_beyond[i],
                    p.pairs,
                    p.measured_fmr_ci[i].0,
                    p.measured_fmr_ci[i].1,
                    if p.holds(
                        i,
                        lfr_engine::calibration::Calibration::fmr_of_score(r.scores[i])
                    ) {
                        ""
                    } else {
                        " (beyond the nominal rate)"
                    }
                )
            });
            println!(
                "    {:>14}  TMR {:.3} [{:.3},{:.3}]  measured FMR {}{people}",
                threshold_name(r.scores[i]),
                r.figures.tmr[i],
                r.figures.tmr_ci[i].0,
                r.figures.tmr_ci[i].1,
                measured(
                    r.figures.measured_fmr[i],
                    r.figures.impostors_beyond[i],
                    r.figures.measured_fmr_ci[i]
                )
            );
        }
    }
    println!(
        "several pictures: subjects of k images against probes of m other images of the same people N-Z ({} random splits per person); TMR, and impostor comparisons beyond (of all):",
        args.splits.max(1)
    );
    println!(
        "{:>2} {:>2} {:>6} {:<16} {:>14} {:>14} {:>14} {:>14}",
        "k", "m", "people", "method", "FMR 1e-4", "FMR 1e-5", "FMR 1e-6", "score 0.64"
    );
    for row in &r.fusion {
        for (i, mth) in row.methods.iter().enumerate() {
            let cells: Vec<String> = (1..mth.figures.tmr.len())
                .map(|j| {
                    format!(
                        "{:.3} ({})",
                        mth.figures.tmr[j], mth.figures.impostors_beyond[j]
                    )
                })
                .collect();
            let lead = if i == 0 {
                format!("{:>2} {:>2} {:>6}", row.references, row.frames, row.people)
            } else {
                format!("{:>2} {:>2} {:>6}", "", "", "")
            };
            println!(
                "{lead} {:<16} {:>14}{}",
                mth.method,
                cells
                    .iter()
                    .map(|c| format!("{c:>14}"))
                    .collect::<Vec<_>>()
                    .join(" "),
                if i == 0 {
                    format!("   of {} impostor, {} genuine", row.impostor, row.genuine)
                } else {
                    String::new()
                }
            );
        }
    }
    for (what, list) in [
        ("raw distance", &r.closest_raw),
        ("AS-norm", &r.closest_normalised),
    ] {
        if list.is_empty() || !args.list_closest {
            continue;
        }
        println!("closest impostor pairs of people N-Z by {what}:");
        for (i, c) in list.iter().enumerate() {
            println!("{:>4} {:>8.4} {} | {}", i + 1, c.statistic, c.a, c.b);
        }
    }
    if let Some(l) = &r.look_alikes {
        println!(
            "look-alike cluster (the connected group of people holding most of the {} closest impostor pairs by raw distance; {} people): {:.0}% of the raw closest pairs, {:.0}% of the AS-norm closest pairs",
            l.pairs,
            l.cluster.len(),
            100.0 * l.share_raw,
            100.0 * l.share_normalised
        );
        println!("  its people: {}", l.cluster.join(", "));
        println!(
            "  the AS-norm closest pairs' own largest cluster ({} people) holds {:.0}% of them: {}",
            l.cluster_normalised.len(),
            100.0 * l.share_normalised_own,
            l.cluster_normalised.join(", ")
        );
    }
    print_checks(&r.checks);
    println!("accuracy: {:.4}", r.accuracy);
    Ok(())
}

/// Where `--record` writes, settled before any image is described: the
/// FILE given, else `checks.json` in the model's own directory, but never
/// over a record lfr ships, nor for calibrations other than the model's.
fn record_destination(
    args: &LfwArgs,
    files: &lfr_engine::pipeline::ModelFiles,
) -> Result<Option<PathBuf>> {
    let Some(to) = &args.record else {
        return Ok(None);
    };
    if args.data.max_images.is_some() {
        bail!("--record needs the checks on every person N-Z: leave out --max-images");
    }
    if let Some(file) = to {
        return Ok(Some(file.clone()));
    }
    if args.calibration.is_some() || args.fusion_calibration.is_some() {
        bail!(
            "these are not the model's installed calibrations: give --record FILE, so that the model's own record is not replaced"
        );
    }
    let align = args.data.engine.align;
    let shipped = match (files.calibration(align), files.fusion_calibration(align)) {
        (Ok(single), Ok(fused)) => lfr_engine::checks::CheckRecord::find(
            None,
            &files.recogniser.network(),
            &single,
            &fused,
        )?,
        _ => None,
    };
    match (shipped, files.recogniser.dir()) {
        (None, Some(dir)) => Ok(Some(dir.join(lfr_engine::checks::FILE))),
        _ => bail!(
            "lfr ships the record of this model's calibration checks, and it stands; give --record FILE to write another elsewhere"
        ),
    }
}

/// What the checks found, as the record the rules read ([`lfr_engine::checks`]).
fn check_record(
    g: &Global,
    files: &lfr_engine::pipeline::ModelFiles,
    calibration: &lfr_engine::calibration::Calibration,
    fusion: &lfr_engine::fusion::FusionCalibration,
    checks: &[lfr_eval::lfw_bench::Check],
    file_given: bool,
) -> Result<lfr_engine::checks::CheckRecord> {
    let model = files.recogniser.id().to_string();
    let pairs = checks
        .iter()
        .find(|c| c.method == "single image")
        .map_or(0, |c| c.pairs);
    let not_held: Vec<String> = checks
        .iter()
        .filter(|c| !c.holds)
        .map(|c| {
            let who = match c.who.is_empty() {
                true => String::new(),
                false => format!(": {}", c.who.join("; ")),
            };
            format!(
                "{} {}v{} at score {:.2} (nominal FMR {:.1e}): measured {:.1e} (95 % {:.1e} to {:.1e}; pairs of people beyond: {}{who})",
                c.method,
                c.references,
                c.frames,
                c.score,
                c.nominal_fmr,
                c.measured_fmr,
                c.measured_fmr_ci.0,
                c.measured_fmr_ci.1,
                c.pairs_beyond,
            )
        })
        .collect();
    let named = g
        .model
        .as_ref()
        .map_or(String::new(), |m| format!(" --model {m}"));
    let record = lfr_engine::checks::CheckRecord {
        algorithm: calibration.algorithm.clone(),
        network: files.recogniser.network(),
        calibration: calibration.digest(),
        fused_calibration: fusion.digest(),
        on: format!(
            "LFW people N-Z less the exclusion list ({pairs} pairs of people at one image each side)"
        ),
        date: lfr_base::Timestamp::now().strftime("%Y-%m-%d").to_string(),
        command: format!(
            "lfr{named} bench lfw --data LFW_DIR --checks-only --record{}",
            if file_given { " FILE" } else { "" }
        ),
        pairs_of_people: pairs,
        held: checks.len() - not_held.len(),
        of: checks.len(),
        not_held,
        model,
    };
    record
        .validate()
        .context("no record written: give the whole LFW set to --data")?;
    Ok(record)
}

/// Whether each calibrated rate holds for people the calibration never saw.
fn print_checks(checks: &[lfr_eval::lfw_bench::Check]) {
    if checks.is_empty() {
        return;
    }
    println!(
        "does the calibration hold on people N-Z? nominal FMR (from people A-M) against the FMR measured by pairs of people N-Z:"
    );
    println!(
        "{:<18} {:>5} {:>6} {:>9} {:>10} {:>26} {:>6}",
        "method", "k v m", "score", "nominal", "pairs", "measured (beyond; 95%)", "holds"
    );
    for c in checks {
        println!(
            "{:<18} {:>5} {:>6.3} {:>9.1e} {:>10} {:>26} {:>6}",
            c.method,
            format!("{}v{}", c.references, c.frames),
            c.score,
            c.nominal_fmr,
            c.pairs,
            measured(c.measured_fmr, c.pairs_beyond, c.measured_fmr_ci),
            if c.holds { "yes" } else { "NO" }
        );
        if !c.holds && !c.who.is_empty() {
            println!("{:<18} beyond: {}", "", c.who.join("; "));
        }
    }
    let failed = checks.iter().filter(|c| !c.holds).count();
    if failed > 0 {
        println!(
            "{failed} of {} calibrated rates do not hold on unseen people",
            checks.len()
        );
    }
}

fn threshold_name(score: f64) -> String {
    let fmr = -10.0 * score;
    if (fmr - fmr.round()).abs() < 1e-9 {
        format!("FMR 1e{}", fmr.round())
    } else {
        format!("score {score:.2}")
    }
}

fn measured(rate: f64, count: u64, ci: (f64, f64)) -> String {
    format!("{rate:.1e} ({count}) [{:.0e},{:.0e}]", ci.0, ci.1)
}

#[derive(clap::Args, Debug)]
pub struct VideoArgs {
    /// Video file or stream URL.
    #[arg(long, value_name = "FILE")]
    pub input: String,
    /// Stop after this many frames.
    #[arg(long)]
    pub frames: Option<usize>,
    /// Frames analysed at once, each by its own engine (default: all cores).
    #[arg(long)]
    pub workers: Option<usize>,
    #[command(flatten)]
    pub smallest: super::SmallestFace,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// What one worker measured.
#[derive(Default)]
struct StageTimes {
    frames: usize,
    faces: usize,
    detect: f64,
    describe: f64,
    /// The runtime's own part of the two, in the same calls.
    runtime: lfr_engine::pipeline::RuntimeBusy,
}

/// Decodes on its own thread and analyses frames on `workers` threads, each
/// with its own engine: the throughput a machine gives one camera.
fn video_bench(g: &Global, args: VideoArgs) -> Result<()> {
    let files = model_files(g)?;
    let algorithm = files.algorithm(args.engine.align)?.to_string();
    let config = args.engine.config(args.smallest.detector());
    let workers = args
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let engines = (0..workers)
        .map(|_| Engine::open(&files, &config))
        .collect::<Result<Vec<_>, _>>()?;
    let mut decoder = lfr_video::Decoder::open(&args.input, &Default::default())?;
    let (w, h) = decoder.size();
    let total = lfr_video::probe(&args.input)?.frames.map(|n| n as usize);
    let progress = Progress::new("analysing frames", args.frames.or(total).unwrap_or(0));
    let limit = args.frames.unwrap_or(usize::MAX);

    // A small bound: the decoder may run ahead by two frames per worker, no more.
    let (tx, rx) = std::sync::mpsc::sync_channel::<image::RgbImage>(2 * workers);
    let rx = std::sync::Mutex::new(rx);
    let done = std::sync::atomic::AtomicUsize::new(0);
    let started = Instant::now();
    let (decode_wait, times) = std::thread::scope(|s| -> Result<(f64, Vec<StageTimes>)> {
        let handles: Vec<_> = engines
            .into_iter()
            .map(|mut engine| {
                let (rx, done, progress) = (&rx, &done, &progress);
                s.spawn(move || -> Result<StageTimes> {
                    let mut t = StageTimes::default();
                    let busy_before = engine.runtime_busy();
                    loop {
                        let frame = match rx.lock().unwrap().recv() {
                            Ok(f) => f,
                            Err(_) => {
                                t.runtime = engine.runtime_busy() - busy_before;
                                return Ok(t);
                            }
                        };
                        let t1 = Instant::now();
                        let found = engine.detect(&frame)?;
                        let t2 = Instant::now();
                        let templates = engine.templates(&frame, &found)?;
                        t.detect += (t2 - t1).as_secs_f64();
                        t.describe += t2.elapsed().as_secs_f64();
                        t.frames += 1;
                        t.faces += templates.len();
                        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        progress.set(n);
                    }
                })
            })
            .collect();
        let mut decode_wait = 0.0;
        let mut sent = 0;
        while sent < limit {
            let t0 = Instant::now();
            let Some(frame) = decoder.next_frame()? else {
                break;
            };
            decode_wait += t0.elapsed().as_secs_f64();
            if tx.send(frame).is_err() {
                break;
            }
            sent += 1;
        }
        drop(tx);
        let times = handles
            .into_iter()
            .map(|h| h.join().expect("analysis thread panicked"))
            .collect::<Result<Vec<_>>>()?;
        Ok((decode_wait, times))
    })?;
    progress.finish();
    let wall = started.elapsed().as_secs_f64();
    let frames: usize = times.iter().map(|t| t.frames).sum();
    let faces: usize = times.iter().map(|t| t.faces).sum();
    let detect: f64 = times.iter().map(|t| t.detect).sum();
    let describe: f64 = times.iter().map(|t| t.describe).sum();
    let runtime_detect: f64 = times.iter().map(|t| t.runtime.detect.as_secs_f64()).sum();
    let runtime_describe: f64 = times.iter().map(|t| t.runtime.describe.as_secs_f64()).sum();
    if frames == 0 {
        bail!("{} gave no frames", args.input);
    }
    let fps = frames as f64 / wall;
    let ms = |s: f64| 1000.0 * s / frames as f64;
    let per_face = 1000.0 * describe / faces.max(1) as f64;
    let runtime_per_face = 1000.0 * runtime_describe / faces.max(1) as f64;
    // lfr's time over the runtime's, in the same calls on the same inputs.
    let ratio = |stage: f64, runtime: f64| (runtime > 0.0).then(|| stage / runtime);
    let processor = lfr_engine::simd::processor();
    let runtime_name = config.runtime.name();
    let (detect_by, describe_by) = config.runtime.stages();
    if g.json {
        let v = serde_json::json!({
            "input": args.input, "algorithm": algorithm, "width": w, "height": h, "frames": frames, "faces": faces,
            "faces_per_frame": faces as f64 / frames as f64, "workers": workers,
            "detect_scale": config.detector.input_scale(),
            "threads_per_model": args.engine.threads, "instructions": lfr_engine::simd::instructions(),
            "processor": processor,
            "ms_per_frame": { "detect": ms(detect), "align_describe": ms(describe), "decode_wait": ms(decode_wait) },
            "runtime": runtime_name,
            "runtime_ms_per_frame": { "detect": ms(runtime_detect), "describe": ms(runtime_describe) },
            "stage_over_runtime": { "detect": ratio(detect, runtime_detect), "align_describe": ratio(describe, runtime_describe) },
            "ms_per_face_align_describe": per_face, "runtime_ms_per_face_describe": runtime_per_face,
            "wall_seconds": wall, "fps": fps,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "{}: {w}x{h}, {frames} frames, {faces} faces ({:.1} per frame)",
            args.input,
            faces as f64 / frames as f64
        );
        println!("  algorithm {algorithm}, run by {runtime_name}");
        println!("  processor {processor}");
        println!(
            "  lfr's own loops use {} (LFR_SIMD=baseline|avx2 to compare)",
            lfr_engine::simd::instructions()
        );
        println!(
            "  {workers} worker(s), {} thread(s) per model, frames shrunk x{:.2} for detection; time per frame in one worker:",
            args.engine.threads,
            config.detector.input_scale()
        );
        // Each stage beside the runtime's own time in it (none for a stage
        // that never ran, such as description in a video without faces).
        let of = |stage: f64, runtime: f64, by: Runtime, per_face: &str| {
            ratio(stage, runtime).map_or(String::new(), |r| {
                format!(
                    "; {by} alone {:.1} ms{per_face}, the stage x{r:.2} of it",
                    ms(runtime)
                )
            })
        };
        println!(
            "  detect + quality:  {:7.1} ms{}",
            ms(detect),
            of(detect, runtime_detect, detect_by, "")
        );
        println!(
            "  align + describe:  {:7.1} ms ({per_face:.1} ms per face){}",
            ms(describe),
            of(
                describe,
                runtime_describe,
                describe_by,
                &format!(" ({runtime_per_face:.1} per face)")
            )
        );
        println!("  decoder waited on: {:7.1} ms per frame", ms(decode_wait));
        println!("  wall time {wall:.1} s");
        println!("fps: {fps:.1}");
    }
    Ok(())
}
