//! Tests of `ref+` references with the schemes that need no network (`sops`, `file`,
//! `envsubst`, `echo`): every scheme, types of whole-scalar references, references inside
//! longer strings, relative paths, the allow-list and the errors. Each runs in a child process
//! with its own environment (see `refs_test_support.rs`), which also checks that no resolved
//! secret reached a file.

use super::test_support::{age_key, child, data};
use super::{allowed_schemes, resolve_ref, resolve_refs_in_yaml};
use crate::error::CliError;
use sops_core::store::Format;
use sops_core::tree::{Mapping, Node, Scalar};

/// A value of `credentials.yaml`, which is encrypted for age key `alice`.
const SECRET: &str = "s3cr3t-from-sops";

fn load(bytes: &[u8]) -> Mapping {
    let tree = Format::Yaml.store().load_plain(bytes).expect("YAML out");
    tree.branches.into_iter().next().unwrap_or_default()
}

/// `values` resolved as if it were `tests/data/refs/<name>`.
fn resolve_as(values: &str, name: &str) -> (Mapping, String) {
    let out = resolve_refs_in_yaml(values.as_bytes(), &data().join(name))
        .unwrap_or_else(|e| panic!("resolving failed: {e}"));
    (load(&out), String::from_utf8(out).expect("UTF-8"))
}

fn resolve(values: &str) -> Mapping {
    resolve_as(values, "values.yaml").0
}

fn fail(values: &str) -> CliError {
    match resolve_refs_in_yaml(values.as_bytes(), &data().join("values.yaml")) {
        Ok(out) => panic!("expected an error, got {}", String::from_utf8_lossy(&out)),
        Err(e) => {
            assert_eq!(e.code, 1, "{e}");
            let message = e.to_string();
            assert!(message.contains("values.yaml"), "{message}");
            assert!(!message.contains(SECRET), "{message}");
            e
        }
    }
}

fn text<'m>(m: &'m Mapping, key: &str) -> &'m str {
    m.get(key)
        .and_then(Node::as_str)
        .unwrap_or_else(|| panic!("{key} is not a string"))
}

fn scalar<'m>(m: &'m Mapping, key: &str) -> &'m Scalar {
    match m.get(key) {
        Some(Node::Scalar(s)) => s,
        _ => panic!("{key} is not a scalar"),
    }
}

#[test]
fn every_local_scheme_resolves() {
    let alice = age_key("alice");
    let test = concat!(module_path!(), "::every_local_scheme_resolves");
    let c = child()
        .env("SOPS_AGE_KEY_FILE", alice)
        .env("WHO", "ada")
        .env("GREETING", "hi");
    c.run(test, &[SECRET], || {
        let m = resolve(
            "sops: ref+sops://credentials.yaml#/password\n\
             sopsWhole: ref+sops://credentials.yaml\n\
             file: ref+file://settings.yaml#/nested/key\n\
             fileText: ref+file://cert.pem\n\
             fileBase64: ref+file://cert.pem?encode=base64\n\
             fileJson: ref+file://settings.json#/token\n\
             env: ref+envsubst://$WHO\n\
             envBraces: ref+envsubst://${GREETING}\n\
             echo: ref+echo://plain/text\n",
        );
        assert_eq!(text(&m, "sops"), SECRET);
        assert!(text(&m, "sopsWhole").contains(&format!("password: {SECRET}\n")));
        assert_eq!(text(&m, "file"), "from-file");
        let cert = std::fs::read_to_string(data().join("cert.pem")).unwrap();
        assert_eq!(text(&m, "fileText"), cert);
        assert_eq!(
            text(&m, "fileBase64"),
            super::local::base64_encode(cert.as_bytes())
        );
        assert_eq!(text(&m, "fileJson"), "json-token");
        assert_eq!(text(&m, "env"), "ada");
        assert_eq!(text(&m, "envBraces"), "hi");
        assert_eq!(text(&m, "echo"), "plain/text");
        // `key_type=base64`: the encrypted file itself, base64url, in the reference.
        let encrypted = std::fs::read(data().join("credentials.yaml")).unwrap();
        let inline = super::local::base64_encode(&encrypted)
            .replace('+', "-")
            .replace('/', "_");
        let values = format!(
            "a: ref+sops://{inline}?key_type=base64&format=yaml#/port\n\
             b: ref+sops://credentials.yaml?format=yaml\n"
        );
        let m = resolve(&values);
        assert!(matches!(scalar(&m, "a"), Scalar::Int(5432)));
        assert!(text(&m, "b").contains(&format!("password: {SECRET}\n")));
    });
}

#[test]
fn whole_scalar_references_keep_their_type() {
    let test = concat!(module_path!(), "::whole_scalar_references_keep_their_type");
    child()
        .env("SOPS_AGE_KEY_FILE", age_key("alice"))
        .run(test, &[SECRET], || {
            let (m, out) = resolve_as(
                "# a comment that stays\n\
             port: ref+sops://credentials.yaml#/port\n\
             enabled: ref+sops://credentials.yaml#/enabled\n\
             db: ref+sops://credentials.yaml#/db\n\
             secondHost: ref+sops://credentials.yaml#/db/hosts/1\n\
             httpPort: \"ref+file://settings.yaml#/port\"\n\
             debug: ref+file://settings.yaml#/debug\n\
             nothing: ref+file://settings.yaml#/nothing\n\
             list: ref+file://settings.yaml#/list\n\
             ratio: ref+file://settings.json#/limits/ratio\n\
             echoed: ref+echo://42\n\
             items:\n  - ref+echo://in/a/list#/in/a\n  - 7\n",
                "values.yaml",
            );
            assert!(matches!(scalar(&m, "port"), Scalar::Int(5432)));
            assert!(matches!(scalar(&m, "enabled"), Scalar::Bool(true)));
            let db = m
                .get("db")
                .and_then(Node::as_mapping)
                .expect("db is a mapping");
            assert_eq!(text(db, "user"), "app");
            assert_eq!(
                db.get("hosts")
                    .and_then(Node::as_sequence)
                    .map(|s| s.items.len()),
                Some(2)
            );
            assert_eq!(text(&m, "secondHost"), "db-1.internal");
            assert!(matches!(scalar(&m, "httpPort"), Scalar::Int(8080)));
            assert!(matches!(scalar(&m, "debug"), Scalar::Bool(false)));
            assert!(matches!(scalar(&m, "nothing"), Scalar::Null));
            assert!(m.get("list").and_then(Node::as_sequence).is_some());
            assert!(matches!(scalar(&m, "ratio"), Scalar::Float(f) if *f == 0.5));
            // Without a fragment the value is the text, as in vals.
            assert_eq!(text(&m, "echoed"), "42");
            let items = m.get("items").and_then(Node::as_sequence).unwrap();
            assert_eq!(items.items.len(), 2);
            assert!(
                out.starts_with("# a comment that stays\nport: 5432\n"),
                "{out}"
            );
            assert!(out.contains("echoed: \"42\"\n"), "{out}");
            assert!(out.contains("    - list\n    - 7\n"), "{out}");
        });
}

#[test]
fn references_inside_longer_strings_become_text() {
    let test = concat!(
        module_path!(),
        "::references_inside_longer_strings_become_text"
    );
    let c = child()
        .env("SOPS_AGE_KEY_FILE", age_key("alice"))
        .env("WHO", "ada");
    c.run(test, &[SECRET], || {
        let m = resolve(
            "url: postgres://app:ref+sops://credentials.yaml#/password+@db:ref+sops://credentials.yaml#/port+/app\n\
             both: ref+echo://one+ and ref+echo://two\n\
             closed: ref+echo://xy+z\n\
             secret: secretref+envsubst://$WHO\n\
             nested: ref+echo://ref+envsubst://$WHO/p\n\
             flag: on=ref+file://settings.yaml#/debug\n\
             untouched: refs are ref+ not references\n",
        );
        assert_eq!(text(&m, "url"), format!("postgres://app:{SECRET}@db:5432/app"));
        assert_eq!(text(&m, "both"), "one and two");
        assert_eq!(text(&m, "closed"), "xyz");
        assert_eq!(text(&m, "secret"), "ada");
        assert_eq!(text(&m, "nested"), "ada/p");
        assert_eq!(text(&m, "flag"), "on=false");
        assert_eq!(text(&m, "untouched"), "refs are ref+ not references");
        let e = fail("dsn: \"x ref+sops://credentials.yaml#/db\"\n");
        assert!(e.to_string().contains("cannot be part of a longer string"), "{e}");
    });
}

#[test]
fn relative_paths_start_at_the_values_file() {
    let test = concat!(module_path!(), "::relative_paths_start_at_the_values_file");
    child()
        .env("SOPS_AGE_KEY_FILE", age_key("alice"))
        .run(test, &[SECRET], || {
            let path = data().join("sub/values.yaml");
            let out = resolve_refs_in_yaml(&std::fs::read(&path).unwrap(), &path).unwrap();
            let m = load(&out);
            assert_eq!(text(&m, "fromParent"), "from-file");
            assert_eq!(text(&m, "password"), SECRET);
            let absolute = format!(
                "p: ref+file://{}#/port\n",
                data().join("settings.yaml").display()
            );
            assert!(matches!(
                scalar(&resolve(&absolute), "p"),
                Scalar::Int(8080)
            ));
            // A JSON values file (by its suffix) comes back as YAML.
            let (m, _) = resolve_as(
                r#"{"a": "ref+echo://xy", "n": ["ref+file://settings.yaml#/port"]}"#,
                "v.json",
            );
            assert_eq!(text(&m, "a"), "xy");
            let node = resolve_ref("ref+sops://credentials.yaml#/port", &data()).unwrap();
            assert!(matches!(node, Node::Scalar(Scalar::Int(5432))));
            assert!(resolve_ref("not a reference", &data()).is_err());
        });
}

#[test]
fn unresolvable_references_fail_and_name_the_reference() {
    let test = concat!(
        module_path!(),
        "::unresolvable_references_fail_and_name_the_reference"
    );
    child()
        .env("SOPS_AGE_KEY_FILE", age_key("alice"))
        .run(test, &[SECRET], || {
            let cases = [
                (
                    "a: ref+file://nope.yaml#/x\n",
                    "ref+file://nope.yaml#/x",
                    "cannot read",
                ),
                (
                    "a: ref+sops://credentials.yaml#/nope\n",
                    "ref+sops://credentials.yaml#/nope",
                    "no value found for key nope",
                ),
                (
                    "a: ref+sops://credentials.yaml#/password/x\n",
                    "#/password/x",
                    "no value found",
                ),
                (
                    "a: ref+vault://secret/x#/k\n",
                    "ref+vault://secret/x#/k",
                    "no provider for scheme \"vault\"",
                ),
                (
                    "a: ref+envsubst://$NOT_SET_HERE\n",
                    "ref+envsubst://$NOT_SET_HERE",
                    "NOT_SET_HERE is not set",
                ),
                (
                    "a: ref+file://cert.pem#/k\n",
                    "ref+file://cert.pem#/k",
                    "not a YAML mapping",
                ),
                (
                    "a: ref+file://settings.yaml?encode=hex\n",
                    "?encode=hex",
                    "unsupported encode",
                ),
                (
                    "l:\n  - ok\n  - x ref+echo://y#/z\n",
                    "ref+echo://y#/z",
                    "two or more components",
                ),
            ];
            for (values, reference, why) in cases {
                let message = fail(values).to_string();
                assert!(message.contains(reference), "{message}");
                assert!(message.contains(why), "{message}");
            }
        });
}

#[test]
fn a_sops_reference_with_the_wrong_key_fails() {
    let test = concat!(
        module_path!(),
        "::a_sops_reference_with_the_wrong_key_fails"
    );
    child()
        .env("SOPS_AGE_KEY_FILE", age_key("bob"))
        .run(test, &[SECRET], || {
            let message = fail("password: ref+sops://credentials.yaml#/password\n").to_string();
            assert!(
                message.contains("ref+sops://credentials.yaml#/password"),
                "{message}"
            );
            assert!(message.to_lowercase().contains("data key"), "{message}");
        });
}

#[test]
fn the_callers_keys_open_sops_references() {
    let test = concat!(module_path!(), "::the_callers_keys_open_sops_references");
    // No key in the environment: only the identity handed over opens the file.
    child().run(test, &[SECRET], || {
        let values = b"password: ref+sops://credentials.yaml#/password\n";
        let path = data().join("values.yaml");
        assert!(resolve_refs_in_yaml(values, &path).is_err());
        let mut keys = crate::keys::KeySources::from_env();
        let identity = std::fs::read_to_string(age_key("alice")).unwrap();
        keys.age = sops_keys::age::AgeKeySource::from_identity_text(&identity).unwrap();
        let out = super::resolve_refs_in_yaml_with_keys(values, &path, &keys).unwrap();
        assert_eq!(text(&load(&out), "password"), SECRET);
    });
}

#[test]
fn the_allow_list_limits_the_schemes() {
    let test = concat!(module_path!(), "::the_allow_list_limits_the_schemes");
    let c = child()
        .env("SOPS_AGE_KEY_FILE", age_key("alice"))
        .env("SOPS_RS_REF_SCHEMES", "echo, file");
    c.run(test, &[SECRET], || {
        assert_eq!(text(&resolve("a: ref+echo://xy\n"), "a"), "xy");
        let message = fail("a: ref+sops://credentials.yaml#/password\n").to_string();
        assert!(
            message.contains("ref+sops://credentials.yaml#/password"),
            "{message}"
        );
        assert!(
            message.contains("not allowed by SOPS_RS_REF_SCHEMES (allowed: echo, file)"),
            "{message}"
        );
    });
    assert_eq!(allowed_schemes(None).unwrap().len(), 6);
    assert_eq!(allowed_schemes(Some(" ")).unwrap().len(), 6);
    assert!(allowed_schemes(Some("none")).unwrap().is_empty());
    assert_eq!(
        allowed_schemes(Some("sops,awsssm")).unwrap(),
        ["sops", "awsssm"]
    );
    assert!(allowed_schemes(Some("sops,vault"))
        .unwrap_err()
        .contains("\"vault\""));
}

#[test]
fn files_without_references_are_returned_unchanged() {
    let plain = "a:   1   # odd spacing\nb: 'quoted'\n";
    let out = resolve_refs_in_yaml(plain.as_bytes(), &data().join("values.yaml")).unwrap();
    assert_eq!(out, plain.as_bytes());
    // Keys and comments are not resolved.
    let test = concat!(
        module_path!(),
        "::files_without_references_are_returned_unchanged"
    );
    child().run(test, &[], || {
        let values = "# see ref+echo://c\nref+echo://key: value\n";
        let (m, out) = resolve_as(values, "values.yaml");
        assert_eq!(text(&m, "ref+echo://key"), "value");
        assert!(out.starts_with("# see ref+echo://c\n"), "{out}");
    });
}
