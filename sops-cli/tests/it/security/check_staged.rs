//! `sops-rs check --staged` (issue 15, item 9): the check reads what the git index holds, so a
//! raw git pre-commit hook refuses a commit whose index has plaintext even when the work tree
//! is encrypted (and the other way round).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const SOPS_RS: &str = env!("CARGO_BIN_EXE_sops-rs");
const RECIPIENT: &str = "age1kqzkxccncjjnlrdyf2lamgdtlxpegqn8su4w4rt8wpnu845pgu6ssnu6xg";
const PLAIN: &str = "password: s3cr3t\n";

fn sops_rs() -> PathBuf {
    match std::env::var_os("SOPS_RS_TEST_BIN") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(SOPS_RS),
    }
}

struct Repo {
    tmp: tempfile::TempDir,
}

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Repo {
    fn new() -> Repo {
        let tmp = tempfile::Builder::new()
            .prefix("sops-rs-staged-")
            .tempdir()
            .unwrap();
        for ancestor in tmp.path().ancestors() {
            assert!(
                !ancestor.join(".sops.yaml").exists(),
                "{} has a .sops.yaml that would take part; set TMPDIR elsewhere",
                ancestor.display()
            );
        }
        let repo = Repo { tmp };
        std::fs::create_dir(repo.path().join(".home")).unwrap();
        std::fs::create_dir(repo.path().join("secrets")).unwrap();
        repo.write(
            ".sops.yaml",
            &format!("creation_rules:\n  - path_regex: ^secrets/\n    age: {RECIPIENT}\n"),
        );
        repo.git(&["init", "-q"]);
        repo
    }

    fn path(&self) -> &Path {
        self.tmp.path()
    }

    fn write(&self, rel: &str, content: &str) {
        std::fs::write(self.path().join(rel), content).unwrap();
    }

    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let key = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/keys/age-alice.txt");
        let mut c = Command::new(program);
        c.current_dir(self.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path().join(".home"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .env("SOPS_AGE_KEY_FILE", key)
            .env("SOPS_DISABLE_VERSION_CHECK", "1")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, mut c: Command) -> Out {
        let out = c.output().unwrap();
        Out {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn git(&self, args: &[&str]) -> Out {
        let mut c = self.command("git");
        c.args(args);
        let out = self.run(c);
        assert_eq!(out.code, Some(0), "git {args:?}: {}", out.stderr);
        out
    }

    fn sops_rs(&self, args: &[&str]) -> Out {
        let mut c = self.command(sops_rs());
        c.args(args);
        self.run(c)
    }

    fn encrypt_in_place(&self, rel: &str) {
        let out = self.sops_rs(&["encrypt", "-i", rel]);
        assert_eq!(out.code, Some(0), "{}", out.stderr);
    }
}

#[test]
fn staged_plaintext_fails_although_the_work_tree_is_encrypted() {
    let repo = Repo::new();
    repo.write("secrets/a.yaml", PLAIN);
    repo.git(&["add", ".sops.yaml", "secrets/a.yaml"]);
    repo.encrypt_in_place("secrets/a.yaml");
    let work_tree = repo.sops_rs(&["check"]);
    assert_eq!(
        work_tree.code,
        Some(0),
        "{}{}",
        work_tree.stdout,
        work_tree.stderr
    );
    let staged = repo.sops_rs(&["check", "--staged"]);
    assert_eq!(staged.code, Some(1), "{}{}", staged.stdout, staged.stderr);
    let all = format!("{}{}", staged.stdout, staged.stderr);
    assert!(all.contains("secrets/a.yaml: not encrypted"), "{all}");
    assert!(!all.contains("s3cr3t"), "a value was printed: {all}");
    // Pathspecs narrow the check.
    let named = repo.sops_rs(&["check", "--staged", "secrets/a.yaml"]);
    assert_eq!(named.code, Some(1), "{}{}", named.stdout, named.stderr);
}

#[test]
fn staged_ciphertext_passes_although_the_work_tree_is_plaintext() {
    let repo = Repo::new();
    repo.write("secrets/a.yaml", PLAIN);
    repo.encrypt_in_place("secrets/a.yaml");
    repo.git(&["add", ".sops.yaml", "secrets/a.yaml"]);
    repo.write("secrets/a.yaml", PLAIN);
    let staged = repo.sops_rs(&["check", "--staged"]);
    assert_eq!(staged.code, Some(0), "{}{}", staged.stdout, staged.stderr);
    let work_tree = repo.sops_rs(&["check"]);
    assert_eq!(
        work_tree.code,
        Some(1),
        "{}{}",
        work_tree.stdout,
        work_tree.stderr
    );
    // A file only in the work tree is not part of the commit.
    repo.write("secrets/untracked.yaml", PLAIN);
    let staged = repo.sops_rs(&["check", "--staged", "--format", "json"]);
    assert_eq!(staged.code, Some(0), "{}{}", staged.stdout, staged.stderr);
    assert!(!staged.stdout.contains("untracked"), "{}", staged.stdout);
}

#[test]
fn a_raw_pre_commit_hook_refuses_staged_plaintext() {
    let repo = Repo::new();
    let hook = repo.path().join(".git/hooks/pre-commit");
    std::fs::write(
        &hook,
        format!("#!/bin/sh\nexec '{}' check --staged\n", sops_rs().display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    repo.write("secrets/a.yaml", PLAIN);
    repo.git(&["add", ".sops.yaml", "secrets/a.yaml"]);
    repo.encrypt_in_place("secrets/a.yaml");
    let mut c = repo.command("git");
    c.args(["commit", "-q", "-m", "plaintext in the index"]);
    let out = repo.run(c);
    assert_ne!(out.code, Some(0), "the commit went through: {}", out.stderr);
    assert!(out.stderr.contains("secrets/a.yaml"), "{}", out.stderr);
    repo.git(&["add", "secrets/a.yaml"]);
    repo.git(&["commit", "-q", "-m", "encrypted"]);
}

#[test]
fn symlinks_in_the_index_are_skipped_and_outside_git_it_fails() {
    let repo = Repo::new();
    repo.write("secrets/a.yaml", PLAIN);
    repo.encrypt_in_place("secrets/a.yaml");
    std::os::unix::fs::symlink("a.yaml", repo.path().join("secrets/link.yaml")).unwrap();
    repo.git(&["add", "."]);
    let staged = repo.sops_rs(&["check", "--staged", "--format", "json"]);
    assert_eq!(staged.code, Some(0), "{}{}", staged.stdout, staged.stderr);
    assert!(
        staged.stdout.contains("a symbolic link in the git index"),
        "{}",
        staged.stdout
    );
    std::fs::remove_dir_all(repo.path().join(".git")).unwrap();
    let outside = repo.sops_rs(&["check", "--staged"]);
    assert_eq!(outside.code, Some(1));
    assert!(
        outside.stderr.contains("not a git work tree"),
        "{}",
        outside.stderr
    );
}
