//! The JSON reader: what sops 3.11 accepts and rejects, string decoding, limits and speed.
//!
//! The rejected inputs were checked with `sops encrypt --age … FILE` (3.11.0), which exits 2
//! for each of them ("Error unmarshalling file: Could not unmarshal input data: …").

use sops_core::store::json::JsonStore;
use sops_core::store::Store;
use sops_core::tree::{MapItem, Mapping, Node, Scalar, SeqItem};
use sops_core::ErrorKind;

fn load(input: &[u8]) -> Result<Mapping, sops_core::Error> {
    JsonStore::new(-1)
        .load_plain(input)
        .map(|mut t| t.branches.remove(0))
}

fn string_of(input: &str) -> String {
    let m = load(input.as_bytes()).unwrap();
    m.get("s").and_then(Node::as_str).unwrap().to_owned()
}

/// The error of a call expected to fail (`Tree` has no `Debug`, so no `unwrap_err`).
fn fails<T>(result: Result<T, sops_core::Error>) -> sops_core::Error {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

#[test]
fn rejected_inputs_exit_2_with_a_position() {
    let cases: &[(&[u8], &str)] = &[
        (b"[1]", "found an array"),
        (b"\"s\"", "found a string"),
        (b"42", "found a number"),
        (b"", "empty"),
        (b"  \n ", "empty"),
        (b"\xEF\xBB\xBF{\"a\":1}", "line 1, column 1"),
        (b"{\"a\":\"x\ny\"}", "control character"),
        (b"{\"a\":1e400}", "does not fit"),
        (b"{\"a\":1,}", "object key"),
        (b"{\"a\":1", "line 1, column 7"),
        (b"{\"a\" 1}", "':'"),
        (b"{\"a\":tru}", "a value"),
        (b"{\"a\":01}", "','"),
        (b"{\"a\":1.}", "decimal point"),
        (b"{\"a\":-}", "digit"),
        (b"{\"a\":\"\\x\"}", "escape"),
        (b"{\"a\":\"\\u12\"}", "hexadecimal"),
        (b"{\"a\":\"abc", "unterminated"),
        (b"{\"a\":[1 2]}", "',' or ']'"),
        (b"{\n  \"a\": 1,\n  \"b\": ?\n}", "line 3, column 8"),
    ];
    for (input, needle) in cases {
        let err = load(input)
            .err()
            .unwrap_or_else(|| panic!("accepted {:?}", String::from_utf8_lossy(input)));
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{}", err);
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.message().contains(needle),
            "{:?}: {}",
            String::from_utf8_lossy(input),
            err
        );
    }
    let bom = fails(load(b"\xEF\xBB\xBF{}"));
    assert!(bom.hint().unwrap_or("").contains("byte order mark"));
    let top = fails(load(b"[1]"));
    assert!(top.hint().unwrap_or("").contains("{\"data\""));
}

#[test]
fn data_after_the_object_is_ignored_in_plain_files_and_refused_in_encrypted_ones() {
    // sops's token decoder stops at the closing brace of a plain file; an encrypted file also
    // goes through `json.Unmarshal`, which refuses the rest (the reference exits 1 on decrypt).
    for input in [
        &b"{\"a\":1} x"[..],
        b"{\"a\":1}{\"b\":2}",
        b"{\"a\":1}}\n[",
        b"{\"a\":1}\x01",
    ] {
        let m = load(input).unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(input)));
        assert_eq!(m.pairs().map(|(k, _)| k).collect::<Vec<_>>(), ["a"]);
        let err = fails(JsonStore::new(-1).load_encrypted(input));
        assert!(
            err.message().contains("after the top-level object"),
            "{err}"
        );
    }
    if let Err(e) = JsonStore::new(-1).load_encrypted(b"{\"sops\":{}} \n\t\r\n") {
        assert!(!e.message().contains("after the top-level"), "{e}");
    }
}

#[test]
fn trailing_whitespace_and_all_value_kinds() {
    let m = load(b" \t\r\n{ \"a\" : [ true , false , null , -1.5e3 , \"x\" , { } , [ ] ] } \n\n")
        .unwrap();
    let Some(Node::Sequence(seq)) = m.get("a") else {
        panic!("not a sequence")
    };
    let kinds: Vec<&str> = seq
        .items
        .iter()
        .map(|i| match i {
            SeqItem::Value(v) => v.kind_name(),
            SeqItem::Comment(_) => "comment",
        })
        .collect();
    assert_eq!(
        kinds,
        ["bool", "bool", "null", "float", "str", "mapping", "sequence"]
    );
    assert!(
        matches!(&seq.items[3], SeqItem::Value(Node::Scalar(Scalar::Float(f))) if *f == -1500.0)
    );
}

#[test]
fn duplicate_keys_are_kept_in_order() {
    let m = load(br#"{"a": 1, "b": 2, "a": 3}"#).unwrap();
    let keys: Vec<&str> = m.pairs().map(|(k, _)| k).collect();
    assert_eq!(keys, ["a", "b", "a"]);
    assert!(matches!(m.items[2], MapItem::Pair(_, Node::Scalar(Scalar::Float(f))) if f == 3.0));
}

#[test]
fn numbers_are_float64() {
    let m =
        load(br#"{"big": 12345678901234567890, "neg0": -0, "exp": 1E+2, "tiny": 5e-324}"#).unwrap();
    let f = |k: &str| match m.get(k) {
        Some(Node::Scalar(Scalar::Float(f))) => *f,
        other => panic!("{k}: {other:?}"),
    };
    assert_eq!(f("big"), 12345678901234567890.0);
    assert!(f("neg0") == 0.0 && f("neg0").is_sign_negative());
    assert_eq!(f("exp"), 100.0);
    assert_eq!(f("tiny"), 5e-324);
}

#[test]
fn string_escapes_and_replacement() {
    assert_eq!(
        string_of(r#"{"s": "a\"b\\c\/d\b\f\n\r\t"}"#),
        "a\"b\\c/d\u{8}\u{c}\n\r\t"
    );
    assert_eq!(string_of(r#"{"s": "\u00e9\u65E5"}"#), "é日");
    // A surrogate pair, a lone high surrogate followed by an ordinary escape, a lone low one.
    assert_eq!(string_of(r#"{"s": "\ud83d\ude00"}"#), "😀");
    assert_eq!(string_of(r#"{"s": "\ud800\u0041"}"#), "\u{FFFD}A");
    assert_eq!(string_of(r#"{"s": "\udc00x"}"#), "\u{FFFD}x");
    assert_eq!(string_of(r#"{"s": "\ud800"}"#), "\u{FFFD}");
    // Raw invalid UTF-8: one U+FFFD per byte, as Go decodes it.
    let m = load(b"{\"s\": \"a\xffb\xe2\x82c\xed\xa0\x80\"}").unwrap();
    assert_eq!(
        m.get("s").and_then(Node::as_str),
        Some("a\u{FFFD}b\u{FFFD}\u{FFFD}c\u{FFFD}\u{FFFD}\u{FFFD}")
    );
    let m = load(b"{\"s\\n\": \"x\xff\\ty\"}").unwrap();
    assert_eq!(m.pairs().next().map(|(k, _)| k), Some("s\n"));
    assert_eq!(m.get("s\n").and_then(Node::as_str), Some("x\u{FFFD}\ty"));
    // DEL and non-ASCII pass raw.
    assert_eq!(string_of("{\"s\": \"\u{7f}ü\"}"), "\u{7f}ü");
}

#[test]
fn nesting_limit_is_max_depth() {
    // Go allows 10000 levels; sops-rs stops at MAX_DEPTH (1000) because the tree is walked,
    // written and dropped recursively, and must fit in the 2 MB stack of a test thread.
    let ok_depth = sops_core::tree::MAX_DEPTH - 1; // plus the top-level object
    let input = format!(
        "{{\"a\":{}1{}}}",
        "[".repeat(ok_depth),
        "]".repeat(ok_depth)
    );
    // Indent 0 keeps the output linear in the depth (tabs would make it quadratic).
    let store = JsonStore::new(0);
    let tree = store.load_plain(input.as_bytes()).unwrap();
    let out = store.emit_plain(&tree).unwrap();
    assert!(out.len() > ok_depth * 2);
    let deeper = format!(
        "{{\"a\":{}1{}}}",
        "[".repeat(ok_depth + 1),
        "]".repeat(ok_depth + 1)
    );
    let err = fails(store.load_plain(deeper.as_bytes()));
    assert!(err.message().contains("1000 levels"), "{err}");
}

#[test]
fn two_megabytes_quickly() {
    let mut input = String::from("{\n");
    let mut i = 0;
    while input.len() < 2 << 20 {
        input.push_str(&format!(
            "\t\"key{i}\": {{\"s\": \"value number {i} with \\\"escapes\\\" and ünïcode\", \"n\": {i}.5, \"l\": [true, null, \"x\"]}},\n"
        ));
        i += 1;
    }
    input.push_str("\t\"end\": 0\n}\n");
    let store = JsonStore::new(-1);
    let start = std::time::Instant::now();
    let tree = store.load_plain(input.as_bytes()).unwrap();
    let parsed = start.elapsed();
    let out = store.emit_plain(&tree).unwrap();
    let total = start.elapsed();
    eprintln!("2 MB: parse {parsed:?}, parse+emit {total:?}");
    assert!(out.len() > 2 << 20);
    // Debug builds are ~10x slower than release; this only catches accidental quadratic work.
    assert!(total < std::time::Duration::from_secs(5), "{total:?}");
}

#[test]
fn mutated_inputs_never_panic_and_round_trip() {
    let seed_doc = std::fs::read(format!(
        "{}/tests/data/json/go-emission.input.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let alphabet: &[u8] = b"{}[]:,\"\\ \n0-1.eE+tfnul\xff\xe2\x80\xa8u\x01a";
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let store = JsonStore::new(-1);
    let (mut accepted, mut rejected) = (0, 0);
    for _ in 0..3000 {
        let mut doc = seed_doc.clone();
        for _ in 0..(next() % 4 + 1) {
            let at = (next() as usize) % doc.len().max(1);
            let byte = alphabet[(next() as usize) % alphabet.len()];
            match next() % 3 {
                0 => doc[at] = byte,
                1 => doc.insert(at, byte),
                _ => {
                    doc.remove(at);
                }
            }
        }
        match store.load_plain(&doc) {
            Ok(tree) => {
                accepted += 1;
                // Whatever was read is written as JSON that reads back to the same tree.
                let out = store.emit_plain(&tree).unwrap();
                let again = store.load_plain(&out).unwrap();
                assert!(again == tree, "{}", String::from_utf8_lossy(&doc));
                assert_eq!(store.emit_plain(&again).unwrap(), out);
            }
            Err(e) => {
                rejected += 1;
                assert_eq!(e.kind(), ErrorKind::InvalidInput);
                assert!(e.message().contains("line "), "{e}");
            }
        }
    }
    assert!(
        accepted > 100 && rejected > 100,
        "{accepted} accepted, {rejected} rejected"
    );
}

#[test]
fn integers_are_ints_in_the_sops_3_13_mode() {
    // sops 3.13.2 (#2222): `json.Number.Int64()` decides; fractions and exponents stay floats.
    let m = JsonStore::new(-1)
        .with_integers()
        .load_plain(
            br#"{"a": 8080, "b": 1.0, "c": 1e3, "d": -0, "e": 9223372036854775808, "f": [-7]}"#,
        )
        .map(|mut t| t.branches.remove(0))
        .unwrap_or_else(|e| panic!("{e}"));
    let kind = |k: &str| m.get(k).map(Node::kind_name).unwrap_or("none");
    assert!(matches!(m.get("a"), Some(Node::Scalar(Scalar::Int(8080)))));
    assert_eq!(kind("b"), "float");
    assert_eq!(kind("c"), "float");
    assert!(matches!(m.get("d"), Some(Node::Scalar(Scalar::Int(0)))));
    assert_eq!(kind("e"), "float");
    let Some(Node::Sequence(seq)) = m.get("f") else {
        panic!("not a sequence")
    };
    assert!(matches!(
        seq.items[0],
        SeqItem::Value(Node::Scalar(Scalar::Int(-7)))
    ));
    // The default stays sops 3.11's: every number a float.
    assert_eq!(
        load(br#"{"a": 8080}"#)
            .unwrap()
            .get("a")
            .map(Node::kind_name),
        Some("float")
    );
}
