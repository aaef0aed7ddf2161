//! Tests of `ref+` references with the schemes that need no network (`sops`, `file`,
//! `envsubst`, `echo`): every scheme, types of whole-scalar references, references inside
//! longer strings, relative paths, the allow-list and the errors. Each test hands the resolver
//! its own [`RefEnv`] and key sources; the process environment is never read.

mod support;

use base64::Engine;
use sops_core::store::Format;
use sops_core::tree::{Mapping, Node, Scalar};
use sops_refs::{RefEnv, RefError, Resolver};
use support::{age_key, alice, data};

/// A value of `credentials.yaml`, which is encrypted for age key `alice`.
const SECRET: &str = "s3cr3t-from-sops";

fn load(bytes: &[u8]) -> Mapping {
    let tree = Format::Yaml.store().load_plain(bytes).expect("YAML out");
    tree.branches.into_iter().next().unwrap_or_default()
}

/// `values` resolved with `env` and alice's key as if it were `tests/data/refs/<name>`.
fn resolve_as(env: &RefEnv, values: &str, name: &str) -> (Mapping, String) {
    let keys = alice();
    let out = Resolver::new(env)
        .with_keys(&keys)
        .resolve_yaml(values.as_bytes(), &data().join(name))
        .unwrap_or_else(|e| panic!("resolving failed: {e}"));
    (load(&out), String::from_utf8(out).expect("UTF-8"))
}

fn resolve(env: &RefEnv, values: &str) -> Mapping {
    resolve_as(env, values, "values.yaml").0
}

/// The error of resolving `values` with `resolver`, checked to name the file and hold no secret.
fn fail_with(resolver: &Resolver<'_>, values: &str) -> RefError {
    match resolver.resolve_yaml(values.as_bytes(), &data().join("values.yaml")) {
        Ok(out) => panic!("expected an error, got {}", String::from_utf8_lossy(&out)),
        Err(e) => {
            let message = e.to_string();
            assert!(matches!(e, RefError::ValuesFile { .. }), "{message}");
            assert!(message.contains("values.yaml"), "{message}");
            assert!(!message.contains(SECRET), "{message}");
            e
        }
    }
}

fn fail(env: &RefEnv, values: &str) -> RefError {
    let keys = alice();
    fail_with(&Resolver::new(env).with_keys(&keys), values)
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

fn base64_std(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn every_local_scheme_resolves() {
    let env = RefEnv::new().with("WHO", "ada").with("GREETING", "hi");
    let m = resolve(
        &env,
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
    assert_eq!(text(&m, "fileBase64"), base64_std(cert.as_bytes()));
    assert_eq!(text(&m, "fileJson"), "json-token");
    assert_eq!(text(&m, "env"), "ada");
    assert_eq!(text(&m, "envBraces"), "hi");
    assert_eq!(text(&m, "echo"), "plain/text");
    // `key_type=base64`: the encrypted file itself, base64url, in the reference.
    let encrypted = std::fs::read(data().join("credentials.yaml")).unwrap();
    let inline = base64_std(&encrypted).replace('+', "-").replace('/', "_");
    let values = format!(
        "a: ref+sops://{inline}?key_type=base64&format=yaml#/port\n\
         b: ref+sops://credentials.yaml?format=yaml\n"
    );
    let m = resolve(&env, &values);
    assert!(matches!(scalar(&m, "a"), Scalar::Int(5432)));
    assert!(text(&m, "b").contains(&format!("password: {SECRET}\n")));
}

#[test]
fn whole_scalar_references_keep_their_type() {
    let env = RefEnv::new();
    let (m, out) = resolve_as(
        &env,
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
}

#[test]
fn references_inside_longer_strings_become_text() {
    let env = RefEnv::new().with("WHO", "ada");
    let m = resolve(
        &env,
        "url: postgres://app:ref+sops://credentials.yaml#/password+@db:ref+sops://credentials.yaml#/port+/app\n\
         both: ref+echo://one+ and ref+echo://two\n\
         closed: ref+echo://xy+z\n\
         secret: secretref+envsubst://$WHO\n\
         nested: ref+echo://ref+envsubst://$WHO/p\n\
         flag: on=ref+file://settings.yaml#/debug\n\
         untouched: refs are ref+ not references\n",
    );
    assert_eq!(
        text(&m, "url"),
        format!("postgres://app:{SECRET}@db:5432/app")
    );
    assert_eq!(text(&m, "both"), "one and two");
    assert_eq!(text(&m, "closed"), "xyz");
    assert_eq!(text(&m, "secret"), "ada");
    assert_eq!(text(&m, "nested"), "ada/p");
    assert_eq!(text(&m, "flag"), "on=false");
    assert_eq!(text(&m, "untouched"), "refs are ref+ not references");
    let e = fail(&env, "dsn: \"x ref+sops://credentials.yaml#/db\"\n");
    assert!(
        e.to_string().contains("cannot be part of a longer string"),
        "{e}"
    );
}

#[test]
fn relative_paths_start_at_the_values_file() {
    let env = RefEnv::new();
    let keys = alice();
    let resolver = Resolver::new(&env).with_keys(&keys);
    let path = data().join("sub/values.yaml");
    let out = resolver
        .resolve_yaml(&std::fs::read(&path).unwrap(), &path)
        .unwrap();
    let m = load(&out);
    assert_eq!(text(&m, "fromParent"), "from-file");
    assert_eq!(text(&m, "password"), SECRET);
    let absolute = format!(
        "p: ref+file://{}#/port\n",
        data().join("settings.yaml").display()
    );
    assert!(matches!(
        scalar(&resolve(&env, &absolute), "p"),
        Scalar::Int(8080)
    ));
    // A JSON values file (by its suffix) comes back as YAML.
    let (m, _) = resolve_as(
        &env,
        r#"{"a": "ref+echo://xy", "n": ["ref+file://settings.yaml#/port"]}"#,
        "v.json",
    );
    assert_eq!(text(&m, "a"), "xy");
    let node = resolver
        .resolve_ref("ref+sops://credentials.yaml#/port", &data())
        .unwrap();
    assert!(matches!(node, Node::Scalar(Scalar::Int(5432))));
    let e = resolver
        .resolve_ref("not a reference", &data())
        .unwrap_err();
    assert_eq!(e.to_string(), "\"not a reference\" is not a ref+ reference");
    let e = resolver
        .resolve_ref("ref+file://nope.yaml#/x", &data())
        .unwrap_err();
    assert!(matches!(e, RefError::Unresolved { .. }), "{e}");
}

#[test]
fn unresolvable_references_fail_and_name_the_reference() {
    let env = RefEnv::new();
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
            "a: ref+tfstate://state.tfstate/x#/k\n",
            "ref+tfstate://state.tfstate/x#/k",
            "no provider for scheme \"tfstate\"",
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
        let message = fail(&env, values).to_string();
        assert!(message.contains(reference), "{message}");
        assert!(message.contains(why), "{message}");
    }
}

#[test]
fn a_sops_reference_with_the_wrong_key_fails() {
    let env = RefEnv::new();
    let bob = support::TestKeys::age(&age_key("bob"));
    let resolver = Resolver::new(&env).with_keys(&bob);
    let values = "password: ref+sops://credentials.yaml#/password\n";
    let message = fail_with(&resolver, values).to_string();
    assert!(
        message.contains("ref+sops://credentials.yaml#/password"),
        "{message}"
    );
    assert!(message.to_lowercase().contains("data key"), "{message}");
}

#[test]
fn the_callers_keys_open_sops_references() {
    // Without key sources, or with the wrong ones, the file stays closed.
    let env = RefEnv::new();
    let values = b"password: ref+sops://credentials.yaml#/password\n";
    let path = data().join("values.yaml");
    let e = Resolver::new(&env).resolve_yaml(values, &path).unwrap_err();
    assert!(e.to_string().contains("no key sources"), "{e}");
    let keys = alice();
    let out = Resolver::new(&env)
        .with_keys(&keys)
        .resolve_yaml(values, &path)
        .unwrap();
    assert_eq!(text(&load(&out), "password"), SECRET);
}

#[test]
fn the_allow_list_limits_the_schemes() {
    let env = RefEnv::new().with("SOPS_RS_REF_SCHEMES", "echo, file");
    assert_eq!(text(&resolve(&env, "a: ref+echo://xy\n"), "a"), "xy");
    let message = fail(&env, "a: ref+sops://credentials.yaml#/password\n").to_string();
    assert!(
        message.contains("ref+sops://credentials.yaml#/password"),
        "{message}"
    );
    assert!(
        message.contains("not allowed by SOPS_RS_REF_SCHEMES (allowed: echo, file)"),
        "{message}"
    );
    let none = RefEnv::new().with("SOPS_RS_REF_SCHEMES", "none");
    let message = fail(&none, "a: ref+echo://xy\n").to_string();
    assert!(message.contains("(allowed: none)"), "{message}");
    let bad = RefEnv::new().with("SOPS_RS_REF_SCHEMES", "sops,tfstate");
    let message = fail(&bad, "a: ref+echo://xy\n").to_string();
    assert!(message.contains("names \"tfstate\""), "{message}");
}

#[test]
fn files_without_references_are_returned_unchanged() {
    let plain = "a:   1   # odd spacing\nb: 'quoted'\n";
    let env = RefEnv::new();
    let out = Resolver::new(&env)
        .resolve_yaml(plain.as_bytes(), &data().join("values.yaml"))
        .unwrap();
    assert_eq!(out, plain.as_bytes());
    // Keys and comments are not resolved.
    let values = "# see ref+echo://c\nref+echo://key: value\n";
    let (m, out) = resolve_as(&env, values, "values.yaml");
    assert_eq!(text(&m, "ref+echo://key"), "value");
    assert!(out.starts_with("# see ref+echo://c\n"), "{out}");
}
