//! `ref+` references through the command line: `sops-rs helm --backend vals decrypt FILE`
//! resolves the references of a values file (after decrypting it, if it is encrypted) and
//! prints the result; an unresolvable reference prints nothing on stdout, names the reference
//! and the file on stderr and exits 1. The schemes themselves are tested in
//! `src/refs_tests.rs` and `src/refs_tests_aws.rs`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A value of `tests/data/refs/credentials.yaml`, which is encrypted for age key `alice`.
const SECRET: &str = "s3cr3t-from-sops";

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/refs")
}

fn key(name: &str) -> PathBuf {
    sops_test_support::age_key_path(&format!("age-{name}"))
}

/// Runs `sops-rs ARGS` in `cwd` with only `PATH`, a scratch `HOME` and `TMPDIR`, and `env`;
/// afterwards no file in the scratch directory may hold the secret.
fn sops_rs(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let mut command = Command::new(env!("CARGO_BIN_EXE_sops-rs"));
    command
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", scratch.path())
        .env("TMPDIR", scratch.path())
        .stdin(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("running sops-rs");
    for entry in std::fs::read_dir(scratch.path())
        .expect("the scratch directory")
        .flatten()
    {
        let bytes = std::fs::read(entry.path()).unwrap_or_default();
        assert!(
            !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
            "{} holds the secret",
            entry.path().display()
        );
    }
    output
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const DECRYPT: [&str; 5] = ["helm", "--backend", "vals", "decrypt", "sub/values.yaml"];

#[test]
fn references_in_a_plain_values_file_are_resolved() {
    let alice = key("alice");
    let output = sops_rs(
        &data(),
        &DECRYPT,
        &[("SOPS_AGE_KEY_FILE", alice.to_str().unwrap())],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(out.contains(&format!("password: {SECRET}\n")), "{out}");
    assert!(out.contains("fromParent: from-file\n"), "{out}");
    assert!(!stderr(&output).contains(SECRET));
}

#[test]
fn an_unresolvable_reference_fails_the_run_and_names_it() {
    let (alice, bob) = (key("alice"), key("bob"));
    let (alice, bob) = (alice.to_str().unwrap(), bob.to_str().unwrap());
    let wrong_key = vec![("SOPS_AGE_KEY_FILE", bob)];
    let disallowed = vec![
        ("SOPS_AGE_KEY_FILE", alice),
        ("SOPS_RS_REF_SCHEMES", "file,echo"),
    ];
    for (env, why) in [(wrong_key, "data key"), (disallowed, "not allowed")] {
        let output = sops_rs(&data(), &DECRYPT, &env);
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        assert_eq!(stdout(&output), "", "no document on failure");
        let err = stderr(&output);
        assert!(
            err.contains("ref+sops://../credentials.yaml#/password"),
            "{err}"
        );
        assert!(err.contains("sub/values.yaml"), "{err}");
        assert!(err.contains(why), "{err}");
        assert!(!err.contains(SECRET), "{err}");
    }
}

#[test]
fn references_in_an_encrypted_values_file_are_resolved_after_decryption() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(
        dir.path().join("values.yaml"),
        "token: ref+envsubst://$TOKEN\nport: 1\n",
    )
    .unwrap();
    let alice_public = "age1kqzkxccncjjnlrdyf2lamgdtlxpegqn8su4w4rt8wpnu845pgu6ssnu6xg";
    let encrypted = sops_rs(
        dir.path(),
        &["encrypt", "--age", alice_public, "values.yaml"],
        &[],
    );
    assert!(encrypted.status.success(), "{}", stderr(&encrypted));
    std::fs::write(dir.path().join("secrets.yaml"), &encrypted.stdout).unwrap();
    let alice = key("alice");
    let env = [
        ("SOPS_AGE_KEY_FILE", alice.to_str().unwrap()),
        ("TOKEN", "from-env"),
    ];
    let output = sops_rs(
        dir.path(),
        &["helm", "-b", "vals", "decrypt", "secrets.yaml"],
        &env,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("token: from-env\n"),
        "{}",
        stdout(&output)
    );
}
