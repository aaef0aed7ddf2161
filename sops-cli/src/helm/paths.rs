//! helm-secrets' path-safety switches for values files and `*-import` key files, as the
//! `sops_refs` crate implements them ([`sops_refs::PathPolicy`], shared with `ref+file://` and
//! `ref+sops://` references): here only the messages and exit codes of the Helm commands.
//!
//! Values files are read through [`PathPolicy::read`], which opens first and checks the opened
//! file, so a values file flipped between a file and a symlink cannot leak an outside file.

use crate::error::{codes, CliError};
use sops_refs::{PathError, PathErrorKind, PathPolicy, Target};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Reads the values file `path` through `policy`; `Ok(None)` when it does not exist.
pub(crate) fn read_values(
    policy: &PathPolicy,
    path: &Path,
) -> Result<Option<Zeroizing<Vec<u8>>>, CliError> {
    match policy.read(Path::new(""), path, Target::ValuesFile) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind == PathErrorKind::NotFound => Ok(None),
        Err(e) => Err(values_error(path, &e)),
    }
}

/// The message of a refused or failed values file, in helm-secrets' words.
fn values_error(path: &Path, error: &PathError) -> CliError {
    let shown = path.display();
    let message = match &error.kind {
        PathErrorKind::Io(e) => {
            return CliError::new(
                codes::COULD_NOT_READ_INPUT,
                format!("Error reading file {shown}: {e}"),
            )
        }
        PathErrorKind::Absolute | PathErrorKind::Traversal { .. } => {
            format!("Values filepath '{shown}' {}", error.reason())
        }
        _ => format!("Values file '{shown}' {}", error.reason()),
    };
    CliError::new(codes::GENERIC, message)
}

/// Checks the key file of a `secrets+*-import://` URL against
/// `HELM_SECRETS_KEY_LOCATION_PREFIX` and returns it as a path.
pub(crate) fn check_key_location(key: &str, prefix: &str) -> Result<PathBuf, CliError> {
    sops_refs::check_key_location(key, prefix).map_err(|e| {
        CliError::new(
            codes::GENERIC,
            format!("Key location '{key}' {}", e.reason()),
        )
    })
}
