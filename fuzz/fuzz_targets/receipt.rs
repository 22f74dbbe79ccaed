//! Fuzz target `receipt`: see `piaojue_verifier::fuzz_checks::check_receipt`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = piaojue_verifier::fuzz_checks::check_receipt(data);
});
