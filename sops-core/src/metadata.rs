//! The `sops` metadata block: key groups, MAC, timestamps, partial-encryption settings.
//!
//! Read from and written to a [`Mapping`] so every store shares one implementation; dotenv and
//! INI flatten that mapping. Field order follows sops 3.11 (SOPS-FORMAT.md §6.1); entries of key
//! types sops-rs cannot use are kept as [`KeyEntry`] values and written back unchanged.

use crate::error::Error;
use crate::keysource::KeyEntry;
use crate::tree::Mapping;

/// Which values of a file are encrypted: at most one of sops's six options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartialRule {
    /// `unencrypted_suffix`: keys ending with it (and all below) stay plaintext.
    UnencryptedSuffix(String),
    /// `encrypted_suffix`: only keys ending with it (and all below) are encrypted.
    EncryptedSuffix(String),
    /// `unencrypted_regex`: keys matching it (and all below) stay plaintext.
    UnencryptedRegex(String),
    /// `encrypted_regex`: only keys matching it (and all below) are encrypted.
    EncryptedRegex(String),
    /// `unencrypted_comment_regex`: values after a matching comment stay plaintext.
    UnencryptedCommentRegex(String),
    /// `encrypted_comment_regex`: only values after a matching comment are encrypted.
    EncryptedCommentRegex(String),
}

/// How empty key lists inside `key_groups` are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmptyListStyle {
    /// As an empty sequence (`hc_vault: []` in YAML).
    EmptySequence,
    /// As null (`"hc_vault": null` in JSON).
    Null,
}

/// The parsed `sops` metadata.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Metadata {
    /// The key groups; one group unless Shamir secret sharing is used.
    pub key_groups: Vec<Vec<KeyEntry>>,
    /// `shamir_threshold`, 0 when absent.
    pub shamir_threshold: u64,
    /// `lastmodified` as stored.
    pub last_modified: String,
    /// `mac` as stored: an `ENC[…]` string, or empty for "no MAC".
    pub mac: String,
    /// The partial-encryption option, if any.
    pub partial: Option<PartialRule>,
    /// `mac_only_encrypted`.
    pub mac_only_encrypted: bool,
    /// `version`, if present.
    pub version: Option<String>,
}

impl Metadata {
    /// Parses the `sops` mapping of a file.
    pub fn from_mapping(_node: &Mapping) -> Result<Metadata, Error> {
        todo!()
    }

    /// Builds the `sops` mapping in sops 3.11's field order.
    pub fn to_mapping(&self, _empty_lists: EmptyListStyle) -> Mapping {
        todo!()
    }

    /// The MAC's additional data: `lastmodified` re-formatted as Go's `time.RFC3339`.
    pub fn mac_aad(&self) -> Result<String, Error> {
        todo!()
    }
}
