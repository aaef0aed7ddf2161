//! The `sops` metadata block: key groups, MAC, timestamps, partial-encryption settings.
//!
//! Read from and written to a [`Mapping`] so every store shares one implementation; dotenv and INI
//! flatten that mapping. Fields are written in the order of sops 3.11's serialization struct,
//! or sorted at every level as sops 3.13 writes them when the file came in that way
//! ([`MetadataLayout`]); entries of key types sops-rs cannot use are kept as [`KeyEntry`] values
//! and written back unchanged.
//!
//! Reading is as lenient as sops across its versions: empty key lists may be `[]` or `null`
//! (sops < 3.10 wrote them), numbers may arrive as floats (JSON) or strings (dotenv, INI), and
//! `version` may be missing. Errors use exit code 1, as sops does for a malformed `sops` block.

use crate::error::{Error, ErrorKind};
use crate::go::parse_yaml_timestamp;
use crate::keys::KeyEntry;
use crate::tree::{MapItem, Mapping, Node, Scalar, SeqItem, Sequence};
use layout::sort_everywhere;

mod layout;

pub use layout::MetadataLayout;

/// Which values of a file are encrypted: at most one of sops's six options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartialRule {
    /// `unencrypted_suffix`: keys ending with it (and all below) stay plaintext.
    UnencryptedSuffix(String),
    /// `encrypted_suffix`: only keys ending with it (and all below) are encrypted.
    EncryptedSuffix(String),
    /// `unencrypted_regex`: keys matching it (and all below) stay plaintext.
    UnencryptedRegex(String),
    /// `encrypted_regex`: only keys matching it (and all below) are encrypted.
    EncryptedRegex(String),
    /// `unencrypted_comment_regex`: values after a matching comment stay plaintext.
    UnencryptedCommentRegex(String),
    /// `encrypted_comment_regex`: only values after a matching comment are encrypted.
    EncryptedCommentRegex(String),
}

/// The six partial-encryption fields in sops's output order.
const PARTIAL_FIELDS: [&str; 6] = [
    "unencrypted_suffix",
    "encrypted_suffix",
    "unencrypted_regex",
    "encrypted_regex",
    "unencrypted_comment_regex",
    "encrypted_comment_regex",
];

impl PartialRule {
    /// Builds the rule stored under metadata field `field` (e.g. `encrypted_regex`).
    pub fn from_field(field: &str, value: impl Into<String>) -> Option<PartialRule> {
        let value = value.into();
        Some(match field {
            "unencrypted_suffix" => PartialRule::UnencryptedSuffix(value),
            "encrypted_suffix" => PartialRule::EncryptedSuffix(value),
            "unencrypted_regex" => PartialRule::UnencryptedRegex(value),
            "encrypted_regex" => PartialRule::EncryptedRegex(value),
            "unencrypted_comment_regex" => PartialRule::UnencryptedCommentRegex(value),
            "encrypted_comment_regex" => PartialRule::EncryptedCommentRegex(value),
            _ => return None,
        })
    }

    /// The metadata field this rule is stored under, e.g. `encrypted_regex`.
    pub fn field_name(&self) -> &'static str {
        let index = match self {
            PartialRule::UnencryptedSuffix(_) => 0,
            PartialRule::EncryptedSuffix(_) => 1,
            PartialRule::UnencryptedRegex(_) => 2,
            PartialRule::EncryptedRegex(_) => 3,
            PartialRule::UnencryptedCommentRegex(_) => 4,
            PartialRule::EncryptedCommentRegex(_) => 5,
        };
        PARTIAL_FIELDS[index]
    }

    /// The suffix or regular expression.
    pub fn value(&self) -> &str {
        match self {
            PartialRule::UnencryptedSuffix(s)
            | PartialRule::EncryptedSuffix(s)
            | PartialRule::UnencryptedRegex(s)
            | PartialRule::EncryptedRegex(s)
            | PartialRule::UnencryptedCommentRegex(s)
            | PartialRule::EncryptedCommentRegex(s) => s,
        }
    }
}

/// How empty key lists inside `key_groups` are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmptyListStyle {
    /// As an empty sequence (`hc_vault: []` in YAML).
    EmptySequence,
    /// As null (`"hc_vault": null` in JSON).
    Null,
}

/// The parsed `sops` metadata.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Metadata {
    /// The key groups; one group unless Shamir secret sharing is used.
    pub key_groups: Vec<Vec<KeyEntry>>,
    /// `shamir_threshold`, 0 when absent.
    pub shamir_threshold: u64,
    /// `lastmodified` as stored.
    pub last_modified: String,
    /// `mac` as stored: an `ENC[…]` string, or empty for "no MAC".
    pub mac: String,
    /// The partial-encryption option, if any.
    pub partial: Option<PartialRule>,
    /// `mac_only_encrypted`.
    pub mac_only_encrypted: bool,
    /// `version`, if present.
    pub version: Option<String>,
    /// How [`Metadata::to_mapping`] lays the mapping out: as read by
    /// [`Metadata::from_mapping`], [`MetadataLayout::Struct`] for a new file.
    pub layout: MetadataLayout,
}

/// Key types in the order sops 3.11 loads them into a group (`internalGroupFrom`).
pub const KEY_TYPES_LOAD_ORDER: [&str; 7] = [
    "kms", "gcp_kms", "hckms", "azure_kv", "hc_vault", "pgp", "age",
];

/// Key types in the order sops 3.11 writes them inside a `key_groups` entry.
const GROUP_WRITE_ORDER: [&str; 7] = [
    "pgp", "kms", "gcp_kms", "hckms", "azure_kv", "hc_vault", "age",
];

/// Key types written before `lastmodified` in the single-group form (`pgp` comes after `mac`).
const TOP_WRITE_ORDER: [&str; 6] = ["kms", "gcp_kms", "hckms", "azure_kv", "hc_vault", "age"];

fn meta_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Generic, message.into())
}

/// "`what` must be `expected`, found <kind>".
fn wrong_type(what: &str, expected: &str, found: &Node) -> Error {
    meta_error(format!(
        "{what} must be {expected}, found {}",
        found.kind_name()
    ))
}

fn time_hint() -> &'static str {
    "sops writes RFC 3339 times such as 2026-11-24T18:34:30Z; restore the value from version \
     control (changing lastmodified also breaks the MAC)"
}

/// Checks that `text` is a time sops can read; `what` names the field for the message.
fn check_time(text: &str, what: &str) -> Result<(), Error> {
    match parse_yaml_timestamp(text) {
        Some(_) => Ok(()),
        None => Err(
            meta_error(format!("{what} is not an RFC 3339 time: {text:?}")).with_hint(time_hint()),
        ),
    }
}

/// A string field: a string, or null/absent for "".
fn string_field(node: Option<&Node>, name: &str) -> Result<String, Error> {
    match node {
        None | Some(Node::Scalar(Scalar::Null)) => Ok(String::new()),
        Some(Node::Scalar(Scalar::Str(s))) => Ok(s.as_str().to_owned()),
        Some(Node::Scalar(Scalar::Time(t))) => Ok(t.rfc3339_nano.clone()),
        Some(other) => Err(wrong_type(
            &format!("the sops metadata field `{name}`"),
            "a string",
            other,
        )),
    }
}

fn threshold_field(node: Option<&Node>) -> Result<u64, Error> {
    let invalid = |shown: String| {
        meta_error(format!("the sops metadata field `shamir_threshold` must be a non-negative integer, found {shown}"))
    };
    match node {
        None | Some(Node::Scalar(Scalar::Null)) => Ok(0),
        Some(Node::Scalar(Scalar::Int(i))) => u64::try_from(*i).map_err(|_| invalid(i.to_string())),
        Some(Node::Scalar(Scalar::Float(f))) => {
            float_to_u64(*f).ok_or_else(|| invalid(f.to_string()))
        }
        Some(Node::Scalar(Scalar::Str(s))) => {
            let text = s.as_str().trim();
            text.parse::<u64>()
                .ok()
                .or_else(|| text.parse::<f64>().ok().and_then(float_to_u64))
                .ok_or_else(|| invalid(format!("{text:?}")))
        }
        Some(other) => Err(invalid(other.kind_name().to_owned())),
    }
}

fn float_to_u64(f: f64) -> Option<u64> {
    // 2^64 as f64; `as` saturates, so the range check keeps the conversion exact.
    (f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f < 18_446_744_073_709_551_616.0)
        .then_some(f as u64)
}

fn bool_field(node: Option<&Node>) -> Result<bool, Error> {
    match node {
        None | Some(Node::Scalar(Scalar::Null)) => Ok(false),
        Some(Node::Scalar(Scalar::Bool(b))) => Ok(*b),
        // dotenv and INI store it as text; sops takes only the exact string `true`.
        Some(Node::Scalar(Scalar::Str(s))) => Ok(s.as_str() == "true"),
        Some(other) => Err(wrong_type(
            "the sops metadata field `mac_only_encrypted`",
            "a boolean",
            other,
        )),
    }
}

fn version_field(node: Option<&Node>) -> Result<Option<String>, Error> {
    match node {
        None | Some(Node::Scalar(Scalar::Null)) => Ok(None),
        Some(Node::Scalar(Scalar::Str(s))) => Ok(Some(s.as_str().to_owned())),
        Some(Node::Scalar(Scalar::Int(_) | Scalar::Float(_))) => Err(meta_error(
            "the sops metadata field `version` is a number: the file was written by sops 1.x, \
             which sops 2.0.10 and later cannot decrypt",
        )
        .with_hint(
            "edit the file so that `sops -> version` is a string (e.g. \"1.0\"), or rotate its key \
             with a sops release between 2.0 and 2.0.10 (`sops -r FILE`)",
        )),
        Some(other) => Err(wrong_type("the sops metadata field `version`", "a string", other)),
    }
}

/// Reads one key list (`age: [...]`); null and absent mean empty.
fn key_list(node: Option<&Node>, key_type: &str, out: &mut Vec<KeyEntry>) -> Result<(), Error> {
    let seq = match node {
        None | Some(Node::Scalar(Scalar::Null)) => return Ok(()),
        Some(Node::Sequence(seq)) => seq,
        Some(other) => {
            return Err(wrong_type(
                &format!("the sops metadata key list `{key_type}`"),
                "a list",
                other,
            ))
        }
    };
    for (index, item) in seq.items.iter().enumerate() {
        let SeqItem::Value(value) = item else {
            continue;
        };
        let Node::Mapping(map) = value else {
            let what = format!("entry {index} of the sops metadata key list `{key_type}`");
            return Err(wrong_type(&what, "a mapping", value));
        };
        let entry = KeyEntry {
            key_type: key_type.to_owned(),
            fields: map
                .pairs()
                .map(|(k, v)| (k.to_owned(), v.clone()))
                .collect(),
        };
        // Every known type but age records when the key was added; sops refuses a bad or
        // missing one. Unknown types are carried untouched.
        if key_type != "age" && KEY_TYPES_LOAD_ORDER.contains(&key_type) {
            let created = string_field(map.get("created_at"), "created_at")?;
            check_time(&created, &format!("created_at of {}", entry.describe()))?;
        }
        out.push(entry);
    }
    Ok(())
}

/// Builds one group from a mapping of key lists, in sops's load order; lists of other names
/// (only inside `key_groups`) follow in file order.
fn group_from(lists: &[(&str, &Node)], carry_unknown: bool) -> Result<Vec<KeyEntry>, Error> {
    let mut group = Vec::new();
    for key_type in KEY_TYPES_LOAD_ORDER {
        // The last occurrence wins, as with Go's struct decoding.
        let node = lists
            .iter()
            .rev()
            .find(|(k, _)| *k == key_type)
            .map(|(_, v)| *v);
        key_list(node, key_type, &mut group)?;
    }
    if carry_unknown {
        for (name, node) in lists {
            if !KEY_TYPES_LOAD_ORDER.contains(name) && matches!(node, Node::Sequence(_)) {
                key_list(Some(node), name, &mut group)?;
            }
        }
    }
    Ok(group)
}

/// Reads `key_groups`, used when no top-level key list has an entry.
fn key_groups_field(node: Option<&Node>) -> Result<Vec<Vec<KeyEntry>>, Error> {
    let seq = match node {
        Some(Node::Sequence(seq)) if !seq.items.is_empty() => seq,
        None | Some(Node::Scalar(Scalar::Null)) | Some(Node::Sequence(_)) => {
            return Err(meta_error("No keys found in file").with_hint(
                "the sops metadata lists no master keys; the data key cannot be recovered",
            ))
        }
        Some(other) => {
            return Err(wrong_type(
                "the sops metadata field `key_groups`",
                "a list",
                other,
            ))
        }
    };
    let mut groups = Vec::new();
    for (index, item) in seq.items.iter().enumerate() {
        let SeqItem::Value(value) = item else {
            continue;
        };
        let lists: Vec<(&str, &Node)> = match value {
            Node::Mapping(m) => m.pairs().collect(),
            Node::Scalar(Scalar::Null) => Vec::new(),
            other => {
                return Err(wrong_type(
                    &format!("key group {index} of the sops metadata"),
                    "a mapping",
                    other,
                ))
            }
        };
        groups.push(group_from(&lists, true)?);
    }
    Ok(groups)
}

/// True unless the list is absent, null or empty (anything else is read, or rejected, as a list).
fn has_entries(node: Option<&Node>) -> bool {
    match node {
        None | Some(Node::Scalar(Scalar::Null)) => false,
        Some(Node::Sequence(s)) => s.items.iter().any(|i| matches!(i, SeqItem::Value(_))),
        Some(_) => true,
    }
}

impl Metadata {
    /// Parses the `sops` mapping of a file.
    ///
    /// Top-level key lists form the single group when any of them has an entry; otherwise
    /// `key_groups` is read. Entries keep their fields in file order; keys with names this
    /// version does not know are ignored at the top level (as sops does) and carried along
    /// inside `key_groups`. Fails (exit 1) on a malformed `lastmodified` or `created_at`, a
    /// numeric `version`, more than one partial-encryption option, or no keys at all.
    pub fn from_mapping(node: &Mapping) -> Result<Metadata, Error> {
        let pairs: Vec<(&str, &Node)> = node.pairs().collect();
        let field = |name: &str| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| *v)
        };

        let last_modified = string_field(field("lastmodified"), "lastmodified")?;
        check_time(&last_modified, "the sops metadata field `lastmodified`")?;

        let any_top_level = KEY_TYPES_LOAD_ORDER.iter().any(|t| has_entries(field(t)));
        let key_groups = if any_top_level {
            vec![group_from(&pairs, false)?]
        } else {
            key_groups_field(field("key_groups"))?
        };

        let mut partial = None;
        let mut found = Vec::new();
        for name in PARTIAL_FIELDS {
            let value = string_field(field(name), name)?;
            if !value.is_empty() {
                found.push(name);
                partial = PartialRule::from_field(name, value);
            }
        }
        if found.len() > 1 {
            return Err(meta_error(format!(
                "Cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, \
                 unencrypted_regex, encrypted_comment_regex, or unencrypted_comment_regex in the same \
                 file; this file has {}",
                found.join(" and ")
            ))
            .with_hint("remove all but one of them from the sops metadata"));
        }

        Ok(Metadata {
            key_groups,
            shamir_threshold: threshold_field(field("shamir_threshold"))?,
            last_modified,
            mac: string_field(field("mac"), "mac")?,
            partial,
            mac_only_encrypted: bool_field(field("mac_only_encrypted"))?,
            version: version_field(field("version"))?,
            layout: MetadataLayout::detect(node),
        })
    }

    /// Builds the `sops` mapping in sops 3.11's field order.
    ///
    /// One group is written as top-level key lists, several as `key_groups` (where `hc_vault`
    /// and `age` are always present, empty ones as `empty_lists`). Entries of types sops does
    /// not know follow `age`. A single group holding such entries is written as `key_groups`
    /// too: [`Metadata::from_mapping`] reads unknown types only there, so top-level lists would
    /// lose them. `version` is always written, as "" when unknown.
    ///
    /// With [`MetadataLayout::Sorted`] the same keys are then sorted at every level and empty
    /// key lists are always empty sequences, as sops 3.13 writes them.
    pub fn to_mapping(&self, empty_lists: EmptyListStyle) -> Mapping {
        if self.layout == MetadataLayout::Sorted {
            let mut node = Node::Mapping(self.struct_mapping(EmptyListStyle::EmptySequence));
            sort_everywhere(&mut node);
            if let Node::Mapping(map) = node {
                return map;
            }
        }
        self.struct_mapping(empty_lists)
    }

    fn struct_mapping(&self, empty_lists: EmptyListStyle) -> Mapping {
        let mut out = Mapping::default();
        if self.shamir_threshold != 0 {
            let threshold = i64::try_from(self.shamir_threshold).unwrap_or(i64::MAX);
            out.push("shamir_threshold", Node::Scalar(Scalar::Int(threshold)));
        }
        let single: &[KeyEntry] = match self.key_groups.as_slice() {
            [] => &[],
            [group]
                if group
                    .iter()
                    .all(|e| KEY_TYPES_LOAD_ORDER.contains(&e.key_type.as_str())) =>
            {
                group
            }
            groups => {
                let mut seq = Sequence::default();
                for group in groups {
                    let mut map = Mapping::default();
                    for key_type in GROUP_WRITE_ORDER {
                        let list = entries_of(group, key_type);
                        if !list.items.is_empty() {
                            map.push(key_type, Node::Sequence(list));
                        } else if key_type == "hc_vault" || key_type == "age" {
                            map.push(key_type, empty_list(empty_lists));
                        }
                    }
                    push_unknown_types(&mut map, group);
                    seq.items.push(SeqItem::Value(Node::Mapping(map)));
                }
                out.push("key_groups", Node::Sequence(seq));
                &[]
            }
        };
        for key_type in TOP_WRITE_ORDER {
            push_nonempty(&mut out, single, key_type);
        }
        push_unknown_types(&mut out, single);
        out.push("lastmodified", Node::string(self.last_modified.as_str()));
        out.push("mac", Node::string(self.mac.as_str()));
        push_nonempty(&mut out, single, "pgp");
        if let Some(rule) = &self.partial {
            if !rule.value().is_empty() {
                out.push(rule.field_name(), Node::string(rule.value()));
            }
        }
        if self.mac_only_encrypted {
            out.push("mac_only_encrypted", Node::Scalar(Scalar::Bool(true)));
        }
        out.push(
            "version",
            Node::string(self.version.as_deref().unwrap_or("")),
        );
        out
    }

    /// The MAC's additional data: `lastmodified` re-formatted as Go's `time.RFC3339`.
    ///
    /// Fractional seconds are dropped and a zero offset prints as `Z`; a non-zero offset is
    /// kept (`2026-11-24T19:34:30+01:00` stays as it is).
    pub fn mac_aad(&self) -> Result<String, Error> {
        match parse_yaml_timestamp(&self.last_modified) {
            Some(time) => Ok(time.rfc3339()),
            None => Err(meta_error(format!(
                "the sops metadata field `lastmodified` is not an RFC 3339 time: {:?}",
                self.last_modified
            ))
            .with_hint(time_hint())),
        }
    }
}

fn empty_list(style: EmptyListStyle) -> Node {
    match style {
        EmptyListStyle::EmptySequence => Node::Sequence(Sequence::default()),
        EmptyListStyle::Null => Node::Scalar(Scalar::Null),
    }
}

fn entry_node(entry: &KeyEntry) -> Node {
    let items = entry
        .fields
        .iter()
        .map(|(k, v)| MapItem::Pair(k.clone(), v.clone()))
        .collect();
    Node::Mapping(Mapping { items })
}

fn entries_of(group: &[KeyEntry], key_type: &str) -> Sequence {
    let items = group
        .iter()
        .filter(|e| e.key_type == key_type)
        .map(|e| SeqItem::Value(entry_node(e)))
        .collect();
    Sequence { items }
}

fn push_nonempty(out: &mut Mapping, group: &[KeyEntry], key_type: &str) {
    let list = entries_of(group, key_type);
    if !list.items.is_empty() {
        out.push(key_type, Node::Sequence(list));
    }
}

/// Writes lists of key types sops does not know, in order of first appearance.
fn push_unknown_types(out: &mut Mapping, group: &[KeyEntry]) {
    let mut seen: Vec<&str> = Vec::new();
    for entry in group {
        let key_type = entry.key_type.as_str();
        if !KEY_TYPES_LOAD_ORDER.contains(&key_type) && !seen.contains(&key_type) {
            seen.push(key_type);
            push_nonempty(out, group, key_type);
        }
    }
}
