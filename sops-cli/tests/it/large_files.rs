//! Files large enough (thousands of values) that sops-rs encrypts and decrypts their values on
//! several threads ahead of the tree walk, and (over 1 MiB) reads them in parts on several
//! threads: both directions against the reference sops, with and without a partial-encryption
//! rule, and `set` keeping every other value's ciphertext.

use crate::support::{age_recipient, assert_same_bytes, normalize_encrypted, Sandbox, Tool};
use std::fmt::Write;
use std::path::Path;

/// About 7,000 values of every type, nested in mappings and sequences, with comments; 3,600 of
/// them strings (sops-rs works ahead on strings from 2,048 of them).
fn yaml_document() -> String {
    yaml_document_of(600)
}

/// [`yaml_document`] with `groups` groups of about 12 values.
fn yaml_document_of(groups: usize) -> String {
    let mut text = String::from("# settings of many services\n");
    for g in 0..groups {
        let _ = write!(
            text,
            "service{g}:\n    # owner: team {g}\n    password: pw-{g}-é\n    token: t{g}\n    \
             port: {}\n    ratio: {g}.25\n    enabled: {}\n    hosts:\n        - a{g}.example\n        \
             - b{g}.example # backup\n    note: |\n        line one {g}\n        line two\n    \
             empty: \"\"\n    nothing: null\n    quoted: 'yes'\n",
            1000 + g,
            g % 2 == 0
        );
    }
    text
}

/// About 7,000 values in nested JSON objects and arrays, 2,800 of them strings.
fn json_document() -> String {
    let services: Vec<String> = (0..700)
        .map(|g| {
            format!(
                "\"service{g}\": {{\"password\": \"pw-{g}\\u00e9\", \"port\": {}, \"ratio\": {g}.25, \
                 \"enabled\": {}, \"hosts\": [\"a{g}\", \"b{g}\", {g}], \"nothing\": null, \
                 \"nested\": {{\"token\": \"t{g}\", \"list\": [true, false]}}}}",
                1000 + g,
                g % 2 == 0
            )
        })
        .collect();
    format!("{{{}}}", services.join(", "))
}

fn encrypt(sandbox: &Sandbox, tool: Tool, file: &Path, extra: &[&str]) -> Vec<u8> {
    sandbox
        .cmd(tool)
        .args(["encrypt", "--age", &age_recipient("age-alice")])
        .args(extra)
        .arg(file)
        .run()
        .expect_success()
        .stdout
}

fn decrypt(sandbox: &Sandbox, tool: Tool, name: &str, encrypted: &[u8]) -> Vec<u8> {
    let path = sandbox.write(name, encrypted);
    sandbox
        .cmd(tool)
        .arg("decrypt")
        .arg(path)
        .run()
        .expect_success()
        .stdout
}

fn check_both_ways(ext: &str, document: &str, extra: &[&str]) {
    let sandbox = Sandbox::new();
    let plain = sandbox.write(&format!("plain.{ext}"), document);
    let by_sops = encrypt(&sandbox, Tool::Sops, &plain, extra);
    let by_us = encrypt(&sandbox, Tool::SopsRs, &plain, extra);
    let enc = format!("enc.{ext}");
    let expected = decrypt(&sandbox, Tool::Sops, &enc, &by_sops);
    assert!(expected.len() > 50_000, "the document is large");
    let what = |s: &str| format!("{ext} {extra:?}: {s}");
    assert_same_bytes(
        &what("sops-rs decrypts the file sops wrote"),
        &expected,
        &decrypt(&sandbox, Tool::SopsRs, &enc, &by_sops),
    );
    assert_same_bytes(
        &what("sops decrypts the file sops-rs wrote"),
        &expected,
        &decrypt(&sandbox, Tool::Sops, &enc, &by_us),
    );
    assert_same_bytes(
        &what("sops-rs decrypts its own file"),
        &expected,
        &decrypt(&sandbox, Tool::SopsRs, &enc, &by_us),
    );
    assert_eq!(
        normalize_encrypted(&String::from_utf8_lossy(&by_sops)),
        normalize_encrypted(&String::from_utf8_lossy(&by_us)),
        "{}",
        what("the encrypted layouts differ")
    );
}

#[test]
fn large_yaml_round_trips_through_sops_both_ways() {
    check_both_ways("yaml", &yaml_document(), &[]);
}

#[test]
fn large_yaml_with_an_encrypted_regex_round_trips_through_sops_both_ways() {
    check_both_ways(
        "yaml",
        &yaml_document(),
        &["--encrypted-regex", "^(password|hosts|note)$"],
    );
}

/// Encrypted, this is over 1 MiB: sops-rs reads it in parts on several threads.
#[test]
fn yaml_over_a_mebibyte_round_trips_through_sops_both_ways() {
    let document = yaml_document_of(1800);
    assert!(document.len() > 200_000);
    check_both_ways("yaml", &document, &[]);
}

#[test]
fn large_json_round_trips_through_sops_both_ways() {
    check_both_ways("json", &json_document(), &[]);
    check_both_ways("json", &json_document(), &["--unencrypted-suffix", "word"]);
}

#[test]
fn set_on_a_large_file_keeps_every_other_ciphertext() {
    let sandbox = Sandbox::new();
    let plain = sandbox.write("plain.yaml", yaml_document());
    let encrypted = encrypt(&sandbox, Tool::SopsRs, &plain, &[]);
    let file = sandbox.write("secrets.yaml", &encrypted);
    sandbox
        .cmd(Tool::SopsRs)
        .args(["set"])
        .arg(&file)
        .args([r#"["service150"]["token"]"#, r#""changed""#])
        .run()
        .expect_success();
    let after = std::fs::read_to_string(&file).unwrap();
    let before = String::from_utf8(encrypted).unwrap();
    let changed: Vec<(&str, &str)> = before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .collect();
    // `lastmodified` changes too, unless both writes fell in the same second.
    let keys: Vec<&str> = changed
        .iter()
        .map(|(_, line)| line.trim_start().split(':').next().unwrap_or(""))
        .filter(|key| *key != "lastmodified")
        .collect();
    assert_eq!(
        keys,
        ["token", "mac"],
        "only the set value and the metadata it changes may differ"
    );
    assert_eq!(before.lines().count(), after.lines().count());
    let decrypted = decrypt(&sandbox, Tool::Sops, "after.yaml", after.as_bytes());
    let text = String::from_utf8(decrypted).unwrap();
    assert!(text.contains(
        "service150:\n    # owner: team 150\n    password: pw-150-é\n    token: changed\n"
    ));
}
