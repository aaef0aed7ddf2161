//! The error type of `sops-core`: what failed, where, and what the user can do about it.
//!
//! Every error carries an [`ErrorKind`] that maps to the exit code sops 3.11 uses for the same
//! failure (`cmd/sops/codes`), a message naming the file part or key path involved, and an
//! optional hint.

use std::fmt;

/// The class of failure, one per sops exit code that `sops-core` can produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Anything else (exit 1), including "sops metadata not found".
    Generic,
    /// The input could not be read or parsed (exit 2).
    InvalidInput,
    /// The tree could not be written in the output format (exit 4).
    EmitFailed,
    /// Encrypting the MAC failed (exit 21).
    EncryptMac,
    /// A value could not be encrypted, e.g. an unsupported type (exit 23).
    EncryptTree,
    /// The stored MAC could not be decrypted (exit 24).
    DecryptMac,
    /// A value could not be decrypted or authenticated (exit 25).
    DecryptTree,
    /// The computed MAC differs from the stored one (exit 51).
    MacMismatch,
    /// A `--extract`/`set` path is malformed or missing (exit 91).
    InvalidTreePath,
    /// The file has no document (exit 92).
    NoDocuments,
    /// No master key was given for encryption, or one could not wrap the data key (exit 1, as
    /// sops's "Could not generate data key"; sops defines 111 but never exits with it).
    NoEncryptionKey,
    /// No master key could unwrap the data key (exit 128).
    DataKeyUnavailable,
    /// The input already carries sops metadata (exit 203).
    AlreadyEncrypted,
}

impl ErrorKind {
    /// The process exit code sops 3.11 uses for this failure.
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::Generic => 1,
            ErrorKind::InvalidInput => 2,
            ErrorKind::EmitFailed => 4,
            ErrorKind::EncryptMac => 21,
            ErrorKind::EncryptTree => 23,
            ErrorKind::DecryptMac => 24,
            ErrorKind::DecryptTree => 25,
            ErrorKind::MacMismatch => 51,
            ErrorKind::InvalidTreePath => 91,
            ErrorKind::NoDocuments => 92,
            ErrorKind::NoEncryptionKey => 1,
            ErrorKind::DataKeyUnavailable => 128,
            ErrorKind::AlreadyEncrypted => 203,
        }
    }
}

/// An error from `sops-core`.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    hint: Option<String>,
}

impl Error {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            hint: None,
        }
    }

    /// Adds a hint telling the user what to do.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Prefixes the message with the key path where the error happened.
    pub fn at_path(mut self, path: &[&str]) -> Self {
        if !path.is_empty() {
            self.message = format!("at key path {}: {}", display_path(path), self.message);
        }
        self
    }

    /// The class of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message without the hint.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What the user can do, if known.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// The exit code sops uses for this error.
    pub fn exit_code(&self) -> i32 {
        self.kind.exit_code()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Formats a key path as sops's `--extract` syntax: `["a"]["b"]`.
pub(crate) fn display_path(path: &[&str]) -> String {
    path.iter().map(|k| format!("[{k:?}]")).collect()
}
