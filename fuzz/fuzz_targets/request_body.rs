//! cargo-fuzz target: `hostile::check_request_body` (the checks are shared with the proptest
//! equivalents in `crates/core/tests/hostile_input.rs`).
#![no_main]

#[path = "../../crates/core/tests/support/hostile.rs"]
mod hostile;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    hostile::check_request_body(data);
});
