//! Shared by the pre-commit tests (`precommit::guard`): a temporary
//! git repository with its own home and caches, pre-commit installed, and `repo: local` hooks
//! that run the `sops-rs` under test.
//!
//! pre-commit is found as the `pre_commit` module of `python3` (`pip install pre-commit`); when
//! it is missing every test fails and says so. Commands run with a cleared environment: `HOME`,
//! the XDG directories and `PRE_COMMIT_HOME` point into the test's temporary directory, so
//! pre-commit's cache and git's global config stay there, and `SOPS_AGE_KEY_FILE` names alice's
//! key from `fixtures/keys`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

pub const SOPS_RS: &str = env!("CARGO_BIN_EXE_sops-rs");
pub const RECIPIENT: &str = "age1kqzkxccncjjnlrdyf2lamgdtlxpegqn8su4w4rt8wpnu845pgu6ssnu6xg";

/// The repository (the workspace).
pub fn workspace() -> PathBuf {
    sops_test_support::repo_root()
}

/// The Python interpreter that can import `pre_commit` (its real path, not a pyenv shim).
pub fn pre_commit_python() -> &'static Path {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = PYTHON.get_or_init(|| {
        let out = Command::new("python3")
            .args(["-c", "import sys, pre_commit; print(sys.executable)"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("python3 could not run: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
    });
    match found {
        Ok(python) => python,
        Err(why) => panic!(
            "these tests need the pre-commit framework, and python3 cannot import it ({why}).\n\
             Install it with `python3 -m pip install pre-commit` (see .ci/run)."
        ),
    }
}

/// What a command printed, stdout and stderr together.
pub struct Out {
    pub ok: bool,
    pub text: String,
}

pub fn output(cmd: &mut Command) -> Out {
    let output: Output = cmd.output().expect("run a command");
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Out {
        ok: output.status.success(),
        text,
    }
}

/// A git repository in a temporary directory, with its own home and caches.
pub struct Repo {
    pub tmp: tempfile::TempDir,
}

impl Repo {
    /// A repository with `.sops.yaml` (`{R}` stands for alice's recipient) and a
    /// `.pre-commit-config.yaml` running `sops-rs check`, both committed through the hook.
    pub fn new(sops_yaml: &str) -> Repo {
        let tmp = tempfile::Builder::new()
            .prefix("sops-rs-precommit-")
            .tempdir()
            .expect("create a temporary directory");
        for ancestor in tmp.path().ancestors() {
            assert!(
                !ancestor.join(".sops.yaml").exists(),
                "{} has a .sops.yaml that would take part; set TMPDIR elsewhere",
                ancestor.display()
            );
        }
        for dir in ["repo", "home", "config", "cache", "data"] {
            std::fs::create_dir(tmp.path().join(dir)).expect("create directory");
        }
        let repo = Repo { tmp };
        repo.git(&["init", "-q", "-b", "main", "."]);
        repo.write(".sops.yaml", &sops_yaml.replace("{R}", RECIPIENT));
        repo.write(".pre-commit-config.yaml", &hook_config());
        repo.pre_commit_ok(&["install"]);
        repo.git(&["add", "."]);
        repo.commit("configuration");
        repo
    }

    pub fn root(&self) -> PathBuf {
        self.tmp.path().join("repo")
    }

    pub fn write(&self, rel: &str, contents: &str) {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create directories");
        std::fs::write(&path, contents).expect("write a file");
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.root().join(rel)).expect("read a file")
    }

    /// `program` in the work tree with the sandboxed environment.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let t = self.tmp.path();
        let mut cmd = Command::new(program);
        cmd.current_dir(self.root())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("LANG", "C.UTF-8")
            .env("HOME", t.join("home"))
            .env("XDG_CONFIG_HOME", t.join("config"))
            .env("XDG_CACHE_HOME", t.join("cache"))
            .env("XDG_DATA_HOME", t.join("data"))
            .env("PRE_COMMIT_HOME", t.join("cache/pre-commit"))
            .env("PRE_COMMIT_COLOR", "never")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "test")
            .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
            .env("GIT_COMMITTER_NAME", "test")
            .env("GIT_COMMITTER_EMAIL", "test@example.invalid")
            .env(
                "SOPS_AGE_KEY_FILE",
                workspace().join("fixtures/keys/age-alice.txt"),
            )
            .stdin(Stdio::null());
        cmd
    }

    pub fn run<S: AsRef<OsStr>>(&self, program: impl AsRef<OsStr>, args: &[S]) -> Out {
        output(self.command(program).args(args))
    }

    pub fn git(&self, args: &[&str]) -> Out {
        let out = self.run("git", args);
        assert!(out.ok, "git {args:?} failed:\n{}", out.text);
        out
    }

    pub fn sops(&self, args: &[&str]) -> Out {
        let out = self.run(SOPS_RS, args);
        assert!(out.ok, "sops-rs {args:?} failed:\n{}", out.text);
        out
    }

    pub fn pre_commit(&self, args: &[&str]) -> Out {
        let mut all = vec!["-m", "pre_commit"];
        all.extend_from_slice(args);
        self.run(pre_commit_python(), &all)
    }

    pub fn pre_commit_ok(&self, args: &[&str]) -> Out {
        let out = self.pre_commit(args);
        assert!(out.ok, "pre-commit {args:?} failed:\n{}", out.text);
        out
    }

    /// `git commit`, which runs the installed hook; asserts that it succeeds.
    pub fn commit(&self, message: &str) -> Out {
        let out = self.run("git", &["commit", "-q", "-m", message]);
        assert!(out.ok, "the commit was refused:\n{}", out.text);
        out
    }

    /// `git commit -a` that the hook must refuse.
    pub fn refused_commit(&self) -> Out {
        self.git(&["add", "-A"]);
        let out = self.run("git", &["commit", "-q", "-m", "should be refused"]);
        assert!(!out.ok, "the commit went through:\n{}", out.text);
        out
    }
}

/// `repo: local` hooks running the binary under test; the extra ones run only on demand
/// (`--hook-stage manual`).
fn hook_config() -> String {
    assert!(
        !SOPS_RS.contains([' ', '\'', '"']),
        "unusual binary path {SOPS_RS}"
    );
    let hook =
        |id: &str, args: &str, manual: bool| {
            format!(
            "      - id: {id}\n        name: {id}\n        entry: {SOPS_RS} check{args}\n        \
             language: system\n{}",
            if manual { "        stages: [manual]\n" } else { "" }
        )
        };
    format!(
        "repos:\n  - repo: local\n    hooks:\n{}{}{}",
        hook("sops-rs-check", "", false),
        hook("sops-rs-check-mac", " --verify-mac", true),
        hook("sops-rs-check-json", " --format json", true)
    )
}

pub const RULES: &str = "creation_rules:\n  - path_regex: ^secrets/.*\\.yaml$\n    age: {R}\n  \
     - path_regex: ^k8s/.*\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: {R}\n";
