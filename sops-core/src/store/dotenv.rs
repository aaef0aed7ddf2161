//! The dotenv store: `KEY=value` lines, byte-compatible with sops 3.11 (SOPS-FORMAT.md §7.3).
//!
//! sops reads dotenv very literally, and so does this store:
//!
//! * the input is split on `\n` and empty lines are skipped;
//! * a line starting with `#` is a comment holding the rest of the line;
//! * any other line must contain `=`. The key is everything before the first `=` and the value
//!   everything after it, both verbatim: spaces around `=`, an `export ` prefix, quotes and a
//!   CRLF file's `\r` all stay. Only the two characters `\n` in a value turn into a newline.
//!
//! Every value is a string. On output each pair is `KEY=value` with newlines written as `\n`,
//! other scalars follow sops's `ValToString`, and lists or maps cannot be written (exit 4). The
//! encrypted file carries its metadata as `sops_`-prefixed lines after the data, sorted by key
//! (see the `flatten` module); on load every `sops_` line, wherever it is, is metadata.
//!
//! sops's `ValToString` (SOPS-FORMAT.md §7.3), which the INI store uses too, lives here as
//! `val_to_string`, with Go's `%v` formatting of the nested values sops writes into INI.

use super::flatten::{flatten, unflatten};
use super::Store;
use crate::error::{Error, ErrorKind};
use crate::metadata::Metadata;
use crate::secret::{SecretBytes, SecretText};
use crate::tree::{MapItem, Mapping, Node, Scalar, SeqItem, Tree};

/// The prefix of the metadata keys in an encrypted dotenv file.
const SOPS_PREFIX: &str = "sops_";

/// The dotenv store.
#[derive(Clone, Copy, Debug, Default)]
pub struct DotenvStore;

impl DotenvStore {
    /// A dotenv store (it has no settings).
    pub fn new() -> Self {
        DotenvStore
    }
}

/// Reads the lines of a dotenv file into one mapping.
fn parse(input: &[u8]) -> Result<Mapping, Error> {
    let mut branch = Mapping::default();
    for line in input.split(|&b| b == b'\n') {
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix(b"#") {
            branch.items.push(MapItem::Comment(SecretText::new(utf8(
                comment.to_vec(),
                "a comment",
            )?)));
            continue;
        }
        let Some(eq) = line.iter().position(|&b| b == b'=') else {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "invalid dotenv input line: {}",
                    String::from_utf8_lossy(line)
                ),
            )
            .with_hint("every line must be KEY=value, a #comment or empty"));
        };
        let key = utf8(line[..eq].to_vec(), "a key")?;
        let value = unescape_newlines(&line[eq + 1..]);
        let scalar = match String::from_utf8(value) {
            Ok(text) => Scalar::Str(SecretText::new(text)),
            // sops carries bytes through; they encrypt as `str` like any other value.
            Err(e) => Scalar::Bytes(SecretBytes::new(e.into_bytes())),
        };
        branch.push(key, Node::Scalar(scalar));
    }
    Ok(branch)
}

fn utf8(bytes: Vec<u8>, what: &str) -> Result<String, Error> {
    String::from_utf8(bytes).map_err(|_| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("invalid dotenv input: {what} is not valid UTF-8"),
        )
        .with_hint("save the file as UTF-8")
    })
}

/// Replaces each two-byte sequence `\n` with a newline.
fn unescape_newlines(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        if value[i] == b'\\' && value.get(i + 1) == Some(&b'n') {
            out.push(b'\n');
            i += 2;
        } else {
            out.push(value[i]);
            i += 1;
        }
    }
    out
}

/// Appends `bytes` with each newline written as the two characters `\n`.
fn push_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        if b == b'\n' {
            out.extend_from_slice(b"\\n");
        } else {
            out.push(b);
        }
    }
}

/// Writes the items of `branch` and then `extra` pairs (the flattened metadata).
fn emit(branch: &Mapping, extra: &[(String, String)]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(64 * (branch.items.len() + extra.len()));
    for item in &branch.items {
        match item {
            MapItem::Comment(text) => {
                out.push(b'#');
                out.extend_from_slice(text.as_bytes());
            }
            MapItem::Pair(key, Node::Mapping(_) | Node::Sequence(_)) => {
                return Err(Error::new(
                    ErrorKind::EmitFailed,
                    format!("cannot use complex value in dotenv file; offending key {key}"),
                )
                .with_hint(
                    "dotenv holds only flat KEY=value pairs; write this file as YAML or JSON",
                ));
            }
            MapItem::Pair(key, Node::Scalar(scalar)) => {
                out.extend_from_slice(key.as_bytes());
                out.push(b'=');
                match scalar {
                    Scalar::Str(s) => push_escaped(&mut out, s.as_bytes()),
                    Scalar::Bytes(b) => push_escaped(&mut out, b.secret_bytes()),
                    other => {
                        let text = val_to_string(&Node::Scalar(other.clone()))?;
                        out.extend_from_slice(text.as_bytes());
                    }
                }
            }
        }
        out.push(b'\n');
    }
    for (key, value) in extra {
        out.extend_from_slice(SOPS_PREFIX.as_bytes());
        out.extend_from_slice(key.as_bytes());
        out.push(b'=');
        push_escaped(&mut out, value.as_bytes());
        out.push(b'\n');
    }
    Ok(out)
}

/// The first branch; a dotenv file has no others (sops writes only the first).
fn first_branch(tree: &Tree) -> &Mapping {
    static EMPTY: Mapping = Mapping { items: Vec::new() };
    tree.branches.first().unwrap_or(&EMPTY)
}

/// Go's `%T` of the value sops would hold, for the `emit_value` error.
fn go_type_name(node: &Node) -> &'static str {
    match node {
        Node::Mapping(_) => "sops.TreeBranch",
        Node::Sequence(_) => "[]interface {}",
        Node::Scalar(Scalar::Null) => "<nil>",
        Node::Scalar(Scalar::Bool(_)) => "bool",
        Node::Scalar(Scalar::Int(_)) => "int",
        Node::Scalar(Scalar::Float(_)) => "float64",
        Node::Scalar(Scalar::Time(_)) => "time.Time",
        Node::Scalar(Scalar::Str(_) | Scalar::Bytes(_)) => "string",
    }
}

impl Store for DotenvStore {
    /// Reads the file into one branch; fails with exit code 2 on a line without `=`.
    fn load_plain(&self, input: &[u8]) -> Result<Tree, Error> {
        Ok(Tree {
            branches: vec![parse(input)?],
        })
    }

    /// Separates the `sops_` lines (metadata) from the data and unflattens them.
    fn load_encrypted(&self, input: &[u8]) -> Result<(Tree, Mapping), Error> {
        let parsed = parse(input)?;
        let mut branch = Mapping::default();
        let mut flat = Vec::new();
        for item in parsed.items {
            match item {
                MapItem::Pair(key, value) if key.starts_with(SOPS_PREFIX) => {
                    let text = match value {
                        Node::Scalar(Scalar::Str(s)) => s.as_str().to_owned(),
                        Node::Scalar(Scalar::Bytes(b)) => {
                            String::from_utf8_lossy(b.secret_bytes()).into_owned()
                        }
                        _ => String::new(),
                    };
                    flat.push((key[SOPS_PREFIX.len()..].to_owned(), text));
                }
                other => branch.items.push(other),
            }
        }
        if flat.is_empty() {
            return Err(
                Error::new(ErrorKind::Generic, "sops metadata not found").with_hint(
                    "an encrypted dotenv file has sops_… lines; is the file encrypted with sops?",
                ),
            );
        }
        let metadata = unflatten(flat)?;
        Ok((
            Tree {
                branches: vec![branch],
            },
            metadata,
        ))
    }

    /// Writes the first branch.
    fn emit_plain(&self, tree: &Tree) -> Result<Vec<u8>, Error> {
        emit(first_branch(tree), &[])
    }

    /// Writes the first branch and then the flattened metadata as sorted `sops_` lines.
    fn emit_encrypted(&self, tree: &Tree, metadata: &Metadata) -> Result<Vec<u8>, Error> {
        emit(first_branch(tree), &flatten(metadata))
    }

    /// A mapping is written as a whole file (as sops's `--extract` does); sops's dotenv store
    /// can write no other non-string value (exit 4).
    fn emit_value(&self, value: &Node) -> Result<Vec<u8>, Error> {
        match value {
            Node::Mapping(m) => emit(m, &[]),
            Node::Scalar(Scalar::Str(s)) => Ok(s.as_bytes().to_vec()),
            Node::Scalar(Scalar::Bytes(b)) => Ok(b.secret_bytes().to_vec()),
            other => Err(Error::new(
                ErrorKind::EmitFailed,
                format!(
                    "the dotenv store only supports emitting strings, got {}",
                    go_type_name(other)
                ),
            )
            .with_hint("pick a string value with --extract, or use --output-type json or yaml")),
        }
    }
}

/// Nesting deeper than this cannot be written by dotenv or INI (sops recurses without limit).
pub(super) const MAX_VALUE_DEPTH: usize = 128;

/// The error for a value nested deeper than [`MAX_VALUE_DEPTH`].
pub(super) fn too_deep() -> Error {
    Error::new(
        ErrorKind::EmitFailed,
        "a value is nested too deeply to write",
    )
    .with_hint("dotenv and INI hold flat values; write this file as YAML or JSON")
}

/// sops's `stores.ValToString`: how dotenv and INI write a value that is not a string.
///
/// Floats use Go's `'G'` format with `.0` added to integral values (`100.0`, `1E+21`), times
/// RFC 3339 without fractional seconds, null `<nil>`; lists and maps are Go's `%v` of sops's
/// tree (`[a b]`, `[{key value}]`), which is what sops writes for them in INI.
pub(super) fn val_to_string(node: &Node) -> Result<String, Error> {
    let mut out = String::new();
    match node {
        Node::Scalar(Scalar::Float(f)) if f.is_finite() => {
            out = super::yaml::go_float_g(*f).replace('e', "E");
            if !out.contains(['.', 'E']) {
                out = format!("{f:.1}");
            }
        }
        Node::Scalar(Scalar::Time(t)) => out = t.rfc3339_seconds(),
        other => go_v(other, &mut out, 0)?,
    }
    Ok(out)
}

/// Go's `fmt.Sprintf("%v", v)` of a sops tree value. A map is a `TreeBranch` of `TreeItem`
/// structs (`[{key value}]`), a comment a `Comment` struct (`{text}`).
fn go_v(node: &Node, out: &mut String, depth: usize) -> Result<(), Error> {
    if depth > MAX_VALUE_DEPTH {
        return Err(too_deep());
    }
    match node {
        Node::Scalar(Scalar::Null) => out.push_str("<nil>"),
        Node::Scalar(Scalar::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
        Node::Scalar(Scalar::Int(i)) => out.push_str(&i.to_string()),
        Node::Scalar(Scalar::Float(f)) if f.is_nan() => out.push_str("NaN"),
        Node::Scalar(Scalar::Float(f)) if f.is_infinite() => {
            out.push_str(if *f > 0.0 { "+Inf" } else { "-Inf" })
        }
        Node::Scalar(Scalar::Float(f)) => out.push_str(&super::yaml::go_float_g(*f)),
        Node::Scalar(Scalar::Time(t)) => out.push_str(&go_time_string(&t.rfc3339_nano)),
        Node::Scalar(Scalar::Str(s)) => out.push_str(s.as_str()),
        Node::Scalar(Scalar::Bytes(b)) => out.push_str(&String::from_utf8_lossy(b.secret_bytes())),
        Node::Sequence(seq) => {
            out.push('[');
            for (i, item) in seq.items.iter().enumerate() {
                out.push_str(if i > 0 { " " } else { "" });
                match item {
                    SeqItem::Value(v) => go_v(v, out, depth + 1)?,
                    SeqItem::Comment(c) => *out += &format!("{{{}}}", c.as_str()),
                }
            }
            out.push(']');
        }
        Node::Mapping(map) => {
            out.push('[');
            for (i, item) in map.items.iter().enumerate() {
                out.push_str(if i > 0 { " " } else { "" });
                match item {
                    MapItem::Pair(k, v) => {
                        *out += &format!("{{{k} ");
                        go_v(v, out, depth + 1)?;
                        out.push('}');
                    }
                    MapItem::Comment(c) => *out += &format!("{{{{{}}} <nil>}}", c.as_str()),
                }
            }
            out.push(']');
        }
    }
    Ok(())
}

/// Go's `time.Time.String()` of a time parsed from RFC 3339: `2001-12-14 21:59:43.1 -0500 -0500`
/// (`+0000 UTC` for `Z`).
fn go_time_string(rfc3339: &str) -> String {
    let (date, rest) = rfc3339.split_once('T').unwrap_or((rfc3339, ""));
    let (clock, zone) = rest.split_at(rest.find(['Z', '+', '-']).unwrap_or(rest.len()));
    match zone.replace(':', "").as_str() {
        "" | "Z" => format!("{date} {clock} +0000 UTC"),
        offset => format!("{date} {clock} {offset} {offset}"),
    }
}
