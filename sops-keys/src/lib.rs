//! Master-key backends for sops-core.
//!
//! The age backend, [`age::AgeKeySource`], implements sops-core's
//! [`KeySource`](sops_core::KeySource) the way sops 3.11 does: it wraps the data key (or a
//! Shamir share) for `age1…`, `ssh-ed25519` and `ssh-rsa` recipients as an ASCII-armored age
//! file, and unwraps it with identities from `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`,
//! `SOPS_AGE_KEY_CMD`, `SOPS_AGE_SSH_PRIVATE_KEY_FILE`, `~/.ssh/id_ed25519`, `~/.ssh/id_rsa`
//! and `~/.config/sops/age/keys.txt` (see [`age_identities`]).
//!
//! With the `kms` feature, `kms::KmsKeySource` wraps the data key with AWS KMS (`kms` entries:
//! `arn`, `role`, `context`, `created_at`, `enc`, `aws_profile`), and `kms_parse` reads
//! `--kms`/`SOPS_KMS_ARN` lists and `--encryption-context` as sops does.
//!
//! With the `pgp` feature, `pgp::PgpKeySource` wraps the data key for OpenPGP keys (`pgp`
//! entries: `created_at`, `enc`, `fp`): natively with sequoia from key files
//! (`SOPS_PGP_KEY_FILE`, a sops-rs extension) and legacy GnuPG keyrings, else through the
//! `gpg` binary (`SOPS_GPG_EXEC`, `GNUPGHOME`) and its agent, as sops 3.11 does.
//!
//! # Decrypting a file written by sops
//!
//! A few lines with `sops-core`: pick the store from the file name, give the engine the key
//! sources, get back exactly what `sops decrypt` prints.
//!
//! ```
//! use sops_core::{decrypt_file, DecryptOptions, Format};
//! use sops_keys::age::AgeKeySource;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
//! # let path = root.join("sops-3.11.0/credentials-age.yaml");
//! # let identity = std::fs::read_to_string(root.join("keys/age-alice.txt"))?;
//! // Real programs use AgeKeySource::from_env(), which reads SOPS_AGE_KEY_FILE and friends.
//! let identities = AgeKeySource::from_identity_text(&identity)?;
//! let encrypted = std::fs::read(&path)?;
//! let plaintext = decrypt_file(&encrypted, Format::from_path(&path), &[&identities], &DecryptOptions::default())?;
//! assert_eq!(plaintext, b"password: test\n");
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
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod age;
pub mod age_identities;
mod age_sources;
#[cfg(feature = "kms")]
pub mod kms;
#[cfg(feature = "kms")]
mod kms_client;
#[cfg(feature = "kms")]
pub use kms_client::{aws_http_client, aws_sdk_config};
#[cfg(feature = "kms")]
pub mod kms_parse;
#[cfg(feature = "pgp")]
pub mod pgp;
#[cfg(feature = "pgp")]
mod pgp_gpg;
#[cfg(feature = "pgp")]
mod pgp_keyring;
#[cfg(feature = "pgp")]
mod pgp_native;
