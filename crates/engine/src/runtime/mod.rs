//! Model execution behind a small trait, so that the engine does not care
//! which runtime executes its networks: ONNX Runtime on the CPU (the
//! default) or OpenVINO on the CPU ([`Runtime`]); a GPU execution provider
//! would be a third [`Backend`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

mod openvino_cpu;
mod ort_cpu;

pub use self::openvino_cpu::OpenVinoBackend;
pub use self::ort_cpu::OrtBackend;

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
    /// The default: [`Runtime::Hybrid`] where OpenVINO is installed and the
    /// processor computes in bfloat16 natively (there it describes a face in
    /// half the time, and changed no walk-through outcome), else ONNX
    /// Runtime ([`Runtime::resolve`]).
    #[default]
    Auto,
    /// ONNX Runtime, f32.
    OnnxRuntime,
    /// OpenVINO, at the precision it prefers on this processor: bfloat16
    /// where the processor computes in it natively, else f32.
    OpenVino,
    /// OpenVINO in f32 throughout.
    OpenVinoF32,
    /// ONNX Runtime for detection and OpenVINO at its own precision for
    /// description. The detector's boxes and landmarks place every chip, and
    /// in bfloat16 they move by up to 2 px, enough to change a borderline
    /// match; the descriptors in bfloat16 changed no walk-through outcome
    /// (docs/models.md). So the detector keeps f32 and the descriptors,
    /// most of a face's time, run at twice the speed.
    Hybrid,
}

/// The environment variable that chooses the runtime when `--runtime` does not.
pub const RUNTIME_ENV: &str = "LFR_RUNTIME";

/// The runtimes an engine's networks run on: the detector's and the
/// descriptors'. One runtime serves both, except [`Runtime::Hybrid`].
pub struct Backends {
    /// The runtime they are, [`Runtime::Auto`] resolved.
    pub runtime: Runtime,
    pub detect: Arc<dyn Backend>,
    pub describe: Arc<dyn Backend>,
}

impl Runtime {
    pub const ALL: [Runtime; 5] = [
        Runtime::Auto,
        Runtime::OnnxRuntime,
        Runtime::OpenVino,
        Runtime::OpenVinoF32,
        Runtime::Hybrid,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Runtime::Auto => "auto",
            Runtime::OnnxRuntime => "onnxruntime",
            Runtime::OpenVino => "openvino",
            Runtime::OpenVinoF32 => "openvino-f32",
            Runtime::Hybrid => "hybrid",
        }
    }

    /// The runtime that runs the detector, and the one that runs the
    /// descriptors: itself, except for [`Runtime::Hybrid`] (and
    /// [`Runtime::Auto`], which is [`resolve`](Runtime::resolve)d first).
    pub fn stages(self) -> (Runtime, Runtime) {
        match self {
            Runtime::Hybrid => (Runtime::OnnxRuntime, Runtime::OpenVino),
            r => (r, r),
        }
    }

    /// The runtime [`Runtime::Auto`] stands for with the libraries beside
    /// `onnxruntime` (the models directory's copy) on this processor; any
    /// other runtime is itself.
    pub fn resolve(self, onnxruntime: &std::path::Path) -> Runtime {
        match self {
            Runtime::Auto
                if bfloat16_native()
                    && onnxruntime
                        .with_file_name(lfr_models::files::OPENVINO_C)
                        .is_file() =>
            {
                Runtime::Hybrid
            }
            Runtime::Auto => Runtime::OnnxRuntime,
            r => r,
        }
    }

    /// The backends for this runtime, OpenVINO's library found beside ONNX
    /// Runtime's (`onnxruntime`, the models directory's copy).
    pub fn backends(
        self,
        onnxruntime: &std::path::Path,
        threads: usize,
    ) -> Result<Backends, RuntimeError> {
        let runtime = self.resolve(onnxruntime);
        let ort = || -> Result<Arc<dyn Backend>, RuntimeError> {
            Ok(Arc::new(OrtBackend::new(onnxruntime, threads)?))
        };
        let openvino = |f32_only: bool| -> Result<Arc<dyn Backend>, RuntimeError> {
            Ok(Arc::new(OpenVinoBackend::new(
                &onnxruntime.with_file_name(lfr_models::files::OPENVINO_C),
                threads,
                f32_only,
            )?))
        };
        let both = |b: Arc<dyn Backend>| Backends {
            runtime,
            detect: b.clone(),
            describe: b,
        };
        Ok(match runtime {
            Runtime::Auto | Runtime::OnnxRuntime => both(ort()?),
            Runtime::OpenVino => both(openvino(false)?),
            Runtime::OpenVinoF32 => both(openvino(true)?),
            Runtime::Hybrid => Backends {
                runtime,
                detect: ort()?,
                describe: openvino(false)?,
            },
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
/// [`Runtime::Auto`]. An unknown `LFR_RUNTIME` is `auto`, with a warning.
pub fn chosen() -> Runtime {
    *CHOSEN.get_or_init(|| match std::env::var(RUNTIME_ENV) {
        Ok(v) if !v.is_empty() => v.parse().unwrap_or_else(|e| {
            tracing::warn!("{RUNTIME_ENV}: {e}; using auto");
            Runtime::Auto
        }),
        _ => Runtime::Auto,
    })
}

/// Whether this processor computes in bfloat16 natively (AVX-512 BF16,
/// which every processor with AMX has too), where OpenVINO then runs its
/// convolutions: elsewhere it computes in f32 and is no faster than ONNX
/// Runtime.
pub fn bfloat16_native() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx512bf16")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `auto` runs OpenVINO's descriptors only where they are installed and
    /// fast: without the library, or without bfloat16, it is ONNX Runtime.
    #[test]
    fn auto_is_hybrid_only_with_openvino_installed_on_a_bfloat16_processor() {
        let dir = tempfile::tempdir().unwrap();
        let ort = dir.path().join("libonnxruntime.so");
        assert_eq!(Runtime::Auto.resolve(&ort), Runtime::OnnxRuntime);
        std::fs::write(dir.path().join(lfr_models::files::OPENVINO_C), b"").unwrap();
        let with_openvino = if bfloat16_native() {
            Runtime::Hybrid
        } else {
            Runtime::OnnxRuntime
        };
        assert_eq!(Runtime::Auto.resolve(&ort), with_openvino);
        for r in Runtime::ALL.into_iter().filter(|r| *r != Runtime::Auto) {
            assert_eq!(r.resolve(&ort), r, "a runtime named is the one run");
        }
        assert_eq!(Runtime::default(), Runtime::Auto);
    }

    #[test]
    fn every_runtime_is_named_by_what_parses_to_it() {
        for r in Runtime::ALL {
            assert_eq!(r.name().parse::<Runtime>(), Ok(r));
        }
        assert!("cuda".parse::<Runtime>().unwrap_err().contains("hybrid"));
    }
}
