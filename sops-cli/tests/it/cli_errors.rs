//! Usage errors and inputs that `sops encrypt`/`sops decrypt` refuse: sops-rs must exit with the
//! same code as the reference sops 3.11.0 and print nothing on stdout. Scripts branch on these
//! codes (its `cmd/sops/codes` package), so a drop-in replacement must keep them.
//!
//! Verified with sops 3.11.0 (and re-checked live by each test):
//!
//! * a file that does not exist: **100** for `encrypt` and `decrypt`;
//! * `-i` together with `--output`: **8**; `-i` when reading stdin: **8**;
//! * an empty file: **92** "File cannot be completely empty"; a file with only a comment: **2**
//!   ("Error unmarshalling file: EOF");
//! * a top-level list: **2**; a duplicate key: **2**;
//! * a non-string mapping key (`1:` or `true:`): **23** "Tree contains a non-string key";
//! * `encrypt` without any recipient (no `--age`, no `.sops.yaml`): **1**;
//! * `--age` with something that is not a recipient: **1**.

use crate::support;

use crate::support::{age_recipient, assert_parity, fixture, Sandbox};

#[test]
fn missing_input_file_is_exit_100() {
    let sandbox = Sandbox::new();
    let missing = sandbox.file("does-not-exist.yaml");
    let missing = missing.to_str().unwrap();
    assert_parity(&sandbox, &["decrypt", missing], 100);
    assert_parity(
        &sandbox,
        &["encrypt", "--age", &age_recipient("age-alice"), missing],
        100,
    );
}

#[test]
fn in_place_conflicts_are_exit_8() {
    let sandbox = Sandbox::new();
    let file = sandbox.copy_fixture("sops-3.11.0/yaml-age.yaml", "secrets.yaml");
    let output = sandbox.file("out.yaml");
    assert_parity(
        &sandbox,
        &[
            "decrypt",
            "-i",
            "--output",
            output.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
        8,
    );
    assert!(!output.exists(), "nothing may be written on a usage error");
    support::assert_same_bytes(
        "the input file after a refused -i",
        &support::read(&fixture("sops-3.11.0/yaml-age.yaml")),
        &support::read(&file),
    );
    support::assert_parity_with(
        &sandbox,
        &[
            "decrypt",
            "-i",
            "--input-type",
            "yaml",
            "--output-type",
            "yaml",
        ],
        Some(&support::read(&file)),
        8,
    );
}

#[test]
fn refused_yaml_inputs_match_sops() {
    let sandbox = Sandbox::new();
    let alice = age_recipient("age-alice");
    for (name, contents, code) in [
        ("empty.yaml", "", 92),
        ("comment-only.yaml", "# nothing but a comment\n", 2),
        ("top-level-list.yaml", "- a\n- b\n", 2),
        ("top-level-scalar.yaml", "just a string\n", 2),
        ("duplicate-key.yaml", "a: 1\na: 2\n", 2),
        ("int-key.yaml", "1: x\n", 23),
        ("bool-key.yaml", "true: x\n", 23),
    ] {
        let file = sandbox.write(name, contents);
        assert_parity(
            &sandbox,
            &["encrypt", "--age", &alice, file.to_str().unwrap()],
            code,
        );
    }
}

#[test]
fn refused_json_inputs_match_sops() {
    let sandbox = Sandbox::new();
    let alice = age_recipient("age-alice");
    for (name, contents, code) in [
        ("top-level-array.json", "[1, 2]\n", 2),
        ("top-level-string.json", "\"s\"\n", 2),
    ] {
        let file = sandbox.write(name, contents);
        assert_parity(
            &sandbox,
            &["encrypt", "--age", &alice, file.to_str().unwrap()],
            code,
        );
    }
}

#[test]
fn encrypt_without_a_recipient_matches_sops() {
    let sandbox = Sandbox::new();
    let file = sandbox.copy_fixture("sops-3.11.0/credentials-age.plain.yaml", "credentials.yaml");
    let file = file.to_str().unwrap();
    assert_parity(&sandbox, &["encrypt", file], 1);
    assert_parity(&sandbox, &["encrypt", "--age", "not-a-recipient", file], 1);
}
