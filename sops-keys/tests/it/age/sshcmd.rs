//! `SOPS_AGE_SSH_PRIVATE_KEY_CMD` (sops 3.12+, getsops/sops#2070): one SSH private key from a
//! command's stdout, run once per recipient with `SOPS_AGE_RECIPIENT` set. The reference sops
//! predates it, so these tests follow sops 3.13's code and README: the output is one key, a
//! passphrase-protected key is refused (never prompted for), a failing command is reported.
#![cfg(unix)]

use super::support::{data, expected, fixture_entry};
use sops_core::KeySource;
use sops_keys::age::{AgeKeySource, IdentityEnv, SourceState};

fn with_ssh_cmd(cmd: String) -> AgeKeySource {
    AgeKeySource::with_env(IdentityEnv::new(
        [("SOPS_AGE_SSH_PRIVATE_KEY_CMD", cmd)],
        None,
    ))
}

#[test]
fn command_output_is_an_ssh_private_key() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("runs.log");
    let script = format!(
        "echo \"$SOPS_AGE_RECIPIENT\" >> '{}'; cat '{}'",
        log.display(),
        data("ssh-ed25519").display()
    );
    let source = with_ssh_cmd(format!("sh -c \"{}\"", script.replace('"', "\\\"")));
    let entry = fixture_entry("ssh-ed25519.enc.age");
    for _ in 0..2 {
        let key = source.unwrap(&entry).unwrap().unwrap();
        assert_eq!(
            key.secret_bytes(),
            &expected("ssh-ed25519.enc.age").bytes[..]
        );
    }
    let runs = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        runs.lines().collect::<Vec<_>>(),
        [expected("ssh-ed25519.enc.age").recipient.as_str()],
        "one run per recipient, with SOPS_AGE_RECIPIENT set"
    );
    let statuses = source.describe_sources();
    let at = statuses
        .iter()
        .position(|s| s.location.starts_with("SOPS_AGE_SSH_PRIVATE_KEY_CMD="))
        .expect("a status for the command");
    assert_eq!(at, 1, "it comes right after SOPS_AGE_SSH_PRIVATE_KEY_FILE");
    assert!(matches!(statuses[at].state, SourceState::Loaded(_)));
}

#[test]
fn unset_and_not_yet_run_are_reported_in_place() {
    let statuses = AgeKeySource::with_env(IdentityEnv::empty()).describe_sources();
    assert_eq!(statuses[1].location, "SOPS_AGE_SSH_PRIVATE_KEY_CMD");
    assert_eq!(statuses[1].state, SourceState::NotSet);
    let statuses = with_ssh_cmd("true".to_owned()).describe_sources();
    assert_eq!(statuses[1].state, SourceState::NotRunYet);
}

#[test]
fn bad_output_is_reported_without_the_key() {
    // A passphrase-protected key: refused, named by its public key only.
    let source = with_ssh_cmd(format!("cat '{}'", data("ssh-ed25519-encrypted").display()));
    assert!(source
        .unwrap(&fixture_entry("ssh-ed25519.enc.age"))
        .is_none());
    let report = source.no_identity_error().to_string();
    assert!(
        report.contains("passphrase-protected SSH key (ssh-ed25519 AAAA"),
        "{report}"
    );
    assert!(!report.contains("PRIVATE KEY"), "{report}");

    // Identity text is not an SSH key.
    let source = with_ssh_cmd(format!("cat '{}'", data("age-alice.txt").display()));
    assert!(source.unwrap(&fixture_entry("alice.enc.age")).is_none());
    let report = source.no_identity_error().to_string();
    assert!(
        report.contains("in the command's output, not a usable SSH private key"),
        "{report}"
    );
    assert!(!report.contains("AGE-SECRET-KEY"), "{report}");

    // A failing command.
    let source = with_ssh_cmd("sh -c 'exit 4'".to_owned());
    assert!(source
        .unwrap(&fixture_entry("ssh-ed25519.enc.age"))
        .is_none());
    let report = source.no_identity_error().to_string();
    assert!(
        report.contains("the command failed (exit status: 4)"),
        "{report}"
    );
}

#[test]
fn both_commands_run_for_each_recipient() {
    let dir = tempfile::tempdir().unwrap();
    let env = IdentityEnv::new(
        [
            (
                "SOPS_AGE_SSH_PRIVATE_KEY_CMD",
                format!("cat '{}'", data("ssh-ed25519").display()),
            ),
            (
                "SOPS_AGE_KEY_CMD",
                format!("cat '{}'", data("age-alice.txt").display()),
            ),
        ],
        Some(dir.path().to_owned()),
    );
    let source = AgeKeySource::with_env(env);
    for file in ["ssh-ed25519.enc.age", "alice.enc.age"] {
        let key = source.unwrap(&fixture_entry(file)).unwrap().unwrap();
        assert_eq!(key.secret_bytes(), &expected(file).bytes[..], "{file}");
    }
}
