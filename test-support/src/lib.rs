//! Helpers shared by the integration tests of the sops-rs crates; not published.
//!
//! Each crate of the workspace has one integration-test binary (`tests/it/main.rs`) that takes
//! what several crates need from here:
//!
//! * [`fixtures`]: the repository's `fixtures/` directory, found from this crate's
//!   `CARGO_MANIFEST_DIR`, and the test keys in it;
//! * [`cleartext`]: [`CleartextKey`], a toy [`sops_core::KeySource`] that stores the data key in
//!   the clear, for tests of the format engine that need no key backend;
//! * [`moto`]: a private `moto_server` (the AWS stand-in) on 127.0.0.1, stopped on drop, and the
//!   requests it recorded;
//! * [`reference`](mod@reference): the reference `sops` 3.11.0 (`$SOPS_REFERENCE_BIN` or `sops`
//!   on `PATH`), run without its version check;
//! * [`vault`]: a Vault test server (transit and KV, HTTP or TLS) on 127.0.0.1;
//! * [`tls`]: the throw-away test CA and server certificate behind the Vault and cloud servers;
//! * [`binary`]: the `sops-rs` binary under test (`$SOPS_RS_TEST_BIN` or Cargo's build);
//! * [`malformed`]: the malformed inputs too big to commit, built at test time;
//! * [`cloud`]: stand-ins for Azure Key Vault (and Entra ID), HuaweiCloud KMS and GCP KMS;
//! * [`netns`]: a private network and mount namespace where cloud host names resolve to a
//!   test TLS server on 127.0.0.1:443, for the GCP, Azure and HuaweiCloud backends;
//! * [`plugin`]: the test age plugin `age-plugin-sopstest`, built and put on a `PATH`;
//! * [`layout`]: the guard that every test file is a module of the crate's one test binary.
//!
//! What only the CLI tests use (the sandbox, the command runner, the output comparisons) stays in
//! `sops-cli/tests/it/support`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod binary;
pub mod cleartext;
pub mod cloud;
pub mod fixtures;
pub mod layout;
pub mod malformed;
pub mod moto;
pub mod netns;
pub mod plugin;
pub mod reference;
pub mod tls;
pub mod vault;

pub use cleartext::{cleartext_options, CleartextKey};
pub use fixtures::{age_key_path, age_recipient, fixture, fixtures_dir, repo_root};
pub use moto::MotoServer;
pub use reference::{reference_sops, reference_sops_command, REFERENCE_VERSION};
