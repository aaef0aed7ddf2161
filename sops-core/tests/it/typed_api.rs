//! The typed API: a [`Keyring`] with tier 1's `decrypt`/`encrypt`, and tier 2's
//! `EncryptedFile`/`DecryptedFile` (metadata without keys, reseal keeping unchanged
//! ciphertexts, rotate, update_keys).

use sops_core::tree::Node;
use sops_core::{decrypt, encrypt, DecryptOptions, EncryptOptions, EncryptedFile, ErrorKind};
use sops_core::{Format, KeyEntry, KeyError, KeySource, Keyring, SecretBytes};

/// Insecure toy source: "wraps" by hex-encoding, and opens only entries whose recipient it
/// holds (every recipient when it holds "*").
struct Cleartext(&'static str);

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
        if self.0 != "*" && entry.field("recipient")? != self.0 {
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

fn age(name: &str) -> KeyEntry {
    let mut entry = KeyEntry::new("age");
    entry.set_field("recipient", name);
    entry
}

const PLAIN: &[u8] = b"a: 1\nb: two\nc:\n    - x\n    - z\n";

fn value(file: &EncryptedFile, key: &str) -> String {
    file.tree().branches[0]
        .get(key)
        .and_then(Node::as_str)
        .expect("an encrypted string")
        .to_owned()
}

#[test]
fn a_keyring_tries_its_second_source_of_a_type() {
    let options = EncryptOptions::builder()
        .recipient(age("bob"))
        .build()
        .unwrap();
    let writer = Keyring::new().with(Cleartext("*"));
    let file = encrypt(PLAIN, Format::Yaml, &writer, &options).unwrap();
    let keys = Keyring::new()
        .with(Cleartext("alice"))
        .with(Cleartext("bob"));
    let plain = decrypt(&file, Format::Yaml, &keys, &DecryptOptions::default()).unwrap();
    assert_eq!(plain.secret_bytes(), PLAIN);
    let alice_only = Keyring::new().with(Cleartext("alice"));
    let err = decrypt(&file, Format::Yaml, &alice_only, &DecryptOptions::default())
        .err()
        .expect("alice cannot open bob's file");
    assert_eq!(err.kind(), ErrorKind::DataKeyUnavailable);
}

#[test]
fn shamir_groups_default_to_all_groups_and_open_with_each_source() {
    let options = EncryptOptions::builder()
        .key_group([age("alice")])
        .key_group([age("bob")])
        .build()
        .unwrap();
    let keys = Keyring::new()
        .with(Cleartext("alice"))
        .with(Cleartext("bob"));
    let json = b"{\n\t\"a\": 1\n}";
    let bytes = encrypt(json, Format::Json, &keys, &options).unwrap();
    let file = EncryptedFile::parse(&bytes, Format::Json).unwrap();
    assert_eq!(file.metadata().shamir_threshold, 2);
    assert!(String::from_utf8_lossy(&bytes).contains("\"shamir_threshold\": 2"));
    let plain = decrypt(&bytes, Format::Json, &keys, &DecryptOptions::default()).unwrap();
    assert_eq!(
        plain.secret_bytes(),
        EncryptedFile::parse(&bytes, Format::Json)
            .unwrap()
            .decrypt(&keys, &DecryptOptions::default())
            .unwrap()
            .to_plaintext()
            .unwrap()
            .secret_bytes()
    );
}

#[test]
fn metadata_reads_without_keys_and_reseal_keeps_unchanged_ciphertexts() {
    let keys = Keyring::new().with(Cleartext("*"));
    let options = EncryptOptions::builder()
        .recipient(age("bob"))
        .build()
        .unwrap();
    let bytes = encrypt(PLAIN, Format::Yaml, &keys, &options).unwrap();

    let file = EncryptedFile::parse(&bytes, Format::Yaml).unwrap();
    assert_eq!(file.format(), Format::Yaml);
    assert_eq!(
        file.metadata().key_groups[0][0].field("recipient"),
        Some("bob")
    );
    let nobody = Keyring::new();
    assert!(file.decrypt(&nobody, &DecryptOptions::default()).is_err());

    let mut decrypted = file.decrypt(&keys, &DecryptOptions::default()).unwrap();
    assert_eq!(decrypted.format(), Format::Yaml);
    let document = &mut decrypted.tree_mut().branches[0];
    *document.get_mut("b").unwrap() = Node::string("three");
    let resealed = decrypted.reseal().unwrap();

    assert_eq!(value(&resealed, "a"), value(&file, "a"));
    assert_ne!(value(&resealed, "b"), value(&file, "b"));
    assert_ne!(resealed.metadata().mac, file.metadata().mac);
    let written = resealed.to_bytes().unwrap();
    let plain = decrypt(&written, Format::Yaml, &keys, &DecryptOptions::default()).unwrap();
    assert_eq!(
        plain.secret_bytes(),
        b"a: 1\nb: three\nc:\n    - x\n    - z\n"
    );
}

#[test]
fn resealing_an_unchanged_file_changes_only_mac_and_lastmodified() {
    let keys = Keyring::new().with(Cleartext("*"));
    let options = EncryptOptions::builder()
        .recipient(age("bob"))
        .build()
        .unwrap();
    let bytes = encrypt(PLAIN, Format::Yaml, &keys, &options).unwrap();
    let file = EncryptedFile::parse(&bytes, Format::Yaml).unwrap();
    let resealed = file
        .decrypt(&keys, &DecryptOptions::default())
        .unwrap()
        .reseal()
        .unwrap();
    assert!(
        resealed.tree() == file.tree(),
        "every value keeps its ciphertext"
    );
}

#[test]
fn rotate_gives_new_ciphertexts_and_update_keys_keeps_them() {
    let keys = Keyring::new().with(Cleartext("*"));
    let options = EncryptOptions::builder()
        .recipient(age("bob"))
        .build()
        .unwrap();
    let bytes = encrypt(PLAIN, Format::Yaml, &keys, &options).unwrap();
    let file = EncryptedFile::parse(&bytes, Format::Yaml).unwrap();

    let mut rotated = file.decrypt(&keys, &DecryptOptions::default()).unwrap();
    let old_key = *rotated.data_key().secret_bytes();
    rotated.rotate(&keys).unwrap();
    assert_ne!(*rotated.data_key().secret_bytes(), old_key);
    let rotated = rotated.reseal().unwrap();
    assert_ne!(value(&rotated, "a"), value(&file, "a"));

    let mut updated = file.decrypt(&keys, &DecryptOptions::default()).unwrap();
    let refused = updated
        .update_keys(vec![vec![age("carol")], vec![]], 0, &keys)
        .expect_err("an empty group");
    assert!(refused.message().contains("empty key group"), "{refused}");
    updated
        .update_keys(vec![vec![age("carol")], vec![age("dave")]], 0, &keys)
        .unwrap();
    let updated = updated.reseal().unwrap();
    assert_eq!(updated.metadata().key_groups.len(), 2);
    assert_eq!(updated.metadata().shamir_threshold, 2);
    assert_eq!(value(&updated, "a"), value(&file, "a"));
    let carol_and_dave = Keyring::new()
        .with(Cleartext("carol"))
        .with(Cleartext("dave"));
    let plain = decrypt(
        &updated.to_bytes().unwrap(),
        Format::Yaml,
        &carol_and_dave,
        &DecryptOptions::default(),
    )
    .unwrap();
    assert_eq!(plain.secret_bytes(), PLAIN);
}
