//! The threads of a session: one source thread per camera, and a pool of
//! analysis workers, each with its own engine, sharing the cameras through
//! the hand-off.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::Instant;

use lfr_engine::pipeline::{Engine, EngineConfig, EngineError, ModelFiles};
use lfr_engine::runtime::{BatchConfig, Batching};
use lfr_video::Killer;
use tokio::sync::mpsc::Sender;
use tokio::sync::mpsc::error::TrySendError;

use crate::analysis::{AnalysisConfig, CameraAnalysis, Recognition};
use crate::camera::CameraConfig;
use crate::events::{CameraStatus, Match};
use crate::figures::{CameraFigures, Counters, add, peak};

use crate::handoff::Handoff;
use crate::source::{SourceContext, SourceSettings, StatusChange};

/// What the threads send to the session.
#[derive(Debug)]
pub enum Output {
    Match(Match),
    Status(StatusChange),
    /// Analysis of a frame failed (an engine error); the camera carries on.
    Error {
        camera: usize,
        detail: String,
    },
}

/// How the threads are laid out.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    pub engine: EngineConfig,
    pub analysis: AnalysisConfig,
    pub sources: SourceSettings,
    pub workers: usize,
    /// The workers share each network and join the runs that arrive
    /// together ([`Batching`]); `None`: each worker runs its own copies.
    pub batch: Option<BatchConfig>,
}

struct Camera {
    config: CameraConfig,
    counters: Arc<Counters>,
    killer: Arc<Mutex<Option<Killer>>>,
}

pub struct Runner {
    cameras: Vec<Camera>,
    handoff: Arc<Handoff>,
    recognition: Arc<RwLock<Option<Recognition>>>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    started: Instant,
    batching: Vec<Arc<Batching>>,
}

/// One engine per worker: each with its own networks, or all on one
/// batched set of them.
fn open_engines(
    models: &ModelFiles,
    config: &RunnerConfig,
) -> Result<(Vec<Engine>, Vec<Arc<Batching>>), EngineError> {
    let workers = 0..config.workers.max(1);
    let Some(batch) = config.batch else {
        let engines = workers
            .map(|_| Engine::open(models, &config.engine))
            .collect::<Result<_, _>>()?;
        return Ok((engines, Vec::new()));
    };
    let backends = config
        .engine
        .runtime
        .backends(&models.onnxruntime, config.engine.threads)?;
    let (shared, batching) = backends.batched(batch);
    let engines = workers
        .map(|_| Engine::open_on(models, &config.engine, &shared))
        .collect::<Result<_, _>>()?;
    Ok((engines, batching))
}

impl Runner {
    /// Opens one engine per worker (before any thread starts, so that a
    /// missing model is an error here), then starts the workers and sources.
    pub fn start(
        cameras: Vec<CameraConfig>,
        models: &ModelFiles,
        config: &RunnerConfig,
        recognition: Option<Recognition>,
        out: Sender<Output>,
    ) -> Result<Self, EngineError> {
        let (engines, batching) = open_engines(models, config)?;
        let cameras: Vec<Camera> = cameras
            .into_iter()
            .map(|c| Camera {
                config: c,
                counters: Arc::new(Counters::default()),
                killer: Arc::new(Mutex::new(None)),
            })
            .collect();
        let handoff = Arc::new(Handoff::new(
            cameras
                .iter()
                .map(|c| {
                    let a = CameraAnalysis::new(
                        c.config.name.clone(),
                        c.config.zone.clone(),
                        config.analysis,
                        c.counters.clone(),
                    )
                    .with_min_eyes(c.config.min_eyes);
                    (Box::new(a), c.counters.clone())
                })
                .collect(),
        ));
        let recognition = Arc::new(RwLock::new(recognition));
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        for (i, mut engine) in engines.into_iter().enumerate() {
            let handoff = handoff.clone();
            let recognition = recognition.clone();
            let out = out.clone();
            let counters: Vec<Arc<Counters>> = cameras.iter().map(|c| c.counters.clone()).collect();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("lfr-analysis-{i}"))
                    .spawn(move || work(&handoff, &recognition, &mut engine, &counters, &out))
                    .expect("spawning a thread"),
            );
        }
        for (i, c) in cameras.iter().enumerate() {
            let out = out.clone();
            let ctx = SourceContext {
                camera: i,
                config: c.config.clone(),
                settings: config.sources,
                handoff: handoff.clone(),
                counters: c.counters.clone(),
                // A status never waits: a camera thread must not stall on a
                // full queue, and its status is also in its counters.
                report: Box::new(move |s| {
                    let _ = out.try_send(Output::Status(s));
                }),
                stop: stop.clone(),
                killer: c.killer.clone(),
            };
            threads.push(
                std::thread::Builder::new()
                    .name(format!("lfr-camera-{i}"))
                    .spawn(move || ctx.run())
                    .expect("spawning a thread"),
            );
        }
        Ok(Self {
            cameras,
            handoff,
            recognition,
            stop,
            threads,
            started: Instant::now(),
            batching,
        })
    }

    /// Starts, changes or (with `None`) pauses recognition. The previous
    /// gallery is dropped (and zeroed) once no worker holds it.
    pub fn set_recognition(&self, r: Option<Recognition>) {
        *self.recognition.write().unwrap_or_else(|e| e.into_inner()) = r;
    }

    pub fn recognising(&self) -> bool {
        self.recognition
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Each camera's configuration and counters.
    pub fn cameras(&self) -> Vec<(CameraConfig, Arc<Counters>)> {
        self.cameras
            .iter()
            .map(|c| (c.config.clone(), c.counters.clone()))
            .collect()
    }

    /// The networks the workers share, if they do: what each has run can
    /// be read from them after the runner stopped.
    pub fn batching(&self) -> Vec<Arc<Batching>> {
        self.batching.clone()
    }

    /// When the cameras started: the figures' rates are over the time since.
    pub fn started(&self) -> Instant {
        self.started
    }

    pub fn figures(&self) -> Vec<CameraFigures> {
        self.cameras
            .iter()
            .map(|c| {
                CameraFigures::of(
                    &c.config.name,
                    &c.config.location,
                    &c.counters,
                    self.started,
                )
            })
            .collect()
    }

    /// Tells every thread to stop, without waiting.
    pub fn halt(&self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.handoff.stop();
        for c in &self.cameras {
            if let Some(k) = c.killer.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
                k.kill();
            }
        }
    }

    /// Stops the sources and workers and waits for them.
    pub fn stop(mut self) {
        self.halt();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        for c in &self.cameras {
            c.counters.set_status(CameraStatus::Stopped);
        }
        self.set_recognition(None);
    }
}

/// Hands a match to the recorder. The queue is bounded, so a database
/// slower than the matches cannot fill memory with probes: when it is full
/// the worker waits (counted in `waits`), the hand-off drops that camera's
/// newer frames meanwhile (counted as dropped), and no match is lost.
fn hand_on<T>(out: &Sender<T>, item: T, waits: &AtomicU64) {
    match out.try_send(item) {
        Ok(()) | Err(TrySendError::Closed(_)) => {}
        Err(TrySendError::Full(item)) => {
            add(waits, 1);
            let _ = out.blocking_send(item);
        }
    }
}

/// A worker: takes the next camera's frame, looks for its faces (before
/// its turn where the camera allows), analyses it in the camera's order,
/// hands matches on.
fn work(
    handoff: &Handoff,
    recognition: &RwLock<Option<Recognition>>,
    engine: &mut Engine,
    counters: &[Arc<Counters>],
    out: &Sender<Output>,
) {
    while let Some(w) = handoff.take() {
        // A clone of the Arc: a pause takes effect from the next frame.
        let current = recognition
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let started = Instant::now();
        let found = match (&current, &w.search) {
            (Some(_), Some(search)) => Some(search.faces(engine, &w.frame.image)),
            _ => None,
        };
        let searching = started.elapsed();
        let Some(mut analysis) = handoff.analysis(&w) else {
            // Stopped before its turn: counted, as a frame never analysed.
            add(&counters[w.camera].frames_dropped, 1);
            return;
        };
        if w.restarted {
            analysis.forget();
        }
        let c = &counters[w.camera];
        let done = match current {
            None => {
                add(&c.frames_paused, 1);
                analysis.forget();
                // Paused: nothing is analysed, so nothing may be shown.
                c.view.clear();
                Ok(Vec::new())
            }
            Some(r) => match found {
                Some(faces) => faces.and_then(|faces| {
                    analysis.process_found(engine, &w.frame, &faces, &r, searching)
                }),
                None => analysis.process(engine, &w.frame, &r),
            },
        };
        match done {
            Ok(matches) => {
                for m in matches {
                    let pending = c.matches_pending.fetch_add(1, Ordering::Relaxed) + 1;
                    peak(&c.peak_matches_pending, pending);
                    hand_on(out, Output::Match(m), &c.match_queue_waits);
                }
            }
            Err(e) => {
                let _ = out.try_send(Output::Error {
                    camera: w.camera,
                    detail: e.to_string(),
                });
            }
        }
        drop(w.frame);
        handoff.give_back(w.camera, analysis);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_match_queue_makes_the_worker_wait_and_loses_nothing() {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(1);
        let waits = Arc::new(AtomicU64::new(0));
        let w = waits.clone();
        let reader = std::thread::spawn(move || {
            // Read only once the worker has found the queue full.
            while w.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                std::thread::yield_now();
            }
            let mut got = Vec::new();
            while let Some(v) = rx.blocking_recv() {
                got.push(v);
            }
            got
        });
        for v in 0..3 {
            hand_on(&tx, v, &waits);
        }
        drop(tx);
        assert_eq!(
            reader.join().unwrap(),
            vec![0, 1, 2],
            "every match arrives, in order"
        );
        // The first overflow waited for sure (the reader reads only after it);
        // whether the last did depends on how fast the reader drained.
        let waited = waits.load(std::sync::atomic::Ordering::SeqCst);
        assert!((1..=2).contains(&waited), "{waited}");
    }
}
