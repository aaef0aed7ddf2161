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
mod yaml_store;
