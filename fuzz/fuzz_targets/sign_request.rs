#![no_main]

libfuzzer_sys::fuzz_target!(|input: r2_fuzz::SignInput| r2_fuzz::sign_request(input));
