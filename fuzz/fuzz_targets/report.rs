//! Fuzz target `report`: see `piaojue_verifier::fuzz_checks::check_report` (the readable
//! report's printer: no panic, no line added by a text, bounded output).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = piaojue_verifier::fuzz_checks::check_report(data);
});
