//! The INI store, byte-compatible with sops 3.11, which reads and writes INI with
//! `gopkg.in/ini.v1` (non-unique sections allowed).
//!
//! **Load.** Each section becomes a top-level key whose value is a mapping of strings; keys
//! before the first header belong to the always-present `DEFAULT` section. Values are read as
//! ini.v1 reads them: an inline `#` or `;` starts a comment, surrounding `"…"`/`'…'` are
//! stripped, `` `…` `` and `"""…"""` quote (and may span lines), a trailing `\` continues the
//! value on the next line, a key `-` is numbered `#1`, `#2`…, and a repeated key keeps its first
//! position and its last value. Comment lines gather up to the next key or header: a header's
//! comments become the first item of its section, a key's comments an item *after* that key,
//! with the leading `;`/`#` characters and spaces stripped. Comments at the end are lost.
//!
//! **Emit.** An empty leading `DEFAULT` is omitted and a non-empty one has no header; a blank
//! line separates sections; `=` signs are aligned per section; comments are written as `; text`
//! before their key or header; values containing a newline or backtick are written `"""…"""`,
//! ones containing `#` or `;` `` `…` ``, ones with outer spaces `"…"`, empty ones as `k = `.
//! The encrypted file ends with a `[sops]` section of flattened metadata, written sorted (sops
//! 3.11 writes it in random order; any order is read).

use super::flatten::{flatten, unflatten};
use super::value::{go_json, val_to_string};
use super::Store;
use crate::error::{Error, ErrorKind};
use crate::metadata::Metadata;
use crate::secret::SecretText;
use crate::tree::{MapItem, Mapping, Node, Scalar, Tree};
use std::collections::HashMap;

/// The name of the section that holds the keys before any header.
const DEFAULT_SECTION: &str = "DEFAULT";
/// The name of the metadata section.
const SOPS_SECTION: &str = "sops";

/// The INI store.
#[derive(Clone, Copy, Debug, Default)]
pub struct IniStore;

impl IniStore {
    /// An INI store (it has no settings).
    pub fn new() -> Self {
        IniStore
    }
}

/// One key of a section: ini.v1's `Key`, whose comment is written before it.
#[derive(Default)]
struct IniKey {
    name: String,
    value: String,
    comment: String,
}

/// One section: ini.v1's `Section`, keys unique by name.
#[derive(Default)]
struct Section {
    name: String,
    comment: String,
    keys: Vec<IniKey>,
    index: HashMap<String, usize>,
}

impl Section {
    fn new(name: &str) -> Section {
        let name = name.to_owned();
        Section {
            name,
            ..Section::default()
        }
    }

    /// ini.v1's `NewKey`: a repeated name keeps its place and takes the new value.
    fn new_key(&mut self, name: String, value: String) -> usize {
        if let Some(&i) = self.index.get(&name) {
            self.keys[i].value = value;
            return i;
        }
        self.index.insert(name.clone(), self.keys.len());
        let comment = String::new();
        self.keys.push(IniKey {
            name,
            value,
            comment,
        });
        self.keys.len() - 1
    }
}

fn parse_error(message: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!("Could not unmarshal input data: {message}"),
    )
    .with_hint("the input is not an INI file as gopkg.in/ini.v1 (used by sops) reads it")
}

/// ini.v1's parser state: the unread input and the comment lines gathered so far.
struct Parser<'a> {
    rest: &'a str,
    eof: bool,
    comment: String,
}

impl<'a> Parser<'a> {
    /// The next line with its `\n`; at the end, the remainder (and `eof` is set).
    fn read_line(&mut self) -> &'a str {
        let (line, rest) = match self.rest.find('\n') {
            Some(i) => self.rest.split_at(i + 1),
            None => (std::mem::take(&mut self.rest), ""),
        };
        self.eof |= rest.is_empty() && !line.ends_with('\n');
        self.rest = rest;
        line
    }

    fn parse(mut self) -> Result<Vec<Section>, Error> {
        let mut sections = vec![Section::new(DEFAULT_SECTION)];
        let mut counter = 1;
        while !self.eof {
            let line = self.read_line().trim_start();
            if line.is_empty() {
                continue;
            }
            if line.starts_with(['#', ';']) {
                self.comment.push_str(line);
                continue;
            }
            if line.starts_with('[') {
                let Some(close) = line.rfind(']') else {
                    return Err(parse_error(format_args!(
                        "unclosed section: {}",
                        line.trim_end()
                    )));
                };
                let name = &line[1..close];
                if name.is_empty() {
                    return Err(parse_error("empty section name"));
                }
                let tail = &line[close + 1..];
                if let Some(i) = tail.find(['#', ';']) {
                    self.comment.push_str(&tail[i..]);
                }
                let mut section = Section::new(name);
                section.comment = self.comment.trim().to_owned();
                self.comment.clear();
                sections.push(section);
                counter = 1;
                continue;
            }
            let (mut name, offset) = read_key_name(line)?;
            if name == "-" {
                name = format!("#{counter}");
                counter += 1;
            }
            let value = self.read_value(&line[offset..])?;
            if name.is_empty() {
                return Err(parse_error("error creating new key: empty key name"));
            }
            let comment = self.comment.trim().to_owned();
            self.comment.clear();
            if let Some(section) = sections.last_mut() {
                let index = section.new_key(name, value);
                section.keys[index].comment = comment;
            }
        }
        Ok(sections)
    }

    /// ini.v1's `readValue` with sops's options (inline comments and continuations on).
    fn read_value(&mut self, input: &'a str) -> Result<String, Error> {
        let line = input.trim_start();
        if line.is_empty() {
            return Ok(String::new());
        }
        let quote = if line.len() > 3 && line.starts_with("\"\"\"") {
            "\"\"\""
        } else if line.starts_with('`') {
            "`"
        } else {
            ""
        };
        if !quote.is_empty() {
            let body = &line[quote.len()..];
            return match body.rfind(quote) {
                Some(end) => Ok(body[..end].to_owned()),
                None => self.read_multiline(line, body.to_owned(), quote),
            };
        }
        let line = line.trim();
        if let Some(head) = line.strip_suffix('\\') {
            return Ok(self.read_continuation(head.to_owned()));
        }
        let mut value = line;
        if let Some(i) = value.find(['#', ';']) {
            self.comment.push_str(&value[i..]);
            value = value[..i].trim();
        }
        if surrounded(value, b'\'') || surrounded(value, b'"') {
            value = &value[1..value.len() - 1];
        }
        Ok(value.to_owned())
    }

    /// A quoted value that continues on the following lines up to the last `quote` of a line.
    fn read_multiline(
        &mut self,
        first: &str,
        mut value: String,
        quote: &str,
    ) -> Result<String, Error> {
        loop {
            let next = self.read_line();
            if let Some(end) = next.rfind(quote) {
                value.push_str(&next[..end]);
                if let Some(i) = next[end..].find(['#', ';']) {
                    self.comment.push_str(next[end + i..].trim());
                }
                return Ok(value);
            }
            value.push_str(next);
            if self.eof {
                let shown = format!("missing closing key quote from {first:?} to {next:?}");
                return Err(parse_error(shown));
            }
        }
    }

    /// Lines after a value ending in `\` are appended, trimmed, while they end in `\` too.
    fn read_continuation(&mut self, mut value: String) -> String {
        loop {
            let next = self.read_line().trim();
            if next.is_empty() {
                return value;
            }
            value.push_str(next);
            match value.strip_suffix('\\') {
                Some(head) => value.truncate(head.len()),
                None => return value,
            }
        }
    }
}

/// ini.v1's `hasSurroundedQuote`: `quote` first, last and nowhere else.
fn surrounded(value: &str, quote: u8) -> bool {
    let b = value.as_bytes();
    b.len() >= 2
        && b[0] == quote
        && b[b.len() - 1] == quote
        && b[1..].iter().position(|&c| c == quote) == Some(b.len() - 2)
}

/// ini.v1's `readKeyName`: the trimmed key (quotes `"`, `"""` or `` ` `` removed) and the
/// offset just after the `=` or `:` delimiter.
fn read_key_name(line: &str) -> Result<(String, usize), Error> {
    let quote = if line.len() > 6 && line.starts_with("\"\"\"") {
        "\"\"\""
    } else if line.starts_with('"') {
        "\""
    } else if line.starts_with('`') {
        "`"
    } else {
        ""
    };
    let shown = line.trim_end();
    let not_found = || parse_error(format_args!("key-value delimiter not found: {shown}"));
    if quote.is_empty() {
        return match line.find(['=', ':']) {
            None => Err(not_found()),
            Some(0) => Err(parse_error(format_args!("empty key name: {shown}"))),
            Some(end) => Ok((line[..end].trim().to_owned(), end + 1)),
        };
    }
    let start = quote.len();
    let Some(close) = line[start..].find(quote).map(|p| p + start) else {
        return Err(parse_error(format_args!(
            "missing closing key quote: {shown}"
        )));
    };
    let after = close + start;
    let delimiter = line[after..].find(['=', ':']).ok_or_else(not_found)?;
    Ok((line[start..close].trim().to_owned(), after + delimiter + 1))
}

/// sops's `stripCommentChar`: leading `;`/`#` characters and spaces go.
fn strip_comment_char(comment: &str) -> &str {
    if comment.starts_with(';') {
        comment.trim_start_matches([';', ' '])
    } else if comment.starts_with('#') {
        comment.trim_start_matches(['#', ' '])
    } else {
        comment
    }
}

fn comment_item(text: &str) -> MapItem {
    MapItem::Comment(SecretText::new(strip_comment_char(text)))
}

/// sops's tree of a parsed file: one key per section, in file order.
fn tree_of(sections: Vec<Section>) -> Mapping {
    let mut branch = Mapping::default();
    for section in sections {
        let mut items = Mapping::default();
        if !section.comment.is_empty() {
            items.items.push(comment_item(&section.comment));
        }
        for key in section.keys {
            let value = Node::Scalar(Scalar::Str(SecretText::new(key.value)));
            items.push(key.name, value);
            if !key.comment.is_empty() {
                items.items.push(comment_item(&key.comment));
            }
        }
        branch.push(section.name, Node::Mapping(items));
    }
    branch
}

fn emit_error(message: &str) -> Error {
    let message = format!("Error marshaling to ini: {message}");
    Error::new(ErrorKind::EmitFailed, message)
        .with_hint("INI holds sections of key = value pairs: each top-level value is a mapping")
}

/// sops's `encodeTree`: the sections of every branch. A leading comment of a section becomes
/// its comment; a comment after a key becomes that key's (the last one wins); other comments
/// are dropped.
fn sections_of<'a>(branches: impl IntoIterator<Item = &'a Mapping>) -> Result<Vec<Section>, Error> {
    let mut sections = Vec::new();
    for (name, value) in branches.into_iter().flat_map(Mapping::pairs) {
        if name.is_empty() {
            return Err(emit_error("Error encoding section : empty section name"));
        }
        let Node::Mapping(items) = value else {
            let message = "Error encoding section: Section values should always be TreeBranches";
            return Err(emit_error(message));
        };
        let mut section = Section::new(name);
        let mut rest = items.items.as_slice();
        if let Some((MapItem::Comment(c), tail)) = rest.split_first() {
            section.comment = c.as_str().to_owned();
            rest = tail;
        }
        let mut last: Option<usize> = None;
        for item in rest {
            match item {
                MapItem::Comment(c) => {
                    if let Some(i) = last {
                        section.keys[i].comment = c.as_str().to_owned();
                    }
                }
                MapItem::Pair(key, _) if key.is_empty() => {
                    let message = "Error encoding key: error creating new key: empty key name";
                    return Err(emit_error(message));
                }
                MapItem::Pair(key, value) => {
                    last = Some(section.new_key(key.clone(), val_to_string(value)?));
                }
            }
        }
        sections.push(section);
    }
    Ok(sections)
}

/// ini.v1's comment lines: `; text`, or `#`/`;` plus one space if the line has one already.
fn write_comment(out: &mut String, comment: &str, trim_plain: bool) {
    for line in comment.split('\n') {
        match line.as_bytes().first() {
            Some(b'#' | b';') => {
                out.push_str(&line[..1]);
                out.push(' ');
                out.push_str(line[1..].trim());
            }
            _ => {
                out.push_str("; ");
                out.push_str(if trim_plain { line.trim() } else { line });
            }
        }
        out.push('\n');
    }
}

/// A key name as ini.v1 writes it, quoted when it holds a delimiter, `"` or `` ` ``.
fn written_key(name: &str) -> String {
    if name.contains(['"', '=', ':']) {
        format!("`{name}`")
    } else if name.contains('`') {
        format!("\"\"\"{name}\"\"\"")
    } else {
        name.to_owned()
    }
}

/// ini.v1's `WriteTo` with its default pretty format.
fn write(sections: &[Section]) -> Vec<u8> {
    let mut out = String::new();
    for (i, section) in sections.iter().enumerate() {
        if !section.comment.is_empty() {
            write_comment(&mut out, &section.comment, false);
        }
        if i > 0 || !section.name.eq_ignore_ascii_case(DEFAULT_SECTION) {
            out.push('[');
            out.push_str(&section.name);
            out.push_str("]\n");
        } else if section.keys.is_empty() {
            continue;
        }
        let names: Vec<String> = section.keys.iter().map(|k| written_key(&k.name)).collect();
        let align = names.iter().map(String::len).max().unwrap_or(0);
        for (key, name) in section.keys.iter().zip(&names) {
            if !key.comment.is_empty() {
                write_comment(&mut out, &key.comment, true);
            }
            out.push_str(name);
            out.extend(std::iter::repeat_n(' ', align - name.len()));
            out.push_str(" = ");
            let value = key.value.as_str();
            let quote = if value.contains(['\n', '`']) {
                "\"\"\""
            } else if value.contains(['#', ';']) {
                "`"
            } else if value.trim().len() != value.len() {
                "\""
            } else {
                ""
            };
            out.extend([quote, value, quote, "\n"]);
        }
        if i + 1 < sections.len() {
            out.push('\n');
        }
    }
    out.into_bytes()
}

fn parse(input: &[u8]) -> Result<Vec<Section>, Error> {
    // ini.v1 skips a UTF-8 byte order mark, and drops the two bytes of a UTF-16 one.
    let input = match input {
        [0xEF, 0xBB, 0xBF, rest @ ..] | [0xFE, 0xFF, rest @ ..] | [0xFF, 0xFE, rest @ ..] => rest,
        other => other,
    };
    let rest = std::str::from_utf8(input)
        .map_err(|e| parse_error(format_args!("the INI input is not valid UTF-8: {e}")))?;
    let comment = String::new();
    Parser {
        rest,
        eof: false,
        comment,
    }
    .parse()
}

impl Store for IniStore {
    /// Reads the file into one branch of sections; fails with exit code 2 where ini.v1 fails.
    fn load_plain(&self, input: &[u8]) -> Result<Tree, Error> {
        let branches = vec![tree_of(parse(input)?)];
        Ok(Tree { branches })
    }

    /// Reads the first `[sops]` section as the metadata and drops every `[sops]` section.
    fn load_encrypted(&self, input: &[u8]) -> Result<(Tree, Mapping), Error> {
        let mut sections = parse(input)?;
        let Some(found) = sections.iter().position(|s| s.name == SOPS_SECTION) else {
            return Err(Error::new(ErrorKind::Generic, "sops metadata not found").with_hint(
                "an encrypted INI file ends with a [sops] section; is the file encrypted with sops?",
            ));
        };
        let flat = sections.remove(found).keys.into_iter();
        let metadata = unflatten(flat.map(|k| (k.name, k.value)).collect())?;
        sections.retain(|s| s.name != SOPS_SECTION);
        let branches = vec![tree_of(sections)];
        Ok((Tree { branches }, metadata))
    }

    /// Writes the sections of every branch, as sops does.
    fn emit_plain(&self, tree: &Tree) -> Result<Vec<u8>, Error> {
        Ok(write(&sections_of(&tree.branches)?))
    }

    /// Writes the sections and then the `[sops]` section, its keys sorted.
    fn emit_encrypted(&self, tree: &Tree, metadata: &Metadata) -> Result<Vec<u8>, Error> {
        let mut sections = sections_of(&tree.branches)?;
        let mut sops = Section::new(SOPS_SECTION);
        for (key, value) in flatten(metadata) {
            sops.new_key(key, value);
        }
        sections.push(sops);
        Ok(write(&sections))
    }

    /// A mapping is written as a whole file (as sops's `--extract` does, so its values must be
    /// sections); any other value as Go's `json.Marshal` writes sops's value, compact.
    fn emit_value(&self, value: &Node) -> Result<Vec<u8>, Error> {
        match value {
            Node::Mapping(m) => Ok(write(&sections_of([m])?)),
            other => {
                let mut out = String::new();
                go_json(other, &mut out, 0)?;
                Ok(out.into_bytes())
            }
        }
    }
}
