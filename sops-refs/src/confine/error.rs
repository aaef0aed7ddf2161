//! [`PathError`]: why [`crate::PathPolicy`] refused or could not read a file. The message names
//! the path and the rule; [`PathError::kind_text`] names the rule only, for messages that must
//! not show a path (one that came from a resolved value).

use std::fmt;
use std::path::{Path, PathBuf};

/// What went wrong with a path.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathErrorKind {
    /// Absolute paths are not allowed.
    Absolute,
    /// The file is outside the tree `root`.
    Traversal {
        /// The tree.
        root: PathBuf,
    },
    /// The file is a symlink.
    Symlink,
    /// The file is reached through a symlink; it really is `real`.
    ThroughSymlink {
        /// The canonical path.
        real: PathBuf,
    },
    /// A device, FIFO, socket or directory.
    NotRegular,
    /// A file of `/proc`, `/sys` or another kernel pseudo file system.
    PseudoFile,
    /// Larger than [`crate::MAX_FILE_SIZE`].
    TooLarge,
    /// The path changed between the open and the check.
    Changed,
    /// A key file outside `HELM_SECRETS_KEY_LOCATION_PREFIX`.
    KeyLocation {
        /// The prefix.
        prefix: String,
    },
    /// The file does not exist.
    NotFound,
    /// Another error of the operating system.
    Io(String),
}

/// A refused or failed read of `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError {
    /// The path, as opened (relative to the working directory).
    pub path: PathBuf,
    /// What went wrong.
    pub kind: PathErrorKind,
}

impl PathError {
    pub(crate) fn new(path: &Path, kind: PathErrorKind) -> Self {
        PathError {
            path: path.to_path_buf(),
            kind,
        }
    }

    /// The error of opening `path` (`ELOOP` is a symlink when they are refused).
    pub(crate) fn from_open(path: &Path, error: std::io::Error, no_symlinks: bool) -> Self {
        let kind = match error.kind() {
            std::io::ErrorKind::NotFound => PathErrorKind::NotFound,
            _ if no_symlinks && error.raw_os_error() == Some(ELOOP) => {
                let is_link =
                    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
                if is_link {
                    PathErrorKind::Symlink
                } else {
                    PathErrorKind::ThroughSymlink {
                        real: path.canonicalize().unwrap_or_else(|_| path.to_path_buf()),
                    }
                }
            }
            // Opening a socket.
            _ if error.raw_os_error() == Some(ENXIO) => PathErrorKind::NotRegular,
            _ => PathErrorKind::Io(error.to_string()),
        };
        PathError::new(path, kind)
    }

    /// What the rule says, after the path: `is a symlink. Symlinks are not allowed.`
    pub fn reason(&self) -> String {
        match &self.kind {
            PathErrorKind::Absolute => {
                "is an absolute path. Absolute paths are not allowed.".to_owned()
            }
            PathErrorKind::Traversal { root } => format!(
                "leads outside {}. Path traversal is not allowed.",
                root.display()
            ),
            PathErrorKind::Symlink => "is a symlink. Symlinks are not allowed.".to_owned(),
            PathErrorKind::ThroughSymlink { real } => format!(
                "is reached through a symlink (it is {}). Symlinks are not allowed.",
                real.display()
            ),
            PathErrorKind::NotRegular => {
                "is not a regular file (a device, FIFO, socket or directory).".to_owned()
            }
            PathErrorKind::PseudoFile => {
                "is a file of a kernel pseudo file system (/proc, /sys), which is not read."
                    .to_owned()
            }
            PathErrorKind::TooLarge => "is larger than 64 MiB, the limit.".to_owned(),
            PathErrorKind::Changed => "changed while it was being opened.".to_owned(),
            PathErrorKind::KeyLocation { prefix } => {
                format!("is not allowed (HELM_SECRETS_KEY_LOCATION_PREFIX={prefix})")
            }
            PathErrorKind::NotFound => "does not exist".to_owned(),
            PathErrorKind::Io(e) => format!("cannot be read: {e}"),
        }
    }

    /// The kind of failure alone, without any path or file name.
    pub fn kind_text(&self) -> &'static str {
        match &self.kind {
            PathErrorKind::Absolute => "its path is absolute, which is not allowed",
            PathErrorKind::Traversal { .. } => {
                "its path leads outside the tree, which is not allowed"
            }
            PathErrorKind::Symlink | PathErrorKind::ThroughSymlink { .. } => {
                "its path is or passes a symlink, which is not allowed"
            }
            PathErrorKind::NotRegular => "its file is not a regular file",
            PathErrorKind::PseudoFile => "its file is on a kernel pseudo file system",
            PathErrorKind::TooLarge => "its file is larger than 64 MiB",
            PathErrorKind::Changed => "its file changed while it was being opened",
            PathErrorKind::KeyLocation { .. } => {
                "its key location is outside HELM_SECRETS_KEY_LOCATION_PREFIX"
            }
            PathErrorKind::NotFound => "its file does not exist",
            PathErrorKind::Io(_) => "its file cannot be read",
        }
    }
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}' {}", self.path.display(), self.reason())
    }
}

impl std::error::Error for PathError {}

#[cfg(unix)]
const ELOOP: i32 = rustix::io::Errno::LOOP.raw_os_error();
#[cfg(not(unix))]
const ELOOP: i32 = -1;
#[cfg(unix)]
const ENXIO: i32 = rustix::io::Errno::NXIO.raw_os_error();
#[cfg(not(unix))]
const ENXIO: i32 = -1;
