//! One Vault transit master key ([`VaultKey`]) and its text forms: the key URI users write
//! (`https://vault.example.org:8200/v1/transit/keys/app`), the `hc_vault` metadata entry
//! (`vault_address`, `engine_path`, `key_name`, `created_at`, `enc`) and the request paths.
//!
//! The URI is read as sops 3.11 reads it (`hcvault.NewMasterKeyFromURI`): it needs a scheme;
//! its path must look like `/v<N>/<engine…>/<anything>/<key>`; a path with a segment before
//! `/v<N>/` (Vault behind a prefixed reverse proxy) is refused. The engine path is every
//! segment between `v<N>` and the last two, so nested mounts (`/v1/team/transit/keys/k`) work.

use sops_core::{KeyEntry, KeyError};
use std::sync::OnceLock;

/// The metadata list this backend handles.
pub const KEY_TYPE: &str = "hc_vault";

/// What sops prints as an example of a well-formed key URI.
const EXAMPLE: &str = "https://vault.example.com:8200/v1/transit/keys/keyName";

/// One transit key: where Vault is, which transit mount, which key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultKey {
    /// The server's address without a path, e.g. `https://vault.example.org:8200`.
    pub address: String,
    /// The transit engine's mount path, e.g. `transit`.
    pub engine_path: String,
    /// The key's name in that engine.
    pub key_name: String,
}

impl VaultKey {
    /// Reads a key URI such as `https://vault:8200/v1/transit/keys/app`.
    pub fn from_uri(uri: &str) -> Result<Self, KeyError> {
        let Some((scheme, rest)) = uri.split_once("://").filter(|(s, _)| valid_scheme(s)) else {
            return Err(KeyError::new(format!(
                "missing scheme in Vault URL (should be like this: {EXAMPLE}), got: {uri}"
            )));
        };
        let (authority, path) = match rest.find(['/', '?', '#']) {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        // Like Go's RequestURI: the path and query, without the fragment.
        let request_uri = path.split('#').next().unwrap_or_default();
        let (engine_path, key_name) = engine_and_key(request_uri)?;
        Ok(VaultKey {
            address: format!("{scheme}://{authority}"),
            engine_path,
            key_name,
        })
    }

    /// Reads an `hc_vault` entry: `vault_address`, `engine_path` and `key_name` as sops writes
    /// them, or an entry that only names a key URI in `vault_address` (what `--hc-vault-transit`
    /// and `.sops.yaml` give before the data key is wrapped).
    pub fn from_entry(entry: &KeyEntry) -> Result<Self, KeyError> {
        let address = entry.field("vault_address").unwrap_or_default();
        match (entry.field("engine_path"), entry.field("key_name")) {
            (Some(engine), Some(key)) if !address.is_empty() => Ok(VaultKey {
                address: address.to_owned(),
                engine_path: engine.to_owned(),
                key_name: key.to_owned(),
            }),
            _ if address.contains("/v") => VaultKey::from_uri(address),
            _ => Err(KeyError::new(format!(
                "the hc_vault key entry {address:?} has no engine_path and key_name\n  hint: \
                 an hc_vault entry names vault_address, engine_path and key_name"
            ))),
        }
    }

    /// The key URI, as sops prints it and compares it for `rotate --rm-hc-vault-transit`:
    /// `<address>/v1/<engine>/keys/<key>`.
    pub fn uri(&self) -> String {
        format!(
            "{}/v1/{}/keys/{}",
            self.address, self.engine_path, self.key_name
        )
    }

    /// A metadata entry template for this key, ready for
    /// [`KeySource::wrap`](sops_core::KeySource::wrap).
    pub fn to_entry(&self) -> KeyEntry {
        let mut entry = KeyEntry::new(KEY_TYPE);
        entry.set_field("vault_address", self.address.clone());
        entry.set_field("engine_path", self.engine_path.clone());
        entry.set_field("key_name", self.key_name.clone());
        entry
    }

    /// The complete entry in sops 3.11's field order.
    pub(super) fn to_wrapped_entry(&self, created_at: String, enc: String) -> KeyEntry {
        let mut entry = self.to_entry();
        entry.set_field("created_at", created_at);
        entry.set_field("enc", enc);
        entry
    }

    /// The API path (below `/v1/`) of a transit operation (`encrypt`, `decrypt`), as sops
    /// names it in messages: `transit/encrypt/app`.
    pub fn operation_path(&self, operation: &str) -> String {
        let engine = self.engine_path.trim_matches('/');
        format!("{engine}/{operation}/{}", self.key_name)
    }
}

/// The key URI of an `hc_vault` entry in either form, if it has one; what sops compares for
/// `rotate --rm-hc-vault-transit` and `updatekeys`.
pub fn entry_uri(entry: &KeyEntry) -> Option<String> {
    (entry.key_type == KEY_TYPE)
        .then(|| VaultKey::from_entry(entry).ok().map(|k| k.uri()))
        .flatten()
}

/// Reads a comma-separated list of key URIs (`--hc-vault-transit`, `SOPS_VAULT_URIS`) into
/// entries ready to wrap; empty items are skipped.
pub fn parse_uri_list(list: &str) -> Result<Vec<KeyEntry>, KeyError> {
    list.split(',')
        .map(str::trim)
        .filter(|uri| !uri.is_empty())
        .map(|uri| VaultKey::from_uri(uri).map(|k| k.to_entry()))
        .collect()
}

fn valid_scheme(scheme: &str) -> bool {
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

fn engine_and_key(full_path: &str) -> Result<(String, String), KeyError> {
    static PREFIXED: OnceLock<regex::Regex> = OnceLock::new();
    static WELL_FORMED: OnceLock<regex::Regex> = OnceLock::new();
    let prefixed =
        PREFIXED.get_or_init(|| regex::Regex::new(r"/[^/]+/v\d+/[^/]+/[^/]+/[^/]+").unwrap());
    let well_formed =
        WELL_FORMED.get_or_init(|| regex::Regex::new(r"/v\d+/[^/]+/[^/]+/[^/]+").unwrap());
    if prefixed.is_match(full_path) {
        return Err(KeyError::new(format!(
            "running Vault with a prefixed URL is not supported! (Format has to be like {EXAMPLE})"
        )));
    }
    if !well_formed.is_match(full_path) {
        return Err(KeyError::new(format!(
            "vault path does not seem to be formatted correctly: (eg. {EXAMPLE})"
        )));
    }
    let dirs: Vec<&str> = full_path.trim_matches('/').split('/').collect();
    let key_name = dirs[dirs.len() - 1].to_owned();
    let engine: Vec<&str> = dirs[1..dirs.len() - 2]
        .iter()
        .copied()
        .filter(|d| !d.is_empty())
        .collect();
    Ok((engine.join("/"), key_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_split_as_sops_splits_them() {
        let k = VaultKey::from_uri("https://vault:8200/v1/transit/keys/app").unwrap();
        assert_eq!(
            (
                k.address.as_str(),
                k.engine_path.as_str(),
                k.key_name.as_str()
            ),
            ("https://vault:8200", "transit", "app")
        );
        assert_eq!(k.uri(), "https://vault:8200/v1/transit/keys/app");
        assert_eq!(k.operation_path("encrypt"), "transit/encrypt/app");
        let nested = VaultKey::from_uri("http://127.0.0.1:1/v1/team/transit/keys/k").unwrap();
        assert_eq!(nested.engine_path, "team/transit");
        for (bad, why) in [
            ("vault:8200/v1/transit/keys/app", "missing scheme"),
            ("https://vault/proxy/v1/transit/keys/app", "prefixed URL"),
            ("https://vault/v1/transit/app", "formatted correctly"),
        ] {
            let e = VaultKey::from_uri(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn entries_in_both_forms_name_the_same_uri() {
        let uri = "http://127.0.0.1:8200/v1/transit/keys/k";
        let pending = parse_uri_list(&format!(" {uri}, ,")).unwrap();
        assert_eq!(pending.len(), 1);
        let mut short = KeyEntry::new(KEY_TYPE);
        short.set_field("vault_address", uri);
        assert_eq!(entry_uri(&pending[0]).as_deref(), Some(uri));
        assert_eq!(entry_uri(&short).as_deref(), Some(uri));
        let names: Vec<&str> = pending[0].fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["vault_address", "engine_path", "key_name"]);
    }
}
