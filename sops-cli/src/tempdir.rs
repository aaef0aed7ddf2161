//! Private temporary directories for plaintext that must touch disk (the file being edited,
//! `exec-file`'s file): mode 0700 directories holding 0600 files, removed when dropped, at
//! process exit, and when SIGINT, SIGTERM or SIGHUP arrives.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Directories to remove if the process is interrupted.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A private temporary directory, removed with its content on drop.
pub(crate) struct PrivateDir {
    path: PathBuf,
}

impl PrivateDir {
    /// Creates a fresh 0700 directory under the system temp dir.
    pub(crate) fn new() -> std::io::Result<PrivateDir> {
        let dir = tempfile::Builder::new().prefix(".sops-rs").tempdir()?;
        let path = dir.keep();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700))?;
        }
        if let Ok(mut live) = LIVE.lock() {
            live.push(path.clone());
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
        if let Ok(mut live) = LIVE.lock() {
            live.retain(|p| p != &self.path);
        }
    }
}

fn remove(path: &Path) {
    // Overwrite regular files before unlinking them, so the plaintext is not left in free blocks
    // any longer than the filesystem insists on.
    if let Ok(entries) = std::fs::read_dir(path) {
        for entry in entries.flatten() {
            let p = entry.path();
            if let Ok(meta) = std::fs::symlink_metadata(&p) {
                if meta.is_file() {
                    let _ = std::fs::write(&p, vec![0u8; meta.len() as usize]);
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(path);
}

/// Removes every live private directory (at exit).
pub(crate) fn cleanup_all() {
    let dirs: Vec<PathBuf> = LIVE
        .lock()
        .map(|mut l| std::mem::take(&mut *l))
        .unwrap_or_default();
    for d in dirs {
        remove(&d);
    }
}

/// Starts a thread that removes live private directories and exits when the process gets
/// SIGINT, SIGTERM or SIGHUP (exit 85 for an interrupt, as sops; 128+n otherwise).
pub(crate) fn install_signal_cleanup() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                cleanup_all();
                let code = if signal == SIGINT { 85 } else { 128 + signal };
                std::process::exit(code);
            }
        });
    }
}
