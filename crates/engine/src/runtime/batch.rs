//! Several cameras' runs of one network made into one batch.
//!
//! Each analysis worker opens its own engine, so each loads its own copy
//! of every network and runs it for one frame at a time. On a GPU that
//! leaves the device mostly idle between small launches, and every copy
//! holds its own memory. [`Batching`] wraps a [`Backend`] so that every
//! load of the same graph shares one model, run by one thread: requests
//! that arrive while it is busy (or within [`BatchConfig::gather`] of the
//! first) are joined along their first dimension, run once, and each
//! caller gets its own rows back. A request waits for nothing that is not
//! already queued unless `gather` says so.
//!
//! A graph whose outputs do not keep the batch in their first dimension,
//! or which refuses a larger batch, is run one request at a time from then
//! on, and says so once in the log.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::{Backend, Model, Outputs, RuntimeError, Tensor};

/// How requests are joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchConfig {
    /// Rows (frames, faces) in one run at most; a request larger than this
    /// runs on its own.
    pub max_rows: usize,
    /// How long the first request of a batch waits for others. Zero (the
    /// default): a batch is whatever queued while the model was busy, so
    /// joining never delays a frame on an idle model.
    pub gather: Duration,
}

impl Default for BatchConfig {
    fn default() -> Self {
        Self {
            max_rows: 64,
            gather: Duration::ZERO,
        }
    }
}

/// What a shared model has run, for benchmarks and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchStats {
    /// Requests answered.
    pub requests: u64,
    /// Runs of the model; fewer than `requests` when batches formed.
    pub runs: u64,
    /// Rows run, summed over the runs.
    pub rows: u64,
}

impl std::ops::Sub for BatchStats {
    type Output = Self;
    fn sub(self, earlier: Self) -> Self {
        Self {
            requests: self.requests.saturating_sub(earlier.requests),
            runs: self.runs.saturating_sub(earlier.runs),
            rows: self.rows.saturating_sub(earlier.rows),
        }
    }
}

/// A [`Backend`] whose loads of one graph share one model and one batch.
pub struct Batching {
    inner: Arc<dyn Backend>,
    config: BatchConfig,
    /// By the SHA-256 of the graph's bytes.
    graphs: Mutex<HashMap<[u8; 32], Graph>>,
}

/// A graph loaded through [`Batching`]: its model lives while any handle does.
struct Graph {
    name: String,
    counts: Arc<Counts>,
    shared: Weak<Shared>,
}

impl Batching {
    pub fn new(inner: Arc<dyn Backend>, config: BatchConfig) -> Self {
        Self {
            inner,
            config,
            graphs: Mutex::new(HashMap::new()),
        }
    }

    /// What each graph loaded through this backend has run, by the name it
    /// was first loaded under.
    pub fn stats(&self) -> Vec<(String, BatchStats)> {
        let graphs = self.graphs.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<_> = graphs
            .values()
            .map(|g| (g.name.clone(), g.counts.get()))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

impl Backend for Batching {
    fn load(&self, name: &str, onnx: &[u8]) -> Result<Box<dyn Model>, RuntimeError> {
        let key: [u8; 32] = Sha256::digest(onnx).into();
        let mut graphs = self.graphs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = graphs.get(&key).and_then(|g| g.shared.upgrade()) {
            return Ok(Box::new(Handle(s)));
        }
        let model = self.inner.load(name, onnx)?;
        let counts = graphs
            .get(&key)
            .map_or_else(Arc::default, |g| g.counts.clone());
        let (tx, rx) = channel();
        let s = Arc::new(Shared {
            name: name.to_string(),
            queue: Mutex::new(tx),
            busy: Arc::default(),
        });
        let worker = Worker {
            name: name.to_string(),
            model,
            config: self.config,
            counts: counts.clone(),
            busy: s.busy.clone(),
            batchable: true,
        };
        std::thread::Builder::new()
            .name(format!("lfr-batch-{name}"))
            .spawn(move || worker.serve(rx))
            .map_err(|e| RuntimeError::Load {
                model: name.to_string(),
                reason: format!("cannot start its batching thread: {e}"),
            })?;
        graphs.insert(
            key,
            Graph {
                name: name.to_string(),
                counts,
                shared: Arc::downgrade(&s),
            },
        );
        Ok(Box::new(Handle(s)))
    }
}

struct Request {
    inputs: Vec<(String, Tensor)>,
    reply: Sender<Result<Outputs, RuntimeError>>,
}

impl Request {
    fn rows(&self) -> usize {
        self.inputs
            .first()
            .and_then(|(_, t)| t.shape.first().copied())
            .unwrap_or(1)
    }

    /// Requests join when they name the same inputs with the same shapes
    /// past the first dimension.
    fn joins(&self, other: &Request) -> bool {
        self.inputs.len() == other.inputs.len()
            && self
                .inputs
                .iter()
                .zip(&other.inputs)
                .all(|((a, x), (b, y))| {
                    a == b && !x.shape.is_empty() && x.shape.get(1..) == y.shape.get(1..)
                })
    }
}

#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    runs: AtomicU64,
    rows: AtomicU64,
}

impl Counts {
    fn get(&self) -> BatchStats {
        BatchStats {
            requests: self.requests.load(Ordering::Relaxed),
            runs: self.runs.load(Ordering::Relaxed),
            rows: self.rows.load(Ordering::Relaxed),
        }
    }
}

/// One graph's model, behind its thread.
struct Shared {
    name: String,
    queue: Mutex<Sender<Request>>,
    /// Nanoseconds inside the runtime, every caller's together.
    busy: Arc<AtomicU64>,
}

/// What each engine holds: its loads of the graph all lead here.
struct Handle(Arc<Shared>);

impl Model for Handle {
    fn run(&mut self, inputs: &[(&str, &Tensor)]) -> Result<Outputs, RuntimeError> {
        let (reply, answer) = channel();
        let request = Request {
            inputs: inputs
                .iter()
                .map(|(n, t)| (n.to_string(), (*t).clone()))
                .collect(),
            reply,
        };
        let stopped = || RuntimeError::Run {
            model: self.0.name.clone(),
            reason: "its batching thread has stopped".into(),
        };
        self.0
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(request)
            .map_err(|_| stopped())?;
        answer.recv().map_err(|_| stopped())?
    }

    /// The shared model's time inside the runtime, for every engine that
    /// shares it together.
    fn busy(&self) -> Duration {
        Duration::from_nanos(self.0.busy.load(Ordering::Relaxed))
    }
}

struct Worker {
    name: String,
    model: Box<dyn Model>,
    config: BatchConfig,
    counts: Arc<Counts>,
    busy: Arc<AtomicU64>,
    /// Cleared when the graph could not take a joined batch.
    batchable: bool,
}

impl Worker {
    /// Until every handle is gone: take a request, join what is queued
    /// behind it, run.
    fn serve(mut self, queue: Receiver<Request>) {
        let mut held: Option<Request> = None;
        loop {
            let first = match held.take() {
                Some(r) => r,
                None => match queue.recv() {
                    Ok(r) => r,
                    Err(_) => return,
                },
            };
            let mut batch = vec![first];
            let mut rows = batch[0].rows();
            let deadline = Instant::now() + self.config.gather;
            while rows < self.config.max_rows && self.batchable {
                let next = match deadline.checked_duration_since(Instant::now()) {
                    Some(wait) if !wait.is_zero() => queue.recv_timeout(wait),
                    _ => queue.try_recv().map_err(|e| match e {
                        std::sync::mpsc::TryRecvError::Empty => RecvTimeoutError::Timeout,
                        std::sync::mpsc::TryRecvError::Disconnected => {
                            RecvTimeoutError::Disconnected
                        }
                    }),
                };
                let Ok(next) = next else { break };
                if !batch[0].joins(&next) || rows + next.rows() > self.config.max_rows {
                    // It starts the next batch.
                    held = Some(next);
                    break;
                }
                rows += next.rows();
                batch.push(next);
            }
            self.run(batch);
        }
    }

    fn run(&mut self, batch: Vec<Request>) {
        self.counts
            .requests
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        let joined = if batch.len() > 1 {
            self.run_joined(&batch)
        } else {
            None
        };
        match joined {
            Some(parts) => {
                for (r, part) in batch.into_iter().zip(parts) {
                    let _ = r.reply.send(Ok(part));
                }
            }
            None => {
                for r in batch {
                    let answer = self.run_one(&r.inputs);
                    let _ = r.reply.send(answer);
                }
            }
        }
    }

    fn timed(&mut self, inputs: &[(String, Tensor)]) -> Result<Outputs, RuntimeError> {
        let named: Vec<(&str, &Tensor)> = inputs.iter().map(|(n, t)| (n.as_str(), t)).collect();
        let start = Instant::now();
        let out = self.model.run(&named);
        self.busy
            .fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        self.counts.runs.fetch_add(1, Ordering::Relaxed);
        out
    }

    fn run_one(&mut self, inputs: &[(String, Tensor)]) -> Result<Outputs, RuntimeError> {
        let rows = inputs.first().and_then(|(_, t)| t.shape.first()).copied();
        self.counts
            .rows
            .fetch_add(rows.unwrap_or(1) as u64, Ordering::Relaxed);
        self.timed(inputs)
    }

    /// The batch as one run, split back into each request's outputs; `None`
    /// when the graph cannot take it (then it is never joined again).
    fn run_joined(&mut self, batch: &[Request]) -> Option<Vec<Outputs>> {
        let rows: Vec<usize> = batch.iter().map(Request::rows).collect();
        let total: usize = rows.iter().sum();
        let joined: Vec<(String, Tensor)> = (0..batch[0].inputs.len())
            .map(|i| {
                let (name, first) = &batch[0].inputs[i];
                let mut shape = first.shape.clone();
                shape[0] = batch.iter().map(|r| r.inputs[i].1.shape[0]).sum();
                let mut data = Vec::with_capacity(shape.iter().product());
                for r in batch {
                    data.extend_from_slice(&r.inputs[i].1.data);
                }
                (name.clone(), Tensor::new(shape, data))
            })
            .collect();
        let out = match self.timed(&joined) {
            Ok(out) => out,
            Err(e) => return self.give_up(&e.to_string()),
        };
        if let Some((name, t)) = out.0.iter().find(|(_, t)| t.shape.first() != Some(&total)) {
            let why = format!(
                "its output {name} has shape {:?} for a batch of {total}",
                t.shape
            );
            return self.give_up(&why);
        }
        self.counts.rows.fetch_add(total as u64, Ordering::Relaxed);
        let mut parts: Vec<Outputs> = rows.iter().map(|_| Outputs::default()).collect();
        for (name, t) in &out.0 {
            let per_row = t.data.len() / total;
            let mut start = 0;
            for (part, &n) in parts.iter_mut().zip(&rows) {
                let mut shape = t.shape.clone();
                shape[0] = n;
                let data = t.data[start * per_row..(start + n) * per_row].to_vec();
                part.0.push((name.clone(), Tensor::new(shape, data)));
                start += n;
            }
        }
        Some(parts)
    }

    fn give_up<T>(&mut self, why: &str) -> Option<T> {
        tracing::warn!(
            "model {}: requests from several engines are run one at a time from now on: {why}",
            self.name
        );
        self.batchable = false;
        None
    }
}
