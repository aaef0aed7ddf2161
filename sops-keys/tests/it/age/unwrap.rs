//! Unwrapping data keys that real sops 3.11 wrote, and identity discovery.

use super::support;

use super::support::{data, expected, fixture_entry, read};
use sops_core::KeySource;
use sops_keys::age::AgeKeySource;
use sops_keys::age::{IdentityEnv, SourceState};

/// Unwraps fixture `file` with an environment where `SOPS_AGE_KEY_FILE` (or, for SSH keys,
/// `SOPS_AGE_SSH_PRIVATE_KEY_FILE`) names its identity, and compares with `age -d`'s output.
fn check_fixture(file: &str) {
    let want = expected(file);
    let var = if want.identity.starts_with("ssh-") {
        "SOPS_AGE_SSH_PRIVATE_KEY_FILE"
    } else {
        "SOPS_AGE_KEY_FILE"
    };
    let home = tempfile::tempdir().unwrap();
    let env = IdentityEnv::new(
        [(var, data(&want.identity).display().to_string())],
        Some(home.path().to_owned()),
    );
    let source = AgeKeySource::with_env(env);
    let key = source
        .unwrap(&fixture_entry(file))
        .unwrap_or_else(|| panic!("{file}: no identity fits; {}", source.no_identity_error()))
        .unwrap();
    assert_eq!(key.secret_bytes(), &want.bytes[..], "{file}");
}

#[test]
fn unwraps_single_age_recipient() {
    check_fixture("alice.enc.age");
}

#[test]
fn unwraps_bobs_entry_of_two_recipients() {
    check_fixture("two-recipients-bob.enc.age");
    check_fixture("two-recipients-alice.enc.age");
}

#[test]
fn unwraps_ssh_ed25519_recipient() {
    check_fixture("ssh-ed25519.enc.age");
}

#[test]
fn unwraps_33_byte_shamir_share() {
    check_fixture("shamir-share1-alice.enc.age");
    assert_eq!(expected("shamir-share1-alice.enc.age").bytes.len(), 33);
}

#[test]
fn identity_text_and_sops_age_key() {
    let want = expected("two-recipients-bob.enc.age");
    let text = format!(
        "# comment\n\n{}\n{}",
        read("age-alice.txt"),
        read("age-bob.txt")
    );
    let source = AgeKeySource::from_identity_text(&text).unwrap();
    let key = source.unwrap(&fixture_entry(&want.file)).unwrap().unwrap();
    assert_eq!(key.secret_bytes(), &want.bytes[..]);

    let env = IdentityEnv::new([("SOPS_AGE_KEY", text)], None);
    let source = AgeKeySource::with_env(env);
    let key = source.unwrap(&fixture_entry(&want.file)).unwrap().unwrap();
    assert_eq!(key.secret_bytes(), &want.bytes[..]);
    let status = source
        .describe_sources()
        .into_iter()
        .find(|s| s.location == "SOPS_AGE_KEY")
        .unwrap();
    assert_eq!(status.identity_count(), 2);
}

#[test]
fn default_locations_in_home() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join(".config/sops/age");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::copy(data("age-alice.txt"), config.join("keys.txt")).unwrap();
    std::fs::create_dir_all(home.path().join(".ssh")).unwrap();
    std::fs::copy(data("ssh-ed25519"), home.path().join(".ssh/id_ed25519")).unwrap();

    let env = IdentityEnv::new(Vec::<(String, String)>::new(), Some(home.path().to_owned()));
    let source = AgeKeySource::with_env(env);
    for file in ["alice.enc.age", "ssh-ed25519.enc.age"] {
        let key = source.unwrap(&fixture_entry(file)).unwrap().unwrap();
        assert_eq!(key.secret_bytes(), &expected(file).bytes[..], "{file}");
    }
}

#[test]
fn xdg_config_home_wins_over_home() {
    let home = tempfile::tempdir().unwrap();
    let xdg = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(xdg.path().join("sops/age")).unwrap();
    std::fs::copy(data("age-bob.txt"), xdg.path().join("sops/age/keys.txt")).unwrap();
    let env = IdentityEnv::empty()
        .with_home(Some(home.path().to_owned()))
        .with_var("XDG_CONFIG_HOME", xdg.path().display().to_string());
    let source = AgeKeySource::with_env(env);
    let file = "two-recipients-bob.enc.age";
    let key = source.unwrap(&fixture_entry(file)).unwrap().unwrap();
    assert_eq!(key.secret_bytes(), &expected(file).bytes[..]);
}

#[test]
fn identities_are_loaded_once() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.txt");
    std::fs::copy(data("age-alice.txt"), &keys).unwrap();
    let env = IdentityEnv::new([("SOPS_AGE_KEY_FILE", keys.display().to_string())], None);
    let source = AgeKeySource::with_env(env);
    assert!(source
        .unwrap(&fixture_entry("alice.enc.age"))
        .unwrap()
        .is_ok());
    std::fs::remove_file(&keys).unwrap();
    // Still opens: the file was read on first use only.
    assert!(source
        .unwrap(&fixture_entry("shamir-share1-alice.enc.age"))
        .unwrap()
        .is_ok());
}

#[test]
fn wrong_identity_gives_none_and_a_report() {
    let home = tempfile::tempdir().unwrap();
    let missing = home.path().join("nope.txt");
    let env = IdentityEnv::new(
        [
            (
                "SOPS_AGE_KEY_FILE",
                data("age-carol.txt").display().to_string(),
            ),
            (
                "SOPS_AGE_SSH_PRIVATE_KEY_FILE",
                missing.display().to_string(),
            ),
            ("SOPS_AGE_KEY", "not-a-key".to_owned()),
        ],
        Some(home.path().to_owned()),
    );
    let source = AgeKeySource::with_env(env);
    assert!(source.unwrap(&fixture_entry("alice.enc.age")).is_none());
    assert!(source
        .unwrap(&fixture_entry("ssh-ed25519.enc.age"))
        .is_none());

    let message = source.no_identity_error().to_string();
    let home = home.path().display();
    for needle in [
        "age1kqzkxccncjjnlrdyf2lamgdtlxpegqn8su4w4rt8wpnu845pgu6ssnu6xg".to_owned(),
        format!("SOPS_AGE_SSH_PRIVATE_KEY_FILE={}: file not found", missing.display()),
        format!("{home}/.ssh/id_ed25519: file not found"),
        format!("{home}/.ssh/id_rsa: file not found"),
        "SOPS_AGE_KEY: line 1: unknown identity type".to_owned(),
        format!(
            "SOPS_AGE_KEY_FILE={}: 1 identity for age1swanvl84jaqsmgnne6dav736pkc9pl5ffj8205h58zrrwr2mf57qk36qc9",
            data("age-carol.txt").display()
        ),
        "SOPS_AGE_KEY_CMD: not set".to_owned(),
        format!("{home}/.config/sops/age/keys.txt: file not found"),
    ] {
        assert!(message.contains(&needle), "missing {needle:?} in:\n{message}");
    }
    assert!(!message.contains("AGE-SECRET-KEY"), "{message}");
    assert_eq!(source.describe_sources().len(), 8);
}

#[test]
fn no_sources_at_all() {
    let source = AgeKeySource::with_env(IdentityEnv::empty());
    assert!(source.unwrap(&fixture_entry("alice.enc.age")).is_none());
    let statuses = source.describe_sources();
    assert!(statuses.iter().all(|s| s.identity_count() == 0));
    assert_eq!(statuses[0].state, SourceState::NotSet);
}

#[test]
fn passphrase_protected_ssh_key_is_reported_not_prompted() {
    let env = IdentityEnv::new(
        [(
            "SOPS_AGE_SSH_PRIVATE_KEY_FILE",
            data("ssh-ed25519-encrypted").display().to_string(),
        )],
        None,
    );
    let source = AgeKeySource::with_env(env);
    assert!(source
        .unwrap(&fixture_entry("ssh-ed25519.enc.age"))
        .is_none());
    let message = source.no_identity_error().to_string();
    assert!(
        message.contains("passphrase-protected SSH key (ssh-ed25519 AAAA"),
        "{message}"
    );
    assert!(message.contains("does not prompt"), "{message}");
}

#[test]
fn invalid_identity_text_is_rejected_without_quoting_it() {
    let secret = "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ";
    let err = AgeKeySource::from_identity_text(secret)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("line 1: malformed age identity"), "{err}");
    assert!(!err.contains("QQQQ"), "{err}");
    let err = AgeKeySource::from_identity_text("AGE-PLUGIN-YUBIKEY-1XYZ")
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .contains("line 1: malformed age plugin identity"),
        "{err}"
    );
}

#[test]
fn corrupt_enc_is_an_error_not_none() {
    let source = AgeKeySource::from_identity_text(&read("age-alice.txt")).unwrap();
    let mut enc = read("alice.enc.age");
    enc.insert_str(40, "!!!!");
    let entry = support::entry(&expected("alice.enc.age").recipient, Some(&enc));
    assert!(matches!(source.unwrap(&entry), Some(Err(_))));
    let entry = support::entry(&expected("alice.enc.age").recipient, None);
    assert!(matches!(source.unwrap(&entry), Some(Err(_))));
}
