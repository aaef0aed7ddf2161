//! The AWS KMS master-key backend: wraps the data key (or a Shamir share) with KMS `Encrypt` and
//! unwraps it with KMS `Decrypt`, as sops 3.11 does.
//!
//! A `kms` metadata entry holds, in this order: `arn` (the key or alias ARN), `role` (an IAM
//! role to assume first; omitted when empty), `context` (the KMS encryption context, keys
//! sorted; omitted when empty), `created_at`, `enc` (standard base64 of the `CiphertextBlob`) and
//! `aws_profile` (always written, possibly `""`).
//!
//! The region comes from the ARN (see [`region_from_arn`](parse::region_from_arn));
//! credentials come from the AWS SDK's default chain (environment, shared config and
//! credentials files with `aws_profile` as the profile, SSO, `credential_process`, container and
//! instance metadata) unless [`KmsOptions::credentials`] is set. Endpoints follow
//! `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_KMS` and `AWS_ENDPOINT_URL_STS` unless
//! [`KmsOptions::endpoint_url`] is set. With a `role`, STS `AssumeRole` is called with the
//! session name from [`sts_session_name`](parse::sts_session_name) and KMS is called
//! with the temporary credentials.
//!
//! The [`KeySource`] trait is synchronous: a [`KmsKeySource`] owns one current-thread tokio
//! runtime ([`crate::aws::BlockingRuntime`]), built on first use, and one KMS client per
//! (region, profile, role). Every call is bounded by [`KmsOptions::timeout`]. The SDK setup
//! (HTTP client, configuration, error text) is the one in [`crate::aws`].
//!
//! [`parse`] reads what users write: `--kms` lists, `SOPS_KMS_ARN`, `--encryption-context`.
//!
//! # Example
//!
//! What the CLI does for `--kms ARN+ROLE --encryption-context app:billing` (this needs AWS, or
//! a local `moto_server` named by `AWS_ENDPOINT_URL`):
//!
//! ```no_run
//! use sops_core::KeySource;
//! use sops_keys::kms::KmsKeySource;
//! use sops_keys::kms::parse::{parse_arn_list, parse_encryption_context};
//!
//! # fn main() -> Result<(), sops_core::KeyError> {
//! let context = parse_encryption_context("app:billing")?; // invalid: exit code 6
//! let list = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\
//!             +arn:aws:iam::111122223333:role/sops";
//! let mut entries = parse_arn_list(list, &context, "");
//! let source = KmsKeySource::new();
//! source.wrap(&mut entries[0], &[7; 32])?; // adds created_at and enc
//! let data_key = source.unwrap(&entries[0]).expect("a kms entry")?;
//! assert_eq!(data_key.secret_bytes(), &[7; 32]);
//! # Ok(()) }
//! ```

mod client;
mod key;
pub mod parse;

pub use client::{KmsCredentials, KmsOptions, DEFAULT_TIMEOUT};
pub use key::{KmsKey, KEY_TYPE};

use client::KmsClients;
use sops_core::{KeyEntry, KeyError, KeySource, SecretBytes};

/// The AWS KMS [`KeySource`]. Holds clients and possibly credentials, so it has no `Debug`.
pub struct KmsKeySource {
    clients: KmsClients,
}

impl Default for KmsKeySource {
    fn default() -> Self {
        Self::new()
    }
}

impl KmsKeySource {
    /// A source configured like sops: from the process environment and AWS config files.
    pub fn new() -> Self {
        Self::with_options(KmsOptions::default())
    }

    /// A source with explicit settings (endpoint, credentials, timeout).
    pub fn with_options(options: KmsOptions) -> Self {
        KmsKeySource {
            clients: KmsClients::new(options),
        }
    }

    /// Encrypts `secret` with `key` and returns the `enc` text (standard base64 of the
    /// ciphertext blob). Errors name the ARN.
    pub fn encrypt(&self, key: &KmsKey, secret: &[u8]) -> Result<String, KeyError> {
        let blob = self.clients.encrypt(key, secret)?;
        Ok(aws_smithy_types::base64::encode(blob))
    }

    /// Decrypts the `enc` text of `key`'s entry. Errors name the ARN and, when KMS refuses the
    /// ciphertext, say that the encryption context may not match.
    pub fn decrypt(&self, key: &KmsKey, enc: &str) -> Result<SecretBytes, KeyError> {
        // Go's StdEncoding skips CR and LF; nothing else is tolerated.
        let text: String = enc.chars().filter(|c| *c != '\r' && *c != '\n').collect();
        let blob = aws_smithy_types::base64::decode(text).map_err(|e| {
            KeyError::new(format!(
                "error base64-decoding the encrypted data key of AWS KMS key {}: {e}",
                key.arn
            ))
        })?;
        self.clients.decrypt(key, blob)
    }
}

impl KeySource for KmsKeySource {
    fn key_type(&self) -> &str {
        KEY_TYPE
    }

    /// KMS is a network call: several KMS keys of a group are asked at once.
    fn is_remote(&self) -> bool {
        true
    }

    /// Encrypts with KMS and rewrites the entry in sops' field order. A valid `created_at`
    /// already in the entry is kept (as sops keeps it on `rotate`); otherwise it is now.
    fn wrap(&self, entry: &mut KeyEntry, secret: &[u8]) -> Result<(), KeyError> {
        let key = KmsKey::from_entry(entry)?;
        let enc = self.encrypt(&key, secret)?;
        let created_at = entry.created_at_or_now();
        *entry = key.to_wrapped_entry(created_at, enc);
        Ok(())
    }

    fn unwrap(&self, entry: &KeyEntry) -> Option<Result<SecretBytes, KeyError>> {
        if entry.key_type != KEY_TYPE {
            return None;
        }
        let result = KmsKey::from_entry(entry).and_then(|key| match entry.field("enc") {
            Some(enc) if !enc.is_empty() => self.decrypt(&key, enc),
            _ => Err(KeyError::new(format!(
                "the kms key entry for {} has no enc field",
                key.arn
            ))),
        });
        Some(result)
    }
}
