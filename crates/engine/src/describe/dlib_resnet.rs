//! Reads `dlib_face_recognition_resnet_model_v1.dat`, dlib's 29-layer ResNet
//! that maps a 150x150 face chip to a 128-D descriptor.
//!
//! dlib serialises a network as nested layers: first a version number for
//! every layer from the outermost in, then the input layer, then each layer's
//! parameters from the innermost out. Tag and skip layers (which wire the
//! residual connections) write only a version and no identity, so the
//! topology cannot be read from the file: it is written down here, and the
//! file is checked against it layer by layer.

use crate::dlib_format::{FormatError, Reader};

/// One step of the network, innermost first, as dlib's type definition
/// `anet_type` in dlib's `dnn_face_recognition_ex.cpp` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Con,
    Affine,
    Relu,
    MaxPool,
    AvgPool,
    /// `avg_pool_everything`: the mean over all rows and columns.
    AvgPoolAll,
    Fc,
    /// Remembers the current output under a tag number.
    Tag(u8),
    /// Makes the output of a tag the current output.
    Skip(u8),
    /// Adds the output of a tag to the current output, zero-padding the smaller.
    AddPrev(u8),
}

impl Step {
    fn has_parameters(self) -> bool {
        !matches!(self, Step::Tag(_) | Step::Skip(_))
    }
}

/// `ares<N>`: a residual block keeping the resolution.
const ARES: &[Step] = &[
    Step::Tag(1),
    Step::Con,
    Step::Affine,
    Step::Relu,
    Step::Con,
    Step::Affine,
    Step::AddPrev(1),
    Step::Relu,
];

/// `ares_down<N>`: a residual block halving the resolution; the shortcut is a 2x2 average pool.
const ARES_DOWN: &[Step] = &[
    Step::Tag(1),
    Step::Con,
    Step::Affine,
    Step::Relu,
    Step::Con,
    Step::Affine,
    Step::Tag(2),
    Step::Skip(1),
    Step::AvgPool,
    Step::AddPrev(2),
    Step::Relu,
];

/// The whole network, innermost (next to the input) first.
pub fn topology() -> Vec<Step> {
    let mut s = vec![Step::Con, Step::Affine, Step::Relu, Step::MaxPool];
    let blocks: &[(&[Step], usize)] = &[
        (ARES, 3),      // level 4: 32 channels
        (ARES_DOWN, 1), // level 3: 64 channels
        (ARES, 3),
        (ARES_DOWN, 1), // level 2: 128 channels
        (ARES, 2),
        (ARES_DOWN, 1), // level 1: 256 channels
        (ARES, 2),
        (ARES_DOWN, 1), // level 0: 256 channels
    ];
    for (block, n) in blocks {
        for _ in 0..*n {
            s.extend_from_slice(block);
        }
    }
    s.extend_from_slice(&[Step::AvgPoolAll, Step::Fc]);
    s
}

#[derive(Debug, Clone)]
pub struct Conv {
    pub filters: usize,
    pub channels: usize,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    /// `filters x channels x rows x cols`, the same order as ONNX's OIHW.
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
}

#[derive(Debug, Clone)]
pub struct Affine {
    pub gamma: Vec<f32>,
    pub beta: Vec<f32>,
}

#[derive(Debug, Clone, Copy)]
pub struct Pool {
    pub window: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
}

#[derive(Debug, Clone)]
pub struct Fc {
    pub inputs: usize,
    pub outputs: usize,
    /// `inputs x outputs`: the output is `x * W`.
    pub weights: Vec<f32>,
}

/// A layer's parameters, in the same order as the parameterised [`Step`]s of [`topology`].
#[derive(Debug, Clone)]
pub enum Layer {
    Con(Conv),
    Affine(Affine),
    Relu,
    MaxPool(Pool),
    AvgPool(Pool),
    Fc(Fc),
    AddPrev,
}

impl Layer {
    fn kind(&self) -> &'static str {
        match self {
            Layer::Con(_) => "a convolution",
            Layer::Affine(_) => "an affine layer",
            Layer::Relu => "a relu",
            Layer::MaxPool(_) => "a max pool",
            Layer::AvgPool(_) => "an average pool",
            Layer::Fc(_) => "a fully connected layer",
            Layer::AddPrev => "an add_prev",
        }
    }

    fn matches(&self, step: Step) -> bool {
        matches!(
            (self, step),
            (Layer::Con(_), Step::Con)
                | (Layer::Affine(_), Step::Affine)
                | (Layer::Relu, Step::Relu)
                | (Layer::MaxPool(_), Step::MaxPool)
                | (Layer::AvgPool(_), Step::AvgPool | Step::AvgPoolAll)
                | (Layer::Fc(_), Step::Fc)
                | (Layer::AddPrev, Step::AddPrev(_))
        )
    }
}

/// The parsed network.
#[derive(Debug, Clone)]
pub struct DlibResnet {
    /// Mean red, green and blue subtracted from the input (dlib then divides by 256).
    pub mean_rgb: [f32; 3],
    pub input_size: usize,
    /// Parameters of each parameterised step of [`topology`], innermost first.
    pub layers: Vec<Layer>,
}

/// Upper bound on any tensor in this model; guards allocation on corrupt counts.
const MAX_TENSOR: usize = 1 << 24;

impl DlibResnet {
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Self, FormatError> {
        let mut r = Reader::new(name, bytes);
        if r.int()? != 1 {
            return Err(r.error("unsupported loss layer version"));
        }
        r.expect_string("loss_metric_2")?;
        let _margin = r.float()?;
        let _distance_threshold = r.float()?;

        let steps = topology();
        // Versions, outermost first: tags and skips are version 1, layers 2,
        // and the innermost layer (which holds the input layer) 3.
        for (i, step) in steps.iter().rev().enumerate() {
            let expected = if i == steps.len() - 1 {
                3
            } else if step.has_parameters() {
                2
            } else {
                1
            };
            let at = r.position();
            let v = r.int()?;
            if v != expected {
                return Err(r.error_at(
                    at,
                    format!(
                        "layer {i} from the output has version {v}, expected {expected}: \
                         this is not the dlib face recognition ResNet v1"
                    ),
                ));
            }
        }

        r.expect_string("input_rgb_image_sized")?;
        let mean_rgb = [r.float()? as f32, r.float()? as f32, r.float()? as f32];
        let rows = r.count(4096)?;
        let cols = r.count(4096)?;
        if rows != cols || rows == 0 {
            return Err(r.error(format!("input size {rows}x{cols} is not square")));
        }

        let mut layers = Vec::new();
        for (i, step) in steps.iter().filter(|s| s.has_parameters()).enumerate() {
            let at = r.position();
            let layer = read_layer(&mut r)?;
            if !layer.matches(*step) {
                return Err(r.error_at(
                    at,
                    format!("layer {i} is {}, expected {step:?}", layer.kind()),
                ));
            }
            // Training state dlib saves with each layer: three flags and three
            // gradient/cache tensors, plus the sample expansion factor after the
            // innermost layer.
            for _ in 0..3 {
                r.bool()?;
            }
            for _ in 0..3 {
                read_tensor(&mut r)?;
            }
            if i == 0 {
                r.int()?;
            }
            layers.push(layer);
        }
        if !r.at_end() {
            return Err(r.error(format!("{} unexpected trailing bytes", r.remaining())));
        }
        Ok(Self {
            mean_rgb,
            input_size: rows,
            layers,
        })
    }
}

/// A dlib tensor: version 2, dimensions n, k, nr, nc, then raw f32.
fn read_tensor(r: &mut Reader) -> Result<(Vec<usize>, Vec<f32>), FormatError> {
    if r.int()? != 2 {
        return Err(r.error("unsupported tensor version"));
    }
    let mut dims = [0usize; 4];
    let mut total = 1usize;
    for d in &mut dims {
        *d = r.count(MAX_TENSOR)?;
        total = total
            .checked_mul(*d)
            .filter(|&t| t <= MAX_TENSOR)
            .ok_or_else(|| r.error("tensor too large"))?;
    }
    Ok((dims.to_vec(), r.f32_raw(total)?))
}

/// An `alias_tensor`: a view's dimensions (its offset is implied by the layer).
fn read_alias(r: &mut Reader) -> Result<[usize; 4], FormatError> {
    if r.int()? != 1 {
        return Err(r.error("unsupported alias tensor version"));
    }
    Ok([
        r.count(MAX_TENSOR)?,
        r.count(MAX_TENSOR)?,
        r.count(MAX_TENSOR)?,
        r.count(MAX_TENSOR)?,
    ])
}

fn read_pool(r: &mut Reader) -> Result<Pool, FormatError> {
    let mut v = [0usize; 6];
    for x in &mut v {
        *x = r.count(1024)?;
    }
    Ok(Pool {
        window: [v[0], v[1]],
        stride: [v[2], v[3]],
        padding: [v[4], v[5]],
    })
}

fn read_layer(r: &mut Reader) -> Result<Layer, FormatError> {
    let at = r.position();
    let name = r.string()?;
    Ok(match name.as_str() {
        "con_4" => {
            let (_, params) = read_tensor(r)?;
            let filters = r.count(1 << 16)?;
            let kernel = [r.count(64)?, r.count(64)?];
            let stride = [r.count(64)?, r.count(64)?];
            let padding = [r.count(64)?, r.count(64)?];
            let w = read_alias(r)?;
            let b = read_alias(r)?;
            for _ in 0..4 {
                r.float()?; // learning-rate and weight-decay multipliers
            }
            let wn = w.iter().product::<usize>();
            if w[0] != filters || w[2..] != kernel || b.iter().product::<usize>() != filters {
                return Err(r.error("convolution shapes disagree"));
            }
            if params.len() != wn + filters {
                return Err(r.error("convolution parameter count disagrees with its shape"));
            }
            Layer::Con(Conv {
                filters,
                channels: w[1],
                kernel,
                stride,
                padding,
                weights: params[..wn].to_vec(),
                bias: params[wn..].to_vec(),
            })
        }
        "affine_" => {
            let (_, params) = read_tensor(r)?;
            let g = read_alias(r)?;
            let b = read_alias(r)?;
            let _mode = r.int()?;
            let k = g.iter().product::<usize>();
            if b.iter().product::<usize>() != k || params.len() != 2 * k {
                return Err(r.error("affine parameter count disagrees with its shape"));
            }
            Layer::Affine(Affine {
                gamma: params[..k].to_vec(),
                beta: params[k..].to_vec(),
            })
        }
        "relu_" => Layer::Relu,
        "add_prev_" => Layer::AddPrev,
        "max_pool_2" => Layer::MaxPool(read_pool(r)?),
        "avg_pool_2" => Layer::AvgPool(read_pool(r)?),
        "fc_2" => {
            let outputs = r.count(1 << 16)?;
            let inputs = r.count(1 << 16)?;
            let (_, params) = read_tensor(r)?;
            let w = read_alias(r)?;
            let _bias = read_alias(r)?;
            let mode = r.int()?;
            for _ in 0..4 {
                r.float()?;
            }
            // dlib's FC_NO_BIAS is 1; a biased layer would carry more parameters.
            if mode != 1 || w[..2] != [inputs, outputs] || params.len() != inputs * outputs {
                return Err(r.error("fully connected layer shape disagrees"));
            }
            Layer::Fc(Fc {
                inputs,
                outputs,
                weights: params,
            })
        }
        other => {
            return Err(r.error_at(at, format!("unknown layer type {other:?}")));
        }
    })
}
