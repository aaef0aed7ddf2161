//! The flattened `sops` metadata of the dotenv and INI stores.
//!
//! dotenv and INI hold only flat string pairs, so sops 3.11 JSON-encodes the metadata and flattens
//! it: nested map keys are appended as `__map_<key>`, list indices as `__list_<n>`, nulls and empty
//! containers vanish, `mac_only_encrypted` becomes `true`/`false`, `shamir_threshold` an integer
//! string, and every newline the two characters `\n`. [`flatten`] writes the pairs sorted by key;
//! [`unflatten`] reads them in any order and rebuilds the mapping that [`Metadata::from_mapping`]
//! reads, with each key entry's fields in sops's struct order.

use super::value::val_to_string;
use crate::error::{Error, ErrorKind};
use crate::metadata::{EmptyListStyle, Metadata};
use crate::tree::{MapItem, Mapping, Node, Scalar, SeqItem, Sequence};
use std::collections::HashMap;

const MAP_SEPARATOR: &str = "__map_";
const LIST_SEPARATOR: &str = "__list_";
/// The largest list index accepted on load; sops would allocate whatever a file asks for.
const MAX_LIST_INDEX: usize = 4096;
/// The most list entries (holes included) all the lists of a file's metadata may have together:
/// without it, a few kilobytes of `…__list_4096__list_4096…` keys, each naming new lists, would
/// allocate gigabytes.
const MAX_LIST_SLOTS: usize = 1 << 16;
/// The most tokens a flattened key may have (sops's own keys have at most six).
const MAX_DEPTH: usize = 64;

/// The fields of each key type in the order of sops 3.11's serialization structs.
const ENTRY_FIELDS: [(&str, &str); 7] = [
    ("pgp", "created_at enc fp"),
    ("kms", "arn role context created_at enc aws_profile"),
    ("gcp_kms", "resource_id created_at enc"),
    ("hckms", "key_id created_at enc"),
    ("azure_kv", "vault_url name version created_at enc"),
    (
        "hc_vault",
        "vault_address engine_path key_name created_at enc",
    ),
    ("age", "recipient enc"),
];

/// The metadata as flat `(key, value)` pairs, sorted by key, newlines written as `\n`.
pub(super) fn flatten(metadata: &Metadata) -> Vec<(String, String)> {
    let root = metadata.to_mapping(EmptyListStyle::Null);
    let mut out = Vec::new();
    // The output is sorted, so the order of the walk does not matter.
    let mut stack: Vec<(String, &Node)> = root.pairs().map(|(k, v)| (k.to_owned(), v)).collect();
    while let Some((path, node)) = stack.pop() {
        match node {
            Node::Mapping(map) => {
                for (key, value) in map.pairs() {
                    stack.push((format!("{path}{MAP_SEPARATOR}{key}"), value));
                }
            }
            Node::Sequence(seq) => {
                for (i, value) in seq.items.iter().filter_map(seq_value).enumerate() {
                    stack.push((format!("{path}{LIST_SEPARATOR}{i}"), value));
                }
            }
            Node::Scalar(Scalar::Null) => {}
            Node::Scalar(scalar) => {
                let text = flat_scalar(&path, scalar);
                out.push((path, text.replace('\n', "\\n")));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn seq_value(item: &SeqItem) -> Option<&Node> {
    match item {
        SeqItem::Value(v) => Some(v),
        SeqItem::Comment(_) => None,
    }
}

/// A metadata scalar as sops writes it after the JSON round trip (numbers became floats).
fn flat_scalar(path: &str, scalar: &Scalar) -> String {
    let converted = match (path, scalar) {
        ("shamir_threshold", Scalar::Int(i)) => return i.to_string(),
        ("shamir_threshold", Scalar::Float(f)) => return format!("{f:.0}"),
        (_, Scalar::Str(s)) => return s.as_str().to_owned(),
        (_, Scalar::Bytes(b)) => return String::from_utf8_lossy(b.secret_bytes()).into_owned(),
        (_, Scalar::Time(t)) => return t.rfc3339_nano.clone(),
        (_, Scalar::Int(i)) => val_to_string(&Node::Scalar(Scalar::Float(*i as f64))),
        (_, other) => val_to_string(&Node::Scalar(other.clone())),
    };
    // A scalar always converts.
    converted.unwrap_or_default()
}

/// A value under construction: Go's `map[string]interface{}` / `[]interface{}` of `Unflatten`;
/// `None` is a slot not (yet) filled, Go's `nil`.
enum Partial {
    Leaf(Node),
    Map(Slots),
    List(Vec<Option<Partial>>),
}

/// The slots of a map under construction, in order of creation, with an index by key.
#[derive(Default)]
struct Slots {
    items: Vec<(String, Option<Partial>)>,
    index: HashMap<String, usize>,
}

impl Slots {
    /// The slot of `key`, appended empty if missing.
    fn slot(&mut self, key: &str) -> &mut Option<Partial> {
        let next = self.items.len();
        let i = *self.index.entry(key.to_owned()).or_insert(next);
        if i == next {
            self.items.push((key.to_owned(), None));
        }
        &mut self.items[i].1
    }
}

/// One step of a flattened key.
enum Token {
    Key(String),
    Index(usize),
}

/// Rebuilds the metadata mapping from flattened pairs (later duplicates win, as in a Go map).
pub(super) fn unflatten(pairs: Vec<(String, String)>) -> Result<Mapping, Error> {
    let mut pairs = pairs;
    // A stable sort keeps file order among equal keys, so the last one wins below.
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let mut root = Slots::default();
    let mut budget = MAX_LIST_SLOTS;
    let mut iter = pairs.into_iter().peekable();
    while let Some((key, raw)) = iter.next() {
        if iter.peek().is_some_and(|(next, _)| *next == key) {
            continue;
        }
        let value = decode_value(&key, raw.replace("\\n", "\n"))?;
        let tokens = tokenize(&key)?;
        insert(&mut root, &tokens, value, &mut budget)
            .map_err(|what| metadata_error(format!("the sops metadata key {key:?} {what}")))?;
    }
    let mut out = Mapping::default();
    for (key, value) in root.items {
        let node = finish(value, Some(&key));
        out.push(key, node);
    }
    Ok(out)
}

fn metadata_error(message: String) -> Error {
    Error::new(ErrorKind::Generic, message)
        .with_hint("the flattened sops metadata is damaged; restore it from version control")
}

/// sops's `DecodeNonStrings`: the two known non-string fields get their types back.
fn decode_value(key: &str, text: String) -> Result<Node, Error> {
    match key {
        "mac_only_encrypted" => Ok(Node::Scalar(Scalar::Bool(text == "true"))),
        "shamir_threshold" => {
            let as_float = || {
                text.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite() && f.fract() == 0.0 && f.abs() < 9.2e18)
                    .map(|f| f as i64)
            };
            match text.parse::<i64>().ok().or_else(as_float) {
                Some(n) => Ok(Node::Scalar(Scalar::Int(n))),
                None => Err(metadata_error(format!(
                    "shamir_threshold is not an integer: {text:?}"
                ))),
            }
        }
        _ => Ok(Node::string(text)),
    }
}

/// sops's `tokenize`: the first key, then one token per `__map_`/`__list_` separator.
fn tokenize(path: &str) -> Result<Vec<Token>, Error> {
    let bad = |what: &str| metadata_error(format!("the sops metadata key {path:?} {what}"));
    // (start of the token's separator, separator length, is a list index)
    let mut cuts: Vec<(usize, usize, bool)> = vec![(0, 0, false)];
    let mut i = 0;
    while i < path.len() {
        let rest = &path.as_bytes()[i..];
        if rest.starts_with(MAP_SEPARATOR.as_bytes()) {
            cuts.push((i, MAP_SEPARATOR.len(), false));
            i += MAP_SEPARATOR.len();
        } else if rest.starts_with(LIST_SEPARATOR.as_bytes()) {
            cuts.push((i, LIST_SEPARATOR.len(), true));
            i += LIST_SEPARATOR.len();
        } else {
            i += 1;
        }
    }
    if cuts.len() > MAX_DEPTH {
        return Err(bad("is nested too deeply"));
    }
    let mut tokens = Vec::with_capacity(cuts.len());
    for (n, &(start, sep_len, is_list)) in cuts.iter().enumerate() {
        let end = cuts.get(n + 1).map_or(path.len(), |c| c.0);
        let text = path.get(start + sep_len..end).unwrap_or("");
        if !is_list {
            tokens.push(Token::Key(text.to_owned()));
            continue;
        }
        // Go ignores the `strconv.Atoi` error: an unreadable index is 0.
        match usize::try_from(text.parse::<i64>().unwrap_or(0)) {
            Ok(index) if index <= MAX_LIST_INDEX => tokens.push(Token::Index(index)),
            _ => return Err(bad(&format!("has an unusable list index {text:?}"))),
        }
    }
    Ok(tokens)
}

/// Places `value` at `tokens` (the first always a key), taking new list entries from `budget`.
/// A leaf replaces what was there; walking through a leaf, or through a map where a list is
/// expected, is an error (sops panics).
fn insert(
    root: &mut Slots,
    tokens: &[Token],
    value: Node,
    budget: &mut usize,
) -> Result<(), &'static str> {
    let Some((Token::Key(first), rest)) = tokens.split_first() else {
        return Err("does not start with a name");
    };
    let mut current = root.slot(first);
    for token in rest {
        let container = current.get_or_insert_with(|| match token {
            Token::Key(_) => Partial::Map(Slots::default()),
            Token::Index(_) => Partial::List(Vec::new()),
        });
        current = match (container, token) {
            (Partial::Map(map), Token::Key(key)) => map.slot(key),
            (Partial::List(list), Token::Index(n)) => {
                if list.len() <= *n {
                    *budget = budget
                        .checked_sub(n + 1 - list.len())
                        .ok_or("takes the lists of the metadata beyond 65536 entries")?;
                    list.resize_with(n + 1, || None);
                }
                match list.get_mut(*n) {
                    Some(slot) => slot,
                    None => return Err("has an unusable list index"),
                }
            }
            _ => return Err("conflicts with another key"),
        };
    }
    *current = Some(Partial::Leaf(value));
    Ok(())
}

/// Turns a built value into a node; `key` is the mapping key it sits under, if any. Holes in
/// lists become null, as Go's `nil`; key entries get their fields in sops's struct order.
fn finish(value: Option<Partial>, key: Option<&str>) -> Node {
    match value {
        None => Node::Scalar(Scalar::Null),
        Some(Partial::Leaf(node)) => node,
        Some(Partial::Map(slots)) => {
            let mut out = Mapping::default();
            for (k, v) in slots.items {
                let node = finish(v, Some(&k));
                out.push(k, node);
            }
            Node::Mapping(out)
        }
        Some(Partial::List(items)) => {
            let order = key.and_then(|k| ENTRY_FIELDS.iter().find(|(t, _)| *t == k));
            let mut seq = Sequence::default();
            for item in items {
                let mut node = finish(item, None);
                if let (Some((_, fields)), Node::Mapping(entry)) = (order, &mut node) {
                    entry.items.sort_by_key(|item| field_rank(fields, item));
                }
                seq.items.push(SeqItem::Value(node));
            }
            Node::Sequence(seq)
        }
    }
}

/// Known fields in struct order, then the others in their (sorted) order.
fn field_rank(fields: &str, item: &MapItem) -> usize {
    let name = match item {
        MapItem::Pair(k, _) => k.as_str(),
        MapItem::Comment(_) => "",
    };
    fields
        .split(' ')
        .position(|f| f == name)
        .unwrap_or(usize::MAX)
}
