//! `lfr bench live`: a whole live session, measured. A Blue Watchlist
//! walk-through is set up in a temporary database (volunteers picked from
//! the video), then the video is replayed in real time as one or more
//! cameras through [`lfr_live::Session`], exactly as `lfr serve` runs them,
//! and each camera's figures are reported: frames decoded, analysed and
//! dropped, faces scanned, alerts, recognition time, the longest queues and
//! the process's peak memory.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use lfr_base::RealClock;
use lfr_live::{CameraConfig, CameraFigures, LiveConfig, LiveEvent, Session, Source, Zone};
use lfr_store::Store;
use lfr_walkthrough::encode::Encoder;
use serde::Serialize;

use crate::Global;
use crate::recognition::model_files;

#[derive(clap::Args, Debug)]
pub struct LiveArgs {
    /// The video each camera replays, looping, in real time (default: the
    /// shared crowd video, ../shared/data/video/arcade-crowd-1080p.mp4 or under $LFR_SHARED).
    #[arg(long, value_name = "FILE")]
    pub video: Option<PathBuf>,
    /// Cameras replaying the video at once.
    #[arg(long, default_value_t = 1)]
    pub cameras: usize,
    /// Frames per second each camera delivers, a whole number (default: the
    /// video's own rate).
    #[arg(long)]
    pub fps: Option<f64>,
    /// How long the cameras run, after set-up.
    #[arg(long, default_value_t = 60.0)]
    pub seconds: f64,
    /// Volunteers on the Blue Watchlist, picked from the video.
    #[arg(long, default_value_t = 6)]
    pub volunteers: usize,
    /// The LFW images folder (`<Name>/<Name>_0001.jpg`) from which the
    /// standard watchlist's strangers are enrolled (default: ../shared/data/lfw/images).
    #[arg(long, value_name = "DIR")]
    pub lfw: Option<PathBuf>,
    /// People on the standard watchlist (strangers: nobody in the video).
    #[arg(long, default_value_t = 40)]
    pub strangers: usize,
    /// Analysis workers (default: one per core, no more than one a camera,
    /// two on ONNX Runtime; more than cameras search a camera's next frame
    /// while one is analysed).
    #[arg(long)]
    pub workers: Option<usize>,
    #[command(flatten)]
    pub search: super::CameraSearch,
    /// Every camera's Zone of Recognition, a rectangle in frame pixels:
    /// LEFT,TOP,WIDTH,HEIGHT (default: the whole frame). Only the part of
    /// each frame where a face centred in it can lie is searched.
    #[arg(long, value_name = "X,Y,W,H", value_parser = parse_zone)]
    pub zone: Option<Zone>,
}

fn parse_zone(s: &str) -> Result<Zone, String> {
    let v: Vec<f32> = s
        .split(',')
        .map(|p| p.trim().parse::<f32>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("expected LEFT,TOP,WIDTH,HEIGHT in frame pixels, got {s:?}"))?;
    match v[..] {
        [x, y, w, h]
            if v.iter().all(|p| p.is_finite()) && x >= 0.0 && y >= 0.0 && w > 0.0 && h > 0.0 =>
        {
            Ok(Zone::rect(x, y, w, h))
        }
        _ => Err(format!(
            "expected LEFT,TOP,WIDTH,HEIGHT in frame pixels (a width and height above 0), got {s:?}"
        )),
    }
}

/// The whole run, as `--json` prints it.
#[derive(Serialize)]
struct Report {
    video: String,
    /// The recognition model and algorithm the deployment ran (`--model`).
    model: String,
    algorithm: String,
    cameras: usize,
    fps: Option<f64>,
    seconds: f64,
    volunteers: usize,
    strangers: usize,
    cores: usize,
    /// The smallest face searched for, pixels between the eyes (`--min-eyes`).
    min_eyes: f32,
    /// Every camera's Zone of Recognition (`--zone`), as its corners, or
    /// none: the whole frame.
    zone: Option<Zone>,
    /// The processor, its cores and vector instructions (`simd::processor`).
    processor: String,
    /// What ran the networks (`--runtime`).
    runtime: String,
    /// Frames analysed of those decoded, all cameras together: the share the
    /// machine kept up with.
    analysed_share: f64,
    /// Set-up (picking and enrolling volunteers), not part of the run.
    setup_seconds: f64,
    /// Peak resident memory of the process during the run, and at its end.
    peak_rss_mib: f64,
    final_rss_mib: f64,
    /// CPU time the process used during the run, per second of wall time
    /// (2.0 = both cores busy). FFmpeg decodes in child processes, not counted here.
    cpu_load: f64,
    /// CPU time of the FFmpeg decoders, per second of wall time, counted
    /// when the session stopped them.
    decoders_cpu_load: f64,
    /// The machine's one-minute load average at the start and end of the
    /// run: figures measured beside other work are not an idle machine's.
    load_average: (f64, f64),
    /// Alerts announced by the session / alerts the store holds after it.
    alerts_announced: usize,
    alerts_in_store: usize,
    /// What each network the workers shared ran (`--batch-cameras on`):
    /// fewer runs than requests where several cameras' frames or faces
    /// were run as one.
    batched: Vec<Batched>,
    /// Recognition time of every alert in the store, all cameras together.
    recognition_ms: Option<lfr_domain::metrics::Percentiles>,
    /// The same per watchlist entry: a looping clip brings the same few
    /// people past again and again, so the percentiles above weigh each
    /// person by how often they were alerted on, and one person's slow walk
    /// to a matching view can be the whole 95th percentile.
    per_entry: Vec<EntryTimes>,
    per_camera: Vec<CameraFigures>,
}

#[derive(Serialize)]
struct Batched {
    network: String,
    requests: u64,
    runs: u64,
    rows: u64,
}

#[derive(Serialize)]
struct EntryTimes {
    /// The inclusion alerted on (`I<n>`).
    inclusion: String,
    alerts: usize,
    recognition_ms: Option<lfr_domain::metrics::Percentiles>,
}

/// Recognition times grouped by the watchlist entry alerted on, most alerts first.
fn per_entry(alerts: &[lfr_domain::alert::Alert]) -> Vec<EntryTimes> {
    let mut by: std::collections::BTreeMap<_, Vec<u32>> = Default::default();
    for a in alerts {
        by.entry(a.inclusion).or_default().push(a.recognition_ms);
    }
    let mut out: Vec<EntryTimes> = by
        .into_iter()
        .map(|(i, times)| EntryTimes {
            inclusion: i.to_string(),
            alerts: times.len(),
            recognition_ms: lfr_live::figures::percentiles(&times),
        })
        .collect();
    out.sort_by_key(|e| std::cmp::Reverse(e.alerts));
    out
}

fn shared(rel: &str) -> PathBuf {
    std::env::var_os("LFR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared"))
        .join(rel)
}

/// A temporary directory removed at the end.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A field of /proc/self/status in KiB (VmRSS, VmHWM).
fn status_kib(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// The one-minute load average.
fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(f64::NAN)
}

/// User plus system CPU time of this process, in seconds.
fn cpu_seconds() -> Option<f64> {
    proc_stat_seconds(11)
}

/// The same of its ended child processes (the FFmpeg decoders, once the
/// session has stopped and reaped them).
fn children_cpu_seconds() -> Option<f64> {
    proc_stat_seconds(13)
}

/// Fields `first` and `first + 1` of /proc/self/stat after the command
/// name, summed, in seconds.
fn proc_stat_seconds(first: usize) -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(first)?.parse::<f64>().ok()? + f.get(first + 1)?.parse::<f64>().ok()?;
    // /proc counts in USER_HZ, which Linux fixes at 100 for user space.
    Some(ticks / 100.0)
}

/// The video as a camera at `fps` would send it. A camera set to 10 frames
/// a second encodes 10, so its decoder decodes 10; replaying a 25 fps file
/// and dropping frames after decoding would charge four cameras for
/// decoding 100 frames a second instead of 40. Re-encoded once, into `dir`,
/// with a camera's key frame every 2 s.
fn at_camera_rate(
    video: &std::path::Path,
    fps: Option<f64>,
    dir: &std::path::Path,
) -> Result<PathBuf> {
    let Some(fps) = fps else {
        return Ok(video.to_path_buf());
    };
    let input = video.to_string_lossy();
    if lfr_video::probe(&input)?.fps.is_none_or(|n| fps >= n) {
        return Ok(video.to_path_buf());
    }
    let t = Instant::now();
    let opts = lfr_video::DecodeOptions {
        fps: Some(fps),
        ..Default::default()
    };
    let frames = lfr_video::Decoder::open(&input, &opts)?;
    let (w, h) = frames.size();
    let out = dir.join(format!("camera-{fps}fps.mp4"));
    let mut encoder = Encoder::start(&out, w, h, fps as u32, 18)?;
    for frame in frames {
        encoder.write(&frame?)?;
    }
    encoder.finish()?;
    eprintln!(
        "re-encoded the video at {fps} fps, as such a camera sends it ({:.1} s)",
        t.elapsed().as_secs_f64()
    );
    Ok(out)
}

pub fn run(g: &Global, a: LiveArgs) -> Result<()> {
    if a.cameras == 0 {
        bail!("--cameras must be at least 1");
    }
    if !a.seconds.is_finite() || a.seconds <= 0.0 {
        bail!("--seconds must be a positive number");
    }
    if a.fps.is_some_and(|f| !(f >= 1.0 && f.fract() == 0.0)) {
        bail!("--fps must be a whole number of frames a second, as cameras send");
    }
    let video = a
        .video
        .clone()
        .unwrap_or_else(|| shared("data/video/arcade-crowd-1080p.mp4"));
    if !video.is_file() {
        bail!(
            "the video {} is missing; pass --video FILE or set LFR_SHARED to the shared data folder",
            video.display()
        );
    }
    let lfw = a.lfw.clone().unwrap_or_else(|| shared("data/lfw/images"));
    if !lfw.is_dir() {
        bail!(
            "the LFW images folder {} is missing; pass --lfw DIR or set LFR_SHARED to the shared data folder",
            lfw.display()
        );
    }
    let models = model_files(g)?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(bench(g, a, video, lfw, models))
}

async fn bench(
    g: &Global,
    a: LiveArgs,
    video: PathBuf,
    lfw: PathBuf,
    models: lfr_engine::pipeline::ModelFiles,
) -> Result<()> {
    let runtime = lfr_engine::runtime::chosen().to_string();
    let dir = TempDir(std::env::temp_dir().join(format!("lfr-bench-live-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0)
        .with_context(|| format!("cannot create {}", dir.0.display()))?;
    let url = format!("sqlite://{}", dir.0.join("lfr.db").display());
    let store = Arc::new(Store::open(&url, &dir.0.join("keys"), true, Arc::new(RealClock)).await?);

    let t0 = Instant::now();
    eprintln!(
        "setting up a walk-through: picking {} volunteers from {}...",
        a.volunteers,
        video.display()
    );
    let w = lfr_live::walkthrough::setup(&store, &video, &models, a.volunteers, &lfw, a.strangers)
        .await?;
    let setup_seconds = t0.elapsed().as_secs_f64();
    eprintln!(
        "{} volunteers enrolled in {setup_seconds:.1} s; running {} camera(s) for {} s...",
        w.volunteers.len(),
        a.cameras,
        a.seconds
    );

    let replayed = at_camera_rate(&video, a.fps, &dir.0)?;
    let cameras: Vec<CameraConfig> = (1..=a.cameras)
        .map(|i| CameraConfig {
            name: format!("camera-{i}"),
            location: format!("replay {i} of {}", video.display()),
            source: Source::File {
                path: replayed.clone(),
                realtime: true,
                looped: true,
                loop_pause_s: 0.0,
            },
            zone: a.zone.clone(),
            min_eyes: None,
        })
        .collect();
    let config = LiveConfig {
        workers: a.workers,
        max_fps_per_camera: a.fps,
        ..a.search.live_config()
    };
    let session = Session::start(
        store.clone(),
        w.engineer.clone(),
        w.deployment,
        cameras,
        models,
        config,
    )
    .await?;
    let mut events = session.subscribe();
    let cpu0 = cpu_seconds();
    let children0 = children_cpu_seconds();
    let load0 = load_average();
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(a.seconds);
    let mut peak_rss = 0u64;
    let mut announced = 0usize;
    let mut sample = tokio::time::interval(Duration::from_millis(100));
    while Instant::now() < until {
        tokio::select! {
            _ = sample.tick() => {
                peak_rss = peak_rss.max(status_kib("VmRSS:").unwrap_or(0));
            }
            ev = events.recv() => match ev {
                Ok(LiveEvent::Alert(_)) => announced += 1,
                Ok(LiveEvent::AlertRefused { camera, reason }) => {
                    eprintln!("{camera}: an alert was refused: {reason}");
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    eprintln!("(the benchmark fell {n} events behind)");
                }
                Err(_) => break,
            },
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = match (cpu0, cpu_seconds()) {
        (Some(a), Some(b)) => (b - a) / wall,
        _ => f64::NAN,
    };
    let batching = session.batching();
    let per_camera = session.stop().await;
    // Read once the workers have stopped, so every frame analysed is in.
    let batched: Vec<Batched> = batching
        .iter()
        .flat_map(|b| b.stats())
        .map(|(network, s)| Batched {
            network,
            requests: s.requests,
            runs: s.runs,
            rows: s.rows,
        })
        .collect();
    let decoders = match (children0, children_cpu_seconds()) {
        (Some(a), Some(b)) => (b - a) / wall,
        _ => f64::NAN,
    };
    // Alerts announced after the loop ended (written during stop).
    while let Ok(ev) = events.try_recv() {
        if matches!(ev, LiveEvent::Alert(_)) {
            announced += 1;
        }
    }
    let alerts = store.alerts(&w.silver, w.deployment).await?;
    let times: Vec<u32> = alerts.iter().map(|a| a.recognition_ms).collect();
    let recognition = store.deployment(&w.silver, w.deployment).await?.recognition;
    let report = Report {
        video: video.display().to_string(),
        model: recognition.model,
        algorithm: recognition.algorithm,
        cameras: a.cameras,
        fps: a.fps,
        seconds: wall,
        volunteers: w.volunteers.len(),
        strangers: a.strangers,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        min_eyes: a.search.smallest.min_eyes,
        zone: a.zone.clone(),
        processor: lfr_engine::simd::processor(),
        runtime,
        analysed_share: {
            let decoded: u64 = per_camera.iter().map(|c| c.frames_decoded).sum();
            let analysed: u64 = per_camera.iter().map(|c| c.frames_analysed).sum();
            analysed as f64 / decoded.max(1) as f64
        },
        setup_seconds,
        peak_rss_mib: peak_rss as f64 / 1024.0,
        final_rss_mib: status_kib("VmRSS:").unwrap_or(0) as f64 / 1024.0,
        cpu_load: cpu,
        decoders_cpu_load: decoders,
        load_average: (load0, load_average()),
        alerts_announced: announced,
        alerts_in_store: alerts.len(),
        batched,
        recognition_ms: lfr_live::figures::percentiles(&times),
        per_entry: per_entry(&alerts),
        per_camera,
    };
    if g.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(())
}

fn print_report(r: &Report) {
    let fps = r
        .fps
        .map_or("the video's own rate".to_string(), |f| format!("{f} fps"));
    println!(
        "{}: {} camera(s) at {fps}, real time, {:.0} s, {} volunteer(s), {} cores",
        r.video, r.cameras, r.seconds, r.volunteers, r.cores
    );
    println!("processor {}; networks run by {}", r.processor, r.runtime);
    println!(
        "{:<10} {:>8} {:>8} {:>6} {:>8} {:>6} {:>7} {:>6} {:>6} {:>18} {:>9} {:>6}",
        "camera",
        "decoded",
        "analysed",
        "share",
        "dropped",
        "fps",
        "ms/fr",
        "faces",
        "alerts",
        "recog p50/p95/max",
        "waiting",
        "queued"
    );
    for c in &r.per_camera {
        let times = c.recognition_ms.as_ref().map_or("-".to_string(), |p| {
            format!("{}/{}/{} ms", p.p50, p.p95, p.max)
        });
        let share = 100.0 * c.frames_analysed as f64 / c.frames_decoded.max(1) as f64;
        println!(
            "{:<10} {:>8} {:>8} {:>5.0}% {:>8} {:>6.1} {:>7.0} {:>6} {:>6} {:>18} {:>9} {:>6}",
            c.camera,
            c.frames_decoded,
            c.frames_analysed,
            share,
            c.frames_dropped,
            c.analysed_fps,
            c.analysis_ms_per_frame,
            c.faces_scanned,
            c.alerts,
            times,
            c.peak_frames_waiting,
            c.peak_matches_pending
        );
    }
    println!(
        "peak RSS {:.0} MiB (at the end {:.0} MiB); lfr's CPU load {:.2} cores, the FFmpeg decoders' {:.2}; machine load average {:.1} at the start, {:.1} at the end",
        r.peak_rss_mib,
        r.final_rss_mib,
        r.cpu_load,
        r.decoders_cpu_load,
        r.load_average.0,
        r.load_average.1
    );
    println!(
        "analysed {:.0}% of the frames decoded, all cameras together",
        100.0 * r.analysed_share
    );
    for b in &r.batched {
        println!(
            "shared network {}: {} requests in {} runs, {:.2} rows a run",
            b.network,
            b.requests,
            b.runs,
            b.rows as f64 / b.runs.max(1) as f64
        );
    }
    println!(
        "alerts: {} announced, {} in the store",
        r.alerts_announced, r.alerts_in_store
    );
    for c in &r.per_camera {
        if let Some(p) = &c.matching_frame_ms {
            println!(
                "{}: {} of {} alerts on a track's first template; the matching frame took p50 {} ms, p95 {} ms, max {} ms from decoder to store",
                c.camera, c.first_template_alerts, c.alerts, p.p50, p.p95, p.max
            );
        }
    }
    if let Some(p) = &r.recognition_ms {
        println!(
            "recognition time, all cameras ({} alerts): p50 {} ms, p95 {} ms, max {} ms",
            r.alerts_in_store, p.p50, p.p95, p.max
        );
    }
    for e in &r.per_entry {
        if let Some(p) = &e.recognition_ms {
            println!(
                "  {}: {} alerts, recognition time p50 {} ms, max {} ms",
                e.inclusion, e.alerts, p.p50, p.max
            );
        }
    }
}
