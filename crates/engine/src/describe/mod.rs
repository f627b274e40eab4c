//! Descriptors: an aligned face chip becomes a vector.
//!
//! The default describer is dlib's face recognition ResNet (CC0), read from
//! dlib's own model file and executed on ONNX Runtime. Any other ONNX
//! descriptor runs through the same code from a package manifest
//! ([`crate::package`]), which says how its input is laid out and scaled.

pub mod dlib_resnet;
pub mod dlib_resnet_onnx;
mod input;

use crate::dlib_format::FormatError;
use crate::package::ModelSpec;
use crate::runtime::{Backend, Model, RuntimeError, Tensor};
use image::RgbImage;
pub use input::InputSpec;

#[derive(Debug, thiserror::Error)]
pub enum DescribeError {
    #[error(transparent)]
    Format(#[from] FormatError),
    #[error("{0}")]
    Topology(String),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("face chip is {w}x{h}, the describer needs {size}x{size}")]
    ChipSize { w: u32, h: u32, size: u32 },
    #[error("{model} does not fit its manifest: {reason}. Correct the manifest or the model")]
    Mismatch { model: String, reason: String },
}

/// `n x dims`, or `n x dims x 1 x 1` as convolutional heads give it.
fn is_descriptor_shape(shape: &[usize], n: usize, dims: usize) -> bool {
    matches!(shape, [a, b, rest @ ..] if *a == n && *b == dims && rest.iter().all(|&r| r == 1))
}

/// Turns aligned face chips into descriptors.
pub struct Describer {
    name: String,
    model: Box<dyn Model>,
    input: InputSpec,
    output: String,
    dims: usize,
    unit_length: bool,
    /// 1 for models whose graph fixes the batch at one chip.
    max_batch: usize,
}

impl Describer {
    /// Loads dlib's ResNet from the bytes of `dlib_face_recognition_resnet_model_v1.dat`.
    pub fn dlib_resnet(backend: &dyn Backend, dat: &[u8]) -> Result<Self, DescribeError> {
        let net = dlib_resnet::DlibResnet::parse("dlib_face_recognition_resnet_model_v1.dat", dat)?;
        let onnx = dlib_resnet_onnx::to_onnx(&net).map_err(DescribeError::Topology)?;
        let dims = net
            .layers
            .iter()
            .rev()
            .find_map(|l| match l {
                dlib_resnet::Layer::Fc(fc) => Some(fc.outputs),
                _ => None,
            })
            .unwrap_or(0);
        Ok(Self {
            name: "dlib ResNet".into(),
            model: backend.load("dlib ResNet", &onnx)?,
            input: InputSpec::raw_rgb(dlib_resnet_onnx::INPUT, net.input_size as u32),
            output: dlib_resnet_onnx::OUTPUT.into(),
            dims,
            unit_length: false,
            max_batch: usize::MAX,
        })
    }

    /// Loads a package's ONNX model as its manifest describes it, and proves
    /// the description by describing a grey chip: an input or output that
    /// disagrees with the manifest is an error here, not wrong templates later.
    pub fn onnx(
        backend: &dyn Backend,
        name: &str,
        onnx: &[u8],
        spec: &ModelSpec,
    ) -> Result<Self, DescribeError> {
        let mut d = Self {
            name: name.to_string(),
            model: backend.load(name, onnx)?,
            input: InputSpec::of(spec),
            output: spec.output.clone(),
            dims: spec.descriptor_size,
            unit_length: spec.unit_length(),
            max_batch: 1,
        };
        let grey = RgbImage::from_pixel(d.input.size, d.input.size, image::Rgb([128; 3]));
        let mismatch = |reason: String| DescribeError::Mismatch {
            model: name.to_string(),
            reason,
        };
        let out = d.run(&[&grey]).map_err(|e| {
            mismatch(format!(
                "it does not run on the input the manifest describes ({}): {e}",
                d.input.describe(1)
            ))
        })?;
        if !is_descriptor_shape(&out.shape, 1, d.dims) {
            return Err(mismatch(format!(
                "output {:?} has shape {:?}, the manifest says [1, {}] (or [1, {}, 1, 1]; descriptor_size {})",
                d.output, out.shape, d.dims, d.dims, d.dims
            )));
        }
        if out.data.iter().any(|v| !v.is_finite()) {
            return Err(mismatch("it gives values that are not finite".into()));
        }
        // Batches, where the graph allows them.
        if d.run(&[&grey, &grey])
            .is_ok_and(|o| is_descriptor_shape(&o.shape, 2, d.dims))
        {
            d.max_batch = usize::MAX;
        }
        Ok(d)
    }

    /// Side of the square chip this describer takes.
    pub fn chip_size(&self) -> u32 {
        self.input.size
    }

    /// Length of the descriptors it makes.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// One descriptor per chip, in order.
    pub fn describe(&mut self, chips: &[&RgbImage]) -> Result<Vec<Vec<f32>>, DescribeError> {
        let mut out = Vec::with_capacity(chips.len());
        for batch in chips.chunks(self.max_batch.max(1)) {
            let t = self.run(batch)?;
            if !is_descriptor_shape(&t.shape, batch.len(), self.dims) {
                return Err(DescribeError::Mismatch {
                    model: self.name.clone(),
                    reason: format!(
                        "output {:?} has shape {:?} for {} chip(s)",
                        self.output,
                        t.shape,
                        batch.len()
                    ),
                });
            }
            for c in t.data.chunks(self.dims) {
                let mut v = c.to_vec();
                if self.unit_length {
                    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                    if norm > 0.0 {
                        v.iter_mut().for_each(|x| *x /= norm);
                    }
                }
                out.push(v);
            }
        }
        Ok(out)
    }

    /// Time spent inside the runtime running the network ([`Model::busy`]).
    pub fn busy(&self) -> std::time::Duration {
        self.model.busy()
    }

    fn run(&mut self, chips: &[&RgbImage]) -> Result<Tensor, DescribeError> {
        if chips.is_empty() {
            return Ok(Tensor::new(vec![0, self.dims], Vec::new()));
        }
        for chip in chips {
            if chip.width() != self.input.size || chip.height() != self.input.size {
                return Err(DescribeError::ChipSize {
                    w: chip.width(),
                    h: chip.height(),
                    size: self.input.size,
                });
            }
        }
        let input = self.input.tensor(chips);
        Ok(self
            .model
            .run(&[(self.input.name.as_str(), &input)])?
            .get(&self.output)?
            .clone())
    }
}

#[cfg(test)]
mod tests {
    use super::is_descriptor_shape;

    #[test]
    fn descriptors_may_come_flat_or_as_one_by_one_maps() {
        assert!(is_descriptor_shape(&[2, 256], 2, 256));
        assert!(is_descriptor_shape(&[2, 256, 1, 1], 2, 256));
        assert!(!is_descriptor_shape(&[2, 128, 2, 1], 2, 128));
        assert!(!is_descriptor_shape(&[1, 256], 2, 256));
        assert!(!is_descriptor_shape(&[512], 2, 256));
    }
}
