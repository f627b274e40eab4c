//! A recognition session: the cameras of one deployment, its gallery, and
//! the store that every alert and count is written to.
//!
//! Three parts run beside the camera and analysis threads:
//! - the recorder, which writes each match with `Store::raise_alert` and
//!   only then tells subscribers (so a console never shows an alert the
//!   database does not hold), and stamps camera events;
//! - the housekeeper, which re-reads the deployment (pausing or resuming
//!   recognition as its authority allows), records counts and publishes
//!   figures;
//! - the broadcast channel subscribers listen on.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lfr_domain::Refusal;
use lfr_domain::ids::DeploymentId;
use lfr_domain::policy;
use lfr_domain::role::User;
use lfr_engine::align::AlignMethod;
use lfr_engine::detect::DetectorConfig;
use lfr_engine::fusion::Matcher;
use lfr_engine::pipeline::{EngineConfig, EngineError, ModelFiles};
use lfr_store::alerts::{NewAlert, Raised};
use lfr_store::sessions::RecognitionSession;
use lfr_store::{Store, StoreError};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::EVENT_BUFFER;
use crate::analysis::{AnalysisConfig, Recognition};
use crate::backoff::Backoff;
use crate::camera::{CameraConfig, Source};
use crate::events::{CameraEvent, CameraStatus, LiveEvent, Match, RaisedAlert, RecognitionState};
use crate::figures::{CameraFigures, Counters, add};
use crate::gallery::Gallery;
use crate::gate::QualityGate;
use crate::runner::{Output, Runner, RunnerConfig};
use crate::source::SourceSettings;
use crate::threshold::Threshold;
use crate::tracker::TrackerConfig;

/// Everything about a session that is not the deployment's to decide.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    pub gate: QualityGate,
    pub tracker: TrackerConfig,
    /// Templates made per track at most.
    pub templates_per_track: u32,
    /// Detection where faces can be ([`crate::analysis::Regions`]); `None`: every frame whole.
    pub regions: Option<crate::analysis::Regions>,
    /// Detector settings; the default suits 1080p video (faces down to 20
    /// px between the eyes, frames shrunk to 0.75).
    pub detector: DetectorConfig,
    pub align: AlignMethod,
    /// Analysis workers, each with its own engine. A camera's frames are
    /// analysed in order, one at a time; with more workers than cameras,
    /// the search for a frame's faces runs while the frame before is
    /// analysed ([`crate::handoff`]): more frames analysed a second, each
    /// later. `None`: one per core, but no more than one a camera (two on
    /// ONNX Runtime without `regions`; see `default_workers`).
    pub workers: Option<usize>,
    /// Threads each model may use. `None`: the cores left over once each
    /// worker has one (so a single camera on two cores detects with two),
    /// or every core for the networks the workers share when batched.
    pub threads_per_worker: Option<usize>,
    /// Ask the decoder for at most this many frames per second per camera.
    pub max_fps_per_camera: Option<f64>,
    /// Decode the cameras' video on this hardware (`None`: the CPU).
    pub hwaccel: Option<lfr_video::HwAccel>,
    /// The workers share each network, and runs that arrive together (from
    /// several cameras) are made one ([`lfr_engine::runtime::Batching`]).
    /// `None`: on with `--runtime cuda` and more than one worker, where a
    /// GPU would otherwise run one small frame at a time; off on the CPU,
    /// where each worker running its own copies costs fewer frames.
    pub batch_cameras: Option<bool>,
    pub stall_timeout: Duration,
    pub backoff: Backoff,
    /// How often counts are written to the store (and always at stop): a
    /// process killed outright loses at most this interval's counts, which
    /// the published false alert rate divides by. Nothing is written while
    /// nothing was counted.
    pub counts_interval: Duration,
    /// How often the deployment is re-read to pause or resume recognition.
    pub state_poll: Duration,
    /// How often [`LiveEvent::Figures`] is broadcast.
    pub figures_interval: Duration,
}

impl Default for LiveConfig {
    fn default() -> Self {
        let a = AnalysisConfig::default();
        Self {
            gate: a.gate,
            tracker: a.tracker,
            templates_per_track: a.templates_per_track,
            regions: a.regions,
            detector: DetectorConfig::default(),
            align: AlignMethod::YuNet5,
            workers: None,
            threads_per_worker: None,
            max_fps_per_camera: None,
            hwaccel: None,
            batch_cameras: None,
            stall_timeout: Duration::from_secs(10),
            backoff: Backoff::default(),
            counts_interval: Duration::from_secs(5),
            state_poll: Duration::from_secs(5),
            figures_interval: Duration::from_secs(1),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("{0}")]
    Config(String),
}

/// What the housekeeper can be asked.
enum Control {
    Refresh(oneshot::Sender<RecognitionState>),
}

/// Who the session acts as, and for which deployment.
#[derive(Clone)]
struct Context {
    store: Arc<Store>,
    actor: User,
    /// The store's record of this run: alerts and counts are written through it.
    recorded: RecognitionSession,
    deployment: DeploymentId,
    algorithm: lfr_engine::template::Algorithm,
    matcher: Matcher,
    events: broadcast::Sender<LiveEvent>,
    state: Arc<Mutex<RecognitionState>>,
    cameras: Arc<Vec<(CameraConfig, Arc<Counters>)>>,
    /// Set by [`Session::stop`]: a write that keeps failing is given up
    /// after [`RETRIES_WHEN_STOPPING`] instead of retried for as long as
    /// the session runs.
    stopping: Arc<std::sync::atomic::AtomicBool>,
}

/// A running session. Stop it with [`Session::stop`]; dropping it stops
/// the threads too, but without recording the last counts.
pub struct Session {
    ctx: Context,
    /// Subscribed at start, handed to the first caller of `subscribe`.
    first: Mutex<Option<broadcast::Receiver<LiveEvent>>>,
    runner: Option<Arc<Runner>>,
    control: mpsc::Sender<Control>,
    shutdown: Option<oneshot::Sender<()>>,
    housekeeper: Option<JoinHandle<()>>,
    recorder: Option<JoinHandle<()>>,
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// One worker per core, but no more than one a camera, or two a camera
/// when `ahead`: a camera's next frame searched while the one before is
/// analysed ([`crate::handoff`]), so that each worker's models run on one
/// thread. That is the default on ONNX Runtime, whose threads sleep when
/// idle and wake slowly: YuNet on a 1080p frame took 49 ms of CPU on one
/// thread and 72 ms on two (42 ms of wall time). One 1080p camera at 25 fps
/// on two cores (`bench live`, in turn, three times) analysed 21.7, 18.9
/// and 21.5 frames a second with two workers against 19.4, 17.7 and 18.7
/// with one on two threads, recognition time p95 unchanged (416 against
/// 413 ms), p50 about 30 ms later. OpenVINO's threads share a model well
/// (YuNet: 34 and 35 ms of CPU), and one worker on two threads keeps its
/// latency lower (p50 54-65 against 92 ms), so there it stays one a camera.
fn default_workers(cores: usize, cameras: usize, ahead: bool) -> usize {
    let per_camera = if ahead { 2 } else { 1 };
    cores.min(cameras * per_camera)
}

/// Whether the workers share their networks unless told
/// ([`LiveConfig::batch_cameras`]): on a GPU, where runs of one frame leave
/// it idle, when there is more than one worker to join; never on the CPU,
/// where it cost four cameras on OpenVINO 5.0 frames a second against
/// 5.7-5.8 (docs/live.md).
fn batches_by_default(runtime: lfr_engine::runtime::Runtime, workers: usize) -> bool {
    runtime == lfr_engine::runtime::Runtime::Cuda && workers > 1
}

impl Session {
    /// Starts recognition for `deployment` on `cameras`. Fails when the
    /// deployment may not run recognition now (the store's refusal says
    /// why), when the models cannot be loaded, or when the cameras are
    /// misconfigured.
    pub async fn start(
        store: Arc<Store>,
        actor: User,
        deployment: DeploymentId,
        cameras: Vec<CameraConfig>,
        models: ModelFiles,
        config: LiveConfig,
    ) -> Result<Session, LiveError> {
        check_cameras(&cameras)?;
        let algorithm = models.algorithm(config.align)?;
        let matcher = Matcher::new(models.fusion_calibration(config.align)?);
        let (events, first) = broadcast::channel(EVENT_BUFFER);
        let recognition =
            fetch_recognition(&store, &actor, deployment, &algorithm, &matcher).await?;
        let calibration = models.calibration_digest(config.align)?;
        let recorded = store
            .open_recognition_session(&actor, deployment, algorithm.as_str(), &calibration)
            .await?;
        let analysis = AnalysisConfig {
            gate: config.gate,
            tracker: config.tracker,
            templates_per_track: config.templates_per_track,
            regions: config.regions,
            ..AnalysisConfig::default()
        };
        let runtime = lfr_engine::runtime::chosen();
        let workers = config
            .workers
            .unwrap_or_else(|| {
                let ahead = analysis.searches_ahead()
                    && runtime == lfr_engine::runtime::Runtime::OnnxRuntime;
                default_workers(cores(), cameras.len(), ahead)
            })
            .max(1);
        let batch = config
            .batch_cameras
            .unwrap_or_else(|| batches_by_default(runtime, workers))
            .then(lfr_engine::runtime::BatchConfig::default);
        // A shared network runs every worker's frames, one batch at a time,
        // so it may use every core.
        let threads = config.threads_per_worker.unwrap_or_else(|| {
            if batch.is_some() {
                cores()
            } else {
                (cores() / workers).max(1)
            }
        });
        let runner_config = RunnerConfig {
            engine: EngineConfig {
                detector: config.detector,
                align: config.align,
                threads,
                ..EngineConfig::default()
            },
            analysis,
            sources: SourceSettings {
                backoff: config.backoff,
                stall_timeout: config.stall_timeout,
                max_fps: config.max_fps_per_camera,
                hwaccel: config.hwaccel,
            },
            workers,
            batch,
        };
        let (out_tx, out_rx) = mpsc::channel(MATCH_QUEUE);
        let runner = tokio::task::spawn_blocking(move || {
            Runner::start(cameras, &models, &runner_config, Some(recognition), out_tx)
        })
        .await
        .map_err(|e| LiveError::Config(format!("starting the cameras failed: {e}")))??;
        let runner = Arc::new(runner);
        let ctx = Context {
            store,
            actor,
            recorded,
            deployment,
            algorithm,
            matcher,
            events,
            state: Arc::new(Mutex::new(RecognitionState::Running)),
            cameras: Arc::new(runner.cameras()),
            stopping: Arc::default(),
        };
        let recorder = tokio::spawn(record(ctx.clone(), out_rx));
        let (control, control_rx) = mpsc::channel(8);
        let (shutdown, shutdown_rx) = oneshot::channel();
        let housekeeper = tokio::spawn(housekeep(
            ctx.clone(),
            runner.clone(),
            config.clone(),
            control_rx,
            shutdown_rx,
        ));
        let _ = ctx
            .events
            .send(LiveEvent::Recognition(RecognitionState::Running));
        Ok(Session {
            ctx,
            first: Mutex::new(Some(first)),
            runner: Some(runner),
            control,
            shutdown: Some(shutdown),
            housekeeper: Some(housekeeper),
            recorder: Some(recorder),
        })
    }

    /// Events from now on; the first subscriber also gets every event since
    /// the session started (so that no camera's first status is missed).
    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.first
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .unwrap_or_else(|| self.ctx.events.subscribe())
    }

    /// Each camera's view slot, by name ([`crate::view`]).
    pub fn view_slots(&self) -> Vec<(String, Arc<crate::view::ViewSlot>)> {
        self.runner.as_ref().map_or_else(Vec::new, |r| {
            r.cameras()
                .into_iter()
                .map(|(c, counters)| (c.name, counters.view.clone()))
                .collect()
        })
    }

    /// The networks the workers share (none when each worker runs its own;
    /// [`LiveConfig::batch_cameras`]); read what they ran after [`Session::stop`].
    pub fn batching(&self) -> Vec<Arc<lfr_engine::runtime::Batching>> {
        self.runner.as_ref().map_or_else(Vec::new, |r| r.batching())
    }

    /// Each camera's figures now.
    pub fn figures(&self) -> Vec<CameraFigures> {
        self.runner.as_ref().map_or_else(Vec::new, |r| r.figures())
    }

    pub fn state(&self) -> RecognitionState {
        self.ctx
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Re-reads the deployment now (call it after suspending, resuming or
    /// terminating) and returns whether recognition runs.
    pub async fn refresh(&self) -> RecognitionState {
        let (tx, rx) = oneshot::channel();
        if self.control.send(Control::Refresh(tx)).await.is_err() {
            return self.state();
        }
        rx.await.unwrap_or_else(|_| self.state())
    }

    /// Stops the cameras, writes every match still on its way, records the
    /// last counts and returns the final figures. The gallery is zeroed.
    pub async fn stop(mut self) -> Vec<CameraFigures> {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        if let Some(h) = self.housekeeper.take() {
            let _ = h.await;
        }
        let started = self.runner.as_ref().map(|r| r.started());
        // Before the workers are stopped: a worker waiting for room in the
        // match queue is freed only when the recorder moves on, and a write
        // that keeps failing must then be given up, not retried for ever.
        self.ctx
            .stopping
            .store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(r) = self.runner.take() {
            // The housekeeper has ended, so this is the only reference.
            let _ = tokio::task::spawn_blocking(move || match Arc::try_unwrap(r) {
                Ok(r) => r.stop(),
                Err(r) => r.halt(),
            })
            .await;
        }
        // The threads are gone, so the channel closes once drained.
        if let Some(r) = self.recorder.take() {
            let _ = r.await;
        }
        record_counts(&self.ctx).await;
        // Closed only once every count is written: a session left open is
        // one that stopped without its last counts.
        if self.ctx.cameras.iter().all(|(_, c)| {
            use std::sync::atomic::Ordering::Relaxed;
            c.faces_recorded.load(Relaxed) == c.faces_scanned.load(Relaxed)
                && c.dropped_recorded.load(Relaxed) == c.frames_dropped.load(Relaxed)
        }) && let Err(e) = self
            .ctx
            .store
            .close_recognition_session(&self.ctx.recorded)
            .await
        {
            tracing::warn!("the recognition session could not be closed: {e}");
        }
        set_state(&self.ctx, RecognitionState::Stopped);
        // Taken now that the threads are stopped, the matches drained and the
        // last counts written: every figure is final.
        let since = started.unwrap_or_else(std::time::Instant::now);
        let final_figures: Vec<CameraFigures> = self
            .ctx
            .cameras
            .iter()
            .map(|(cfg, c)| CameraFigures {
                status: CameraStatus::Stopped,
                ..CameraFigures::of(&cfg.name, &cfg.location, c, since)
            })
            .collect();
        let _ = self
            .ctx
            .events
            .send(LiveEvent::Figures(final_figures.clone()));
        final_figures
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(r) = &self.runner {
            r.halt();
        }
    }
}

/// Whether `cameras` can run as configured, checked before anything starts:
/// the list itself ([`check_cameras`]) and every local file or folder it
/// names. (A network camera can only be tried; its failures are shown as
/// the camera's state.)
pub fn cameras_can_run(cameras: &[CameraConfig]) -> Result<(), LiveError> {
    check_cameras(cameras)?;
    for c in cameras {
        let missing = match &c.source {
            Source::File { path, .. } if !path.is_file() => Some(path),
            Source::Images { dir, .. } if !dir.is_dir() => Some(dir),
            _ => None,
        };
        if let Some(p) = missing {
            return Err(LiveError::Config(format!(
                "camera `{}`: {} does not exist; correct the camera list",
                c.name,
                p.display()
            )));
        }
    }
    Ok(())
}

fn check_cameras(cameras: &[CameraConfig]) -> Result<(), LiveError> {
    if cameras.is_empty() {
        return Err(LiveError::Config(
            "no cameras given: a session needs at least one".into(),
        ));
    }
    let mut names = HashSet::new();
    for c in cameras {
        if c.name.trim().is_empty() {
            return Err(LiveError::Config("a camera has no name".into()));
        }
        if !names.insert(c.name.as_str()) {
            return Err(LiveError::Config(format!(
                "two cameras are called `{}`; names must be unique",
                c.name
            )));
        }
        if let Source::File { loop_pause_s, .. } = c.source
            && !(0.0..=MAX_LOOP_PAUSE_S).contains(&loop_pause_s)
        {
            return Err(LiveError::Config(format!(
                "camera `{}`: loop_pause_s is {loop_pause_s}; give 0 to {MAX_LOOP_PAUSE_S} seconds",
                c.name
            )));
        }
    }
    Ok(())
}

/// The longest pause between replays of a looped file: an hour.
const MAX_LOOP_PAUSE_S: f64 = 3600.0;

/// The gallery and threshold, if the deployment may run recognition now.
async fn fetch_recognition(
    store: &Store,
    actor: &User,
    deployment: DeploymentId,
    algorithm: &lfr_engine::template::Algorithm,
    matcher: &Matcher,
) -> Result<Recognition, LiveError> {
    let d = store.deployment(actor, deployment).await?;
    policy::recognition_requires_active_authorisation(&d, store.clock().now())?;
    let threshold = Threshold::in_force(&d)?;
    let entries = store.gallery(actor, deployment, algorithm.as_str()).await?;
    let gallery = Gallery::new(matcher.clone(), entries).map_err(EngineError::from)?;
    Ok(Recognition {
        gallery: Arc::new(gallery),
        threshold,
    })
}

fn set_state(ctx: &Context, s: RecognitionState) {
    let mut cur = ctx.state.lock().unwrap_or_else(|e| e.into_inner());
    if *cur != s {
        *cur = s.clone();
        drop(cur);
        let _ = ctx.events.send(LiveEvent::Recognition(s));
    }
}

/// Writes matches as alerts, in order, and stamps camera events.
async fn record(ctx: Context, mut rx: mpsc::Receiver<Output>) {
    while let Some(o) = rx.recv().await {
        match o {
            Output::Match(m) => raise(&ctx, m).await,
            Output::Status(s) => {
                let name = ctx.cameras[s.camera].0.name.clone();
                let _ = ctx.events.send(LiveEvent::Camera(CameraEvent {
                    camera: name,
                    at: ctx.store.clock().now(),
                    status: s.status,
                    detail: s.detail,
                }));
            }
            Output::Error { camera, detail } => {
                let (cfg, counters) = &ctx.cameras[camera];
                let _ = ctx.events.send(LiveEvent::Camera(CameraEvent {
                    camera: cfg.name.clone(),
                    at: ctx.store.clock().now(),
                    status: counters.status(),
                    detail: format!("analysing a frame failed: {detail}"),
                }));
            }
        }
    }
}

/// Matches (each with its probe crop) and camera reports on their way to
/// the recorder at most; a full queue makes analysis wait
/// ([`crate::runner`]), so memory stays bounded when the database is slow.
pub const MATCH_QUEUE: usize = 64;

/// While the session runs, a match whose write fails (not refused) is
/// retried until the database takes it: the bounded queue holds the
/// matches behind it and analysis waits. Once the session is stopping, it
/// is given up after this many more attempts, and said so.
const RETRIES_WHEN_STOPPING: u32 = 3;

async fn raise(ctx: &Context, m: Match) {
    let Some((cfg, counters)) = ctx.cameras.iter().find(|(c, _)| c.name == m.camera) else {
        return;
    };
    write_alert(ctx, cfg, counters, m).await;
    counters
        .matches_pending
        .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
}

/// Writes one match as an alert, retrying while the database fails, and
/// announces it only once it is committed.
async fn write_alert(ctx: &Context, cfg: &CameraConfig, counters: &Counters, m: Match) {
    let ms = |t: std::time::Instant| t.elapsed().as_millis().min(u32::MAX as u128) as u32;
    let recognition_ms = ms(m.first_qualified);
    let frame_ms = ms(m.frame_captured);
    let alert = NewAlert {
        candidate_image: m.image,
        camera: m.camera.clone(),
        score: m.score,
        threshold: m.threshold,
        recognition_ms,
        probe: m.probe,
    };
    let mut wait = Duration::from_millis(100);
    let mut failed_while_stopping = 0;
    for attempt in 1.. {
        match ctx.store.raise_alert(&ctx.recorded, alert.clone()).await {
            // Another camera alerted on this person moments ago: the same
            // encounter, recorded on that alert.
            Ok(Raised::SeenAgain(a)) => {
                let _ = ctx.events.send(LiveEvent::SeenAgain {
                    alert: Box::new(a),
                    camera: m.camera.clone(),
                });
                return;
            }
            Ok(Raised::New(a)) => {
                add(&counters.alerts, 1);
                counters.recognition_time(recognition_ms);
                counters.matching_frame_time(frame_ms);
                if m.template == 1 {
                    add(&counters.first_template_alerts, 1);
                }
                let _ = ctx.events.send(LiveEvent::Alert(Box::new(RaisedAlert {
                    alert: a,
                    category: m.category,
                    location: cfg.location.clone(),
                    track: m.track,
                })));
                return;
            }
            Err(StoreError::Refused(r)) => {
                let _ = ctx.events.send(LiveEvent::AlertRefused {
                    camera: m.camera.clone(),
                    reason: r.to_string(),
                });
                return;
            }
            // Only the database failing is worth waiting out; anything else
            // (the pipeline's user deactivated, the key shredded) is final.
            Err(e) if !matches!(e, StoreError::Db(_)) => {
                tracing::error!(camera = %m.camera, "an alert could not be recorded: {e}");
                let _ = ctx.events.send(LiveEvent::AlertRefused {
                    camera: m.camera.clone(),
                    reason: format!("the alert could not be recorded: {e}"),
                });
                return;
            }
            Err(e) => {
                if ctx.stopping.load(std::sync::atomic::Ordering::SeqCst) {
                    failed_while_stopping += 1;
                    if failed_while_stopping >= RETRIES_WHEN_STOPPING {
                        tracing::error!(camera = %m.camera, "an alert could not be recorded before the stop: {e}");
                        let _ = ctx.events.send(LiveEvent::AlertRefused {
                            camera: m.camera.clone(),
                            reason: format!(
                                "the database did not accept the alert before the session stopped: {e}"
                            ),
                        });
                        return;
                    }
                }
                tracing::warn!(camera = %m.camera, attempt, "recording an alert failed, retrying: {e}");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Adds to the store's counts what each camera counted since its last
/// successful write ([`Counters::faces_recorded`], `dropped_recorded`); a
/// failed write is kept for the next attempt.
async fn record_counts(ctx: &Context) {
    use std::sync::atomic::Ordering::Relaxed;
    for (cfg, c) in ctx.cameras.iter() {
        let faces = c.faces_scanned.load(Relaxed);
        let dropped = c.frames_dropped.load(Relaxed);
        let (f0, d0) = (
            c.faces_recorded.load(Relaxed),
            c.dropped_recorded.load(Relaxed),
        );
        if faces == f0 && dropped == d0 {
            continue;
        }
        let written = ctx
            .store
            .record_counts(&ctx.recorded, &cfg.name, faces - f0, dropped - d0, None)
            .await;
        match written {
            Ok(()) => {
                c.faces_recorded.store(faces, Relaxed);
                c.dropped_recorded.store(dropped, Relaxed);
            }
            Err(e) => {
                tracing::warn!(camera = %cfg.name, "recording counts failed; they are kept for the next attempt: {e}");
            }
        }
    }
}

/// Re-reads the deployment and pauses or resumes recognition to match.
async fn check_state(ctx: &Context, runner: &Runner) -> RecognitionState {
    let d = match ctx.store.deployment(&ctx.actor, ctx.deployment).await {
        Ok(d) => d,
        Err(e) => {
            // Unseen recognition is worse than none: a node cut off from the
            // database cannot learn of a suspension or an authority's end.
            tracing::warn!(
                "re-reading D{} failed; recognition paused until it can be read: {e}",
                ctx.deployment
            );
            runner.set_recognition(None);
            let state = RecognitionState::Paused {
                reason: format!(
                    "the deployment cannot be read, so recognition is paused until it can: {e}"
                ),
            };
            set_state(ctx, state.clone());
            return state;
        }
    };
    let verdict = policy::recognition_requires_active_authorisation(&d, ctx.store.clock().now());
    let state = match verdict {
        Err(r) => {
            runner.set_recognition(None);
            RecognitionState::Paused { reason: r.message }
        }
        Ok(()) if runner.recognising() => RecognitionState::Running,
        Ok(()) => {
            match fetch_recognition(
                &ctx.store,
                &ctx.actor,
                ctx.deployment,
                &ctx.algorithm,
                &ctx.matcher,
            )
            .await
            {
                Ok(r) => {
                    runner.set_recognition(Some(r));
                    RecognitionState::Running
                }
                Err(e) => RecognitionState::Paused {
                    reason: e.to_string(),
                },
            }
        }
    };
    set_state(ctx, state.clone());
    state
}

async fn housekeep(
    ctx: Context,
    runner: Arc<Runner>,
    config: LiveConfig,
    mut control: mpsc::Receiver<Control>,
    mut shutdown: oneshot::Receiver<()>,
) {
    let mut counts = tokio::time::interval(config.counts_interval);
    let mut poll = tokio::time::interval(config.state_poll);
    let mut figures = tokio::time::interval(config.figures_interval);
    for i in [&mut counts, &mut poll, &mut figures] {
        i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        i.reset();
    }
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = counts.tick() => {
                record_counts(&ctx).await;
                // At once, so that dashboards stop adding what is now stored.
                let _ = ctx.events.send(LiveEvent::Figures(runner.figures()));
            }
            _ = poll.tick() => { check_state(&ctx, &runner).await; }
            _ = figures.tick() => {
                let _ = ctx.events.send(LiveEvent::Figures(runner.figures()));
            }
            Some(c) = control.recv() => match c {
                Control::Refresh(reply) => {
                    let s = check_state(&ctx, &runner).await;
                    let _ = reply.send(s);
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, loop_pause_s: f64) -> CameraConfig {
        CameraConfig {
            name: name.into(),
            location: "test".into(),
            source: Source::File {
                path: "a.mp4".into(),
                realtime: true,
                looped: true,
                loop_pause_s,
            },
            zone: None,
            min_eyes: None,
        }
    }

    #[test]
    fn a_camera_gets_two_workers_where_its_search_runs_ahead() {
        assert_eq!(default_workers(2, 1, true), 2);
        assert_eq!(default_workers(2, 1, false), 1);
        assert_eq!(default_workers(2, 4, true), 2, "one per core");
        assert_eq!(default_workers(16, 3, true), 6);
        assert_eq!(default_workers(16, 3, false), 3);
    }

    #[test]
    fn the_workers_share_their_networks_by_default_only_on_a_gpu() {
        use lfr_engine::runtime::Runtime;
        assert!(batches_by_default(Runtime::Cuda, 16));
        assert!(!batches_by_default(Runtime::Cuda, 1), "nothing to join");
        for cpu in [Runtime::OnnxRuntime, Runtime::OpenVino, Runtime::Hybrid] {
            assert!(!batches_by_default(cpu, 4), "{cpu}");
        }
    }

    #[test]
    fn cameras_are_named_uniquely_and_pause_between_replays_for_a_sane_time() {
        assert!(check_cameras(&[file("a", 0.0), file("b", 20.0)]).is_ok());
        assert!(check_cameras(&[]).is_err());
        let twice = check_cameras(&[file("a", 0.0), file("a", 0.0)]).unwrap_err();
        assert!(twice.to_string().contains("unique"), "{twice}");
        for bad in [-1.0, f64::NAN, f64::INFINITY, 3601.0] {
            let e = check_cameras(&[file("a", bad)]).unwrap_err();
            assert!(e.to_string().contains("loop_pause_s"), "{e}");
        }
        assert_eq!(file("a", 20.0).source.loop_pause(), Duration::from_secs(20));
    }
}
