//! The JSON store (Go `encoding/json` output), and the binary store that wraps a whole file.
//!
//! [`JsonStore`] reads a JSON object into one branch: keys in file order with duplicates kept,
//! every number a float (sops 3.11 decodes JSON numbers as float64). It writes JSON exactly as
//! sops does: the tree hand-encoded, re-indented with Go's `json.Indent` (a tab by default), a
//! trailing newline, and for an encrypted file the metadata as the last key `"sops"`.
//!
//! [`BinaryStore`] treats any other file as opaque bytes: the plain file becomes
//! `{"data": <bytes>}`, the encrypted file is the JSON store's encrypted form.

use super::Store;
use crate::error::{Error, ErrorKind};
use crate::metadata::{EmptyListStyle, Metadata};
use crate::secret::{SecretBytes, SecretText};
use crate::tree::{MapItem, Mapping, Node, Scalar, Tree};

mod emit;
mod parse;

use parse::{Numbers, Trailing};

/// The JSON store.
#[derive(Clone, Copy, Debug)]
pub struct JsonStore {
    indent: i32,
    numbers: Numbers,
}

impl JsonStore {
    /// A JSON store with `indent`: -1 a tab (sops's default), 0 newlines only, n spaces.
    pub fn new(indent: i32) -> Self {
        JsonStore {
            indent,
            numbers: Numbers::Floats,
        }
    }

    /// The same store reading an integer literal of a plain file as an int, as sops 3.13.2
    /// does (for a file that came in sops 3.13's layout, so that its integers stay `type:int`).
    pub fn with_integers(self) -> Self {
        JsonStore {
            numbers: Numbers::Integers,
            ..self
        }
    }

    fn writer_for(&self, mapping: &Mapping) -> Result<emit::Writer, Error> {
        let width = usize::try_from(self.indent).unwrap_or(1).max(1);
        emit::Writer::new(self.indent, emit::estimate(mapping, width))
    }

    fn emit_branch(
        &self,
        branch: &Mapping,
        extra: Option<(&str, &Node)>,
    ) -> Result<Vec<u8>, Error> {
        let mut writer = self.writer_for(branch)?;
        writer.document(&branch.items, extra)?;
        Ok(writer.finish())
    }
}

/// The first branch, which is all a JSON file holds; an empty tree writes as `{}`.
fn first_branch(tree: &Tree) -> &Mapping {
    static EMPTY: Mapping = Mapping { items: Vec::new() };
    tree.branches.first().unwrap_or(&EMPTY)
}

impl Store for JsonStore {
    /// Anything after the top-level object is ignored, as sops's token decoder never reads it.
    fn load_plain(&self, input: &[u8]) -> Result<Tree, Error> {
        Ok(Tree {
            branches: vec![parse::parse_document(
                input,
                Trailing::Ignored,
                self.numbers,
            )?],
        })
    }

    /// Only whitespace may follow the top-level object: sops 3.11/3.12 also decode an encrypted
    /// file with `json.Unmarshal`, which refuses more (`invalid character 'x' after top-level
    /// value`, exit 1).
    fn load_encrypted(&self, input: &[u8]) -> Result<(Tree, Mapping), Error> {
        let mut tree = Tree {
            branches: vec![parse::parse_document(
                input,
                Trailing::Refused,
                Numbers::Floats,
            )?],
        };
        let metadata = super::split_metadata(&mut tree)?;
        Ok((tree, metadata))
    }

    /// Writes the first branch; other branches (YAML documents) are dropped, as sops does.
    fn emit_plain(&self, tree: &Tree) -> Result<Vec<u8>, Error> {
        self.emit_branch(first_branch(tree), None)
    }

    fn emit_encrypted(&self, tree: &Tree, metadata: &Metadata) -> Result<Vec<u8>, Error> {
        let sops = Node::Mapping(metadata.to_mapping(EmptyListStyle::Null));
        self.emit_branch(first_branch(tree), Some(("sops", &sops)))
    }

    /// A mapping is written as a whole document (with the final newline), as `--extract` of a
    /// mapping prints it; a sequence is indented and a scalar is its JSON text (strings quoted),
    /// both without a newline, as sops's `EmitValue`.
    fn emit_value(&self, value: &Node) -> Result<Vec<u8>, Error> {
        match value {
            Node::Mapping(m) => self.emit_branch(m, None),
            other => {
                let mut writer = emit::Writer::new(self.indent, 256)?;
                writer.value(other, 0, "")?;
                Ok(writer.finish())
            }
        }
    }
}

/// The binary store.
#[derive(Clone, Copy, Debug)]
pub struct BinaryStore {
    indent: i32,
}

impl BinaryStore {
    /// A binary store whose JSON wrapper uses `indent` (see [`JsonStore::new`]).
    pub fn new(indent: i32) -> Self {
        BinaryStore { indent }
    }

    fn json(&self) -> JsonStore {
        JsonStore::new(self.indent)
    }
}

fn binary_error(message: &str) -> Error {
    Error::new(
        ErrorKind::EmitFailed,
        format!("error emitting binary store: {message}"),
    )
}

impl Store for BinaryStore {
    /// The whole input becomes the string value of key `data` (bytes if it is not UTF-8).
    fn load_plain(&self, input: &[u8]) -> Result<Tree, Error> {
        let data = match std::str::from_utf8(input) {
            Ok(text) => Scalar::Str(SecretText::new(text)),
            Err(_) => Scalar::Bytes(SecretBytes::new(input.to_vec())),
        };
        let mut branch = Mapping::default();
        branch.push("data", Node::Scalar(data));
        Ok(Tree {
            branches: vec![branch],
        })
    }

    fn load_encrypted(&self, input: &[u8]) -> Result<(Tree, Mapping), Error> {
        self.json().load_encrypted(input)
    }

    /// The raw bytes of `data`.
    fn emit_plain(&self, tree: &Tree) -> Result<Vec<u8>, Error> {
        let [branch] = tree.branches.as_slice() else {
            return Err(binary_error("there must be exactly one tree branch"));
        };
        let data = branch.items.iter().find_map(|item| match item {
            MapItem::Pair(k, v) if k == "data" => Some(v),
            _ => None,
        });
        match data {
            Some(Node::Scalar(Scalar::Str(s))) => Ok(s.as_bytes().to_vec()),
            Some(Node::Scalar(Scalar::Bytes(b))) => Ok(b.secret_bytes().to_vec()),
            Some(_) => Err(binary_error(
                "'data' key in tree does not have a string value",
            )),
            None => Err(binary_error("no binary data found in tree").with_hint(
                "the file is not a sops-encrypted binary file; name its format instead of going by its name (sops: --input-type/--output-type)",
            )),
        }
    }

    fn emit_encrypted(&self, tree: &Tree, metadata: &Metadata) -> Result<Vec<u8>, Error> {
        self.json().emit_encrypted(tree, metadata)
    }

    fn emit_value(&self, _: &Node) -> Result<Vec<u8>, Error> {
        Err(Error::new(
            ErrorKind::Generic,
            "Binary files are not structured and extracting a single value is not possible",
        ))
    }
}
