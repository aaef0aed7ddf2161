//! Interoperability with the reference sops 3.11.0 on the documents of `fixtures/interop/`
//! (one YAML or JSON feature each: comments, quoting, numbers, multi-line strings, …), and the
//! command-line surface around them: stdin, `--output`, `--in-place`, `--extract`,
//! `--ignore-mac`, several recipients.
//!
//! Encryption is random, so encrypted files are compared in two ways: through decryption (the
//! plaintext either program prints must be what sops prints), and through their layout
//! ([`support::normalize_encrypted`]: everything but ciphertext, IVs, tags, the age armor and the
//! timestamp must be byte-identical to what sops writes).

use crate::support;

use crate::support::{
    age_recipient, assert_parity, assert_parity_with, compare_runs, difference, file_name, fixture,
    fixture_files, mode, normalize_encrypted, read, set_mode, Failures, Identity, Output, Sandbox,
    Tool,
};
use std::path::{Path, PathBuf};

/// The interop documents; there must be a good number of them.
fn documents() -> Vec<PathBuf> {
    let docs = fixture_files("interop");
    assert!(
        docs.len() >= 14,
        "fixtures/interop should hold at least 14 documents, found {}",
        docs.len()
    );
    docs
}

/// Encrypts `doc` with `tool` to `recipients` (comma-separated) and stores the result in the
/// sandbox under `<tool>-<label>/<file name of doc>`, keeping the extension (which selects the
/// store when the file is read back). Extra arguments go before the file.
fn encrypt(
    sandbox: &Sandbox,
    tool: Tool,
    doc: &Path,
    recipients: &str,
    extra: &[&str],
    label: &str,
) -> Result<PathBuf, Output> {
    let out = sandbox
        .cmd(tool)
        .args(["encrypt", "--age", recipients])
        .args(extra)
        .arg(doc)
        .run();
    if !out.success() {
        return Err(out);
    }
    let dir = sandbox.file(&format!("{}-{label}", tool.name()));
    std::fs::create_dir_all(&dir).expect("create output directory");
    let path = dir.join(file_name(doc));
    std::fs::write(&path, &out.stdout).expect("write encrypted file");
    Ok(path)
}

fn alice() -> String {
    age_recipient("age-alice")
}

/// For each interop document: the file sops encrypted and what `sops decrypt` prints for it.
/// A document sops cannot handle is a broken fixture, so that fails the test at once.
fn reference_encryptions(sandbox: &Sandbox) -> Vec<(PathBuf, PathBuf, Vec<u8>)> {
    documents()
        .into_iter()
        .map(|doc| {
            let encrypted = encrypt(sandbox, Tool::Sops, &doc, &alice(), &[], "ref")
                .unwrap_or_else(|out| {
                    panic!(
                        "fixture problem: sops cannot encrypt it: {}",
                        out.describe()
                    )
                });
            let plain = sandbox
                .cmd(Tool::Sops)
                .arg("decrypt")
                .arg(&encrypted)
                .run()
                .expect_success()
                .stdout;
            (doc, encrypted, plain)
        })
        .collect()
}

#[test]
fn sops_rs_encrypt_then_sops_decrypt_matches_sops() {
    let sandbox = Sandbox::new();
    let mut failures = Failures::new();
    for (doc, _, expected) in reference_encryptions(&sandbox) {
        let name = file_name(&doc).to_string();
        let failure = match encrypt(&sandbox, Tool::SopsRs, &doc, &alice(), &[], "enc") {
            Err(out) => Some(format!("sops-rs encrypt failed: {}", out.describe())),
            Ok(ours) => {
                let out = sandbox.cmd(Tool::Sops).arg("decrypt").arg(&ours).run();
                if out.success() {
                    difference(&expected, &out.stdout)
                        .map(|d| format!("sops decrypts the sops-rs file to something else: {d}"))
                } else {
                    Some(format!(
                        "sops cannot decrypt the file sops-rs encrypted: {}",
                        out.describe()
                    ))
                }
            }
        };
        failures.check(&name, failure);
    }
    failures.finish("sops-rs encrypt → sops decrypt");
}

#[test]
fn sops_encrypt_then_sops_rs_decrypt_matches_sops() {
    let sandbox = Sandbox::new();
    let mut failures = Failures::new();
    for (doc, encrypted, _) in reference_encryptions(&sandbox) {
        let reference = sandbox.cmd(Tool::Sops).arg("decrypt").arg(&encrypted).run();
        let ours = sandbox
            .cmd(Tool::SopsRs)
            .arg("decrypt")
            .arg(&encrypted)
            .run();
        failures.check(file_name(&doc), compare_runs(&reference, &ours));
    }
    failures.finish("sops encrypt → sops-rs decrypt");
}

#[test]
fn sops_rs_round_trip_matches_sops() {
    let sandbox = Sandbox::new();
    let mut failures = Failures::new();
    for (doc, _, expected) in reference_encryptions(&sandbox) {
        let failure = match encrypt(&sandbox, Tool::SopsRs, &doc, &alice(), &[], "enc") {
            Err(out) => Some(format!("sops-rs encrypt failed: {}", out.describe())),
            Ok(ours) => {
                let out = sandbox.cmd(Tool::SopsRs).arg("decrypt").arg(&ours).run();
                if out.success() {
                    difference(&expected, &out.stdout)
                        .map(|d| format!("round trip differs from sops's: {d}"))
                } else {
                    Some(format!(
                        "sops-rs cannot decrypt its own file: {}",
                        out.describe()
                    ))
                }
            }
        };
        failures.check(file_name(&doc), failure);
    }
    failures.finish("sops-rs encrypt → sops-rs decrypt");
}

/// Compares the layout of what sops-rs and sops write for `encrypt --age R EXTRA… doc`.
fn check_layouts(recipients: &str, extra: &[&str], what: &str) {
    let sandbox = Sandbox::new();
    let mut failures = Failures::new();
    for doc in documents() {
        let reference = encrypt(&sandbox, Tool::Sops, &doc, recipients, extra, "ref");
        let ours = encrypt(&sandbox, Tool::SopsRs, &doc, recipients, extra, "enc");
        let failure = match (reference, ours) {
            (Err(reference), Err(ours)) => (reference.code != ours.code).then(|| {
                format!(
                    "both fail, with different exit codes:\n  sops:    {}\n  sops-rs: {}",
                    reference.describe(),
                    ours.describe()
                )
            }),
            (Err(reference), Ok(_)) => Some(format!(
                "sops refuses it but sops-rs encrypts it: {}",
                reference.describe()
            )),
            (Ok(_), Err(ours)) => Some(format!("sops-rs encrypt failed: {}", ours.describe())),
            (Ok(reference), Ok(ours)) => {
                let reference = normalize_encrypted(&String::from_utf8_lossy(&read(&reference)));
                let ours = normalize_encrypted(&String::from_utf8_lossy(&read(&ours)));
                difference(reference.as_bytes(), ours.as_bytes()).map(|d| {
                    format!("layout differs from sops's (ciphertexts, IVs, tags, age armor and time masked): {d}")
                })
            }
        };
        failures.check(file_name(&doc), failure);
    }
    failures.finish(what);
}

#[test]
fn sops_rs_encrypted_layout_matches_sops() {
    check_layouts(&alice(), &[], "layout of sops-rs encrypt");
}

#[test]
fn sops_rs_encrypted_layout_with_two_recipients_matches_sops() {
    let both = format!("{},{}", alice(), age_recipient("age-bob"));
    check_layouts(&both, &[], "layout of sops-rs encrypt to two recipients");
}

#[test]
fn two_recipients_each_decrypt_what_sops_rs_encrypts() {
    let sandbox = Sandbox::new();
    let doc = fixture("sops-3.11.0/yaml-age.plain.yaml");
    let both = format!("{},{}", alice(), age_recipient("age-bob"));
    let encrypted = encrypt(&sandbox, Tool::SopsRs, &doc, &both, &[], "enc")
        .unwrap_or_else(|out| panic!("sops-rs encrypt failed: {}", out.describe()));
    for key in ["age-alice", "age-bob"] {
        let out = sandbox
            .cmd(Tool::Sops)
            .arg("decrypt")
            .arg(&encrypted)
            .identity(Identity::AgeKeyFile(support::age_key_path(key)))
            .run();
        assert!(out.success(), "{key} cannot decrypt: {}", out.describe());
        support::assert_same_bytes(
            &format!("sops decrypt with {key}"),
            &read(&doc),
            &out.stdout,
        );
    }
    let carol = sandbox
        .cmd(Tool::Sops)
        .arg("decrypt")
        .arg(&encrypted)
        .identity(Identity::AgeKeyFile(support::age_key_path("age-carol")))
        .run();
    assert_eq!(
        carol.code,
        Some(128),
        "carol is not a recipient: {}",
        carol.describe()
    );
}

#[test]
fn cross_format_decrypt_matches_sops() {
    // YAML documents decrypted as JSON and JSON documents as YAML.
    let sandbox = Sandbox::new();
    let mut failures = Failures::new();
    for (doc, encrypted, _) in reference_encryptions(&sandbox) {
        let other = if file_name(&doc).ends_with(".json") {
            "yaml"
        } else {
            "json"
        };
        let args = ["decrypt", "--output-type", other];
        let reference = sandbox.cmd(Tool::Sops).args(args).arg(&encrypted).run();
        let ours = sandbox.cmd(Tool::SopsRs).args(args).arg(&encrypted).run();
        failures.check(
            &format!("{} --output-type {other}", file_name(&doc)),
            compare_runs(&reference, &ours),
        );
    }
    failures.finish("decrypt --output-type");
}

#[test]
fn cross_format_encrypt_layout_matches_sops() {
    let sandbox = Sandbox::new();
    let mut failures = Failures::new();
    for doc in documents() {
        let other = if file_name(&doc).ends_with(".json") {
            "yaml"
        } else {
            "json"
        };
        let extra = ["--output-type", other];
        let reference = encrypt(&sandbox, Tool::Sops, &doc, &alice(), &extra, "ref");
        let ours = encrypt(&sandbox, Tool::SopsRs, &doc, &alice(), &extra, "enc");
        let failure = match (reference, ours) {
            (Err(r), Err(o)) if r.code == o.code => None,
            (Err(r), ours) => Some(format!(
                "sops fails ({}) but sops-rs {}",
                r.describe(),
                match ours {
                    Ok(_) => "succeeds".to_string(),
                    Err(o) => o.describe(),
                }
            )),
            (Ok(_), Err(o)) => Some(format!("sops-rs encrypt failed: {}", o.describe())),
            (Ok(r), Ok(o)) => difference(
                normalize_encrypted(&String::from_utf8_lossy(&read(&r))).as_bytes(),
                normalize_encrypted(&String::from_utf8_lossy(&read(&o))).as_bytes(),
            )
            .map(|d| format!("layout differs from sops's: {d}")),
        };
        failures.check(
            &format!("{} --output-type {other}", file_name(&doc)),
            failure,
        );
    }
    failures.finish("encrypt --output-type");
}

// --- stdin ---------------------------------------------------------------------------------

#[test]
fn stdin_decrypt_with_input_and_output_type_matches_sops() {
    let sandbox = Sandbox::new();
    for (file, kind) in [("yaml-age.yaml", "yaml"), ("json-age.json", "json")] {
        let input = read(&fixture(&format!("sops-3.11.0/{file}")));
        assert_parity_with(
            &sandbox,
            &["decrypt", "--input-type", kind, "--output-type", kind],
            Some(&input),
            0,
        );
    }
}

#[test]
fn stdin_decrypt_with_filename_override_matches_sops() {
    let sandbox = Sandbox::new();
    for (file, name) in [("yaml-age.yaml", "app.yaml"), ("json-age.json", "app.json")] {
        let input = read(&fixture(&format!("sops-3.11.0/{file}")));
        assert_parity_with(
            &sandbox,
            &["decrypt", "--filename-override", name],
            Some(&input),
            0,
        );
    }
}

#[test]
fn stdin_encrypt_requires_filename_override_like_sops() {
    // sops 3.11.0: "must specify --filename-override when reading from stdin", exit 8, even
    // with --input-type and --output-type.
    let sandbox = Sandbox::new();
    let input = read(&fixture("sops-3.11.0/yaml-age.plain.yaml"));
    let alice = alice();
    assert_parity_with(&sandbox, &["encrypt", "--age", &alice], Some(&input), 8);
    assert_parity_with(
        &sandbox,
        &[
            "encrypt",
            "--age",
            &alice,
            "--input-type",
            "yaml",
            "--output-type",
            "yaml",
        ],
        Some(&input),
        8,
    );
}

#[test]
fn stdin_encrypt_with_filename_override_matches_sops() {
    let sandbox = Sandbox::new();
    for (file, name) in [
        ("yaml-age.plain.yaml", "app.yaml"),
        ("json-age.plain.json", "app.json"),
    ] {
        let input = read(&fixture(&format!("sops-3.11.0/{file}")));
        let run = |tool| {
            sandbox
                .cmd(tool)
                .args(["encrypt", "--age", &alice(), "--filename-override", name])
                .stdin(input.clone())
                .run()
        };
        let reference = run(Tool::Sops).expect_success();
        let ours = run(Tool::SopsRs);
        assert!(
            ours.success(),
            "sops-rs encrypt failed: {}",
            ours.describe()
        );
        support::assert_same_bytes(
            &format!("layout of `encrypt --filename-override {name}` < {file}"),
            normalize_encrypted(&String::from_utf8_lossy(&reference.stdout)).as_bytes(),
            normalize_encrypted(&String::from_utf8_lossy(&ours.stdout)).as_bytes(),
        );
        let encrypted = sandbox.write(&format!("from-stdin-{name}"), &ours.stdout);
        let back = sandbox
            .cmd(Tool::Sops)
            .arg("decrypt")
            .arg(&encrypted)
            .run()
            .expect_success();
        support::assert_same_bytes("sops decrypt of it", &input, &back.stdout);
    }
}

// --- --output and --in-place ---------------------------------------------------------------

#[test]
fn output_flag_writes_the_file_like_sops() {
    let sandbox = Sandbox::new();
    let encrypted = fixture("sops-3.11.0/yaml-age.yaml");
    let reference_file = sandbox.file("by-sops.yaml");
    let our_file = sandbox.file("by-sops-rs.yaml");
    let run = |tool, out: &Path| {
        sandbox
            .cmd(tool)
            .arg("decrypt")
            .arg("--output")
            .arg(out)
            .arg(&encrypted)
            .run()
    };
    let reference = run(Tool::Sops, &reference_file).expect_success();
    assert!(reference.stdout.is_empty());
    let ours = run(Tool::SopsRs, &our_file);
    assert!(ours.success(), "{}", ours.describe());
    assert!(
        ours.stdout.is_empty(),
        "with --output nothing goes to stdout: {}",
        ours.describe()
    );
    assert!(
        our_file.is_file(),
        "--output did not create {}",
        our_file.display()
    );
    support::assert_same_bytes("--output file", &read(&reference_file), &read(&our_file));
    // Deliberate difference: sops creates a decrypted --output file with 0666 less the umask
    // (0644 here); sops-rs creates plaintext files readable by the owner only.
    assert_eq!(
        format!("{:o}", mode(&our_file) & 0o777),
        "600",
        "a new decrypted --output file is private to its owner"
    );

    // encrypt --output: the file must decrypt, with sops, to the input.
    let plain = fixture("sops-3.11.0/yaml-age.plain.yaml");
    let target = sandbox.file("encrypted-by-sops-rs.yaml");
    let ours = sandbox
        .cmd(Tool::SopsRs)
        .args(["encrypt", "--age", &alice(), "--output"])
        .arg(&target)
        .arg(&plain)
        .run();
    assert!(
        ours.success() && ours.stdout.is_empty(),
        "{}",
        ours.describe()
    );
    let back = sandbox
        .cmd(Tool::Sops)
        .arg("decrypt")
        .arg(&target)
        .run()
        .expect_success();
    support::assert_same_bytes(
        "sops decrypt of the --output file",
        &read(&plain),
        &back.stdout,
    );
}

#[test]
fn in_place_encrypt_and_decrypt_keep_mode_0600() {
    // sops 3.11.0 keeps the mode of the file it rewrites with -i (checked here for both).
    let plain = read(&fixture("sops-3.11.0/yaml-age.plain.yaml"));
    for tool in [Tool::Sops, Tool::SopsRs] {
        let sandbox = Sandbox::new();
        let file = sandbox.write("secrets.yaml", &plain);
        set_mode(&file, 0o600);

        let out = sandbox
            .cmd(tool)
            .args(["encrypt", "--age", &alice(), "-i"])
            .arg(&file)
            .run();
        assert!(out.success(), "{}", out.describe());
        assert!(
            out.stdout.is_empty(),
            "-i prints nothing: {}",
            out.describe()
        );
        assert_eq!(
            format!("{:o}", mode(&file)),
            "600",
            "{}: mode after encrypt -i",
            tool.name()
        );
        let encrypted = read(&file);
        assert!(
            String::from_utf8_lossy(&encrypted).contains("ENC[AES256_GCM,data:"),
            "{}: the file was not encrypted in place",
            tool.name()
        );
        // The other program must be able to read it.
        let check = sandbox
            .cmd(Tool::Sops)
            .arg("decrypt")
            .arg(&file)
            .run()
            .expect_success();
        support::assert_same_bytes("sops decrypt after encrypt -i", &plain, &check.stdout);

        let out = sandbox
            .cmd(tool)
            .args(["decrypt", "--in-place"])
            .arg(&file)
            .run();
        assert!(out.success(), "{}", out.describe());
        assert!(
            out.stdout.is_empty(),
            "--in-place prints nothing: {}",
            out.describe()
        );
        assert_eq!(
            format!("{:o}", mode(&file)),
            "600",
            "{}: mode after decrypt --in-place",
            tool.name()
        );
        support::assert_same_bytes(
            &format!("{}: file after decrypt --in-place", tool.name()),
            &plain,
            &read(&file),
        );
    }
}

// --- --extract and --ignore-mac ------------------------------------------------------------

#[test]
fn extract_matches_sops() {
    // Verified with sops 3.11.0: a string is printed raw with no newline ("payments"), other
    // scalars with the store's emitter ("3\n" in YAML, "3" in JSON), maps and lists as
    // documents; a missing key or index is exit 1, a malformed path exit 91.
    let sandbox = Sandbox::new();
    let yaml = fixture("sops-3.11.0/yaml-age.yaml");
    let json = fixture("sops-3.11.0/json-age.json");
    let cases: &[(&Path, &str, i32)] = &[
        (&yaml, r#"["app"]["name"]"#, 0),
        (&yaml, r#"["app"]["replicas"]"#, 0),
        (&yaml, r#"["app"]["ratio"]"#, 0),
        (&yaml, r#"["app"]["enabled"]"#, 0),
        (&yaml, r#"["app"]["nothing"]"#, 0),
        (&yaml, r#"["app"]["multiline"]"#, 0),
        (&yaml, r#"["app"]["unicode"]"#, 0),
        (&yaml, r#"["app"]["database"]"#, 0),
        (&yaml, r#"["app"]["database"]["tags"][0]"#, 0),
        (&yaml, r#"["app"]["database"]["tags"]"#, 0),
        (&yaml, r#"['list_of_maps'][1]"#, 0),
        (&yaml, r#"["nested_lists"][0]"#, 0),
        (&yaml, r#"["password_unencrypted"]"#, 0),
        (&yaml, r#"["app"]["nope"]"#, 1),
        (&yaml, r#"["app"]["database"]["tags"][9]"#, 1),
        (&yaml, "app.name", 91),
        (&json, r#"["name"]"#, 0),
        (&json, r#"["replicas"]"#, 0),
        (&json, r#"["database"]"#, 0),
        (&json, r#"["database"]["tags"][3]"#, 0),
        (&json, r#"["escapes"]"#, 0),
    ];
    let mut failures = Failures::new();
    for (file, path, code) in cases {
        let run = |tool| {
            sandbox
                .cmd(tool)
                .args(["decrypt", "--extract", path])
                .arg(file)
                .run()
        };
        let reference = run(Tool::Sops);
        let case = format!("--extract '{path}' {}", file_name(file));
        if reference.code != Some(*code) {
            failures.push(
                &case,
                format!(
                    "the reference sops no longer exits with {code}: {}",
                    reference.describe()
                ),
            );
        }
        failures.check(&case, compare_runs(&reference, &run(Tool::SopsRs)));
    }
    failures.finish("decrypt --extract");
}

#[test]
fn ignore_mac_on_an_intact_file_matches_sops() {
    let sandbox = Sandbox::new();
    for file in ["yaml-age.yaml", "json-age.json", "multidoc-age.yaml"] {
        let file = fixture(&format!("sops-3.11.0/{file}"));
        assert_parity(
            &sandbox,
            &["decrypt", "--ignore-mac", file.to_str().unwrap()],
            0,
        );
    }
}
