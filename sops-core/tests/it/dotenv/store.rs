//! The dotenv store against files written by the reference sops 3.11.0.
//!
//! `tests/data/dotenv/X.enc.env` is `sops encrypt --age <alice> X.env`, `X.decrypted.env` and
//! `X.decrypted.json` are `sops decrypt [--output-type json] X.enc.env`, and
//! `from-yaml.sops.env` is `sops decrypt --output-type dotenv` of the encrypted `from-yaml.yaml`.

use sops_core::metadata::Metadata;
use sops_core::store::dotenv::DotenvStore;
use sops_core::store::json::JsonStore;
use sops_core::store::yaml::YamlStore;
use sops_core::store::Store;
use sops_core::tree::{MapItem, Mapping, Node, Scalar, Sequence, Tree};
use sops_core::ErrorKind;

fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/dotenv/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `fixtures/<name>` of the repository.
fn fixture(name: &str) -> Vec<u8> {
    sops_test_support::fixtures::read(&sops_test_support::fixture(name))
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

fn one_branch(branch: Mapping) -> Tree {
    Tree {
        branches: vec![branch],
    }
}

#[test]
fn plain_files_round_trip_byte_for_byte() {
    let store = DotenvStore::new();
    for input in [
        fixture("sops-3.11.0/env-age.plain.env"),
        fixture("spec-examples/e1.env"),
        data("quirks.decrypted.env"),
        data("crlf.env"),
    ] {
        let tree = store.load_plain(&input).unwrap();
        assert_eq!(show(&store.emit_plain(&tree).unwrap()), show(&input));
    }
}

#[test]
fn sops_output_is_reproduced_from_the_plain_file() {
    // sops drops empty lines and writes a final newline; nothing else changes.
    let store = DotenvStore::new();
    for name in ["quirks", "crlf"] {
        let tree = store.load_plain(&data(&format!("{name}.env"))).unwrap();
        let expected = data(&format!("{name}.decrypted.env"));
        assert_eq!(show(&store.emit_plain(&tree).unwrap()), show(&expected));
        let json = JsonStore::new(-1).emit_plain(&tree).unwrap();
        assert_eq!(show(&json), show(&data(&format!("{name}.decrypted.json"))));
    }
}

#[test]
fn encrypted_files_are_rewritten_identically() {
    let store = DotenvStore::new();
    for input in [
        fixture("sops-3.11.0/env-age.env"),
        fixture("spec-examples/e1.enc.env"),
        fixture("spec-examples/enc_s.env"),
        data("quirks.enc.env"),
        data("crlf.enc.env"),
    ] {
        let (tree, sops) = store.load_encrypted(&input).unwrap();
        let metadata = Metadata::from_mapping(&sops).unwrap();
        let output = store.emit_encrypted(&tree, &metadata).unwrap();
        assert_eq!(show(&output), show(&input));
    }
}

#[test]
fn lines_are_read_verbatim() {
    let input = b"export FOO=bar\nKEY = value \nQ=\"quoted\"\nESC=a\\nb\\\\nc\n#comment\n\nEQ=a=b\n=x\nCR=1\r\n";
    let tree = DotenvStore::new().load_plain(input).unwrap();
    let branch = &tree.branches[0];
    let pairs: Vec<(&str, &str)> = branch
        .pairs()
        .map(|(k, v)| (k, v.as_str().expect("a string")))
        .collect();
    assert_eq!(
        pairs,
        [
            ("export FOO", "bar"),
            ("KEY ", " value "),
            ("Q", "\"quoted\""),
            ("ESC", "a\nb\\\nc"),
            ("EQ", "a=b"),
            ("", "x"),
            ("CR", "1\r"),
        ]
    );
    assert!(matches!(&branch.items[4], MapItem::Comment(c) if c.as_str() == "comment"));
}

#[test]
fn a_line_without_equals_sign_is_invalid_input() {
    for input in [&b"A=1\nnoeq\n"[..], b"A=1\n\r\n", b" \n"] {
        let err = fails(DotenvStore::new().load_plain(input));
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.exit_code(), 2);
        assert!(err.message().starts_with("invalid dotenv input line: "));
    }
}

#[test]
fn bytes_that_are_not_utf8_stay_bytes() {
    let store = DotenvStore::new();
    let input = b"K=\xff\xfe\\n\n";
    let tree = store.load_plain(input).unwrap();
    let value = tree.branches[0].get("K");
    assert!(
        matches!(value, Some(Node::Scalar(Scalar::Bytes(b))) if b.secret_bytes() == b"\xff\xfe\n")
    );
    assert_eq!(store.emit_plain(&tree).unwrap(), input);
    assert_eq!(
        fails(store.load_plain(b"\xff=1\n")).kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn other_formats_are_written_with_go_val_to_string() {
    let tree = YamlStore::new(4)
        .load_plain(&data("from-yaml.yaml"))
        .unwrap();
    let output = DotenvStore::new().emit_plain(&tree).unwrap();
    assert_eq!(show(&output), show(&data("from-yaml.sops.env")));
}

#[test]
fn lists_and_maps_cannot_be_written() {
    let mut branch = Mapping::default();
    branch.push("a", Node::string("1"));
    branch.push("l", Node::Sequence(Sequence::default()));
    let err = fails(DotenvStore::new().emit_plain(&one_branch(branch)));
    assert_eq!(err.kind(), ErrorKind::EmitFailed);
    assert_eq!(err.exit_code(), 4);
    assert_eq!(
        err.message(),
        "cannot use complex value in dotenv file; offending key l"
    );
}

#[test]
fn emit_value_writes_mappings_and_strings_only() {
    let store = DotenvStore::new();
    let mut map = Mapping::default();
    map.push("A", Node::string("x\ny"));
    assert_eq!(store.emit_value(&Node::Mapping(map)).unwrap(), b"A=x\\ny\n");
    assert_eq!(store.emit_value(&Node::string("s")).unwrap(), b"s");
    let err = fails(store.emit_value(&Node::Scalar(Scalar::Float(1.5))));
    assert_eq!(err.exit_code(), 4);
    assert_eq!(
        err.message(),
        "the dotenv store only supports emitting strings, got float64"
    );
}

#[test]
fn metadata_lines_anywhere_are_collected() {
    let input = fixture("sops-3.11.0/env-age.env");
    let text = show(&input);
    let (head, meta) = text.split_at(text.find("sops_").unwrap());
    // Move the metadata to the front: the result is the same file.
    let moved = format!("{meta}{head}");
    let store = DotenvStore::new();
    let (tree, sops) = store.load_encrypted(moved.as_bytes()).unwrap();
    let metadata = Metadata::from_mapping(&sops).unwrap();
    assert_eq!(show(&store.emit_encrypted(&tree, &metadata).unwrap()), text);
}

#[test]
fn a_file_without_metadata_is_not_encrypted() {
    let err = fails(DotenvStore::new().load_encrypted(b"A=1\n#sops_x=1\n"));
    assert_eq!(err.kind(), ErrorKind::Generic);
    assert_eq!(err.message(), "sops metadata not found");
}

#[test]
fn empty_input_is_one_empty_branch() {
    let store = DotenvStore::new();
    let tree = store.load_plain(b"").unwrap();
    assert_eq!(tree.branches.len(), 1);
    assert!(tree.branches[0].items.is_empty());
    assert!(store.emit_plain(&tree).unwrap().is_empty());
    assert!(store.emit_plain(&Tree::default()).unwrap().is_empty());
}
