//! [`git_command`]: a command run in a test's git repository with an environment of its own
//! (its own `HOME`, no system git configuration, a fixed author), so that the machine's git
//! settings cannot take part.

use std::path::Path;
use std::process::{Command, Stdio};

/// `program` (git, sops-rs, the reference) in `repo`, with a cleared environment but `PATH`,
/// `HOME=home` (and its `.config`), no system configuration, no pager and a fixed author and
/// committer; stdin is closed.
pub fn git_command(program: impl AsRef<std::ffi::OsStr>, repo: &Path, home: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(repo)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_PAGER", "cat")
        .env("GIT_AUTHOR_NAME", "test")
        .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
        .env("GIT_COMMITTER_NAME", "test")
        .env("GIT_COMMITTER_EMAIL", "test@example.invalid")
        .stdin(Stdio::null());
    cmd
}
