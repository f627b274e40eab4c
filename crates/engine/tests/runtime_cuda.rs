//! `--runtime cuda`: ONNX Runtime's GPU build with its CUDA execution
//! provider. Its own test binary, because a process loads ONNX Runtime
//! once and this one loads the GPU build. Where no NVIDIA GPU is present
//! (CI), asking for it must fail at once and say what is missing, never
//! fall back to the CPU unnoticed; where the CUDA engine opens, it must
//! tell the same people apart as the CPU does. On a GPU machine set up for
//! it, `LFR_TEST_CUDA=1` makes failing to open an error.
mod support;

use lfr_engine::detect::DetectorConfig;
use lfr_engine::pipeline::{Engine, EngineConfig, Recogniser};
use lfr_engine::runtime::{CUDA_HELP, Runtime};
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

#[test]
fn the_cuda_runtime_runs_on_a_gpu_or_says_what_it_lacks() {
    let gpu = std::path::Path::new("/dev/nvidiactl").exists();
    let mut e = match cuda_engine() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            assert!(
                e.contains("libonnxruntime_providers_cuda.so") && e.contains(CUDA_HELP),
                "the error names the provider that failed and what it needs: {e}"
            );
            assert!(
                !(gpu && std::env::var_os("LFR_TEST_CUDA").is_some()),
                "LFR_TEST_CUDA is set, so this GPU machine should run it: {e}"
            );
            return;
        }
    };
    assert!(gpu, "a CUDA engine opened without an NVIDIA device");
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
