//! Interoperability with the reference sops 3.11.0, both talking to the same `moto_server`:
//! sops encrypts and this backend unwraps the data key; this backend re-wraps a data key that
//! sops then uses; and a file encrypted entirely by sops-core with this backend is decrypted by
//! sops.
#![cfg(feature = "kms")]

use super::support::{run_ok, Moto, REGION, ROLE};
use sops_core::store::Format;
use sops_core::{DecryptOptions, EncryptOptions, KeyEntry, KeySource, Metadata};
use sops_keys::kms::parse::{parse_arn_list, parse_encryption_context};

const PLAIN: &str =
    "# settings\ndatabase:\n    user: admin\n    password: hunter2\nports:\n    - 80\n    - 443\n";

/// Writes the plaintext, runs `sops encrypt` with `args` on it and returns the output.
fn sops_encrypt(moto: &Moto, args: &[&str]) -> Vec<u8> {
    std::fs::write(moto.dir().join("plain.yaml"), PLAIN).unwrap();
    run_ok(moto.sops().arg("encrypt").args(args).arg("plain.yaml"))
}

/// The only master key of a single-group file.
fn only_entry(encrypted: &[u8]) -> KeyEntry {
    let (_, node) = Format::Yaml
        .store()
        .load_encrypted(encrypted)
        .expect("sops wrote valid YAML");
    let metadata = Metadata::from_mapping(&node).expect("sops wrote valid metadata");
    assert_eq!(metadata.key_groups.len(), 1);
    assert_eq!(metadata.key_groups[0].len(), 1);
    metadata.key_groups[0][0].clone()
}

fn names(entry: &KeyEntry) -> Vec<&str> {
    entry.fields.iter().map(|(k, _)| k.as_str()).collect()
}

#[test]
fn data_keys_wrapped_by_sops_unwrap_here() {
    let moto = Moto::start();
    let arn = moto.create_key(REGION);
    let encrypted = sops_encrypt(&moto, &["--kms", &arn, "--encryption-context", "a:b,c:d"]);
    let entry = only_entry(&encrypted);
    assert_eq!(entry.key_type, "kms");
    // The order sops writes is the order this backend writes.
    assert_eq!(
        names(&entry),
        ["arn", "context", "created_at", "enc", "aws_profile"]
    );
    assert_eq!(entry.field("arn"), Some(arn.as_str()));

    let source = moto.source();
    let data_key = source.unwrap(&entry).expect("a kms entry").unwrap();
    assert_eq!(data_key.secret_bytes().len(), 32);

    let plain = sops_core::internal::decrypt_file(
        &encrypted,
        Format::Yaml,
        &[&source],
        &DecryptOptions::default(),
    )
    .unwrap();
    assert_eq!(String::from_utf8(plain).unwrap(), PLAIN);

    // Rewrapping with our backend keeps sops's fields, order and created_at.
    let mut rewrapped = entry.clone();
    source
        .wrap(&mut rewrapped, data_key.secret_bytes())
        .unwrap();
    assert_eq!(names(&rewrapped), names(&entry));
    assert_eq!(rewrapped.field("created_at"), entry.field("created_at"));
    assert_eq!(rewrapped.fields[1], entry.fields[1], "the same context");
}

#[test]
fn data_keys_wrapped_by_sops_with_a_role_unwrap_here() {
    let moto = Moto::start();
    let arn = moto.create_key(REGION);
    let encrypted = sops_encrypt(&moto, &["--kms", &format!("{arn}+{ROLE}")]);
    let entry = only_entry(&encrypted);
    assert_eq!(
        names(&entry),
        ["arn", "role", "created_at", "enc", "aws_profile"]
    );
    assert_eq!(entry.field("role"), Some(ROLE));
    let source = moto.source();
    let plain = sops_core::internal::decrypt_file(
        &encrypted,
        Format::Yaml,
        &[&source],
        &DecryptOptions::default(),
    )
    .unwrap();
    assert_eq!(String::from_utf8(plain).unwrap(), PLAIN);
}

#[test]
fn data_keys_rewrapped_here_open_in_sops() {
    let moto = Moto::start();
    let arn = moto.create_key(REGION);
    let encrypted = sops_encrypt(&moto, &["--kms", &arn, "--encryption-context", "team:ops"]);
    let entry = only_entry(&encrypted);
    let source = moto.source();
    let data_key = source.unwrap(&entry).expect("a kms entry").unwrap();

    let mut rewrapped = entry.clone();
    source
        .wrap(&mut rewrapped, data_key.secret_bytes())
        .unwrap();
    let old_enc = entry.field("enc").unwrap();
    let new_enc = rewrapped.field("enc").unwrap();
    assert_ne!(old_enc, new_enc);

    let text = String::from_utf8(encrypted).unwrap();
    assert_eq!(
        text.matches(old_enc).count(),
        1,
        "enc is one plain YAML scalar"
    );
    std::fs::write(
        moto.dir().join("rewrapped.yaml"),
        text.replace(old_enc, new_enc),
    )
    .unwrap();
    let plain = run_ok(moto.sops().args(["decrypt", "rewrapped.yaml"]));
    assert_eq!(String::from_utf8(plain).unwrap(), PLAIN);

    // The context is part of the wrapping: without it, sops cannot open our enc either.
    let without_context = text
        .replace(old_enc, new_enc)
        .replace("          context:\n            team: ops\n", "");
    assert_ne!(
        without_context,
        text.replace(old_enc, new_enc),
        "context was removed"
    );
    std::fs::write(moto.dir().join("no-context.yaml"), without_context).unwrap();
    let output = moto
        .sops()
        .args(["decrypt", "no-context.yaml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(128), "{stderr}");
}

#[test]
fn files_encrypted_here_decrypt_in_sops() {
    let moto = Moto::start();
    let first = moto.create_key(REGION);
    let second = moto.create_key("us-west-2");
    let context = parse_encryption_context("app:sops-rs,env:test").unwrap();
    let list = format!("{first},{second}+{ROLE}");
    let options = EncryptOptions {
        key_groups: vec![parse_arn_list(&list, &context, "")],
        ..Default::default()
    };
    let source = moto.source();
    let encrypted =
        sops_core::internal::encrypt_file(PLAIN.as_bytes(), Format::Yaml, &[&source], &options)
            .unwrap();
    let text = String::from_utf8(encrypted).unwrap();
    // The entries look exactly as sops writes them.
    let second_entry = format!(
        "        - arn: {second}\n          role: {ROLE}\n          context:\n            \
         app: sops-rs\n            env: test\n          created_at: \""
    );
    assert!(text.contains(&second_entry), "{text}");
    assert_eq!(
        text.matches("          aws_profile: \"\"\n").count(),
        2,
        "{text}"
    );
    std::fs::write(moto.dir().join("ours.yaml"), &text).unwrap();
    let plain = run_ok(moto.sops().args(["decrypt", "ours.yaml"]));
    assert_eq!(String::from_utf8(plain).unwrap(), PLAIN);

    // sops re-encrypts to the same keys and we open its result.
    let rotated = run_ok(moto.sops().args(["rotate", "ours.yaml"]));
    let plain = sops_core::internal::decrypt_file(
        &rotated,
        Format::Yaml,
        &[&source],
        &DecryptOptions::default(),
    )
    .unwrap();
    assert_eq!(String::from_utf8(plain).unwrap(), PLAIN);
}
