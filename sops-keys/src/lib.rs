//! Master-key backends for sops-core: the ways the SOPS data key (or a Shamir share of it) is
//! wrapped for a master key and unwrapped again.
//!
//! # Backends
//!
//! Each backend is one module exporting the same kind of names: its key source type, which
//! implements sops-core's [`KeySource`](sops_core::KeySource), the configuration that source is
//! built from, and `KEY_TYPE`, the name of the metadata list it handles.
//!
//! | Module | Feature | Key source | Configured by | Metadata entries |
//! |---|---|---|---|---|
//! | [`age`] | always | `age::AgeKeySource` | `age::IdentityEnv` | `age`: `recipient`, `enc` |
//! | [`pgp`] | `pgp` | `pgp::PgpKeySource` | `pgp::PgpConfig` | `pgp`: `created_at`, `enc`, `fp` |
//! | [`kms`] | `kms` | `kms::KmsKeySource` | `kms::KmsOptions` | `kms`: `arn`, `role`, `context`, `created_at`, `enc`, `aws_profile` |
//! | [`vault`] | `vault` | `vault::VaultKeySource` | `vault::VaultSettings` | `hc_vault`: `vault_address`, `engine_path`, `key_name`, `created_at`, `enc` |
//! | [`gcp`] | `gcp` | `gcp::GcpKmsKeySource` | `gcp::credential::GoogleCredentials` | `gcp_kms`: `resource_id`, `created_at`, `enc` |
//! | [`hckms`] | `hckms` | `hckms::HckmsKeySource` | the environment | `hckms`: `key_id`, `created_at`, `enc` |
//! | [`azure`] | `azure` | `azure::AzureKeySource` | `azure::credential::CredentialChain` | `azure_kv`: `vault_url`, `name`, `version`, `created_at`, `enc` |
//!
//! * **age** wraps for `age1…`, post-quantum `age1pq1…`, `ssh-ed25519` and `ssh-rsa`
//!   recipients as an ASCII-armored age file, and unwraps with identities from `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`,
//!   `SOPS_AGE_KEY_CMD`, `SOPS_AGE_SSH_PRIVATE_KEY_FILE`, `~/.ssh/id_ed25519`, `~/.ssh/id_rsa`
//!   and `~/.config/sops/age/keys.txt`, as sops 3.11 does.
//! * **PGP** (feature `pgp`) wraps for OpenPGP keys natively with sequoia, from key files
//!   (`SOPS_PGP_KEY_FILE`, a sops-rs extension) and legacy GnuPG keyrings, else through the
//!   `gpg` binary (`SOPS_GPG_EXEC`, `GNUPGHOME`) and its agent, as sops 3.11 does.
//! * **AWS KMS** (feature `kms`) wraps with KMS `Encrypt`, assuming a role first if the entry
//!   names one; [`kms::parse`] reads `--kms`/`SOPS_KMS_ARN` lists and `--encryption-context` as
//!   sops does.
//! * **Vault transit** (feature `vault`) wraps with `POST /v1/<engine>/encrypt/<key>` of
//!   HashiCorp Vault or OpenBao, with `VAULT_TOKEN` (else `~/.vault-token`), as sops does.
//!
//! * **Azure Key Vault** (feature `azure`) wraps with the vault key's `encrypt` operation
//!   (RSA-OAEP-256) through Key Vault's challenge flow, with the credentials of
//!   `DefaultAzureCredential` (environment client secret, workload identity, managed identity,
//!   Azure CLI).
//! * **GCP Cloud KMS** (feature `gcp`) wraps with the crypto key's `encrypt` method over KMS's
//!   REST API, with `GOOGLE_CREDENTIALS`, `GOOGLE_OAUTH_ACCESS_TOKEN` or Application Default
//!   Credentials (service-account and authorized-user files, the metadata server).
//! * **HuaweiCloud KMS** (feature `hckms`) wraps with `encrypt-data` at the key's regional
//!   endpoint, signing each request with the access key (`SDK-HMAC-SHA256`).
//!
//! The `aws` feature (turned on by `kms`) adds [`aws`], the AWS SDK glue (HTTP client, SDK
//! configuration, blocking calls, error text) that the KMS backend shares with other AWS
//! callers such as the CLI's `ref+awssecrets://` and `ref+awsssm://` references.
//!
//! The `keyservice` feature adds [`keyservice`], sops's gRPC key service protocol: a client of
//! `sops keyservice`/`sops-rs keyservice` and [`keyservice::RemoteKeySource`], which lists a
//! remote service beside the local backends as one more key source.
//!
//! # Decrypting a file written by sops
//!
//! [`Keyring::from_env`](KeyringFromEnv::from_env) gathers every backend's key sources as sops
//! does (`SOPS_AGE_KEY_FILE` and friends, GnuPG, AWS credentials); sops-core's
//! [`decrypt`](sops_core::decrypt) then gives back exactly what `sops decrypt` prints. This
//! example builds the keyring from one test identity instead, so that it runs anywhere.
//!
//! ```
//! use sops_core::{decrypt, DecryptOptions, Format, Keyring};
//! use sops_keys::age::AgeKeySource;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
//! # let path = root.join("sops-3.11.0/credentials-age.yaml");
//! # let identity = std::fs::read_to_string(root.join("keys/age-alice.txt"))?;
//! // Real programs: `use sops_keys::KeyringFromEnv; let keys = Keyring::from_env();`
//! let keys = Keyring::new().with(AgeKeySource::from_identity_text(&identity)?);
//! let encrypted = std::fs::read(&path)?;
//! let plaintext = decrypt(&encrypted, Format::from_path(&path), &keys, &DecryptOptions::default())?;
//! assert_eq!(plaintext.secret_bytes(), b"password: test\n");
//! # Ok(()) }
//! ```
//!
//! # Wrapping a data key
//!
//! Wrap a data key for a recipient and unwrap it again with the matching identity. Real
//! programs use [`AgeKeySource::from_env`](age::AgeKeySource::from_env); this one passes a test
//! identity directly.
//!
//! ```
//! use sops_core::{KeyEntry, KeySource};
//! use sops_keys::age::AgeKeySource;
//!
//! # fn main() -> Result<(), sops_core::KeyError> {
//! let identity = "# a test key, never use it for real secrets\n\
//!                 AGE-SECRET-KEY-1NZTDTHZ24MW6EHL0AJWUX6ZFSWMNMVJXPHEEYZUHXDAAGALMCXVQYXA3MN\n";
//! let source = AgeKeySource::from_identity_text(identity)?;
//!
//! let mut entry = KeyEntry::new("age");
//! entry.set_field("recipient", "age1kqzkxccncjjnlrdyf2lamgdtlxpegqn8su4w4rt8wpnu845pgu6ssnu6xg");
//! source.wrap(&mut entry, &[7; 32])?;
//! let enc = entry.field("enc").unwrap();
//! assert!(enc.starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"));
//! assert!(enc.ends_with("-----END AGE ENCRYPTED FILE-----\n"));
//!
//! let data_key = source.unwrap(&entry).expect("the identity fits")?;
//! assert_eq!(data_key.secret_bytes(), &[7; 32]);
//! # Ok(()) }
//! ```
// The modules of disabled features link back to the table above.
#![cfg_attr(feature = "pgp", doc = "\n[`pgp`]: crate::pgp")]
#![cfg_attr(not(feature = "pgp"), doc = "\n[`pgp`]: crate#backends")]
#![cfg_attr(
    feature = "kms",
    doc = "\n[`kms`]: crate::kms\n[`kms::parse`]: crate::kms::parse"
)]
#![cfg_attr(
    not(feature = "kms"),
    doc = "\n[`kms`]: crate#backends\n[`kms::parse`]: crate#backends"
)]
#![cfg_attr(feature = "vault", doc = "\n[`vault`]: crate::vault")]
#![cfg_attr(not(feature = "vault"), doc = "\n[`vault`]: crate#backends")]
#![cfg_attr(
    feature = "keyservice",
    doc = "\n[`keyservice`]: crate::keyservice\n[`keyservice::RemoteKeySource`]: crate::keyservice::RemoteKeySource"
)]
#![cfg_attr(
    not(feature = "keyservice"),
    doc = "\n[`keyservice`]: crate#backends\n[`keyservice::RemoteKeySource`]: crate#backends"
)]
#![cfg_attr(feature = "azure", doc = "\n[`azure`]: crate::azure")]
#![cfg_attr(not(feature = "azure"), doc = "\n[`azure`]: crate#backends")]
#![cfg_attr(feature = "gcp", doc = "\n[`gcp`]: crate::gcp")]
#![cfg_attr(not(feature = "gcp"), doc = "\n[`gcp`]: crate#backends")]
#![cfg_attr(feature = "hckms", doc = "\n[`hckms`]: crate::hckms")]
#![cfg_attr(not(feature = "hckms"), doc = "\n[`hckms`]: crate#backends")]
#![cfg_attr(feature = "aws", doc = "\n[`aws`]: crate::aws")]
#![cfg_attr(not(feature = "aws"), doc = "\n[`aws`]: crate#backends")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod age;
#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "azure")]
pub mod azure;
#[cfg(feature = "gcp")]
pub mod gcp;
#[cfg(feature = "hckms")]
pub mod hckms;
#[cfg(feature = "https")]
mod https;
mod keyring;
#[cfg(feature = "keyservice")]
pub mod keyservice;
#[cfg(feature = "kms")]
pub mod kms;
#[cfg(feature = "pgp")]
pub mod pgp;
#[cfg(feature = "vault")]
pub mod vault;

pub use keyring::KeyringFromEnv;

// Paths of the flat layout, kept until their callers move to the ones above.
#[doc(hidden)]
pub use crate::age as age_identities;
#[cfg(feature = "aws")]
#[doc(hidden)]
pub use aws::{http_client as aws_http_client, sdk_config as aws_sdk_config};
#[cfg(feature = "kms")]
#[doc(hidden)]
pub use kms::parse as kms_parse;
