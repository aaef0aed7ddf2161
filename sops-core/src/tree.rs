//! The ordered document tree that every store reads into and writes from.
//!
//! A file is a list of branches (one per YAML document; one for the other formats), each a
//! [`Mapping`]. Mappings keep their items in file order and hold comments as items, as sops does,
//! so that comments are encrypted, authenticated by position and written back where they were.
//! Scalars carry the types sops distinguishes, because the type tag is part of each `ENC[…]`
//! value. String and binary scalars live in zeroizing containers.

use crate::secret::{SecretBytes, SecretText};
use std::fmt;

/// The deepest nesting of mappings and sequences the stores accept (the top-level mapping is
/// level 1); deeper input is refused as invalid.
///
/// Trees are walked, written, compared and dropped recursively, about 1 KiB of stack per level
/// in a debug build. go-yaml and Go's `encoding/json` stop at 10000 levels, which would
/// overflow the 2 MiB stack of a spawned thread (and in a debug build even the 8 MiB main
/// thread); 1000 levels fit in either with room to spare. YAML aliases count with the depth of
/// the node they repeat.
pub const MAX_DEPTH: usize = 1000;

/// A scalar leaf.
#[derive(Clone, PartialEq)]
pub enum Scalar {
    /// `null`, `~` or an empty YAML value: never encrypted.
    Null,
    /// A boolean.
    Bool(bool),
    /// A 64-bit signed integer.
    Int(i64),
    /// A 64-bit float (every JSON number in sops 3.11).
    Float(f64),
    /// A YAML timestamp, kept in Go's RFC 3339 form with nanoseconds.
    Time(Timestamp),
    /// A UTF-8 string.
    Str(SecretText),
    /// Bytes that are not valid UTF-8 (the binary store's `data`, or a decrypted `bytes` value).
    Bytes(SecretBytes),
}

/// A timestamp as Go formats it with `time.RFC3339Nano` (`2001-12-14T21:59:43.1-05:00`).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Timestamp {
    /// The RFC 3339 text, fractional seconds trimmed of trailing zeros.
    pub rfc3339_nano: String,
}

impl Timestamp {
    /// The RFC 3339 form without fractional seconds (Go `time.RFC3339`).
    pub fn rfc3339_seconds(&self) -> String {
        crate::go::rfc3339_seconds(&self.rfc3339_nano)
    }
}

/// A node of the tree: a scalar, a mapping or a sequence.
#[derive(Clone, PartialEq)]
pub enum Node {
    /// A leaf.
    Scalar(Scalar),
    /// An ordered mapping with string keys and comment items.
    Mapping(Mapping),
    /// A sequence with comment items.
    Sequence(Sequence),
}

/// An item of a mapping: a key-value pair or a comment.
#[derive(Clone, PartialEq)]
pub enum MapItem {
    /// `key: value`.
    Pair(String, Node),
    /// A comment line; the text after `#`, leading space kept.
    Comment(SecretText),
}

/// An item of a sequence: a value or a comment.
#[derive(Clone, PartialEq)]
pub enum SeqItem {
    /// An element.
    Value(Node),
    /// A comment line.
    Comment(SecretText),
}

/// A mapping in file order.
#[derive(Clone, PartialEq, Default)]
pub struct Mapping {
    /// The items in order.
    pub items: Vec<MapItem>,
}

/// A sequence in file order.
#[derive(Clone, PartialEq, Default)]
pub struct Sequence {
    /// The items in order.
    pub items: Vec<SeqItem>,
}

/// A whole file's content: one branch per document.
#[derive(Clone, PartialEq, Default)]
pub struct Tree {
    /// The documents, each a top-level mapping (without the `sops` key).
    pub branches: Vec<Mapping>,
}

impl Node {
    /// A string scalar node.
    pub fn string(text: impl Into<String>) -> Node {
        Node::Scalar(Scalar::Str(SecretText::new(text.into())))
    }

    /// The string if this node is a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar(Scalar::Str(s)) => Some(s.as_str()),
            _ => None,
        }
    }

    /// The mapping if this node is one.
    pub fn as_mapping(&self) -> Option<&Mapping> {
        match self {
            Node::Mapping(m) => Some(m),
            _ => None,
        }
    }

    /// The sequence if this node is one.
    pub fn as_sequence(&self) -> Option<&Sequence> {
        match self {
            Node::Sequence(s) => Some(s),
            _ => None,
        }
    }

    /// A short name of the node's kind for messages (`mapping`, `str`, …).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Node::Mapping(_) => "mapping",
            Node::Sequence(_) => "sequence",
            Node::Scalar(s) => s.type_name(),
        }
    }
}

impl Scalar {
    /// The sops type tag of this scalar (`str`, `int`, `float`, `bool`, `time`), `null` for null.
    pub fn type_name(&self) -> &'static str {
        match self {
            Scalar::Null => "null",
            Scalar::Bool(_) => "bool",
            Scalar::Int(_) => "int",
            Scalar::Float(_) => "float",
            Scalar::Time(_) => "time",
            Scalar::Str(_) | Scalar::Bytes(_) => "str",
        }
    }
}

impl Mapping {
    /// The value of the first pair with key `key`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.items.iter().find_map(|item| match item {
            MapItem::Pair(k, v) if k == key => Some(v),
            _ => None,
        })
    }

    /// The value of the first pair with key `key`, to change it.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.items.iter_mut().find_map(|item| match item {
            MapItem::Pair(k, v) if k == key => Some(v),
            _ => None,
        })
    }

    /// Removes every pair with key `key` and returns the first one's value.
    pub fn remove(&mut self, key: &str) -> Option<Node> {
        let mut found = None;
        let mut kept = Vec::with_capacity(self.items.len());
        for item in self.items.drain(..) {
            match item {
                MapItem::Pair(k, v) if k == key => {
                    if found.is_none() {
                        found = Some(v);
                    }
                }
                other => kept.push(other),
            }
        }
        self.items = kept;
        found
    }

    /// Appends `key: value`.
    pub fn push(&mut self, key: impl Into<String>, value: Node) {
        self.items.push(MapItem::Pair(key.into(), value));
    }

    /// The key-value pairs, comments skipped.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.items.iter().filter_map(|item| match item {
            MapItem::Pair(k, v) => Some((k.as_str(), v)),
            MapItem::Comment(_) => None,
        })
    }
}

/// Prints structure and types only: values may be secrets and are never shown.
impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Scalar(s) => write!(f, "<{}>", s.type_name()),
            Node::Mapping(m) => f
                .debug_map()
                .entries(m.items.iter().map(|item| match item {
                    MapItem::Pair(k, v) => (k.as_str(), v as &dyn fmt::Debug),
                    MapItem::Comment(_) => ("#", &"<comment>" as &dyn fmt::Debug),
                }))
                .finish(),
            Node::Sequence(s) => f
                .debug_list()
                .entries(s.items.iter().map(|item| match item {
                    SeqItem::Value(v) => v as &dyn fmt::Debug,
                    SeqItem::Comment(_) => &"<comment>" as &dyn fmt::Debug,
                }))
                .finish(),
        }
    }
}
