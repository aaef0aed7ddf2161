//! The one error type of `.sops.yaml` handling, with sops 3.11's messages.
//!
//! Every message is written here, once: the CLI prints [`ConfigError`]'s `Display` as it is and
//! maps its [`ConfigErrorKind`] to an exit code (sops uses 1 for all of them).

use std::fmt;
use std::path::Path;

/// What kind of `.sops.yaml` problem a [`ConfigError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigErrorKind {
    /// A config file named explicitly (`--config`, `SOPS_CONFIG`) does not exist.
    NotFound,
    /// The config file could not be read.
    Unreadable,
    /// The config file is not YAML.
    Syntax,
    /// A field has the wrong type (`creation_rules: 5`), as go-yaml reports it.
    Type,
    /// The matching rule is unusable: a `path_regex` that does not compile, two
    /// partial-encryption options, or a key list that is neither a string nor a list of them.
    InvalidRule,
    /// The config has creation rules, but none matches the file.
    NoMatchingRule,
}

/// A `.sops.yaml` that cannot be found, read or used for a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    kind: ConfigErrorKind,
    message: String,
}

impl ConfigError {
    fn loading(kind: ConfigErrorKind, message: impl fmt::Display) -> Self {
        ConfigError {
            kind,
            message: format!("error loading config: {message}"),
        }
    }

    /// What went wrong, for deciding what to do about it.
    pub fn kind(&self) -> ConfigErrorKind {
        self.kind
    }

    /// The full message, as sops prints it.
    pub fn message(&self) -> &str {
        &self.message
    }

    pub(super) fn not_found(path: &Path) -> Self {
        let message = format!("config file {} does not exist", path.display());
        Self::loading(ConfigErrorKind::NotFound, message)
    }

    pub(super) fn unreadable(path: &Path, error: &std::io::Error) -> Self {
        let message = format!("could not read {}: {error}", path.display());
        Self::loading(ConfigErrorKind::Unreadable, message)
    }

    pub(super) fn syntax(path: &Path, detail: &str) -> Self {
        let message = format!(
            "could not unmarshal config file {}: {detail}",
            path.display()
        );
        Self::loading(ConfigErrorKind::Syntax, message)
    }

    /// go-yaml's list of type errors, one `line N: cannot unmarshal …` per line.
    pub(super) fn types(errors: &[String]) -> Self {
        let message = format!(
            "Could not unmarshal config file: yaml: unmarshal errors:\n  {}",
            errors.join("\n  ")
        );
        Self::loading(ConfigErrorKind::Type, message)
    }

    pub(super) fn bad_regex(regex: &str, error: &regex::Error) -> Self {
        let message = format!("invalid path_regex {regex:?}: {error}");
        Self::loading(ConfigErrorKind::InvalidRule, message)
    }

    pub(super) fn two_partial_options() -> Self {
        Self::loading(
            ConfigErrorKind::InvalidRule,
            "cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, \
             unencrypted_regex, encrypted_comment_regex, or unencrypted_comment_regex for the \
             same rule",
        )
    }

    /// sops's key-list message; `outer` and `field` differ for `gcp_kms` and the Vault URIs.
    pub(super) fn key_list(outer: &str, field: &str, problem: &str) -> Self {
        ConfigError {
            kind: ConfigErrorKind::InvalidRule,
            message: format!(
                "invalid {outer} key configuration: invalid {field} key configuration: {problem}"
            ),
        }
    }

    pub(super) fn no_matching_rule() -> Self {
        Self::loading(
            ConfigErrorKind::NoMatchingRule,
            "no matching creation rules found",
        )
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}
