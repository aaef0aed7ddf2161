//! JSON and binary store against files written by the reference sops 3.11.0.
//!
//! Every `*.json` compared byte for byte was produced by `sops` 3.11.0 (the commands are named
//! next to each test): the files of `fixtures/` listed in [`SHARED`], the others in
//! `tests/data/json/`.

use sops_core::metadata::Metadata;
use sops_core::store::json::{BinaryStore, JsonStore};
use sops_core::store::Store;
use sops_core::tree::{MapItem, Node, Scalar};
use sops_core::ErrorKind;
use std::path::Path;

/// The files of the repository's `fixtures/` these tests read, by the name they use.
const SHARED: &[(&str, &str)] = &[
    ("json-age.json", "sops-3.11.0/json-age.json"),
    ("json-age.plain.json", "sops-3.11.0/json-age.plain.json"),
    (
        "json-encrypted-regex.json",
        "sops-3.11.0/json-encrypted-regex.json",
    ),
    (
        "json-encrypted-regex.plain.json",
        "sops-3.11.0/json-encrypted-regex.plain.json",
    ),
    ("binary-age.bin.json", "sops-3.11.0/binary-age.bin.json"),
    ("binary-age.plain.bin", "sops-3.11.0/binary-age.plain.bin"),
    ("enc_s.json", "spec-examples/enc_s.json"),
];

/// A file of [`SHARED`], else `tests/data/json/<name>`.
fn data(name: &str) -> Vec<u8> {
    let path = match SHARED.iter().find(|(short, _)| *short == name) {
        Some((_, rel)) => sops_test_support::fixture(rel),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/json")
            .join(name),
    };
    sops_test_support::fixtures::read(&path)
}

fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Loads an encrypted file, parses its metadata and writes it back.
fn reencrypt(store: &dyn Store, input: &[u8]) -> Vec<u8> {
    let (tree, sops) = store.load_encrypted(input).expect("load_encrypted");
    let metadata = Metadata::from_mapping(&sops).expect("from_mapping");
    store
        .emit_encrypted(&tree, &metadata)
        .expect("emit_encrypted")
}

/// The error of a call expected to fail (`Tree` has no `Debug`, so no `unwrap_err`).
fn fails<T>(result: Result<T, sops_core::Error>) -> sops_core::Error {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

#[test]
fn plain_file_round_trips_byte_for_byte() {
    let store = JsonStore::new(-1);
    for name in ["json-age.plain.json", "json-encrypted-regex.plain.json"] {
        let input = data(name);
        let tree = store.load_plain(&input).unwrap();
        assert_eq!(tree.branches.len(), 1);
        assert_eq!(
            show(&store.emit_plain(&tree).unwrap()),
            show(&input),
            "{name}"
        );
    }
}

#[test]
fn plain_types_follow_sops_3_11() {
    let tree = JsonStore::new(-1)
        .load_plain(&data("json-age.plain.json"))
        .unwrap();
    let b = &tree.branches[0];
    assert!(
        matches!(b.get("name"), Some(Node::Scalar(Scalar::Str(s))) if s.as_str() == "payments")
    );
    // Every JSON number is a float64 in sops 3.11 (`type:float` in json-age.json).
    assert!(matches!(b.get("replicas"), Some(Node::Scalar(Scalar::Float(f))) if *f == 3.0));
    assert!(matches!(
        b.get("enabled"),
        Some(Node::Scalar(Scalar::Bool(true)))
    ));
    assert!(matches!(b.get("nothing"), Some(Node::Scalar(Scalar::Null))));
    let escapes = b.get("escapes").and_then(Node::as_str).unwrap();
    assert_eq!(escapes, "tab\there \"quoted\" back\\slash\nnewline");
}

#[test]
fn encrypted_files_round_trip_through_metadata() {
    // json-age.json, json-encrypted-regex.json: `sops encrypt --age … [--encrypted-regex …]`.
    // enc_s.json: spec example with two key groups (PGP + age) and `"hc_vault": null`.
    // json-groups-shamir.json: `.sops.yaml` with shamir_threshold 2, encrypted_suffix,
    // mac_only_encrypted and two age key groups, then `sops encrypt g.json`.
    let json = JsonStore::new(-1);
    for name in [
        "json-age.json",
        "json-encrypted-regex.json",
        "enc_s.json",
        "json-groups-shamir.json",
    ] {
        let input = data(name);
        assert_eq!(show(&reencrypt(&json, &input)), show(&input), "{name}");
    }
    let binary = BinaryStore::new(-1);
    for name in ["binary-age.bin.json", "binary-invalid-utf8.bin.json"] {
        let input = data(name);
        assert_eq!(show(&reencrypt(&binary, &input)), show(&input), "{name}");
    }
}

#[test]
fn old_style_null_key_lists_are_read_and_dropped() {
    // sops < 3.10 wrote every list, empty ones as null (e.g. a 3.9.4 file has `"kms": null`).
    let input = show(&data("json-age.json"));
    let old = input
        .replace("\t\t\"age\": [", "\t\t\"kms\": null,\n\t\t\"gcp_kms\": null,\n\t\t\"azure_kv\": null,\n\t\t\"hc_vault\": null,\n\t\t\"age\": [")
        .replace("\t\t\"unencrypted_suffix\"", "\t\t\"pgp\": null,\n\t\t\"unencrypted_suffix\"");
    assert_ne!(old, input);
    assert_eq!(show(&reencrypt(&JsonStore::new(-1), old.as_bytes())), input);
}

#[test]
fn go_encoding_of_strings_and_floats() {
    // go-emission.sops.json = `sops encrypt --age … go-emission.input.json > e.json;
    // sops decrypt e.json` with sops 3.11.0. It shows: `<>&` as \u003c \u003e \u0026,
    // U+2028/2029 escaped, \b \f short escapes, other controls \u00XX, DEL raw, a lone
    // surrogate escape read as U+FFFD, duplicate keys kept, floats 1e+21, 1e-7, 0.000001,
    // 123456789, -0, 12345678901234567000 (float64 precision), 9.9e-7, 5e-324,
    // 1.7976931348623157e+308, and `{}`/`[]` compact.
    let store = JsonStore::new(-1);
    let tree = store.load_plain(&data("go-emission.input.json")).unwrap();
    assert_eq!(
        show(&store.emit_plain(&tree).unwrap()),
        show(&data("go-emission.sops.json"))
    );
    // Reading sops's own output gives the same tree back.
    let again = store.load_plain(&data("go-emission.sops.json")).unwrap();
    assert!(again == tree);
}

#[test]
fn invalid_utf8_is_written_as_escaped_replacement_per_byte() {
    // `sops decrypt --output-type json binary-invalid-utf8.bin.json`: each byte of an invalid
    // or truncated sequence becomes its own `\ufffd`.
    let plain = data("binary-invalid-utf8.plain.bin");
    let tree = BinaryStore::new(-1).load_plain(&plain).unwrap();
    assert!(matches!(
        tree.branches[0].get("data"),
        Some(Node::Scalar(Scalar::Bytes(_)))
    ));
    let out = JsonStore::new(-1).emit_plain(&tree).unwrap();
    assert_eq!(show(&out), show(&data("bin-invalid-utf8.sops.json")));
    assert_eq!(BinaryStore::new(-1).emit_plain(&tree).unwrap(), plain);
}

#[test]
fn indentation_settings() {
    // `.sops.yaml` with `stores: json: indent: 2` (resp. 0), then `sops decrypt json-age.json`.
    let tree = JsonStore::new(-1)
        .load_plain(&data("json-age.plain.json"))
        .unwrap();
    for (indent, name) in [
        (2, "json-age.plain.indent2.json"),
        (0, "json-age.plain.indent0.json"),
    ] {
        let out = JsonStore::new(indent).emit_plain(&tree).unwrap();
        assert_eq!(show(&out), show(&data(name)), "indent {indent}");
    }
    let err = fails(JsonStore::new(-2).emit_plain(&tree));
    assert_eq!(err.kind(), ErrorKind::EmitFailed);
}

#[test]
fn extract_style_values() {
    // `sops decrypt --extract '["database"]["tags"]' json-age.json` prints the indented array
    // without a final newline; `["replicas"]` prints `3`; `["database"]` prints a document.
    let store = JsonStore::new(-1);
    let tree = store.load_plain(&data("json-age.plain.json")).unwrap();
    let db = tree.branches[0].get("database").unwrap();
    let tags = db.as_mapping().unwrap().get("tags").unwrap();
    let out = store.emit_value(tags).unwrap();
    assert_eq!(
        show(&out),
        "[\n\t\"primary\",\n\t\"eu-west-1\",\n\t7,\n\t2.5,\n\tfalse\n]"
    );
    let replicas = tree.branches[0].get("replicas").unwrap();
    assert_eq!(store.emit_value(replicas).unwrap(), b"3");
    assert_eq!(
        store.emit_value(&Node::string("a<b")).unwrap(),
        b"\"a\\u003cb\""
    );
    let out = show(&store.emit_value(db).unwrap());
    assert!(
        out.starts_with("{\n\t\"host\": \"db.internal\",\n") && out.ends_with("\t]\n}\n"),
        "{out}"
    );
}

#[test]
fn comments_are_skipped_and_only_the_first_branch_is_written() {
    let store = JsonStore::new(-1);
    let mut tree = store
        .load_plain(br#"{"a": [1, 2], "b": {"c": true}}"#)
        .unwrap();
    let mut second = tree.branches[0].clone();
    second.push("other", Node::string("document"));
    tree.branches[0]
        .items
        .insert(0, MapItem::Comment("top".into()));
    if let Some(MapItem::Pair(_, Node::Sequence(seq))) = tree.branches[0].items.get_mut(1) {
        seq.items
            .insert(0, sops_core::tree::SeqItem::Comment("in list".into()));
        seq.items
            .push(sops_core::tree::SeqItem::Comment("last".into()));
    }
    tree.branches.push(second);
    let out = show(&store.emit_plain(&tree).unwrap());
    assert_eq!(
        out,
        "{\n\t\"a\": [\n\t\t1,\n\t\t2\n\t],\n\t\"b\": {\n\t\t\"c\": true\n\t}\n}\n"
    );
    // A mapping holding only comments is `{}`.
    let mut only = sops_core::tree::Tree::default();
    only.branches.push(sops_core::tree::Mapping {
        items: vec![MapItem::Comment("x".into())],
    });
    assert_eq!(store.emit_plain(&only).unwrap(), b"{}\n");
    assert_eq!(
        store.emit_plain(&sops_core::tree::Tree::default()).unwrap(),
        b"{}\n"
    );
}

#[test]
fn non_finite_floats_cannot_be_written() {
    let store = JsonStore::new(-1);
    let mut tree = store.load_plain(b"{}").unwrap();
    tree.branches[0].push("x", Node::Scalar(Scalar::Float(f64::NAN)));
    let err = fails(store.emit_plain(&tree));
    assert_eq!(err.kind(), ErrorKind::EmitFailed);
    assert_eq!(err.exit_code(), 4);
    assert!(err.message().contains("\"x\""), "{}", err.message());
    let inf = Node::Scalar(Scalar::Float(f64::INFINITY));
    assert_eq!(fails(store.emit_value(&inf)).kind(), ErrorKind::EmitFailed);
}

#[test]
fn int_and_time_scalars() {
    let store = JsonStore::new(-1);
    let mut tree = store.load_plain(b"{}").unwrap();
    tree.branches[0].push("i", Node::Scalar(Scalar::Int(-9_007_199_254_740_993)));
    let t = sops_core::tree::Timestamp {
        rfc3339_nano: "2001-12-14T21:59:43.1-05:00".into(),
    };
    tree.branches[0].push("t", Node::Scalar(Scalar::Time(t)));
    let out = show(&store.emit_plain(&tree).unwrap());
    assert_eq!(
        out,
        "{\n\t\"i\": -9007199254740993,\n\t\"t\": \"2001-12-14T21:59:43.1-05:00\"\n}\n"
    );
}

#[test]
fn binary_store() {
    let store = BinaryStore::new(-1);
    let plain = data("binary-age.plain.bin");
    let tree = store.load_plain(&plain).unwrap();
    assert!(matches!(
        tree.branches[0].get("data"),
        Some(Node::Scalar(Scalar::Str(_)))
    ));
    assert_eq!(store.emit_plain(&tree).unwrap(), plain);
    let empty = store.load_plain(b"").unwrap();
    assert_eq!(store.emit_plain(&empty).unwrap(), b"");

    let err = fails(store.emit_plain(&sops_core::tree::Tree::default()));
    assert!(err
        .message()
        .contains("there must be exactly one tree branch"));
    let other = JsonStore::new(-1).load_plain(br#"{"a": "b"}"#).unwrap();
    let err = fails(store.emit_plain(&other));
    assert!(err.message().contains("no binary data found in tree"));
    assert_eq!(err.kind(), ErrorKind::EmitFailed);
    let number = JsonStore::new(-1).load_plain(br#"{"data": 1}"#).unwrap();
    assert!(fails(store.emit_plain(&number))
        .message()
        .contains("string value"));
    assert!(store.emit_value(&Node::string("x")).is_err());
}

#[test]
fn metadata_is_split_off() {
    let (tree, sops) = JsonStore::new(-1)
        .load_encrypted(&data("json-age.json"))
        .unwrap();
    assert!(tree.branches[0].get("sops").is_none());
    assert!(sops.get("mac").is_some());
    let err = fails(JsonStore::new(-1).load_encrypted(br#"{"a": 1}"#));
    assert_eq!(err.kind(), ErrorKind::Generic);
    assert!(err.message().contains("sops metadata not found"));
}
