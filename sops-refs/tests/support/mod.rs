//! Test helpers of sops-refs: the test data (shared with sops-cli's `refs_cli` test), key
//! sources holding one of the workspace's age test identities, and (feature `aws`) a private
//! `moto_server` ([`moto`]).
#![allow(dead_code)] // each test binary uses a part

use sops_core::KeySource;
use sops_keys::age::AgeKeySource;
use sops_refs::SopsKeys;
use std::path::{Path, PathBuf};

#[cfg(feature = "aws")]
pub mod moto;

/// The directory of the test data.
pub fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../sops-cli/tests/data/refs")
}

/// An age identity file of the workspace's test keys (`alice` can open the test data).
pub fn age_key(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../fixtures/keys/age-{name}.txt"))
}

/// Key sources for `ref+sops://`: one age identity set.
pub struct TestKeys {
    age: AgeKeySource,
}

impl TestKeys {
    /// The identities of the age key file `path`.
    pub fn age(path: &Path) -> TestKeys {
        let text = std::fs::read_to_string(path).expect("an age key file");
        TestKeys {
            age: AgeKeySource::from_identity_text(&text).expect("age identities"),
        }
    }
}

impl SopsKeys for TestKeys {
    fn key_sources(&self) -> Vec<&dyn KeySource> {
        vec![&self.age]
    }
}

/// Key sources with alice's identity, which opens `credentials.yaml`.
pub fn alice() -> TestKeys {
    TestKeys::age(&age_key("alice"))
}
