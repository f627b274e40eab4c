//! Emits the dlib ResNet as an ONNX graph, so ONNX Runtime can run it.
//!
//! Each convolution's following affine layer (dlib's frozen batch
//! normalisation) is folded into the convolution's weights and bias. Residual
//! additions whose inputs differ in size are zero-padded, as dlib's
//! `add_prev` does.

use super::dlib_resnet::{Conv, DlibResnet, Layer, Pool, Step, topology};
use crate::onnx::{Attr, Dim, Graph};
use crate::package::{ColourOrder, Layout};

/// Name of the graph's input: `N x 3 x 150 x 150` RGB values in 0..=255.
pub const INPUT: &str = "chip_rgb";
/// Name of the graph's output: `N x 128` descriptors.
pub const OUTPUT: &str = "descriptor";

#[derive(Clone)]
struct Value {
    name: String,
    /// Channels, rows, columns.
    chw: [usize; 3],
}

/// What the graph's input takes: a layout, a channel order, and values
/// `(pixel - mean[c]) / std[c]` in that channel order.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphInput {
    pub name: String,
    pub layout: Layout,
    pub order: ColourOrder,
    pub mean: [f32; 3],
    pub std: [f32; 3],
}

impl GraphInput {
    /// The built-in describer's: NCHW RGB pixels as they are.
    pub fn raw_rgb() -> Self {
        Self {
            name: INPUT.into(),
            layout: Layout::NCHW,
            order: ColourOrder::RGB,
            mean: [0.0; 3],
            std: [1.0; 3],
        }
    }
}

pub fn to_onnx(net: &DlibResnet) -> Result<Vec<u8>, String> {
    to_onnx_with(net, &GraphInput::raw_rgb())
}

/// The network behind an input of another convention: the normalisation is
/// undone by a multiply and an add folded into dlib's own input scaling,
/// and BGR order by permuting the first convolution's input channels.
pub fn to_onnx_with(net: &DlibResnet, input: &GraphInput) -> Result<Vec<u8>, String> {
    if input.name == OUTPUT || input.name.is_empty() {
        return Err(format!("the input cannot be called {:?}", input.name));
    }
    let mut g = Graph::new();
    let size = net.input_size;
    let s = size as i64;
    let dims = match input.layout {
        Layout::NCHW => [Dim::Named("N"), Dim::Fixed(3), Dim::Fixed(s), Dim::Fixed(s)],
        Layout::NHWC => [Dim::Named("N"), Dim::Fixed(s), Dim::Fixed(s), Dim::Fixed(3)],
    };
    g.input(&input.name, &dims);
    let mut net = net.clone();
    let mut dlib_mean = net.mean_rgb;
    if input.order == ColourOrder::BGR {
        dlib_mean.reverse();
        match net.layers.first_mut() {
            Some(Layer::Con(c)) if c.channels == 3 => reverse_input_channels(c),
            _ => return Err("the first layer is not a 3-channel convolution".into()),
        }
    }
    let x = if *input == GraphInput::raw_rgb() {
        // dlib's input layer: (pixel - mean) / 256.
        let mean = g.constant("mean", &[1, 3, 1, 1], &dlib_mean);
        let scale = g.constant("scale", &[1], &[1.0 / 256.0]);
        let centred = g.node("Sub", &[&input.name, &mean], &[]);
        g.node("Mul", &[&centred, &scale], &[])
    } else {
        let nchw = match input.layout {
            Layout::NCHW => input.name.clone(),
            Layout::NHWC => g.node(
                "Transpose",
                &[&input.name],
                &[("perm", Attr::Ints(vec![0, 3, 1, 2]))],
            ),
        };
        // (x * std + mean - dlib_mean) / 256
        let mul: Vec<f32> = input.std.iter().map(|s| s / 256.0).collect();
        let add: Vec<f32> = (0..3)
            .map(|c| (input.mean[c] - dlib_mean[c]) / 256.0)
            .collect();
        let mul = g.constant("in_scale", &[1, 3, 1, 1], &mul);
        let add = g.constant("in_shift", &[1, 3, 1, 1], &add);
        let scaled = g.node("Mul", &[&nchw, &mul], &[]);
        g.node("Add", &[&scaled, &add], &[])
    };
    let mut cur = Value {
        name: x,
        chw: [3, size, size],
    };

    let mut tags: [Option<Value>; 3] = [None, None, None];
    let mut layers = net.layers.iter().peekable();
    let mut outputs = 0;
    // Set when a convolution has absorbed the affine step that follows it.
    let mut folded = false;
    for step in topology() {
        match step {
            Step::Affine if folded => folded = false,
            Step::Tag(t) => tags[t as usize] = Some(cur.clone()),
            Step::Skip(t) => cur = tag(&tags, t)?.clone(),
            _ => {
                let layer = layers.next().ok_or("the model has too few layers")?;
                match (step, layer) {
                    (Step::Con, Layer::Con(c)) => {
                        let affine = match layers.peek() {
                            Some(Layer::Affine(a)) => {
                                layers.next();
                                folded = true;
                                Some(a)
                            }
                            _ => None,
                        };
                        cur = conv(&mut g, &cur, c, affine)?;
                    }
                    (Step::Affine, Layer::Affine(_)) => {
                        return Err("an affine layer that does not follow a convolution".into());
                    }
                    (Step::Relu, Layer::Relu) => {
                        cur.name = g.node("Relu", &[&cur.name], &[]);
                    }
                    (Step::MaxPool, Layer::MaxPool(p)) => cur = pool(&mut g, "MaxPool", &cur, p)?,
                    (Step::AvgPool, Layer::AvgPool(p)) => {
                        cur = pool(&mut g, "AveragePool", &cur, p)?
                    }
                    (Step::AvgPoolAll, Layer::AvgPool(_)) => {
                        let pooled = g.node("GlobalAveragePool", &[&cur.name], &[]);
                        cur = Value {
                            name: g.node("Flatten", &[&pooled], &[("axis", Attr::Int(1))]),
                            chw: [cur.chw[0], 1, 1],
                        };
                    }
                    (Step::AddPrev(t), Layer::AddPrev) => {
                        let other = tag(&tags, t)?.clone();
                        cur = add_zero_padded(&mut g, &cur, &other);
                    }
                    (Step::Fc, Layer::Fc(fc)) => {
                        if fc.inputs != cur.chw[0] {
                            return Err(format!(
                                "fully connected layer expects {} inputs, gets {}",
                                fc.inputs, cur.chw[0]
                            ));
                        }
                        let w = g.constant("fc_w", &[fc.inputs, fc.outputs], &fc.weights);
                        g.node_named("MatMul", &[&cur.name, &w], OUTPUT, &[]);
                        outputs = fc.outputs;
                    }
                    (s, l) => return Err(format!("step {s:?} does not match layer {l:?}")),
                }
            }
        }
    }
    if layers.next().is_some() || outputs == 0 {
        return Err("the model's layers do not match the ResNet topology".into());
    }
    g.output(OUTPUT, &[Dim::Named("N"), Dim::Fixed(outputs as i64)]);
    Ok(g.to_model_bytes("dlib_face_recognition_resnet_model_v1", "lfr"))
}

/// Reverses the channel axis of a convolution's `OIHW` weights.
fn reverse_input_channels(c: &mut Conv) {
    let k = c.kernel[0] * c.kernel[1];
    let per_filter = c.channels * k;
    for f in c.weights.chunks_exact_mut(per_filter) {
        let (first, rest) = f.split_at_mut(k);
        first.swap_with_slice(&mut rest[k..2 * k]);
    }
}

fn tag(tags: &[Option<Value>; 3], t: u8) -> Result<&Value, String> {
    tags.get(t as usize)
        .and_then(|v| v.as_ref())
        .ok_or_else(|| format!("tag {t} used before it is set"))
}

fn out_size(input: usize, window: usize, stride: usize, pad: usize) -> Result<usize, String> {
    if stride == 0 || input + 2 * pad < window {
        return Err(format!(
            "window {window} does not fit input {input} (padding {pad}, stride {stride})"
        ));
    }
    Ok(1 + (input + 2 * pad - window) / stride)
}

fn conv(
    g: &mut Graph,
    x: &Value,
    c: &Conv,
    affine: Option<&super::dlib_resnet::Affine>,
) -> Result<Value, String> {
    if c.channels != x.chw[0] {
        return Err(format!(
            "convolution expects {} channels, gets {}",
            c.channels, x.chw[0]
        ));
    }
    let mut w = c.weights.clone();
    let mut b = c.bias.clone();
    if let Some(a) = affine {
        if a.gamma.len() != c.filters {
            return Err("affine layer size differs from the convolution's".into());
        }
        // gamma * (W x + b) + beta == (gamma W) x + (gamma b + beta)
        let per_filter = w.len() / c.filters;
        for f in 0..c.filters {
            for v in &mut w[f * per_filter..(f + 1) * per_filter] {
                *v *= a.gamma[f];
            }
            b[f] = b[f] * a.gamma[f] + a.beta[f];
        }
    }
    let wn = g.constant(
        "conv_w",
        &[c.filters, c.channels, c.kernel[0], c.kernel[1]],
        &w,
    );
    let bn = g.constant("conv_b", &[c.filters], &b);
    let [ph, pw] = [c.padding[0] as i64, c.padding[1] as i64];
    let name = g.node(
        "Conv",
        &[&x.name, &wn, &bn],
        &[
            (
                "kernel_shape",
                Attr::Ints(vec![c.kernel[0] as i64, c.kernel[1] as i64]),
            ),
            (
                "strides",
                Attr::Ints(vec![c.stride[0] as i64, c.stride[1] as i64]),
            ),
            ("pads", Attr::Ints(vec![ph, pw, ph, pw])),
        ],
    );
    Ok(Value {
        name,
        chw: [
            c.filters,
            out_size(x.chw[1], c.kernel[0], c.stride[0], c.padding[0])?,
            out_size(x.chw[2], c.kernel[1], c.stride[1], c.padding[1])?,
        ],
    })
}

fn pool(g: &mut Graph, op: &str, x: &Value, p: &Pool) -> Result<Value, String> {
    let [ph, pw] = [p.padding[0] as i64, p.padding[1] as i64];
    let name = g.node(
        op,
        &[&x.name],
        &[
            (
                "kernel_shape",
                Attr::Ints(vec![p.window[0] as i64, p.window[1] as i64]),
            ),
            (
                "strides",
                Attr::Ints(vec![p.stride[0] as i64, p.stride[1] as i64]),
            ),
            ("pads", Attr::Ints(vec![ph, pw, ph, pw])),
        ],
    );
    Ok(Value {
        name,
        chw: [
            x.chw[0],
            out_size(x.chw[1], p.window[0], p.stride[0], p.padding[0])?,
            out_size(x.chw[2], p.window[1], p.stride[1], p.padding[1])?,
        ],
    })
}

/// `a + b` over the larger of the two shapes, each input padded with zeros
/// at the end of every axis, as dlib's `add_prev` does.
fn add_zero_padded(g: &mut Graph, a: &Value, b: &Value) -> Value {
    let chw = [0, 1, 2].map(|i| a.chw[i].max(b.chw[i]));
    let mut pad = |v: &Value| {
        if v.chw == chw {
            return v.name.clone();
        }
        let ends: Vec<i64> = (0..3).map(|i| (chw[i] - v.chw[i]) as i64).collect();
        let pads = g.constant_i64("pads", &[0, 0, 0, 0, 0, ends[0], ends[1], ends[2]]);
        g.node("Pad", &[&v.name, &pads], &[])
    };
    let (pa, pb) = (pad(a), pad(b));
    Value {
        name: g.node("Add", &[&pa, &pb], &[]),
        chw,
    }
}
