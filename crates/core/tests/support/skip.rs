//! The one way a test gives up when the machine lacks what it needs (root, `mount -t
//! tmpfs`, `chattr +i`), shared by the test binaries of every crate (each includes this
//! file with `#[path]`).
//!
//! In CI a test must run or fail: `.ci/run` exports `SCOREWATCH_TESTS_REQUIRE_ALL=1`, and
//! [`skip_or_fail`] then panics with the reason. Elsewhere the test is skipped, and says
//! so on the process's stderr, past the test harness's capture, so that a developer sees
//! it in the `cargo test` output instead of a silent pass.

use std::io::Write as _;

/// The variable that turns every skip into a failure; `.ci/run` sets it to `1`.
pub const REQUIRE_ALL_ENV: &str = "SCOREWATCH_TESTS_REQUIRE_ALL";

/// Called by `test` when it cannot run here because of `reason`; the test returns right
/// after (`return skip_or_fail(TEST, &why);`).
///
/// # Panics
/// With `reason` when `SCOREWATCH_TESTS_REQUIRE_ALL=1`, and when the variable holds
/// anything other than `1`, `0` or nothing (a typo must not turn the check off).
pub fn skip_or_fail(test: &str, reason: &str) {
    assert!(
        !require_all(),
        "{test} cannot run here: {reason} ({REQUIRE_ALL_ENV}=1 forbids skipping it)"
    );
    // `eprintln!` would be captured by libtest and shown only for failing tests; the
    // process's own stderr is shown for passing ones too.
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED {test}: {reason}");
}

fn require_all() -> bool {
    match std::env::var(REQUIRE_ALL_ENV) {
        Err(std::env::VarError::NotPresent) => false,
        Ok(value) if value == "1" => true,
        Ok(value) if value.is_empty() || value == "0" => false,
        other => panic!("{REQUIRE_ALL_ENV} must be 1 or 0, not {other:?}"),
    }
}
