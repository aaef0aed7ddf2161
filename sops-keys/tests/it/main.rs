//! The integration tests of `sops-keys`, in one binary (`cargo test -p sops-keys --test it`).
//!
//! One folder per backend. The PGP, KMS, Vault, Azure, GCP and HuaweiCloud modules are compiled
//! only with the crate's feature of the same name (`pgp`, `kms`, `vault`, `azure`, `gcp`, `hckms`;
//! the workspace build turns them on, through `sops-cli`):
//! `cargo test -p sops-keys --all-features --test it`. The moto harness, the reference sops and
//! the `fixtures/` paths come from the `sops-test-support` crate.

mod age;
#[cfg(feature = "azure")]
mod azure;
#[cfg(feature = "gcp")]
mod gcp;
#[cfg(feature = "hckms")]
mod hckms;
mod hygiene;
#[cfg(feature = "kms")]
mod kms;
#[cfg(feature = "pgp")]
mod pgp;
#[cfg(feature = "vault")]
mod vault;

/// Every `.rs` file under `tests/` is a module of this binary: with `autotests = false` a file
/// that no `mod` line names would never be compiled (see `sops_test_support::layout`).
#[test]
fn every_test_file_is_a_module_of_this_binary() {
    let crate_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let problems = sops_test_support::layout::unhooked_test_files(crate_dir);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
