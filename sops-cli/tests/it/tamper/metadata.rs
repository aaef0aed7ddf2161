//! Tampering with the `sops` metadata: `lastmodified`, the MAC, the partial-encryption rule,
//! the master keys. Each file is decrypted by the reference sops 3.11.0 and by sops-rs, which
//! must exit the same way (`tamper_support`).
//!
//! What SOPS detects (verified against sops 3.11.0):
//!
//! * `lastmodified` is the MAC's additional data, in Go's `time.RFC3339`: another instant fails
//!   the MAC's authentication (**51**, every store; YAML in tampered.rs), and so does the same
//!   instant with another offset. **The same instant written differently** (fractional seconds
//!   added, `+00:00` for `Z`) formats to the same text and **goes unnoticed**.
//! * The MAC removed or emptied: **51** ("File has no MAC"); another file's MAC: **51**.
//! * `mac_only_encrypted: true` added: the MAC then leaves out plaintext values: **51**.
//!   The rule changed so that a plaintext value must be encrypted: **25**; so that encrypted
//!   values count as plaintext: **51**. **The `unencrypted_suffix` line removed goes
//!   unnoticed**: `_unencrypted` is sops's default.
//! * The age `recipient` is a label, not authenticated: **changed, it goes unnoticed** (the
//!   identity is tried on the stanza). The armored data key damaged: **128**; the key entry
//!   removed: **1** ("No keys found in file").
//! * `version` removed or empty: sops 3.11 refuses it ("Version string empty", exit 1);
//!   sops-rs reads it, a deliberate divergence (`version` is not authenticated and says
//!   nothing about the content; see the last test).

use crate::support;

use super::support::*;
use crate::support::{fixture, read, Sandbox, Tool};

/// The value of the first `key` in an encrypted file's text, up to the end of its line (YAML
/// `key: value`, dotenv `key=value`, INI `key = value`, JSON `"key": "value",`).
fn line_with<'a>(text: &'a str, key: &str) -> &'a str {
    let at = text
        .find(key)
        .unwrap_or_else(|| panic!("{key:?} not found"));
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    &text[start..end]
}

/// `line` with its timestamp's seconds changed (…:29Z -> …:28Z or the other way).
fn other_second(line: &str) -> String {
    let z = line.rfind('Z').expect("a UTC timestamp");
    let digit = line.as_bytes()[z - 1];
    let new = if digit == b'0' { '1' } else { '0' };
    format!("{}{new}{}", &line[..z - 1], &line[z..])
}

// --- lastmodified ----------------------------------------------------------------------------

#[test]
fn changed_lastmodified_is_refused_in_json_dotenv_and_ini() {
    let sandbox = Sandbox::new();
    for (name, text, key) in [
        ("lastmodified.json", json(), "\"lastmodified\""),
        ("lastmodified.env", dotenv(), "sops_lastmodified="),
        ("lastmodified.ini", ini(), "lastmodified "),
    ] {
        let line = line_with(&text, key).to_owned();
        refused(
            &sandbox,
            name,
            &replace_once(&text, &line, &other_second(&line)),
            51,
        );
    }
}

#[test]
fn lastmodified_with_another_offset_is_refused() {
    let sandbox = Sandbox::new();
    let text = yaml();
    let line = line_with(&text, "    lastmodified: ");
    assert_eq!(
        line, "    lastmodified: \"2026-11-24T18:34:29Z\"",
        "fixture changed"
    );
    refused(
        &sandbox,
        "lastmodified-offset.yaml",
        &replace_once(
            &text,
            line,
            "    lastmodified: \"2026-11-24T19:34:29+01:00\"",
        ),
        51,
    );
}

#[test]
fn lastmodified_written_differently_goes_unnoticed() {
    // Harmless: the instant is the same, and so is the MAC's additional data.
    let sandbox = Sandbox::new();
    let text = yaml();
    let line = line_with(&text, "    lastmodified: ");
    for (name, same) in [
        (
            "lastmodified-fraction.yaml",
            "    lastmodified: \"2026-11-24T18:34:29.999Z\"",
        ),
        (
            "lastmodified-plus0.yaml",
            "    lastmodified: \"2026-11-24T18:34:29+00:00\"",
        ),
    ] {
        undetected(&sandbox, name, &replace_once(&text, line, same));
    }
}

// --- the MAC -------------------------------------------------------------------------------

#[test]
fn removed_mac_is_refused_in_json_dotenv_and_ini() {
    // YAML: tampered.rs.
    let sandbox = Sandbox::new();
    refused(
        &sandbox,
        "no-mac.json",
        &delete_line(&json(), "\t\t\"mac\": "),
        51,
    );
    refused(
        &sandbox,
        "no-mac.env",
        &delete_line(&dotenv(), "sops_mac="),
        51,
    );
    let i = ini();
    let mac_line = i
        .lines()
        .find(|l| l.starts_with("mac "))
        .expect("[sops] mac");
    refused(&sandbox, "no-mac.ini", &delete_line(&i, mac_line), 51);
}

#[test]
fn emptied_or_foreign_mac_is_refused() {
    let sandbox = Sandbox::new();
    let text = yaml();
    let mac = enc_after(&text, "    mac: ");
    refused(
        &sandbox,
        "mac-empty.yaml",
        &replace_once(&text, &format!("mac: {mac}"), "mac: \"\""),
        51,
    );
    let foreign = enc_after(&encrypted("yaml-encrypted-suffix.yaml"), "    mac: ");
    refused(
        &sandbox,
        "mac-foreign.yaml",
        &replace_once(&text, &mac, &foreign),
        51,
    );
}

// --- partial-encryption settings -------------------------------------------------------------

#[test]
fn partial_encryption_settings_changed_are_refused() {
    let sandbox = Sandbox::new();
    let text = yaml();
    refused(
        &sandbox,
        "mac-only-encrypted.yaml",
        &replace_once(
            &text,
            "    unencrypted_suffix",
            "    mac_only_encrypted: true\n    unencrypted_suffix",
        ),
        51,
    );
    // `password_unencrypted` must now be encrypted, and is not.
    refused(
        &sandbox,
        "suffix-changed.yaml",
        &replace_once(
            &text,
            "unencrypted_suffix: _unencrypted",
            "unencrypted_suffix: _nothing",
        ),
        25,
    );
    // Nothing is encrypted any more: the ENC strings are hashed as plaintext.
    refused(
        &sandbox,
        "regex-instead.yaml",
        &replace_once(
            &text,
            "unencrypted_suffix: _unencrypted",
            "encrypted_regex: ^nothing$",
        ),
        51,
    );
}

#[test]
fn removed_default_suffix_goes_unnoticed() {
    let sandbox = Sandbox::new();
    undetected(
        &sandbox,
        "no-suffix.yaml",
        &delete_line(&yaml(), "    unencrypted_suffix: _unencrypted"),
    );
}

// --- master keys ---------------------------------------------------------------------------

#[test]
fn changed_age_recipient_goes_unnoticed() {
    // The recipient names the key for people; the identity is tried on the stanza itself.
    let sandbox = Sandbox::new();
    let bob = support::age_recipient("age-bob");
    let alice = support::age_recipient("age-alice");
    undetected(
        &sandbox,
        "recipient.yaml",
        &replace_once(
            &yaml(),
            &format!("recipient: {alice}"),
            &format!("recipient: {bob}"),
        ),
    );
}

#[test]
fn damaged_or_removed_data_key_is_refused() {
    let sandbox = Sandbox::new();
    let text = yaml();
    // Change one character of the armored age file's second line (the X25519 stanza).
    let begin = text.find("-----BEGIN AGE ENCRYPTED FILE-----\n").unwrap();
    let line_start = text[begin..].find('\n').unwrap() + begin + 1;
    let indent = text[line_start..].len() - text[line_start..].trim_start().len();
    let at = line_start + indent + 20;
    let old = text.as_bytes()[at];
    let new = if old == b'A' { 'B' } else { 'A' };
    let damaged = format!("{}{new}{}", &text[..at], &text[at + 1..]);
    refused(&sandbox, "age-damaged.yaml", &damaged, 128);
    // The whole age list removed.
    let start = text.find("    age:\n").unwrap();
    let end = text.find("    lastmodified:").unwrap();
    let removed = format!("{}{}", &text[..start], &text[end..]);
    let out = refused(&sandbox, "age-removed.yaml", &removed, 1);
    assert!(
        out.stderr_text().contains("No keys found"),
        "{}",
        out.describe()
    );
}

/// Deliberate divergence (issue 2: "always write `version`, accept it missing"): sops 3.11
/// refuses a file without `version` (exit 1, "Version string empty"); sops-rs decrypts it, since
/// `version` is not authenticated and says nothing about the content.
#[test]
fn removed_version_is_read_by_sops_rs_and_refused_by_sops() {
    let sandbox = Sandbox::new();
    let file = sandbox.write(
        "no-version.yaml",
        delete_line(&yaml(), "    version: 3.11.0"),
    );
    let theirs = sandbox.cmd(Tool::Sops).arg("decrypt").arg(&file).run();
    assert_eq!(theirs.code, Some(1), "sops: {}", theirs.describe());
    let ours = sandbox
        .cmd(Tool::SopsRs)
        .arg("decrypt")
        .arg(&file)
        .run()
        .expect_success();
    let expected = read(&fixture("sops-3.11.0/yaml-age.plain.yaml"));
    support::assert_same_bytes("sops-rs decrypt without version", &expected, &ours.stdout);
}
