//! Issue 3: every store and every partial-encryption option round-trips through the reference
//! sops 3.11 in both directions, and a Shamir file sops-rs writes with three key groups and
//! threshold 2 opens in sops with the keys of any two groups and not with one.

use crate::support;

use crate::support::{age_recipient, fixture, read, Identity, Sandbox, Tool};

/// Plaintext documents, one per store, as sops prints them after decryption.
const DOCUMENTS: &[&str] = &[
    "sops-3.11.0/yaml-age.plain.yaml",
    "sops-3.11.0/json-age.plain.json",
    "sops-3.11.0/env-age.plain.env",
    "sops-3.11.0/ini-age.plain.ini",
    "sops-3.11.0/multidoc-age.plain.yaml",
    "spec-examples/b1.bin",
];

/// `a` encrypts `doc` (with `extra` flags), `b` decrypts it; the result must equal sops's own
/// encrypt-then-decrypt of the same document.
fn round_trip(sandbox: &Sandbox, doc: &str, extra: &[&str]) {
    let name = support::file_name(&fixture(doc)).to_owned();
    let input = sandbox.copy_fixture(doc, &name);
    let encrypt = |tool: Tool| {
        let mut args = vec![
            "encrypt".to_owned(),
            "--age".to_owned(),
            age_recipient("age-alice"),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args.push(input.display().to_string());
        let out = sandbox.cmd(tool).args(&args).run().expect_success();
        sandbox.write(&format!("{}-{name}", tool.name()), &out.stdout)
    };
    let decrypt = |tool: Tool, file: &std::path::Path| {
        sandbox
            .cmd(tool)
            .arg("decrypt")
            .arg(file)
            .run()
            .expect_success()
            .stdout
    };
    let by_sops = encrypt(Tool::Sops);
    let by_us = encrypt(Tool::SopsRs);
    let expected = decrypt(Tool::Sops, &by_sops);
    support::assert_same_bytes(
        &format!("{doc} {extra:?}: sops decrypts sops-rs's file"),
        &expected,
        &decrypt(Tool::Sops, &by_us),
    );
    support::assert_same_bytes(
        &format!("{doc} {extra:?}: sops-rs decrypts sops's file"),
        &expected,
        &decrypt(Tool::SopsRs, &by_sops),
    );
}

#[test]
fn every_store_round_trips_both_ways() {
    let sandbox = Sandbox::new();
    for doc in DOCUMENTS {
        round_trip(&sandbox, doc, &[]);
    }
}

#[test]
fn every_partial_encryption_flag_round_trips_both_ways() {
    let sandbox = Sandbox::new();
    let options: &[&[&str]] = &[
        &["--encrypted-regex", "^(password|token|api_key_encrypted)$"],
        &["--unencrypted-regex", "^(name|host)$"],
        &["--encrypted-suffix", "_encrypted"],
        &["--unencrypted-suffix", "_plain"],
    ];
    for extra in options {
        round_trip(&sandbox, "sops-3.11.0/yaml-age.plain.yaml", extra);
        round_trip(&sandbox, "sops-3.11.0/json-age.plain.json", extra);
        round_trip(&sandbox, "sops-3.11.0/env-age.plain.env", extra);
    }
}

/// The comment regexes and `mac_only_encrypted` only come from `.sops.yaml` in sops 3.11's
/// `encrypt` subcommand (checked: it has no such flags).
#[test]
fn comment_regexes_and_mac_only_from_config_round_trip() {
    let rules = [
        "encrypted_comment_regex: sops:enc",
        "unencrypted_comment_regex: sops:plain",
        "mac_only_encrypted: true",
    ];
    let doc = "# sops:enc\na: secret\n# other\nb: visible\nlist:\n    - x\n    # sops:plain\n    - y\nnested:\n    # sops:enc\n    c: 1\n";
    for rule in rules {
        let sandbox = Sandbox::new();
        sandbox.write(
            ".sops.yaml",
            format!(
                "creation_rules:\n    - age: {}\n      {rule}\n",
                age_recipient("age-alice")
            ),
        );
        let input = sandbox.write("doc.yaml", doc);
        let by_us = sandbox
            .cmd(Tool::SopsRs)
            .arg("encrypt")
            .arg(&input)
            .run()
            .expect_success();
        let by_sops = sandbox
            .cmd(Tool::Sops)
            .arg("encrypt")
            .arg(&input)
            .run()
            .expect_success();
        let ours = sandbox.write("ours.yaml", &by_us.stdout);
        let theirs = sandbox.write("theirs.yaml", &by_sops.stdout);
        let expected = sandbox
            .cmd(Tool::Sops)
            .arg("decrypt")
            .arg(&theirs)
            .run()
            .expect_success()
            .stdout;
        let got = sandbox
            .cmd(Tool::Sops)
            .arg("decrypt")
            .arg(&ours)
            .run()
            .expect_success()
            .stdout;
        support::assert_same_bytes(
            &format!("{rule}: sops decrypts sops-rs's file"),
            &expected,
            &got,
        );
        let got = sandbox
            .cmd(Tool::SopsRs)
            .arg("decrypt")
            .arg(&theirs)
            .run()
            .expect_success()
            .stdout;
        support::assert_same_bytes(
            &format!("{rule}: sops-rs decrypts sops's file"),
            &expected,
            &got,
        );
        // Which values are encrypted is the same in both files.
        let count = |bytes: &[u8]| String::from_utf8_lossy(bytes).matches("ENC[").count();
        assert_eq!(
            count(&by_us.stdout),
            count(&by_sops.stdout),
            "{rule}: number of encrypted items"
        );
    }
}

#[test]
fn shamir_two_of_three_written_by_sops_rs_opens_in_sops_with_any_two_groups() {
    let sandbox = Sandbox::new();
    sandbox.write(
        ".sops.yaml",
        format!(
            "creation_rules:\n    - shamir_threshold: 2\n      key_groups:\n        - age: [{}]\n        - age: [{}]\n        - age: [{}]\n",
            age_recipient("age-alice"),
            age_recipient("age-bob"),
            age_recipient("age-carol")
        ),
    );
    let plain = read(&fixture("sops-3.11.0/yaml-age.plain.yaml"));
    let input = sandbox.write("secrets.yaml", &plain);
    let out = sandbox
        .cmd(Tool::SopsRs)
        .arg("encrypt")
        .arg(&input)
        .run()
        .expect_success();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("shamir_threshold: 2")
            && text.contains("key_groups:")
            && text.matches("recipient:").count() == 3,
        "three key groups with threshold 2 expected"
    );
    let encrypted = sandbox.write("secrets.enc.yaml", &out.stdout);
    for pair in [
        ["age-alice", "age-bob"],
        ["age-alice", "age-carol"],
        ["age-bob", "age-carol"],
    ] {
        let identity = sandbox.age_keys(&pair);
        let got = sandbox
            .cmd(Tool::Sops)
            .identity(identity)
            .arg("decrypt")
            .arg(&encrypted)
            .run()
            .expect_success();
        support::assert_same_bytes(&format!("sops with {pair:?}"), &plain, &got.stdout);
    }
    for single in ["age-alice", "age-bob", "age-carol"] {
        let identity = Identity::AgeKeyFile(support::age_key_path(single));
        let got = sandbox
            .cmd(Tool::Sops)
            .identity(identity)
            .arg("decrypt")
            .arg(&encrypted)
            .run();
        assert_eq!(
            got.code,
            Some(128),
            "sops with only {single} must not open it: {}",
            got.describe()
        );
    }
}

#[test]
fn two_partial_options_are_refused_naming_both() {
    let sandbox = Sandbox::new();
    let input = sandbox.copy_fixture("sops-3.11.0/yaml-age.plain.yaml", "a.yaml");
    let out = sandbox
        .cmd(Tool::SopsRs)
        .args([
            "encrypt",
            "--age",
            &age_recipient("age-alice"),
            "--encrypted-regex",
            "a",
            "--unencrypted-regex",
            "b",
        ])
        .arg(&input)
        .run();
    assert_eq!(out.code, Some(1), "{}", out.describe());
    let err = out.stderr_text();
    assert!(
        err.contains("--encrypted-regex") && err.contains("--unencrypted-regex"),
        "{err}"
    );
}

#[test]
fn dotenv_with_sops_keys_is_already_encrypted() {
    // sops 3.11 refuses a dotenv file with any `sops_` key (exit 203); checked.
    let sandbox = Sandbox::new();
    let input = sandbox.write("x.env", "A=1\nsops_version=3.11.0\n");
    for tool in [Tool::Sops, Tool::SopsRs] {
        let out = sandbox
            .cmd(tool)
            .args(["encrypt", "--age", &age_recipient("age-alice")])
            .arg(&input)
            .run();
        assert_eq!(out.code, Some(203), "{}: {}", tool.name(), out.describe());
    }
}
