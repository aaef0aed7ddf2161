//! The YAML store on the corners of issue 16 that need no key: block scalars at the end of a
//! file without a final newline (class 5) and flow collections whose lines go back to the
//! block's indentation, as sops writes them (class 3).

use sops_core::store::Format;
use sops_core::tree::{Node, Scalar};

fn value(src: &str, key: &str) -> String {
    let tree = Format::Yaml
        .store()
        .load_plain(src.as_bytes())
        .unwrap_or_else(|e| panic!("{src:?}: {e}"));
    match tree.branches[0].get(key) {
        Some(Node::Scalar(Scalar::Str(s))) => s.as_str().to_owned(),
        _ => panic!("{src:?}: {key} is not a string"),
    }
}

#[test]
fn a_block_scalar_at_the_end_of_a_file_without_newline_has_no_final_break() {
    // What go-yaml (and so sops, also with --extract) reads.
    for (src, expected) in [
        ("k: |\n  multi\n  line", "multi\nline"),
        ("k: |+\n  multi\n  line", "multi\nline"),
        ("k: |-\n  multi\n  line", "multi\nline"),
        ("k: >\n  multi\n  line", "multi line"),
        ("a: 1\nk: |\n    x\n\n    y", "x\n\ny"),
        ("l:\n- x\nk: |2\n   lead", " lead"),
    ] {
        assert_eq!(value(src, "k"), expected, "{src:?}");
    }
    // With the final newline, or when something follows, the break stays.
    for (src, expected) in [
        ("k: |\n  multi\n  line\n", "multi\nline\n"),
        ("k: |\n  multi\n# c", "multi\n"),
        ("k: |\n  multi\nz: 1", "multi\n"),
        ("k: |+\n  multi\n\n", "multi\n\n"),
    ] {
        assert_eq!(value(src, "k"), expected, "{src:?}");
    }
}

#[test]
fn sops_files_with_a_flow_mapping_closed_at_column_zero_are_read() {
    let store = Format::Yaml.store();
    for src in [
        "k: {\n    #ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:comment]\n}\nz: 1\n",
        "k: [a,\nb]\n",
        "top:\n  k: {a: 1,\n  b: 2}\n",
    ] {
        let tree = store
            .load_plain(src.as_bytes())
            .unwrap_or_else(|e| panic!("{src:?}: {e}"));
        let out = store.emit_plain(&tree).expect("writes");
        assert!(!out.is_empty(), "{src:?}");
    }
}
