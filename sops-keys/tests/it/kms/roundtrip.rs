//! The KMS backend against a local `moto_server`: wrap and unwrap with and without encryption
//! context, the errors for a wrong context and a missing key, role assumption through STS,
//! the written entry's field order and use from inside an async runtime.
#![cfg(feature = "kms")]

use super::support;

use super::support::{requests_for, signing_key_id, Moto, REGION, ROLE};
use sops_core::tree::Node;
use sops_core::{KeyEntry, KeySource};
use sops_keys::kms::{KmsKey, KmsKeySource};
use std::collections::BTreeMap;

fn context(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn template(arn: &str, role: &str, ctx: &[(&str, &str)], profile: &str) -> KeyEntry {
    KmsKey::new(arn, role, context(ctx), profile).to_entry()
}

fn names(entry: &KeyEntry) -> Vec<&str> {
    entry.fields.iter().map(|(k, _)| k.as_str()).collect()
}

fn unwrap_ok(source: &KmsKeySource, entry: &KeyEntry) -> Vec<u8> {
    match source.unwrap(entry) {
        Some(Ok(secret)) => secret.secret_bytes().to_vec(),
        Some(Err(e)) => panic!("unwrap failed: {e}"),
        None => panic!("unwrap said the entry is not a kms entry"),
    }
}

fn unwrap_err(source: &KmsKeySource, entry: &KeyEntry) -> String {
    match source.unwrap(entry) {
        Some(Err(e)) => e.message,
        Some(Ok(_)) => panic!("unwrap unexpectedly succeeded"),
        None => panic!("unwrap said the entry is not a kms entry"),
    }
}

#[test]
fn round_trip_without_context() {
    let moto = Moto::start();
    let arn = moto.create_key(REGION);
    let source = moto.source();
    let mut entry = template(&arn, "", &[], "");
    source.wrap(&mut entry, &[7; 32]).unwrap();

    assert_eq!(names(&entry), ["arn", "created_at", "enc", "aws_profile"]);
    assert_eq!(entry.field("aws_profile"), Some(""));
    let created = entry.field("created_at").unwrap();
    assert!(
        sops_core::internal::parse_rfc3339(created).is_some() && created.ends_with('Z'),
        "{created}"
    );
    let enc = entry.field("enc").unwrap();
    assert!(
        aws_smithy_types::base64::decode(enc).is_ok_and(|b| b.len() > 32),
        "{enc}"
    );

    assert_eq!(unwrap_ok(&source, &entry), [7; 32]);
    // A fresh source (new runtime, new clients) opens it too.
    assert_eq!(unwrap_ok(&moto.source(), &entry), [7; 32]);
}

#[test]
fn round_trip_with_context_and_a_shamir_share() {
    let moto = Moto::start();
    let arn = moto.create_key(REGION);
    let source = moto.source();
    let share: Vec<u8> = (0..33).collect();
    let mut entry = template(&arn, "", &[("zeta", "1"), ("alpha", "x:y")], "");
    source.wrap(&mut entry, &share).unwrap();
    assert_eq!(
        names(&entry),
        ["arn", "context", "created_at", "enc", "aws_profile"]
    );
    let Node::Mapping(map) = &entry.fields[1].1 else {
        panic!("context is not a mapping");
    };
    let keys: Vec<&str> = map.pairs().map(|(k, _)| k).collect();
    assert_eq!(keys, ["alpha", "zeta"]);
    assert_eq!(unwrap_ok(&source, &entry), share);

    let recorded = moto.recorded();
    let encrypts = requests_for(&recorded, "Encrypt");
    assert_eq!(encrypts.len(), 1);
    let body: serde_json::Value =
        serde_json::from_str(&support::body(encrypts[0])).expect("a JSON body");
    assert_eq!(body["KeyId"], arn.as_str());
    assert_eq!(body["EncryptionContext"]["alpha"], "x:y");
    assert_eq!(body["EncryptionContext"]["zeta"], "1");
    let decrypts = requests_for(&recorded, "Decrypt");
    let body: serde_json::Value = serde_json::from_str(&support::body(decrypts[0])).unwrap();
    assert_eq!(
        body["KeyId"],
        arn.as_str(),
        "sops 3.11 sends KeyId on Decrypt"
    );
}

#[test]
fn wrong_context_fails_naming_the_arn() {
    let moto = Moto::start();
    let arn = moto.create_key(REGION);
    let source = moto.source();
    let mut entry = template(&arn, "", &[("a", "b")], "");
    source.wrap(&mut entry, &[1; 32]).unwrap();

    let mut changed = entry.clone();
    let Node::Mapping(map) = &mut changed.fields[1].1 else {
        panic!("context is not a mapping");
    };
    map.items.clear();
    map.push("a", Node::string("c"));
    let message = unwrap_err(&source, &changed);
    assert!(message.contains(&arn), "{message}");
    assert!(message.contains("InvalidCiphertextException"), "{message}");
    assert!(
        message.contains("encryption context (a:c) may not match"),
        "{message}"
    );

    changed.fields.remove(1);
    let message = unwrap_err(&source, &changed);
    assert!(
        message.contains(&arn) && message.contains("encryption context (none)"),
        "{message}"
    );
}

#[test]
fn missing_keys_fail_naming_the_arn() {
    let moto = Moto::start();
    let real = moto.create_key(REGION);
    let source = moto.source();
    let missing =
        format!("arn:aws:kms:{REGION}:123456789012:key/00000000-0000-0000-0000-000000000000");

    let mut entry = template(&missing, "", &[], "");
    let err = source.wrap(&mut entry, &[1; 32]).unwrap_err();
    assert!(err.message.contains(&missing), "{err}");
    assert!(err.message.contains("NotFoundException"), "{err}");
    assert!(err.message.contains("does not exist"), "{err}");
    assert_eq!(
        names(&entry),
        ["arn", "aws_profile"],
        "a failed wrap leaves the entry alone"
    );

    let mut entry = template(&real, "", &[], "");
    source.wrap(&mut entry, &[1; 32]).unwrap();
    entry.set_field("arn", missing.clone());
    let message = unwrap_err(&source, &entry);
    assert!(
        message.contains(&missing) && message.contains("NotFoundException"),
        "{message}"
    );

    // A key in another region is not found there either.
    let elsewhere = real.replace(REGION, "ap-south-2");
    let mut entry = template(&elsewhere, "", &[], "");
    let err = source.wrap(&mut entry, &[1; 32]).unwrap_err();
    assert!(err.message.contains(&elsewhere), "{err}");
}

#[test]
fn roles_are_assumed_through_sts() {
    let moto = Moto::start();
    let arn = moto.create_key(REGION);
    let source = moto.source();
    let mut entry = parse_one(&format!("{arn}+{ROLE}"));
    source.wrap(&mut entry, &[9; 32]).unwrap();
    assert_eq!(
        names(&entry),
        ["arn", "role", "created_at", "enc", "aws_profile"]
    );
    assert_eq!(entry.field("arn"), Some(arn.as_str()));
    assert_eq!(entry.field("role"), Some(ROLE));
    assert_eq!(unwrap_ok(&source, &entry), [9; 32]);

    let recorded = moto.recorded();
    let assumed = requests_for(&recorded, "AssumeRole");
    assert_eq!(assumed.len(), 1, "one client per (region, profile, role)");
    let form = support::body(assumed[0]);
    let expected_session = sops_keys::kms::parse::sts_session_name(
        &sops_keys::kms::parse::hostname().expect("a hostname"),
    );
    let encoded_role = ROLE.replace(':', "%3A").replace('/', "%2F");
    assert!(form.contains(&format!("RoleArn={encoded_role}")), "{form}");
    let encoded_session = expected_session.replace('@', "%40");
    assert!(
        form.contains(&format!("RoleSessionName={encoded_session}")),
        "{form} lacks {encoded_session}"
    );
    for call in requests_for(&recorded, "Encrypt")
        .into_iter()
        .chain(requests_for(&recorded, "Decrypt"))
    {
        let key_id = signing_key_id(call);
        assert!(
            !key_id.is_empty() && key_id != "testing",
            "KMS was called as {key_id:?}"
        );
    }
    assert_eq!(signing_key_id(assumed[0]), "testing");
}

#[test]
fn rewrapping_keeps_created_at_and_orders_fields() {
    let moto = Moto::start();
    let arn = moto.create_key(REGION);
    let source = moto.source();
    // Fields arrive in any order, with extras; the result is sops's order.
    let mut entry = KeyEntry::new("kms");
    entry.set_field("aws_profile", "");
    entry.set_field("enc", "old");
    entry.set_field("created_at", "2020-01-02T03:04:05Z");
    entry.set_field("unknown", "dropped");
    entry.set_field("role", "");
    entry.set_field("arn", arn.clone());
    source.wrap(&mut entry, &[3; 32]).unwrap();
    assert_eq!(names(&entry), ["arn", "created_at", "enc", "aws_profile"]);
    assert_eq!(entry.field("created_at"), Some("2020-01-02T03:04:05Z"));
    assert_ne!(entry.field("enc"), Some("old"));
    assert_eq!(unwrap_ok(&source, &entry), [3; 32]);
}

#[test]
fn works_from_inside_an_async_runtime() {
    let moto = Moto::start();
    let arn = moto.create_key(REGION);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let secret = runtime.block_on(async {
        // Built, used and dropped inside the caller's runtime.
        let source = moto.source();
        let mut entry = template(&arn, "", &[("k", "v")], "");
        source.wrap(&mut entry, &[5; 32]).unwrap();
        let secret = unwrap_ok(&source, &entry);
        drop(source);
        secret
    });
    assert_eq!(secret, [5; 32]);
}

fn parse_one(item: &str) -> KeyEntry {
    let mut entries = sops_keys::kms::parse::parse_arn_list(item, &BTreeMap::new(), "");
    assert_eq!(entries.len(), 1);
    entries.remove(0)
}
