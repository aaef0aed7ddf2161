//! Every call helm-secrets makes to `sops` (HELM-PATH.md §1.7, from its
//! `scripts/lib/backends/sops.sh`), run against `sops-rs` with the exact argument forms, so that
//! `HELM_SECRETS_SOPS_PATH=sops-rs` works for users who keep helm-secrets:
//!
//! ```text
//! [BACKEND_ARGS] --decrypt --input-type T --output-type T [--output OUT | --in-place] FILE
//! [BACKEND_ARGS] --encrypt --input-type T --output-type T [--output OUT | --in-place] FILE
//! [BACKEND_ARGS] --decrypt --input-type json --output-type json /dev/stdin      (literals)
//! [BACKEND_ARGS] --input-type yaml --output-type yaml FILE                        (edit)
//! ```
//!
//! with T one of yaml, json, binary, and the keys in `SOPS_AGE_KEY_FILE` /
//! `SOPS_AGE_RECIPIENTS`. The encrypted output must keep the `mac: ENC[…,type:str]` line that
//! helm-secrets greps for (`mac.*,type:str]`), and decrypted output is byte-exact.

use super::support::{run, sops_rs, Output, Sandbox, ALICE};
use std::io::Write;
use std::process::{Command, Stdio};

fn sops(s: &Sandbox, args: &[&str]) -> Command {
    let mut c = s.cmd(sops_rs());
    c.args(args).env("SOPS_AGE_RECIPIENTS", ALICE);
    c
}

fn ok(mut c: Command) -> Output {
    let out = run(&mut c);
    assert!(out.ok(), "{}", out.describe());
    out
}

/// helm-secrets' test for "is encrypted".
fn helm_secrets_sees_encrypted(text: &str) -> bool {
    regex::Regex::new(r"mac.*,type:str\]")
        .unwrap()
        .is_match(text)
}

fn read(s: &Sandbox, rel: &str) -> String {
    std::fs::read_to_string(s.chart().join(rel)).unwrap()
}

#[test]
fn decrypt_forms() {
    let s = Sandbox::new();
    let t = ["--decrypt", "--input-type", "yaml", "--output-type", "yaml"];
    let out = ok(sops(&s, &[&t[..], &["credentials.yaml"]].concat()));
    assert_eq!(out.stdout, "password: test\n");
    ok(sops(
        &s,
        &[&t[..], &["--output", "out.yaml", "credentials.yaml"]].concat(),
    ));
    assert_eq!(read(&s, "out.yaml"), "password: test\n");
    std::fs::copy(
        s.chart().join("credentials.yaml"),
        s.chart().join("inplace.yaml"),
    )
    .unwrap();
    ok(sops(
        &s,
        &[&t[..], &["--in-place", "inplace.yaml"]].concat(),
    ));
    assert_eq!(read(&s, "inplace.yaml"), "password: test\n");
    // Harmless backend args before the action (HELM_SECRETS_BACKEND_ARGS).
    let out = ok(sops(
        &s,
        &[
            "--ignore-mac",
            "--decrypt",
            "--input-type",
            "yaml",
            "--output-type",
            "yaml",
            "credentials.yaml",
        ],
    ));
    assert_eq!(out.stdout, "password: test\n");
}

#[test]
fn encrypt_forms_keep_the_mac_line_helm_secrets_greps_for() {
    let s = Sandbox::new();
    s.write("chart/plain.yaml", "password: test\n");
    let t = ["--encrypt", "--input-type", "yaml", "--output-type", "yaml"];
    let out = ok(sops(&s, &[&t[..], &["plain.yaml"]].concat()));
    assert!(helm_secrets_sees_encrypted(&out.stdout), "{}", out.stdout);
    ok(sops(
        &s,
        &[&t[..], &["--output", "enc.yaml", "plain.yaml"]].concat(),
    ));
    assert!(helm_secrets_sees_encrypted(&read(&s, "enc.yaml")));
    ok(sops(&s, &[&t[..], &["--in-place", "plain.yaml"]].concat()));
    assert!(helm_secrets_sees_encrypted(&read(&s, "plain.yaml")));
    let out = ok(sops(
        &s,
        &[
            "--decrypt",
            "--input-type",
            "yaml",
            "--output-type",
            "yaml",
            "plain.yaml",
        ],
    ));
    assert_eq!(out.stdout, "password: test\n");
}

#[test]
fn json_and_binary_types_are_byte_exact() {
    let s = Sandbox::new();
    s.write("chart/data.json", "{\"a\": \"b\"}\n");
    s.write("chart/blob.txt", "line\n\n\n");
    for (file, kind, expected) in [
        ("data.json", "json", "{\n\t\"a\": \"b\"\n}\n"),
        ("blob.txt", "binary", "line\n\n\n"),
    ] {
        let enc = format!("{file}.enc");
        ok(sops(
            &s,
            &[
                "--encrypt",
                "--input-type",
                kind,
                "--output-type",
                kind,
                "--output",
                &enc,
                file,
            ],
        ));
        assert!(helm_secrets_sees_encrypted(&read(&s, &enc)), "{kind}");
        let out = ok(sops(
            &s,
            &[
                "--decrypt",
                "--input-type",
                kind,
                "--output-type",
                kind,
                &enc,
            ],
        ));
        assert_eq!(out.stdout, expected, "{kind}");
    }
}

#[test]
fn literal_from_dev_stdin() {
    let s = Sandbox::new();
    let encrypt = |input: &str| -> String {
        let mut child = sops(
            &s,
            &[
                "--encrypt",
                "--input-type",
                "json",
                "--output-type",
                "json",
                "/dev/stdin",
            ],
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let literal = encrypt(r#"{"k": "v"}"#);
    // printf '%s' "$literal" | sops --decrypt --input-type json --output-type json /dev/stdin
    let mut child = sops(
        &s,
        &[
            "--decrypt",
            "--input-type",
            "json",
            "--output-type",
            "json",
            "/dev/stdin",
        ],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(literal.trim_end().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "{\n\t\"k\": \"v\"\n}\n"
    );
}

#[test]
fn edit_mode_without_an_action_flag() {
    let s = Sandbox::new();
    let editor = s.script("bin/editor", "sed -i 's/test/edited/' \"$1\"\n");
    let mut c = sops(
        &s,
        &[
            "--input-type",
            "yaml",
            "--output-type",
            "yaml",
            "credentials.yaml",
        ],
    );
    c.env("EDITOR", &editor);
    ok(c);
    assert!(helm_secrets_sees_encrypted(&read(&s, "credentials.yaml")));
    let out = ok(sops(
        &s,
        &[
            "--decrypt",
            "--input-type",
            "yaml",
            "--output-type",
            "yaml",
            "credentials.yaml",
        ],
    ));
    assert_eq!(out.stdout, "password: edited\n");
    // SOPS_EDITOR wins over EDITOR; an unchanged file exits 200 as with sops.
    let mut c = sops(
        &s,
        &[
            "--input-type",
            "yaml",
            "--output-type",
            "yaml",
            "credentials.yaml",
        ],
    );
    c.env("EDITOR", &editor).env("SOPS_EDITOR", "true");
    assert_eq!(run(&mut c).code, Some(200));
}
