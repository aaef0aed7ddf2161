//! Files that must not decrypt and inputs that sops refuses: sops-rs must refuse them the same
//! way as the reference sops 3.11.0, with the same exit code and nothing on stdout (no partial
//! plaintext).
//!
//! Each test runs both programs on the same input. It first checks that sops still exits with
//! the code written in the test, then that sops-rs exits with sops's code and prints what sops
//! prints. What sops 3.11.0 does, as verified while writing these tests:
//!
//! * `yaml-tampered-mac.yaml` (the ciphertexts of `app.name` and `app.database.host` swapped):
//!   exit **25**, "Error decrypting tree: … cipher: message authentication failed". The value's
//!   AAD (its key path) fails before the MAC is looked at, so `--ignore-mac` also exits **25**.
//! * One base64 character of a value's ciphertext changed: **25**, also with `--ignore-mac`.
//! * One character of the encrypted `mac` (data or tag) changed: **51** "Cannot decrypt MAC"
//!   (not 24, although `cmd/sops/codes` has 24 for "error decrypting MAC"); `--ignore-mac` then
//!   decrypts (0).
//! * `lastmodified` changed: **51** (it is the MAC's AAD, so the MAC no longer decrypts).
//! * `mac` removed: **51** "MAC mismatch. File has no MAC" (not 52).
//! * An unencrypted value changed: **51** "MAC mismatch"; `--ignore-mac` prints the changed
//!   value (0).
//! * The `type:` of an encrypted value changed from `int` to `str`: **not detected** (the type
//!   is not authenticated): exit 0 and the value comes out as the string `"3"`.
//! * A plaintext file: **1**, "sops metadata not found" (YAML and JSON).
//! * Encrypting an encrypted file: **203** (YAML and JSON).
//! * The wrong age key, no key at all, or one key of a 2-of-3 Shamir file: **128**.
//! * Invalid YAML or JSON: `encrypt` **2** ("Error unmarshalling file"), `decrypt` **1**
//!   ("Error unmarshalling input yaml/json").

use crate::support::{
    age_key_path, age_recipient, assert_parity, fixture, read, Identity, Output, Sandbox,
};

/// The reference file most tests tamper with: alice's key, YAML.
fn yaml_age() -> String {
    String::from_utf8(read(&fixture("sops-3.11.0/yaml-age.yaml"))).expect("UTF-8")
}

/// `text` with the character right after the first occurrence of `marker` replaced by another
/// base64 character.
fn flip_after(text: &str, marker: &str) -> String {
    let at = text
        .find(marker)
        .unwrap_or_else(|| panic!("{marker:?} not found"))
        + marker.len();
    let old = &text[at..at + 1];
    let new = if old == "A" { "B" } else { "A" };
    format!("{}{new}{}", &text[..at], &text[at + 1..])
}

/// `text` with `from` (which must occur) replaced once by `to`.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} not found in the fixture");
    text.replacen(from, to, 1)
}

fn assert_stdout_empty(out: &Output) {
    assert!(
        out.stdout.is_empty(),
        "a refused file must print nothing on stdout: {}",
        out.describe()
    );
}

#[test]
fn tampered_mac_fixture_is_refused_like_sops() {
    let sandbox = Sandbox::new();
    let file = fixture("sops-3.11.0/yaml-tampered-mac.yaml");
    let file = file.to_str().unwrap();
    let (_, ours) = assert_parity(&sandbox, &["decrypt", file], 25);
    assert_stdout_empty(&ours);
    let (_, ours) = assert_parity(&sandbox, &["decrypt", "--ignore-mac", file], 25);
    assert_stdout_empty(&ours);
}

#[test]
fn changed_value_ciphertext_is_refused_like_sops() {
    let sandbox = Sandbox::new();
    let file = sandbox.write(
        "value-flipped.yaml",
        flip_after(&yaml_age(), "    name: ENC[AES256_GCM,data:"),
    );
    let file = file.to_str().unwrap();
    assert_parity(&sandbox, &["decrypt", file], 25);
    assert_parity(&sandbox, &["decrypt", "--ignore-mac", file], 25);
}

#[test]
fn flipped_byte_in_mac_is_refused_like_sops() {
    let sandbox = Sandbox::new();
    let file = sandbox.write(
        "mac-flipped.yaml",
        flip_after(&yaml_age(), "    mac: ENC[AES256_GCM,data:"),
    );
    let file = file.to_str().unwrap();
    let (_, ours) = assert_parity(&sandbox, &["decrypt", file], 51);
    assert_stdout_empty(&ours);
    // With --ignore-mac the values still decrypt: stdout must equal sops's.
    assert_parity(&sandbox, &["decrypt", "--ignore-mac", file], 0);
}

#[test]
fn flipped_byte_in_mac_tag_is_refused_like_sops() {
    let text = yaml_age();
    let mac_at = text.find("    mac: ENC[").expect("mac line");
    let tampered = format!(
        "{}{}",
        &text[..mac_at],
        flip_after(&text[mac_at..], ",tag:")
    );
    let sandbox = Sandbox::new();
    let file = sandbox.write("mac-tag-flipped.yaml", tampered);
    let file = file.to_str().unwrap();
    assert_parity(&sandbox, &["decrypt", file], 51);
    assert_parity(&sandbox, &["decrypt", "--ignore-mac", file], 0);
}

#[test]
fn changed_lastmodified_is_refused_like_sops() {
    let sandbox = Sandbox::new();
    let file = sandbox.write(
        "lastmodified.yaml",
        replace_once(
            &yaml_age(),
            "lastmodified: \"2026-11-24T18:34:29Z\"",
            "lastmodified: \"2026-11-24T18:34:30Z\"",
        ),
    );
    let file = file.to_str().unwrap();
    assert_parity(&sandbox, &["decrypt", file], 51);
    assert_parity(&sandbox, &["decrypt", "--ignore-mac", file], 0);
}

#[test]
fn missing_mac_is_refused_like_sops() {
    let text = yaml_age();
    let start = text.find("    mac: ENC[").expect("mac line");
    let end = start + text[start..].find('\n').expect("end of mac line") + 1;
    let sandbox = Sandbox::new();
    let file = sandbox.write("no-mac.yaml", format!("{}{}", &text[..start], &text[end..]));
    let file = file.to_str().unwrap();
    assert_parity(&sandbox, &["decrypt", file], 51);
    assert_parity(&sandbox, &["decrypt", "--ignore-mac", file], 0);
}

#[test]
fn changed_unencrypted_value_is_a_mac_mismatch_like_sops() {
    let sandbox = Sandbox::new();
    let file = sandbox.write(
        "unencrypted-changed.yaml",
        replace_once(
            &yaml_age(),
            "password_unencrypted: visible-value",
            "password_unencrypted: changed-value",
        ),
    );
    let file = file.to_str().unwrap();
    let (_, ours) = assert_parity(&sandbox, &["decrypt", file], 51);
    assert_stdout_empty(&ours);
    let (_, ours) = assert_parity(&sandbox, &["decrypt", "--ignore-mac", file], 0);
    assert!(
        String::from_utf8_lossy(&ours.stdout).contains("password_unencrypted: changed-value"),
        "--ignore-mac prints the file as it is: {}",
        ours.describe()
    );
}

#[test]
fn changed_type_tag_is_not_detected_like_sops() {
    // `app.replicas` is `…,type:int]`; sops does not authenticate the type.
    let sandbox = Sandbox::new();
    let file = sandbox.write(
        "type-changed.yaml",
        replace_once(&yaml_age(), "type:int]", "type:str]"),
    );
    let (reference, _) = assert_parity(&sandbox, &["decrypt", file.to_str().unwrap()], 0);
    assert!(String::from_utf8_lossy(&reference.stdout).contains("    replicas: \"3\"\n"));
}

#[test]
fn decrypting_a_plaintext_file_says_metadata_not_found() {
    let sandbox = Sandbox::new();
    for (name, contents) in [("plain.yaml", "a: b\n"), ("plain.json", "{\"a\": \"b\"}\n")] {
        let file = sandbox.write(name, contents);
        let (_, ours) = assert_parity(&sandbox, &["decrypt", file.to_str().unwrap()], 1);
        assert!(
            ours.stderr_text().contains("sops metadata not found"),
            "sops says \"sops metadata not found\"; sops-rs should too: {}",
            ours.describe()
        );
    }
}

#[test]
fn encrypting_an_encrypted_file_is_refused_like_sops() {
    let sandbox = Sandbox::new();
    let alice = age_recipient("age-alice");
    for name in ["yaml-age.yaml", "json-age.json"] {
        let file = sandbox.copy_fixture(&format!("sops-3.11.0/{name}"), name);
        let (_, ours) = assert_parity(
            &sandbox,
            &["encrypt", "--age", &alice, file.to_str().unwrap()],
            203,
        );
        assert_stdout_empty(&ours);
    }
}

#[test]
fn wrong_key_cannot_get_the_data_key_like_sops() {
    let file = fixture("sops-3.11.0/yaml-age.yaml");
    let file = file.to_str().unwrap();
    let bob = Sandbox::with_identity(Identity::AgeKeyFile(age_key_path("age-bob")));
    let (_, ours) = assert_parity(&bob, &["decrypt", file], 128);
    assert_stdout_empty(&ours);
    let nobody = Sandbox::with_identity(Identity::None);
    assert_parity(&nobody, &["decrypt", file], 128);
}

#[test]
fn one_key_of_a_two_of_three_shamir_file_is_not_enough() {
    let sandbox = Sandbox::new(); // alice only; the file needs two of alice, bob, carol
    let file = fixture("sops-3.11.0/yaml-shamir-2of3.yaml");
    assert_parity(&sandbox, &["decrypt", file.to_str().unwrap()], 128);
}

#[test]
fn invalid_yaml_fails_like_sops() {
    let sandbox = Sandbox::new();
    let alice = age_recipient("age-alice");
    for (name, contents) in [
        ("unclosed-flow.yaml", "a: [1, 2\nb: c\n"),
        ("bad-indent.yaml", "a: b\n  c: d\n"),
    ] {
        let file = sandbox.write(name, contents);
        let file = file.to_str().unwrap();
        assert_parity(&sandbox, &["encrypt", "--age", &alice, file], 2);
        assert_parity(&sandbox, &["decrypt", file], 1);
    }
}

#[test]
fn invalid_json_fails_like_sops() {
    let sandbox = Sandbox::new();
    let alice = age_recipient("age-alice");
    let file = sandbox.write("double-comma.json", "{\"a\": 1,, }");
    let file = file.to_str().unwrap();
    assert_parity(&sandbox, &["encrypt", "--age", &alice, file], 2);
    assert_parity(&sandbox, &["decrypt", file], 1);
}
