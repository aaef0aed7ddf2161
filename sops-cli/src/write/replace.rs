//! The atomic half of a write: a temporary file created 0600 beside the target, filled, synced,
//! given its final owner and mode only then (a crash before leaves a 0600 file), and renamed
//! over the target.

use super::WriteError;
use crate::tempdir::{commit_sibling, create_sibling, release_sibling};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What must be at the target's path just before the rename.
#[derive(Clone, Copy, Debug)]
pub(super) enum Expect {
    /// Nothing (a new file).
    Absent,
    /// The file that was opened or looked at (device, inode).
    Same(u64, u64),
}

/// How the replacement is finished.
#[derive(Clone, Copy, Debug)]
pub(super) struct Finish {
    /// The permission bits of the final file.
    pub(super) mode: u32,
    /// The owner and group to give it (`None`: the user running sops-rs).
    pub(super) owner: Option<(u32, u32)>,
    pub(super) expect: Expect,
}

/// How a replacement ended.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Replaced {
    Done,
    /// The owner or group could not be given to the new file; nothing was changed.
    OwnerRefused,
}

/// A temporary file registered with the signal cleanup; removed when dropped.
struct Temp {
    file: Option<tempfile::NamedTempFile>,
    path: PathBuf,
}

impl Drop for Temp {
    fn drop(&mut self) {
        // NamedTempFile removes its file when dropped.
        self.file.take();
        release_sibling(&self.path);
    }
}

fn directory_of(target: &Path) -> PathBuf {
    match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn create_temp(dir: &Path) -> std::io::Result<Temp> {
    let mut registered = PathBuf::new();
    let file = tempfile::Builder::new()
        .prefix(".sops-rs-")
        .make_in(dir, |path| {
            // Created and registered at once: a signal from now on removes it.
            let opened = create_sibling(path, || {
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                options.open(path)
            });
            if opened.is_ok() {
                registered = path.to_path_buf();
            }
            opened
        })?;
    Ok(Temp {
        file: Some(file),
        path: registered,
    })
}

/// Replaces (or creates) `target` with `data`.
pub(super) fn replace(target: &Path, data: &[u8], finish: Finish) -> Result<Replaced, WriteError> {
    let dir = directory_of(target);
    let mut temp = create_temp(&dir).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            // The directory is missing: sops's open fails the same way.
            WriteError::Open(e)
        } else {
            WriteError::Write(e)
        }
    })?;
    let Some(file) = temp.file.as_mut() else {
        return Err(WriteError::Write(std::io::Error::other(
            "no temporary file",
        )));
    };
    file.write_all(data).map_err(WriteError::Write)?;
    file.as_file().sync_all().map_err(WriteError::Write)?;
    // Only now, with the data complete and on disk, does the file get its final owner and mode.
    if finalize(file.as_file(), finish)? == Replaced::OwnerRefused {
        return Ok(Replaced::OwnerRefused);
    }
    check_unchanged(target, finish.expect)?;
    let Some(file) = temp.file.take() else {
        return Err(WriteError::Write(std::io::Error::other(
            "no temporary file",
        )));
    };
    let path = temp.path.clone();
    commit_sibling(&path, || file.persist(target)).map_err(|e| WriteError::Write(e.error))?;
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(Replaced::Done)
}

/// Gives the complete temporary file its owner, then its mode (`fchown` clears set-id bits).
#[cfg(unix)]
fn finalize(file: &std::fs::File, finish: Finish) -> Result<Replaced, WriteError> {
    use rustix::fs::{fchmod, fchown, fstat, Gid, Mode, Uid};
    if let Some((uid, gid)) = finish.owner {
        let now = fstat(file).map_err(|e| WriteError::Write(e.into()))?;
        if now.st_uid != uid || now.st_gid != gid {
            let owner = (now.st_uid != uid).then(|| Uid::from_raw(uid));
            let group = (now.st_gid != gid).then(|| Gid::from_raw(gid));
            match fchown(file, owner, group) {
                Ok(()) => {}
                Err(rustix::io::Errno::PERM) => return Ok(Replaced::OwnerRefused),
                Err(e) => return Err(WriteError::Write(e.into())),
            }
        }
    }
    fchmod(file, Mode::from_raw_mode(finish.mode & 0o7777))
        .map_err(|e| WriteError::Write(e.into()))?;
    Ok(Replaced::Done)
}

#[cfg(not(unix))]
fn finalize(_: &std::fs::File, _: Finish) -> Result<Replaced, WriteError> {
    Ok(Replaced::Done)
}

/// Refuses to rename when the target was swapped since it was opened.
fn check_unchanged(target: &Path, expect: Expect) -> Result<(), WriteError> {
    let changed = || {
        WriteError::Write(std::io::Error::other(
            "the file changed while it was being written; nothing was replaced",
        ))
    };
    match (expect, std::fs::symlink_metadata(target)) {
        (Expect::Absent, Err(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        (Expect::Absent, _) => Err(changed()),
        #[cfg(unix)]
        (Expect::Same(dev, ino), Ok(meta)) => {
            use std::os::unix::fs::MetadataExt;
            if meta.dev() == dev && meta.ino() == ino && meta.file_type().is_file() {
                Ok(())
            } else {
                Err(changed())
            }
        }
        #[cfg(not(unix))]
        (Expect::Same(..), Ok(_)) => Ok(()),
        (Expect::Same(..), Err(_)) => Err(changed()),
    }
}
