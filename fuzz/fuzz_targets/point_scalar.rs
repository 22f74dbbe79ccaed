//! Fuzz target `point_scalar`: see `piaojue_verifier::fuzz_checks::check_point_scalar`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = piaojue_verifier::fuzz_checks::check_point_scalar(data);
});
