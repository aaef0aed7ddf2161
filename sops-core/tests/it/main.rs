//! The integration tests of `sops-core`, in one binary (`cargo test -p sops-core --test it`).
//!
//! One module per concern; the shared helpers (the toy [`sops_test_support::CleartextKey`], the
//! malformed inputs built at test time, the `fixtures/` paths) come from the `sops-test-support`
//! crate. The test data of this crate is in `sops-core/tests/data`, the data shared with the
//! other crates in the repository's `fixtures/`.

mod dotenv;
mod hygiene;
mod ini;
mod json;
mod malformed;
mod metadata;
mod second_source;
mod typed_api;
mod yaml_comments;
mod yaml_store;

/// Every `.rs` file under `tests/` is a module of this binary: with `autotests = false` a file
/// that no `mod` line names would never be compiled (see `sops_test_support::layout`).
#[test]
fn every_test_file_is_a_module_of_this_binary() {
    let crate_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let problems = sops_test_support::layout::unhooked_test_files(crate_dir);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
