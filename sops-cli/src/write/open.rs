//! Deciding how a target is written: opened first (the kernel checks the permission), then
//! replaced atomically at its real path or written through (see the parent module).

use super::replace::{replace, Expect, Finish, Replaced};
use super::{NewFile, WriteError};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The most symlinks followed from the given path (Linux's limit).
const MAX_LINKS: usize = 40;

/// The mode of a new file.
fn new_mode(new: NewFile) -> u32 {
    match new {
        NewFile::Plaintext => 0o600,
        NewFile::Encrypted => 0o666 & !umask(),
    }
}

/// The process umask, from `/proc/self/status` (Linux); 022 where it cannot be read.
fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("Umask:"))?;
            u32::from_str_radix(line.trim_start_matches("Umask:").trim(), 8).ok()
        })
        .unwrap_or(0o022)
}

/// Follows the symlinks of `path` to the last one: the path a rename must replace. The second
/// value is true when the chain passes through `/dev/` or `/proc/` (`/dev/stdout`), whose
/// links name open files rather than places to rename into.
fn resolve_links(path: &Path) -> std::io::Result<(PathBuf, bool)> {
    let mut current = path.to_path_buf();
    let mut special = is_special(&current);
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if !link.is_absolute() => dir.join(link),
                    _ => link,
                };
                special |= is_special(&current);
            }
            _ => return Ok((current, special)),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

fn is_special(path: &Path) -> bool {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    absolute.starts_with("/dev") || absolute.starts_with("/proc")
}

/// Truncates a regular file (when asked) and writes `data` into it, in place.
fn write_through(mut file: std::fs::File, data: &[u8], regular: bool) -> Result<(), WriteError> {
    if regular {
        file.set_len(0).map_err(WriteError::Write)?;
    }
    file.write_all(data).map_err(WriteError::Write)?;
    file.flush().map_err(WriteError::Write)?;
    if regular {
        file.sync_all().map_err(WriteError::Write)?;
    }
    Ok(())
}

/// A [`super::Policy::Keep`] write.
#[cfg(unix)]
pub(super) fn write_keeping(path: &Path, data: &[u8], new: NewFile) -> Result<(), WriteError> {
    use rustix::fs::{fcntl_getfl, fcntl_setfl, fstat, open, FileType, Mode, OFlags};
    use rustix::io::Errno;
    let flags = OFlags::WRONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let fd = match open(path, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => {
            // A new file, or a dangling symlink whose target sops would create.
            let (real, _) = resolve_links(path).map_err(WriteError::Open)?;
            let finish = Finish {
                mode: new_mode(new),
                owner: None,
                expect: Expect::Absent,
            };
            return replace(&real, data, finish).map(|_| ());
        }
        Err(Errno::NXIO) => {
            // A FIFO that nobody reads yet: wait for a reader, as sops's open does.
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(WriteError::Open)?;
            return write_through(file, data, false);
        }
        Err(e) => return Err(WriteError::Open(e.into())),
    };
    let stat = fstat(&fd).map_err(|e| WriteError::Open(e.into()))?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        // A FIFO or a device: writes must block as for any writer.
        let flags = fcntl_getfl(&fd).map_err(|e| WriteError::Write(e.into()))?;
        fcntl_setfl(&fd, flags - OFlags::NONBLOCK).map_err(|e| WriteError::Write(e.into()))?;
        return write_through(std::fs::File::from(fd), data, false);
    }
    let file = std::fs::File::from(fd);
    if stat.st_nlink > 1 || has_acl(&file) {
        return write_through(file, data, true);
    }
    let (real, special) = resolve_links(path).map_err(WriteError::Open)?;
    let (dev, ino) = (stat.st_dev as u64, stat.st_ino as u64);
    let same = {
        use std::os::unix::fs::MetadataExt;
        std::fs::symlink_metadata(&real)
            .is_ok_and(|m| m.file_type().is_file() && m.dev() == dev && m.ino() == ino)
    };
    if special || !same {
        // Reached through /dev or /proc, or not where the links say: write what was opened.
        return write_through(file, data, true);
    }
    let finish = Finish {
        mode: stat.st_mode & 0o7777,
        owner: Some((stat.st_uid, stat.st_gid)),
        expect: Expect::Same(dev, ino),
    };
    match replace(&real, data, finish)? {
        Replaced::Done => Ok(()),
        // Not allowed to give the file its owner or group: write it in place instead.
        Replaced::OwnerRefused => write_through(file, data, true),
    }
}

/// True when the file carries a POSIX access ACL, which a replacement would lose.
#[cfg(target_os = "linux")]
fn has_acl(file: &std::fs::File) -> bool {
    // With an empty buffer the call only asks for the size: it fails (ENODATA, or
    // EOPNOTSUPP where the filesystem has no ACLs) when there is no ACL.
    let mut empty = [0u8; 0];
    rustix::fs::fgetxattr(file, "system.posix_acl_access", &mut empty[..]).is_ok()
}

#[cfg(all(unix, not(target_os = "linux")))]
fn has_acl(_: &std::fs::File) -> bool {
    false
}

#[cfg(not(unix))]
pub(super) fn write_keeping(path: &Path, data: &[u8], new: NewFile) -> Result<(), WriteError> {
    let existing = std::fs::metadata(path).is_ok();
    let finish = Finish {
        mode: new_mode(new),
        owner: None,
        expect: if existing {
            Expect::Same(0, 0)
        } else {
            Expect::Absent
        },
    };
    replace(path, data, finish).map(|_| ())
}

/// A [`super::Policy::Private`] write: a fresh file with exactly `mode`.
pub(super) fn write_private(path: &Path, data: &[u8], mode: u32) -> Result<(), WriteError> {
    let expect = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_file() => identity(&meta),
        Ok(meta) => return Err(WriteError::NotRegular(describe(meta.file_type()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Expect::Absent,
        Err(e) => return Err(WriteError::Open(e)),
    };
    let finish = Finish {
        mode,
        owner: None,
        expect,
    };
    replace(path, data, finish).map(|_| ())
}

#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> Expect {
    use std::os::unix::fs::MetadataExt;
    Expect::Same(meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn identity(_: &std::fs::Metadata) -> Expect {
    Expect::Same(0, 0)
}

fn describe(kind: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_dir() {
        "a directory"
    } else {
        "something else"
    }
}
