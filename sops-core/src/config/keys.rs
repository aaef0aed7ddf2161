//! The master keys a creation rule names, as [`KeyEntry`] templates for the metadata.
//!
//! sops-core names no key backend, but the key lists of `.sops.yaml` are part of the file
//! format: each becomes an entry of the metadata list sops writes for it, holding the fields
//! that name the recipient (`age` → `recipient`, `pgp` → `fp`, `kms` → `arn`, `role`,
//! `context`, `aws_profile`, …). The one piece of syntax in them, `ARN+ROLE_ARN` in a KMS
//! list, is plain text splitting, done here as sops does it; nothing needs a backend. A backend
//! checks its recipients when it wraps the data key.

use super::schema::scalar_text;
use super::ConfigError;
use crate::tree::{MapItem, Mapping, Node, Scalar, SeqItem};
use crate::KeyEntry;

/// A metadata entry of `key_type` with the string fields `fields`, in order.
pub fn key_entry(key_type: &str, fields: &[(&str, &str)]) -> KeyEntry {
    let mut entry = KeyEntry::new(key_type);
    for (name, value) in fields {
        entry.set_field(name, *value);
    }
    entry
}

/// KMS entries from a comma-separated list of `ARN` or `ARN+ROLE_ARN` (`--kms`,
/// `SOPS_KMS_ARN`, a rule's `kms`), as sops 3.12+ reads it: every space is removed, an element
/// is split at its first `+arn:` that is not at its start (an ARN has no `:` in its path, so
/// that is where a role ARN of any partition, `aws`, `aws-cn`, `aws-us-gov`, … begins; sops
/// 3.11 split only at `+arn:aws:iam::`), and each entry gets the encryption `context` (when
/// not empty) and `aws_profile`. An empty list gives no entries.
pub fn kms_entries(list: &str, context: &[(String, String)], aws_profile: &str) -> Vec<KeyEntry> {
    if list.is_empty() {
        return Vec::new();
    }
    list.split(',')
        .map(|item| {
            let item: String = item.chars().filter(|c| *c != ' ').collect();
            let (arn, role) = match item.find("+arn:") {
                Some(at) if at > 0 => (&item[..at], &item[at + 1..]),
                _ => (item.as_str(), ""),
            };
            kms_entry(arn, role, context, aws_profile)
        })
        .collect()
}

fn kms_entry(arn: &str, role: &str, context: &[(String, String)], profile: &str) -> KeyEntry {
    let mut entry = key_entry("kms", &[("arn", arn)]);
    if !role.is_empty() {
        entry.set_field("role", role);
    }
    if !context.is_empty() {
        // sops keeps the context in a Go map: written with its keys sorted.
        let mut sorted = context.to_vec();
        sorted.sort();
        let mut map = Mapping::default();
        for (name, value) in sorted {
            map.push(name, Node::string(value));
        }
        entry
            .fields
            .push(("context".to_owned(), Node::Mapping(map)));
    }
    entry.set_field("aws_profile", profile);
    entry
}

/// The Go type name sops prints for a value of the wrong kind in a key list.
fn go_type(node: Option<&Node>) -> &'static str {
    match node {
        None | Some(Node::Scalar(Scalar::Null)) => "<nil>",
        Some(Node::Scalar(Scalar::Str(_))) => "string",
        Some(Node::Scalar(Scalar::Int(_))) => "int",
        Some(Node::Scalar(Scalar::Float(_))) => "float64",
        Some(Node::Scalar(Scalar::Bool(_))) => "bool",
        Some(Node::Scalar(Scalar::Time(_))) => "time.Time",
        Some(Node::Scalar(Scalar::Bytes(_))) => "[]uint8",
        Some(Node::Mapping(_)) => "map[string]interface {}",
        Some(Node::Sequence(_)) => "[]interface {}",
    }
}

fn values(node: Option<&Node>) -> impl Iterator<Item = &Node> {
    let items = match node {
        Some(Node::Sequence(seq)) => seq.items.as_slice(),
        _ => &[],
    };
    items.iter().filter_map(|item| match item {
        SeqItem::Value(v) => Some(v),
        SeqItem::Comment(_) => None,
    })
}

/// A rule's flat key list: a comma-separated string (items trimmed, empty ones dropped) or a
/// list of strings, else sops's "invalid … key configuration" error.
fn flat_list(rule: &Mapping, field: &str, outer: &str) -> Result<Vec<String>, ConfigError> {
    let node = rule.get(field);
    match node {
        None | Some(Node::Scalar(Scalar::Null)) => Ok(Vec::new()),
        Some(Node::Scalar(Scalar::Str(text))) => Ok(split_list(text.as_str())),
        Some(Node::Sequence(_)) => values(node)
            .map(|item| match item {
                Node::Scalar(Scalar::Str(text)) => Ok(text.as_str().to_owned()),
                other => Err(ConfigError::key_list(
                    outer,
                    field,
                    &format!("expected string in list, got {}", go_type(Some(other))),
                )),
            })
            .collect(),
        Some(other) => Err(ConfigError::key_list(
            outer,
            field,
            &format!(
                "expected string, []string, or nil, got {}",
                go_type(Some(other))
            ),
        )),
    }
}

/// Splits a comma-separated list, trimming items and dropping empty ones.
pub(super) fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A list of strings of a key group (`age`, `pgp`, `hc_vault`, a rule's `hckms`).
fn strings(map: &Mapping, field: &str) -> Vec<String> {
    values(map.get(field)).filter_map(scalar_text).collect()
}

/// A field of a key given as a mapping (`arn` of a `kms` item…), "" when absent.
fn field(map: &Mapping, name: &str) -> String {
    map.get(name).and_then(scalar_text).unwrap_or_default()
}

fn mappings<'a>(map: &'a Mapping, name: &str) -> impl Iterator<Item = Option<&'a Mapping>> {
    values(map.get(name)).map(|v| match v {
        Node::Mapping(m) => Some(m),
        _ => None,
    })
}

/// The single key group of a rule without `key_groups`, in sops's order: age, pgp, kms,
/// gcp_kms, hckms, azure_keyvault, hc_vault_transit_uri.
pub(super) fn flat_group(rule: &Mapping) -> Result<Vec<KeyEntry>, ConfigError> {
    let mut group = Vec::new();
    let joined_split = |items: Vec<String>| split_list(&items.join(","));
    for recipient in joined_split(flat_list(rule, "age", "age")?) {
        group.push(key_entry("age", &[("recipient", &recipient)]));
    }
    for fp in joined_split(flat_list(rule, "pgp", "pgp")?) {
        group.push(key_entry("pgp", &[("fp", &fp.replace(' ', ""))]));
    }
    let profile = field(rule, "aws_profile");
    group.extend(kms_entries(
        &flat_list(rule, "kms", "kms")?.join(","),
        &[],
        &profile,
    ));
    for id in joined_split(flat_list(rule, "gcp_kms", "gcpkms")?) {
        group.push(key_entry("gcp_kms", &[("resource_id", &id)]));
    }
    for id in joined_split(strings(rule, "hckms")) {
        group.push(key_entry("hckms", &[("key_id", &id)]));
    }
    for url in joined_split(flat_list(rule, "azure_keyvault", "azure_keyvault")?) {
        group.push(key_entry("azure_kv", &[("vault_url", &url)]));
    }
    for uri in joined_split(flat_list(rule, "hc_vault_transit_uri", "vault")?) {
        group.push(key_entry("hc_vault", &[("vault_address", &uri)]));
    }
    Ok(group)
}

/// One group of `key_groups`: its `merge`d groups first, then its own keys, duplicates (same
/// type and fields) dropped.
pub(super) fn key_group(group: &Mapping) -> Vec<KeyEntry> {
    let mut keys = Vec::new();
    for merged in mappings(group, "merge").flatten() {
        keys.extend(key_group(merged));
    }
    for recipients in strings(group, "age") {
        for recipient in split_list(&recipients) {
            keys.push(key_entry("age", &[("recipient", &recipient)]));
        }
    }
    for fp in strings(group, "pgp") {
        keys.push(key_entry("pgp", &[("fp", &fp.replace(' ', ""))]));
    }
    for kms in mappings(group, "kms") {
        let kms = kms.cloned().unwrap_or_default();
        let context: Vec<(String, String)> = match kms.get("context") {
            Some(Node::Mapping(m)) => m
                .items
                .iter()
                .filter_map(|item| match item {
                    // A null value is left out, as sops does.
                    MapItem::Pair(_, Node::Scalar(Scalar::Null)) => None,
                    MapItem::Pair(k, v) => Some((k.clone(), scalar_text(v).unwrap_or_default())),
                    MapItem::Comment(_) => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let (arn, role) = (field(&kms, "arn"), field(&kms, "role"));
        keys.push(kms_entry(
            &arn,
            &role,
            &context,
            &field(&kms, "aws_profile"),
        ));
    }
    for gcp in mappings(group, "gcp_kms") {
        let id = gcp.map(|m| field(m, "resource_id")).unwrap_or_default();
        keys.push(key_entry("gcp_kms", &[("resource_id", &id)]));
    }
    for hckms in mappings(group, "hckms") {
        let id = hckms.map(|m| field(m, "key_id")).unwrap_or_default();
        keys.push(key_entry("hckms", &[("key_id", &id)]));
    }
    for azure in mappings(group, "azure_keyvault") {
        let azure = azure.cloned().unwrap_or_default();
        let mut entry = key_entry("azure_kv", &[("vault_url", &field(&azure, "vaultUrl"))]);
        entry.set_field("name", field(&azure, "key"));
        entry.set_field("version", field(&azure, "version"));
        keys.push(entry);
    }
    for uri in strings(group, "hc_vault") {
        keys.push(key_entry("hc_vault", &[("vault_address", &uri)]));
    }
    let mut unique: Vec<KeyEntry> = Vec::new();
    for key in keys {
        if !unique.contains(&key) {
            unique.push(key);
        }
    }
    unique
}
