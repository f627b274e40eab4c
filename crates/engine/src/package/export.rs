//! The built-in dlib descriptor written out as a package: a real ONNX model
//! that any ONNX runtime can run, with a manifest and an input convention of
//! its own (NHWC, BGR, values scaled to [-1, 1]), so that the package path
//! (manifest, normalisation, colour order, alignment template) is exercised
//! by a model whose right answers are known.

use std::path::Path;

use super::manifest::{
    AlignmentSpec, ColourOrder, Distance, FORMAT, Layout, Manifest, ModelSpec, Normalisation,
};
use super::{PackageError, sha256_file};
use crate::align::AlignTemplate;
use crate::describe::dlib_resnet::DlibResnet;
use crate::describe::dlib_resnet_onnx::{GraphInput, OUTPUT, to_onnx_with};

const ONNX_FILE: &str = "model.onnx";
const INPUT: &str = "chip_bgr";

/// Writes `model.onnx` and `manifest.json` for the dlib ResNet in `dat`
/// into `dir` (created if needed) under package `id` and `version`.
pub fn export_dlib(
    dat: &[u8],
    dir: &Path,
    id: &str,
    version: &str,
) -> Result<Manifest, PackageError> {
    let net = DlibResnet::parse("dlib_face_recognition_resnet_model_v1.dat", dat)
        .map_err(|e| PackageError::Manifest(e.to_string()))?;
    let normalisation = Normalisation {
        mean: [127.5; 3],
        std: [127.5; 3],
    };
    let input = GraphInput {
        name: INPUT.into(),
        layout: Layout::NHWC,
        order: ColourOrder::BGR,
        mean: normalisation.mean,
        std: normalisation.std,
    };
    let onnx = to_onnx_with(&net, &input).map_err(PackageError::Manifest)?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PackageError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let onnx_path = dir.join(ONNX_FILE);
    std::fs::write(&onnx_path, &onnx).map_err(io(&onnx_path))?;
    let size = net.input_size as u32;
    let descriptor_size = net
        .layers
        .iter()
        .rev()
        .find_map(|l| match l {
            crate::describe::dlib_resnet::Layer::Fc(fc) => Some(fc.outputs),
            _ => None,
        })
        .unwrap_or(0);
    let t = AlignTemplate::DLIB_YUNET5;
    let m = Manifest {
        format: FORMAT,
        id: id.into(),
        version: version.into(),
        description: "dlib's face recognition ResNet v1 as a standalone ONNX model, taking NHWC BGR chips scaled to [-1, 1]".into(),
        licence: "CC0-1.0".into(),
        provenance: "Davis King (dlib), dlib_face_recognition_resnet_model_v1.dat from the PyPI sdist face_recognition_models==0.3.0, converted to ONNX by `lfr models export-dlib`".into(),
        restriction: None,
        model: ModelSpec {
            file: ONNX_FILE.into(),
            sha256: sha256_file(&onnx_path)?,
            input: INPUT.into(),
            output: OUTPUT.into(),
            input_size: [size, size],
            layout: input.layout,
            colour_order: input.order,
            normalisation,
            descriptor_size,
            distance: Distance::Euclidean,
            l2_normalise: false,
        },
        alignment: AlignmentSpec {
            chip_size: t.size as u32,
            points: t.points,
        },
    };
    m.validate()?;
    let path = dir.join(super::MANIFEST_FILE);
    std::fs::write(&path, m.to_json()).map_err(io(&path))?;
    Ok(m)
}
