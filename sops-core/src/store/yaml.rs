//! The YAML store: comments, key order and several documents, byte-compatible with sops 3.11.
//!
//! Loading is in [`yaml_load`](super::yaml_load), writing in [`yaml_emit`](super::yaml_emit).
//! The `sops` metadata is appended as the last key of every document and read from the first.

use super::yaml_emit::YamlWriter;
use super::yaml_load::Loader;
use super::{split_metadata, Store};
use crate::error::{Error, ErrorKind};
use crate::metadata::{EmptyListStyle, Metadata};
use crate::tree::{MapItem, Mapping, Node, Tree};

/// The YAML store.
pub struct YamlStore {
    indent: usize,
}

impl YamlStore {
    /// A YAML store writing with `indent` spaces (sops's default is 4).
    pub fn new(indent: usize) -> Self {
        YamlStore {
            indent: if indent == 0 { 4 } else { indent },
        }
    }

    fn parse(&self, input: &[u8], check_duplicates: bool) -> Result<Tree, Error> {
        let text = std::str::from_utf8(input).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("the YAML input is not valid UTF-8: {e}"),
            )
        })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Ok(Tree {
            branches: Loader::new(text, check_duplicates).load()?,
        })
    }

    fn emit(&self, branches: &[Mapping], metadata: Option<&Mapping>, capacity: usize) -> Vec<u8> {
        let mut writer = YamlWriter::new(self.indent, capacity);
        for (i, branch) in branches.iter().enumerate() {
            match metadata {
                Some(meta) => {
                    let mut with_meta = Mapping {
                        items: Vec::with_capacity(branch.items.len() + 1),
                    };
                    with_meta.items.extend(branch.items.iter().cloned());
                    with_meta.items.push(MapItem::Pair(
                        "sops".to_owned(),
                        Node::Mapping(meta.clone()),
                    ));
                    writer.document(&with_meta, i == 0);
                }
                None => writer.document(branch, i == 0),
            }
        }
        writer.finish()
    }
}

impl Store for YamlStore {
    fn load_plain(&self, input: &[u8]) -> Result<Tree, Error> {
        self.parse(input, true)
    }

    fn load_encrypted(&self, input: &[u8]) -> Result<(Tree, Mapping), Error> {
        let mut tree = self.parse(input, false)?;
        let metadata = split_metadata(&mut tree)?;
        Ok((tree, metadata))
    }

    fn emit_plain(&self, tree: &Tree) -> Result<Vec<u8>, Error> {
        Ok(self.emit(&tree.branches, None, 4096))
    }

    fn emit_encrypted(&self, tree: &Tree, metadata: &Metadata) -> Result<Vec<u8>, Error> {
        let meta = metadata.to_mapping(EmptyListStyle::EmptySequence);
        Ok(self.emit(&tree.branches, Some(&meta), 4096))
    }

    fn emit_value(&self, value: &Node) -> Result<Vec<u8>, Error> {
        let mut writer = YamlWriter::new(self.indent, 256);
        writer.value_document(value);
        Ok(writer.finish())
    }
}
