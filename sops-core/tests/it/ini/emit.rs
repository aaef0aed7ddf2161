//! Writing INI from trees of other formats, `emit_value`, and whole-file encryption of INI and
//! dotenv through the engine.
//!
//! `tests/data/ini/from-yaml.sops.ini` is `sops decrypt --output-type ini` of the encrypted
//! `from-yaml.yaml`; `extract.sops.txt` holds, one per line, `sops decrypt --output-type ini
//! --extract '["K"]'` of the encrypted `extract.yaml` for K = l, c, i, f, b, n.

use sops_core::internal::{decrypt_file, encrypt_file};
use sops_core::store::ini::IniStore;
use sops_core::store::yaml::YamlStore;
use sops_core::store::{Format, Store};
use sops_core::tree::{Mapping, Node, Scalar, Tree};
use sops_core::{DecryptOptions, EncryptOptions, ErrorKind};
use sops_core::{KeyEntry, KeySource};
use sops_test_support::CleartextKey;

fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn fails<T>(result: Result<T, sops_core::Error>) -> sops_core::Error {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

fn yaml(text: &str) -> Tree {
    YamlStore::new(4).load_plain(text.as_bytes()).unwrap()
}

fn ini_of(text: &str) -> String {
    show(&IniStore::new().emit_plain(&yaml(text)).unwrap())
}

#[test]
fn nested_values_and_comments_are_written_as_sops_writes_them() {
    let tree = YamlStore::new(4)
        .load_plain(&data("ini/from-yaml.yaml"))
        .unwrap();
    let output = IniStore::new().emit_plain(&tree).unwrap();
    assert_eq!(show(&output), show(&data("ini/from-yaml.sops.ini")));
}

#[test]
fn the_default_section_has_no_header_only_when_first() {
    assert_eq!(ini_of("DEFAULT: {}\n"), "");
    assert_eq!(ini_of("DEFAULT: {}\ns: {a: 1}\n"), "[s]\na = 1\n");
    assert_eq!(
        ini_of("default: {a: 1}\nz: {b: 2}\n"),
        "a = 1\n\n[z]\nb = 2\n"
    );
    assert_eq!(
        ini_of("x: {a: 1}\nDEFAULT: {b: 2}\n"),
        "[x]\na = 1\n\n[DEFAULT]\nb = 2\n"
    );
    assert_eq!(
        ini_of("DEFAULT: {a: 1}\nother: {b: 2}\nlast: {}\n"),
        "a = 1\n\n[other]\nb = 2\n\n[last]\n"
    );
}

#[test]
fn only_leading_and_after_key_comments_are_kept() {
    let text = "top:\n  # c1\n  # c2\n  a: 1\n  # after a\n  # after a 2\n  b: 2\n";
    assert_eq!(ini_of(text), ";  c1\n[top]\n; after a 2\na = 1\nb = 2\n");
    // Several documents are all written; top-level comments are not.
    assert_eq!(
        ini_of("# top\nd1: {a: 1}\n---\nd2: {b: 2}\n"),
        "[d1]\na = 1\n\n[d2]\nb = 2\n"
    );
}

#[test]
fn trees_ini_cannot_hold_fail_with_exit_code_4() {
    for (text, message) in [
        (
            "a: 1\n",
            "Error marshaling to ini: Error encoding section: Section values should always be \
             TreeBranches",
        ),
        (
            "\"\": {a: 1}\n",
            "Error marshaling to ini: Error encoding section : empty section name",
        ),
        (
            "s: {\"\": 1}\n",
            "Error marshaling to ini: Error encoding key: error creating new key: empty key name",
        ),
    ] {
        let err = fails(IniStore::new().emit_plain(&yaml(text)));
        assert_eq!(err.kind(), ErrorKind::EmitFailed);
        assert_eq!(err.exit_code(), 4);
        assert_eq!(err.message(), message);
    }
}

#[test]
fn emit_value_is_go_json_marshal() {
    let tree = YamlStore::new(4)
        .load_plain(&data("ini/extract.yaml"))
        .unwrap();
    let expected = data("ini/extract.sops.txt");
    let expected: Vec<&str> = std::str::from_utf8(&expected).unwrap().lines().collect();
    for (key, want) in ["l", "c", "i", "f", "b", "n"].into_iter().zip(expected) {
        let value = tree.branches[0].get(key).unwrap();
        let got = IniStore::new().emit_value(value).unwrap();
        assert_eq!(show(&got), want, "{key}");
    }
    let nan = Node::Scalar(Scalar::Float(f64::NAN));
    let err = fails(IniStore::new().emit_value(&nan));
    assert_eq!(err.message(), "json: unsupported value: NaN");
    assert_eq!(err.exit_code(), 4);
    // A mapping is written as a whole file, so its values must be sections.
    let err = fails(IniStore::new().emit_value(&Node::Mapping(yaml("k: v\n").branches.remove(0))));
    assert_eq!(err.exit_code(), 4);
}

#[test]
fn deep_nesting_is_refused_not_overflowing() {
    let mut node = Node::string("x");
    for _ in 0..1_000 {
        let mut map = Mapping::default();
        map.push("k", node);
        node = Node::Mapping(map);
    }
    let mut section = Mapping::default();
    section.push("v", node);
    let mut branch = Mapping::default();
    branch.push("s", Node::Mapping(section));
    let tree = Tree {
        branches: vec![branch],
    };
    let err = fails(IniStore::new().emit_plain(&tree));
    assert_eq!(err.exit_code(), 4);
    assert_eq!(err.message(), "a value is nested too deeply to write");
}

fn options() -> EncryptOptions {
    let mut recipient = KeyEntry::new("age");
    recipient.set_field("recipient", "test");
    EncryptOptions {
        key_groups: vec![vec![recipient]],
        ..Default::default()
    }
}

#[test]
fn files_encrypt_and_decrypt_through_the_engine() {
    for (format, plain, expected) in [
        (Format::Ini, "ini/quirks.ini", "ini/quirks.decrypted.ini"),
        (
            Format::Ini,
            "ini/comments.ini",
            "ini/comments.decrypted.ini",
        ),
        (
            Format::Dotenv,
            "dotenv/quirks.env",
            "dotenv/quirks.decrypted.env",
        ),
    ] {
        let sources: [&dyn KeySource; 1] = [&CleartextKey];
        let encrypted = encrypt_file(&data(plain), format, &sources, &options()).unwrap();
        let text = show(&encrypted);
        assert!(
            !text.contains("hello") && text.contains("type:comment]"),
            "{text}"
        );
        let decrypted =
            decrypt_file(&encrypted, format, &sources, &DecryptOptions::default()).unwrap();
        assert_eq!(show(&decrypted), show(&data(expected)), "{plain}");
    }
}
