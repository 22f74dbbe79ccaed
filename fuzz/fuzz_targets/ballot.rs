//! Fuzz target `ballot`: see `piaojue_verifier::fuzz_checks::check_ballot`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = piaojue_verifier::fuzz_checks::check_ballot(data);
});
