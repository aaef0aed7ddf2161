//! The fast scanner and the full parser side by side: both readings of one text, rendered
//! so that they compare as bytes (structure, values, comments and every scalar's type). The
//! differential fuzz target (`yaml_fast_vs_parser`) and the tests below hold the two paths to
//! the same tree whenever the fast path does not fall back.

use super::fast::FastScanner;
use super::load::Loader;

/// A loaded tree (or the error) as text: the written YAML shows structure, values and
/// comments, the debug form every scalar's type (and NaN compares equal to itself, which
/// `PartialEq` on floats does not).
pub(crate) type Rendered = Result<Vec<u8>, String>;

fn render(result: Result<Vec<crate::tree::Mapping>, crate::Error>) -> Rendered {
    let branches = result.map_err(|e| e.to_string())?;
    let mut writer = super::emit::YamlWriter::new(4, 1024);
    for (i, b) in branches.iter().enumerate() {
        writer.document(b, None, i == 0);
    }
    let mut out = writer.finish();
    for b in &branches {
        let types = format!("\n{:?}", crate::tree::Node::Mapping(b.clone()));
        out.extend_from_slice(types.as_bytes());
    }
    Ok(out)
}

/// What the loader builds from `src` through the fast scanner (`None` when it falls back) and
/// through the full parser, rendered for comparison.
pub(crate) fn fast_and_full(src: &str) -> (Option<Rendered>, Rendered) {
    let fast = FastScanner::scan(src)
        .ok()
        .map(|_| render(Loader::new(src, true).load()));
    let full = render(Loader::new(src, true).load_with_parser());
    (fast, full)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `yaml_fast_vs_parser` fuzz target: a NUL the store refuses up front was
    /// read by the fast scanner and not by the parser; the comparison starts where the store
    /// hands the text on.
    #[test]
    fn text_the_store_refuses_is_compared_as_refused() {
        let (fast, full) = crate::store::yaml::fast_and_full_trees("a: b\0c\nd: e\n");
        assert!(fast.is_none());
        assert!(full.is_err_and(|e| e.contains("U+0000")));
    }

    fn both(src: &str) -> (Option<Rendered>, Rendered) {
        fast_and_full(src)
    }

    fn fixture_files() -> Vec<std::path::PathBuf> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
        let mut files = Vec::new();
        for dir in ["sops-3.11.0", "interop", "spec-examples"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
                let p = entry.path();
                if p.extension().is_some_and(|e| e == "yaml") {
                    files.push(p);
                }
            }
        }
        files
    }

    #[test]
    fn fast_path_builds_the_same_tree_as_the_parser() {
        let mut fast_count = 0;
        for path in fixture_files() {
            let src = std::fs::read_to_string(&path).unwrap();
            let (fast, full) = both(&src);
            if let Some(fast) = fast {
                fast_count += 1;
                assert!(
                    fast == full,
                    "{}: fast path and parser disagree",
                    path.display()
                );
            }
        }
        assert!(
            fast_count >= 20,
            "the fast path handled only {fast_count} fixtures"
        );
    }

    #[test]
    fn sops_written_files_take_the_fast_path() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/sops-3.11.0");
        for name in [
            "yaml-age.yaml",
            "yaml-shamir-2of3.yaml",
            "multidoc-age.yaml",
            "credentials-age.plain.yaml",
        ] {
            let src = std::fs::read_to_string(root.join(name)).unwrap();
            assert!(
                FastScanner::scan(&src).is_ok(),
                "{name} fell back to the parser"
            );
        }
    }

    #[test]
    fn edge_cases_agree_or_fall_back() {
        let cases = [
            "a:\n# c\nb: 1\n",
            "a:\n  - x\n  # c\nb:\n- y\n-\n  k: v\n",
            "a: |\n  lit\n\n# after\nf: [ ]\ng: { }\n",
            "a: |-\n    x\n\n    y\n\n\nb: |+\n  keep\n\n\nc: 1\n",
            "- - a\n  - b\n- - c\n",
            "k: 'it''s' # c\nq: \"esc\\t\\u00e9\\\\\" \nr: plain text # c\n",
            "---\na: 1\n---\n---\nb: 2\n",
            "a: b\n  continued\n",
            "a: [1, 2]\n",
            "a: &x 1\nb: *x\n",
            "a:\n  b:\n    c:\n  d: 1\n",
            "key: value:\n",
            "-dash: x\n",
            "a: -1\nb: -x\nc: ?x\nd: :x\n",
            "a: 2001-12-14\nb: 0x1F\nc: ~\nd: null\n",
            "# only a comment\n",
            "",
            "a:\n    - x\n  b: 1\n",
            "x: 1\n y: 2\n",
        ];
        for src in cases {
            let (fast, full) = both(src);
            if let Some(fast) = fast {
                assert!(fast == full, "{src:?}: fast path and parser disagree");
            }
        }
    }

    /// A small deterministic generator of block YAML with comments, blank lines, quoted and
    /// literal scalars, nested maps and sequences.
    struct Gen(u64);

    impl Gen {
        fn next(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }

        fn scalar(&mut self) -> String {
            const PLAIN: [&str; 10] = [
                "v",
                "42",
                "-3.5",
                "true",
                "null",
                "~",
                "a b c",
                "0x1F",
                "2001-12-14",
                "x#y",
            ];
            match self.next(6) {
                0 => format!("\"q{}\\t\\u00e9\"", self.next(9)),
                1 => "'it''s'".to_owned(),
                2 => "{}".to_owned(),
                3 => "[ ]".to_owned(),
                _ => PLAIN[self.next(10) as usize].to_owned(),
            }
        }

        fn comment(&mut self, out: &mut String, indent: usize) {
            match self.next(5) {
                0 => out.push_str(&format!("{}# c{}\n", " ".repeat(indent), self.next(99))),
                1 => out.push('\n'),
                2 => out.push_str(&format!("{}# deep\n", " ".repeat(indent + 2))),
                _ => {}
            }
        }

        fn mapping(&mut self, out: &mut String, indent: usize, depth: u32) {
            for i in 0..1 + self.next(4) {
                self.comment(out, indent);
                let pad = " ".repeat(indent);
                let tail = if self.next(4) == 0 { " # line" } else { "" };
                match if depth < 3 { self.next(5) } else { 0 } {
                    1 => {
                        out.push_str(&format!("{pad}k{i}:{tail}\n"));
                        self.mapping(out, indent + 2, depth + 1);
                    }
                    2 => {
                        out.push_str(&format!("{pad}k{i}:{tail}\n"));
                        let seq_indent = if self.next(2) == 0 {
                            indent
                        } else {
                            indent + 2
                        };
                        self.sequence(out, seq_indent, depth + 1);
                    }
                    3 => {
                        let chomp = ["", "-", "+"][self.next(3) as usize];
                        out.push_str(&format!(
                            "{pad}k{i}: |{chomp}\n{pad}    l1\n\n{pad}    l2\n"
                        ));
                    }
                    _ => out.push_str(&format!("{pad}k{i}: {}{tail}\n", self.scalar())),
                }
            }
        }

        fn sequence(&mut self, out: &mut String, indent: usize, depth: u32) {
            for _ in 0..1 + self.next(3) {
                self.comment(out, indent);
                let pad = " ".repeat(indent);
                match if depth < 3 { self.next(4) } else { 0 } {
                    1 => {
                        out.push_str(&format!("{pad}- m: {}\n", self.scalar()));
                        self.mapping(out, indent + 2, depth + 1);
                    }
                    2 => {
                        out.push_str(&format!("{pad}-\n"));
                        self.mapping(out, indent + 2, depth + 1);
                    }
                    _ => out.push_str(&format!("{pad}- {}\n", self.scalar())),
                }
            }
        }
    }

    #[test]
    fn generated_documents_agree() {
        let mut g = Gen(0x9E37_79B9_7F4A_7C15);
        let mut fast_count = 0;
        for _ in 0..600 {
            let mut src = String::new();
            g.mapping(&mut src, 0, 0);
            if g.next(5) == 0 {
                src.push_str("---\n");
                g.mapping(&mut src, 0, 0);
            }
            let (fast, full) = both(&src);
            if let Some(fast) = fast {
                fast_count += 1;
                assert!(
                    fast == full,
                    "fast path and parser disagree on:\n{src}\nfast: {:?}\nfull: {:?}",
                    fast.as_ref()
                        .map(|b| String::from_utf8_lossy(b).into_owned()),
                    full.as_ref()
                        .map(|b| String::from_utf8_lossy(b).into_owned())
                );
            }
        }
        assert!(
            fast_count > 300,
            "only {fast_count} of 600 generated documents took the fast path"
        );
    }
}
