//! `sops-rs filestatus` against the reference sops 3.11.0. Verified with sops 3.11.0:
//!
//! * An encrypted file of any store: `{"encrypted":true}` (one line), exit 0.
//! * A plaintext file, or an empty one: `{"encrypted":false}`, exit 0.
//! * Metadata without `mac`, or without `version`: `{"encrypted":false}`, exit 0.
//! * Metadata that does not load (no `lastmodified`, no keys, two partial-encryption options):
//!   exit **1** "cannot check file status: cannot load encrypted file: …", nothing on stdout.
//! * A file that cannot be parsed, `sops:` that is not a mapping, a directory, a file that does
//!   not exist, the wrong `--input-type`: exit **1**.

use crate::support;

use crate::support::{assert_parity, read, Sandbox};

#[test]
fn filestatus_matches_sops() {
    let sandbox = Sandbox::new();
    let yaml = String::from_utf8(read(&support::fixture("sops-3.11.0/yaml-age.yaml"))).unwrap();
    let without = |prefix: &str| -> String {
        yaml.lines()
            .filter(|l| !l.trim_start().starts_with(prefix))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let meta = "    lastmodified: \"2024-01-01T00:00:00Z\"\n    mac: x\n    version: 3.11.0\n";
    let local: Vec<(&str, String, i32)> = vec![
        ("plain.yaml", "a: 1\n".into(), 0),
        ("plain.json", "{\"a\": 1}".into(), 0),
        ("empty.yaml", String::new(), 0),
        ("no-mac.yaml", without("mac:"), 0),
        ("no-version.yaml", without("version:"), 0),
        ("no-lastmodified.yaml", without("lastmodified:"), 1),
        ("no-keys.yaml", format!("a: 1\nsops:\n{meta}"), 1),
        (
            "two-partial-options.yaml",
            format!(
                "a: 1\nsops:\n{meta}    encrypted_regex: a\n    unencrypted_regex: b\n    \
                 age: [{{recipient: x, enc: y}}]\n"
            ),
            1,
        ),
        (
            "only-version.yaml",
            "a: 1\nsops:\n    version: 3.11.0\n".into(),
            1,
        ),
        ("broken.yaml", "a: [\n".into(), 1),
        ("sops-scalar.yaml", "sops: 3\n".into(), 1),
    ];
    for (name, contents, code) in &local {
        let file = sandbox.write(name, contents);
        assert_parity(&sandbox, &["filestatus", file.to_str().unwrap()], *code);
    }
    for rel in [
        "sops-3.11.0/yaml-age.yaml",
        "sops-3.11.0/json-age.json",
        "sops-3.11.0/env-age.env",
        "sops-3.11.0/ini-age.ini",
        "sops-3.11.0/binary-age.bin.json",
        "sops-3.11.0/yaml-shamir-2of3.yaml",
        "sops-3.11.0/yaml-age.plain.yaml",
        "sops-3.11.0/env-age.plain.env",
        "sops-3.11.0/json-age.plain.json",
    ] {
        let file = support::fixture(rel);
        let (reference, _) = assert_parity(&sandbox, &["filestatus", file.to_str().unwrap()], 0);
        let expected = if rel.contains(".plain.") {
            "false"
        } else {
            "true"
        };
        assert_eq!(
            String::from_utf8_lossy(&reference.stdout),
            format!("{{\"encrypted\":{expected}}}\n"),
            "{rel}"
        );
    }
    let yaml_file = support::fixture("sops-3.11.0/yaml-age.yaml");
    assert_parity(
        &sandbox,
        &[
            "filestatus",
            "--input-type",
            "json",
            yaml_file.to_str().unwrap(),
        ],
        1,
    );
    let dir = sandbox.file("a-directory");
    std::fs::create_dir(&dir).unwrap();
    assert_parity(&sandbox, &["filestatus", dir.to_str().unwrap()], 1);
    let missing = sandbox.file("missing.yaml");
    assert_parity(&sandbox, &["filestatus", missing.to_str().unwrap()], 1);
}
