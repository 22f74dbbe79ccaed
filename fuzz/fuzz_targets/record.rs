//! Fuzz target `record`: see `piaojue_verifier::fuzz_checks::check_record`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = piaojue_verifier::fuzz_checks::check_record(data);
});
