//! Fuzz target `api_body`: see `piaojue_server::routes::check_api_body`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = piaojue_server::routes::check_api_body(data);
});
