//! `sops-rs check` run directly (the pre-commit framework is in `precommit::guard`): rule
//! matching, warnings, malformed files, metadata checks, `--verify-mac` without keys or with a
//! corrupted value, the git-tracked default file list, and that no value is ever printed.

use std::path::PathBuf;
use std::process::{Command, Stdio};

const SOPS_RS: &str = env!("CARGO_BIN_EXE_sops-rs");
const RECIPIENT: &str = "age1kqzkxccncjjnlrdyf2lamgdtlxpegqn8su4w4rt8wpnu845pgu6ssnu6xg";

/// A temporary working directory with a cleared environment for `sops-rs`.
struct Dir {
    tmp: tempfile::TempDir,
    key_file: Option<PathBuf>,
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Dir {
    fn new(sops_yaml: Option<&str>) -> Dir {
        let tmp = tempfile::Builder::new()
            .prefix("sops-rs-check-")
            .tempdir()
            .expect("create a temporary directory");
        for ancestor in tmp.path().ancestors() {
            assert!(
                !ancestor.join(".sops.yaml").exists(),
                "{} has a .sops.yaml that would take part; set TMPDIR elsewhere",
                ancestor.display()
            );
        }
        std::fs::create_dir(tmp.path().join(".home")).expect("create a home");
        let key = sops_test_support::age_key_path("age-alice");
        let dir = Dir {
            tmp,
            key_file: Some(key),
        };
        if let Some(config) = sops_yaml {
            dir.write(".sops.yaml", &config.replace("{R}", RECIPIENT));
        }
        dir
    }

    fn write(&self, rel: &str, contents: &str) {
        let path = self.tmp.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create directories");
        std::fs::write(path, contents).expect("write a file");
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.tmp.path().join(rel)).expect("read a file")
    }

    fn run(&self, program: &str, args: &[&str]) -> Out {
        let home = self.tmp.path().join(".home");
        let mut cmd = Command::new(program);
        cmd.args(args)
            .current_dir(self.tmp.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .stdin(Stdio::null());
        if let Some(key) = &self.key_file {
            cmd.env("SOPS_AGE_KEY_FILE", key);
        }
        let out = cmd.output().expect("run a command");
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn sops(&self, args: &[&str]) -> Out {
        self.run(SOPS_RS, args)
    }

    fn encrypt(&self, rel: &str, plaintext: &str) -> String {
        self.write(rel, plaintext);
        let out = self.sops(&["encrypt", "-i", rel]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        self.read(rel)
    }

    /// `check ARGS`, asserting the exit code; returns stdout and stderr together.
    fn check(&self, args: &[&str], code: i32) -> String {
        let out = self.sops(&[&["check"][..], args].concat());
        let all = format!("{}{}", out.stdout, out.stderr);
        assert_eq!(out.code, code, "check {args:?}:\n{all}");
        all
    }
}

const RULES: &str = "creation_rules:\n  - path_regex: ^secrets/\n    age: {R}\n  \
     - path_regex: \\.enc\\.(yaml|json|env)$\n    age: {R}\n  - age: {R}\n";

#[test]
fn several_matching_rules_are_named_and_a_catch_all_rule_guards_nothing() {
    let dir = Dir::new(Some(RULES));
    dir.encrypt("secrets/db.enc.yaml", "password: hunter2\n");
    dir.write("README.md", "# no rule with a path_regex matches this\n");
    let out = dir.check(&["secrets/db.enc.yaml", "README.md", ".sops.yaml"], 0);
    assert!(
        out.contains(
            "warning: secrets/db.enc.yaml: matched by 2 creation rules: #0 (path_regex: \
             ^secrets/), #1 (path_regex: \\.enc\\.(yaml|json|env)$); the first applies"
        ),
        "{out}"
    );
    assert!(
        out.contains("1 file(s) encrypted as the rules require, 2 skipped"),
        "{out}"
    );
    let json = dir.check(&["--format", "json", ".sops.yaml"], 0);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(
        doc["files"][0]["skip_reason"],
        "the sops configuration file"
    );
}

#[test]
fn malformed_files_are_reported_without_quoting_them() {
    let dir = Dir::new(Some(RULES));
    dir.write("secrets/bad.yaml", "a: [1, 2\nb: :\n");
    dir.write("x.enc.json", "{\"password\": \"hunter2\",}");
    dir.write("x.enc.env", "A=1\nhunter2 without an equals sign\n");
    dir.write("secrets/binary.pem", "-----BEGIN hunter2-----\n");
    let files = [
        "secrets/bad.yaml",
        "x.enc.json",
        "x.enc.env",
        "secrets/binary.pem",
    ];
    let out = dir.check(&files, 1);
    assert!(
        out.contains("secrets/bad.yaml: cannot parse as YAML: "),
        "{out}"
    );
    assert!(out.contains("x.enc.json: cannot parse as JSON: "), "{out}");
    assert!(
        out.contains("x.enc.env: cannot parse as dotenv (details withheld"),
        "{out}"
    );
    assert!(
        out.contains("secrets/binary.pem: not encrypted: no sops metadata"),
        "{out}"
    );
    assert!(out.contains("4 of 4 checked file(s) failed"), "{out}");
    assert!(!out.contains("hunter2"), "a value was printed:\n{out}");
}

#[test]
fn nulls_empty_values_and_unencrypted_suffix_pass_but_plaintext_anywhere_else_fails() {
    let dir = Dir::new(Some(RULES));
    let plain = "a: ''\nb: ~\nc:\nd_unencrypted: open\nlist:\n  - x\n  - {k: v}\n";
    let encrypted = dir.encrypt("secrets/a.yaml", plain);
    assert!(encrypted.contains("a: \"\"") && encrypted.contains("d_unencrypted: open"));
    dir.check(&["secrets/a.yaml"], 0);

    let pasted = encrypted.replacen(
        "list:\n",
        "list:\n    - 12\n    - {n: true, t: 2001-12-14}\n",
        1,
    );
    dir.write("secrets/a.yaml", &pasted);
    let out = dir.check(&["secrets/a.yaml"], 1);
    for line in [
        r#"secrets/a.yaml: plaintext int at ["list"][0]"#,
        r#"secrets/a.yaml: plaintext bool at ["list"][1]["n"]"#,
        r#"secrets/a.yaml: plaintext timestamp at ["list"][1]["t"]"#,
    ] {
        assert!(out.contains(line), "{line} is missing:\n{out}");
    }
}

#[test]
fn metadata_must_have_version_mac_and_a_master_key() {
    let dir = Dir::new(Some(RULES));
    let encrypted = dir.encrypt("secrets/a.yaml", "password: hunter2\n");
    let no_version: String = encrypted
        .lines()
        .filter(|l| !l.trim_start().starts_with("version:"))
        .map(|l| format!("{l}\n"))
        .collect();
    dir.write("secrets/a.yaml", &no_version);
    let out = dir.check(&["secrets/a.yaml"], 1);
    assert!(
        out.contains("secrets/a.yaml: sops metadata has no version"),
        "{out}"
    );

    let no_mac = encrypted.replacen("mac: ENC[", "mac_was: ENC[", 1);
    dir.write("secrets/a.yaml", &no_mac);
    let out = dir.check(&["secrets/a.yaml"], 1);
    assert!(
        out.contains("secrets/a.yaml: sops metadata has no mac"),
        "{out}"
    );

    let start = encrypted.find("    age:").expect("an age block");
    let end = encrypted.find("    lastmodified:").expect("lastmodified");
    let no_key = format!("{}{}", &encrypted[..start], &encrypted[end..]);
    dir.write("secrets/a.yaml", &no_key);
    let out = dir.check(&["--format", "json", "secrets/a.yaml"], 1);
    let doc: serde_json::Value =
        serde_json::from_str(out.split("\nsops-rs check:").next().unwrap_or("")).expect("JSON");
    let kind = &doc["files"][0]["problems"][0]["kind"];
    assert!(
        kind == "invalid_metadata" || kind == "no_master_key",
        "{doc}"
    );
}

#[test]
fn verify_mac_without_a_key_warns_and_a_corrupted_value_fails() {
    let mut dir = Dir::new(Some(RULES));
    let encrypted = dir.encrypt("secrets/a.yaml", "password: hunter2\nuser: admin\n");
    let out = dir.check(&["--verify-mac", "secrets/a.yaml"], 0);
    assert!(out.contains("secrets/a.yaml: MAC verified"), "{out}");

    // Swapping two encrypted values keeps them well-formed, but they no longer authenticate.
    let lines: Vec<&str> = encrypted.lines().collect();
    let (p, u) = (
        lines[0].split_once(": ").unwrap().1,
        lines[1].split_once(": ").unwrap().1,
    );
    let swapped = encrypted
        .replacen(p, "@", 1)
        .replacen(u, p, 1)
        .replacen('@', u, 1);
    dir.write("secrets/a.yaml", &swapped);
    dir.check(&["secrets/a.yaml"], 0);
    let out = dir.check(&["--verify-mac", "secrets/a.yaml"], 1);
    assert!(out.contains("secrets/a.yaml: cannot decrypt"), "{out}");

    dir.key_file = None;
    let out = dir.check(&["--verify-mac", "--format", "json", "secrets/a.yaml"], 0);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(doc["files"][0]["mac"], "no_key");
    assert_eq!(doc["files"][0]["warnings"][0]["kind"], "mac_not_verified");
    assert!(!out.contains("hunter2") && !out.contains("admin"));
}

#[test]
fn without_files_the_git_tracked_files_are_checked_and_no_config_is_an_error() {
    let dir = Dir::new(None);
    let out = dir.check(&["whatever.yaml"], 1);
    assert!(out.contains("no .sops.yaml found"), "{out}");

    dir.write(".sops.yaml", &RULES.replace("{R}", RECIPIENT));
    let out = dir.check(&[], 1);
    assert!(out.contains("no FILES given"), "{out}");
    assert_eq!(dir.run("git", &["init", "-q", "."]).code, 0);
    dir.encrypt("secrets/ok.yaml", "a: 1\n");
    dir.write("secrets/plain.yaml", "a: 1\n");
    dir.write("secrets/untracked.yaml", "a: 1\n");
    let add = dir.run(
        "git",
        &["add", ".sops.yaml", "secrets/ok.yaml", "secrets/plain.yaml"],
    );
    assert_eq!(add.code, 0, "{}", add.stderr);
    let out = dir.check(&[], 1);
    assert!(out.contains("secrets/plain.yaml: not encrypted"), "{out}");
    assert!(out.contains("1 of 2 checked file(s) failed"), "{out}");
    assert!(!out.contains("untracked"), "{out}");
}
