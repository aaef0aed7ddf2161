//! The Azure Key Vault master-key backend (`azure_kv`): wraps the data key (or a Shamir share)
//! with the vault key's `encrypt` operation and `RSA-OAEP-256`, and unwraps it with `decrypt`,
//! as sops does.
//!
//! An `azure_kv` metadata entry holds, in this order: `vault_url` (`https://<vault>.vault.azure.net`),
//! `name` (the key), `version`, `created_at` and `enc` (URL-safe base64 without padding of the
//! RSA-OAEP-256 ciphertext). A recipient given as a key URL (`--azure-kv`,
//! `SOPS_AZURE_KEYVAULT_URLS`, a rule's `azure_keyvault` list) is
//! `{vault_url}/keys/{name}[/{version}]`; without a version the key's current version is asked
//! of the vault and written down, as sops 3.12 does.
//!
//! Credentials come from the chain of `DefaultAzureCredential` ([`credential`]); the vault is
//! called through its challenge flow: a first request without a token is answered
//! with `401` and `WWW-Authenticate`, which names the tenant's authority and the resource to
//! ask a token for.
//!
//! Errors name the key URL and never a credential.

pub mod credential;
mod key;
mod vault;

pub use key::{AzureKey, KEY_TYPE};

use sops_core::{KeyEntry, KeyError, KeySource, SecretBytes};

/// The Azure Key Vault [`KeySource`]. It holds tokens, so it has no `Debug`.
pub struct AzureKeySource {
    vault: vault::VaultClient,
}

impl Default for AzureKeySource {
    fn default() -> Self {
        Self::new()
    }
}

impl AzureKeySource {
    /// A source whose credentials come from the process environment (see [`credential`]).
    pub fn new() -> Self {
        AzureKeySource {
            vault: vault::VaultClient::new(credential::CredentialChain::from_env()),
        }
    }

    /// Encrypts `secret` with `key` and returns the `enc` text.
    pub fn encrypt(&self, key: &AzureKey, secret: &[u8]) -> Result<String, KeyError> {
        let result = self.vault.key_operation(key, "encrypt", secret)?;
        Ok(key::base64url(&result))
    }

    /// Decrypts the `enc` text of `key`'s entry.
    pub fn decrypt(&self, key: &AzureKey, enc: &str) -> Result<SecretBytes, KeyError> {
        let blob = key::decode_base64url(enc).ok_or_else(|| {
            KeyError::new(format!(
                "failed to base64 decode the encrypted data key of Azure Key Vault key '{}'",
                key.url()
            ))
        })?;
        let plain = self.vault.key_operation(key, "decrypt", &blob)?;
        Ok(SecretBytes::new(plain.to_vec()))
    }

    /// `key` with its version filled in: as given, or the key's current version.
    pub fn resolve_version(&self, key: AzureKey) -> Result<AzureKey, KeyError> {
        if !key.version.is_empty() {
            return Ok(key);
        }
        let version = self.vault.current_version(&key)?;
        Ok(AzureKey { version, ..key })
    }
}

impl KeySource for AzureKeySource {
    fn key_type(&self) -> &str {
        KEY_TYPE
    }

    fn is_remote(&self) -> bool {
        true
    }

    /// Encrypts with the vault and rewrites the entry in sops's field order. A valid
    /// `created_at` already in the entry is kept (as sops keeps it on `rotate`).
    fn wrap(&self, entry: &mut KeyEntry, secret: &[u8]) -> Result<(), KeyError> {
        let key = self.resolve_version(AzureKey::from_entry(entry)?)?;
        let enc = self.encrypt(&key, secret)?;
        let created_at = entry.created_at_or_now();
        *entry = key.to_wrapped_entry(created_at, enc);
        Ok(())
    }

    fn unwrap(&self, entry: &KeyEntry) -> Option<Result<SecretBytes, KeyError>> {
        if entry.key_type != KEY_TYPE {
            return None;
        }
        Some(AzureKey::from_entry(entry).and_then(|key| {
            let enc = entry.field("enc").unwrap_or_default();
            self.decrypt(&key, enc)
        }))
    }
}
