//! The one way sops-rs writes a user's file (`--output`, `-i`, `--output-dir`, `edit`, `set`,
//! `unset`, `rotate`, `updatekeys`, `groups`, the Helm commands, the plugin files).
//!
//! A [`Policy::Keep`] write behaves like sops's `os.Create` + write, except that a regular file
//! is replaced atomically:
//!
//! - the path is opened for writing first (following symlinks, without truncating it), so the
//!   kernel decides what may be written: a read-only file is refused with sops's message
//!   (`Could not open in-place file for writing: open FILE: permission denied`, exit 3), also
//!   when its directory would allow a rename;
//! - a regular file with one link is replaced atomically *at its real path* (symlinks followed
//!   to the end, so a symlink stays a symlink): a temporary file created 0600 in that directory
//!   receives the data, then the original's owner, group and mode (`fchown`/`fchmod`, right
//!   before the rename), is synced and renamed over the original. When the owner or group
//!   cannot be given to it (not root), or the file carries a POSIX ACL, the file is written
//!   through instead, as sops does, so that nobody gains or loses access;
//! - a FIFO, a character or block device, a file with several hard links and anything reached
//!   through `/dev/…` or `/proc/…` (`/dev/stdout`) is written through: truncated (regular files
//!   only) and written in place, as sops does. Such a write is not atomic;
//! - a file that does not exist yet is created atomically at the real path (a dangling symlink's
//!   target, as sops): 0600 for plaintext, 0666 less the umask for encrypted data, as sops.
//!
//! A [`Policy::Private`] write (`--output-dir`, `helm dec`, plugin files) always ends in a fresh
//! file with exactly the given mode, owned by the user running sops-rs: an existing regular file
//! is replaced (and so gets the new mode), anything else there (a symlink, a FIFO, a device, a
//! directory) is refused.
//!
//! Temporary files are registered with the signal cleanup of [`crate::tempdir`] before they
//! exist, so SIGINT, SIGTERM or SIGHUP never leaves one behind, and they are removed on every
//! error.

mod open;
mod replace;

use crate::error::{codes, CliError};
use std::path::Path;

/// How a file that does not exist yet is created by a [`Policy::Keep`] write.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum NewFile {
    /// Decrypted data: mode 0600 (sops would use 0666 less the umask).
    Plaintext,
    /// An encrypted file: 0666 less the umask, as sops.
    Encrypted,
}

/// What the written file must look like.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Policy {
    /// sops's semantics: an existing file keeps its owner, group and mode.
    Keep(NewFile),
    /// A fresh regular file with exactly this mode; only a regular file may be replaced.
    Private(u32),
}

/// Which of sops's messages a failure to open the target gets.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Role {
    /// `-i` and the commands that rewrite their input: "Could not open in-place file…".
    InPlace,
    /// `--output`: "Could not open output file…".
    Output,
    /// Everything else: "Could not write output file PATH: …".
    Other,
}

/// Why a write failed.
#[derive(Debug)]
pub(crate) enum WriteError {
    /// The target could not be opened for writing (sops's `os.Create` fails the same way).
    Open(std::io::Error),
    /// The target is not something a [`Policy::Private`] write may replace.
    NotRegular(&'static str),
    /// Creating, writing, syncing or renaming failed; the original is unchanged unless it was
    /// written through.
    Write(std::io::Error),
}

/// Writes `data` to `path` under `policy`; errors carry sops's message and exit code for
/// `role`.
pub(crate) fn write_file(
    path: &Path,
    data: &[u8],
    policy: Policy,
    role: Role,
) -> Result<(), CliError> {
    write_raw(path, data, policy).map_err(|e| error_for(path, role, e))
}

/// [`write_file`] without the message.
pub(crate) fn write_raw(path: &Path, data: &[u8], policy: Policy) -> Result<(), WriteError> {
    match policy {
        Policy::Keep(new) => open::write_keeping(path, data, new),
        Policy::Private(mode) => open::write_private(path, data, mode),
    }
}

/// The CLI error for a failed write of `path`.
pub(crate) fn error_for(path: &Path, role: Role, e: WriteError) -> CliError {
    let shown = path.display();
    let message = match (role, e) {
        // sops opens the input by its absolute path (`filepath.Abs`).
        (Role::InPlace, WriteError::Open(e)) => format!(
            "Could not open in-place file for writing: open {}: {}",
            go_absolute(path).display(),
            go_text(&e)
        ),
        (Role::Output, WriteError::Open(e)) => format!(
            "Could not open output file for writing: open {shown}: {}",
            go_text(&e)
        ),
        (_, WriteError::NotRegular(what)) => format!(
            "Could not write output file {shown}: it is {what}, not a regular file; remove it \
             or choose another path"
        ),
        (_, WriteError::Open(e) | WriteError::Write(e)) => {
            format!("Could not write output file {shown}: {e}")
        }
    };
    CliError::new(codes::COULD_NOT_WRITE_OUTPUT, message)
}

/// Go's `filepath.Abs`: joined to the working directory and cleaned lexically (`.` and `..`
/// removed), symlinks not resolved.
fn go_absolute(path: &Path) -> std::path::PathBuf {
    use std::path::Component;
    let joined = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut clean = std::path::PathBuf::new();
    for part in joined.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                clean.pop();
            }
            other => clean.push(other),
        }
    }
    clean
}

/// An OS error as Go prints it: `permission denied`, not `Permission denied (os error 13)`.
fn go_text(e: &std::io::Error) -> String {
    let text = match e.raw_os_error() {
        Some(code) => {
            let full = std::io::Error::from_raw_os_error(code).to_string();
            match full.rfind(" (os error ") {
                Some(at) => full[..at].to_owned(),
                None => full,
            }
        }
        None => e.to_string(),
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

/// The mode of a [`Policy::Private`] plaintext file.
pub(crate) const PRIVATE_MODE: u32 = 0o600;

/// Refuses to write `target` when it is `input` itself (the same device and inode, through
/// any symlink or hard link): exit 8, as for other conflicting outputs.
pub(crate) fn refuse_input(target: &Path, input: &Path) -> Result<(), CliError> {
    if same_file(target, input) {
        return Err(CliError::new(
            codes::CONFLICTING_PARAMETERS,
            format!(
                "Error: the output {} is the input file {} itself; it would be overwritten \
                 with its plaintext. Choose another output",
                target.display(),
                input.display()
            ),
        ));
    }
    Ok(())
}

/// True when `a` and `b` name the same file (device and inode, symlinks followed).
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    matches!((file_id(a), file_id(b)), (Some(a), Some(b)) if a == b)
}

/// The device and inode of the file at `path` (symlinks followed); `None` when there is none.
#[cfg(unix)]
pub(crate) fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Without inodes: the canonical path stands for the file.
#[cfg(not(unix))]
pub(crate) fn file_id(path: &Path) -> Option<std::path::PathBuf> {
    std::fs::canonicalize(path).ok()
}

#[cfg(test)]
mod tests {
    use super::go_text;
    use std::path::Path;

    #[test]
    fn absolute_paths_are_cleaned_as_in_go() {
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(super::go_absolute(Path::new("a/./b/../c")), cwd.join("a/c"));
        assert_eq!(super::go_absolute(Path::new("/x/../y")), Path::new("/y"));
    }

    #[test]
    fn os_errors_read_as_in_go() {
        let denied = std::io::Error::from_raw_os_error(13);
        assert_eq!(go_text(&denied), "permission denied");
        let read_only = std::io::Error::from_raw_os_error(30);
        assert_eq!(go_text(&read_only), "read-only file system");
    }
}
