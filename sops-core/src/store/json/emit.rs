//! The JSON writer of the JSON store: Go `encoding/json` values re-indented by `json.Indent`.
//!
//! sops builds compact JSON by hand and passes it through `json.Indent`; this writer produces
//! the indented result directly in one pass: `": "` after keys, `{}`/`[]` for empty containers,
//! strings escaped as `json.Marshal` escapes them (HTML characters, U+2028/U+2029, invalid
//! UTF-8 as `\ufffd`), floats in Go's shortest form (`1e+21`, `1e-7`, `0.000001`, `3`).
//! Comments are skipped. The walk is iterative, so deep trees cannot overflow the stack.

use crate::error::{Error, ErrorKind};
use crate::go::JsonFloat;
use crate::tree::{MapItem, Mapping, Node, Scalar, SeqItem};
use std::io::Write as _;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Indentation and output buffer of one emission.
pub(super) struct Writer {
    out: Vec<u8>,
    unit: Vec<u8>,
}

/// An open container being written: its remaining items and whether one was written yet.
enum Open<'a> {
    Map(std::slice::Iter<'a, MapItem>, bool),
    Seq(std::slice::Iter<'a, SeqItem>, bool),
}

impl Writer {
    /// A writer for sops's JSON `indent` setting: -1 a tab, 0 newlines only, n spaces.
    pub(super) fn new(indent: i32, capacity: usize) -> Result<Writer, Error> {
        let unit = match indent {
            -1 => b"\t".to_vec(),
            n => match usize::try_from(n) {
                Ok(n) => vec![b' '; n],
                Err(_) => {
                    return Err(Error::new(
                        ErrorKind::EmitFailed,
                        format!("JSON indentation {indent} is not accepted (smaller than -1)"),
                    )
                    .with_hint("use -1 for a tab, 0 for no indentation or a number of spaces"))
                }
            },
        };
        Ok(Writer {
            out: Vec::with_capacity(capacity),
            unit,
        })
    }

    /// The bytes written so far.
    pub(super) fn finish(self) -> Vec<u8> {
        self.out
    }

    /// Writes a top-level object of `items` followed by `extra` (the `sops` key), and `\n`.
    pub(super) fn document(
        &mut self,
        items: &[MapItem],
        extra: Option<(&str, &Node)>,
    ) -> Result<(), Error> {
        self.out.push(b'{');
        let pairs = items.iter().filter_map(|item| match item {
            MapItem::Pair(k, v) => Some((k.as_str(), v)),
            MapItem::Comment(_) => None,
        });
        let mut any = false;
        for (key, value) in pairs.chain(extra) {
            if any {
                self.out.push(b',');
            }
            any = true;
            self.newline(1);
            self.string(key.as_bytes(), true);
            self.out.extend_from_slice(b": ");
            self.value(value, 1, key)?;
        }
        if any {
            self.newline(0);
        }
        self.out.extend_from_slice(b"}\n");
        Ok(())
    }

    /// Writes `root`, whose first line is already indented at `depth`; `key` names it in errors.
    pub(super) fn value(&mut self, root: &Node, depth: usize, key: &str) -> Result<(), Error> {
        let mut stack: Vec<Open<'_>> = Vec::new();
        self.open_or_scalar(root, key, &mut stack)?;
        while let Some(level) = stack.last_mut() {
            let next = match level {
                Open::Map(iter, wrote) => iter
                    .find_map(|item| match item {
                        MapItem::Pair(k, v) => Some((Some(k.as_str()), v)),
                        MapItem::Comment(_) => None,
                    })
                    .map(|found| (found, std::mem::replace(wrote, true))),
                Open::Seq(iter, wrote) => iter
                    .find_map(|item| match item {
                        SeqItem::Value(v) => Some((None, v)),
                        SeqItem::Comment(_) => None,
                    })
                    .map(|found| (found, std::mem::replace(wrote, true))),
            };
            let inner = depth + stack.len();
            match next {
                Some(((item_key, node), wrote_before)) => {
                    if wrote_before {
                        self.out.push(b',');
                    }
                    self.newline(inner);
                    if let Some(k) = item_key {
                        self.string(k.as_bytes(), true);
                        self.out.extend_from_slice(b": ");
                    }
                    self.open_or_scalar(node, item_key.unwrap_or(key), &mut stack)?;
                }
                None => {
                    let (close, wrote) = match stack.pop() {
                        Some(Open::Map(_, wrote)) => (b'}', wrote),
                        Some(Open::Seq(_, wrote)) => (b']', wrote),
                        None => break,
                    };
                    if wrote {
                        self.newline(inner - 1);
                    }
                    self.out.push(close);
                }
            }
        }
        Ok(())
    }

    fn open_or_scalar<'a>(
        &mut self,
        node: &'a Node,
        key: &str,
        stack: &mut Vec<Open<'a>>,
    ) -> Result<(), Error> {
        match node {
            Node::Scalar(s) => self.scalar(s, key)?,
            Node::Mapping(m) => {
                self.out.push(b'{');
                stack.push(Open::Map(m.items.iter(), false));
            }
            Node::Sequence(s) => {
                self.out.push(b'[');
                stack.push(Open::Seq(s.items.iter(), false));
            }
        }
        Ok(())
    }

    fn newline(&mut self, depth: usize) {
        self.out.push(b'\n');
        for _ in 0..depth {
            self.out.extend_from_slice(&self.unit);
        }
    }

    fn scalar(&mut self, scalar: &Scalar, key: &str) -> Result<(), Error> {
        match scalar {
            Scalar::Null => self.out.extend_from_slice(b"null"),
            Scalar::Bool(true) => self.out.extend_from_slice(b"true"),
            Scalar::Bool(false) => self.out.extend_from_slice(b"false"),
            Scalar::Int(i) => {
                let _ = write!(self.out, "{i}");
            }
            Scalar::Float(f) => {
                if !f.is_finite() {
                    return Err(Error::new(
                        ErrorKind::EmitFailed,
                        format!("the value of key {key:?} is {f}, which JSON cannot represent"),
                    )
                    .with_hint("JSON has no NaN or infinity; write the value as a string"));
                }
                let _ = write!(self.out, "{}", JsonFloat(*f));
            }
            Scalar::Time(t) => self.string(t.rfc3339_nano.as_bytes(), true),
            Scalar::Str(s) => self.string(s.as_bytes(), true),
            Scalar::Bytes(b) => self.string(b.secret_bytes(), false),
        }
        Ok(())
    }

    /// A JSON string as Go's `json.Marshal` writes it. `valid_utf8` skips the per-character
    /// validation for text already known to be UTF-8.
    pub(super) fn string(&mut self, s: &[u8], valid_utf8: bool) {
        let out = &mut self.out;
        out.reserve(s.len() + 2);
        out.push(b'"');
        let mut start = 0;
        let mut i = 0;
        while i < s.len() {
            let b = s[i];
            if b < 0x80 {
                if SAFE[b as usize] {
                    i += 1;
                    continue;
                }
                out.extend_from_slice(&s[start..i]);
                match b {
                    b'"' | b'\\' => out.extend_from_slice(&[b'\\', b]),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    0x08 => out.extend_from_slice(b"\\b"),
                    0x0c => out.extend_from_slice(b"\\f"),
                    _ => out.extend_from_slice(&[
                        b'\\',
                        b'u',
                        b'0',
                        b'0',
                        HEX[(b >> 4) as usize],
                        HEX[(b & 0xf) as usize],
                    ]),
                }
                i += 1;
                start = i;
                continue;
            }
            let width = utf8_width(b);
            let valid = valid_utf8
                || (width > 0
                    && s.get(i..i + width)
                        .is_some_and(|c| std::str::from_utf8(c).is_ok()));
            if !valid {
                out.extend_from_slice(&s[start..i]);
                out.extend_from_slice(b"\\ufffd");
                i += 1;
                start = i;
                continue;
            }
            // U+2028 and U+2029 (E2 80 A8/A9) are escaped for JavaScript's sake.
            if b == 0xE2 && s.get(i + 1) == Some(&0x80) && matches!(s.get(i + 2), Some(0xA8 | 0xA9))
            {
                out.extend_from_slice(&s[start..i]);
                out.extend_from_slice(if s[i + 2] == 0xA8 {
                    b"\\u2028"
                } else {
                    b"\\u2029"
                });
                i += 3;
                start = i;
                continue;
            }
            i += width.max(1);
        }
        out.extend_from_slice(&s[start..]);
        out.push(b'"');
    }
}

/// The length of the UTF-8 sequence a lead byte starts, 0 for a byte that cannot start one.
fn utf8_width(b: u8) -> usize {
    match b {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 0,
    }
}

/// ASCII bytes `json.Marshal` writes unescaped (its `htmlSafeSet`).
static SAFE: [bool; 128] = {
    let mut table = [false; 128];
    let mut b = 0x20;
    while b < 128 {
        table[b] = !matches!(b as u8, b'"' | b'\\' | b'<' | b'>' | b'&');
        b += 1;
    }
    table
};

/// A rough size of `mapping` written as JSON, to size the output buffer once.
pub(super) fn estimate(mapping: &Mapping, indent_width: usize) -> usize {
    let mut total = 64;
    let mut pending: Vec<&[MapItem]> = vec![&mapping.items];
    let mut seqs: Vec<&[SeqItem]> = Vec::new();
    let leaf = |node: &Node| match node {
        Node::Scalar(Scalar::Str(s)) => s.as_bytes().len() + 2,
        Node::Scalar(Scalar::Bytes(b)) => b.secret_bytes().len() + 2,
        _ => 8,
    };
    loop {
        if let Some(items) = pending.pop() {
            for item in items {
                if let MapItem::Pair(k, v) = item {
                    total += k.len() + 6 + indent_width * 3 + leaf(v);
                    match v {
                        Node::Mapping(m) => pending.push(&m.items),
                        Node::Sequence(s) => seqs.push(&s.items),
                        Node::Scalar(_) => {}
                    }
                }
            }
        } else if let Some(items) = seqs.pop() {
            for item in items {
                if let SeqItem::Value(v) = item {
                    total += 2 + indent_width * 3 + leaf(v);
                    match v {
                        Node::Mapping(m) => pending.push(&m.items),
                        Node::Sequence(s) => seqs.push(&s.items),
                        Node::Scalar(_) => {}
                    }
                }
            }
        } else {
            return total;
        }
    }
}
