//! PRelu rewritten into operators ONNX Runtime's CPU kernels run well.
//!
//! ONNX Runtime 1.27 and later run `PRelu` with a broadcast slope through a
//! slow generic path (SFace: 12.4 ms of 28 ms a face on one core, against
//! 1.8 ms in 1.26), and `PRelu` is not among the operators its blocked
//! (NCHWc) convolution layout passes through, so every activation also
//! costs a layout change each way. The same function, written as
//! operators the runtime fuses, runs SFace in half the time:
//!
//! - one slope for every channel: `LeakyRelu(alpha)`, fused into the
//!   convolution before it;
//! - one slope per channel (`[C,1,1]` or `[1,C,1,1]`): `a*y + (1-a)*Relu(y)`,
//!   each product a `BatchNormalization` with mean 0 and variance 1 (the
//!   runtime turns it into a per-channel scale in the blocked layout) and
//!   the sum an `Add` it folds into the second.
//!
//! Both give the same values up to float rounding (one multiply-add).
//! Slopes of any other shape, or not constant, are left as they are.

use std::collections::HashMap;

use crate::OnnxError;
use crate::proto::{AttributeProto, ModelProto, NodeProto, TensorProto};
use crate::tensor::{float_tensor, to_f32};

/// What [`rewrite_prelu`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PreluRewrite {
    /// `PRelu` with one slope, now `LeakyRelu`.
    pub leaky: usize,
    /// `PRelu` with a slope per channel, now scales and a `Relu`.
    pub per_channel: usize,
    /// `PRelu` left as it was (slope not constant, or of another shape).
    pub kept: usize,
}

/// The slope's channel count when it is a per-channel slope of an NCHW input.
fn channels(dims: &[i64]) -> Option<usize> {
    match dims {
        [c, 1, 1] | [1, c, 1, 1] if *c > 0 => Some(*c as usize),
        _ => None,
    }
}

/// Rewrites every `PRelu` whose slope is a constant that applies to the
/// whole tensor or per channel; see the module's documentation.
pub fn rewrite_prelu(model: &mut ModelProto) -> Result<PreluRewrite, OnnxError> {
    let g = model.graph.as_mut().ok_or(OnnxError::NoGraph)?;
    let slopes: HashMap<String, (Vec<i64>, Vec<f32>)> = g
        .initializer
        .iter()
        .filter(|t| {
            g.node
                .iter()
                .any(|n| n.op_type() == "PRelu" && n.input.get(1) == t.name.as_ref())
        })
        .map(|t| Ok((t.name().to_string(), (t.dims.clone(), to_f32(t)?))))
        .collect::<Result<_, OnnxError>>()?;
    let mut done = PreluRewrite::default();
    let mut added: Vec<TensorProto> = Vec::new();
    let mut nodes = Vec::with_capacity(g.node.len());
    for n in std::mem::take(&mut g.node) {
        let slope = (n.op_type() == "PRelu" && n.input.len() == 2 && n.output.len() == 1)
            .then(|| slopes.get(&n.input[1]))
            .flatten();
        let Some((dims, a)) = slope else {
            if n.op_type() == "PRelu" {
                done.kept += 1;
            }
            nodes.push(n);
            continue;
        };
        let (x, y) = (n.input[0].clone(), n.output[0].clone());
        if a.len() == 1 {
            nodes.push(NodeProto {
                name: n.name.clone(),
                op_type: Some("LeakyRelu".into()),
                input: vec![x],
                output: vec![y],
                attribute: vec![float_attr("alpha", a[0])],
                ..Default::default()
            });
            done.leaky += 1;
        } else if channels(dims) == Some(a.len()) {
            let c = a.len() as i64;
            let part = |s: &str| format!("{y}/prelu/{s}");
            let one_minus: Vec<f32> = a.iter().map(|v| 1.0 - v).collect();
            added.push(float_tensor(&part("a"), vec![c], a));
            added.push(float_tensor(&part("1-a"), vec![c], &one_minus));
            added.push(float_tensor(&part("zero"), vec![c], &vec![0.0; a.len()]));
            added.push(float_tensor(&part("one"), vec![c], &vec![1.0; a.len()]));
            let scale = |input: String, s: &str, out: String| NodeProto {
                name: Some(part(&format!("scale {s}"))),
                op_type: Some("BatchNormalization".into()),
                input: vec![input, part(s), part("zero"), part("zero"), part("one")],
                output: vec![out],
                attribute: vec![float_attr("epsilon", 0.0)],
                ..Default::default()
            };
            let plain = |op: &str, input: Vec<String>, out: String| NodeProto {
                name: Some(part(op)),
                op_type: Some(op.into()),
                input,
                output: vec![out],
                ..Default::default()
            };
            nodes.push(plain("Relu", vec![x.clone()], part("relu")));
            nodes.push(scale(part("relu"), "1-a", part("positive")));
            nodes.push(scale(x, "a", part("linear")));
            nodes.push(plain(
                "Add",
                vec![part("positive"), part("linear")],
                y.clone(),
            ));
            done.per_channel += 1;
        } else {
            done.kept += 1;
            nodes.push(n);
        }
    }
    g.node = nodes;
    g.initializer.extend(added);
    // Slopes nothing reads any more.
    let read: std::collections::HashSet<String> = g
        .node
        .iter()
        .flat_map(|n| n.input.iter().cloned())
        .collect();
    g.initializer
        .retain(|t| !slopes.contains_key(t.name()) || read.contains(t.name()));
    Ok(done)
}

fn float_attr(name: &str, v: f32) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        f: Some(v),
        r#type: Some(crate::proto::attribute_proto::AttributeType::Float as i32),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::GraphProto;

    fn prelu(x: &str, slope: &str, y: &str) -> NodeProto {
        NodeProto {
            op_type: Some("PRelu".into()),
            input: vec![x.into(), slope.into()],
            output: vec![y.into()],
            ..Default::default()
        }
    }

    #[test]
    fn scalar_slopes_become_leaky_relu_and_channel_slopes_become_scales() {
        let mut m = ModelProto {
            graph: Some(GraphProto {
                node: vec![
                    prelu("x", "s1", "y1"),
                    prelu("y1", "s3", "y2"),
                    prelu("y2", "fed", "y3"),
                    prelu("y3", "sw", "y4"),
                ],
                initializer: vec![
                    float_tensor("s1", vec![1], &[0.25]),
                    float_tensor("s3", vec![3, 1, 1], &[0.1, 0.2, 0.3]),
                    // A slope along the last axis is not per channel.
                    float_tensor("sw", vec![3], &[0.1, 0.2, 0.3]),
                ],
                ..Default::default()
            }),
            ..Default::default()
        };
        let r = rewrite_prelu(&mut m).unwrap();
        assert_eq!(
            r,
            PreluRewrite {
                leaky: 1,
                per_channel: 1,
                kept: 2
            }
        );
        let g = m.graph.unwrap();
        let ops: Vec<&str> = g.node.iter().map(|n| n.op_type()).collect();
        assert_eq!(
            ops,
            [
                "LeakyRelu",
                "Relu",
                "BatchNormalization",
                "BatchNormalization",
                "Add",
                "PRelu",
                "PRelu"
            ]
        );
        assert_eq!(g.node[0].attribute[0].f, Some(0.25));
        assert_eq!(
            g.node[4].output,
            ["y2"],
            "the sum keeps the PRelu's output name"
        );
        let init = |name: &str| {
            g.initializer
                .iter()
                .find(|t| t.name() == name)
                .map(|t| to_f32(t).unwrap())
        };
        assert_eq!(init("y2/prelu/1-a").unwrap(), [0.9, 0.8, 0.7]);
        assert_eq!(init("y2/prelu/a").unwrap(), [0.1, 0.2, 0.3]);
        assert!(
            init("s1").is_none() && init("s3").is_none(),
            "replaced slopes go"
        );
        assert!(init("sw").is_some(), "a kept PRelu keeps its slope");
    }
}
