//! `sops-rs set` and `unset` (and the legacy `--set`): change one value of an encrypted file in
//! place. The rest of the file keeps its ciphertext (same data key, IV stash).

use crate::cli::{OpenArgs, SetArgs, UnsetArgs};
use crate::cmd::extract::{parse_path, Step};
use crate::common::{emit_encrypted, format_for, open_path, store_options};
use crate::error::{codes, CliError};
use crate::keys::{load_config, KeySources};
use crate::write::Role;
use sops_core::internal::encrypt_tree_reusing;
use sops_core::tree::{MapItem, Mapping, Node, Scalar, SeqItem, Sequence};
use sops_core::SecretText;
use std::io::Read;
use std::path::Path;

const INVALID_SET_FORMAT: i32 = 7;

/// Splits the legacy `--set '["a"][0] VALUE'` argument at the first `"] "`.
pub(crate) fn split_legacy_set(spec: &str) -> Result<(String, String), CliError> {
    match spec.find("] ") {
        Some(i) => Ok((spec[..=i].trim_end().to_owned(), spec[i + 2..].to_owned())),
        None => Err(CliError::new(INVALID_SET_FORMAT, "Invalid --set format")),
    }
}

/// An empty path would replace (or remove) the whole document. sops 3.11 panics on it (exit
/// 2, file untouched); sops-rs refuses it with the same exit code.
fn require_steps(steps: &[Step]) -> Result<(), CliError> {
    if steps.is_empty() {
        return Err(CliError::new(
            EMPTY_PATH,
            "the path is empty: name at least one key or index, e.g. '[\"key\"]'",
        ));
    }
    Ok(())
}

const EMPTY_PATH: i32 = 2;

/// sops 3.12.2 (#2098): `set` of a top-level `sops` key (`sops_…` in dotenv) is refused with
/// exit 203, as `encrypt` refuses such a file; before, sops wrote a file it could not read.
fn refuse_metadata_key(steps: &[Step], format: sops_core::store::Format) -> Result<(), CliError> {
    let reserved = match steps.first() {
        Some(Step::Key(key)) => {
            key == "sops"
                || (format == sops_core::store::Format::Dotenv && key.starts_with("sops_"))
        }
        _ => false,
    };
    if reserved {
        return Err(CliError::new(
            SOPS_KEY_IN_FILE,
            "the value would be written to a top-level `sops` key (or a `sops_` key in dotenv), which holds the file's metadata\n  hint: choose another key name",
        ));
    }
    Ok(())
}

/// sops's exit code for a file that holds a top-level `sops` key.
const SOPS_KEY_IN_FILE: i32 = 203;

/// Converts a JSON value as sops does: numbers become floats, objects become mappings.
fn json_to_node(value: serde_json::Value) -> Node {
    use serde_json::Value;
    match value {
        Value::Null => Node::Scalar(Scalar::Null),
        Value::Bool(b) => Node::Scalar(Scalar::Bool(b)),
        Value::Number(n) => Node::Scalar(Scalar::Float(n.as_f64().unwrap_or(f64::NAN))),
        Value::String(s) => Node::Scalar(Scalar::Str(SecretText::new(s))),
        Value::Array(items) => Node::Sequence(Sequence {
            items: items
                .into_iter()
                .map(|v| SeqItem::Value(json_to_node(v)))
                .collect(),
        }),
        Value::Object(map) => {
            let mut m = Mapping::default();
            for (k, v) in map {
                m.push(k, json_to_node(v));
            }
            Node::Mapping(m)
        }
    }
}

fn parse_value(text: &str) -> Result<Node, CliError> {
    serde_json::from_str::<serde_json::Value>(text)
        .map(json_to_node)
        .map_err(|_| CliError::new(INVALID_SET_FORMAT, "Value for --set is not valid JSON"))
}

/// Sets `steps` in `node` to `value`, creating what is missing; true when something changed.
fn set_in(node: &mut Node, steps: &[Step], value: Node) -> bool {
    let Some((first, rest)) = steps.split_first() else {
        let changed = *node != value;
        *node = value;
        return changed;
    };
    let fresh = |rest: &[Step], value: Node| {
        let mut child = match rest.first() {
            Some(Step::Index(_)) => Node::Sequence(Sequence::default()),
            Some(Step::Key(_)) => Node::Mapping(Mapping::default()),
            None => Node::Scalar(Scalar::Null),
        };
        set_in(&mut child, rest, value);
        child
    };
    match (first, node) {
        (Step::Key(k), Node::Mapping(m)) => {
            for item in &mut m.items {
                if let MapItem::Pair(key, child) = item {
                    if key == k {
                        return set_in(child, rest, value);
                    }
                }
            }
            m.push(k.clone(), fresh(rest, value));
            true
        }
        (Step::Index(n), Node::Sequence(s)) => {
            let mut values = s.items.iter_mut().filter_map(|i| match i {
                SeqItem::Value(v) => Some(v),
                SeqItem::Comment(_) => None,
            });
            match values.nth(*n) {
                Some(child) => set_in(child, rest, value),
                None => {
                    s.items.push(SeqItem::Value(fresh(rest, value)));
                    true
                }
            }
        }
        (_, other) => {
            *other = fresh(steps, value);
            true
        }
    }
}

/// Removes `steps` from `node`; false when the path does not exist.
fn unset_in(node: &mut Node, steps: &[Step]) -> bool {
    let Some((first, rest)) = steps.split_first() else {
        return false;
    };
    match (first, node) {
        (Step::Key(k), Node::Mapping(m)) => {
            let Some(pos) = m
                .items
                .iter()
                .position(|i| matches!(i, MapItem::Pair(key, _) if key == k))
            else {
                return false;
            };
            if rest.is_empty() {
                m.items.remove(pos);
                return true;
            }
            match &mut m.items[pos] {
                MapItem::Pair(_, child) => unset_in(child, rest),
                MapItem::Comment(_) => false,
            }
        }
        (Step::Index(n), Node::Sequence(s)) => {
            let Some(pos) = s
                .items
                .iter()
                .enumerate()
                .filter(|(_, i)| matches!(i, SeqItem::Value(_)))
                .map(|(p, _)| p)
                .nth(*n)
            else {
                return false;
            };
            if rest.is_empty() {
                s.items.remove(pos);
                return true;
            }
            match &mut s.items[pos] {
                SeqItem::Value(child) => unset_in(child, rest),
                SeqItem::Comment(_) => false,
            }
        }
        _ => false,
    }
}

fn change(
    file: &Path,
    (input_type, output_type): (Option<&str>, Option<&str>),
    open: &OpenArgs,
    config_path: Option<&Path>,
    apply: impl FnOnce(&mut Node) -> Result<bool, CliError>,
) -> Result<(), CliError> {
    let format = format_for(file, input_type);
    let out_format = format_for(file, output_type);
    let config = load_config(config_path)?;
    let options = store_options(config.as_ref(), None);
    let sources = KeySources::from_env();
    let mut opened = open_path(file, format, &options, open, &sources)?;
    let Some(first) = opened.tree.branches.first_mut() else {
        return Err(CliError::new(92, "the file has no document to change"));
    };
    let mut root = Node::Mapping(std::mem::take(first));
    let changed = apply(&mut root);
    if let Node::Mapping(m) = root {
        *first = m;
    }
    if !changed? {
        return Ok(());
    }
    encrypt_tree_reusing(
        &mut opened.tree,
        &mut opened.metadata,
        &opened.data_key,
        Some(&mut opened.stash),
    )?;
    emit_encrypted(
        Some((file, Role::InPlace)),
        out_format,
        &options,
        &opened.tree,
        &opened.metadata,
    )
}

pub(crate) fn run_set(args: &SetArgs, config_path: Option<&Path>) -> Result<(), CliError> {
    let steps = parse_path(&args.path)
        .map_err(|_| CliError::new(INVALID_SET_FORMAT, "Invalid --set format"))?;
    require_steps(&steps)?;
    let text = if args.value_stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| CliError::new(codes::COULD_NOT_READ_INPUT, e.to_string()))?;
        s
    } else {
        let value = args
            .value
            .clone()
            .ok_or_else(|| CliError::new(INVALID_SET_FORMAT, "set needs a value"))?;
        if args.value_file {
            std::fs::read_to_string(&value)
                // sops 3.11: a --value-file it cannot read is exit 1.
                .map_err(|e| CliError::new(codes::GENERIC, format!("open {value}: {e}")))?
        } else {
            value
        }
    };
    let value = parse_value(&text)?;
    refuse_metadata_key(&steps, format_for(&args.file, args.input_type.as_deref()))?;
    let idempotent = args.idempotent;
    change(
        &args.file,
        (args.input_type.as_deref(), args.output_type.as_deref()),
        &args.open,
        config_path,
        |root| {
            let changed = set_in(root, &steps, value);
            Ok(changed || !idempotent)
        },
    )
}

pub(crate) fn run_unset(args: &UnsetArgs, config_path: Option<&Path>) -> Result<(), CliError> {
    let steps = parse_path(&args.path)?;
    require_steps(&steps)?;
    let idempotent = args.idempotent;
    let shown: String = steps
        .iter()
        .map(|s| match s {
            Step::Key(k) => k.clone(),
            Step::Index(i) => i.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".");
    change(
        &args.file,
        (args.input_type.as_deref(), args.output_type.as_deref()),
        &args.open,
        config_path,
        |root| {
            if unset_in(root, &steps) {
                Ok(true)
            } else if idempotent {
                Ok(false)
            } else {
                Err(CliError::new(
                    codes::GENERIC,
                    format!("Key not found: {shown}"),
                ))
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_set_split() {
        let (p, v) = split_legacy_set(r#"["a"]["b c"] {"x": 1}"#).unwrap();
        assert_eq!(p, r#"["a"]["b c"]"#);
        assert_eq!(v, r#"{"x": 1}"#);
        assert_eq!(split_legacy_set("nope").unwrap_err().code, 7);
    }

    #[test]
    fn set_creates_and_unset_removes() {
        let mut root = Node::Mapping(Mapping::default());
        let steps = parse_path(r#"["new"]["deep"][3]"#).unwrap();
        assert!(set_in(&mut root, &steps, Node::string("v")));
        assert!(!set_in(
            &mut root,
            &steps[..2],
            Node::Sequence(Sequence {
                items: vec![SeqItem::Value(Node::string("v"))]
            })
        ));
        assert!(unset_in(&mut root, &steps[..1]));
        assert!(!unset_in(&mut root, &steps[..1]));
    }
}
