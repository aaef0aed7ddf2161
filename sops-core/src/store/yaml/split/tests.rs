//! Reading in parts must build exactly the tree that reading in one piece builds, at every seam
//! it would use, on the fixtures and on generated documents full of what could go wrong at a
//! seam; what reaches across a seam must make the parts give up.

use super::*;

/// A tree as text, to compare two trees (`==` on trees holds NaN unequal to itself).
fn render(branches: &[Mapping]) -> String {
    let mut writer = super::super::emit::YamlWriter::new(4, 1024);
    for (i, b) in branches.iter().enumerate() {
        writer.document(b, None, i == 0);
    }
    // The written form shows values and comments; the debug form adds every scalar's type.
    let types: Vec<String> = branches
        .iter()
        .map(|b| format!("{:?}", crate::tree::Node::Mapping(b.clone())))
        .collect();
    format!("{}\n{types:?}", String::from_utf8_lossy(&writer.finish()))
}

fn whole(text: &str) -> Result<Vec<Mapping>, Error> {
    Loader::new(text, true).load()
}

/// Every seam `next_seam` finds in `text`.
fn all_seams(text: &str) -> Vec<usize> {
    let mut seams = Vec::new();
    let mut from = 0;
    while let Some(at) = next_seam(text, from) {
        seams.push(at);
        from = at;
    }
    seams
}

/// Reads `text` cut at each seam alone and at pairs of seams; every read that does not give up
/// must equal the whole read. Returns how many did not give up.
fn check_every_seam(name: &str, text: &str) -> usize {
    let expected = whole(text);
    let seams = if splittable(text) {
        all_seams(text)
    } else {
        Vec::new()
    };
    let mut cuts: Vec<Vec<usize>> = seams.iter().map(|&s| vec![s]).collect();
    for pair in seams.windows(2) {
        cuts.push(pair.to_vec());
    }
    let mut agreed = 0;
    for points in cuts {
        if let Some(parts) = load_parts(text, &points, true) {
            match &expected {
                Ok(tree) => assert!(
                    render(tree) == render(&parts),
                    "{name}: reading in parts at {points:?} differs from reading whole:\n{text}\nwhole: {}\nparts: {}",
                    render(tree), render(&parts)
                ),
                Err(e) => panic!("{name}: parts at {points:?} read a text that fails whole: {e}"),
            }
            agreed += 1;
        }
    }
    agreed
}

#[test]
fn fixtures_read_the_same_in_parts() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let mut agreed = 0;
    for dir in ["sops-3.11.0", "interop", "spec-examples"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "yaml") {
                let text = std::fs::read_to_string(&path).unwrap();
                agreed += check_every_seam(&path.display().to_string(), &text);
            }
        }
    }
    assert!(
        agreed >= 20,
        "only {agreed} fixture cuts were read in parts"
    );
}

/// A small deterministic generator of top-level entries of many kinds.
struct Gen(u64);

impl Gen {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }

    fn entry(&mut self, out: &mut String, i: usize) {
        let key = format!("key_{i}");
        match self.next(16) {
            0 => out.push_str(&format!("{key}: plain value {i}\n")),
            1 => out.push_str(&format!(
                "{key}:\n  nested: {i}\n  deeper:\n    x: \"q\\n{i}\"\n"
            )),
            2 => out.push_str(&format!("{key}:\n- a{i}\n- b{i}\n")),
            3 => out.push_str(&format!("{key}:\n  - {i}\n  - {{f: [1, 2]}}\n")),
            4 => out.push_str(&format!("{key}: |\n  line one\n\n  line three {i}\n")),
            5 => out.push_str(&format!("{key}: >-\n  folded\n  text {i}\n")),
            6 => out.push_str(&format!("# about {key}\n{key}: {i}.5\n")),
            7 => out.push_str(&format!("{key}: {i} # trailing\n")),
            8 => out.push_str(&format!("{key}: [1,\n  2, {i}]\n")),
            9 => out.push_str(&format!("{key}: \"two\n  lines {i}\"\n")),
            10 => out.push_str(&format!("{key}: &anchor{i} {{a: 1}}\n")),
            11 if i > 0 => out.push_str(&format!("{key}: *anchor{}\n", i - 1)),
            12 => out.push_str(&format!("{key}:\n\n  spaced: true\n\n")),
            13 => out.push_str(&format!("{key}: plain\n  continued {i}\n")),
            14 => out.push_str(&format!(
                "{key}:\n  - x: 1\n    y: [a, b]\n  # inside\n  - z\n"
            )),
            _ => out.push_str(&format!("{key}: ''\n{key}_null:\n")),
        }
    }

    fn document(&mut self) -> String {
        let mut out = String::new();
        if self.next(3) == 0 {
            out.push_str("# head comment\n\n");
        }
        for i in 0..4 + self.next(12) as usize {
            self.entry(&mut out, i);
        }
        if self.next(3) == 0 {
            out.push_str("# foot comment\n");
        }
        out
    }
}

#[test]
fn generated_documents_read_the_same_in_parts() {
    let mut g = Gen(0x2545_F491_4F6C_DD1D);
    let mut agreed = 0;
    for n in 0..400 {
        let text = g.document();
        agreed += check_every_seam(&format!("document {n}"), &text);
    }
    assert!(
        agreed > 1000,
        "only {agreed} generated cuts were read in parts"
    );
}

#[test]
fn what_reaches_across_a_seam_makes_the_parts_give_up() {
    let cases = [
        // An alias to an anchor of the part before.
        ("a: &x {k: 1}\nb: 2\nc: *x\n", "c: *x"),
        // Duplicate keys in different parts (reading whole refuses them).
        ("a: 1\nb: 2\na: 3\n", "a: 3"),
    ];
    for (text, seam_line) in cases {
        let at = text.find(seam_line).unwrap();
        assert!(
            load_parts(text, &[at], true).is_none(),
            "parts did not give up on:\n{text}"
        );
    }
    // Unclosed brackets and quotes never offer a seam before their end, and the whole read is
    // what `load` returns.
    for text in ["a: [1,\nb: 2]\nc: 3\n", "a: \"x\nb: y\"\nc: 3\n"] {
        let seams = all_seams(text);
        for at in seams {
            if let Some(parts) = load_parts(text, &[at], true) {
                assert!(
                    whole(text).is_ok_and(|t| render(&t) == render(&parts)),
                    "{text}"
                );
            }
        }
        let (split, one) = (load(text, true), whole(text));
        assert!(
            match (&split, &one) {
                (Ok(a), Ok(b)) => render(a) == render(b),
                (Err(a), Err(b)) => a.to_string() == b.to_string(),
                _ => false,
            },
            "{text}"
        );
    }
}

#[test]
fn a_large_file_is_read_in_parts_and_the_same() {
    let mut text = String::new();
    for s in 0..3000 {
        text.push_str(&format!("service_{s}:\n"));
        for k in 0..10 {
            text.push_str(&format!(
                "  key_{k}: ENC[AES256_GCM,data:abc{s}{k}=,iv:x,tag:y,type:str]\n"
            ));
        }
        text.push_str("  list:\n  - one\n  - two\n");
    }
    text.push_str("sops:\n  version: 3.11.0\n");
    assert!(text.len() >= MIN_SPLIT_LEN);
    let points = split_points(&text, 4);
    assert_eq!(points.len(), 3, "{points:?}");
    let parts = load_parts(&text, &points, false).expect("the file is read in parts");
    assert!(render(&parts) == render(&Loader::new(&text, false).load().unwrap()));
    assert!(!splittable(&format!("{text}---\nx: 1\n")));
    assert!(!splittable(&text.replace('\n', "\r\n")));
}
