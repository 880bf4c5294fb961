//! cargo-fuzz target: `hostile::check_model_files` (the checks are shared with the proptest
//! equivalents in `crates/core/tests/hostile_input.rs`). Every `model.json` that loads must
//! have validated: one finite weight per design-matrix column, and an all-missing
//! application scored to a probability in [0, 1].
#![no_main]

#[path = "../../crates/core/tests/support/hostile.rs"]
mod hostile;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    hostile::check_model_files(data);
});
