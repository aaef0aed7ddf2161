//! The integration tests of the `sops-rs` binary, in one binary
//! (`cargo test -p sops-cli --test it`; one module: `cargo nextest run -p sops-cli -E
//! 'test(/^cmd::edit::/)'`).
//!
//! Each test runs the built `sops-rs` and, where it compares, the reference sops 3.11.0 in a
//! sandbox ([`support`]). One module per concern: the subcommands in [`cmd`], the Helm wrapper in
//! [`helm`], the pre-commit hook in [`precommit`], tampered files in [`tamper`]. What other
//! crates' tests share too (the `fixtures/` paths, the reference sops, the binary locator, the
//! malformed inputs) comes from the `sops-test-support` crate.

mod backends;
mod cli_errors;
mod cmd;
mod crash_safety;
mod decrypt_many;
mod fixtures_decrypt;
mod flags_from_help;
mod helm;
mod interop;
mod large_files;
mod malformed;
mod precommit;
mod readme;
mod refs;
mod security;
mod sops_313_fixes;
mod stores_interop;
mod support;
mod tamper;
mod textconv;
mod verbose_log;
mod yaml_comments;
mod yaml_differential;

/// Every `.rs` file under `tests/` is a module of this binary: with `autotests = false` a file
/// that no `mod` line names would never be compiled (see `sops_test_support::layout`).
#[test]
fn every_test_file_is_a_module_of_this_binary() {
    let crate_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let problems = sops_test_support::layout::unhooked_test_files(crate_dir);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
