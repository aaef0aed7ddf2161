//! Stores: the file formats sops reads and writes, each turning bytes into a [`Tree`] and back.
//!
//! Every store has two faces, as in sops: the plain file (what `sops decrypt` prints) and the
//! encrypted file (values as `ENC[…]`, plus the `sops` metadata block placed the way the format
//! requires). The format of a file comes from `--input-type`/`--output-type` or from the path's
//! suffix ([`Format::from_path`]).

use crate::error::{Error, ErrorKind};
use crate::metadata::Metadata;
use crate::tree::{Mapping, Node, Tree};
use std::path::Path;

pub mod dotenv;
mod flatten;
pub mod ini;
pub mod json;
mod value;
pub mod yaml;

/// The file formats of sops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// YAML, with comments and several documents.
    Yaml,
    /// JSON.
    Json,
    /// dotenv (`KEY=value` lines).
    Dotenv,
    /// INI sections.
    Ini,
    /// Any other file, encrypted whole as one value.
    Binary,
}

impl Format {
    /// The format sops picks for `path`: by suffix, case-sensitive, anything unknown is binary.
    pub fn from_path(path: &Path) -> Format {
        let name = path.to_string_lossy();
        if name.ends_with(".yaml") || name.ends_with(".yml") {
            Format::Yaml
        } else if name.ends_with(".json") {
            Format::Json
        } else if name.ends_with(".env") {
            Format::Dotenv
        } else if name.ends_with(".ini") {
            Format::Ini
        } else {
            Format::Binary
        }
    }

    /// The format named by `--input-type`/`--output-type`; `None` for an unknown name (sops
    /// then falls back to the path).
    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "yaml" => Some(Format::Yaml),
            "json" => Some(Format::Json),
            "dotenv" => Some(Format::Dotenv),
            "ini" => Some(Format::Ini),
            "binary" => Some(Format::Binary),
            _ => None,
        }
    }

    /// The store for this format with default settings.
    pub fn store(self) -> Box<dyn Store> {
        self.store_with(&StoreOptions::default())
    }

    /// The store for this format with `options`.
    pub fn store_with(self, options: &StoreOptions) -> Box<dyn Store> {
        match self {
            Format::Yaml if options.yaml_negative_indent => {
                Box::new(yaml::YamlStore::with_negative_indent())
            }
            Format::Yaml => Box::new(yaml::YamlStore::new(options.yaml_indent)),
            Format::Json if options.json_integers => {
                Box::new(json::JsonStore::new(options.json_indent).with_integers())
            }
            Format::Json => Box::new(json::JsonStore::new(options.json_indent)),
            Format::Binary => Box::new(json::BinaryStore::new(options.json_binary_indent)),
            Format::Dotenv => Box::new(dotenv::DotenvStore::new()),
            Format::Ini => Box::new(ini::IniStore::new()),
        }
    }
}

/// Store settings from `.sops.yaml`'s `stores:` section and `--indent`.
#[derive(Clone, Copy, Debug)]
pub struct StoreOptions {
    /// YAML indentation (default 4).
    pub yaml_indent: usize,
    /// A negative YAML indentation was given: the YAML store refuses to write, as sops does.
    pub yaml_negative_indent: bool,
    /// JSON indentation: `-1` a tab (default), `0` newlines only, `n` spaces.
    pub json_indent: i32,
    /// Indentation of the binary store's JSON wrapper.
    pub json_binary_indent: i32,
    /// Read integer literals of plain JSON as ints, as sops 3.13.2 does (default: floats, as
    /// sops 3.11/3.12); see [`json::JsonStore::with_integers`].
    pub json_integers: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            yaml_indent: 4,
            yaml_negative_indent: false,
            json_indent: -1,
            json_binary_indent: -1,
            json_integers: false,
        }
    }
}

/// One file format.
pub trait Store {
    /// Reads a plaintext file. Fails with [`ErrorKind::InvalidInput`] on malformed input.
    fn load_plain(&self, input: &[u8]) -> Result<Tree, Error>;

    /// Reads an encrypted file: the tree with the `sops` key removed, and the metadata node.
    /// Fails with [`ErrorKind::Generic`] and "sops metadata not found" when there is none.
    fn load_encrypted(&self, input: &[u8]) -> Result<(Tree, Mapping), Error>;

    /// Writes the plaintext file.
    fn emit_plain(&self, tree: &Tree) -> Result<Vec<u8>, Error>;

    /// Writes the encrypted file with `metadata`.
    fn emit_encrypted(&self, tree: &Tree, metadata: &Metadata) -> Result<Vec<u8>, Error>;

    /// Writes one value, as `--extract` prints a non-string result.
    fn emit_value(&self, value: &Node) -> Result<Vec<u8>, Error>;
}

/// Splits the `sops` key off the first branch (and drops it from the others), as the YAML and
/// JSON stores do on load.
pub(crate) fn split_metadata(tree: &mut Tree) -> Result<Mapping, Error> {
    let mut metadata = None;
    for (i, branch) in tree.branches.iter_mut().enumerate() {
        let found = branch.remove("sops");
        if i == 0 {
            metadata = found;
        }
    }
    match metadata {
        Some(Node::Mapping(m)) => Ok(m),
        Some(other) => Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "the sops metadata must be a mapping, found {}",
                other.kind_name()
            ),
        )),
        None => Err(Error::new(ErrorKind::Generic, "sops metadata not found")
            .with_hint("is the file encrypted with sops, and read in its own format? (sops: `sops filestatus FILE` tells)")),
    }
}
