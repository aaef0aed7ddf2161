//! The layout of a few shapes whose comment placement go-yaml v3 and sops decide in ways a
//! reader by indentation does not (checked against the reference sops 3.11 by the differential
//! test of `sops-cli`; these pin them without it).

use super::compose::{layout, Part, Skel};

/// The layout as text: `#text` for a comment, `=` for a scalar, `{…}` and `[…]` for
/// collections.
fn render(src: &str) -> String {
    fn parts(out: &mut String, parts: &[Part]) {
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            match part {
                Part::Comment(c) => {
                    out.push('#');
                    out.push_str(c.as_str().trim());
                }
                Part::Entry(skel) => skel_text(out, skel),
            }
        }
    }
    fn skel_text(out: &mut String, skel: &Skel) {
        match skel {
            Skel::Leaf => out.push('='),
            Skel::Map(p) => {
                out.push('{');
                parts(out, p);
                out.push('}');
            }
            Skel::Seq(p) => {
                out.push('[');
                parts(out, p);
                out.push(']');
            }
        }
    }
    let docs = layout(src).expect("the reduced reader follows the document");
    let mut out = String::new();
    for doc in docs {
        parts(&mut out, &doc);
        out.push('|');
    }
    out
}

#[test]
fn a_line_comment_comes_before_its_entry() {
    assert_eq!(render("a: 1 # one\nb: 2\n"), "#one = =|");
}

#[test]
fn a_comment_after_a_nested_mapping_at_its_indentation_is_its_foot() {
    let src = "a:\n  b: 1\n  # foot of b\nc: 2\n";
    assert_eq!(render(src), "{= #foot of b} =|");
}

#[test]
fn a_dedented_comment_heads_the_next_key() {
    let src = "a:\n  b: 1\n# head of c\nc: 2\n";
    assert_eq!(render(src), "{=} #head of c =|");
}

#[test]
fn a_comment_before_a_dash_heads_the_nested_collection_as_a_whole() {
    // go-yaml's "stem" comment: the head of the item's mapping, which sops puts in the list.
    let src = "l:\n  # stem\n  - k: v\n  - x\n";
    assert_eq!(render(src), "[#stem {=} =]|");
}

#[test]
fn a_comment_after_a_dash_heads_the_first_key_of_the_item() {
    let src = "l:\n  - # first key\n    k: v\n  - x\n";
    assert_eq!(render(src), "[{#first key =} =]|");
}

#[test]
fn comments_inside_a_flow_mapping_are_kept() {
    let src = "k: {\n    # inside\n    f0: 1\n}\n";
    assert_eq!(render(src), "{#inside =}|");
}

#[test]
fn the_document_head_ends_at_its_last_blank_line() {
    let src = "# doc\n\n# key\nk: v\n";
    assert_eq!(render(src), "#doc #key =|");
}

#[test]
fn directives_are_not_followed() {
    assert!(layout("%YAML 1.1\n---\nk: v # c\n").is_none());
}
