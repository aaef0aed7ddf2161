//! The one trait every master-key backend implements, and the metadata entry it works on.
//!
//! A [`KeyEntry`] is one element of a key list in the `sops` metadata (`age`, `pgp`, `kms`, …),
//! kept as its ordered fields. Before encryption an entry holds only what names the recipient
//! (`recipient` for age, `fp` for PGP, `arn` for KMS); [`KeySource::wrap`] adds `enc` and the
//! other fields sops writes. Entries of types no backend handles are carried through untouched.
//!
//! The submodules do the work around the trait: [`groups`] wraps and recovers the data key
//! across a file's key groups, [`shamir`] is the secret sharing those groups use, and [`cache`]
//! remembers what a backend unwrapped.

use crate::secret::SecretBytes;
use crate::tree::Node;
use std::fmt;

pub(crate) mod cache;
pub(crate) mod groups;
pub(crate) mod keyring;
pub(crate) mod shamir;

/// One master key as stored in the metadata: its type (`age`, `pgp`, `kms`, `gcp_kms`,
/// `azure_kv`, `hc_vault`, `hckms`) and its fields in file order.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyEntry {
    /// The metadata list this entry belongs to, e.g. `age`.
    pub key_type: String,
    /// The entry's fields in order, e.g. `recipient` then `enc`.
    pub fields: Vec<(String, Node)>,
}

impl KeyEntry {
    /// A new entry of `key_type` with no fields.
    pub fn new(key_type: impl Into<String>) -> Self {
        KeyEntry {
            key_type: key_type.into(),
            fields: Vec::new(),
        }
    }

    /// The string value of field `name`, if present and a string.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.as_str())
    }

    /// Sets field `name` to the string `value`, replacing it in place or appending it.
    pub fn set_field(&mut self, name: &str, value: impl Into<String>) {
        let node = Node::string(value.into());
        match self.fields.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = node,
            None => self.fields.push((name.to_owned(), node)),
        }
    }

    /// What identifies the master key: the recipient, fingerprint, ARN, resource ID, key ID,
    /// vault URL or address, whichever field the entry's type has (the string sops compares
    /// for `rotate --rm-*`).
    pub fn identity(&self) -> Option<&str> {
        [
            "recipient",
            "fp",
            "arn",
            "resource_id",
            "key_id",
            "vault_url",
            "vault_address",
        ]
        .iter()
        .find_map(|name| self.field(name))
    }

    /// A short human name for messages: the key type and its [`identity`](Self::identity).
    pub fn describe(&self) -> String {
        match self.identity() {
            Some(identity) => format!("{} {identity}", self.key_type),
            None => self.key_type.clone(),
        }
    }

    /// The `created_at` a backend writes when it wraps this entry: the entry's own when it is a
    /// valid RFC 3339 time (sops keeps it on `rotate`), otherwise now, in UTC.
    pub fn created_at_or_now(&self) -> String {
        self.field("created_at")
            .filter(|t| crate::go::parse_rfc3339(t).is_some())
            .map(str::to_owned)
            .unwrap_or_else(|| crate::go::CivilTime::now_utc().rfc3339())
    }
}

/// A failure to wrap or unwrap a data key with one master key.
#[derive(Debug)]
pub struct KeyError {
    /// What went wrong, for the user.
    pub message: String,
}

impl KeyError {
    /// A key error with `message`.
    pub fn new(message: impl Into<String>) -> Self {
        KeyError {
            message: message.into(),
        }
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for KeyError {}

/// A master-key backend: wraps the data key (or a Shamir share) for recipients of its type and
/// unwraps entries of its type.
pub trait KeySource: Send + Sync {
    /// The metadata list this backend handles (`age`, `pgp`, `kms`, …), as used by
    /// `--decryption-order`.
    fn key_type(&self) -> &str;

    /// Encrypts `secret` to the recipient described by `entry`, filling in `enc` and any other
    /// fields sops writes for this type.
    fn wrap(&self, entry: &mut KeyEntry, secret: &[u8]) -> Result<(), KeyError>;

    /// Decrypts the secret in `entry`. `None` means "not mine": this source holds no identity
    /// that could open the entry. `Some(Err)` is a real failure worth reporting.
    fn unwrap(&self, entry: &KeyEntry) -> Option<Result<SecretBytes, KeyError>>;

    /// True when unwrapping asks a remote service (a cloud KMS), so that several entries are
    /// worth trying at the same time; local backends (age, PGP) keep the default `false`.
    fn is_remote(&self) -> bool {
        false
    }
}
