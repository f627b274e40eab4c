//! `--runtime cuda`: ONNX Runtime's GPU build with its CUDA execution
//! provider. Its own test binary, because a process loads ONNX Runtime
//! once and this one loads the GPU build. Where no NVIDIA GPU is present
//! (CI), asking for it must fail at once and say what is missing, never
//! fall back to the CPU unnoticed; on a GPU it must tell the same people
//! apart as the CPU does.
mod support;

use lfr_engine::detect::DetectorConfig;
use lfr_engine::pipeline::{Engine, EngineConfig, Recogniser};
use lfr_engine::runtime::Runtime;
use support::*;

fn cuda_engine() -> Result<Engine, String> {
    // The GPU build is installed only on request; this test needs it.
    model(lfr_models::files::ONNXRUNTIME_GPU);
    let config = EngineConfig {
        detector: DetectorConfig::stills(),
        runtime: Runtime::Cuda,
        ..Default::default()
    };
    Engine::open(&model_files(Recogniser::Builtin), &config).map_err(|e| e.to_string())
}

fn has_nvidia_gpu() -> bool {
    std::path::Path::new("/dev/nvidiactl").exists()
}

#[test]
fn the_cuda_runtime_runs_on_a_gpu_or_says_what_it_lacks() {
    if !has_nvidia_gpu() {
        let e = cuda_engine().err().expect("no GPU here, so no CUDA engine");
        eprintln!("{e}");
        assert!(
            e.contains("libonnxruntime_providers_cuda.so")
                && e.contains("lfr models install --gpu"),
            "the error names the provider that failed and what it needs: {e}"
        );
        assert!(e.contains("LD_LIBRARY_PATH"), "{e}");
        return;
    }
    let mut e = cuda_engine().unwrap_or_else(|e| panic!("a GPU is present: {e}"));
    let templates: Vec<_> = ["obama", "obama2", "obama3", "biden"]
        .iter()
        .map(|name| {
            let img = load_rgb(&shared(&format!("data/dlib-reference/images/{name}.jpg")));
            e.subject_template(&img, name).unwrap().1
        })
        .collect();
    let score = |i: usize, j: usize| e.score(&templates[i], &templates[j]).unwrap();
    // On the CPU (`lfr --model dlib-resnet-v1 compare`): Obama's photographs
    // 0.38-0.67 to each other, 0.00 to Biden's.
    let same = [(0, 1), (0, 2), (1, 2)].map(|(i, j)| score(i, j));
    let other = [0, 1, 2].map(|i| score(i, 3));
    let lowest_same = same.iter().copied().fold(f64::MAX, f64::min);
    let highest_other = other.iter().copied().fold(f64::MIN, f64::max);
    assert!(
        lowest_same > 0.3 && lowest_same > highest_other + 0.2,
        "Obama to Obama {same:?}, Obama to Biden {other:?}"
    );
}
