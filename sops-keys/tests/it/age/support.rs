//! Helpers shared by the age tests: test data paths and the expected plaintexts.
//!
//! The keys and the sops-written files these tests share with the other crates are read from
//! the repository's `fixtures/` ([`SHARED`]); what only they use is in `tests/data/`.
#![allow(dead_code)]

use std::path::PathBuf;

/// The files of the repository's `fixtures/` these tests read, by the name they use.
const SHARED: &[(&str, &str)] = &[
    ("age-alice.txt", "keys/age-alice.txt"),
    ("age-bob.txt", "keys/age-bob.txt"),
    ("age-carol.txt", "keys/age-carol.txt"),
    ("ssh-ed25519", "keys/ssh-ed25519"),
    ("ssh-ed25519.pub", "keys/ssh-ed25519.pub"),
    ("yaml-age.yaml", "sops-3.11.0/yaml-age.yaml"),
    ("yaml-age.plain.yaml", "sops-3.11.0/yaml-age.plain.yaml"),
];

/// A file of [`SHARED`], else `tests/data/<name>`.
pub fn data(name: &str) -> PathBuf {
    match SHARED.iter().find(|(short, _)| *short == name) {
        Some((_, rel)) => sops_test_support::fixture(rel),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests")
            .join("data")
            .join(name),
    }
}

/// The contents of [`data`]`(name)` as text.
pub fn read(name: &str) -> String {
    std::fs::read_to_string(data(name)).unwrap_or_else(|e| panic!("reading {name}: {e}"))
}

/// One row of `tests/data/expected.tsv`.
pub struct Expected {
    pub file: String,
    pub identity: String,
    pub recipient: String,
    pub bytes: Vec<u8>,
}

/// The row of `expected.tsv` for armored file `file`.
pub fn expected(file: &str) -> Expected {
    read("expected.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Expected {
                file: cols[0].to_owned(),
                identity: cols[1].to_owned(),
                recipient: cols[2].to_owned(),
                bytes: hex(cols[3]),
            }
        })
        .find(|e| e.file == file)
        .unwrap_or_else(|| panic!("{file} is not in expected.tsv"))
}

/// Decodes lowercase hex.
pub fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// An `age` metadata entry with `recipient` and, if given, `enc`.
pub fn entry(recipient: &str, enc: Option<&str>) -> sops_core::KeyEntry {
    let mut entry = sops_core::KeyEntry::new("age");
    entry.set_field("recipient", recipient);
    if let Some(enc) = enc {
        entry.set_field("enc", enc);
    }
    entry
}

/// The entry for armored fixture `file`, with the recipient from `expected.tsv`.
pub fn fixture_entry(file: &str) -> sops_core::KeyEntry {
    entry(&expected(file).recipient, Some(&read(file)))
}
