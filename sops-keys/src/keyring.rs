//! `Keyring::from_env()`: the key sources of every backend this build has, configured from the
//! environment the way sops configures its own.
//!
//! sops-core's [`Keyring`] names no backend; this crate fills one. Bring the trait into scope
//! and call [`Keyring::from_env`](KeyringFromEnv::from_env):
//!
//! ```
//! use sops_core::Keyring;
//! use sops_keys::KeyringFromEnv;
//!
//! let keys = Keyring::from_env();
//! assert!(keys.key_types().contains(&"age"));
//! ```

use crate::age::AgeKeySource;
use sops_core::Keyring;

/// Builds a [`Keyring`] from the environment.
pub trait KeyringFromEnv {
    /// Every key source of every enabled backend, in sops's order of use: age (the identities
    /// of `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD`, the SSH keys and
    /// `~/.config/sops/age/keys.txt`), then with the `pgp` feature OpenPGP (key files, legacy
    /// keyrings, `gpg`), then with the `kms` feature AWS KMS (the SDK's credential chain), then
    /// with the `vault` feature Vault transit (`VAULT_TOKEN`, else `~/.vault-token`), then Azure
    /// Key Vault, GCP KMS and HuaweiCloud KMS with their features (`azure`, `gcp`, `hckms`).
    ///
    /// Nothing is read or asked until a key entry needs it, so this never fails: a backend
    /// without usable keys reports what it looked for when a file cannot be opened.
    fn from_env() -> Self;
}

impl KeyringFromEnv for Keyring {
    fn from_env() -> Self {
        #[allow(unused_mut)] // without pgp and kms nothing more is pushed
        let mut keyring = Keyring::new().with(AgeKeySource::from_env());
        #[cfg(feature = "pgp")]
        keyring.push(Box::new(crate::pgp::PgpKeySource::from_env()));
        #[cfg(feature = "kms")]
        keyring.push(Box::new(crate::kms::KmsKeySource::new()));
        #[cfg(feature = "vault")]
        keyring.push(Box::new(crate::vault::VaultKeySource::from_env()));
        #[cfg(feature = "azure")]
        keyring.push(Box::new(crate::azure::AzureKeySource::new()));
        #[cfg(feature = "gcp")]
        keyring.push(Box::new(crate::gcp::GcpKmsKeySource::new()));
        #[cfg(feature = "hckms")]
        keyring.push(Box::new(crate::hckms::HckmsKeySource::new()));
        keyring
    }
}
