//! One Azure Key Vault key ([`AzureKey`]) and its text forms: the `azure_kv` metadata entry
//! and the key URL `{vault_url}/keys/{name}[/{version}]`.

use base64::Engine as _;
use sops_core::{KeyEntry, KeyError};

/// The metadata list this backend handles.
pub const KEY_TYPE: &str = "azure_kv";

/// One Key Vault key: the vault, the key's name and its version (empty: the current one).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AzureKey {
    /// `https://<vault>.vault.azure.net` (no trailing slash).
    pub vault_url: String,
    /// The key's name.
    pub name: String,
    /// The key's version; empty until resolved.
    pub version: String,
}

impl AzureKey {
    /// Parses a key URL as sops does: `^(https://[^/]+)/keys/([^/]+)(/[^/]*)?$` after trimming
    /// spaces.
    pub fn from_url(url: &str) -> Result<AzureKey, KeyError> {
        let url = url.trim();
        let invalid = || {
            KeyError::new(format!(
                "could not parse {url:?} into a valid Azure Key Vault key URL \
                 (https://<vault>.vault.azure.net/keys/<name>[/<version>])"
            ))
        };
        let rest = url.strip_prefix("https://").ok_or_else(invalid)?;
        let (host, path) = rest.split_once('/').ok_or_else(invalid)?;
        let path = path.strip_prefix("keys/").ok_or_else(invalid)?;
        let (name, version) = match path.split_once('/') {
            Some((name, version)) if !version.contains('/') => (name, version),
            Some(_) => return Err(invalid()),
            None => (path, ""),
        };
        if host.is_empty() || name.is_empty() {
            return Err(invalid());
        }
        Ok(AzureKey {
            vault_url: format!("https://{host}"),
            name: name.to_owned(),
            version: version.to_owned(),
        })
    }

    /// Reads an `azure_kv` entry: `vault_url`, `name` and `version`, or a `vault_url` alone
    /// holding a whole key URL (a recipient not yet wrapped for).
    pub fn from_entry(entry: &KeyEntry) -> Result<AzureKey, KeyError> {
        let vault_url = entry.field("vault_url").unwrap_or_default();
        let name = entry.field("name").unwrap_or_default();
        if name.is_empty() {
            return AzureKey::from_url(vault_url);
        }
        if vault_url.is_empty() {
            return Err(KeyError::new(format!(
                "the azure_kv key entry for key {name:?} has no vault_url"
            )));
        }
        Ok(AzureKey {
            vault_url: vault_url.trim_end_matches('/').to_owned(),
            name: name.to_owned(),
            version: entry.field("version").unwrap_or_default().to_owned(),
        })
    }

    /// The key URL as sops prints it: `{vault_url}/keys/{name}/{version}`.
    pub fn url(&self) -> String {
        format!("{}/keys/{}/{}", self.vault_url, self.name, self.version)
    }

    /// The complete entry in sops's field order.
    pub(super) fn to_wrapped_entry(&self, created_at: String, enc: String) -> KeyEntry {
        let mut entry = KeyEntry::new(KEY_TYPE);
        entry.set_field("vault_url", self.vault_url.clone());
        entry.set_field("name", self.name.clone());
        entry.set_field("version", self.version.clone());
        entry.set_field("created_at", created_at);
        entry.set_field("enc", enc);
        entry
    }
}

/// URL-safe base64 without padding, as sops writes `enc` and Key Vault sends values.
pub(crate) fn base64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes URL-safe base64, padded or not (Go's RawURLEncoding refuses padding; Key Vault's
/// JSON may carry it).
pub(crate) fn decode_base64url(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim().trim_end_matches('='))
        .ok()
}
