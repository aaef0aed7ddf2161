//! `--verbose` prints on stderr the lines the reference sops logs, in its format:
//! `[AGE]\t time="…" level=info msg="Decryption succeeded"`, one line per master key tried, then
//! `[SOPS]\t … msg="Data key recovered successfully"`; on encryption one
//! `msg="Encryption succeeded"` line per key with its `recipient=` or `fingerprint=`.
//!
//! Checked against the reference with its legacy `-d`/`-e`/`-r` forms (the reference ignores
//! `--verbose` before a subcommand; sops-rs logs there too). The time field is normalised; the
//! reference's `[CMD] … msg="Master keys available:  [0xc…]"` debug line (Go pointers) is not
//! reproduced.

use crate::support as common;

use common::{age_key_path, age_recipient, fixture, Identity, Sandbox, Tool};

const PGP_FP: &str = "CC8CB3591DF8BB3CDE1036B4045E0B7A37651994";

/// The log lines of `stderr`, with the time normalised and the pointer line left out.
fn log_lines(stderr: &[u8]) -> Vec<String> {
    let time = regex::Regex::new(r#"time="[^"]*""#).expect("regex");
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| l.starts_with('['))
        .filter(|l| !l.contains("Master keys available"))
        .map(|l| time.replace(l, r#"time="T""#).into_owned())
        .collect()
}

fn sorted(mut lines: Vec<String>) -> Vec<String> {
    lines.sort();
    lines
}

/// A file encrypted to alice, bob and the PGP test key.
fn encrypted_file(sandbox: &Sandbox) -> String {
    sandbox.import_pgp_key(&fixture("keys/pgp-ed25519.secret.asc"));
    let plain = sandbox.write("plain.yaml", "a: secret\n");
    let recipients = format!(
        "{},{}",
        age_recipient("age-alice"),
        age_recipient("age-bob")
    );
    let out = sandbox.run(
        Tool::SopsRs,
        &[
            "encrypt",
            "--age",
            &recipients,
            "--pgp",
            PGP_FP,
            plain.to_str().expect("utf-8 path"),
        ],
    );
    assert!(out.success(), "{}", out.describe());
    sandbox.write("enc.yaml", out.stdout);
    sandbox.file("enc.yaml").display().to_string()
}

fn both(sandbox: &Sandbox, identity: &Identity, args: &[&str]) -> (Vec<String>, Vec<String>) {
    let run = |tool| {
        let out = sandbox
            .cmd(tool)
            .identity(identity.clone())
            .args(args)
            .run();
        assert!(out.success(), "{}", out.describe());
        log_lines(&out.stderr)
    };
    (run(Tool::Sops), run(Tool::SopsRs))
}

#[test]
fn decrypt_logs_each_age_key_tried_then_the_data_key() {
    let sandbox = Sandbox::new();
    let file = encrypted_file(&sandbox);
    let bob = Identity::AgeKeyFile(age_key_path("age-bob"));
    let (reference, ours) = both(&sandbox, &bob, &["--verbose", "-d", &file]);
    assert_eq!(
        reference,
        [
            "[AGE]\t time=\"T\" level=info msg=\"Decryption failed\"",
            "[AGE]\t time=\"T\" level=info msg=\"Decryption succeeded\"",
            "[SOPS]\t time=\"T\" level=info msg=\"Data key recovered successfully\"",
            "[SOPS]\t time=\"T\" level=debug msg=\"Decrypting tree\"",
        ],
        "the reference logs differently now"
    );
    assert_eq!(ours, reference);
    let (_, subcommand) = both(&sandbox, &bob, &["--verbose", "decrypt", &file]);
    assert_eq!(subcommand, reference);
}

#[test]
fn decrypt_with_pgp_logs_the_fingerprint() {
    let sandbox = Sandbox::new();
    let file = encrypted_file(&sandbox);
    let (reference, ours) = both(&sandbox, &Identity::None, &["--verbose", "-d", &file]);
    let pgp =
        format!("[PGP]\t time=\"T\" level=info msg=\"Decryption succeeded\" fingerprint={PGP_FP}");
    assert!(reference.contains(&pgp), "{reference:?}");
    assert_eq!(ours, reference);
}

#[test]
fn encrypt_and_rotate_log_each_key_wrapped() {
    let sandbox = Sandbox::new();
    let file = encrypted_file(&sandbox);
    let plain = sandbox.file("plain.yaml").display().to_string();
    let recipients = format!(
        "{},{}",
        age_recipient("age-alice"),
        age_recipient("age-bob")
    );
    let args = [
        "--verbose",
        "-e",
        "--age",
        &recipients,
        "--pgp",
        PGP_FP,
        &plain,
    ];
    let (reference, ours) = both(&sandbox, &Identity::None, &args);
    let alice = format!(
        "[AGE]\t time=\"T\" level=info msg=\"Encryption succeeded\" recipient={}",
        age_recipient("age-alice")
    );
    assert!(reference.contains(&alice), "{reference:?}");
    assert_eq!(sorted(ours), sorted(reference));

    let alice_key = Identity::AgeKeyFile(age_key_path("age-alice"));
    let (reference, ours) = both(&sandbox, &alice_key, &["--verbose", "-r", &file]);
    assert_eq!(reference.len(), 6, "{reference:?}");
    // The decryption lines in order, then the three wraps (in any order).
    assert_eq!(ours[..3], reference[..3]);
    assert_eq!(sorted(ours[3..].to_vec()), sorted(reference[3..].to_vec()));
}

#[test]
fn without_verbose_nothing_is_logged() {
    let sandbox = Sandbox::new();
    let file = encrypted_file(&sandbox);
    let out = sandbox.run(Tool::SopsRs, &["decrypt", &file]);
    assert!(out.success() && out.stderr.is_empty(), "{}", out.describe());
}
