//! The malformed inputs too big to commit, built at test time, for the malformed-input tests of
//! `sops-core` and `sops-cli`. The small cases are files in `sops-core/tests/data/malformed/`,
//! written by `generate.py` there.
//!
//! Each input is `(file name, bytes)`; the suffix names the format, as for the files.

/// Inputs that must be refused (or, for the long values, handled) without a crash or a hang.
pub fn big_inputs() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        // 100k `[`: saphyr stops flow nesting at 255 levels; go-yaml at 10000.
        (
            "big-yaml-deep-flow-100k.yaml",
            format!("a: {}\n", "[".repeat(100_000)).into_bytes(),
        ),
        // `- - - … x` on one line: 100k nested block sequences, no closing needed.
        (
            "big-yaml-deep-block-100k.yaml",
            format!("a:\n  {}x\n", "- ".repeat(100_000)).into_bytes(),
        ),
        // 3000 nested block mappings, one more space of indentation per level (4.5 MB).
        (
            "big-yaml-deep-map-3000.yaml",
            deep_block_mappings(3000).into_bytes(),
        ),
        // Flow mappings: `{a: {a: …` 100k deep.
        (
            "big-yaml-deep-flow-map-100k.yaml",
            format!("a: {}\n", "{a: ".repeat(100_000)).into_bytes(),
        ),
        // JSON objects and arrays 100k deep (Go stops at 10000).
        (
            "big-json-deep-object-100k.json",
            "{\"a\":".repeat(100_000).into_bytes(),
        ),
        (
            "big-json-deep-array-100k.json",
            format!("{{\"a\":{}", "[".repeat(100_000)).into_bytes(),
        ),
        // Closed, valid JSON 9999 deep: what Go accepts, beyond what sops-rs does.
        ("big-json-deep-9999.json", closed_json(9_999).into_bytes()),
        // An alias of a 1000-element list repeated 2000 times: 2 million nodes from 6 kB.
        (
            "big-yaml-wide-alias.yaml",
            wide_alias(1000, 2000).into_bytes(),
        ),
        // Long values: 1 MiB in one plain scalar, one JSON string, one dotenv value.
        (
            "big-yaml-long-value.yaml",
            format!("a: {}\n", "x".repeat(1 << 20)).into_bytes(),
        ),
        (
            "big-json-long-string.json",
            format!("{{\"a\": \"{}\"}}", "y".repeat(1 << 20)).into_bytes(),
        ),
        (
            "big-env-long-value.env",
            format!("A={}\n", "z".repeat(1 << 20)).into_bytes(),
        ),
        // A 1 MiB key.
        (
            "big-yaml-long-key.yaml",
            format!("{}: v\n", "k".repeat(1 << 20)).into_bytes(),
        ),
    ]
}

/// Valid documents exactly `max_depth` deep (the tests pass sops-core's maximum depth): they
/// must load, encrypt, decrypt and write back, also on a 2 MiB thread stack.
pub fn deep_valid_inputs(max_depth: usize) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        // The root mapping is level 1; each `- ` adds one.
        (
            "deep-ok-block.yaml",
            format!("a:\n  {}x\n", "- ".repeat(max_depth - 1)).into_bytes(),
        ),
        (
            "deep-ok-map.yaml",
            deep_block_mappings(max_depth - 1).into_bytes(),
        ),
        ("deep-ok.json", closed_json(max_depth).into_bytes()),
    ]
}

/// `k:` mappings nested `levels` deep below the root, one space more each level, ending in a
/// scalar.
fn deep_block_mappings(levels: usize) -> String {
    let mut out = String::new();
    for i in 0..levels {
        out.push_str(&" ".repeat(i));
        out.push_str("k:\n");
    }
    out.push_str(&" ".repeat(levels));
    out.push_str("k: leaf\n");
    out
}

/// `{"a":{"a":…"x"…}}` with `depth` objects.
fn closed_json(depth: usize) -> String {
    format!("{}\"x\"{}", "{\"a\":".repeat(depth), "}".repeat(depth))
}

/// An anchored list of `items` strings and a list of `copies` aliases of it.
fn wide_alias(items: usize, copies: usize) -> String {
    let list: Vec<String> = (0..items).map(|i| format!("v{i}")).collect();
    format!(
        "a: &a [{}]\nb: [{}]\n",
        list.join(", "),
        vec!["*a"; copies].join(", ")
    )
}
