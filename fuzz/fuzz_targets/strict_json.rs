//! Fuzz target `strict_json`: see `piaojue_verifier::fuzz_checks::check_strict_json`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = piaojue_verifier::fuzz_checks::check_strict_json(data);
});
