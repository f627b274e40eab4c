#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| lfr_fuzz::sealed(data));
