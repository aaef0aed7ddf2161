//! The generator of comment-heavy block YAML documents, seeded and reproducible.
//!
//! Every document is a top-level mapping (what sops accepts). Keys are unique in each mapping.
//! The generator writes text directly, choosing at each node among the shapes of Helm values
//! files and the corners of go-yaml's comment model.

/// A small seeded PRNG (SplitMix64): the same seed always writes the same document.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const WORDS: &[&str] = &[
    "api",
    "value",
    "hello world",
    "nginx:1.25",
    "a:b",
    "-dash",
    "x#y",
    "ünïcödé",
    "日本語",
    "emoji 🎉",
];

const AMBIGUOUS: &[&str] = &[
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "~",
    "null",
    "true",
    "False",
    "42",
    "-7",
    "0x1F",
    "012",
    "0o17",
    "3.14",
    "1e3",
    ".inf",
    "-.Inf",
    ".nan",
    "2001-12-14",
    "1:20",
    "0b101",
    "+12",
];

const QUOTED: &[&str] = &[
    "\"double # not a comment\"",
    "'single'",
    "\"yes\"",
    "'42'",
    "\"tab\\tnew\\nline\"",
    "\"ünï \\u00e9\"",
    "''",
    "\"\"",
    "'it''s'",
];

const COMMENTS: &[&str] = &[
    "# note",
    "# TODO: change me",
    "#no space",
    "#",
    "#   indented text",
    "# ünïcödé 日本",
    "# key: value (commented out)",
    "# - item",
    "## double",
];

/// Writes one document for `seed`.
pub fn document(seed: u64) -> String {
    let mut g = Gen {
        rng: Rng::new(seed),
        out: String::new(),
        keys: 0,
        anchors: Vec::new(),
        map_anchors: Vec::new(),
    };
    g.comments(0, 2);
    if g.rng.chance(30) {
        g.out.push('\n');
    }
    g.mapping(0, 1, false);
    if g.rng.chance(40) {
        if g.rng.chance(50) {
            g.out.push('\n');
        }
        g.comments(0, 3);
    }
    if g.rng.chance(20) {
        while g.out.ends_with('\n') {
            g.out.pop();
        }
    }
    g.out
}

struct Gen {
    rng: Rng,
    out: String,
    keys: usize,
    anchors: Vec<String>,
    map_anchors: Vec<String>,
}

impl Gen {
    fn pad(&mut self, indent: usize) {
        self.out.extend(std::iter::repeat_n(' ', indent));
    }

    /// Up to `max` own-line comments, mostly at `indent`, sometimes elsewhere.
    fn comments(&mut self, indent: usize, max: usize) {
        let n = self.rng.below(max + 1);
        for _ in 0..n {
            let at = match self.rng.below(10) {
                0 => indent + 2,
                1 => indent.saturating_sub(2),
                2 => 0,
                _ => indent,
            };
            self.pad(at);
            let c = self.rng.pick(COMMENTS);
            self.out.push_str(c);
            self.out.push('\n');
            if self.rng.chance(10) {
                self.out.push('\n');
            }
        }
    }

    fn line_comment(&mut self, percent: usize) {
        if self.rng.chance(percent) {
            let spaces = 1 + self.rng.below(3);
            self.out.extend(std::iter::repeat_n(' ', spaces));
            let c = self.rng.pick(COMMENTS);
            self.out.push_str(c);
        }
    }

    fn key(&mut self) -> String {
        self.keys += 1;
        match self.rng.below(12) {
            0 => format!("\"quoted key {}\"", self.keys),
            1 => format!("ключ{}", self.keys),
            2 => format!("'k {}'", self.keys),
            _ => format!("k{}", self.keys),
        }
    }

    fn scalar(&mut self) -> String {
        match self.rng.below(10) {
            0..=2 => self.rng.pick(WORDS).to_owned(),
            3..=5 => self.rng.pick(AMBIGUOUS).to_owned(),
            6 | 7 => self.rng.pick(QUOTED).to_owned(),
            8 => String::new(),
            _ => format!("v{}", self.rng.below(1000)),
        }
    }

    /// A block mapping at `indent`; with `inline_first` its first key follows a `- ` already
    /// written.
    fn mapping(&mut self, indent: usize, depth: usize, inline_first: bool) {
        let n = 1 + self.rng.below(4);
        let merge = !self.map_anchors.is_empty() && self.rng.chance(15);
        for i in 0..n {
            let first = i == 0 && inline_first;
            if !first {
                self.comments(indent, 2);
                if self.rng.chance(15) {
                    self.out.push('\n');
                }
                self.pad(indent);
            }
            if i == 0 && merge {
                let name = self.map_anchors[self.rng.below(self.map_anchors.len())].clone();
                self.out.push_str("<<: *");
                self.out.push_str(&name);
                self.line_comment(20);
                self.out.push('\n');
                continue;
            }
            let key = self.key();
            self.out.push_str(&key);
            self.out.push(':');
            self.value(indent, depth);
        }
        if depth > 1 && self.rng.chance(25) {
            // Foot comments of the nested mapping, then maybe a blank line.
            self.comments(indent, 2);
            if self.rng.chance(50) {
                self.out.push('\n');
            }
        }
    }

    /// The value after `key:` of an entry at `indent`.
    fn value(&mut self, indent: usize, depth: usize) {
        let deeper = depth < 5;
        let choice = self.rng.below(if deeper { 14 } else { 8 });
        match choice {
            0..=3 => {
                let s = self.scalar();
                if self.rng.chance(10) {
                    self.keys += 1;
                    let name = format!("a{}", self.keys);
                    self.out.push_str(&format!(" &{name}"));
                    self.anchors.push(name);
                }
                if !s.is_empty() {
                    self.out.push(' ');
                    self.out.push_str(&s);
                }
                self.line_comment(30);
                self.out.push('\n');
            }
            4 => self.block_scalar(indent),
            5 => {
                if let Some(name) = self.anchors.last().cloned() {
                    self.out.push_str(" *");
                    self.out.push_str(&name);
                } else {
                    self.out.push_str(" plain");
                }
                self.line_comment(30);
                self.out.push('\n');
            }
            6 | 7 => self.flow(indent),
            8..=10 => {
                if self.rng.chance(15) {
                    self.keys += 1;
                    let name = format!("m{}", self.keys);
                    self.out.push_str(&format!(" &{name}"));
                    self.line_comment(30);
                    self.out.push('\n');
                    self.mapping(indent + 2, depth + 1, false);
                    self.map_anchors.push(name);
                } else {
                    self.line_comment(30);
                    self.out.push('\n');
                    let step = if self.rng.chance(80) { 2 } else { 4 };
                    self.mapping(indent + step, depth + 1, false);
                }
            }
            _ => {
                self.line_comment(30);
                self.out.push('\n');
                let at = if self.rng.chance(50) {
                    indent
                } else {
                    indent + 2
                };
                self.sequence(at, depth + 1);
            }
        }
    }

    fn block_scalar(&mut self, indent: usize) {
        let header = self.rng.pick(&["|", "|-", "|+", ">", ">-", ">+", "|2"]);
        self.out.push(' ');
        self.out.push_str(header);
        self.line_comment(20);
        self.out.push('\n');
        let at = indent + 2;
        let lines = 1 + self.rng.below(3);
        for i in 0..lines {
            if i > 0 && self.rng.chance(15) {
                self.out.push('\n');
            }
            self.pad(at);
            if i > 0 && self.rng.chance(10) {
                self.out.push_str("  ");
            }
            let w = self
                .rng
                .pick(&["multi", "line # not a comment", "text", "ünï", "- x"]);
            self.out.push_str(w);
            self.out.push('\n');
        }
        if self.rng.chance(20) {
            self.out.push('\n');
        }
    }

    fn flow(&mut self, indent: usize) {
        match self.rng.below(4) {
            0 => {
                let a = self.rng.pick(AMBIGUOUS);
                let b = self.rng.pick(WORDS);
                let b = if b.contains([':', '#']) { "plain" } else { b };
                self.out.push_str(&format!(" [{a}, {b}]"));
                self.line_comment(30);
                self.out.push('\n');
            }
            1 => {
                let a = self.rng.pick(AMBIGUOUS);
                self.out
                    .push_str(&format!(" {{x: {a}, y: [1, two], z: {{}}}}"));
                self.line_comment(30);
                self.out.push('\n');
            }
            2 => {
                // A flow sequence over several lines with comments inside.
                self.out.push_str(" [");
                self.line_comment(50);
                self.out.push('\n');
                for i in 0..1 + self.rng.below(3) {
                    if i > 0 {
                        self.out.push_str(",\n");
                    }
                    if self.rng.chance(30) {
                        self.pad(indent + 2);
                        self.out.push_str("# inside\n");
                    }
                    self.pad(indent + 2);
                    let a = self.rng.pick(AMBIGUOUS);
                    self.out.push_str(a);
                }
                self.out.push('\n');
                let close = if self.rng.chance(50) {
                    indent + 2
                } else {
                    indent
                };
                self.pad(close);
                self.out.push(']');
                self.line_comment(30);
                self.out.push('\n');
            }
            _ => {
                // A flow mapping over several lines, closing at the key's column or deeper.
                self.out.push_str(" {");
                self.out.push('\n');
                for i in 0..1 + self.rng.below(3) {
                    if i > 0 {
                        self.out.push_str(",\n");
                    }
                    if self.rng.chance(30) {
                        self.pad(indent + 4);
                        self.out.push_str("# inside\n");
                    }
                    self.pad(indent + 4);
                    let a = self.rng.pick(AMBIGUOUS);
                    self.out.push_str(&format!("f{i}: {a}"));
                }
                self.out.push('\n');
                let close = if self.rng.chance(50) {
                    indent + 2
                } else {
                    indent
                };
                self.pad(close);
                self.out.push('}');
                self.line_comment(30);
                self.out.push('\n');
            }
        }
    }

    /// A block sequence whose dashes stand at `indent`.
    fn sequence(&mut self, indent: usize, depth: usize) {
        let n = 1 + self.rng.below(3);
        for _ in 0..n {
            self.comments(indent, 2);
            if self.rng.chance(10) {
                self.out.push('\n');
            }
            self.pad(indent);
            self.out.push('-');
            let deeper = depth < 5;
            match self.rng.below(if deeper { 8 } else { 4 }) {
                0..=2 => {
                    let s = self.scalar();
                    if !s.is_empty() {
                        self.out.push(' ');
                        self.out.push_str(&s);
                    }
                    self.line_comment(30);
                    self.out.push('\n');
                }
                3 => self.block_scalar(indent),
                4..=6 => {
                    self.out.push(' ');
                    self.mapping(indent + 2, depth + 1, true);
                }
                _ => {
                    self.line_comment(30);
                    self.out.push('\n');
                    self.mapping(indent + 2, depth + 1, false);
                }
            }
        }
        if self.rng.chance(25) {
            self.comments(indent, 2);
            if self.rng.chance(50) {
                self.out.push('\n');
            }
        }
    }
}
