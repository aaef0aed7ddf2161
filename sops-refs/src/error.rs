//! [`RefError`]: why a values file or a reference could not be resolved. Messages name the
//! reference and the file, never a resolved value.

use std::fmt;
use std::path::PathBuf;

/// A failed resolution. The message names the reference as written and the values file; no
/// secret value (resolved, decrypted or fetched) is ever part of it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefError {
    /// A values file could not be parsed or written back, or one of its references could not
    /// be resolved.
    ValuesFile {
        /// The values file, as the caller named it.
        path: PathBuf,
        /// What went wrong, naming the reference.
        why: String,
    },
    /// The text given to [`crate::Resolver::resolve_ref`] is not a `ref+` reference.
    NotAReference {
        /// The text.
        text: String,
    },
    /// A single reference could not be resolved.
    Unresolved {
        /// What went wrong, naming the reference.
        why: String,
    },
}

impl RefError {
    /// What to check first.
    pub fn hint(&self) -> &'static str {
        match self {
            RefError::NotAReference { .. } => {
                "a reference is ref+<scheme>://<path>[?<query>][#<fragment>]"
            }
            RefError::ValuesFile { .. } | RefError::Unresolved { .. } => {
                "check the named reference: its scheme must be allowed (SOPS_RS_REF_SCHEMES) \
                 and its file, key, secret or parameter must exist"
            }
        }
    }
}

impl fmt::Display for RefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefError::ValuesFile { path, why } => {
                write!(f, "values file {}: {why}", path.display())
            }
            RefError::NotAReference { text } => write!(f, "{text:?} is not a ref+ reference"),
            RefError::Unresolved { why } => f.write_str(why),
        }
    }
}

impl std::error::Error for RefError {}

/// Why one reference could not be resolved: the whole message, and the kind of failure alone
/// (no path, no value), which is all that is shown for a reference whose text holds values
/// resolved from nested references.
pub(crate) struct Failure {
    pub(crate) why: String,
    pub(crate) kind: &'static str,
}

impl Failure {
    /// A failure of `kind`, told by `why`.
    pub(crate) fn new(kind: &'static str, why: impl Into<String>) -> Self {
        Failure {
            why: why.into(),
            kind,
        }
    }
}

/// A provider's failure.
impl From<String> for Failure {
    fn from(why: String) -> Self {
        Failure::new("it could not be fetched", why)
    }
}

impl From<&str> for Failure {
    fn from(why: &str) -> Self {
        Failure::from(why.to_owned())
    }
}

/// A file the path policy refused or that could not be read.
impl From<crate::confine::PathError> for Failure {
    fn from(error: crate::confine::PathError) -> Self {
        Failure::new(error.kind_text(), error.to_string())
    }
}
