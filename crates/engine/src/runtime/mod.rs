//! Model execution behind a small trait, so that the engine does not care
//! which runtime executes its networks: ONNX Runtime on the CPU (the
//! default), OpenVINO on the CPU, each for the networks it suits, or ONNX
//! Runtime on an NVIDIA GPU ([`Runtime`], [`Backends`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

mod batch;
mod onnxruntime;
mod openvino_cpu;

pub use self::batch::{BatchConfig, BatchStats, Batching};
pub use self::onnxruntime::{CUDA_HELP, OrtBackend};
pub use self::openvino_cpu::OpenVinoBackend;

/// A dense f32 tensor in row-major (NCHW for images) order.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

impl Tensor {
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Self {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len());
        Self { shape, data }
    }
}

/// The named outputs of one run, in the model's output order.
#[derive(Debug, Clone, Default)]
pub struct Outputs(pub Vec<(String, Tensor)>);

impl Outputs {
    pub fn get(&self, name: &str) -> Result<&Tensor, RuntimeError> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t)
            .ok_or_else(|| RuntimeError::MissingOutput(name.to_string()))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(
        "cannot load {runtime} from {path}: {reason}. Run `lfr models install` to put the library in the models directory"
    )]
    Library {
        runtime: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error("cannot load model {model}: {reason}")]
    Load { model: String, reason: String },
    #[error("running model {model} failed: {reason}")]
    Run { model: String, reason: String },
    #[error("model output {0:?} is missing")]
    MissingOutput(String),
}

/// A network ready to run. `run` takes `&mut self` because runtimes keep
/// per-session scratch state; share a model between threads by giving each
/// thread its own.
pub trait Model: Send {
    fn run(&mut self, inputs: &[(&str, &Tensor)]) -> Result<Outputs, RuntimeError>;

    /// Time spent inside the runtime's own run calls since the model was
    /// loaded, without lfr's conversions around them: benchmarks set it
    /// beside the whole stage's time, so lfr's own share shows.
    fn busy(&self) -> Duration;
}

/// Something that turns ONNX bytes into a runnable [`Model`].
pub trait Backend: Send + Sync {
    /// `name` is used only in error messages.
    fn load(&self, name: &str, onnx: &[u8]) -> Result<Box<dyn Model>, RuntimeError>;
}

/// Which runtime executes the networks.
///
/// One process uses one ([`chosen`]: `lfr --runtime`, or `LFR_RUNTIME`), so
/// that every engine in it (enrolment, cameras, evaluation) describes the same
/// face the same way. Runtimes differ in rounding only: the algorithm, and so
/// the templates' compatibility, does not depend on the runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Runtime {
    /// ONNX Runtime, f32 (the default).
    #[default]
    OnnxRuntime,
    /// OpenVINO, at the precision it prefers on this processor: bfloat16
    /// where the processor computes in it natively, else f32.
    OpenVino,
    /// OpenVINO in f32 throughout.
    OpenVinoF32,
    /// ONNX Runtime for detection and OpenVINO at its own precision for
    /// description. The detector's boxes and landmarks place every chip, and
    /// in bfloat16 they move by up to 2 px, enough to change borderline
    /// matches; the descriptors in bfloat16 moved one walk-through outcome
    /// of 400 (docs/models.md). So the detector keeps f32 and the
    /// descriptors, most of a face's time, run at twice the speed.
    Hybrid,
    /// ONNX Runtime's GPU build with its CUDA execution provider, f32, on
    /// the first GPU that `CUDA_VISIBLE_DEVICES` leaves visible.
    Cuda,
}

/// The environment variable that chooses the runtime when `--runtime` does not.
pub const RUNTIME_ENV: &str = "LFR_RUNTIME";

/// The runtimes an engine's networks run on: the detector's and the
/// descriptors'. One runtime serves both, except [`Runtime::Hybrid`].
#[derive(Clone)]
pub struct Backends {
    pub detect: Arc<dyn Backend>,
    pub describe: Arc<dyn Backend>,
}

impl Backends {
    /// These backends with every graph shared, and its runs joined, by all
    /// the engines opened on them ([`Batching`]); the batching backends are
    /// returned too, for their [`Batching::stats`].
    pub fn batched(self, config: BatchConfig) -> (Backends, Vec<Arc<Batching>>) {
        let same = Arc::ptr_eq(&self.detect, &self.describe);
        let detect = Arc::new(Batching::new(self.detect, config));
        let describe = if same {
            detect.clone()
        } else {
            Arc::new(Batching::new(self.describe, config))
        };
        let all = if same {
            vec![detect.clone()]
        } else {
            vec![detect.clone(), describe.clone()]
        };
        (Backends { detect, describe }, all)
    }
}

impl Runtime {
    pub const ALL: [Runtime; 5] = [
        Runtime::OnnxRuntime,
        Runtime::OpenVino,
        Runtime::OpenVinoF32,
        Runtime::Hybrid,
        Runtime::Cuda,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Runtime::OnnxRuntime => "onnxruntime",
            Runtime::OpenVino => "openvino",
            Runtime::OpenVinoF32 => "openvino-f32",
            Runtime::Hybrid => "hybrid",
            Runtime::Cuda => "cuda",
        }
    }

    /// The runtime that runs the detector, and the one that runs the
    /// descriptors: itself, except for [`Runtime::Hybrid`].
    pub fn stages(self) -> (Runtime, Runtime) {
        match self {
            Runtime::Hybrid => (Runtime::OnnxRuntime, Runtime::OpenVino),
            r => (r, r),
        }
    }

    /// The backends for this runtime's [`stages`](Runtime::stages),
    /// OpenVINO's library found beside ONNX Runtime's (`onnxruntime`, the
    /// models directory's copy); one backend when both stages share it.
    pub fn backends(
        self,
        onnxruntime: &std::path::Path,
        threads: usize,
    ) -> Result<Backends, RuntimeError> {
        let one = |r: Runtime| -> Result<Arc<dyn Backend>, RuntimeError> {
            Ok(match r {
                Runtime::OnnxRuntime => Arc::new(OrtBackend::new(onnxruntime, threads)?),
                Runtime::Cuda => {
                    let gpu = onnxruntime.with_file_name(lfr_models::files::ONNXRUNTIME_GPU);
                    let backend = OrtBackend::new(&gpu, threads).map_err(|e| match e {
                        RuntimeError::Library { path, reason, .. } => RuntimeError::Library {
                            runtime: "ONNX Runtime for GPUs",
                            path,
                            reason: format!("{reason}. {CUDA_HELP}"),
                        },
                        e => e,
                    })?;
                    Arc::new(backend.on_cuda(0))
                }
                // `stages` never names `Hybrid` for a stage.
                Runtime::OpenVino | Runtime::OpenVinoF32 | Runtime::Hybrid => {
                    Arc::new(OpenVinoBackend::new(
                        &onnxruntime.with_file_name(lfr_models::files::OPENVINO_C),
                        threads,
                        r == Runtime::OpenVinoF32,
                    )?)
                }
            })
        };
        let (detect, describe) = self.stages();
        let detect_backend = one(detect)?;
        let describe_backend = if describe == detect {
            detect_backend.clone()
        } else {
            one(describe)?
        };
        Ok(Backends {
            detect: detect_backend,
            describe: describe_backend,
        })
    }
}

impl std::fmt::Display for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Runtime {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|r| r.name()).collect();
                format!("no runtime {s:?}: use one of {}", names.join(", "))
            })
    }
}

static CHOSEN: std::sync::OnceLock<Runtime> = std::sync::OnceLock::new();

/// Sets this process's runtime, once, before any engine opens. A second
/// call with another runtime is refused: engines already open use the first.
pub fn choose(runtime: Runtime) -> Result<(), String> {
    let now = *CHOSEN.get_or_init(|| runtime);
    if now == runtime {
        Ok(())
    } else {
        Err(format!("this process already runs {now}, not {runtime}"))
    }
}

/// This process's runtime: the one [`choose`]n, else `LFR_RUNTIME`'s, else
/// ONNX Runtime. An unknown `LFR_RUNTIME` is ONNX Runtime, with a warning.
pub fn chosen() -> Runtime {
    *CHOSEN.get_or_init(|| match std::env::var(RUNTIME_ENV) {
        Ok(v) if !v.is_empty() => v.parse().unwrap_or_else(|e| {
            tracing::warn!("{RUNTIME_ENV}: {e}; using onnxruntime");
            Runtime::OnnxRuntime
        }),
        _ => Runtime::OnnxRuntime,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_runtime_is_named_by_what_parses_to_it() {
        for r in Runtime::ALL {
            assert_eq!(r.name().parse::<Runtime>(), Ok(r));
        }
        assert!("gpu".parse::<Runtime>().unwrap_err().contains("cuda"));
    }
}
