//! Two details of the JSON and YAML stores that scripts run into, against the reference sops:
//!
//! * **Data after the JSON object.** sops reads a plain file with a token decoder that stops at
//!   the object's closing brace, so `{"a":1} x` or two objects in a row encrypt the first object
//!   (exit 0). An encrypted file also goes through `json.Unmarshal`, which refuses the rest:
//!   decrypt exits 1.
//! * **`--indent`.** The reference applies it in the legacy form (`sops -d --indent N`): YAML
//!   with N spaces (0 means 4; go-yaml writes 2 for 1 or for more than 9), JSON with N spaces (0:
//!   newlines only; -1 a tab); JSON below -1 and YAML below 0 are exit 4. Before a subcommand
//!   (`sops --indent N decrypt`) the reference ignores it; sops 3.13 (#2156) applies it as the
//!   legacy form does, and so does sops-rs.

use crate::support::{assert_parity, compare_runs, Failures, Sandbox, Tool};

fn alice() -> String {
    crate::support::age_recipient("age-alice")
}

#[test]
fn data_after_the_json_object_is_ignored_on_encrypt_and_refused_on_decrypt() {
    let sandbox = Sandbox::new();
    let recipient = alice();
    let mut failures = Failures::new();
    for (i, input) in [
        &b"{\"a\":1} x"[..],
        b"{\"a\":1}{\"b\":2}",
        b"{\"a\":1}\n{\"b\":2}\n",
        b"{\"a\":1} ]",
    ]
    .iter()
    .enumerate()
    {
        let plain = sandbox.write(&format!("plain{i}.json"), input);
        let plain = plain.to_str().expect("utf-8");
        let mut encrypted = Vec::new();
        for tool in [Tool::Sops, Tool::SopsRs] {
            let out = sandbox.run(tool, &["encrypt", "--age", &recipient, plain]);
            assert!(out.success(), "{}", out.describe());
            encrypted.push(sandbox.write(&format!("{}{i}.enc.json", tool.name()), &out.stdout));
        }
        // Each decrypts what the other wrote: the first object only.
        for file in &encrypted {
            let args = ["decrypt", file.to_str().expect("utf-8")];
            let reference = sandbox.run(Tool::Sops, &args);
            let ours = sandbox.run(Tool::SopsRs, &args);
            assert_eq!(
                reference.stdout,
                b"{\n\t\"a\": 1\n}\n",
                "{}",
                reference.describe()
            );
            failures.check(&format!("decrypt of {i}"), compare_runs(&reference, &ours));
        }
        // Trailing data after an encrypted object: exit 1 for both.
        let mut bytes = std::fs::read(&encrypted[0]).expect("read");
        bytes.extend_from_slice(&input[7..]);
        let tailed = sandbox.write(&format!("tailed{i}.json"), &bytes);
        let args = ["decrypt", tailed.to_str().expect("utf-8")];
        let (reference, ours) = (
            sandbox.run(Tool::Sops, &args),
            sandbox.run(Tool::SopsRs, &args),
        );
        if input[7..].iter().all(u8::is_ascii_whitespace) {
            assert!(reference.success(), "{}", reference.describe());
        } else {
            assert_eq!(reference.code, Some(1), "{}", reference.describe());
        }
        failures.check(
            &format!("decrypt with trailing data {i}"),
            compare_runs(&reference, &ours),
        );
    }
    failures.finish("JSON trailing data");
}

#[test]
fn indent_matches_the_reference_in_the_legacy_form_and_applies_before_subcommands() {
    let sandbox = Sandbox::new();
    let recipient = alice();
    let yaml = sandbox.write("i.yaml", "a:\n  b: [1, 2]\n  c:\n  - x: 1\n");
    let json = sandbox.write("i.json", "{\"a\":{\"b\":[1,2],\"c\":{}}}");
    let mut failures = Failures::new();
    for plain in [&yaml, &json] {
        let name = crate::support::file_name(plain).to_owned();
        let out = sandbox.run(
            Tool::Sops,
            &[
                "encrypt",
                "--age",
                &recipient,
                plain.to_str().expect("utf-8"),
            ],
        );
        assert!(out.success(), "{}", out.describe());
        let enc = sandbox.write(&format!("enc.{name}"), &out.stdout);
        let enc = enc.to_str().expect("utf-8");
        for n in ["0", "1", "2", "3", "10", "-1", "-2"] {
            let legacy = ["-d", "--indent", n, enc];
            let reference = sandbox.run(Tool::Sops, &legacy);
            let ours = sandbox.run(Tool::SopsRs, &legacy);
            failures.check(
                &format!("{name} -d --indent {n}"),
                compare_runs(&reference, &ours),
            );
            // sops 3.13: the flag before the subcommand gives the legacy form's output.
            let ours = sandbox.run(Tool::SopsRs, &["--indent", n, "decrypt", enc]);
            failures.check(
                &format!("{name} --indent {n} decrypt"),
                compare_runs(&reference, &ours),
            );
        }
    }
    failures.finish("--indent");
    // The refusals are sops's exit code 4.
    for (file, n) in [("enc.i.json", "-2"), ("enc.i.yaml", "-1")] {
        let enc = sandbox.file(file);
        assert_parity(
            &sandbox,
            &["-d", "--indent", n, enc.to_str().expect("utf-8")],
            4,
        );
    }
}

#[test]
fn indent_before_encrypt_lays_out_the_encrypted_file() {
    let sandbox = Sandbox::new();
    let recipient = alice();
    let plain = sandbox.write("p.yaml", "a:\n    b: 1\n");
    let plain = plain.to_str().expect("utf-8");
    let legacy = sandbox.run(
        Tool::Sops,
        &["-e", "--indent", "2", "--age", &recipient, plain],
    );
    assert!(legacy.success(), "{}", legacy.describe());
    let ours = sandbox.run(
        Tool::SopsRs,
        &["--indent", "2", "encrypt", "--age", &recipient, plain],
    );
    assert!(ours.success(), "{}", ours.describe());
    let normalize = |bytes: &[u8]| {
        crate::support::normalize_encrypted(&String::from_utf8_lossy(bytes))
            .replace("version: 3.11.0", "version: <v>")
    };
    assert!(
        normalize(&ours.stdout).contains("\na:\n  b: ENC[")
            || normalize(&ours.stdout).starts_with("a:\n  b: ENC[")
    );
    assert_eq!(normalize(&legacy.stdout), normalize(&ours.stdout));
}
