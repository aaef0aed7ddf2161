//! helm-secrets' path-safety switches, with real canonicalisation.
//!
//! * `HELM_SECRETS_VALUES_ALLOW_ABSOLUTE_PATH=false`: a values path that starts with `/` or
//!   `\` or contains `:` is refused (helm-secrets' string test, unchanged).
//! * `HELM_SECRETS_VALUES_ALLOW_PATH_TRAVERSAL=false`: the file must stay inside the tree, both
//!   lexically (`a/../b` is fine, `../../etc/x` is not) and after symlinks are resolved.
//!   helm-secrets refused every `..` (a string test), which broke layouts such as Argo CD's
//!   `../values/x.yaml` (helm-secrets#496, #471); here `..` is fine as long as the result stays
//!   inside the tree. The tree is `HELM_SECRETS_VALUES_ROOT` if set, else the nearest ancestor
//!   of the working directory that holds `.git` (a checkout, as Argo CD makes), else the working
//!   directory itself.
//! * `HELM_SECRETS_VALUES_ALLOW_SYMLINKS=false`: the file may not be a symlink, nor be reached
//!   through one (helm-secrets only looked at the file itself).
//! * `HELM_SECRETS_KEY_LOCATION_PREFIX`: the key file of `secrets+*-import://` must start with
//!   the prefix, also after `..` is resolved and after symlinks are followed (helm-secrets' plain
//!   string prefix let `/keys/../etc/x` through).

use crate::error::{codes, CliError};
use std::path::{Component, Path, PathBuf};

/// The three `HELM_SECRETS_VALUES_ALLOW_*` switches (all default to true, as in helm-secrets).
#[derive(Clone, Debug)]
pub(crate) struct PathPolicy {
    allow_symlinks: bool,
    allow_absolute: bool,
    allow_traversal: bool,
    root: Option<PathBuf>,
}

fn flag(name: &str) -> bool {
    std::env::var(name)
        .map(|v| v.is_empty() || v == "true")
        .unwrap_or(true)
}

impl PathPolicy {
    pub(crate) fn from_env() -> Self {
        PathPolicy {
            allow_symlinks: flag("HELM_SECRETS_VALUES_ALLOW_SYMLINKS"),
            allow_absolute: flag("HELM_SECRETS_VALUES_ALLOW_ABSOLUTE_PATH"),
            allow_traversal: flag("HELM_SECRETS_VALUES_ALLOW_PATH_TRAVERSAL"),
            root: std::env::var_os("HELM_SECRETS_VALUES_ROOT")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
        }
    }

    /// Fails when the switches forbid reading `path` (relative to the working directory).
    pub(crate) fn check(&self, path: &Path) -> Result<(), CliError> {
        let shown = path.display();
        let refuse = |why: String| Err(CliError::new(codes::GENERIC, why));
        if !self.allow_absolute {
            let text = path.to_string_lossy();
            if text.starts_with('/') || text.starts_with('\\') || text.contains(':') {
                return refuse(format!(
                    "Values filepath '{shown}' is an absolute path. Absolute paths are not allowed."
                ));
            }
        }
        if self.allow_traversal && self.allow_symlinks {
            return Ok(());
        }
        let cwd = std::env::current_dir()
            .and_then(|d| d.canonicalize())
            .map_err(|e| {
                CliError::new(
                    codes::GENERIC,
                    format!("cannot resolve the working directory: {e}"),
                )
            })?;
        let lexical = normalize(&cwd.join(path));
        let canonical = path.canonicalize().ok();
        if !self.allow_symlinks {
            let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            if is_link {
                return refuse(format!(
                    "Values file '{shown}' is a symlink. Symlinks are not allowed."
                ));
            }
            if let Some(real) = canonical.as_ref().filter(|real| **real != lexical) {
                return refuse(format!(
                    "Values file '{shown}' is reached through a symlink (it is {}). Symlinks are not allowed.",
                    real.display()
                ));
            }
        }
        if !self.allow_traversal {
            let root = match &self.root {
                Some(r) => r.canonicalize().unwrap_or_else(|_| normalize(&cwd.join(r))),
                None => tree_root(&cwd),
            };
            let escapes = !lexical.starts_with(&root)
                || canonical
                    .as_ref()
                    .is_some_and(|real| !real.starts_with(&root));
            if escapes {
                return refuse(format!(
                    "Values filepath '{shown}' leads outside {}. Path traversal is not allowed.",
                    root.display()
                ));
            }
        }
        Ok(())
    }
}

/// The nearest ancestor of `cwd` (itself included) that holds `.git`, else `cwd`.
fn tree_root(cwd: &Path) -> PathBuf {
    cwd.ancestors()
        .find(|dir| dir.join(".git").exists())
        .unwrap_or(cwd)
        .to_path_buf()
}

/// `path` with `.` and `..` resolved lexically (no file system access).
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                // `/..` is `/`.
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Checks the key file of a `secrets+*-import://` URL against
/// `HELM_SECRETS_KEY_LOCATION_PREFIX` and returns it as a path.
pub(crate) fn check_key_location(key: &str, prefix: &str) -> Result<PathBuf, CliError> {
    let refuse = || {
        Err(CliError::new(
            codes::GENERIC,
            format!(
                "Key location '{key}' is not allowed (HELM_SECRETS_KEY_LOCATION_PREFIX={prefix})"
            ),
        ))
    };
    let path = PathBuf::from(key);
    if prefix.is_empty() {
        return Ok(path);
    }
    if !key.starts_with(prefix) {
        return refuse();
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    // The prefix's directory part: `/keys/` → `/keys`, `/keys/age-` → `/keys`.
    let prefix_dir = if prefix.ends_with('/') {
        PathBuf::from(prefix)
    } else {
        Path::new(prefix)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    };
    let lexical_key = normalize(&cwd.join(&path));
    let lexical_prefix = normalize(&cwd.join(prefix));
    let string_ok = lexical_key
        .to_string_lossy()
        .starts_with(&*lexical_prefix.to_string_lossy());
    if !string_ok || !lexical_key.starts_with(normalize(&cwd.join(&prefix_dir))) {
        return refuse();
    }
    if let (Ok(real_key), Ok(real_dir)) =
        (path.canonicalize(), cwd.join(&prefix_dir).canonicalize())
    {
        if !real_key.starts_with(real_dir) {
            return refuse();
        }
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_normalisation() {
        assert_eq!(
            normalize(Path::new("/a/b/../c/./d")),
            PathBuf::from("/a/c/d")
        );
        assert_eq!(normalize(Path::new("/a/../../b")), PathBuf::from("/b"));
        assert_eq!(normalize(Path::new("a/../../b")), PathBuf::from("../b"));
    }

    #[test]
    fn key_prefix() {
        assert!(check_key_location("/keys/age.txt", "/keys/").is_ok());
        assert!(check_key_location("/keys/../etc/passwd", "/keys/").is_err());
        assert!(check_key_location("/etc/passwd", "/keys/").is_err());
        assert!(check_key_location("/keys/age-1.txt", "/keys/age-").is_ok());
        assert!(check_key_location("/anything", "").is_ok());
    }
}
