//! Several cameras' runs of one network made into one batch.
//!
//! Each analysis worker opens its own engine, so each loads its own copy
//! of every network and runs it for one frame at a time. On a GPU that
//! leaves the device mostly idle between small launches, and every copy
//! holds its own memory. [`Batching`] wraps a [`Backend`] so that every
//! load of the same graph shares one model, run by one thread: requests
//! that arrive while it is busy (or within [`BatchConfig::gather`] of the
//! first) are joined along their first dimension, run once, and each
//! caller gets its own rows back. Each request's inputs are copied once to
//! reach that thread, and again when joined.
//!
//! A graph that refuses a joined batch, or whose outputs do not keep the
//! batch in their first dimension, while each request alone runs, is run
//! one request at a time from then on, and says so once in the log.

mod worker;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use sha2::{Digest, Sha256};

use self::worker::{Request, Worker};
use super::{Backend, Model, Outputs, RuntimeError, Tensor};

/// How requests are joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchConfig {
    /// Rows (frames, faces) in one run at most; a request larger than this
    /// runs on its own.
    pub max_rows: usize,
    /// How long the first request of a batch waits for others. Zero (the
    /// default): a batch is whatever queued while the model was busy, so
    /// joining never holds back a frame when the model is idle.
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
    /// Runs of the model, refused ones included; fewer than `requests`
    /// when batches formed.
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

#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    runs: AtomicU64,
    rows: AtomicU64,
    /// Nanoseconds inside the runtime, every caller's together.
    busy: AtomicU64,
}

impl Counts {
    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    fn get(&self) -> BatchStats {
        BatchStats {
            requests: self.requests.load(Ordering::Relaxed),
            runs: self.runs.load(Ordering::Relaxed),
            rows: self.rows.load(Ordering::Relaxed),
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
    /// The name it was first loaded under.
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
        let graph = graphs.entry(key).or_insert_with(|| Graph {
            name: name.to_string(),
            counts: Arc::default(),
            shared: Weak::new(),
        });
        let (tx, rx) = channel();
        let worker = Worker::new(graph.name.clone(), model, self.config, graph.counts.clone());
        let thread = std::thread::Builder::new()
            .name(format!("lfr-batch-{name}"))
            .spawn(move || worker.serve(rx))
            .map_err(|e| RuntimeError::Load {
                model: name.to_string(),
                reason: format!("cannot start its batching thread: {e}"),
            })?;
        let s = Arc::new(Shared {
            name: graph.name.clone(),
            queue: Some(tx),
            thread: Some(thread),
            counts: graph.counts.clone(),
        });
        graph.shared = Arc::downgrade(&s);
        Ok(Box::new(Handle(s)))
    }
}

/// One graph's model, behind its thread.
struct Shared {
    name: String,
    /// Taken when the last handle goes, which ends the thread.
    queue: Option<Sender<Request>>,
    thread: Option<JoinHandle<()>>,
    counts: Arc<Counts>,
}

impl Drop for Shared {
    /// The model is dropped on its own thread; waiting for that here means
    /// a runtime (a GPU's, say) is never torn down after the process began
    /// to exit.
    fn drop(&mut self) {
        drop(self.queue.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What each engine holds: its loads of the graph all lead here.
struct Handle(Arc<Shared>);

impl Model for Handle {
    fn run(&mut self, inputs: &[(&str, &Tensor)]) -> Result<Outputs, RuntimeError> {
        let (reply, answer) = channel();
        let request = Request::new(
            inputs
                .iter()
                .map(|(n, t)| (n.to_string(), (*t).clone()))
                .collect(),
            reply,
        );
        let lost = || RuntimeError::Run {
            model: self.0.name.clone(),
            reason: "its shared batching thread failed on this request (the log says why); \
                     if it recurs, run the cameras with `--batch-cameras off`"
                .into(),
        };
        let queue = self.0.queue.as_ref().ok_or_else(lost)?;
        queue.send(request).map_err(|_| lost())?;
        answer.recv().map_err(|_| lost())?
    }

    /// The shared model's time inside the runtime, for every engine that
    /// shares it together.
    fn busy(&self) -> Duration {
        Duration::from_nanos(self.0.counts.busy.load(Ordering::Relaxed))
    }
}
