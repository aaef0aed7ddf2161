//! A creation rule: what it matches and the [`EncryptOptions`] it gives.

use super::keys::{flat_group, key_group};
use super::schema::{scalar_text, yes_no};
use super::ConfigError;
use crate::tree::{Mapping, Node, Scalar, SeqItem};
use crate::{EncryptOptions, KeyEntry, PartialRule};
use regex::Regex;

/// One rule of `creation_rules`, read and checked: its `path_regex`, key groups, Shamir
/// threshold and partial-encryption settings.
#[derive(Clone, Debug)]
pub struct CreationRule {
    index: usize,
    path_regex: Option<Regex>,
    key_groups: Vec<Vec<KeyEntry>>,
    shamir_threshold: u64,
    partial: Option<PartialRule>,
    mac_only_encrypted: bool,
}

/// Makes a [`PartialRule`] from a field's value.
type MakePartial = fn(String) -> PartialRule;

/// The six partial-encryption fields of a rule, in sops's order.
const PARTIAL_FIELDS: [(&str, MakePartial); 6] = [
    ("unencrypted_suffix", PartialRule::UnencryptedSuffix),
    ("encrypted_suffix", PartialRule::EncryptedSuffix),
    ("unencrypted_regex", PartialRule::UnencryptedRegex),
    ("encrypted_regex", PartialRule::EncryptedRegex),
    (
        "unencrypted_comment_regex",
        PartialRule::UnencryptedCommentRegex,
    ),
    (
        "encrypted_comment_regex",
        PartialRule::EncryptedCommentRegex,
    ),
];

/// A string field of a rule; empty counts as absent, as in sops.
fn text(rule: &Mapping, name: &str) -> Option<String> {
    rule.get(name)
        .and_then(scalar_text)
        .filter(|s| !s.is_empty())
}

/// A rule's `path_regex`, compiled (Go RE2 and the `regex` crate agree on the syntax sops
/// configs use).
pub(super) fn path_regex(rule: &Mapping) -> Result<Option<Regex>, ConfigError> {
    match text(rule, "path_regex") {
        Some(re) => Regex::new(&re)
            .map(Some)
            .map_err(|e| ConfigError::bad_regex(&re, &e)),
        None => Ok(None),
    }
}

impl CreationRule {
    /// Reads rule number `index` (already type-checked) whose `path_regex` is `path_regex`.
    pub(super) fn read(
        index: usize,
        rule: &Mapping,
        path_regex: Option<Regex>,
    ) -> Result<Self, ConfigError> {
        let mut given = PARTIAL_FIELDS
            .iter()
            .filter_map(|(name, make)| text(rule, name).map(make));
        let partial = given.next();
        if given.next().is_some() {
            return Err(ConfigError::two_partial_options());
        }
        let groups: Vec<&Node> = match rule.get("key_groups") {
            Some(Node::Sequence(seq)) => seq
                .items
                .iter()
                .filter_map(|item| match item {
                    SeqItem::Value(v) => Some(v),
                    SeqItem::Comment(_) => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let key_groups = if groups.is_empty() {
            vec![flat_group(rule)?]
        } else {
            let empty = Mapping::default();
            groups
                .into_iter()
                .map(|g| match g {
                    Node::Mapping(m) => key_group(m),
                    _ => key_group(&empty),
                })
                .collect()
        };
        let shamir_threshold = match rule.get("shamir_threshold") {
            Some(Node::Scalar(Scalar::Int(i))) => u64::try_from(*i).unwrap_or(0),
            Some(Node::Scalar(Scalar::Float(f))) if *f >= 1.0 => *f as u64,
            _ => 0,
        };
        let mac_only_encrypted = match rule.get("mac_only_encrypted") {
            Some(Node::Scalar(Scalar::Bool(b))) => *b,
            Some(Node::Scalar(Scalar::Str(s))) => yes_no(s.as_str()).unwrap_or(false),
            _ => false,
        };
        Ok(CreationRule {
            index,
            path_regex,
            key_groups,
            shamir_threshold,
            partial,
            mac_only_encrypted,
        })
    }

    /// The rule's position in `creation_rules`, from 0.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The rule's `path_regex` as written, if it has one (a rule without matches every file).
    pub fn path_regex(&self) -> Option<&str> {
        self.path_regex.as_ref().map(Regex::as_str)
    }

    /// True when the rule applies to a file at `relative_path` (see
    /// [`Config::relative_path`](super::Config::relative_path)): it has no `path_regex`, or its
    /// `path_regex` matches somewhere in the path.
    pub fn matches(&self, relative_path: &str) -> bool {
        self.path_regex
            .as_ref()
            .is_none_or(|re| re.is_match(relative_path))
    }

    /// The recipients, one list per key group; without `key_groups`, the rule's flat key
    /// lists form one group.
    pub fn key_groups(&self) -> &[Vec<KeyEntry>] {
        &self.key_groups
    }

    /// `shamir_threshold` as written (0 when absent).
    pub fn shamir_threshold(&self) -> u64 {
        self.shamir_threshold
    }

    /// The partial-encryption option, if the rule sets one.
    pub fn partial(&self) -> Option<&PartialRule> {
        self.partial.as_ref()
    }

    /// `mac_only_encrypted`.
    pub fn mac_only_encrypted(&self) -> bool {
        self.mac_only_encrypted
    }

    /// True when the rule names no recipient at all.
    pub fn has_no_keys(&self) -> bool {
        self.key_groups.iter().all(Vec::is_empty)
    }

    /// What encrypting a file by this rule takes: its key groups, partial-encryption settings
    /// and Shamir threshold. As sops 3.11 does, several groups and no threshold mean all groups,
    /// and that number is written to the file.
    pub fn encrypt_options(&self) -> EncryptOptions {
        let groups = self.key_groups.len() as u64;
        let shamir_threshold = match self.shamir_threshold {
            0 if groups > 1 => groups,
            t => t,
        };
        EncryptOptions {
            key_groups: self.key_groups.clone(),
            shamir_threshold,
            partial: self.partial.clone(),
            mac_only_encrypted: self.mac_only_encrypted,
        }
    }
}
