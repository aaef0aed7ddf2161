//! Files and directories in tests: the fixtures of a directory, permission bits, waiting for a
//! file to appear, and every file under a directory.

use super::fixture;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The files of a fixtures directory, sorted, without sub-directories.
pub fn fixture_files(dir: &str) -> Vec<PathBuf> {
    let dir = fixture(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// The file name of `path` as a `&str`.
pub fn file_name(path: &Path) -> &str {
    path.file_name()
        .and_then(OsStr::to_str)
        .expect("fixture names are UTF-8")
}

/// Sets the permission bits of `path`.
pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {mode:o} {}: {e}", path.display()));
}

/// The permission bits of `path`.
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

/// Polls until `path` exists; false if it does not within `timeout`.
pub fn wait_for_file(path: &Path, timeout: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < timeout {
        if path.exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    path.exists()
}

/// Every regular file under `dir` (recursively, not following symlinks), sorted; with
/// `other` also FIFOs, sockets and the like.
fn entries_under(dir: &Path, other: bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(path),
                Ok(t) if t.is_file() || other => out.push(path),
                _ => {}
            }
        }
    }
    out.sort();
    out
}

/// Every regular file under `dir` (recursively), sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    entries_under(dir, false)
}

/// Everything but directories under `dir` (files, FIFOs, sockets…), sorted.
pub fn entries_under_dir(dir: &Path) -> Vec<PathBuf> {
    entries_under(dir, true)
}
