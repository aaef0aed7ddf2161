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
