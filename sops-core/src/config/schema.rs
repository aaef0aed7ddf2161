//! The shape of `.sops.yaml` as sops 3.11 declares it, and go-yaml's type check against it.
//!
//! sops decodes the file into Go structs, so a field of the wrong type (`creation_rules: 5`,
//! `shamir_threshold: x`) fails the whole load, before any rule is looked at, and for every
//! command that reads the config. go-yaml reports every such field, in document order, as
//! ``line N: cannot unmarshal !!int `5` into []config.creationRule``; this module gives the
//! same list. Unknown keys are ignored; `null` is the zero value of any type. Key lists that
//! may be a string or a list (`age`, `kms`, …) are checked later, for the matching rule only.

use super::positions::{Positions, Step};
use crate::tree::{MapItem, Mapping, Node, Scalar, SeqItem};

/// A Go type a node is decoded into.
pub(super) enum Shape {
    /// `string`: any scalar, by its text.
    Str,
    /// `int`: an integer, or a float (truncated).
    Int,
    /// `bool`: a boolean, or one of YAML 1.1's yes/no words as a string.
    Bool,
    /// `interface{}`: anything.
    Any,
    /// `map[string]*string`.
    StrMap,
    /// A slice of the element shape, with its Go name.
    List(&'static Shape, &'static str),
    /// A struct with its fields and its Go name.
    Struct(&'static [(&'static str, Shape)], &'static str),
    /// A struct type declared elsewhere, held by value (`recreation_rule`).
    Named(&'static Shape),
}

const STRINGS: Shape = Shape::List(&Shape::Str, "[]string");

/// `config.configFile`, the whole document.
pub(super) static CONFIG_FILE: Shape = Shape::Struct(
    &[
        (
            "creation_rules",
            Shape::List(&CREATION_RULE, "[]config.creationRule"),
        ),
        (
            "destination_rules",
            Shape::List(&DESTINATION_RULE, "[]config.destinationRule"),
        ),
        ("stores", Shape::Struct(STORES, "config.StoresConfig")),
    ],
    "config.configFile",
);

const STORES: &[(&str, Shape)] = &[
    ("dotenv", Shape::Struct(&[], "config.DotenvStoreConfig")),
    ("ini", Shape::Struct(&[], "config.INIStoreConfig")),
    (
        "json_binary",
        Shape::Struct(&[("indent", Shape::Int)], "config.JSONBinaryStoreConfig"),
    ),
    (
        "json",
        Shape::Struct(&[("indent", Shape::Int)], "config.JSONStoreConfig"),
    ),
    (
        "yaml",
        Shape::Struct(&[("indent", Shape::Int)], "config.YAMLStoreConfig"),
    ),
];

static CREATION_RULE: Shape = Shape::Struct(
    &[
        ("path_regex", Shape::Str),
        ("kms", Shape::Any),
        ("aws_profile", Shape::Str),
        ("age", Shape::Any),
        ("pgp", Shape::Any),
        ("gcp_kms", Shape::Any),
        ("hckms", STRINGS),
        ("azure_keyvault", Shape::Any),
        ("hc_vault_transit_uri", Shape::Any),
        ("key_groups", Shape::List(&KEY_GROUP, "[]config.keyGroup")),
        ("shamir_threshold", Shape::Int),
        ("unencrypted_suffix", Shape::Str),
        ("encrypted_suffix", Shape::Str),
        ("unencrypted_regex", Shape::Str),
        ("encrypted_regex", Shape::Str),
        ("unencrypted_comment_regex", Shape::Str),
        ("encrypted_comment_regex", Shape::Str),
        ("mac_only_encrypted", Shape::Bool),
    ],
    "config.creationRule",
);

static KEY_GROUP: Shape = Shape::Struct(
    &[
        ("merge", Shape::List(&KEY_GROUP, "[]config.keyGroup")),
        (
            "kms",
            Shape::List(
                &Shape::Struct(
                    &[
                        ("arn", Shape::Str),
                        ("role", Shape::Str),
                        ("context", Shape::StrMap),
                        ("aws_profile", Shape::Str),
                    ],
                    "config.kmsKey",
                ),
                "[]config.kmsKey",
            ),
        ),
        (
            "gcp_kms",
            Shape::List(
                &Shape::Struct(&[("resource_id", Shape::Str)], "config.gcpKmsKey"),
                "[]config.gcpKmsKey",
            ),
        ),
        (
            "hckms",
            Shape::List(
                &Shape::Struct(&[("key_id", Shape::Str)], "config.hckmsKey"),
                "[]config.hckmsKey",
            ),
        ),
        (
            "azure_keyvault",
            Shape::List(
                &Shape::Struct(
                    &[
                        ("vaultUrl", Shape::Str),
                        ("key", Shape::Str),
                        ("version", Shape::Str),
                    ],
                    "config.azureKVKey",
                ),
                "[]config.azureKVKey",
            ),
        ),
        ("hc_vault", STRINGS),
        ("age", STRINGS),
        ("pgp", STRINGS),
    ],
    "config.keyGroup",
);

static DESTINATION_RULE: Shape = Shape::Struct(
    &[
        ("path_regex", Shape::Str),
        ("s3_bucket", Shape::Str),
        ("s3_prefix", Shape::Str),
        ("gcs_bucket", Shape::Str),
        ("gcs_prefix", Shape::Str),
        ("vault_path", Shape::Str),
        ("vault_address", Shape::Str),
        ("vault_kv_mount_name", Shape::Str),
        ("vault_kv_version", Shape::Int),
        ("recreation_rule", Shape::Named(&CREATION_RULE)),
        ("omit_extensions", Shape::Bool),
    ],
    "config.destinationRule",
);

/// The YAML 1.1 words go-yaml v3 still accepts for a `bool` field.
pub(super) fn yes_no(text: &str) -> Option<bool> {
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(true),
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

/// A scalar's text as go-yaml decodes it into a `string` field (`None` for collections; the
/// empty string for `null`).
pub(super) fn scalar_text(node: &Node) -> Option<String> {
    let Node::Scalar(scalar) = node else {
        return None;
    };
    Some(match scalar {
        Scalar::Null => String::new(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Int(i) => i.to_string(),
        Scalar::Float(f) => f.to_string(),
        Scalar::Time(t) => t.rfc3339_nano.clone(),
        Scalar::Str(s) => s.as_str().to_owned(),
        Scalar::Bytes(b) => String::from_utf8_lossy(b.secret_bytes()).into_owned(),
    })
}

/// A node that does not fit its shape: where it is and what it is decoded into.
struct Mismatch {
    path: Vec<Step>,
    tag: &'static str,
    text: Option<String>,
    into: &'static str,
}

/// go-yaml's type errors for `root` (the document's top mapping), in document order; `source`
/// is read again only when there are some, for their lines.
pub(super) fn type_errors(root: &Mapping, source: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut path = Vec::new();
    check_mapping(root, &CONFIG_FILE, &mut path, &mut found);
    if found.is_empty() {
        return Vec::new();
    }
    let positions = Positions::index(source);
    found
        .into_iter()
        .map(|m| {
            let at = positions.at(&m.path);
            let value = match at.text.or(m.text) {
                Some(text) if m.tag != "!!seq" && m.tag != "!!map" => {
                    format!(" `{}`", short(&text))
                }
                _ => String::new(),
            };
            format!(
                "line {}: cannot unmarshal {}{value} into {}",
                at.line, m.tag, m.into
            )
        })
        .collect()
}

/// go-yaml shows at most 10 bytes of a value: 7 and `...` when it is longer.
fn short(text: &str) -> String {
    if text.len() <= 10 {
        return text.to_owned();
    }
    let mut end = 7;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// The YAML tag go-yaml names for a node.
pub(super) fn tag(node: &Node) -> &'static str {
    match node {
        Node::Mapping(_) => "!!map",
        Node::Sequence(_) => "!!seq",
        Node::Scalar(Scalar::Null) => "!!null",
        Node::Scalar(Scalar::Bool(_)) => "!!bool",
        Node::Scalar(Scalar::Int(_)) => "!!int",
        Node::Scalar(Scalar::Float(_)) => "!!float",
        Node::Scalar(Scalar::Time(_)) => "!!timestamp",
        Node::Scalar(Scalar::Str(_)) => "!!str",
        Node::Scalar(Scalar::Bytes(_)) => "!!binary",
    }
}

fn check_mapping(
    mapping: &Mapping,
    shape: &'static Shape,
    path: &mut Vec<Step>,
    found: &mut Vec<Mismatch>,
) {
    let Shape::Struct(fields, _) = shape else {
        return;
    };
    for item in &mapping.items {
        let MapItem::Pair(key, value) = item else {
            continue;
        };
        if let Some((_, field)) = fields.iter().find(|(name, _)| name == key) {
            path.push(Step::Key(key.clone()));
            check(value, field, path, found);
            path.pop();
        }
    }
}

fn check(node: &Node, shape: &'static Shape, path: &mut Vec<Step>, found: &mut Vec<Mismatch>) {
    if matches!(node, Node::Scalar(Scalar::Null)) {
        return;
    }
    let fits = match (shape, node) {
        (Shape::Any, _) => true,
        (Shape::Str, Node::Scalar(_)) => true,
        (Shape::Int, Node::Scalar(Scalar::Int(_))) => true,
        (Shape::Int, Node::Scalar(Scalar::Float(f))) => f.is_finite() && f.abs() < 9.2e18,
        (Shape::Bool, Node::Scalar(Scalar::Bool(_))) => true,
        (Shape::Bool, Node::Scalar(Scalar::Str(s))) => yes_no(s.as_str()).is_some(),
        (Shape::StrMap, Node::Mapping(m)) => {
            for item in &m.items {
                if let MapItem::Pair(key, value) = item {
                    path.push(Step::Key(key.clone()));
                    check(value, &Shape::Str, path, found);
                    path.pop();
                }
            }
            true
        }
        (Shape::Named(named), _) => {
            check(node, named, path, found);
            true
        }
        (Shape::List(element, _), Node::Sequence(seq)) => {
            let values = seq.items.iter().filter_map(|i| match i {
                SeqItem::Value(v) => Some(v),
                SeqItem::Comment(_) => None,
            });
            for (index, value) in values.enumerate() {
                path.push(Step::Index(index));
                check(value, element, path, found);
                path.pop();
            }
            true
        }
        (Shape::Struct(..), Node::Mapping(m)) => {
            check_mapping(m, shape, path, found);
            true
        }
        _ => false,
    };
    if !fits {
        found.push(Mismatch {
            path: path.clone(),
            tag: tag(node),
            text: scalar_text(node),
            into: go_name(shape),
        });
    }
}

fn go_name(shape: &Shape) -> &'static str {
    match shape {
        Shape::Str => "string",
        Shape::Int => "int",
        Shape::Bool => "bool",
        Shape::Any => "interface {}",
        Shape::StrMap => "map[string]*string",
        Shape::List(_, name) | Shape::Struct(_, name) => name,
        Shape::Named(named) => go_name(named),
    }
}
