//! The integration tests of `sops-keys`, in one binary (`cargo test -p sops-keys --test it`).
//!
//! One folder per backend. The PGP and KMS modules are compiled only with the crate's `pgp` and
//! `kms` features (the workspace build turns them on, through `sops-cli`):
//! `cargo test -p sops-keys --all-features --test it`. The moto harness, the reference sops and
//! the `fixtures/` paths come from the `sops-test-support` crate.

mod age;
mod hygiene;
#[cfg(feature = "kms")]
mod kms;
#[cfg(feature = "pgp")]
mod pgp;
