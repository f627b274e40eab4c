//! The threads of a session: one source thread per camera, and a pool of
//! analysis workers, each with its own engine, sharing the cameras through
//! the hand-off.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::Instant;

use lfr_engine::pipeline::{Engine, EngineConfig, EngineError, ModelFiles};
use lfr_video::Killer;
use tokio::sync::mpsc::UnboundedSender;

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
}

impl Runner {
    /// Opens one engine per worker (before any thread starts, so that a
    /// missing model is an error here), then starts the workers and sources.
    pub fn start(
        cameras: Vec<CameraConfig>,
        models: &ModelFiles,
        config: &RunnerConfig,
        recognition: Option<Recognition>,
        out: UnboundedSender<Output>,
    ) -> Result<Self, EngineError> {
        let engines = (0..config.workers.max(1))
            .map(|_| Engine::open(models, &config.engine))
            .collect::<Result<Vec<_>, _>>()?;
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
                    );
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
                report: Box::new(move |s| {
                    let _ = out.send(Output::Status(s));
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

/// A worker: takes the next camera's frame, analyses it, hands matches on.
fn work(
    handoff: &Handoff,
    recognition: &RwLock<Option<Recognition>>,
    engine: &mut Engine,
    counters: &[Arc<Counters>],
    out: &UnboundedSender<Output>,
) {
    while let Some(mut w) = handoff.take() {
        if w.restarted {
            w.analysis.forget();
        }
        // A clone of the Arc: a pause takes effect from the next frame.
        let current = recognition
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match current {
            None => {
                add(&counters[w.camera].frames_paused, 1);
                w.analysis.forget();
            }
            Some(r) => match w.analysis.process(engine, &w.frame, &r) {
                Ok(matches) => {
                    let c = &counters[w.camera];
                    for m in matches {
                        let pending = c.matches_pending.fetch_add(1, Ordering::Relaxed) + 1;
                        peak(&c.peak_matches_pending, pending);
                        let _ = out.send(Output::Match(m));
                    }
                }
                Err(e) => {
                    let _ = out.send(Output::Error {
                        camera: w.camera,
                        detail: e.to_string(),
                    });
                }
            },
        }
        drop(w.frame);
        handoff.give_back(w.camera, w.analysis);
    }
}
