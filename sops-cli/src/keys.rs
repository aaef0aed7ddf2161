//! The master-key backends the CLI offers, and the keys to encrypt to: from flags and
//! environment variables, or else from the matching `.sops.yaml` creation rule.

use crate::cli::{KeyArgs, PartialArgs};
use crate::config::{self, Config};
use crate::error::{codes, CliError};
use sops_core::{EncryptOptions, KeyEntry, PartialRule};
use sops_keys::age::{parse_recipients, AgeKeySource};
use sops_keys::kms::KmsKeySource;
use sops_keys::kms_parse::{parse_arn_list, parse_encryption_context, INVALID_CONTEXT_EXIT_CODE};
use sops_keys::pgp::PgpKeySource;
use std::path::Path;

/// Every backend this build of sops-rs can use, configured from the environment.
pub(crate) struct KeySources {
    pub(crate) age: AgeKeySource,
    pub(crate) kms: KmsKeySource,
    pub(crate) pgp: PgpKeySource,
}

impl KeySources {
    pub(crate) fn from_env() -> Self {
        KeySources {
            age: AgeKeySource::from_env(),
            kms: KmsKeySource::new(),
            pgp: PgpKeySource::from_env(),
        }
    }

    pub(crate) fn as_list(&self) -> Vec<&dyn sops_core::KeySource> {
        vec![&self.age, &self.pgp, &self.kms]
    }

    /// Adds to a "could not retrieve the data key" error the places each backend looked.
    pub(crate) fn explain(&self, error: sops_core::Error) -> CliError {
        if error.kind() == sops_core::ErrorKind::DataKeyUnavailable {
            let report = self.age.no_identity_error();
            return CliError::new(error.exit_code(), format!("{error}\n{report}"));
        }
        error.into()
    }
}

fn split_list(list: &str) -> impl Iterator<Item = String> + '_ {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn entry(key_type: &str, field: &str, value: String) -> KeyEntry {
    let mut e = KeyEntry::new(key_type);
    e.set_field(field, value);
    e
}

/// KMS entries from `ARN[+ROLE],…` with an optional `--encryption-context` (exit 6 when it is
/// malformed) and profile.
pub(crate) fn kms_entries(
    list: &str,
    context: Option<&str>,
    profile: &str,
) -> Result<Vec<KeyEntry>, CliError> {
    let context = parse_encryption_context(context.unwrap_or(""))
        .map_err(|e| CliError::new(INVALID_CONTEXT_EXIT_CODE, e.to_string()))?;
    Ok(parse_arn_list(list, &context, profile))
}

/// Recipient entries named by key flags (one group), or `None` when no key flag was given.
pub(crate) fn group_from_flags(keys: &KeyArgs) -> Result<Option<Vec<KeyEntry>>, CliError> {
    let mut group = Vec::new();
    let mut any = false;
    if let Some(list) = keys.age.as_deref() {
        any = true;
        let recipients =
            parse_recipients(list).map_err(|e| CliError::new(codes::GENERIC, e.to_string()))?;
        group.extend(recipients.into_iter().map(|r| entry("age", "recipient", r)));
    }
    if let Some(list) = keys.pgp.as_deref() {
        any = true;
        group.extend(split_list(list).map(|fp| entry("pgp", "fp", fp.replace(' ', ""))));
    }
    if let Some(list) = keys.kms.as_deref() {
        any = true;
        group.extend(kms_entries(
            list,
            keys.encryption_context.as_deref(),
            keys.aws_profile.as_deref().unwrap_or(""),
        )?);
    }
    for (list, key_type, field) in [
        (&keys.gcp_kms, "gcp_kms", "resource_id"),
        (&keys.azure_kv, "azure_kv", "vault_url"),
        (&keys.hc_vault_transit, "hc_vault", "vault_address"),
        (&keys.hckms, "hckms", "key_id"),
    ] {
        if let Some(list) = list.as_deref() {
            any = true;
            group.extend(split_list(list).map(|v| entry(key_type, field, v)));
        }
    }
    Ok(any.then_some(group))
}

/// The partial-encryption option given by flags; more than one is an error, as in sops.
pub(crate) fn partial_from_flags(args: &PartialArgs) -> Result<Option<PartialRule>, CliError> {
    let given: Vec<(&str, PartialRule)> = [
        (
            "--unencrypted-suffix",
            &args.unencrypted_suffix,
            PartialRule::UnencryptedSuffix as fn(String) -> PartialRule,
        ),
        (
            "--encrypted-suffix",
            &args.encrypted_suffix,
            PartialRule::EncryptedSuffix,
        ),
        (
            "--unencrypted-regex",
            &args.unencrypted_regex,
            PartialRule::UnencryptedRegex,
        ),
        (
            "--encrypted-regex",
            &args.encrypted_regex,
            PartialRule::EncryptedRegex,
        ),
        (
            "--unencrypted-comment-regex",
            &args.unencrypted_comment_regex,
            PartialRule::UnencryptedCommentRegex,
        ),
        (
            "--encrypted-comment-regex",
            &args.encrypted_comment_regex,
            PartialRule::EncryptedCommentRegex,
        ),
    ]
    .into_iter()
    .filter_map(|(name, value, make)| {
        value
            .clone()
            .filter(|v| !v.is_empty())
            .map(|v| (name, make(v)))
    })
    .collect();
    if given.len() > 1 {
        let names: Vec<&str> = given.iter().map(|(n, _)| *n).collect();
        return Err(CliError::new(
            codes::GENERIC,
            format!(
                "cannot use more than one of {}: choose one partial-encryption option",
                names.join(", ")
            ),
        ));
    }
    Ok(given.into_iter().next().map(|(_, r)| r))
}

/// Everything needed to encrypt `file`: keys, threshold and partial encryption, from flags
/// over the matching creation rule (SOPS-FORMAT.md §8, precedence).
pub(crate) fn encrypt_options(
    file: &Path,
    config: Option<&Config>,
    keys: &KeyArgs,
    partial: &PartialArgs,
) -> Result<EncryptOptions, CliError> {
    let rule = match config {
        Some(c) if c.has_rules() => Some(c.rule_for(file)?.clone()),
        _ => None,
    };
    let rule = rule.unwrap_or_default();
    let key_groups = match group_from_flags(keys)? {
        Some(group) => vec![group],
        None => rule.key_groups.clone(),
    };
    if key_groups.iter().all(Vec::is_empty) {
        return Err(CliError::new(
            codes::GENERIC,
            "config file not found, or has no creation rules, and no keys provided through command line options\n  hint: pass --age RECIPIENT (or set SOPS_AGE_RECIPIENTS), or add a creation rule to .sops.yaml",
        ));
    }
    // 0 (unset) means all groups; sops-core writes the group count when it wraps the key.
    let shamir_threshold = if partial.shamir_threshold != 0 {
        partial.shamir_threshold
    } else {
        rule.shamir_threshold
    };
    Ok(EncryptOptions {
        key_groups,
        shamir_threshold,
        partial: partial_from_flags(partial)?.or(rule.partial.clone()),
        mac_only_encrypted: partial.mac_only_encrypted || rule.mac_only_encrypted,
    })
}

/// Loads `.sops.yaml` if there is one (a broken one is an error, as in sops).
pub(crate) fn load_config(explicit: Option<&Path>) -> Result<Option<Config>, CliError> {
    config::find(explicit)?
        .map(|p| config::load(&p))
        .transpose()
}
