//! The HashiCorp Vault transit master-key backend (OpenBao too): wraps the data key (or a
//! Shamir share) with `POST /v1/<engine>/encrypt/<key>` and unwraps it with
//! `POST /v1/<engine>/decrypt/<key>`, as sops 3.11 does through Vault's Go client.
//!
//! An `hc_vault` metadata entry holds, in this order: `vault_address` (the server, no path),
//! `engine_path` (the transit mount), `key_name`, `created_at` and `enc` (Vault's ciphertext,
//! `vault:v1:…`, as Vault returned it). Keys are named by URI,
//! `https://vault.example.org:8200/v1/transit/keys/app` ([`VaultKey::from_uri`]); that URI is
//! also what `rotate --rm-hc-vault-transit` compares ([`entry_uri`]).
//!
//! The data key is sent base64-encoded as `plaintext`, as sops sends it. The token, namespace,
//! trusted CAs, timeout and allowlist come from the environment ([`VaultSettings`]:
//! `VAULT_TOKEN`, else `~/.vault-token`; `VAULT_NAMESPACE`; `VAULT_CACERT`, `VAULT_CAPATH`,
//! `SSL_CERT_FILE`; `VAULT_CLIENT_TIMEOUT`; `SOPS_HC_VAULT_ALLOWLIST`). `VAULT_ADDR` plays no
//! part: the address is the key's. Errors name the key URI and the request, never the token.
//!
//! [`VaultClient`] is public so that other Vault callers (the `ref+vault://` references of
//! sops-refs) share its transport, settings and error text.
//!
//! # Example
//!
//! ```no_run
//! use sops_core::KeySource;
//! use sops_keys::vault::{parse_uri_list, VaultKeySource};
//!
//! # fn main() -> Result<(), sops_core::KeyError> {
//! let mut entries = parse_uri_list("https://vault.example.org:8200/v1/transit/keys/app")?;
//! let source = VaultKeySource::from_env();
//! source.wrap(&mut entries[0], &[7; 32])?; // adds created_at and enc
//! let data_key = source.unwrap(&entries[0]).expect("an hc_vault entry")?;
//! assert_eq!(data_key.secret_bytes(), &[7; 32]);
//! # Ok(()) }
//! ```

mod client;
mod error;
mod key;
mod settings;

pub use client::{scrub, VaultClient};
pub use error::VaultError;
pub use key::{entry_uri, parse_uri_list, VaultKey, KEY_TYPE};
pub use settings::{
    read_token_file, Allowlist, TokenSource, Trust, VaultSettings, ALLOWLIST_ENV, DEFAULT_TIMEOUT,
};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Value};
use sops_core::{KeyEntry, KeyError, KeySource, SecretBytes};
use zeroize::Zeroizing;

/// The Vault transit [`KeySource`]. Holds a token, so it has no `Debug`.
pub struct VaultKeySource {
    client: VaultClient,
}

impl VaultKeySource {
    /// A source configured from the process environment, as sops configures Vault's client.
    pub fn from_env() -> Self {
        Self::with_settings(VaultSettings::from_env())
    }

    /// A source with explicit settings.
    pub fn with_settings(settings: VaultSettings) -> Self {
        VaultKeySource {
            client: VaultClient::new(settings),
        }
    }

    /// Encrypts `secret` with `key`; the `enc` text (`vault:v1:…`).
    pub fn encrypt(&self, key: &VaultKey, secret: &[u8]) -> Result<String, KeyError> {
        let path = key.operation_path("encrypt");
        let fail = |why: String| {
            key_error(format!(
                "failed to encrypt sops data key to Vault transit backend '{path}' (key {}): \
                 {why}",
                key.uri()
            ))
        };
        let plaintext = Zeroizing::new(STANDARD.encode(secret));
        let mut body = json!({ "plaintext": plaintext.as_str() });
        let answer = self.client.write(&key.address, &path, &body);
        scrub(&mut body);
        let answer = answer.map_err(|e| fail(with_hint(&e)))?;
        match answer.pointer("/data/ciphertext") {
            Some(Value::String(c)) if !c.is_empty() => Ok(c.clone()),
            Some(_) => Err(fail("encrypted ciphertext cannot be cast to string".into())),
            None => Err(fail("no encrypted data in Vault's answer".into())),
        }
    }

    /// Decrypts the `enc` text of `key`'s entry.
    pub fn decrypt(&self, key: &VaultKey, enc: &str) -> Result<SecretBytes, KeyError> {
        let path = key.operation_path("decrypt");
        let fail = |why: String| {
            key_error(format!(
                "failed to decrypt sops data key from Vault transit backend '{path}' (key {}): \
                 {why}",
                key.uri()
            ))
        };
        let mut answer = self
            .client
            .write(&key.address, &path, &json!({ "ciphertext": enc }))
            .map_err(|e| fail(with_hint(&e)))?;
        let result = match answer.pointer("/data/plaintext") {
            Some(Value::String(text)) => STANDARD
                .decode(text.as_bytes())
                .map(SecretBytes::new)
                .map_err(|_| fail("cannot decode base64 plaintext into data key bytes".into())),
            Some(_) => Err(fail(
                "decrypted plaintext data cannot be cast to string".into(),
            )),
            None => Err(fail("no decrypted data in Vault's answer".into())),
        };
        scrub(&mut answer);
        result
    }
}

fn key_error(message: String) -> KeyError {
    KeyError::new(message)
}

fn with_hint(error: &VaultError) -> String {
    format!("{error}\n  hint: {}", error.hint())
}

impl KeySource for VaultKeySource {
    fn key_type(&self) -> &str {
        KEY_TYPE
    }

    /// Vault is a network call: several Vault keys of a group are asked at once.
    fn is_remote(&self) -> bool {
        true
    }

    /// Encrypts with Vault and rewrites the entry in sops's field order. A valid `created_at`
    /// already in the entry is kept (as sops keeps it on `rotate`); otherwise it is now.
    fn wrap(&self, entry: &mut KeyEntry, secret: &[u8]) -> Result<(), KeyError> {
        let key = VaultKey::from_entry(entry)?;
        let enc = self.encrypt(&key, secret)?;
        let created_at = entry.created_at_or_now();
        *entry = key.to_wrapped_entry(created_at, enc);
        Ok(())
    }

    fn unwrap(&self, entry: &KeyEntry) -> Option<Result<SecretBytes, KeyError>> {
        if entry.key_type != KEY_TYPE {
            return None;
        }
        let result = VaultKey::from_entry(entry).and_then(|key| match entry.field("enc") {
            Some(enc) if !enc.is_empty() => self.decrypt(&key, enc),
            _ => Err(KeyError::new(format!(
                "the hc_vault key entry for {} has no enc field",
                key.uri()
            ))),
        });
        Some(result)
    }
}
