//! `sops-rs git merge-driver` and `sops-rs git setup` with real git, in temporary repositories
//! configured by `sops-rs git setup` from a `.sops.yaml` (`^secrets/` for alice's age key).
//! Every merged file is checked by decrypting it with the reference sops.
//!
//! Commands run with a cleared environment, a home inside the test's temporary directory and
//! alice's key from `fixtures/keys` (`SOPS_AGE_KEY_FILE`).

mod edges;
mod merge;
mod plaintext;
mod setup;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const SOPS_RS: &str = env!("CARGO_BIN_EXE_sops-rs");

/// What a command printed, and whether it succeeded.
struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// A temporary git repository with a work tree in `repo/` and a home in `home/`.
struct Repo {
    tmp: tempfile::TempDir,
}

fn alice() -> String {
    sops_test_support::age_recipient("age-alice")
}

fn bob() -> String {
    sops_test_support::age_recipient("age-bob")
}

/// The `.sops.yaml` of the tests: files under `secrets/` for `recipients`.
fn sops_yaml(recipients: &[String]) -> String {
    format!(
        "creation_rules:\n  - path_regex: ^secrets/\n    age: {}\n",
        recipients.join(",")
    )
}

impl Repo {
    /// A repository on branch `main` with `.sops.yaml` for alice, configured by
    /// `sops-rs git setup`, both committed.
    fn new() -> Repo {
        let repo = Repo::bare();
        repo.write(".sops.yaml", &sops_yaml(&[alice()]));
        let setup = repo.sops(&["git", "setup"]);
        assert!(setup.stdout.contains("merge=sops"), "{}", setup.stdout);
        repo.git(&["add", ".sops.yaml", ".gitattributes"]);
        repo.git(&["commit", "-q", "-m", "sops config"]);
        repo
    }

    /// A fresh repository with nothing committed.
    fn bare() -> Repo {
        let tmp = tempfile::Builder::new()
            .prefix("sops-rs-git-")
            .tempdir()
            .expect("create a temporary directory");
        for ancestor in tmp.path().ancestors().skip(1) {
            assert!(
                !ancestor.join(".sops.yaml").exists(),
                "{} has a .sops.yaml that would take part; set TMPDIR elsewhere",
                ancestor.display()
            );
        }
        std::fs::create_dir_all(tmp.path().join("repo/secrets")).expect("create the work tree");
        std::fs::create_dir_all(tmp.path().join("home")).expect("create a home");
        let repo = Repo { tmp };
        repo.git(&["init", "-q", "-b", "main", "."]);
        repo
    }

    fn root(&self) -> PathBuf {
        self.tmp.path().join("repo")
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    fn write(&self, rel: &str, contents: &str) {
        std::fs::write(self.path(rel), contents).expect("write a file");
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).expect("read a file")
    }

    fn command(&self, program: &Path, args: &[&str], key: &str) -> Command {
        let mut cmd =
            crate::support::git_command(program, &self.root(), &self.tmp.path().join("home"));
        cmd.args(args)
            .env("SOPS_AGE_KEY_FILE", sops_test_support::age_key_path(key));
        cmd
    }

    fn run(&self, program: &Path, args: &[&str]) -> Out {
        let out = self
            .command(program, args, "age-alice")
            .output()
            .expect("run a command");
        Out {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn git(&self, args: &[&str]) -> Out {
        let out = self.run(Path::new("git"), args);
        assert!(out.ok, "git {args:?} failed:\n{}{}", out.stdout, out.stderr);
        out
    }

    fn sops(&self, args: &[&str]) -> Out {
        let out = self.run(Path::new(SOPS_RS), args);
        assert!(out.ok, "sops-rs {args:?} failed:\n{}", out.stderr);
        out
    }

    /// `git commit -a` on the current branch.
    fn commit(&self, message: &str) {
        self.git(&["commit", "-q", "-a", "-m", message]);
    }

    /// Decrypts `rel` with the reference sops and `key` (which checks the MAC); panics when
    /// it fails.
    fn reference_decrypt(&self, rel: &str, key: &str, input_type: &str) -> String {
        let mut cmd = sops_test_support::reference_sops_command();
        let home = self.tmp.path().join("home");
        cmd.args([
            "decrypt",
            "--input-type",
            input_type,
            "--output-type",
            "json",
        ])
        .arg(self.path(rel))
        .current_dir(self.root())
        .env("HOME", &home)
        .env("SOPS_AGE_KEY_FILE", sops_test_support::age_key_path(key))
        .env_remove("SOPS_AGE_KEY")
        .stdin(Stdio::null());
        let out = cmd.output().expect("run the reference sops");
        assert!(
            out.status.success(),
            "reference sops cannot decrypt {rel} with {key}:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8")
    }
}

/// The `ENC[…]` values of an encrypted file, the MAC and comments left out.
fn values(encrypted: &str) -> Vec<String> {
    encrypted
        .lines()
        .filter(|l| !l.contains("mac") && !l.trim_start().starts_with(['#', ';']))
        .filter_map(|l| {
            let start = l.find("ENC[")?;
            let end = l[start..].find(']')? + start + 1;
            Some(l[start..end].to_owned())
        })
        .collect()
}
