//! [`PathPolicy`]: which local files values files and `ref+file://` / `ref+sops://` references
//! may read, with helm-secrets' switches (given through a [`RefEnv`], not `std::env`), and the
//! one function that reads them, [`PathPolicy::read`]. It opens first and checks the opened file
//! afterwards, so that a path swapped between a check and a read (a file flipped to a symlink)
//! cannot leak a file outside the policy.
//!
//! * `HELM_SECRETS_VALUES_ALLOW_ABSOLUTE_PATH=false`: a path that starts with `/` or `\` or
//!   contains `:` is refused (helm-secrets' string test). For a reference, the path as written
//!   in it.
//! * `HELM_SECRETS_VALUES_ALLOW_PATH_TRAVERSAL=false`: the file must stay inside the tree, both
//!   lexically (`a/../b` is fine, `../../etc/x` is not) and as opened (symlinks followed). The
//!   tree is `HELM_SECRETS_VALUES_ROOT` if set, else the nearest ancestor of the working
//!   directory that holds `.git`, else the working directory.
//! * `HELM_SECRETS_VALUES_ALLOW_SYMLINKS=false`: the file may not be a symlink, nor be reached
//!   through one (on Linux the open itself refuses symlinks: `openat2` with
//!   `RESOLVE_NO_SYMLINKS`).
//! * References read regular files only: devices (`/dev/zero`), FIFOs, sockets, directories
//!   and files of kernel pseudo file systems (`/proc`, `/sys`) are refused. Values files are
//!   held to this when any switch is false (otherwise `-f <(command)` keeps working).
//! * Every read stops at [`MAX_FILE_SIZE`].
//!
//! After the open, when a switch is false, the opened file (its device and inode) must be the
//! file at the path's canonical form, and that form is checked: a swap in between fails closed.
//! [`check_key_location`] applies `HELM_SECRETS_KEY_LOCATION_PREFIX` to `*-import` key files.

use crate::env::RefEnv;
use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use zeroize::Zeroizing;

mod error;
mod open;

pub use error::{PathError, PathErrorKind};

/// The largest file [`PathPolicy::read`] reads (64 MiB); larger ones are refused.
pub const MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// `false` refuses symlinks.
pub const ALLOW_SYMLINKS_ENV: &str = "HELM_SECRETS_VALUES_ALLOW_SYMLINKS";
/// `false` refuses absolute paths.
pub const ALLOW_ABSOLUTE_PATH_ENV: &str = "HELM_SECRETS_VALUES_ALLOW_ABSOLUTE_PATH";
/// `false` confines files to the tree.
pub const ALLOW_PATH_TRAVERSAL_ENV: &str = "HELM_SECRETS_VALUES_ALLOW_PATH_TRAVERSAL";
/// The tree, when traversal is not allowed (default: the checkout or the working directory).
pub const VALUES_ROOT_ENV: &str = "HELM_SECRETS_VALUES_ROOT";

/// What is being read: the rules for non-regular files differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A values file named on the command line or in a `secrets://` URL.
    ValuesFile,
    /// The file of a `ref+file://` or `ref+sops://` reference.
    Reference,
}

/// helm-secrets' three `HELM_SECRETS_VALUES_ALLOW_*` switches (all true by default) and the
/// tree root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathPolicy {
    allow_symlinks: bool,
    allow_absolute: bool,
    allow_traversal: bool,
    root: Option<PathBuf>,
}

impl Default for PathPolicy {
    fn default() -> Self {
        PathPolicy::permissive()
    }
}

/// A switch: true unless set to something other than empty or `true`.
fn switch(env: &RefEnv, name: &str) -> bool {
    env.get(name).is_none_or(|v| v.is_empty() || v == "true")
}

impl PathPolicy {
    /// Every switch true (helm-secrets' defaults): only the file-type rules and the size cap.
    pub fn permissive() -> Self {
        PathPolicy {
            allow_symlinks: true,
            allow_absolute: true,
            allow_traversal: true,
            root: None,
        }
    }

    /// The switches and `HELM_SECRETS_VALUES_ROOT` as `env` sets them.
    ///
    /// ```
    /// let env = sops_refs::RefEnv::new().with("HELM_SECRETS_VALUES_ALLOW_SYMLINKS", "false");
    /// assert!(sops_refs::PathPolicy::from_env(&env).is_strict());
    /// ```
    pub fn from_env(env: &RefEnv) -> Self {
        PathPolicy {
            allow_symlinks: switch(env, ALLOW_SYMLINKS_ENV),
            allow_absolute: switch(env, ALLOW_ABSOLUTE_PATH_ENV),
            allow_traversal: switch(env, ALLOW_PATH_TRAVERSAL_ENV),
            root: env
                .get(VALUES_ROOT_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
        }
    }

    /// True when any switch is false.
    pub fn is_strict(&self) -> bool {
        !(self.allow_symlinks && self.allow_absolute && self.allow_traversal)
    }

    /// Reads `base/path` (relative to the working directory) if the policy allows it; `path`
    /// is the path as written (the absolute-path test looks at it), `base` the directory it is
    /// relative to (empty for the working directory; a reference's values file's directory).
    pub fn read(
        &self,
        base: &Path,
        path: &Path,
        target: Target,
    ) -> Result<Zeroizing<Vec<u8>>, PathError> {
        let full = base.join(path);
        let fail = |kind| Err(PathError::new(&full, kind));
        if !self.allow_absolute && looks_absolute(path) {
            return fail(PathErrorKind::Absolute);
        }
        let checks = !self.allow_symlinks || !self.allow_traversal;
        let (lexical, root) = if checks {
            let cwd = std::env::current_dir()
                .and_then(|d| d.canonicalize())
                .map_err(|e| PathError::new(&full, PathErrorKind::Io(e.to_string())))?;
            let lexical = normalize(&cwd.join(&full));
            let root = (!self.allow_traversal).then(|| self.tree_root(&cwd));
            if let Some(root) = root.as_ref().filter(|root| !lexical.starts_with(root)) {
                return fail(PathErrorKind::Traversal { root: root.clone() });
            }
            (lexical, root)
        } else {
            (PathBuf::new(), None)
        };
        let file = open::open(&full, !self.allow_symlinks)
            .map_err(|e| PathError::from_open(&full, e, !self.allow_symlinks))?;
        let strict_type = target == Target::Reference || self.is_strict();
        let regular = open::check_type(&file, strict_type).map_err(|k| PathError::new(&full, k))?;
        if checks {
            let real = open::verify_same(&file, &full).map_err(|k| PathError::new(&full, k))?;
            if !self.allow_symlinks && real != lexical {
                return fail(PathErrorKind::ThroughSymlink { real });
            }
            if let Some(root) = root.filter(|root| !real.starts_with(root)) {
                return fail(PathErrorKind::Traversal { root });
            }
        }
        if !regular {
            open::make_blocking(&file);
        }
        read_capped(file).map_err(|k| PathError::new(&full, k))
    }

    /// The tree files are confined to.
    fn tree_root(&self, cwd: &Path) -> PathBuf {
        match &self.root {
            Some(r) => r.canonicalize().unwrap_or_else(|_| normalize(&cwd.join(r))),
            None => cwd
                .ancestors()
                .find(|dir| dir.join(".git").exists())
                .unwrap_or(cwd)
                .to_path_buf(),
        }
    }
}

/// helm-secrets' absolute-path test: starts with `/` or `\`, or contains `:`.
fn looks_absolute(path: &Path) -> bool {
    let text = path.to_string_lossy();
    text.starts_with('/') || text.starts_with('\\') || text.contains(':')
}

/// Reads `file` to its end, at most [`MAX_FILE_SIZE`] bytes.
fn read_capped(file: File) -> Result<Zeroizing<Vec<u8>>, PathErrorKind> {
    let hint = file
        .metadata()
        .map(|m| m.len())
        .unwrap_or(0)
        .min(MAX_FILE_SIZE);
    let mut bytes = Zeroizing::new(Vec::with_capacity(usize::try_from(hint).unwrap_or(0) + 1));
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| PathErrorKind::Io(e.to_string()))?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(PathErrorKind::TooLarge);
    }
    Ok(bytes)
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
/// `HELM_SECRETS_KEY_LOCATION_PREFIX` (`prefix`, empty: any) and returns it as a path: it must
/// start with the prefix as written, after `..` is resolved, and after symlinks are followed
/// (helm-secrets' plain string prefix let `/keys/../etc/x` through).
pub fn check_key_location(key: &str, prefix: &str) -> Result<PathBuf, PathError> {
    let path = PathBuf::from(key);
    let refuse = || {
        Err(PathError::new(
            &path,
            PathErrorKind::KeyLocation {
                prefix: prefix.to_owned(),
            },
        ))
    };
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

    #[test]
    fn switches() {
        assert!(!PathPolicy::from_env(&RefEnv::new()).is_strict());
        let env = RefEnv::new().with(ALLOW_ABSOLUTE_PATH_ENV, "");
        assert!(!PathPolicy::from_env(&env).is_strict());
        let env = RefEnv::new().with(ALLOW_PATH_TRAVERSAL_ENV, "false");
        assert!(PathPolicy::from_env(&env).is_strict());
    }
}
