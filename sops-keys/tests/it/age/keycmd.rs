//! `SOPS_AGE_KEY_CMD`: identities from a command's stdout, with `SOPS_AGE_RECIPIENT` set.
#![cfg(unix)]

use super::support::{data, expected, fixture_entry};
use sops_core::KeySource;
use sops_keys::age::AgeKeySource;
use sops_keys::age::IdentityEnv;

fn with_cmd(cmd: String) -> AgeKeySource {
    AgeKeySource::with_env(IdentityEnv::new([("SOPS_AGE_KEY_CMD", cmd)], None))
}

#[test]
fn command_output_is_identity_text() {
    let source = with_cmd(format!("cat '{}'", data("age-alice.txt").display()));
    let key = source
        .unwrap(&fixture_entry("alice.enc.age"))
        .unwrap()
        .unwrap();
    assert_eq!(key.secret_bytes(), &expected("alice.enc.age").bytes[..]);
}

#[test]
fn command_sees_the_recipient_and_runs_once_per_recipient() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("runs.log");
    // Prints bob's identity only when asked for bob's recipient; logs every run.
    let script = format!(
        "echo \"$SOPS_AGE_RECIPIENT\" >> '{log}'; \
         if [ \"$SOPS_AGE_RECIPIENT\" = '{bob}' ]; then cat '{key}'; fi",
        log = log.display(),
        bob = expected("two-recipients-bob.enc.age").recipient,
        key = data("age-bob.txt").display(),
    );
    let source = with_cmd(format!("sh -c \"{}\"", script.replace('"', "\\\"")));

    // Alice's entry: the command prints nothing for her, so no identity fits.
    assert!(source
        .unwrap(&fixture_entry("two-recipients-alice.enc.age"))
        .is_none());
    let bob = fixture_entry("two-recipients-bob.enc.age");
    for _ in 0..3 {
        let key = source.unwrap(&bob).unwrap().unwrap();
        assert_eq!(
            key.secret_bytes(),
            &expected("two-recipients-bob.enc.age").bytes[..]
        );
    }
    let runs = std::fs::read_to_string(&log).unwrap();
    let runs: Vec<&str> = runs.lines().collect();
    assert_eq!(
        runs,
        [
            expected("two-recipients-alice.enc.age").recipient.as_str(),
            expected("two-recipients-bob.enc.age").recipient.as_str()
        ]
    );

    let statuses = source.describe_sources();
    let cmd: Vec<String> = statuses
        .iter()
        .filter(|s| s.location.starts_with("SOPS_AGE_KEY_CMD="))
        .map(|s| s.to_string())
        .collect();
    assert_eq!(cmd.len(), 2, "{cmd:?}");
    assert!(
        cmd.iter().any(|s| s.ends_with("no identities in it")),
        "{cmd:?}"
    );
}

#[test]
fn failing_command_is_reported() {
    let source = with_cmd("sh -c 'exit 3'".to_owned());
    let report = source.no_identity_error().to_string();
    assert!(
        report.contains("SOPS_AGE_KEY_CMD=sh -c 'exit 3': not run yet"),
        "{report}"
    );
    assert!(source.unwrap(&fixture_entry("alice.enc.age")).is_none());
    let report = source.no_identity_error().to_string();
    assert!(
        report.contains("the command failed (exit status: 3)"),
        "{report}"
    );

    let source = with_cmd("/nonexistent/sops-rs-test-cmd".to_owned());
    assert!(source.unwrap(&fixture_entry("alice.enc.age")).is_none());
    let report = source.no_identity_error().to_string();
    assert!(
        report.contains("cannot run `/nonexistent/sops-rs-test-cmd`"),
        "{report}"
    );

    let source = with_cmd("echo 'unterminated".to_owned());
    assert!(source.unwrap(&fixture_entry("alice.enc.age")).is_none());
    let report = source.no_identity_error().to_string();
    assert!(report.contains("closing quote"), "{report}");
}

#[test]
fn command_output_with_bad_lines_is_reported_without_secrets() {
    // The command prints AGE-SECRET-KEY-1XYZ; the command line itself does not contain it.
    let source = with_cmd("sh -c 'echo AGE-SECRET-KEY-1abc | tr abc XYZ'".to_owned());
    assert!(source.unwrap(&fixture_entry("alice.enc.age")).is_none());
    let report = source.no_identity_error().to_string();
    assert!(
        report.contains("line 1: malformed age identity"),
        "{report}"
    );
    assert!(!report.contains("1XYZ"), "{report}");
}
