//! `git diff` of SOPS files through a textconv driver, in temporary git repositories:
//! `.gitattributes` maps `*.enc.yaml` to `diff=sopsdiffer` and `diff.sopsdiffer.textconv` runs
//! `sops-rs diff-textconv`. git appends a path to the command (the work-tree file or a
//! temporary copy of a blob that keeps the file's name), so `sops-rs decrypt` works too as long
//! as both sides decrypt; these tests show where it fails and `diff-textconv` does not.
//!
//! Commands run with a cleared environment and a home inside the test's temporary directory;
//! `SOPS_AGE_KEY_FILE` names alice's key from `fixtures/keys` unless a test removes it.

use std::path::PathBuf;

const SOPS_RS: &str = env!("CARGO_BIN_EXE_sops-rs");
const RECIPIENT: &str = "age1kqzkxccncjjnlrdyf2lamgdtlxpegqn8su4w4rt8wpnu845pgu6ssnu6xg";

struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

struct Repo {
    tmp: tempfile::TempDir,
}

impl Repo {
    /// A repository whose `*.enc.yaml` files diff through `textconv`.
    fn new(textconv: &str) -> Repo {
        let tmp = tempfile::Builder::new()
            .prefix("sops-rs-textconv-")
            .tempdir()
            .expect("create a temporary directory");
        for ancestor in tmp.path().ancestors() {
            assert!(
                !ancestor.join(".sops.yaml").exists(),
                "{} has a .sops.yaml that would take part; set TMPDIR elsewhere",
                ancestor.display()
            );
        }
        std::fs::create_dir_all(tmp.path().join("repo")).expect("create the work tree");
        std::fs::create_dir_all(tmp.path().join("home")).expect("create a home");
        let repo = Repo { tmp };
        repo.git(&["init", "-q", "-b", "main", "."]);
        repo.set_textconv(textconv);
        repo.write(".gitattributes", "*.enc.yaml diff=sopsdiffer\n");
        repo.git(&["add", ".gitattributes"]);
        repo.git(&["commit", "-q", "-m", "attributes"]);
        repo
    }

    fn set_textconv(&self, command: &str) {
        self.git(&["config", "diff.sopsdiffer.textconv", command]);
    }

    fn root(&self) -> PathBuf {
        self.tmp.path().join("repo")
    }

    fn write(&self, rel: &str, contents: &str) {
        std::fs::write(self.root().join(rel), contents).expect("write a file");
    }

    fn run(&self, program: &str, args: &[&str], key: bool) -> Out {
        let mut cmd =
            crate::support::git_command(program, &self.root(), &self.tmp.path().join("home"));
        cmd.args(args);
        if key {
            let key = sops_test_support::age_key_path("age-alice");
            cmd.env("SOPS_AGE_KEY_FILE", key);
        }
        let out = cmd.output().expect("run a command");
        Out {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn git(&self, args: &[&str]) -> Out {
        let out = self.run("git", args, true);
        assert!(out.ok, "git {args:?} failed:\n{}", out.stderr);
        out
    }

    fn sops(&self, args: &[&str]) {
        let out = self.run(SOPS_RS, args, true);
        assert!(out.ok, "sops-rs {args:?} failed:\n{}", out.stderr);
    }
}

fn diff_textconv() -> String {
    format!("{SOPS_RS} diff-textconv")
}

/// Asserts that `diff` shows the password changing from `old-pass` to `new-pass` in plaintext.
fn assert_plaintext_change(diff: &str) {
    assert!(diff.contains("\n-password: old-pass\n"), "{diff}");
    assert!(diff.contains("\n+password: new-pass\n"), "{diff}");
    assert!(diff.contains("\n user: admin\n"), "{diff}");
    assert!(!diff.contains("ENC["), "{diff}");
}

#[test]
fn git_diff_log_and_show_print_plaintext_values() {
    let repo = Repo::new(&diff_textconv());
    repo.write("app.enc.yaml", "user: admin\npassword: old-pass\n");
    repo.sops(&["encrypt", "-i", "--age", RECIPIENT, "app.enc.yaml"]);
    repo.git(&["add", "app.enc.yaml"]);
    repo.git(&["commit", "-q", "-m", "encrypted"]);
    repo.sops(&["set", "app.enc.yaml", r#"["password"]"#, r#""new-pass""#]);

    let diff = repo.git(&["diff"]);
    assert_plaintext_change(&diff.stdout);
    assert_eq!(diff.stderr, "");
    // Without the driver, git shows ciphertext.
    let raw = repo.git(&["diff", "--no-textconv"]).stdout;
    assert!(
        raw.contains("+password: ENC[") && !raw.contains("new-pass"),
        "{raw}"
    );

    repo.git(&["commit", "-q", "-a", "-m", "new password"]);
    assert_plaintext_change(&repo.git(&["log", "-p", "-1"]).stdout);
    assert_plaintext_change(&repo.git(&["show", "HEAD"]).stdout);

    // When both sides are SOPS files, `sops-rs decrypt` works as a textconv command as well.
    repo.set_textconv(&format!("{SOPS_RS} decrypt"));
    assert_plaintext_change(&repo.git(&["show", "HEAD"]).stdout);
}

#[test]
fn a_side_that_is_not_a_sops_file_is_shown_as_it_is() {
    let repo = Repo::new(&diff_textconv());
    repo.write("app.enc.yaml", "user: admin\npassword: old-pass\n");
    repo.git(&["add", "app.enc.yaml"]);
    repo.git(&["commit", "-q", "-m", "committed in plaintext by mistake"]);
    repo.sops(&["encrypt", "-i", "--age", RECIPIENT, "app.enc.yaml"]);
    repo.sops(&["set", "app.enc.yaml", r#"["password"]"#, r#""new-pass""#]);

    let diff = repo.git(&["diff"]);
    assert_plaintext_change(&diff.stdout);
    assert!(
        diff.stderr
            .contains("app.enc.yaml: not a SOPS file; showing the file as it is"),
        "{}",
        diff.stderr
    );

    // `sops-rs decrypt` fails on the plaintext side, and the whole `git diff` with it.
    repo.set_textconv(&format!("{SOPS_RS} decrypt"));
    let out = repo.run("git", &["diff"], true);
    assert!(!out.ok, "{}", out.stdout);
    assert!(
        out.stderr.contains("sops metadata not found"),
        "{}",
        out.stderr
    );
}

#[test]
fn without_a_key_the_encrypted_file_is_shown_as_it_is() {
    let repo = Repo::new(&diff_textconv());
    repo.write("app.enc.yaml", "user: admin\npassword: old-pass\n");
    repo.sops(&["encrypt", "-i", "--age", RECIPIENT, "app.enc.yaml"]);
    repo.git(&["add", "app.enc.yaml"]);
    repo.git(&["commit", "-q", "-m", "encrypted"]);
    repo.sops(&["set", "app.enc.yaml", r#"["password"]"#, r#""new-pass""#]);

    let out = repo.run("git", &["diff"], false);
    assert!(out.ok, "{}", out.stderr);
    assert!(out.stdout.contains("+password: ENC["), "{}", out.stdout);
    assert!(!out.stdout.contains("new-pass"), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("no key at hand can decrypt it; showing the file as it is"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_changed_mac_is_noted_and_the_values_still_shown() {
    let repo = Repo::new(&diff_textconv());
    repo.write(
        "app.enc.yaml",
        "user: admin\npassword: old-pass\nport_unencrypted: 1\n",
    );
    repo.sops(&["encrypt", "-i", "--age", RECIPIENT, "app.enc.yaml"]);
    repo.git(&["add", "app.enc.yaml"]);
    repo.git(&["commit", "-q", "-m", "encrypted"]);
    let path = repo.root().join("app.enc.yaml");
    let text = std::fs::read_to_string(&path).expect("read the file");
    repo.write(
        "app.enc.yaml",
        &text.replacen("port_unencrypted: 1", "port_unencrypted: 2", 1),
    );

    let out = repo.git(&["diff"]);
    assert!(
        out.stdout
            .contains("\n-port_unencrypted: 1\n+port_unencrypted: 2\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("\n password: old-pass\n"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("MAC mismatch"), "{}", out.stderr);
}
