//! `sops-rs decrypt` on files written by the reference sops 3.11.0 must print exactly what
//! `sops decrypt` prints.
//!
//! * `fixtures/sops-3.11.0/MANIFEST.tsv` names, for each encrypted file, the plaintext file
//!   (what `sops decrypt` prints), the key that opens it and the command that made it.
//! * `fixtures/spec-examples/*.enc*` are worked examples of the format (key in `key.txt`); what
//!   `sops decrypt` prints for each is in `fixtures/spec-examples/expected/<name>.decrypted`
//!   (computed with sops 3.11.0 by `fixtures/regen.sh --spec-expected`).
//!
//! The rows are split by store and key type: YAML and JSON with age keys; dotenv,
//! INI and binary files and PGP keys are in their own tests. The
//! reference sops is run on every row as well, which proves that the fixtures and the way these
//! tests pass keys are right, so a failure below is a failure of sops-rs.

use crate::support;

use crate::support::{
    age_key_path, file_name, fixture, fixture_files, read, Failures, Identity, Sandbox, Tool,
};
use std::path::PathBuf;

/// One line of `MANIFEST.tsv`.
#[derive(Debug)]
struct Row {
    encrypted: String,
    plaintext: String,
    decrypt_with: String,
    expect: String,
    made_with: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Store {
    Yaml,
    Json,
    Dotenv,
    Ini,
    Binary,
}

/// Which test a row belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Group {
    /// YAML or JSON opened with age (or an SSH key through age): supported now.
    YamlJsonAge,
    /// A dotenv, INI or binary file opened with age: issue 3.
    OtherStore(Store),
    /// Needs a PGP key: issue 4.
    Pgp,
    /// Must fail to decrypt: tested in `tampered.rs`.
    MustFail,
}

impl Row {
    /// The store sops used to write the file: from the input name of the command that made it
    /// (`binary-age.bin.json` was made from `app.bin`, so it is a binary-store file, even though
    /// its own name makes sops read it back with the JSON store).
    fn store(&self) -> Store {
        let input = self.made_with.split_whitespace().last().unwrap_or_default();
        match input.rsplit_once('.').map(|(_, ext)| ext) {
            Some("yaml" | "yml") => Store::Yaml,
            Some("json") => Store::Json,
            Some("env") => Store::Dotenv,
            Some("ini") => Store::Ini,
            _ => Store::Binary,
        }
    }

    /// The key names of `decrypt_with`: `age-alice+age-carol (any two of …)` gives two.
    fn keys(&self) -> Vec<&str> {
        let names = self
            .decrypt_with
            .split_whitespace()
            .next()
            .unwrap_or_default();
        names.split('+').collect()
    }

    fn group(&self) -> Group {
        if self.expect != "ok" {
            return Group::MustFail;
        }
        let keys = self.keys();
        if keys.iter().any(|k| k.starts_with("pgp-")) {
            return Group::Pgp;
        }
        assert!(
            keys.iter()
                .all(|k| k.starts_with("age-") || *k == "ssh-ed25519"),
            "MANIFEST.tsv row {} names a key this test does not know: {:?}",
            self.encrypted,
            self.decrypt_with
        );
        match self.store() {
            Store::Yaml | Store::Json => Group::YamlJsonAge,
            other => Group::OtherStore(other),
        }
    }

    fn encrypted_path(&self) -> PathBuf {
        fixture(&format!("sops-3.11.0/{}", self.encrypted))
    }

    fn expected_output(&self) -> Vec<u8> {
        read(&fixture(&format!("sops-3.11.0/{}", self.plaintext)))
    }
}

fn manifest() -> Vec<Row> {
    let path = fixture("sops-3.11.0/MANIFEST.tsv");
    let text = String::from_utf8(read(&path)).expect("MANIFEST.tsv is UTF-8");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("encrypted\tplaintext\tdecrypt_with\texpect\tmade_with"),
        "unexpected header in {}",
        path.display()
    );
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let cells: Vec<&str> = line.split('\t').collect();
            assert_eq!(cells.len(), 5, "MANIFEST.tsv line {line:?} has not 5 cells");
            Row {
                encrypted: cells[0].to_string(),
                plaintext: cells[1].to_string(),
                decrypt_with: cells[2].to_string(),
                expect: cells[3].to_string(),
                made_with: cells[4].to_string(),
            }
        })
        .collect()
}

/// The identity a row needs, set up in `sandbox` (PGP keys are imported into its keyring).
fn identity_for(sandbox: &Sandbox, row: &Row) -> Identity {
    let keys = row.keys();
    let mut age = Vec::new();
    let mut identity = None;
    for key in &keys {
        match *key {
            "ssh-ed25519" => identity = Some(Identity::SshKey(fixture("keys/ssh-ed25519"))),
            "pgp-sops-functional-tests" => {
                sandbox.import_pgp_key(&fixture("keys/pgp-sops-functional-tests.asc"))
            }
            "pgp-ed25519" => sandbox.import_pgp_key(&fixture("keys/pgp-ed25519.secret.asc")),
            age_key => age.push(age_key),
        }
    }
    match (identity, age.as_slice()) {
        (Some(ssh), []) => ssh,
        (Some(_), _) => panic!("row {} mixes SSH and age key files", row.encrypted),
        (None, []) => Identity::None,
        (None, [one]) => Identity::AgeKeyFile(age_key_path(one)),
        (None, several) => sandbox.age_keys(several),
    }
}

/// Runs `tool decrypt FILE` for every row of `group` and compares stdout with the plaintext.
fn decrypt_rows(tool: Tool, group: Group) {
    let mut failures = Failures::new();
    for row in manifest().iter().filter(|r| r.group() == group) {
        let sandbox = Sandbox::new();
        let identity = identity_for(&sandbox, row);
        let out = sandbox
            .cmd(tool)
            .arg("decrypt")
            .arg(row.encrypted_path())
            .identity(identity)
            .run();
        let failure = if !out.success() {
            Some(format!("decryption failed: {}", out.describe()))
        } else {
            support::difference(&row.expected_output(), &out.stdout).map(|diff| {
                format!(
                    "output is not {} byte for byte: {diff}\n  {}",
                    row.plaintext,
                    out.describe()
                )
            })
        };
        failures.check(
            &format!("{} ({})", row.encrypted, row.decrypt_with),
            failure,
        );
    }
    failures.finish(&format!(
        "{} decrypt of the sops 3.11.0 fixtures ({group:?})",
        tool.name()
    ));
}

#[test]
fn manifest_rows_are_all_classified() {
    let rows = manifest();
    let count = |g| rows.iter().filter(|r| r.group() == g).count();
    // Every row lands in exactly one group (group() panics on an unknown key); the supported
    // group must not shrink unnoticed.
    assert!(
        count(Group::YamlJsonAge) >= 15,
        "only {} YAML/JSON age rows in MANIFEST.tsv: {rows:#?}",
        count(Group::YamlJsonAge)
    );
    for store in [Store::Dotenv, Store::Ini, Store::Binary] {
        assert!(count(Group::OtherStore(store)) >= 1, "no {store:?} row");
    }
    assert!(count(Group::Pgp) >= 2);
    let must_fail: Vec<&str> = rows
        .iter()
        .filter(|r| r.group() == Group::MustFail)
        .map(|r| r.encrypted.as_str())
        .collect();
    assert_eq!(
        must_fail,
        ["yaml-tampered-mac.yaml"],
        "tampered.rs tests the rows that must fail; add new ones there"
    );
    for row in &rows {
        if row.group() != Group::MustFail {
            assert!(row.encrypted_path().is_file(), "missing {}", row.encrypted);
            assert!(
                fixture(&format!("sops-3.11.0/{}", row.plaintext)).is_file(),
                "missing {}",
                row.plaintext
            );
        }
    }
}

#[test]
fn reference_sops_decrypts_every_fixture_to_its_plaintext() {
    for group in [
        Group::YamlJsonAge,
        Group::OtherStore(Store::Dotenv),
        Group::OtherStore(Store::Ini),
        Group::OtherStore(Store::Binary),
        Group::Pgp,
    ] {
        decrypt_rows(Tool::Sops, group);
    }
}

#[test]
fn yaml_and_json_age_fixtures_decrypt_byte_identical() {
    decrypt_rows(Tool::SopsRs, Group::YamlJsonAge);
}

#[test]
fn dotenv_fixtures_decrypt_byte_identical() {
    decrypt_rows(Tool::SopsRs, Group::OtherStore(Store::Dotenv));
}

#[test]
fn ini_fixtures_decrypt_byte_identical() {
    decrypt_rows(Tool::SopsRs, Group::OtherStore(Store::Ini));
}

/// `binary-age.bin.json` was written by the binary store (from `app.bin`); because of its
/// `.json` name, `sops decrypt` reads it back with the JSON store and prints `{"data": "…"}` with
/// the invalid UTF-8 bytes as `\ufffd`, which is what `binary-age.plain.bin` holds.
#[test]
fn binary_fixtures_decrypt_byte_identical() {
    decrypt_rows(Tool::SopsRs, Group::OtherStore(Store::Binary));
}

#[test]
fn pgp_fixtures_decrypt_byte_identical() {
    decrypt_rows(Tool::SopsRs, Group::Pgp);
}

// --- spec examples --------------------------------------------------------------------------

/// YAML and JSON spec examples with the age key of `spec-examples/key.txt`.
const SPEC_YAML_JSON_AGE: &[&str] = &["ex.enc.yaml", "t1.enc.yaml", "j1.enc.json"];
/// The dotenv, INI and binary spec examples (issue 3).
const SPEC_DOTENV: &[&str] = &["e1.enc.env"];
const SPEC_INI: &[&str] = &["i1.enc.ini"];
const SPEC_BINARY: &[&str] = &["b1.enc"];
/// Shamir 2-of-2 with a PGP and an age group: both keys are needed (issue 4; `enc_s.env` also
/// needs the dotenv store).
const SPEC_PGP: &[&str] = &["enc_s.yaml", "enc_s.json", "enc_s.env"];

fn all_spec_examples() -> Vec<&'static str> {
    [
        SPEC_YAML_JSON_AGE,
        SPEC_DOTENV,
        SPEC_INI,
        SPEC_BINARY,
        SPEC_PGP,
    ]
    .concat()
}

fn decrypt_spec_examples(tool: Tool, names: &[&str]) {
    let mut failures = Failures::new();
    for name in names {
        let sandbox =
            Sandbox::with_identity(Identity::AgeKeyFile(fixture("spec-examples/key.txt")));
        if name.starts_with("enc_s.") {
            sandbox.import_pgp_key(&fixture("keys/pgp-sops-functional-tests.asc"));
        }
        let out = sandbox
            .cmd(tool)
            .arg("decrypt")
            .arg(fixture(&format!("spec-examples/{name}")))
            .run();
        let expected = read(&fixture(&format!(
            "spec-examples/expected/{name}.decrypted"
        )));
        let failure = if !out.success() {
            Some(format!("decryption failed: {}", out.describe()))
        } else {
            support::difference(&expected, &out.stdout)
                .map(|diff| format!("output differs from expected/{name}.decrypted: {diff}"))
        };
        failures.check(name, failure);
    }
    failures.finish(&format!("{} decrypt of the spec examples", tool.name()));
}

#[test]
fn spec_examples_are_all_classified() {
    let mut listed: Vec<&str> = all_spec_examples();
    listed.sort_unstable();
    let mut expected: Vec<String> = fixture_files("spec-examples/expected")
        .iter()
        .map(|p| {
            file_name(p)
                .strip_suffix(".decrypted")
                .expect("expected/ holds only *.decrypted files")
                .to_string()
        })
        .collect();
    expected.sort_unstable();
    assert_eq!(
        listed, expected,
        "every spec example with an expected output must be in exactly one list above"
    );
}

#[test]
fn reference_sops_decrypts_spec_examples_to_expected() {
    decrypt_spec_examples(Tool::Sops, &all_spec_examples());
}

#[test]
fn spec_examples_yaml_json_decrypt_like_sops() {
    decrypt_spec_examples(Tool::SopsRs, SPEC_YAML_JSON_AGE);
}

#[test]
fn spec_example_dotenv_decrypts_like_sops() {
    decrypt_spec_examples(Tool::SopsRs, SPEC_DOTENV);
}

#[test]
fn spec_example_ini_decrypts_like_sops() {
    decrypt_spec_examples(Tool::SopsRs, SPEC_INI);
}

#[test]
fn spec_example_binary_decrypts_like_sops() {
    decrypt_spec_examples(Tool::SopsRs, SPEC_BINARY);
}

#[test]
fn spec_examples_shamir_with_pgp_decrypt_like_sops() {
    decrypt_spec_examples(Tool::SopsRs, SPEC_PGP);
}
