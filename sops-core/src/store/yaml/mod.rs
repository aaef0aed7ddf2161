//! The YAML store: comments, key order and several documents, byte-compatible with sops 3.11.
//!
//! Loading is in the `load` module (with the fast block scanner of `fast` and the full parser
//! behind it), writing in `emit`.
//! The `sops` metadata is appended as the last key of every document and read from the first.

mod compare;
mod emit;
mod fast;
mod flow_indent;
mod goyaml;
mod load;
mod resolve;
mod scalar;
mod split;

use super::{split_metadata, Store};
use crate::error::{Error, ErrorKind};
use crate::metadata::{EmptyListStyle, Metadata, KEY_TYPES_LOAD_ORDER};
use crate::tree::{Mapping, Node, SeqItem, Tree};
use emit::{estimated_size, YamlWriter};

/// The YAML store.
pub struct YamlStore {
    indent: usize,
    /// A negative indentation was asked for: writing fails, as in sops.
    negative: bool,
}

impl YamlStore {
    /// A YAML store writing with `indent` spaces: 0 is sops's default, 4; go-yaml's emitter
    /// writes 2 for any other value outside 2..=9, and so does this store.
    pub fn new(indent: usize) -> Self {
        YamlStore {
            indent: match indent {
                0 => 4,
                2..=9 => indent,
                _ => 2,
            },
            negative: false,
        }
    }

    fn parse(&self, input: &[u8], check_duplicates: bool) -> Result<Tree, Error> {
        // go-yaml reads UTF-16 text with a byte order mark, as sops does; anything else is UTF-8.
        let decoded;
        let input = match input {
            [0xff, 0xfe, rest @ ..] => {
                decoded = utf16(rest, u16::from_le_bytes)?;
                decoded.as_bytes()
            }
            [0xfe, 0xff, rest @ ..] => {
                decoded = utf16(rest, u16::from_be_bytes)?;
                decoded.as_bytes()
            }
            _ => input,
        };
        let text = std::str::from_utf8(input).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("the YAML input is not valid UTF-8: {e}"),
            )
        })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if let Some((offset, c)) = first_unprintable(text) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "error unmarshalling input YAML: control characters are not allowed (U+{:04X} at byte {offset})",
                    u32::from(c)
                ),
            )
            .with_hint("YAML files cannot hold control characters, even in comments; write them as escapes in a double-quoted string (\"\\x01\")"));
        }
        let mut branches = split::load(text, check_duplicates)?;
        if text.contains('#') {
            // Comments go where go-yaml and sops put them (the reader's placement stays where
            // the reduced go-yaml reader gives up).
            goyaml::relayout(text, &mut branches);
        }
        Ok(Tree { branches })
    }

    /// Writes every branch as a document, with `metadata` as the last key of each.
    /// A store that reads as usual but refuses to write, as sops does when the YAML indentation
    /// (`--indent`, `stores.yaml.indent`) is negative: "YAML Negative indentation not accepted",
    /// exit 4.
    pub fn with_negative_indent() -> Self {
        YamlStore {
            negative: true,
            ..YamlStore::new(0)
        }
    }

    fn check_indent(&self) -> Result<(), Error> {
        if self.negative {
            return Err(Error::new(
                ErrorKind::EmitFailed,
                "YAML Negative indentation not accepted",
            )
            .with_hint(
                "give --indent (or stores.yaml.indent) 0 for the default, or a number of spaces",
            ));
        }
        Ok(())
    }

    fn emit(&self, branches: &[Mapping], metadata: Option<&Mapping>) -> Vec<u8> {
        let capacity = branches
            .iter()
            .map(|b| estimated_size(b, self.indent) + 8)
            .sum::<usize>()
            + metadata.map_or(0, |m| branches.len() * estimated_size(m, self.indent));
        let mut writer = YamlWriter::new(self.indent, capacity);
        let metadata = metadata.map(|meta| Node::Mapping(meta.clone()));
        let last = metadata.as_ref().map(|meta| ("sops", meta));
        for (i, branch) in branches.iter().enumerate() {
            writer.document(branch, last, i == 0);
        }
        writer.finish()
    }
}

/// A tree the loader built, rendered for comparison: the written YAML, then every scalar's
/// type (or the error message).
#[doc(hidden)]
pub type RenderedTree = Result<Vec<u8>, String>;

/// For the differential fuzz target (`fuzz/fuzz_targets/yaml_fast_vs_parser.rs`): the tree
/// the fast block scanner builds from `src` (`None` when it falls back to the parser) and the
/// tree the full parser builds. Whenever the first is `Some`, the two must be equal. A text
/// the store refuses before either reader sees it (a control character) gives `(None, Err)`.
#[doc(hidden)]
pub fn fast_and_full_trees(src: &str) -> (Option<RenderedTree>, RenderedTree) {
    let text = src.strip_prefix('\u{feff}').unwrap_or(src);
    if let Some((offset, c)) = first_unprintable(text) {
        let refused = format!("control character U+{:04X} at byte {offset}", u32::from(c));
        return (None, Err(refused));
    }
    compare::fast_and_full(text)
}

/// UTF-16 text (after its byte order mark) as UTF-8, zeroized when dropped.
fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<zeroize::Zeroizing<String>, Error> {
    let invalid = |what: &str| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("error unmarshalling input YAML: the UTF-16 input {what}"),
        )
    };
    if bytes.len() % 2 != 0 {
        return Err(invalid("ends in the middle of a character"));
    }
    let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map(zeroize::Zeroizing::new)
        .map_err(|_| invalid("has an unpaired surrogate"))
}

/// sops reads the first document of an encrypted file into its metadata structs with go-yaml,
/// which refuses a key given twice in every mapping it decodes: the top level, the `sops` block,
/// and the key lists and groups in it ("mapping key already defined", exit 1). Deeper data is
/// not decoded there, so duplicates in it pass (and show as a MAC mismatch). Refusing the same
/// keeps two readers from taking different `sops` blocks, MACs or values from one file.
fn refuse_duplicate_keys(root: &Mapping) -> Result<(), Error> {
    unique_keys(root)?;
    let Some(Node::Mapping(sops)) = root.get("sops") else {
        return Ok(());
    };
    unique_keys(sops)?;
    let mut stack: Vec<&Node> = sops
        .pairs()
        .filter(|(k, _)| *k == "key_groups" || KEY_TYPES_LOAD_ORDER.contains(k))
        .map(|(_, v)| v)
        .collect();
    while let Some(node) = stack.pop() {
        match node {
            Node::Mapping(m) => {
                unique_keys(m)?;
                stack.extend(m.pairs().map(|(_, v)| v));
            }
            Node::Sequence(s) => stack.extend(s.items.iter().filter_map(|i| match i {
                SeqItem::Value(v) => Some(v),
                SeqItem::Comment(_) => None,
            })),
            Node::Scalar(_) => {}
        }
    }
    Ok(())
}

fn unique_keys(mapping: &Mapping) -> Result<(), Error> {
    let mut seen = std::collections::HashSet::new();
    for (key, _) in mapping.pairs() {
        if !seen.insert(key) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("error unmarshalling input YAML: mapping key {key:?} already defined"),
            )
            .with_hint("a file with the same key twice at the top level or in the sops metadata is refused, as sops does; remove one"));
        }
    }
    Ok(())
}

/// The characters go-yaml's reader accepts anywhere in the input (YAML 1.1 `c-printable`):
/// tab, line feed, carriage return, printable ASCII, NEL and the rest of Unicode but the C1
/// controls, surrogates and U+FFFE/U+FFFF. sops refuses any other ("control characters are not
/// allowed"), and saphyr would let some of them through (in comments, for one).
/// The first character YAML does not allow, scanning bytes for ASCII text (the common case).
fn first_unprintable(text: &str) -> Option<(usize, char)> {
    let bytes = text.as_bytes();
    let ascii_bad = |b: u8| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f;
    if text.is_ascii() {
        // Whole chunks without an early exit (the compiler vectorizes them); only a chunk that
        // holds a bad byte is searched for its position.
        const CHUNK: usize = 64;
        for (i, chunk) in bytes.chunks(CHUNK).enumerate() {
            if chunk.iter().fold(false, |bad, &b| bad | ascii_bad(b)) {
                let at = chunk.iter().position(|&b| ascii_bad(b)).unwrap_or(0);
                let offset = i * CHUNK + at;
                return Some((offset, bytes[offset] as char));
            }
        }
        return None;
    }
    text.char_indices().find(|&(_, c)| !yaml_printable(c))
}

fn yaml_printable(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}'
        | '\u{e000}'..='\u{fffd}' | '\u{10000}'..='\u{10ffff}')
}

impl Store for YamlStore {
    fn load_plain(&self, input: &[u8]) -> Result<Tree, Error> {
        self.parse(input, true)
    }

    fn load_encrypted(&self, input: &[u8]) -> Result<(Tree, Mapping), Error> {
        let mut tree = self.parse(input, false)?;
        if let Some(first) = tree.branches.first() {
            refuse_duplicate_keys(first)?;
        }
        let metadata = split_metadata(&mut tree)?;
        Ok((tree, metadata))
    }

    fn emit_plain(&self, tree: &Tree) -> Result<Vec<u8>, Error> {
        self.check_indent()?;
        Ok(self.emit(&tree.branches, None))
    }

    fn emit_encrypted(&self, tree: &Tree, metadata: &Metadata) -> Result<Vec<u8>, Error> {
        self.check_indent()?;
        let meta = metadata.to_mapping(EmptyListStyle::EmptySequence);
        Ok(self.emit(&tree.branches, Some(&meta)))
    }

    fn emit_value(&self, value: &Node) -> Result<Vec<u8>, Error> {
        self.check_indent()?;
        let mut writer = YamlWriter::new(self.indent, 256);
        writer.value_document(value);
        Ok(writer.finish())
    }
}
