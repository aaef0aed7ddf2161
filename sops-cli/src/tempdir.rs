//! Private temporary directories for plaintext that must touch disk (the file being edited,
//! `exec-file`'s file): mode 0700 directories holding 0600 files, removed when dropped, at
//! process exit, and when SIGINT, SIGTERM or SIGHUP arrives.
//!
//! The same signal cleanup covers the temporary files that `write` creates beside a target
//! before renaming them over it: each is registered and created under one lock, released after
//! its rename (done under the same lock, so a signal never races the rename), and removed by
//! the signal handler otherwise. After a signal the handler keeps both locks (files, then
//! directories) until the process has exited, so no temporary file or directory can be created
//! (and then filled) behind its back while the exit runs.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// Directories to remove if the process is interrupted.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Temporary files beside a write's target, removed (not overwritten) if the process is
/// interrupted: the name is unique, so removing it can only ever remove the temporary file.
static SIBLINGS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Creates the temporary file `path` with `create` and registers it for removal on a signal,
/// both under the lock the signal handler takes.
pub(crate) fn create_sibling<T>(
    path: &Path,
    create: impl FnOnce() -> std::io::Result<T>,
) -> std::io::Result<T> {
    let mut siblings = lock(&SIBLINGS);
    let created = create()?;
    siblings.push(path.to_path_buf());
    Ok(created)
}

/// Forgets `path` (it was removed).
pub(crate) fn release_sibling(path: &Path) {
    lock(&SIBLINGS).retain(|p| p != path);
}

/// Runs `rename` (which moves the temporary file `path` away) while no signal cleanup can run,
/// then forgets `path`.
pub(crate) fn commit_sibling<T>(path: &Path, rename: impl FnOnce() -> T) -> T {
    let mut siblings = lock(&SIBLINGS);
    let result = rename();
    siblings.retain(|p| p != path);
    result
}

/// A private temporary directory, removed with its content on drop.
pub(crate) struct PrivateDir {
    path: PathBuf,
}

impl PrivateDir {
    /// Creates a fresh 0700 directory under the system temp dir.
    pub(crate) fn new() -> std::io::Result<PrivateDir> {
        // Created and registered under the lock the signal handler takes.
        let mut live = lock(&LIVE);
        let dir = tempfile::Builder::new().prefix(".sops-rs").tempdir()?;
        let path = dir.keep();
        live.push(path.clone());
        drop(live);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(PrivateDir { path })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Creates `name` in the directory with mode 0600 and writes `data`.
    pub(crate) fn write_file(&self, name: &str, data: &[u8]) -> std::io::Result<PathBuf> {
        use std::io::Write;
        let path = self.path.join(name);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&path)?;
        file.write_all(data)?;
        file.sync_all()?;
        Ok(path)
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        remove(&self.path);
        lock(&LIVE).retain(|p| p != &self.path);
    }
}

fn remove(path: &Path) {
    // Overwrite regular files before unlinking them, so the plaintext is not left in free blocks
    // any longer than the filesystem insists on.
    if let Ok(entries) = std::fs::read_dir(path) {
        for entry in entries.flatten() {
            zero(&entry.path());
        }
    }
    let _ = std::fs::remove_dir_all(path);
}

/// Overwrites the regular file at `p` with zeros: opened without following a symlink and only
/// when it has no other link, so nothing outside the directory is ever touched.
fn zero(p: &Path) {
    #[cfg(unix)]
    {
        use rustix::fs::{fstat, open, FileType, Mode, OFlags};
        use std::io::Write;
        let flags = OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let Ok(fd) = open(p, flags, Mode::empty()) else {
            return;
        };
        let Ok(stat) = fstat(&fd) else { return };
        if FileType::from_raw_mode(stat.st_mode) == FileType::RegularFile && stat.st_nlink == 1 {
            let mut file = std::fs::File::from(fd);
            let _ = file.write_all(&vec![0u8; stat.st_size.max(0) as usize]);
        }
    }
    #[cfg(not(unix))]
    {
        if let Ok(meta) = std::fs::symlink_metadata(p) {
            if meta.is_file() {
                let _ = std::fs::write(p, vec![0u8; meta.len() as usize]);
            }
        }
    }
}

/// Removes every live private directory and temporary file (at exit).
pub(crate) fn cleanup_all() {
    remove_siblings(&mut lock(&SIBLINGS));
    remove_dirs(&mut lock(&LIVE));
}

fn remove_siblings(siblings: &mut Vec<PathBuf>) {
    for path in siblings.drain(..) {
        let _ = std::fs::remove_file(&path);
    }
}

fn remove_dirs(live: &mut Vec<PathBuf>) {
    for d in live.drain(..) {
        remove(&d);
    }
}

/// Starts a thread that removes live private directories and exits when the process gets
/// SIGINT, SIGTERM or SIGHUP (exit 85 for an interrupt, as sops; 128+n otherwise).
/// Set while `edit` runs: Ctrl+C (SIGINT) or SIGTERM then ends sops-rs as sops 3.12.2+ (#2104,
/// which listens for both) does, with "User canceled operation" and exit 1, after the same
/// cleanup. SIGHUP keeps exit 128+n.
static EDITING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Makes a later SIGINT or SIGTERM report "User canceled operation" (exit 1).
pub(crate) fn signals_cancel_the_edit() {
    EDITING.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// What the first SIGINT, SIGTERM or SIGHUP does instead of exiting (set once, before the
/// signal comes); a second signal exits as usual.
static SHUTDOWN_HOOK: OnceLock<Box<dyn Fn() + Send + Sync>> = OnceLock::new();

/// Makes the first termination signal call `hook` (a server's orderly shutdown) instead of
/// exiting the process.
pub(crate) fn on_first_signal(hook: impl Fn() + Send + Sync + 'static) {
    let _ = SHUTDOWN_HOOK.set(Box::new(hook));
}

pub(crate) fn install_signal_cleanup() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        std::thread::spawn(move || {
            let mut signals = signals.forever();
            let mut next = signals.next();
            // A long-running command (`keyservice`) shuts down on the first signal itself.
            if let (Some(_), Some(hook)) = (next, SHUTDOWN_HOOK.get()) {
                hook();
                next = signals.next();
            }
            if let Some(signal) = next {
                // Held until the process is gone: no temporary file or directory is created
                // or renamed after this point.
                let mut siblings = lock(&SIBLINGS);
                let mut live = lock(&LIVE);
                remove_siblings(&mut siblings);
                remove_dirs(&mut live);
                let cancels = signal == SIGINT || signal == SIGTERM;
                if cancels && EDITING.load(std::sync::atomic::Ordering::SeqCst) {
                    eprintln!("User canceled operation");
                    std::process::exit(1);
                }
                let code = if signal == SIGINT { 85 } else { 128 + signal };
                std::process::exit(code);
            }
        });
    }
}
