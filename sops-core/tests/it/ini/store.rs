//! Loading INI files as sops 3.11 (gopkg.in/ini.v1) does, against files it wrote.
//!
//! For each `tests/data/ini/X.ini`: `X.enc.ini` is `sops encrypt --age <alice> X.ini`, and
//! `X.decrypted.ini` / `X.decrypted.json` are `sops decrypt [--output-type json] X.enc.ini`.

use sops_core::metadata::Metadata;
use sops_core::store::ini::IniStore;
use sops_core::store::json::JsonStore;
use sops_core::store::Store;
use sops_core::tree::{MapItem, Mapping, Node};
use sops_core::ErrorKind;

const CORPUS: [&str; 6] = [
    "quirks",
    "comments",
    "multiline",
    "default",
    "crlf-bom",
    "names",
];

fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/ini/{name}", env!("CARGO_MANIFEST_DIR"));
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

/// The file with the lines of its `[sops]` section sorted: sops 3.11 writes them in random
/// order.
fn sorted_sops_section(bytes: &[u8]) -> String {
    let text = show(bytes);
    let (head, tail) = text.split_at(text.find("[sops]\n").expect("a [sops] section"));
    let mut lines: Vec<&str> = tail.lines().skip(1).collect();
    lines.sort_unstable();
    format!("{head}[sops]\n{}\n", lines.join("\n"))
}

/// The items of a section as `key` / `#comment` strings.
fn items(section: &Node) -> Vec<String> {
    let Node::Mapping(m) = section else {
        panic!("a section is a mapping")
    };
    m.items
        .iter()
        .map(|item| match item {
            MapItem::Pair(k, _) => k.clone(),
            MapItem::Comment(c) => format!("#{}", c.as_str()),
        })
        .collect()
}

fn value<'a>(branch: &'a Mapping, section: &str, key: &str) -> &'a str {
    let Some(Node::Mapping(s)) = branch.get(section) else {
        panic!("no section {section}")
    };
    s.get(key).and_then(Node::as_str).expect("a string value")
}

#[test]
fn sops_output_round_trips_byte_for_byte() {
    let store = IniStore::new();
    let mut inputs = vec![fixture("sops-3.11.0/ini-age.plain.ini")];
    inputs.extend(CORPUS.map(|n| data(&format!("{n}.decrypted.ini"))));
    for input in inputs {
        let tree = store.load_plain(&input).unwrap();
        assert_eq!(show(&store.emit_plain(&tree).unwrap()), show(&input));
    }
}

#[test]
fn plain_files_are_written_as_sops_writes_them() {
    let store = IniStore::new();
    for name in CORPUS {
        let tree = store.load_plain(&data(&format!("{name}.ini"))).unwrap();
        let expected = data(&format!("{name}.decrypted.ini"));
        assert_eq!(
            show(&store.emit_plain(&tree).unwrap()),
            show(&expected),
            "{name}"
        );
        let json = JsonStore::new(-1).emit_plain(&tree).unwrap();
        let expected = data(&format!("{name}.decrypted.json"));
        assert_eq!(show(&json), show(&expected), "{name} as JSON");
    }
    let tree = store.load_plain(&fixture("spec-examples/i1.ini")).unwrap();
    let expected = fixture("spec-examples/expected/i1.enc.ini.decrypted");
    assert_eq!(show(&store.emit_plain(&tree).unwrap()), show(&expected));
}

#[test]
fn encrypted_files_are_rewritten_identically() {
    let store = IniStore::new();
    let mut inputs = vec![
        fixture("sops-3.11.0/ini-age.ini"),
        fixture("spec-examples/i1.enc.ini"),
    ];
    inputs.extend(CORPUS.map(|n| data(&format!("{n}.enc.ini"))));
    for input in inputs {
        let (tree, sops) = store.load_encrypted(&input).unwrap();
        let metadata = Metadata::from_mapping(&sops).unwrap();
        let output = store.emit_encrypted(&tree, &metadata).unwrap();
        // Sorted, as sops-rs writes it.
        assert_eq!(show(&output), sorted_sops_section(&output));
        assert_eq!(show(&output), sorted_sops_section(&input));
    }
}

#[test]
fn sections_and_comments_become_sops_tree_items() {
    let tree = IniStore::new()
        .load_plain(&fixture("spec-examples/i1.ini"))
        .unwrap();
    let branch = &tree.branches[0];
    let sections: Vec<&str> = branch.pairs().map(|(k, _)| k).collect();
    assert_eq!(sections, ["DEFAULT", "sec1", "sec2"]);
    let sec1 = branch.get("sec1").unwrap();
    // A header's comment comes first, a key's comment after the key.
    assert_eq!(
        items(sec1),
        ["#section comment", "a", "b", "#key comment", "c"]
    );
    assert_eq!(value(branch, "DEFAULT", "toplevel"), "yes");
    assert_eq!(value(branch, "sec1", "c"), "");
}

#[test]
fn values_are_read_as_ini_v1_reads_them() {
    let tree = IniStore::new().load_plain(&data("quirks.ini")).unwrap();
    let branch = &tree.branches[0];
    for (key, expected) in [
        ("a", "x"),
        ("b", "q"),
        ("c", "tick # x"),
        ("d", "tri\nline"),
        ("e", "spaced"),
        ("key with space", "v"),
        ("f", "a"),
        ("quoted key", "1"),
        ("bt key", "2"),
        ("g", "colon"),
        ("h", "indented"),
        ("i", "single"),
        ("j", "\"unbal"),
        ("k", "contin uation"),
    ] {
        assert_eq!(value(branch, "s", key), expected, "{key}");
    }
    let s = branch.get("s").unwrap();
    assert_eq!(&items(s)[..4], ["a", "#c", "b", "#d"]);
}

#[test]
fn repeated_sections_stay_and_repeated_keys_merge() {
    let tree = IniStore::new().load_plain(&data("comments.ini")).unwrap();
    let branch = &tree.branches[0];
    let sections: Vec<&str> = branch.pairs().map(|(k, _)| k).collect();
    assert_eq!(sections, ["DEFAULT", "a", "a", "b", "c"]);
    assert_eq!(value(branch, "c", "k"), "2");
    // Comments at the end of the file are lost, as in sops.
    assert_eq!(items(branch.get("c").unwrap()), ["k"]);
}

#[test]
fn byte_order_mark_and_crlf() {
    let tree = IniStore::new().load_plain(&data("crlf-bom.ini")).unwrap();
    let branch = &tree.branches[0];
    assert_eq!(value(branch, "bom", "b"), "two words");
    assert_eq!(
        items(branch.get("bom").unwrap()),
        ["a", "b", "c", "#crlf comment"]
    );
}

#[test]
fn malformed_input_fails_as_sops_does() {
    for (input, message) in [
        ("[s\na=1\n", "unclosed section: [s"),
        ("[]\n", "empty section name"),
        ("[s]\nnodelim\n", "key-value delimiter not found: nodelim"),
        ("[s]\n= x\n", "empty key name: = x"),
        ("[s]\n\"\" = x\n", "error creating new key: empty key name"),
        ("[s]\n\"abc = 1\n", "missing closing key quote: \"abc = 1"),
        ("[s]\nz = ` only\n", "missing closing key quote from"),
        ("[s]\na = \"\"\"x\ny\n", "missing closing key quote from"),
    ] {
        let err = fails(IniStore::new().load_plain(input.as_bytes()));
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{input:?}");
        let expected = format!("Could not unmarshal input data: {message}");
        assert!(err.message().starts_with(&expected), "{}", err.message());
    }
    let err = fails(IniStore::new().load_plain(b"[s]\na = \xff\n"));
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn empty_input_is_an_empty_default_section() {
    let store = IniStore::new();
    let tree = store.load_plain(b"").unwrap();
    assert_eq!(items(tree.branches[0].get("DEFAULT").unwrap()).len(), 0);
    assert_eq!(store.emit_plain(&tree).unwrap(), b"");
    let tree = store.load_plain(b"; only\n# comments\n").unwrap();
    assert_eq!(tree.branches[0].items.len(), 1);
}

#[test]
fn metadata_section_is_found_anywhere_and_removed() {
    let store = IniStore::new();
    let input = fixture("sops-3.11.0/ini-age.ini");
    let text = show(&input);
    let at = text.find("[sops]").unwrap();
    let moved = format!("{}\n\n{}", &text[at..], &text[..at]);
    let (tree, sops) = store.load_encrypted(moved.as_bytes()).unwrap();
    let sections: Vec<&str> = tree.branches[0].pairs().map(|(k, _)| k).collect();
    assert_eq!(sections, ["DEFAULT", "database", "cache"]);
    let metadata = Metadata::from_mapping(&sops).unwrap();
    let output = store.emit_encrypted(&tree, &metadata).unwrap();
    assert_eq!(show(&output), sorted_sops_section(&input));
    let err = fails(store.load_encrypted(b"[s]\na = 1\n"));
    assert_eq!(err.message(), "sops metadata not found");
    assert_eq!(err.exit_code(), 1);
}
