//! `.sops.yaml`: finding it, reading `creation_rules` and `stores`, and picking the rule for a
//! file as sops 3.11 does (SOPS-FORMAT.md §8).
//!
//! The search starts in the working directory (not the file's) and walks up; `--config` or
//! `SOPS_CONFIG` name the file directly. `path_regex` is matched, unanchored, against the file's
//! absolute path with the config directory's prefix removed.

use crate::error::{codes, CliError};
use regex::Regex;
use sops_core::store::{Format, StoreOptions};
use sops_core::tree::{Mapping, Node, Scalar, SeqItem};
use sops_core::{KeyEntry, PartialRule};
use std::path::{Path, PathBuf};

/// The keys, threshold and partial-encryption settings of a matching creation rule.
#[derive(Debug, Default, Clone)]
pub(crate) struct CreationRule {
    path_regex: Option<Regex>,
    pub(crate) key_groups: Vec<Vec<KeyEntry>>,
    pub(crate) shamir_threshold: u64,
    pub(crate) partial: Option<PartialRule>,
    pub(crate) mac_only_encrypted: bool,
}

/// A loaded `.sops.yaml`.
#[derive(Debug, Default)]
pub(crate) struct Config {
    dir: PathBuf,
    rules: Vec<CreationRule>,
    pub(crate) stores: StoreOptions,
}

fn config_error(message: impl std::fmt::Display) -> CliError {
    CliError::new(codes::GENERIC, format!("error loading config: {message}"))
}

/// Finds the config file: `explicit` (`--config`/`SOPS_CONFIG`), else `.sops.yaml` in the
/// working directory or one of its parents (at most 100 levels).
pub(crate) fn find(explicit: Option<&Path>) -> Result<Option<PathBuf>, CliError> {
    if let Some(path) = explicit {
        if !path.exists() {
            return Err(config_error(format!(
                "config file {} does not exist",
                path.display()
            )));
        }
        return Ok(Some(path.to_path_buf()));
    }
    let mut dir = std::env::current_dir().ok();
    for _ in 0..100 {
        let Some(d) = dir else { break };
        let candidate = d.join(".sops.yaml");
        if candidate.is_file() {
            return Ok(Some(candidate));
        }
        if d.join(".sops.yml").is_file() {
            eprintln!(
                "[CMD] warning: ignoring {}: only .sops.yaml is read",
                d.join(".sops.yml").display()
            );
        }
        dir = d.parent().map(Path::to_path_buf);
    }
    Ok(None)
}

/// Loads the config at `path`.
pub(crate) fn load(path: &Path) -> Result<Config, CliError> {
    let bytes = std::fs::read(path)
        .map_err(|e| config_error(format!("could not read {}: {e}", path.display())))?;
    // A config holding only comments is an empty config for sops (yaml.v3), not an error.
    let root = if has_yaml_document(&bytes) {
        let tree = Format::Yaml.store().load_plain(&bytes).map_err(|e| {
            config_error(format!(
                "could not unmarshal config file {}: {}",
                path.display(),
                e.message()
            ))
        })?;
        tree.branches.into_iter().next().unwrap_or_default()
    } else {
        Mapping::default()
    };
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut config = Config {
        dir: abs.parent().map(Path::to_path_buf).unwrap_or_default(),
        ..Config::default()
    };
    if let Some(Node::Mapping(stores)) = root.get("stores") {
        read_stores(stores, &mut config.stores);
    }
    if let Some(Node::Sequence(rules)) = root.get("creation_rules") {
        for item in &rules.items {
            if let SeqItem::Value(Node::Mapping(rule)) = item {
                config.rules.push(read_rule(rule)?);
            }
        }
    }
    Ok(config)
}

/// False for a file of blank lines, comments and document markers only.
pub(crate) fn has_yaml_document(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes).lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#') && t != "---" && t != "..."
    })
}

impl Config {
    /// True when the config has creation rules at all.
    pub(crate) fn has_rules(&self) -> bool {
        !self.rules.is_empty()
    }

    /// The first rule whose `path_regex` matches `file` (or that has none).
    pub(crate) fn rule_for(&self, file: &Path) -> Result<&CreationRule, CliError> {
        let relative = self.relative_path(file);
        self.rules
            .iter()
            .find(|r| {
                r.path_regex
                    .as_ref()
                    .is_none_or(|re| re.is_match(&relative))
            })
            .ok_or_else(|| config_error("no matching creation rules found"))
    }

    /// Every rule that matches `file` (those without `path_regex` match any file), with its
    /// index in `creation_rules`, in order.
    pub(crate) fn matching_rules(&self, file: &Path) -> Vec<(usize, &CreationRule)> {
        let relative = self.relative_path(file);
        let matches = |r: &CreationRule| {
            r.path_regex
                .as_ref()
                .is_none_or(|re| re.is_match(&relative))
        };
        self.rules
            .iter()
            .enumerate()
            .filter(|(_, r)| matches(r))
            .collect()
    }

    /// `file`'s absolute path with the config directory's prefix removed, as `path_regex` sees it.
    fn relative_path(&self, file: &Path) -> String {
        let abs = if file.is_absolute() {
            file.to_path_buf()
        } else {
            std::env::current_dir()
                .map(|d| d.join(file))
                .unwrap_or_else(|_| file.to_path_buf())
        };
        let abs = abs.to_string_lossy().into_owned();
        let prefix = format!("{}/", self.dir.to_string_lossy());
        abs.strip_prefix(&prefix).map(str::to_owned).unwrap_or(abs)
    }
}

impl CreationRule {
    /// The rule's `path_regex` as written, if it has one.
    pub(crate) fn path_regex(&self) -> Option<&str> {
        self.path_regex.as_ref().map(Regex::as_str)
    }
}

fn read_stores(stores: &Mapping, options: &mut StoreOptions) {
    let indent = |name: &str| match stores.get(name) {
        Some(Node::Mapping(m)) => match m.get("indent") {
            Some(Node::Scalar(Scalar::Int(i))) => Some(*i),
            _ => None,
        },
        _ => None,
    };
    if let Some(i) = indent("yaml") {
        if i > 0 {
            options.yaml_indent = i as usize;
        }
    }
    if let Some(i) = indent("json") {
        options.json_indent = i as i32;
    }
    if let Some(i) = indent("json_binary") {
        options.json_binary_indent = i as i32;
    }
}

fn scalar_text(node: &Node) -> Option<String> {
    match node {
        Node::Scalar(Scalar::Str(s)) => Some(s.as_str().to_owned()),
        Node::Scalar(Scalar::Int(i)) => Some(i.to_string()),
        Node::Scalar(Scalar::Bool(b)) => Some(b.to_string()),
        _ => None,
    }
}

/// A key list given as a comma-separated string or a YAML list of strings.
fn string_list(node: Option<&Node>) -> Vec<String> {
    let mut out = Vec::new();
    let mut push_split = |s: &str| {
        out.extend(
            s.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned),
        );
    };
    match node {
        Some(Node::Sequence(seq)) => {
            for item in &seq.items {
                if let SeqItem::Value(v) = item {
                    if let Some(s) = scalar_text(v) {
                        push_split(&s);
                    }
                }
            }
        }
        Some(other) => {
            if let Some(s) = scalar_text(other) {
                push_split(&s);
            }
        }
        None => {}
    }
    out
}

fn entry(key_type: &str, fields: &[(&str, String)]) -> KeyEntry {
    let mut e = KeyEntry::new(key_type);
    for (k, v) in fields {
        e.set_field(k, v.clone());
    }
    e
}

/// Builds KeyEntry templates from a rule's flat key lists (or one group of `key_groups`).
fn read_keys(map: &Mapping, aws_profile: &str, group_form: bool) -> Vec<KeyEntry> {
    let mut keys = Vec::new();
    for r in string_list(map.get("age")) {
        keys.push(entry("age", &[("recipient", r)]));
    }
    for fp in string_list(map.get("pgp")) {
        keys.push(entry("pgp", &[("fp", fp.replace(' ', ""))]));
    }
    match map.get("kms") {
        Some(Node::Sequence(seq)) if group_form => {
            for item in &seq.items {
                if let SeqItem::Value(Node::Mapping(k)) = item {
                    let arn = k.get("arn").and_then(scalar_text).unwrap_or_default();
                    let mut e = entry("kms", &[("arn", arn)]);
                    if let Some(role) = k.get("role").and_then(scalar_text) {
                        e.set_field("role", role);
                    }
                    if let Some(Node::Mapping(ctx)) = k.get("context") {
                        e.fields
                            .push(("context".to_owned(), Node::Mapping(ctx.clone())));
                    }
                    let profile = k
                        .get("aws_profile")
                        .and_then(scalar_text)
                        .unwrap_or_else(|| aws_profile.to_owned());
                    e.set_field("aws_profile", profile);
                    keys.push(e);
                }
            }
        }
        other => {
            for spec in string_list(other) {
                let (arn, role) = match spec.find("+arn:") {
                    Some(i) => (spec[..i].to_owned(), Some(spec[i + 1..].to_owned())),
                    None => (spec.clone(), None),
                };
                let mut e = entry("kms", &[("arn", arn)]);
                if let Some(role) = role {
                    e.set_field("role", role);
                }
                e.set_field("aws_profile", aws_profile.to_owned());
                keys.push(e);
            }
        }
    }
    for id in string_list(map.get("gcp_kms")) {
        keys.push(entry("gcp_kms", &[("resource_id", id)]));
    }
    for uri in string_list(
        map.get("hc_vault_transit_uri")
            .or_else(|| map.get("hc_vault")),
    ) {
        keys.push(entry("hc_vault", &[("vault_address", uri)]));
    }
    keys
}

fn read_rule(rule: &Mapping) -> Result<CreationRule, CliError> {
    let text = |name: &str| {
        rule.get(name)
            .and_then(scalar_text)
            .filter(|s| !s.is_empty())
    };
    let path_regex = match text("path_regex") {
        Some(re) => Some(
            Regex::new(&re).map_err(|e| config_error(format!("invalid path_regex {re:?}: {e}")))?,
        ),
        None => None,
    };
    let aws_profile = text("aws_profile").unwrap_or_default();
    let key_groups = match rule.get("key_groups") {
        Some(Node::Sequence(groups)) => groups
            .items
            .iter()
            .filter_map(|g| match g {
                SeqItem::Value(Node::Mapping(m)) => Some(read_group(m, &aws_profile)),
                _ => None,
            })
            .collect(),
        _ => vec![read_keys(rule, &aws_profile, false)],
    };
    let options = [
        (
            "unencrypted_suffix",
            PartialRule::UnencryptedSuffix as fn(String) -> PartialRule,
        ),
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
    let given: Vec<PartialRule> = options
        .iter()
        .filter_map(|(name, make)| text(name).map(make))
        .collect();
    if given.len() > 1 {
        return Err(config_error(
            "cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex, or unencrypted_comment_regex for the same rule",
        ));
    }
    let shamir_threshold = match rule.get("shamir_threshold") {
        Some(Node::Scalar(Scalar::Int(i))) if *i >= 0 => *i as u64,
        _ => 0,
    };
    let mac_only_encrypted = matches!(
        rule.get("mac_only_encrypted"),
        Some(Node::Scalar(Scalar::Bool(true)))
    );
    Ok(CreationRule {
        path_regex,
        key_groups,
        shamir_threshold,
        partial: given.into_iter().next(),
        mac_only_encrypted,
    })
}

fn read_group(group: &Mapping, aws_profile: &str) -> Vec<KeyEntry> {
    let mut keys = read_keys(group, aws_profile, true);
    if let Some(Node::Sequence(merged)) = group.get("merge") {
        for item in &merged.items {
            if let SeqItem::Value(Node::Mapping(m)) = item {
                keys.extend(read_group(m, aws_profile));
            }
        }
    }
    let mut unique: Vec<KeyEntry> = Vec::new();
    for k in keys {
        if !unique.iter().any(|u| u == &k) {
            unique.push(k);
        }
    }
    unique
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(yaml: &str) -> CreationRule {
        let tree = Format::Yaml.store().load_plain(yaml.as_bytes()).unwrap();
        read_rule(&tree.branches[0]).unwrap()
    }

    #[test]
    fn keys_as_comma_string_or_list() {
        let r = rule("age: a1, a2\npgp: [F1, 'F 2']\nkms: arn:aws:kms:eu-west-1:1:key/x+arn:aws:iam::1:role/r\n");
        let g = &r.key_groups[0];
        assert_eq!(g.len(), 5);
        assert_eq!(g[1].field("recipient"), Some("a2"));
        assert_eq!(g[3].field("fp"), Some("F2"));
        assert_eq!(g[4].field("role"), Some("arn:aws:iam::1:role/r"));
    }

    #[test]
    fn two_partial_options_are_an_error() {
        let tree = Format::Yaml
            .store()
            .load_plain(b"encrypted_regex: a\nunencrypted_regex: b\n")
            .unwrap();
        assert_eq!(read_rule(&tree.branches[0]).unwrap_err().code, 1);
    }

    #[test]
    fn key_groups_with_threshold() {
        let r =
            rule("shamir_threshold: 2\nkey_groups:\n  - age: [a1]\n  - age: [a2]\n    pgp: [F]\n");
        assert_eq!(r.key_groups.len(), 2);
        assert_eq!(r.key_groups[1].len(), 2);
        assert_eq!(r.shamir_threshold, 2);
    }
}
