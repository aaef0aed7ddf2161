//! One KMS master key ([`KmsKey`]) and its text forms: the `kms` metadata entry, an element of
//! a `--kms` list (`ARN[+ROLE]`) and the description sops prints
//! (`arn[+role][|context[|profile]]`).

use sops_core::tree::{Mapping, Node, Scalar};
use sops_core::{KeyEntry, KeyError};
use std::collections::BTreeMap;

/// The metadata list this backend handles.
pub const KEY_TYPE: &str = "kms";

/// One KMS master key: what an entry says about where and how to call KMS.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KmsKey {
    /// The key or alias ARN, e.g. `arn:aws:kms:eu-west-1:111122223333:key/…`.
    pub arn: String,
    /// The IAM role ARN to assume before calling KMS; empty for none.
    pub role: String,
    /// The KMS encryption context; empty for none.
    pub context: BTreeMap<String, String>,
    /// The AWS shared-config profile to use; empty for the default.
    pub aws_profile: String,
}

impl KmsKey {
    /// A key with every part given.
    pub fn new(
        arn: impl Into<String>,
        role: impl Into<String>,
        context: BTreeMap<String, String>,
        aws_profile: impl Into<String>,
    ) -> Self {
        KmsKey {
            arn: arn.into(),
            role: role.into(),
            context,
            aws_profile: aws_profile.into(),
        }
    }

    /// A key from one element of a `--kms` list: spaces removed, `…+arn:…` split into
    /// ARN and role (see [`split_arn_role`]).
    pub fn from_arn_string(
        item: &str,
        context: BTreeMap<String, String>,
        aws_profile: impl Into<String>,
    ) -> Self {
        let (arn, role) = split_arn_role(item);
        KmsKey::new(arn, role, context, aws_profile)
    }

    /// Reads a `kms` metadata entry. `role` and `aws_profile` may be absent or null; `context`
    /// may be absent, null or a mapping whose values are strings (null values are skipped, as
    /// sops does; integer and boolean values are taken as their text).
    pub fn from_entry(entry: &KeyEntry) -> Result<Self, KeyError> {
        let arn = optional_string(entry, "arn")?
            .ok_or_else(|| KeyError::new("the kms key entry has no arn"))?;
        let role = optional_string(entry, "role")?.unwrap_or_default();
        let aws_profile = optional_string(entry, "aws_profile")?.unwrap_or_default();
        let context = match field_node(entry, "context") {
            None | Some(Node::Scalar(Scalar::Null)) => BTreeMap::new(),
            Some(Node::Mapping(map)) => context_from_mapping(map, &arn)?,
            Some(other) => {
                return Err(KeyError::new(format!(
                    "the context of kms key {arn} is a {}, not a mapping",
                    other.kind_name()
                )))
            }
        };
        Ok(KmsKey::new(arn, role, context, aws_profile))
    }

    /// A metadata entry template for this key, ready for
    /// [`KeySource::wrap`](sops_core::KeySource::wrap): `arn`, `role` (if not empty), `context`
    /// (if not empty) and `aws_profile`.
    pub fn to_entry(&self) -> KeyEntry {
        let mut entry = KeyEntry::new(KEY_TYPE);
        self.push_identity(&mut entry);
        entry.set_field("aws_profile", self.aws_profile.clone());
        entry
    }

    /// The complete entry in sops 3.11's field order.
    pub(super) fn to_wrapped_entry(&self, created_at: String, enc: String) -> KeyEntry {
        let mut entry = KeyEntry::new(KEY_TYPE);
        self.push_identity(&mut entry);
        entry.set_field("created_at", created_at);
        entry.set_field("enc", enc);
        entry.set_field("aws_profile", self.aws_profile.clone());
        entry
    }

    fn push_identity(&self, entry: &mut KeyEntry) {
        entry.set_field("arn", self.arn.clone());
        if !self.role.is_empty() {
            entry.set_field("role", self.role.clone());
        }
        if !self.context.is_empty() {
            let mut map = Mapping::default();
            for (k, v) in &self.context {
                map.push(k.clone(), Node::string(v.clone()));
            }
            entry
                .fields
                .push(("context".to_owned(), Node::Mapping(map)));
        }
    }

    /// The key as sops prints it: `arn[+role][|context[|profile]]`.
    pub fn describe(&self) -> String {
        let mut out = self.arn.clone();
        if !self.role.is_empty() {
            out.push('+');
            out.push_str(&self.role);
        }
        let context = format_encryption_context(&self.context);
        if !self.aws_profile.is_empty() {
            out.push_str(&format!("|{context}|{}", self.aws_profile));
        } else if !context.is_empty() {
            out.push_str(&format!("|{context}"));
        }
        out
    }
}

fn field_node<'a>(entry: &'a KeyEntry, name: &str) -> Option<&'a Node> {
    entry.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn optional_string(entry: &KeyEntry, name: &str) -> Result<Option<String>, KeyError> {
    match field_node(entry, name) {
        None | Some(Node::Scalar(Scalar::Null)) => Ok(None),
        Some(node) => match node.as_str() {
            Some(s) => Ok(Some(s.to_owned())),
            None => Err(KeyError::new(format!(
                "the `{name}` field of a kms key entry is a {}, not a string",
                node.kind_name()
            ))),
        },
    }
}

fn context_from_mapping(map: &Mapping, arn: &str) -> Result<BTreeMap<String, String>, KeyError> {
    let mut out = BTreeMap::new();
    for (key, value) in map.pairs() {
        let text = match value {
            Node::Scalar(Scalar::Null) => continue,
            Node::Scalar(Scalar::Int(i)) => i.to_string(),
            Node::Scalar(Scalar::Bool(b)) => b.to_string(),
            other => match other.as_str() {
                Some(s) => s.to_owned(),
                None => {
                    return Err(KeyError::new(format!(
                        "the context of kms key {arn} has a {} value for `{key}`; values must \
                         be strings",
                        other.kind_name()
                    )))
                }
            },
        };
        out.insert(key.to_owned(), text);
    }
    Ok(out)
}

/// Splits one element of a KMS key list into the key ARN and the role ARN (empty when there is
/// none), after removing every space. The split is at the first `+arn:` that is not at the start,
/// as in sops 3.12+, so a role of any AWS partition (`aws-cn`, `aws-us-gov`, …) is recognised.
pub fn split_arn_role(item: &str) -> (String, String) {
    let item: String = item.chars().filter(|c| *c != ' ').collect();
    match item.find("+arn:") {
        Some(index) if index > 0 => (item[..index].to_owned(), item[index + 1..].to_owned()),
        _ => (item, String::new()),
    }
}

/// Formats a context the way sops prints it in key descriptions: `k1:v1,k2:v2`, keys sorted.
pub fn format_encryption_context(context: &BTreeMap<String, String>) -> String {
    context
        .iter()
        .map(|(k, v)| format!("{k}:{v}"))
        .collect::<Vec<_>>()
        .join(",")
}
