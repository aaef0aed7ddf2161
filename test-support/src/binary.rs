//! The `sops-rs` binary under test.
//!
//! Cargo tells only the integration tests of `sops-cli` where it built `sops-rs`
//! (`CARGO_BIN_EXE_sops-rs`, a compile-time variable of *that* crate), so the
//! [`sops_rs_bin!`](crate::sops_rs_bin) macro reads it where it is expanded. `$SOPS_RS_TEST_BIN`,
//! if set and not empty, replaces the built binary: to check the suite against the reference
//! `sops` itself (where every test must pass) or to test a release build. `.ci/run` unsets it.

use std::path::PathBuf;

/// The variable that replaces the `sops-rs` under test.
pub const TEST_BIN_VAR: &str = "SOPS_RS_TEST_BIN";

/// `$SOPS_RS_TEST_BIN` if set and not empty, else `built` (the path Cargo gave the caller).
pub fn sops_rs_binary(built: &str) -> PathBuf {
    match std::env::var_os(TEST_BIN_VAR) {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => PathBuf::from(built),
    }
}

/// The `sops-rs` binary under test, as a [`PathBuf`]: `$SOPS_RS_TEST_BIN`, else the one Cargo
/// built for the calling crate's tests. Usable only in `sops-cli`'s integration tests.
#[macro_export]
macro_rules! sops_rs_bin {
    () => {
        $crate::binary::sops_rs_binary(env!("CARGO_BIN_EXE_sops-rs"))
    };
}
