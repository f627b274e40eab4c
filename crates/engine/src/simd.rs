//! Wider vector instructions where the processor has them.
//!
//! The build targets baseline x86-64, so the compiler may use only SSE2. The
//! hot loops of lfr's own code (resampling a frame for the detector) are
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

fn cap() -> u8 {
    static CAP: OnceLock<u8> = OnceLock::new();
    *CAP.get_or_init(|| match std::env::var(CAP_ENV).as_deref() {
        Ok("baseline") => 0,
        Ok("avx2") => 1,
        _ => 2,
    })
}

/// Whether this processor runs AVX2 and FMA instructions (and `LFR_SIMD`
/// allows them).
pub fn has_avx2_fma() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            cap() >= 1
                && std::is_x86_feature_detected!("avx2")
                && std::is_x86_feature_detected!("fma")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    })
}

/// Whether this processor also runs AVX-512 F and BW instructions (and
/// `LFR_SIMD` allows them).
pub fn has_avx512() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            cap() >= 2
                && has_avx2_fma()
                && std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512bw")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    })
}

/// The vector instructions lfr's own loops use here, for benchmark reports.
pub fn instructions() -> &'static str {
    if has_avx512() {
        "AVX-512"
    } else if has_avx2_fma() {
        "AVX2+FMA"
    } else {
        "baseline (SSE2 on x86-64)"
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
