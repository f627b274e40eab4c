//! ONNX models as data: the message types of `onnx.proto`, generated with
//! prost, and the few graph edits lfr applies to models it ships.
//!
//! Models published by others are not always loadable as they are (SFace's
//! block-quantised release declares graph inputs that nothing feeds), and
//! some run faster once their constant weights are folded. Editing the
//! decoded `ModelProto` keeps every field the model has, including those
//! lfr never looks at, which a hand-written parser would silently drop.
//! [`activations`] rewrites operators the CPU runtime runs slowly into
//! equivalent ones it fuses.

pub mod activations;
pub mod edit;
mod tensor;

pub use activations::{PreluRewrite, rewrite_prelu};
pub use edit::{Repair, fold_constants, repair, set_dynamic_batch};
pub use tensor::{TensorError, to_f32, to_i64};

/// The ONNX messages, generated from `proto/onnx.proto` (ONNX 1.17.0).
#[allow(clippy::all, missing_docs)]
pub mod proto {
    include!(concat!(env!("OUT_DIR"), "/onnx.rs"));
}

use prost::Message;

#[derive(Debug, thiserror::Error)]
pub enum OnnxError {
    #[error("not an ONNX model: {0}")]
    Decode(#[from] prost::DecodeError),
    #[error("the model has no graph")]
    NoGraph,
    #[error(transparent)]
    Tensor(#[from] TensorError),
    #[error("node {node} ({op}): {reason}")]
    Node {
        node: String,
        op: String,
        reason: String,
    },
}

/// Decodes an ONNX model from its protobuf bytes.
pub fn decode(bytes: &[u8]) -> Result<proto::ModelProto, OnnxError> {
    let m = proto::ModelProto::decode(bytes)?;
    if m.graph.is_none() {
        return Err(OnnxError::NoGraph);
    }
    Ok(m)
}

/// Encodes a model. The output is deterministic: the same model gives the
/// same bytes, so a repaired model can be pinned by SHA-256.
pub fn encode(model: &proto::ModelProto) -> Vec<u8> {
    model.encode_to_vec()
}
