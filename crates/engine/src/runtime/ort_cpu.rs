//! ONNX Runtime on the CPU, the default runtime.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::{Backend, Model, Outputs, RuntimeError, Tensor};

/// ONNX Runtime on the CPU, loaded from a shared library at run time.
pub struct OrtBackend {
    env: ort::environment::Environment,
    intra_threads: usize,
    rewrite_activations: bool,
}

/// ONNX Runtime can be loaded into a process only once.
static ORT_ENV: OnceLock<Mutex<Option<(PathBuf, ort::environment::Environment)>>> = OnceLock::new();

impl OrtBackend {
    /// Loads `libonnxruntime` from `library` (once per process) and makes
    /// sessions that use `intra_threads` threads each.
    pub fn new(library: &Path, intra_threads: usize) -> Result<Self, RuntimeError> {
        let cell = ORT_ENV.get_or_init(|| Mutex::new(None));
        let mut guard = cell.lock().unwrap_or_else(|e| e.into_inner());
        let env = match &*guard {
            Some((_, env)) => env.clone(),
            None => {
                if !library.is_file() {
                    return Err(RuntimeError::Library {
                        runtime: "ONNX Runtime",
                        path: library.to_path_buf(),
                        reason: "no such file".into(),
                    });
                }
                let env = ort::init_from(library)
                    .map_err(|e| RuntimeError::Library {
                        runtime: "ONNX Runtime",
                        path: library.to_path_buf(),
                        reason: e.to_string(),
                    })?
                    .with_name("lfr")
                    .with_telemetry(false)
                    .build()
                    .map_err(|e| RuntimeError::Library {
                        runtime: "ONNX Runtime",
                        path: library.to_path_buf(),
                        reason: e.to_string(),
                    })?;
                *guard = Some((library.to_path_buf(), env.clone()));
                env
            }
        };
        Ok(Self {
            env,
            intra_threads: intra_threads.max(1),
            rewrite_activations: true,
        })
    }

    /// Whether graphs are loaded with `PRelu` rewritten into operators this
    /// runtime fuses ([`lfr_onnx::rewrite_prelu`]; on by default). Off only
    /// to measure or compare against the graph as written.
    pub fn rewriting_activations(mut self, on: bool) -> Self {
        self.rewrite_activations = on;
        self
    }

    /// The graph as this runtime runs it fastest; the bytes as given when
    /// nothing needs rewriting.
    fn prepared<'a>(
        &self,
        name: &str,
        onnx: &'a [u8],
    ) -> Result<std::borrow::Cow<'a, [u8]>, RuntimeError> {
        // Op types are stored as plain strings: a graph without the word
        // has no PRelu, and is not decoded at all.
        if !self.rewrite_activations || !onnx.windows(5).any(|w| w == b"PRelu") {
            return Ok(onnx.into());
        }
        let err = |e: &dyn std::fmt::Display| RuntimeError::Load {
            model: name.to_string(),
            reason: e.to_string(),
        };
        let mut model = lfr_onnx::decode(onnx).map_err(|e| err(&e))?;
        let done = lfr_onnx::rewrite_prelu(&mut model).map_err(|e| err(&e))?;
        if done.leaky + done.per_channel == 0 {
            return Ok(onnx.into());
        }
        Ok(lfr_onnx::encode(&model).into())
    }
}

impl Backend for OrtBackend {
    fn load(&self, name: &str, onnx: &[u8]) -> Result<Box<dyn Model>, RuntimeError> {
        let err = |e: &dyn std::fmt::Display| RuntimeError::Load {
            model: name.to_string(),
            reason: e.to_string(),
        };
        let session = ort::session::Session::builder(&self.env)
            .map_err(|e| err(&e))?
            .with_intra_threads(self.intra_threads)
            .map_err(|e| err(&e))?
            .with_inter_threads(1)
            .map_err(|e| err(&e))?
            .with_optimization_level(ort::session::builder::GraphOptimizationLevel::All)
            .map_err(|e| err(&e))?
            .commit_from_memory(&self.prepared(name, onnx)?)
            .map_err(|e| err(&e))?;
        Ok(Box::new(OrtModel {
            name: name.to_string(),
            session,
            busy: Duration::ZERO,
        }))
    }
}

struct OrtModel {
    name: String,
    session: ort::session::Session,
    busy: Duration,
}

impl Model for OrtModel {
    fn run(&mut self, inputs: &[(&str, &Tensor)]) -> Result<Outputs, RuntimeError> {
        let err = |e: &dyn std::fmt::Display| RuntimeError::Run {
            model: self.name.clone(),
            reason: e.to_string(),
        };
        let mut values = Vec::with_capacity(inputs.len());
        for (name, t) in inputs {
            let shape: Vec<i64> = t.shape.iter().map(|&d| d as i64).collect();
            let v = ort::value::TensorRef::from_array_view((shape, t.data.as_slice()))
                .map_err(|e| err(&e))?;
            values.push((name.to_string(), v));
        }
        let started = Instant::now();
        let outputs = self.session.run(values);
        self.busy += started.elapsed();
        let outputs = outputs.map_err(|e| err(&e))?;
        let mut out = Vec::with_capacity(outputs.len());
        for (name, value) in outputs.iter() {
            let (shape, data) = value.try_extract_tensor::<f32>().map_err(|e| err(&e))?;
            let shape = shape.iter().map(|&d| d.max(0) as usize).collect();
            out.push((name.to_string(), Tensor::new(shape, data.to_vec())));
        }
        Ok(Outputs(out))
    }

    fn busy(&self) -> Duration {
        self.busy
    }
}
