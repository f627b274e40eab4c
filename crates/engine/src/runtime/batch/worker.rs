//! The thread behind a shared model: it takes a request, joins what queued
//! behind it, runs, and answers each caller with its own rows.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};
use std::time::Instant;

use super::{BatchConfig, Counts};
use crate::runtime::{Model, Outputs, RuntimeError, Tensor};

pub(super) struct Request {
    inputs: Vec<(String, Tensor)>,
    /// The first dimension every input shares; `None` when they do not
    /// share one, and the request can only run alone.
    rows: Option<usize>,
    reply: Sender<Result<Outputs, RuntimeError>>,
}

impl Request {
    pub fn new(
        inputs: Vec<(String, Tensor)>,
        reply: Sender<Result<Outputs, RuntimeError>>,
    ) -> Self {
        let mut firsts = inputs.iter().map(|(_, t)| t.shape.first().copied());
        let rows = firsts
            .next()
            .flatten()
            .filter(|&first| firsts.all(|n| n == Some(first)));
        Self {
            inputs,
            rows,
            reply,
        }
    }

    /// Requests join when they name the same inputs, in the same order,
    /// with the same shapes past the first dimension.
    fn joins(&self, other: &Request) -> bool {
        self.rows.is_some()
            && other.rows.is_some()
            && self.inputs.len() == other.inputs.len()
            && self
                .inputs
                .iter()
                .zip(&other.inputs)
                .all(|((a, x), (b, y))| a == b && x.shape[1..] == y.shape[1..])
    }
}

pub(super) struct Worker {
    name: String,
    model: Box<dyn Model>,
    config: BatchConfig,
    counts: Arc<Counts>,
    /// Cleared when the graph refused a joined batch that each request
    /// alone ran.
    batchable: bool,
}

/// What became of a joined run.
enum Joined {
    Ran(Vec<Outputs>),
    /// The graph could not take it, for this reason.
    Refused(String),
}

impl Worker {
    pub fn new(
        name: String,
        model: Box<dyn Model>,
        config: BatchConfig,
        counts: Arc<Counts>,
    ) -> Self {
        Self {
            name,
            model,
            config,
            counts,
            batchable: true,
        }
    }

    /// Until every handle is gone.
    pub fn serve(mut self, queue: Receiver<Request>) {
        let mut held: Option<Request> = None;
        loop {
            let first = match held.take().map_or_else(|| queue.recv().ok(), Some) {
                Some(r) => r,
                None => return,
            };
            let mut rows = first.rows.unwrap_or(self.config.max_rows);
            let mut batch = vec![first];
            let deadline = Instant::now() + self.config.gather;
            while rows < self.config.max_rows && self.batchable {
                let wait = deadline.saturating_duration_since(Instant::now());
                let next = if wait.is_zero() {
                    queue.try_recv().ok()
                } else {
                    queue.recv_timeout(wait).ok()
                };
                let Some(next) = next else { break };
                let more = next.rows.unwrap_or(usize::MAX);
                if !batch[0].joins(&next) || more > self.config.max_rows - rows {
                    // It starts the next batch.
                    held = Some(next);
                    break;
                }
                rows += more;
                batch.push(next);
            }
            // A panic drops the batch's replies, so its callers get an
            // error, and the next batch is still served.
            if let Err(p) = catch_unwind(AssertUnwindSafe(|| self.run(batch))) {
                let why = p
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!("model {}: a run failed: {why}", self.name);
            }
        }
    }

    fn run(&mut self, batch: Vec<Request>) {
        let total: usize = batch.iter().filter_map(|r| r.rows).sum();
        if batch.len() > 1 && total > 0 {
            match self.run_joined(&batch, total) {
                Joined::Ran(parts) => {
                    for (r, part) in batch.into_iter().zip(parts) {
                        self.answer(r, Ok(part));
                    }
                    return;
                }
                Joined::Refused(why) => {
                    let answers: Vec<_> = batch
                        .iter()
                        .map(|r| self.timed(&r.inputs, r.rows))
                        .collect();
                    if answers.iter().all(Result::is_ok) {
                        // Each alone runs, so joining is what fails.
                        tracing::warn!(
                            "model {}: requests from several engines are run one at a time from now on: {why}",
                            self.name
                        );
                        self.batchable = false;
                    }
                    for (r, a) in batch.into_iter().zip(answers) {
                        self.answer(r, a);
                    }
                    return;
                }
            }
        }
        for r in batch {
            let a = self.timed(&r.inputs, r.rows);
            self.answer(r, a);
        }
    }

    fn answer(&self, r: Request, answer: Result<Outputs, RuntimeError>) {
        Counts::add(&self.counts.requests, 1);
        let _ = r.reply.send(answer);
    }

    /// One run of the model, counted; `busy` is the runtime's own time.
    fn timed(
        &mut self,
        inputs: &[(String, Tensor)],
        rows: Option<usize>,
    ) -> Result<Outputs, RuntimeError> {
        let named: Vec<(&str, &Tensor)> = inputs.iter().map(|(n, t)| (n.as_str(), t)).collect();
        let before = self.model.busy();
        let out = self.model.run(&named);
        let busy = self.model.busy().saturating_sub(before);
        Counts::add(&self.counts.busy, busy.as_nanos() as u64);
        Counts::add(&self.counts.runs, 1);
        Counts::add(&self.counts.rows, rows.unwrap_or(1) as u64);
        out
    }

    /// The batch as one run of `total` rows, split back into each request's
    /// outputs.
    fn run_joined(&mut self, batch: &[Request], total: usize) -> Joined {
        let joined: Vec<(String, Tensor)> = (0..batch[0].inputs.len())
            .map(|i| {
                let (name, first) = &batch[0].inputs[i];
                let mut shape = first.shape.clone();
                shape[0] = total;
                let mut data = Vec::with_capacity(shape.iter().product());
                for r in batch {
                    data.extend_from_slice(&r.inputs[i].1.data);
                }
                (name.clone(), Tensor::new(shape, data))
            })
            .collect();
        let out = match self.timed(&joined, Some(total)) {
            Ok(out) => out,
            Err(e) => return Joined::Refused(e.to_string()),
        };
        if let Some((name, t)) = out.0.iter().find(|(_, t)| t.shape.first() != Some(&total)) {
            return Joined::Refused(format!(
                "its output {name} has shape {:?} for a batch of {total}",
                t.shape
            ));
        }
        let rows: Vec<usize> = batch.iter().filter_map(|r| r.rows).collect();
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
        Joined::Ran(parts)
    }
}
