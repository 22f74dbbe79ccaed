//! Fuzz target `proof`: see `piaojue_verifier::fuzz_checks::check_proof`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = piaojue_verifier::fuzz_checks::check_proof(data);
});
