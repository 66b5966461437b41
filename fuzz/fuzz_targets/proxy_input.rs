#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| r2_fuzz::proxy_input(data));
