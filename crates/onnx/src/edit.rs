//! Graph edits: make a published model loadable, fold its constant weights,
//! let it take batches. Each keeps what the model computes.

use std::collections::{HashMap, HashSet};

use crate::proto::tensor_shape_proto::{Dimension, dimension};
use crate::proto::type_proto;
use crate::proto::{
    AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto, ValueInfoProto,
};
use crate::tensor::{float_tensor, to_f32, to_i64};
use crate::{OnnxError, TensorError};

/// What [`repair`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Repair {
    /// Declared inputs that no node reads and no initializer provides: a
    /// runtime asks for them and they cannot be fed.
    pub unfed: Vec<String>,
    /// Declared inputs that are also initializers: a runtime must treat them
    /// as overridable, so it cannot fold them as constants.
    pub constant: Vec<String>,
}

fn graph(model: &mut ModelProto) -> Result<&mut GraphProto, OnnxError> {
    model.graph.as_mut().ok_or(OnnxError::NoGraph)
}

/// Leaves as graph inputs only the tensors that must be fed: drops declared
/// inputs that nothing reads, and those that an initializer provides.
pub fn repair(model: &mut ModelProto) -> Result<Repair, OnnxError> {
    let g = graph(model)?;
    let inits: HashSet<String> = g.initializer.iter().map(|t| t.name().to_string()).collect();
    let read = read_names(&g.node, &g.output);
    let mut r = Repair::default();
    let mut keep = Vec::new();
    for i in std::mem::take(&mut g.input) {
        let name = i.name().to_string();
        if inits.contains(&name) {
            r.constant.push(name);
        } else if !read.contains(name.as_str()) {
            r.unfed.push(name);
        } else {
            keep.push(i);
        }
    }
    g.input = keep;
    Ok(r)
}

/// Names of the tensors some node reads or the graph gives out.
fn read_names<'a>(nodes: &'a [NodeProto], outputs: &'a [ValueInfoProto]) -> HashSet<&'a str> {
    nodes
        .iter()
        .flat_map(|n| n.input.iter().map(String::as_str))
        .chain(outputs.iter().map(|o| o.name()))
        .collect()
}

fn int_attr(n: &NodeProto, name: &str) -> Option<i64> {
    n.attribute
        .iter()
        .find(|a: &&AttributeProto| a.name() == name)
        .and_then(|a| a.i)
}

fn node_error(n: &NodeProto, reason: impl Into<String>) -> OnnxError {
    OnnxError::Node {
        node: n.name().to_string(),
        op: n.op_type().to_string(),
        reason: reason.into(),
    }
}

/// Replaces `DequantizeLinear` and `Reshape` nodes whose inputs are all
/// constant by the float initializers they compute, and drops initializers
/// nothing reads any more. Returns the number of nodes folded.
///
/// A block-quantised model dequantises every weight on every run; folded,
/// the runtime sees plain float convolutions.
pub fn fold_constants(model: &mut ModelProto) -> Result<usize, OnnxError> {
    let g = graph(model)?;
    let mut consts: HashMap<String, TensorProto> = std::mem::take(&mut g.initializer)
        .into_iter()
        .map(|t| (t.name().to_string(), t))
        .collect();
    let mut folded = 0;
    let mut nodes = Vec::with_capacity(g.node.len());
    for n in std::mem::take(&mut g.node) {
        let all_const = n
            .input
            .iter()
            .all(|i| i.is_empty() || consts.contains_key(i));
        let value = match n.op_type() {
            "DequantizeLinear" if all_const && n.output.len() == 1 => {
                Some(dequantize(&n, &consts)?)
            }
            "Reshape" if all_const && n.input.len() == 2 && n.output.len() == 1 => {
                Some(reshape(&n, &consts)?)
            }
            _ => None,
        };
        match value {
            Some(mut t) => {
                t.name = Some(n.output[0].clone());
                consts.insert(n.output[0].clone(), t);
                folded += 1;
            }
            None => nodes.push(n),
        }
    }
    g.node = nodes;
    let read = read_names(&g.node, &g.output);
    let mut kept: Vec<TensorProto> = consts
        .into_values()
        .filter(|t| read.contains(t.name()))
        .collect();
    kept.sort_by(|a, b| a.name().cmp(b.name()));
    let names: HashSet<String> = kept.iter().map(|t| t.name().to_string()).collect();
    g.initializer = kept;
    // Shapes recorded for tensors that are now constants, or gone, would
    // only contradict the graph.
    g.value_info
        .retain(|v| read.contains(v.name()) && !names.contains(v.name()));
    Ok(folded)
}

fn input<'a>(
    n: &NodeProto,
    consts: &'a HashMap<String, TensorProto>,
    i: usize,
) -> Option<&'a TensorProto> {
    n.input
        .get(i)
        .filter(|s| !s.is_empty())
        .and_then(|s| consts.get(s))
}

/// `y = (x - zero_point) * scale`, per tensor, per axis or in blocks along
/// `axis` (opset 21's `block_size`).
fn dequantize(
    n: &NodeProto,
    consts: &HashMap<String, TensorProto>,
) -> Result<TensorProto, OnnxError> {
    let x_t = input(n, consts, 0).ok_or_else(|| node_error(n, "no input"))?;
    let s_t = input(n, consts, 1).ok_or_else(|| node_error(n, "no scale"))?;
    if s_t.data_type() != crate::proto::tensor_proto::DataType::Float as i32 {
        return Err(TensorError::Type {
            name: s_t.name().into(),
            ty: s_t.data_type(),
        }
        .into());
    }
    let x = to_f32(x_t)?;
    let scale = to_f32(s_t)?;
    let zero = match input(n, consts, 2) {
        Some(z) => to_f32(z)?,
        None => vec![0.0; scale.len()],
    };
    if zero.len() != scale.len() {
        return Err(node_error(n, "zero point and scale differ in size"));
    }
    let dims = &x_t.dims;
    let rank = dims.len() as i64;
    let axis = int_attr(n, "axis").unwrap_or(1);
    let axis = if axis < 0 { axis + rank } else { axis };
    let block = int_attr(n, "block_size").unwrap_or(0);
    let mut y = vec![0f32; x.len()];
    if scale.len() == 1 {
        for (o, v) in y.iter_mut().zip(&x) {
            *o = (v - zero[0]) * scale[0];
        }
    } else {
        if !(0..rank).contains(&axis) {
            return Err(node_error(n, format!("axis {axis} of a rank-{rank} input")));
        }
        let a = axis as usize;
        let d = |r: std::ops::Range<usize>| dims[r].iter().product::<i64>() as usize;
        let (outer, len, inner) = (d(0..a), dims[a] as usize, d(a + 1..dims.len()));
        let groups = if block > 0 {
            len.div_ceil(block as usize)
        } else {
            len
        };
        let want = if block > 0 {
            outer * groups * inner
        } else {
            len
        };
        if scale.len() != want {
            return Err(node_error(
                n,
                format!(
                    "{} scales for input {:?} (axis {a}, block size {block}); expected {want}",
                    scale.len(),
                    dims
                ),
            ));
        }
        for o in 0..outer {
            for k in 0..len {
                for i in 0..inner {
                    let xi = (o * len + k) * inner + i;
                    let si = if block > 0 {
                        (o * groups + k / block as usize) * inner + i
                    } else {
                        k
                    };
                    y[xi] = (x[xi] - zero[si]) * scale[si];
                }
            }
        }
    }
    Ok(float_tensor("", dims.clone(), &y))
}

fn reshape(n: &NodeProto, consts: &HashMap<String, TensorProto>) -> Result<TensorProto, OnnxError> {
    let data = input(n, consts, 0).ok_or_else(|| node_error(n, "no data"))?;
    let shape = to_i64(input(n, consts, 1).ok_or_else(|| node_error(n, "no shape"))?)?;
    let total: i64 = data.dims.iter().product();
    let allow_zero = int_attr(n, "allowzero") == Some(1);
    let mut dims: Vec<i64> = shape
        .iter()
        .enumerate()
        .map(|(i, &s)| match s {
            0 if !allow_zero => data.dims.get(i).copied().unwrap_or(0),
            s => s,
        })
        .collect();
    if let Some(p) = dims.iter().position(|&d| d == -1) {
        let known: i64 = dims.iter().filter(|&&d| d != -1).product();
        if known == 0 || total % known != 0 {
            return Err(node_error(
                n,
                format!("cannot reshape {:?} to {shape:?}", data.dims),
            ));
        }
        dims[p] = total / known;
    }
    if dims.iter().product::<i64>() != total || dims.iter().any(|&d| d < 0) {
        return Err(node_error(
            n,
            format!("cannot reshape {:?} to {shape:?}", data.dims),
        ));
    }
    let mut t = data.clone();
    t.dims = dims;
    Ok(t)
}

/// Makes the first dimension of every graph input and output a named, free
/// batch dimension, so the runtime takes several faces in one run.
pub fn set_dynamic_batch(model: &mut ModelProto, name: &str) -> Result<(), OnnxError> {
    let g = graph(model)?;
    for v in g.input.iter_mut().chain(g.output.iter_mut()) {
        let Some(type_proto::Value::TensorType(t)) =
            v.r#type.as_mut().and_then(|t| t.value.as_mut())
        else {
            continue;
        };
        if let Some(d) = t.shape.as_mut().and_then(|s| s.dim.first_mut()) {
            *d = Dimension {
                value: Some(dimension::Value::DimParam(name.to_string())),
                denotation: None,
            };
        }
    }
    // Intermediate shapes recorded with a batch of one would contradict it.
    g.value_info.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::tensor_proto::DataType;

    fn t(name: &str, ty: DataType, dims: Vec<i64>, raw: Vec<u8>) -> TensorProto {
        TensorProto {
            name: Some(name.into()),
            dims,
            data_type: Some(ty as i32),
            raw_data: Some(raw),
            ..Default::default()
        }
    }

    fn node(op: &str, inputs: &[&str], output: &str, attrs: &[(&str, i64)]) -> NodeProto {
        NodeProto {
            op_type: Some(op.into()),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.into()],
            attribute: attrs
                .iter()
                .map(|(k, v)| AttributeProto {
                    name: Some(k.to_string()),
                    i: Some(*v),
                    r#type: Some(2),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    fn f32s(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    #[test]
    fn blocked_dequantize_then_reshape_folds_to_the_values_it_computes() {
        // A 2x4 int8 weight in blocks of 2 along axis 1, then reshaped to 2x4x1x1.
        let q = t(
            "q",
            DataType::Int8,
            vec![2, 4],
            vec![1, 2, 3, 4, 0xff, 0xfe, 10, 20],
        );
        let s = t(
            "s",
            DataType::Float,
            vec![2, 2],
            f32s(&[0.5, 2.0, 1.0, 0.25]),
        );
        let z = t("z", DataType::Int8, vec![2, 2], vec![1, 0, 0, 4]);
        let shape = t(
            "shape",
            DataType::Int64,
            vec![4],
            [2i64, 4, 1, 1]
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect(),
        );
        let mut m = ModelProto {
            graph: Some(GraphProto {
                node: vec![
                    node(
                        "DequantizeLinear",
                        &["q", "s", "z"],
                        "w",
                        &[("axis", 1), ("block_size", 2)],
                    ),
                    node("Reshape", &["w", "shape"], "w4", &[]),
                    node("Conv", &["x", "w4"], "y", &[]),
                ],
                initializer: vec![q, s, z, shape],
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(fold_constants(&mut m).unwrap(), 2);
        let g = m.graph.unwrap();
        assert_eq!(g.node.len(), 1, "only the convolution is left");
        assert_eq!(g.initializer.len(), 1, "the quantised tensors are gone");
        let w = &g.initializer[0];
        assert_eq!(w.name(), "w4");
        assert_eq!(w.dims, [2, 4, 1, 1]);
        // Row 0: (1-1)*.5, (2-1)*.5, (3-0)*2, (4-0)*2; row 1: (-1-0)*1, (-2-0)*1, (10-4)*.25, (20-4)*.25.
        assert_eq!(
            to_f32(w).unwrap(),
            [0.0, 0.5, 6.0, 8.0, -1.0, -2.0, 1.5, 4.0]
        );
    }

    #[test]
    fn repair_keeps_only_inputs_that_must_be_fed() {
        let vi = |n: &str| crate::proto::ValueInfoProto {
            name: Some(n.into()),
            ..Default::default()
        };
        let mut m = ModelProto {
            graph: Some(GraphProto {
                node: vec![node("Mul", &["data", "k"], "out", &[])],
                initializer: vec![t("k", DataType::Float, vec![1], f32s(&[2.0]))],
                input: vec![vi("data"), vi("k"), vi("old_weight")],
                output: vec![vi("out")],
                ..Default::default()
            }),
            ..Default::default()
        };
        let r = repair(&mut m).unwrap();
        assert_eq!(r.unfed, ["old_weight"]);
        assert_eq!(r.constant, ["k"]);
        let names: Vec<_> = m
            .graph
            .unwrap()
            .input
            .iter()
            .map(|i| i.name().to_string())
            .collect();
        assert_eq!(names, ["data"]);
    }

    #[test]
    fn a_scale_of_the_wrong_size_is_refused_not_guessed() {
        let q = t("q", DataType::Int8, vec![2, 4], vec![0; 8]);
        let s = t("s", DataType::Float, vec![3], f32s(&[1.0, 1.0, 1.0]));
        let mut m = ModelProto {
            graph: Some(GraphProto {
                node: vec![node(
                    "DequantizeLinear",
                    &["q", "s"],
                    "w",
                    &[("axis", 1), ("block_size", 2)],
                )],
                initializer: vec![q, s],
                ..Default::default()
            }),
            ..Default::default()
        };
        let e = fold_constants(&mut m).unwrap_err();
        assert!(e.to_string().contains("expected 4"), "{e}");
    }
}
