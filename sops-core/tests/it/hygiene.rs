//! Secret hygiene: formatting the library's public types cannot print key material or
//! plaintext, and errors from a failed decryption do not quote the plaintext.
//!
//! Types that hold a data key or plaintext implement neither `Debug` nor `Display`; that is
//! checked at compile time below (a type that gains `Debug` makes this file fail to compile
//! with "type annotations needed"). `Node` has a `Debug` that prints structure and types only;
//! `KeyEntry` and `Metadata` derive `Debug` over `Node`s, which holds ciphertext and
//! recipients anyway.

use sops_core::internal::cipher::{DecryptedValue, ValueCipher};
use sops_core::internal::{decrypt_file, encrypt_file, IvStash, OpenedFile};
use sops_core::store::Format;
use sops_core::tree::{MapItem, Mapping, Node, Scalar, SeqItem, Sequence, Timestamp, Tree};
use sops_core::{DataKey, DecryptOptions, EncryptOptions, KeyEntry, SecretBytes, SecretText};
use sops_test_support::CleartextKey;

/// `<T as NotDebug<_>>::check` resolves only when exactly one impl applies, that is when `T`
/// does not implement `Debug` (the trick of the `impls` and `static_assertions` crates).
trait NotDebug<A> {
    fn check() {}
}
impl<T: ?Sized> NotDebug<()> for T {}
impl<T: ?Sized + std::fmt::Debug> NotDebug<u8> for T {}

/// The same for `Display`.
trait NotDisplay<A> {
    fn check() {}
}
impl<T: ?Sized> NotDisplay<()> for T {}
impl<T: ?Sized + std::fmt::Display> NotDisplay<u8> for T {}

macro_rules! assert_not_formattable {
    ($($t:ty),* $(,)?) => {
        $(
            <$t as NotDebug<_>>::check();
            <$t as NotDisplay<_>>::check();
        )*
    };
}

#[test]
fn secret_holding_types_have_no_debug_or_display() {
    assert_not_formattable!(
        // Key material.
        DataKey,
        ValueCipher,
        OpenedFile,
        // Plaintext.
        SecretBytes,
        SecretText,
        DecryptedValue,
        IvStash,
        Scalar,
        MapItem,
        SeqItem,
        Mapping,
        Sequence,
        Tree,
    );
}

const SECRETS: [&str; 4] = [
    "hunter2-password",
    "comment-secret",
    "bytes-secret",
    "list-secret",
];

fn secret_tree() -> Node {
    let mut inner = Mapping::default();
    inner.push("password", Node::string(SECRETS[0]));
    inner
        .items
        .push(MapItem::Comment(SecretText::new(SECRETS[1])));
    inner.push(
        "blob",
        Node::Scalar(Scalar::Bytes(SecretBytes::new(
            SECRETS[2].as_bytes().to_vec(),
        ))),
    );
    inner.push("port", Node::Scalar(Scalar::Int(424242)));
    inner.push(
        "when",
        Node::Scalar(Scalar::Time(Timestamp {
            rfc3339_nano: "2031-02-03T04:05:06Z".to_owned(),
        })),
    );
    let mut list = Sequence::default();
    list.items.push(SeqItem::Value(Node::string(SECRETS[3])));
    list.items
        .push(SeqItem::Comment(SecretText::new(SECRETS[1])));
    inner.push("list", Node::Sequence(list));
    let mut root = Mapping::default();
    root.push("app", Node::Mapping(inner));
    Node::Mapping(root)
}

#[test]
fn node_debug_shows_structure_and_types_only() {
    let node = secret_tree();
    for text in [format!("{node:?}"), format!("{node:#?}")] {
        for secret in SECRETS {
            assert!(!text.contains(secret), "{secret:?} printed: {text}");
        }
        assert!(!text.contains("424242"), "an int value printed: {text}");
        assert!(!text.contains("2031"), "a time value printed: {text}");
        // The shape is there: keys and types.
        for shown in [
            "app",
            "password",
            "<str>",
            "<int>",
            "<time>",
            "list",
            "<comment>",
        ] {
            assert!(text.contains(shown), "{shown:?} missing from {text}");
        }
    }
}

#[test]
fn key_entry_debug_does_not_print_its_fields() {
    let mut entry = KeyEntry::new("age");
    entry.set_field("recipient", "age1recipient");
    entry.set_field("enc", "-----BEGIN AGE ENCRYPTED FILE-----wrapped");
    let text = format!("{entry:?}");
    assert!(!text.contains("wrapped"), "{text}");
    assert!(text.contains("\"enc\""), "{text}");
}

fn encrypt(plain: &str) -> String {
    let mut recipient = KeyEntry::new("age");
    recipient.set_field("recipient", "toy");
    let options = EncryptOptions {
        key_groups: vec![vec![recipient]],
        ..Default::default()
    };
    let out = encrypt_file(plain.as_bytes(), Format::Yaml, &[&CleartextKey], &options).unwrap();
    String::from_utf8(out).unwrap()
}

fn decrypt_error(encrypted: &str) -> sops_core::Error {
    match decrypt_file(
        encrypted.as_bytes(),
        Format::Yaml,
        &[&CleartextKey],
        &DecryptOptions::default(),
    ) {
        Ok(_) => panic!("the tampered file decrypted"),
        Err(e) => e,
    }
}

fn assert_not_in_error(e: &sops_core::Error, secret: &str) {
    for text in [
        e.to_string(),
        format!("{e:?}"),
        e.message().to_owned(),
        e.hint().unwrap_or("").to_owned(),
    ] {
        assert!(
            !text.contains(secret),
            "the error quotes {secret:?}: {text}"
        );
    }
}

#[test]
fn decryption_errors_do_not_quote_the_plaintext() {
    let secret = "s3cr3t-plaintext-value";
    let encrypted = encrypt(&format!("key: {secret}\nother: 12345\n"));
    // The type tag changed so that the plaintext no longer parses: sops 3.11 prints the value
    // in its error ("strconv.Atoi: parsing \"…\""); sops-rs must not.
    for to in ["int", "float", "bool", "time", "comment", "nonsense"] {
        let tampered = encrypted.replacen("type:str]", &format!("type:{to}]"), 1);
        let e = decrypt_error(&tampered);
        assert_not_in_error(&e, secret);
    }
    // The int value under another type.
    let tampered = encrypted.replacen("type:int]", "type:time]", 1);
    assert_not_in_error(&decrypt_error(&tampered), "12345");
    // A MAC mismatch: the error names MACs, never values.
    let tampered = encrypted.replacen("other: ENC", "renamed: ENC", 1);
    assert_not_in_error(&decrypt_error(&tampered), secret);
    let at = encrypted.find("mac: ENC[AES256_GCM,data:").unwrap() + 26;
    let flipped = if &encrypted[at..at + 1] == "A" {
        "B"
    } else {
        "A"
    };
    let tampered = format!("{}{flipped}{}", &encrypted[..at], &encrypted[at + 1..]);
    assert_not_in_error(&decrypt_error(&tampered), secret);
}

#[test]
fn encryption_errors_do_not_quote_values() {
    // A number beyond int64 cannot be encrypted (sops: "unknown type: uint64").
    let secret = "18446744073709551615";
    let mut recipient = KeyEntry::new("age");
    recipient.set_field("recipient", "toy");
    let options = EncryptOptions {
        key_groups: vec![vec![recipient]],
        ..Default::default()
    };
    let e = encrypt_file(
        format!("pin: {secret}\n").as_bytes(),
        Format::Yaml,
        &[&CleartextKey],
        &options,
    )
    .expect_err("refused");
    assert_not_in_error(&e, secret);
}
