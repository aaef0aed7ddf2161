//! `.sops.yaml`: finding it, reading it with sops 3.11's checks and messages, picking the
//! creation rule for a file and the [`EncryptOptions`](crate::EncryptOptions) that rule gives.
//!
//! * [`find_config`] looks for `.sops.yaml` in a directory and its parents (sops starts at the
//!   working directory), or takes an explicit path (`--config`, `SOPS_CONFIG`).
//! * [`Config::load`] reads it. A file that is not YAML, or whose fields have the wrong type
//!   (`creation_rules: 5`), is a [`ConfigError`] with sops's message; its [`ConfigErrorKind`]
//!   tells a caller what went wrong (sops exits with 1 for all of them). [`Config::stores`]
//!   gives the `stores:` indentation settings.
//! * [`Config::rule_for`] picks the first rule whose `path_regex` matches the file's path
//!   relative to the config's directory, and checks it (a regex that does not compile, two
//!   partial-encryption options, a key list of the wrong type).
//! * [`CreationRule::encrypt_options`] gives the key groups (as metadata [`KeyEntry`](crate::KeyEntry)
//!   templates: `age`, `pgp`, `kms` with role, context and profile, `gcp_kms`,
//!   `azure_keyvault`, `hc_vault_transit_uri`, `hckms`, `key_groups` with `merge`), the Shamir
//!   threshold, the partial-encryption rule and `mac_only_encrypted`.
//!
//! Nothing here names a key backend: a backend checks a recipient when it wraps the data key.
//! Command-line flags that override a rule are the caller's business; [`kms_entries`] and
//! [`key_entry`] build entries from flag values the same way the rules do.
//!
//! # Example
//!
//! Encrypt a file by its repository's creation rules. Real programs pass the age backend of
//! the `sops-keys` crate; this example uses a toy key source that stores the data key in the
//! clear.
//!
//! ```
//! use sops_core::config::{find_config, Config};
//! use sops_core::{encrypt, Format, KeyEntry, KeyError, KeySource, Keyring, SecretBytes};
//!
//! /// Insecure: "wraps" the data key by hex-encoding it. For this example only.
//! struct CleartextKey;
//!
//! impl KeySource for CleartextKey {
//!     fn key_type(&self) -> &str { "age" }
//!     fn wrap(&self, entry: &mut KeyEntry, secret: &[u8]) -> Result<(), KeyError> {
//!         let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
//!         entry.set_field("enc", hex);
//!         Ok(())
//!     }
//!     fn unwrap(&self, _entry: &KeyEntry) -> Option<Result<SecretBytes, KeyError>> {
//!         None
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A repository whose secrets keep their non-secret keys readable.
//! let checkout = tempfile::tempdir()?;
//! let repo = std::fs::canonicalize(checkout.path())?;
//! std::fs::create_dir(repo.join("secrets"))?;
//! std::fs::write(
//!     repo.join(".sops.yaml"),
//!     "creation_rules:\n  \
//!        - path_regex: ^secrets/.*\\.yaml$\n    \
//!          encrypted_regex: ^(password|token)$\n    \
//!          age: example-recipient\n",
//! )?;
//!
//! // Found from the file's directory upward, loaded, and the rule for the file picked.
//! let search = find_config(&repo.join("secrets"), None)?;
//! let config = Config::load(search.found.as_deref().ok_or("no .sops.yaml")?)?;
//! let rule = config.rule_for(&repo.join("secrets/app.yaml"))?;
//! assert_eq!(rule.path_regex(), Some("^secrets/.*\\.yaml$"));
//! let options = rule.encrypt_options();
//! assert_eq!(options.key_groups[0][0].field("recipient"), Some("example-recipient"));
//!
//! let plaintext = b"user: admin\npassword: hunter2\n";
//! let keys = Keyring::new().with(CleartextKey);
//! let encrypted = encrypt(plaintext, Format::Yaml, &keys, &options)?;
//! let text = String::from_utf8(encrypted)?;
//! assert!(text.starts_with("user: admin\npassword: ENC[AES256_GCM,data:"));
//! assert!(text.contains("encrypted_regex: ^(password|token)$"));
//! # Ok(()) }
//! ```

mod error;
mod file;
mod find;
mod keys;
mod positions;
mod rules;
mod schema;
#[cfg(test)]
mod tests;

pub use error::{ConfigError, ConfigErrorKind};
pub use file::Config;
pub use find::{
    find_config, ConfigSearch, CONFIG_FILE_NAME, IGNORED_CONFIG_FILE_NAME, MAX_SEARCH_DEPTH,
};
pub use keys::{key_entry, kms_entries};
pub use rules::CreationRule;
