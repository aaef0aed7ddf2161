//! A whole decrypt with fixed age identities (alice of `fixtures/keys` and the key of
//! `fixtures/spec-examples`), over mutated encrypted files.
//!
//! Input: one byte naming the format (`Y` YAML, `J` JSON, `E` dotenv, `I` INI, `B` binary;
//! any other byte picks one by its value), then the file. The seeds (`fuzz/seed.sh`) are the
//! encrypted fixtures. Each input goes through the real pipeline: load, metadata, age unwrap of
//! the data key, decrypt and MAC check, emit of the plaintext. Since a mutation of the age
//! stanza stops the pipeline early, the tree is also decrypted with the data keys of the
//! fixtures (unwrapped once), so that mutations of values, paths and the MAC reach the walk.
//! Nothing may panic; every error must carry a message and a sops exit code.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sops_core::{DataKey, Error, Format, KeySource, Metadata};
use sops_core::internal::{decrypt_tree, unwrap_data_key};
use sops_keys::age::AgeKeySource;
use std::sync::OnceLock;

const IDENTITIES: &str = concat!(
    include_str!("../../fixtures/keys/age-alice.txt"),
    include_str!("../../fixtures/spec-examples/key.txt"),
);

/// Encrypted fixtures the identities open, with their formats.
const FIXTURES: &[(Format, &[u8])] = &[
    (
        Format::Yaml,
        include_bytes!("../../fixtures/sops-3.11.0/yaml-age.yaml"),
    ),
    (
        Format::Json,
        include_bytes!("../../fixtures/sops-3.11.0/json-age.json"),
    ),
    (
        Format::Dotenv,
        include_bytes!("../../fixtures/sops-3.11.0/env-age.env"),
    ),
    (
        Format::Ini,
        include_bytes!("../../fixtures/sops-3.11.0/ini-age.ini"),
    ),
    (
        Format::Binary,
        include_bytes!("../../fixtures/sops-3.11.0/binary-age.bin.json"),
    ),
    (
        Format::Yaml,
        include_bytes!("../../fixtures/sops-3.11.0/multidoc-age.yaml"),
    ),
    (
        Format::Yaml,
        include_bytes!("../../fixtures/sops-3.11.0/yaml-encrypted-regex.yaml"),
    ),
    (
        Format::Yaml,
        include_bytes!("../../fixtures/sops-3.11.0/yaml-unencrypted-regex.yaml"),
    ),
    (
        Format::Yaml,
        include_bytes!("../../fixtures/sops-3.11.0/yaml-encrypted-suffix.yaml"),
    ),
    (
        Format::Json,
        include_bytes!("../../fixtures/sops-3.11.0/json-encrypted-regex.json"),
    ),
    (
        Format::Yaml,
        include_bytes!("../../fixtures/sops-3.11.0/credentials-age.yaml"),
    ),
    (
        Format::Yaml,
        include_bytes!("../../fixtures/sops-3.11.0/yaml-mac-only-encrypted.yaml"),
    ),
    (
        Format::Yaml,
        include_bytes!("../../fixtures/sops-3.11.0/yaml-encrypted-comment-regex.yaml"),
    ),
    (
        Format::Yaml,
        include_bytes!("../../fixtures/sops-3.11.0/yaml-unencrypted-comment-regex.yaml"),
    ),
    (
        Format::Yaml,
        include_bytes!("../../fixtures/spec-examples/ex.enc.yaml"),
    ),
    (
        Format::Yaml,
        include_bytes!("../../fixtures/spec-examples/t1.enc.yaml"),
    ),
    (
        Format::Json,
        include_bytes!("../../fixtures/spec-examples/j1.enc.json"),
    ),
    (
        Format::Dotenv,
        include_bytes!("../../fixtures/spec-examples/e1.enc.env"),
    ),
    (
        Format::Ini,
        include_bytes!("../../fixtures/spec-examples/i1.enc.ini"),
    ),
];

fn source() -> AgeKeySource {
    AgeKeySource::from_identity_text(IDENTITIES).expect("the embedded identities parse")
}

/// The data keys of the fixtures, unwrapped once.
fn data_keys() -> &'static [DataKey] {
    static KEYS: OnceLock<Vec<DataKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let age = source();
        let sources: [&dyn KeySource; 1] = [&age];
        FIXTURES
            .iter()
            .filter_map(|(format, bytes)| {
                let (_, node) = format.store().load_encrypted(bytes).ok()?;
                let metadata = Metadata::from_mapping(&node).ok()?;
                unwrap_data_key(&metadata, &sources, &[]).ok()
            })
            .collect()
    })
}

fn check(e: &Error) {
    assert!(!e.message().is_empty(), "an error without a message");
    assert!(matches!(
        e.exit_code(),
        1 | 2 | 4 | 21 | 23 | 24 | 25 | 51 | 91 | 92 | 111 | 128 | 203
    ));
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    let format = match selector {
        b'Y' => Format::Yaml,
        b'J' => Format::Json,
        b'E' => Format::Dotenv,
        b'I' => Format::Ini,
        b'B' => Format::Binary,
        n => [Format::Yaml, Format::Json, Format::Dotenv, Format::Ini][usize::from(n % 4)],
    };
    let store = format.store();
    let (tree, node) = match store.load_encrypted(file) {
        Ok(loaded) => loaded,
        Err(e) => return check(&e),
    };
    let metadata = match Metadata::from_mapping(&node) {
        Ok(m) => m,
        Err(e) => return check(&e),
    };
    let age = source();
    let sources: [&dyn KeySource; 1] = [&age];
    let unwrapped = unwrap_data_key(&metadata, &sources, &[]);
    if let Err(e) = &unwrapped {
        check(e);
    }
    let keys = unwrapped.iter().chain(data_keys().iter());
    for (i, key) in keys.enumerate() {
        for ignore_mac in [false, true] {
            let mut plain = tree.clone();
            match decrypt_tree(&mut plain, &metadata, key, ignore_mac) {
                Ok(()) => match store.emit_plain(&plain) {
                    Ok(_) => {}
                    Err(e) => check(&e),
                },
                Err(e) => {
                    check(&e);
                    // A value that does not decrypt fails the same with --ignore-mac.
                    if e.exit_code() == 25 {
                        break;
                    }
                }
            }
        }
        // The fixture keys are only a fallback: one is enough when the real unwrap worked.
        if i == 0 && unwrapped.is_ok() {
            break;
        }
    }
});
