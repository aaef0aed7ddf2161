//! [`Sandbox`]: a temporary directory that is the working directory, `HOME`,
//! `XDG_CONFIG_HOME` and `GNUPGHOME` of the commands run in it, and [`Cmd`], a command being
//! prepared there with a cleared environment.

use super::files::set_mode;
use super::output::{drain, Running};
use super::{age_key_path, fixture, read, repo_root, Output, Tool};
use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// How long one command may run before the test kills it and fails.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// Where a command takes its age identities from.
#[derive(Clone, Debug)]
pub enum Identity {
    /// `SOPS_AGE_KEY_FILE` set to this file.
    AgeKeyFile(PathBuf),
    /// `SOPS_AGE_SSH_PRIVATE_KEY_FILE` set to this file (and no `SOPS_AGE_KEY_FILE`).
    SshKey(PathBuf),
    /// No identity at all.
    None,
}

/// A temporary directory that is the working directory and home of the commands run in it.
pub struct Sandbox {
    dir: tempfile::TempDir,
    identity: Identity,
    gpg_used: std::cell::Cell<bool>,
}

impl Default for Sandbox {
    fn default() -> Self {
        Sandbox::new()
    }
}

impl Sandbox {
    /// A sandbox whose commands decrypt with alice's age key.
    pub fn new() -> Sandbox {
        Sandbox::with_identity(Identity::AgeKeyFile(age_key_path("age-alice")))
    }

    /// A sandbox whose commands use `identity` unless a [`Cmd`] says otherwise.
    pub fn with_identity(identity: Identity) -> Sandbox {
        let dir = tempfile::Builder::new()
            .prefix("sops-rs-test-")
            .tempdir()
            .expect("create a temporary directory");
        for ancestor in dir.path().ancestors() {
            let config = ancestor.join(".sops.yaml");
            assert!(
                !config.exists(),
                "{} exists: sops would read it from the test's working directory and change \
                 what the tests compare. Remove it or set TMPDIR to another directory.",
                config.display()
            );
        }
        std::fs::create_dir_all(dir.path().join("home/.config")).expect("create home");
        let gnupg = dir.path().join("gnupg");
        std::fs::create_dir(&gnupg).expect("create GNUPGHOME");
        set_mode(&gnupg, 0o700);
        Sandbox {
            dir,
            identity,
            gpg_used: std::cell::Cell::new(false),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the sandbox (nothing is created).
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `contents` to `name` inside the sandbox and returns its path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.file(name);
        std::fs::write(&path, contents)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        path
    }

    /// Copies a fixture (path relative to `fixtures/`) into the sandbox as `name`.
    pub fn copy_fixture(&self, rel: &str, name: &str) -> PathBuf {
        self.write(name, read(&fixture(rel)))
    }

    /// An identity file holding the given age keys of `fixtures/keys` (e.g. for Shamir files
    /// that need two of them).
    pub fn age_keys(&self, names: &[&str]) -> Identity {
        let mut all = Vec::new();
        for name in names {
            all.extend(read(&age_key_path(name)));
        }
        Identity::AgeKeyFile(self.write(&format!("identities-{}.txt", names.join("+")), all))
    }

    /// Imports an armored PGP key into the sandbox's own `GNUPGHOME`.
    pub fn import_pgp_key(&self, armored: &Path) {
        self.gpg_used.set(true);
        let out = Command::new("gpg")
            .args(["--batch", "--quiet", "--import"])
            .arg(armored)
            .env("GNUPGHOME", self.file("gnupg"))
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run gpg ({e}); install gnupg (bash .ci/run does it)")
            });
        assert!(
            out.status.success(),
            "gpg --import {} failed: {}",
            armored.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A command of `tool` to be run in this sandbox.
    pub fn cmd(&self, tool: Tool) -> Cmd<'_> {
        Cmd {
            sandbox: self,
            tool,
            args: Vec::new(),
            stdin: None,
            identity: None,
            env: Vec::new(),
            cwd: None,
        }
    }

    /// Runs `tool` with `args` in this sandbox.
    pub fn run(&self, tool: Tool, args: &[&str]) -> Output {
        self.cmd(tool).args(args).run()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if self.gpg_used.get() {
            // gpg started an agent for this GNUPGHOME; stop it before the directory goes.
            let _ = Command::new("gpgconf")
                .args(["--kill", "all"])
                .env("GNUPGHOME", self.file("gnupg"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

impl Sandbox {
    /// Writes an executable `/bin/sh` script (e.g. a scripted `EDITOR`) and returns its path.
    pub fn script(&self, name: &str, body: &str) -> PathBuf {
        let path = self.write(name, format!("#!/bin/sh\n{body}"));
        set_mode(&path, 0o755);
        path
    }
}

/// Variables passed through from the test's own environment; everything else is cleared.
const PASS_THROUGH: &[&str] = &[
    "PATH",
    "TMPDIR",
    "PYENV_ROOT",
    "PYENV_VERSION",
    "RUST_BACKTRACE",
    "LLVM_PROFILE_FILE",
];

/// A command being prepared; see [`Sandbox::cmd`].
pub struct Cmd<'a> {
    sandbox: &'a Sandbox,
    tool: Tool,
    args: Vec<OsString>,
    stdin: Option<Vec<u8>>,
    identity: Option<Identity>,
    env: Vec<(OsString, OsString)>,
    cwd: Option<PathBuf>,
}

impl Cmd<'_> {
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_os_string());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Self {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
        self
    }

    /// Feeds `bytes` to standard input (otherwise stdin is `/dev/null`).
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    /// Uses `identity` instead of the sandbox's.
    pub fn identity(mut self, identity: Identity) -> Self {
        self.identity = Some(identity);
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_os_string(), value.as_ref().to_os_string()));
        self
    }

    /// Runs in `dir` instead of the sandbox directory.
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    /// Runs the command to completion (or fails the test after a timeout).
    pub fn run(self) -> Output {
        self.spawn().wait(COMMAND_TIMEOUT)
    }

    /// Starts the command and returns at once (to signal it, or to stop a command that is not
    /// meant to end by itself); see [`Running`].
    pub fn spawn(self) -> Running {
        let sandbox = self.sandbox;
        let mut command = Command::new(self.tool.program());
        command
            .args(&self.args)
            .current_dir(self.cwd.as_deref().unwrap_or(sandbox.path()))
            .env_clear()
            .env("HOME", sandbox.file("home"))
            .env("XDG_CONFIG_HOME", sandbox.file("home/.config"))
            .env("GNUPGHOME", sandbox.file("gnupg"))
            .env("SOPS_DISABLE_VERSION_CHECK", "1")
            .env("CI", "true")
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for name in PASS_THROUGH {
            if let Some(value) = std::env::var_os(name) {
                command.env(name, value);
            }
        }
        match self.identity.as_ref().unwrap_or(&sandbox.identity) {
            Identity::AgeKeyFile(path) => {
                command.env("SOPS_AGE_KEY_FILE", path);
            }
            Identity::SshKey(path) => {
                command.env("SOPS_AGE_SSH_PRIVATE_KEY_FILE", path);
            }
            Identity::None => {}
        }
        for (key, value) in &self.env {
            command.env(key, value);
        }

        let mut cmdline = self.tool.name().to_string();
        for arg in &self.args {
            let arg = arg.to_string_lossy();
            let arg = arg.replace(&sandbox.path().to_string_lossy().to_string(), "$SANDBOX");
            let arg = arg.replace(&repo_root().to_string_lossy().to_string(), "$REPO");
            if arg.is_empty() || arg.contains([' ', '"', '\'', '[']) {
                let _ = write!(cmdline, " '{arg}'");
            } else {
                let _ = write!(cmdline, " {arg}");
            }
        }
        if self.stdin.is_some() {
            cmdline.push_str(" < (stdin)");
        }

        let mut child = command.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot start `{cmdline}` ({}): {e}",
                self.tool.program().display()
            )
        });
        let stdin_writer = self.stdin.map(|bytes| {
            let mut pipe = child.stdin.take().expect("piped stdin");
            std::thread::spawn(move || {
                // The program may exit without reading everything; that is its business.
                let _ = pipe.write_all(&bytes);
            })
        });
        let stdout_reader = drain(child.stdout.take().expect("piped stdout"));
        let stderr_reader = drain(child.stderr.take().expect("piped stderr"));
        Running {
            tool: self.tool,
            cmdline,
            child,
            stdin_writer,
            stdout_reader,
            stderr_reader,
        }
    }
}
