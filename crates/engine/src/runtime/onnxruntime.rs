//! ONNX Runtime: on the CPU (the default runtime), or with its CUDA
//! execution provider on an NVIDIA GPU (`--runtime cuda`, from the GPU
//! build of the library).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::{Backend, Model, Outputs, RuntimeError, Tensor};

/// ONNX Runtime, loaded from a shared library at run time.
pub struct OrtBackend {
    env: ort::environment::Environment,
    intra_threads: usize,
    rewrite_activations: bool,
    /// The CUDA device that runs every graph, if any.
    cuda: Option<i32>,
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
            Some((loaded, env)) if loaded == library => env.clone(),
            Some((loaded, _)) => {
                return Err(RuntimeError::Library {
                    runtime: "ONNX Runtime",
                    path: library.to_path_buf(),
                    reason: format!(
                        "this process already runs ONNX Runtime from {}, and one process can load it only once",
                        loaded.display()
                    ),
                });
            }
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
            cuda: None,
        })
    }

    /// Runs every graph on CUDA device `device` (the library must be ONNX
    /// Runtime's GPU build). If the CUDA provider cannot start, loading is
    /// an error, never a silent fall back to the CPU: a deployment sized
    /// for a GPU would drop most of its frames there. (Within a graph,
    /// operators CUDA does not implement run on the CPU, as ONNX Runtime
    /// always places them.)
    pub fn on_cuda(mut self, device: i32) -> Self {
        self.cuda = Some(device);
        self
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

/// What `--runtime cuda` needs besides lfr's files.
pub const CUDA_HELP: &str = "`--runtime cuda` needs an NVIDIA GPU with a driver for CUDA 13 (R580 or later), ONNX Runtime's GPU build (`lfr models install --gpu`), and CUDA 13's runtime, cuBLAS, cuRAND, cuFFT and cuDNN 9 libraries on the library path (LD_LIBRARY_PATH), for example from the PyPI wheels nvidia-cuda-runtime, nvidia-cublas, nvidia-curand, nvidia-cufft and nvidia-cudnn-cu13";

impl Backend for OrtBackend {
    fn load(&self, name: &str, onnx: &[u8]) -> Result<Box<dyn Model>, RuntimeError> {
        let err = |e: &dyn std::fmt::Display| RuntimeError::Load {
            model: name.to_string(),
            reason: e.to_string(),
        };
        let mut builder = ort::session::Session::builder(&self.env).map_err(|e| err(&e))?;
        if let Some(device) = self.cuda {
            let cuda = ort::ep::CUDA::default()
                .with_device_id(device)
                // Detection windows change shape; an exhaustive search of
                // cuDNN's algorithms for each new shape would stall a camera.
                .with_conv_algorithm_search(ort::ep::cuda::ConvAlgorithmSearch::Heuristic)
                .build()
                .error_on_failure();
            builder = builder
                .with_execution_providers([cuda])
                .map_err(|e| RuntimeError::Load {
                    model: name.to_string(),
                    reason: format!("{}. {CUDA_HELP}", e.to_string().trim_end()),
                })?;
        }
        let session = builder
            .with_intra_threads(self.intra_threads)
            .map_err(|e| err(&e))?
            .with_inter_threads(1)
            .map_err(|e| err(&e))?
            // Idle pool threads sleep instead of spinning. Every model has a
            // pool of its own, beside the cameras' decoders: spinning, they
            // took the cores the others were waiting for. One 1080p camera
            // at 25 fps on two cores (`bench live --seconds 30`, in turn,
            // twice): 8.4-8.6 frames analysed a second spinning, 16.9-17.4
            // not, with less CPU (1.48 against 1.68 cores).
            .with_intra_op_spinning(false)
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
