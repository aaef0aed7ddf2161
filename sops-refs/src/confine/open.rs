//! The system side of [`crate::PathPolicy::read`]: open without blocking (a FIFO must not hang
//! the open) and, when symlinks are refused, without following any (`openat2` with
//! `RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS` on Linux, else `O_NOFOLLOW` on the last
//! component plus the canonical-path check); then look at what was opened: its type, its file
//! system, and whether it is still the file at the path's canonical form.

use super::PathErrorKind;
use std::fs::File;
use std::path::{Path, PathBuf};

/// Opens `path` for reading, non-blocking, close-on-exec, never as a controlling terminal.
#[cfg(unix)]
pub(super) fn open(path: &Path, no_symlinks: bool) -> std::io::Result<File> {
    use rustix::fs::{Mode, OFlags, CWD};
    let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NONBLOCK | OFlags::NOCTTY;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::fs::ResolveFlags;
        let resolve = if no_symlinks {
            ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS
        } else {
            ResolveFlags::empty()
        };
        match rustix::fs::openat2(CWD, path, flags, Mode::empty(), resolve) {
            Ok(fd) => return Ok(File::from(fd)),
            // Kernels before 5.6, or a seccomp filter: the portable open below.
            Err(rustix::io::Errno::NOSYS | rustix::io::Errno::PERM) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let flags = if no_symlinks {
        flags | OFlags::NOFOLLOW
    } else {
        flags
    };
    Ok(File::from(rustix::fs::openat(
        CWD,
        path,
        flags,
        Mode::empty(),
    )?))
}

/// Opens `path` for reading.
#[cfg(not(unix))]
pub(super) fn open(path: &Path, _no_symlinks: bool) -> std::io::Result<File> {
    File::open(path)
}

/// Whether `file` is a regular file; with `strict`, anything else (and a file of a kernel
/// pseudo file system) is refused.
pub(super) fn check_type(file: &File, strict: bool) -> Result<bool, PathErrorKind> {
    let meta = file
        .metadata()
        .map_err(|e| PathErrorKind::Io(e.to_string()))?;
    let regular = meta.is_file();
    if strict && !regular {
        return Err(PathErrorKind::NotRegular);
    }
    if strict && on_pseudo_fs(file) {
        return Err(PathErrorKind::PseudoFile);
    }
    Ok(regular)
}

/// True for files of procfs, sysfs and their kin: they claim to be regular files of size 0
/// and show the process's environment, memory or the kernel's state.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn on_pseudo_fs(file: &File) -> bool {
    const PSEUDO: [u64; 11] = [
        0x9fa0,      // proc
        0x6265_6572, // sysfs
        0x6462_6720, // debugfs
        0x7472_6163, // tracefs
        0x7363_6673, // securityfs
        0x0027_e0eb, // cgroup
        0x6367_7270, // cgroup2
        0xcafe_4a11, // bpf
        0xde5e_81e4, // efivarfs
        0x6265_6570, // configfs
        0x4249_4e4d, // binfmt_misc
    ];
    match rustix::fs::fstatfs(file) {
        #[allow(clippy::unnecessary_cast)]
        Ok(stat) => PSEUDO.contains(&((stat.f_type as u64) & 0xffff_ffff)),
        // Cannot tell: refuse.
        Err(_) => true,
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn on_pseudo_fs(_file: &File) -> bool {
    false
}

/// The canonical form of `path`, checked to be the file `file` is (same device and inode):
/// a swap after the open fails here, and so does one between `canonicalize` and the check
/// (the canonical path is looked at without following a symlink).
pub(super) fn verify_same(file: &File, path: &Path) -> Result<PathBuf, PathErrorKind> {
    let real = path.canonicalize().map_err(|_| PathErrorKind::Changed)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let opened = file
            .metadata()
            .map_err(|e| PathErrorKind::Io(e.to_string()))?;
        // Not `metadata`: the canonical path holds no symlink, so one there now is a swap
        // after `canonicalize`; following it could land on the very file that was opened.
        let named = std::fs::symlink_metadata(&real).map_err(|_| PathErrorKind::Changed)?;
        if (opened.dev(), opened.ino()) != (named.dev(), named.ino()) {
            return Err(PathErrorKind::Changed);
        }
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(real)
}

/// Clears `O_NONBLOCK` again, so that a pipe (`-f <(command)`) is read to its end.
#[cfg(unix)]
pub(super) fn make_blocking(file: &File) {
    use rustix::fs::{fcntl_getfl, fcntl_setfl, OFlags};
    if let Ok(flags) = fcntl_getfl(file) {
        let _ = fcntl_setfl(file, flags - OFlags::NONBLOCK);
    }
}

#[cfg(not(unix))]
pub(super) fn make_blocking(_file: &File) {}
