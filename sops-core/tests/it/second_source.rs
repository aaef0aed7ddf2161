//! A key entry is tried with every key source of its type, in order, until one opens it: a
//! second source of the same type (two sets of age identities, say) must not be skipped because
//! the first one cannot open the entry.

use sops_core::internal::{decrypt_file, encrypt_file};
use sops_core::store::Format;
use sops_core::{DecryptOptions, EncryptOptions, ErrorKind};
use sops_core::{KeyEntry, KeyError, KeySource, SecretBytes};

/// Insecure toy source: "wraps" by hex-encoding, and opens only entries whose recipient it
/// holds.
struct Cleartext {
    recipient: &'static str,
}

impl KeySource for Cleartext {
    fn key_type(&self) -> &str {
        "age"
    }
    fn wrap(&self, entry: &mut KeyEntry, secret: &[u8]) -> Result<(), KeyError> {
        let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        entry.set_field("enc", hex);
        Ok(())
    }
    fn unwrap(&self, entry: &KeyEntry) -> Option<Result<SecretBytes, KeyError>> {
        if entry.field("recipient")? != self.recipient {
            return None;
        }
        let hex = entry.field("enc")?;
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|i| {
                hex.get(i..i + 2)
                    .and_then(|b| u8::from_str_radix(b, 16).ok())
            })
            .collect::<Option<Vec<u8>>>()?;
        Some(Ok(SecretBytes::new(bytes)))
    }
}

/// A source of the same type that fails on every entry.
struct Broken;

impl KeySource for Broken {
    fn key_type(&self) -> &str {
        "age"
    }
    fn wrap(&self, _: &mut KeyEntry, _: &[u8]) -> Result<(), KeyError> {
        Err(KeyError::new("this source cannot wrap"))
    }
    fn unwrap(&self, _: &KeyEntry) -> Option<Result<SecretBytes, KeyError>> {
        Some(Err(KeyError::new("this source is broken")))
    }
}

fn recipient(name: &str) -> KeyEntry {
    let mut entry = KeyEntry::new("age");
    entry.set_field("recipient", name);
    entry
}

const PLAIN: &[u8] = b"password: hunter2\n";

fn encrypted(groups: Vec<Vec<KeyEntry>>) -> Vec<u8> {
    let options = EncryptOptions {
        key_groups: groups,
        ..Default::default()
    };
    let source = Cleartext { recipient: "" };
    encrypt_file(PLAIN, Format::Yaml, &[&source], &options).expect("encrypts")
}

#[test]
fn the_second_source_of_a_type_opens_what_the_first_does_not_hold() {
    let file = encrypted(vec![vec![recipient("bob")]]);
    let alice = Cleartext { recipient: "alice" };
    let bob = Cleartext { recipient: "bob" };
    let plain = decrypt_file(
        &file,
        Format::Yaml,
        &[&alice, &bob],
        &DecryptOptions::default(),
    )
    .expect("bob's source opens the file");
    assert_eq!(plain, PLAIN);
}

#[test]
fn a_failing_first_source_does_not_hide_a_working_second_one() {
    let file = encrypted(vec![vec![recipient("bob")]]);
    let bob = Cleartext { recipient: "bob" };
    let plain = decrypt_file(
        &file,
        Format::Yaml,
        &[&Broken, &bob],
        &DecryptOptions::default(),
    )
    .expect("bob's source opens the file");
    assert_eq!(plain, PLAIN);
}

#[test]
fn every_source_of_a_type_is_tried_for_each_shamir_group() {
    let file = encrypted(vec![vec![recipient("alice")], vec![recipient("bob")]]);
    let alice = Cleartext { recipient: "alice" };
    let bob = Cleartext { recipient: "bob" };
    let plain = decrypt_file(
        &file,
        Format::Yaml,
        &[&alice, &bob],
        &DecryptOptions::default(),
    )
    .expect("each group opens with its own source");
    assert_eq!(plain, PLAIN);
}

#[test]
fn wrapping_falls_through_to_a_source_that_can_wrap() {
    let options = EncryptOptions {
        key_groups: vec![vec![recipient("bob")]],
        ..Default::default()
    };
    let bob = Cleartext { recipient: "bob" };
    let file = encrypt_file(PLAIN, Format::Yaml, &[&Broken, &bob], &options)
        .expect("the second source wraps");
    let plain = decrypt_file(&file, Format::Yaml, &[&bob], &DecryptOptions::default()).unwrap();
    assert_eq!(plain, PLAIN);
}

#[test]
fn when_no_source_opens_every_failure_is_reported() {
    let file = encrypted(vec![vec![recipient("carol")]]);
    let alice = Cleartext { recipient: "alice" };
    let err = decrypt_file(
        &file,
        Format::Yaml,
        &[&Broken, &alice],
        &DecryptOptions::default(),
    )
    .expect_err("nobody holds carol's key");
    assert_eq!(err.kind(), ErrorKind::DataKeyUnavailable);
    assert!(err.message().contains("this source is broken"), "{err}");
}
