//! OpenVINO on the CPU (`lfr --runtime openvino`).
//!
//! On processors that compute in bfloat16 natively (AVX-512 BF16, AMX),
//! OpenVINO runs convolutions in it by default, about twice as fast as f32:
//! on the 2-core AMD EPYC of the README, SFace takes 7.7 ms a face against
//! ONNX Runtime's 14.3 ms and YuNet 27 ms a 1440x832 frame against 44.7,
//! and descriptors stay within a cosine of 0.998 of f32's. `openvino-f32`
//! keeps f32 throughout. The library is loaded from the models directory
//! at run time, like ONNX Runtime's.

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use openvino::{Core, DeviceType, ElementType, RwPropertyKey, Shape};

use super::{Backend, Model, Outputs, RuntimeError, Tensor};

/// OpenVINO's CPU plugin, with the properties every model it compiles gets.
pub struct OpenVinoBackend {
    core: Mutex<Core>,
}

impl OpenVinoBackend {
    /// Loads `libopenvino_c` from `library` (once per process) and makes
    /// models that run on `threads` threads each, in f32 if `f32_only`, else
    /// at the precision OpenVINO prefers on this processor.
    pub fn new(library: &Path, threads: usize, f32_only: bool) -> Result<Self, RuntimeError> {
        let fail = |reason: String| RuntimeError::Library {
            runtime: "OpenVINO",
            path: library.to_path_buf(),
            reason,
        };
        if !library.is_file() {
            return Err(fail(
                "no such file (or run with --runtime onnxruntime)".into(),
            ));
        }
        openvino_sys::library::load_from(library).map_err(fail)?;
        let mut core = Core::new().map_err(|e| fail(e.to_string()))?;
        let threads = threads.max(1).to_string();
        let mut properties = vec![
            (RwPropertyKey::InferenceNumThreads, threads.as_str()),
            // One stream, one request at a time: each lfr worker has its own
            // models, as with ONNX Runtime, and no thread pinning, so that
            // several workers share the cores the scheduler gives them.
            (RwPropertyKey::NumStreams, "1"),
            (RwPropertyKey::HintPerformanceMode, "LATENCY"),
            (RwPropertyKey::HintEnableCpuPinning, "NO"),
        ];
        if f32_only {
            properties.push((RwPropertyKey::HintInferencePrecision, "f32"));
        }
        core.set_properties(&DeviceType::CPU, properties)
            .map_err(|e| fail(format!("its CPU plugin refused a setting: {e}")))?;
        Ok(Self {
            core: Mutex::new(core),
        })
    }
}

impl Backend for OpenVinoBackend {
    fn load(&self, name: &str, onnx: &[u8]) -> Result<Box<dyn Model>, RuntimeError> {
        let err = |e: &dyn std::fmt::Display| RuntimeError::Load {
            model: name.to_string(),
            reason: format!("OpenVINO: {e}"),
        };
        let mut core = self.core.lock().unwrap_or_else(|e| e.into_inner());
        let model = core
            .read_model_from_buffer(onnx, None)
            .map_err(|e| err(&e))?;
        let outputs = (0..model.get_outputs_len().map_err(|e| err(&e))?)
            .map(|i| model.get_output_by_index(i)?.get_name())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| err(&e))?;
        let mut compiled = core
            .compile_model(&model, DeviceType::CPU)
            .map_err(|e| err(&e))?;
        let request = compiled.create_infer_request().map_err(|e| err(&e))?;
        Ok(Box::new(OpenVinoModel {
            name: name.to_string(),
            _compiled: compiled,
            request,
            inputs: Vec::new(),
            outputs,
            busy: Duration::ZERO,
        }))
    }
}

struct OpenVinoModel {
    name: String,
    /// Kept alive for as long as its request.
    _compiled: openvino::CompiledModel,
    request: openvino::InferRequest,
    /// Each input's tensor, bound to the request and written in place while
    /// its shape stays the same: otherwise every frame would cost the
    /// detector a new 14 MB buffer (ONNX Runtime reads lfr's own buffer).
    inputs: Vec<BoundInput>,
    outputs: Vec<String>,
    busy: Duration,
}

struct BoundInput {
    name: String,
    shape: Vec<usize>,
    tensor: openvino::Tensor,
}

impl OpenVinoModel {
    /// The request's tensor for input `name` at `shape`; a new one is made
    /// and bound only when the input is new or its shape changed.
    fn input(
        &mut self,
        name: &str,
        shape: &[usize],
    ) -> Result<&mut openvino::Tensor, openvino::InferenceError> {
        let at = self.inputs.iter().position(|b| b.name == name);
        if let Some(i) = at
            && self.inputs[i].shape == shape
        {
            return Ok(&mut self.inputs[i].tensor);
        }
        let dims: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
        let tensor = openvino::Tensor::new(ElementType::F32, &Shape::new(&dims)?)?;
        self.request.set_tensor(name, &tensor)?;
        let bound = BoundInput {
            name: name.to_string(),
            shape: shape.to_vec(),
            tensor,
        };
        let i = match at {
            Some(i) => {
                self.inputs[i] = bound;
                i
            }
            None => {
                self.inputs.push(bound);
                self.inputs.len() - 1
            }
        };
        Ok(&mut self.inputs[i].tensor)
    }
}

impl Model for OpenVinoModel {
    fn run(&mut self, inputs: &[(&str, &Tensor)]) -> Result<Outputs, RuntimeError> {
        let name = self.name.clone();
        let err = |e: &dyn std::fmt::Display| RuntimeError::Run {
            model: name.clone(),
            reason: format!("OpenVINO: {e}"),
        };
        for (input, t) in inputs {
            self.input(input, &t.shape)
                .and_then(|tensor| tensor.get_data_mut::<f32>())
                .map_err(|e| err(&e))?
                .copy_from_slice(&t.data);
        }
        let started = Instant::now();
        let done = self.request.infer();
        self.busy += started.elapsed();
        done.map_err(|e| err(&e))?;
        let mut out = Vec::with_capacity(self.outputs.len());
        for name in &self.outputs {
            let tensor = self.request.get_tensor(name).map_err(|e| err(&e))?;
            let shape = tensor.get_shape().map_err(|e| err(&e))?;
            let shape: Vec<usize> = shape
                .get_dimensions()
                .iter()
                .map(|&d| d.max(0) as usize)
                .collect();
            let data = tensor.get_data::<f32>().map_err(|e| err(&e))?.to_vec();
            out.push((name.clone(), Tensor::new(shape, data)));
        }
        Ok(Outputs(out))
    }

    fn busy(&self) -> Duration {
        self.busy
    }
}
