//! Descriptors: a 150x150 aligned face chip becomes a 128-D vector.
//!
//! The default describer is dlib's face recognition ResNet (CC0), read from
//! dlib's own model file and executed on ONNX Runtime.

pub mod dlib_resnet;
pub mod dlib_resnet_onnx;

use crate::dlib_format::FormatError;
use crate::runtime::{Backend, Model, RuntimeError, Tensor};
use image::RgbImage;

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
}

/// Turns aligned face chips into descriptors.
pub struct Describer {
    model: Box<dyn Model>,
    size: u32,
    dims: usize,
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
            model: backend.load("dlib ResNet", &onnx)?,
            size: net.input_size as u32,
            dims,
        })
    }

    /// Side of the square chip this describer takes.
    pub fn chip_size(&self) -> u32 {
        self.size
    }

    /// Length of the descriptors it makes.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// One descriptor per chip, in order.
    pub fn describe(&mut self, chips: &[&RgbImage]) -> Result<Vec<Vec<f32>>, DescribeError> {
        if chips.is_empty() {
            return Ok(Vec::new());
        }
        let s = self.size as usize;
        let plane = s * s;
        let mut data = vec![0f32; chips.len() * 3 * plane];
        for (i, chip) in chips.iter().enumerate() {
            if chip.width() != self.size || chip.height() != self.size {
                return Err(DescribeError::ChipSize {
                    w: chip.width(),
                    h: chip.height(),
                    size: self.size,
                });
            }
            let base = i * 3 * plane;
            for (j, p) in chip.pixels().enumerate() {
                data[base + j] = p[0] as f32;
                data[base + plane + j] = p[1] as f32;
                data[base + 2 * plane + j] = p[2] as f32;
            }
        }
        let input = Tensor::new(vec![chips.len(), 3, s, s], data);
        let out = self
            .model
            .run(&[(dlib_resnet_onnx::INPUT, &input)])?
            .get(dlib_resnet_onnx::OUTPUT)?
            .clone();
        Ok(out.data.chunks(self.dims).map(|c| c.to_vec()).collect())
    }
}
