//! Wider vector instructions where the processor has them.
//!
//! The build targets baseline x86-64, so the compiler may use only SSE2. The
//! hot loops of lfr's own code (resampling a frame for the detector, sampling
//! face chips) are
//! written so that the compiler vectorises them, and compiled a second time
//! with AVX2 and FMA enabled (an `#[inline(always)]` body called from a
//! `#[target_feature]` wrapper, made by [`widest!`]), which picks that copy at run time
//! when the processor has both, or AVX-512 (F and BW) as well. Rust never
//! fuses a multiply and an add on its own, nor reorders float sums, so
//! every copy gives the same results bit for bit; only the speed differs.

use std::sync::OnceLock;

/// The environment variable that caps the instructions used, to compare
/// them: `baseline`, `avx2` (or unset: the widest the processor has).
pub const CAP_ENV: &str = "LFR_SIMD";

/// The widest instructions in use, found once: the processor's, capped by
/// `LFR_SIMD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Baseline,
    Avx2Fma,
    Avx512,
}

fn level() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        let cap = match std::env::var(CAP_ENV).as_deref() {
            Ok("baseline") => Level::Baseline,
            Ok("avx2") => Level::Avx2Fma,
            _ => Level::Avx512,
        };
        #[cfg(target_arch = "x86_64")]
        let has =
            if !(std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")) {
                Level::Baseline
            } else if std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512bw")
            {
                Level::Avx512
            } else {
                Level::Avx2Fma
            };
        #[cfg(not(target_arch = "x86_64"))]
        let has = Level::Baseline;
        has.min(cap)
    })
}

/// Whether lfr's own loops may use AVX2 and FMA here.
pub fn has_avx2_fma() -> bool {
    level() >= Level::Avx2Fma
}

/// Whether they may also use AVX-512 F and BW.
pub fn has_avx512() -> bool {
    level() >= Level::Avx512
}

/// The vector instructions lfr's own loops use here, for benchmark reports.
pub fn instructions() -> &'static str {
    match level() {
        Level::Avx512 => "AVX-512",
        Level::Avx2Fma => "AVX2+FMA",
        Level::Baseline => "baseline (SSE2 on x86-64)",
    }
}

/// Defines `fn $name(args) -> R` that runs `$body(args)`, an
/// `#[inline(always)]` function, through a copy compiled for the widest
/// instructions this processor has (AVX-512, AVX2 and FMA, or the
/// baseline), chosen at run time.
macro_rules! widest {
    ($(#[$m:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty => $body:ident) => {
        $(#[$m])*
        $vis fn $name($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512bw,avx2,fma")]
                fn avx512($($arg: $ty),*) -> $ret {
                    $body($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                fn avx2($($arg: $ty),*) -> $ret {
                    $body($($arg),*)
                }
                if $crate::simd::has_avx512() {
                    // SAFETY: the processor has these instructions.
                    return unsafe { avx512($($arg),*) };
                }
                if $crate::simd::has_avx2_fma() {
                    // SAFETY: the processor has these instructions.
                    return unsafe { avx2($($arg),*) };
                }
            }
            $body($($arg),*)
        }
    };
}
pub(crate) use widest;

/// The processor's name, its cores and the vector instructions it has, for
/// benchmark reports: a figure means little without the machine it came from
/// (ONNX Runtime, too, picks its kernels by these instructions).
pub fn processor() -> String {
    let name = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name")?.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{name}, {cores} core(s): {}", features().join(" "))
}

/// The vector instructions this processor reports, of those that matter to
/// lfr and ONNX Runtime.
pub fn features() -> Vec<&'static str> {
    #[allow(unused_mut)]
    let mut has = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        macro_rules! probe {
            ($($f:tt => $label:expr),* $(,)?) => {
                $(if std::is_x86_feature_detected!($f) { has.push($label); })*
            };
        }
        probe!(
            "sse4.2" => "SSE4.2", "avx" => "AVX", "avx2" => "AVX2", "fma" => "FMA",
            "avxvnni" => "AVX-VNNI", "avx512f" => "AVX-512F", "avx512bw" => "AVX-512BW",
            "avx512vl" => "AVX-512VL", "avx512vnni" => "AVX-512VNNI", "avx512bf16" => "AVX-512BF16",
        );
    }
    if has.is_empty() {
        has.push("none detected");
    }
    has
}
