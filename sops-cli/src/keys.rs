//! The master-key backends the CLI offers, and what to encrypt a file with: the key,
//! partial-encryption and Shamir flags (and their environment variables) over the matching
//! `.sops.yaml` creation rule, which `sops_core::config` finds, reads and picks.

use crate::cli::{KeyArgs, PartialArgs};
use crate::error::{codes, CliError};
use crate::log::Logged;
use sops_core::config::{find_config, key_entry, kms_entries as kms_list, Config, ConfigError};
use sops_core::{EncryptOptions, KeyEntry, PartialRule};
use sops_keys::age::IdentityEnv;
use sops_keys::age::{parse_recipients, AgeKeySource};
use sops_keys::azure::AzureKeySource;
use sops_keys::gcp::GcpKmsKeySource;
use sops_keys::hckms::HckmsKeySource;
use sops_keys::keyservice::{sources_in_order, RemoteKeySource};
use sops_keys::kms::parse::{parse_encryption_context, INVALID_CONTEXT_EXIT_CODE};
use sops_keys::kms::KmsKeySource;
use sops_keys::pgp::PgpKeySource;
use sops_keys::vault::VaultKeySource;
use std::path::Path;

/// Every backend this build of sops-rs can use, configured from the environment; each logs
/// its attempts under `--verbose` ([`crate::log::Logged`]).
pub(crate) struct KeySources {
    pub(crate) age: Logged<AgeKeySource>,
    pub(crate) kms: Logged<KmsKeySource>,
    pub(crate) pgp: Logged<PgpKeySource>,
    pub(crate) vault: Logged<VaultKeySource>,
    /// The key services of `--keyservice`/`SOPS_KEYSERVICE` ([`crate::services`]).
    remote: Vec<Logged<RemoteKeySource>>,
    /// `--enable-local-keyservice`: whether the backends above are used.
    local: bool,
    pub(crate) azure: Logged<AzureKeySource>,
    pub(crate) hckms: Logged<HckmsKeySource>,
    pub(crate) gcp: Logged<GcpKmsKeySource>,
}

impl KeySources {
    pub(crate) fn new(age: AgeKeySource, kms: KmsKeySource, pgp: PgpKeySource) -> Self {
        let services = crate::services::current();
        KeySources {
            age: Logged::new(age),
            kms: Logged::new(kms),
            pgp: Logged::new(pgp),
            vault: Logged::new(VaultKeySource::from_env()),
            remote: services.sources().into_iter().map(Logged::new).collect(),
            local: services.local,
            azure: Logged::new(AzureKeySource::new()),
            hckms: Logged::new(HckmsKeySource::new()),
            gcp: Logged::new(GcpKmsKeySource::new()),
        }
    }

    pub(crate) fn from_env() -> Self {
        let mut env = IdentityEnv::from_process();
        let value = std::env::var("SOPS_AGE_KEY")
            .ok()
            .map(zeroize::Zeroizing::new);
        if let Some(split) = value.as_deref().and_then(|v| one_per_line(v)) {
            env = env.with_var("SOPS_AGE_KEY", split.as_str());
        }
        Self::new(
            AgeKeySource::with_env(env),
            KmsKeySource::new(),
            PgpKeySource::from_env(),
        )
    }

    /// The local backends (a new backend is one more element here) and the key services, in
    /// the order they are asked ([`sources_in_order`]).
    pub(crate) fn as_list(&self) -> Vec<&dyn sops_core::KeySource> {
        let local: Vec<&dyn sops_core::KeySource> = vec![
            &self.age,
            &self.pgp,
            &self.kms,
            &self.vault,
            &self.azure,
            &self.hckms,
            &self.gcp,
        ];
        let remote = self.remote.iter().map(|s| s as &dyn sops_core::KeySource);
        sources_in_order(local, self.local, remote)
    }

    /// Adds to a "could not retrieve the data key" error the places each backend looked.
    pub(crate) fn explain(&self, error: sops_core::Error) -> CliError {
        if error.kind() == sops_core::ErrorKind::DataKeyUnavailable && self.local {
            let report = self.age.no_identity_error();
            return CliError::new(error.exit_code(), format!("{error}\n{report}"));
        }
        error.into()
    }
}

/// sops 3.13 (#2086): `SOPS_AGE_KEY` may hold several identities separated by any
/// whitespace, not only by newlines. Returns the value with one identity per line (comment
/// lines kept as they are), or `None` when it needs no change.
fn one_per_line(value: &str) -> Option<zeroize::Zeroizing<String>> {
    // Never longer than the input plus a newline: no reallocation leaves a copy behind.
    let mut out = zeroize::Zeroizing::new(String::with_capacity(value.len() + 1));
    let mut changed = false;
    for line in value.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || trimmed.split_whitespace().nth(1).is_none() {
            out.push_str(line);
        } else {
            changed = true;
            for (i, word) in trimmed.split_whitespace().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                out.push_str(word);
            }
        }
        out.push('\n');
    }
    changed.then_some(out)
}

/// A `.sops.yaml` problem: sops exits with 1 for every kind.
pub(crate) fn config_error(error: ConfigError) -> CliError {
    CliError::new(codes::GENERIC, error.to_string())
}

/// Finds and loads `.sops.yaml`: `explicit` (`--config`, `SOPS_CONFIG`), else the nearest one
/// from the working directory up. A config that is not YAML or has fields of the wrong type is
/// an error (exit 1), as in sops; its rules are checked when a file is matched against them.
pub(crate) fn load_config(explicit: Option<&Path>) -> Result<Option<Config>, CliError> {
    let start = std::env::current_dir().unwrap_or_default();
    let search = find_config(&start, explicit).map_err(config_error)?;
    for ignored in &search.ignored {
        eprintln!(
            "[CMD] warning: ignoring {}: only .sops.yaml is read",
            ignored.display()
        );
    }
    search
        .found
        .map(|path| Config::load(&path).map_err(config_error))
        .transpose()
}

fn split_list(list: &str) -> impl Iterator<Item = String> + '_ {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
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
    let context: Vec<(String, String)> = context.into_iter().collect();
    Ok(kms_list(list, &context, profile))
}

/// Entries of a key type named by one field from a comma-separated flag value. For the types
/// sops-rs cannot encrypt to yet (GCP KMS, Azure Key Vault, HuaweiCloud KMS) wrapping the data
/// key fails with a message that names the type; a Vault transit entry holds the key URI in
/// `vault_address` until the Vault backend wraps it (and refuses a malformed URI then).
/// Recipient entries of the remote key types (GCP KMS, Azure Key Vault, Vault transit,
/// HuaweiCloud KMS) from a comma-separated flag value, naming the key by its one identifying
/// field; the backend fills in the rest when it wraps (Azure splits its key URL then). Vault
/// transit has no backend yet: wrapping for it fails with a message that names the type.
pub(crate) fn unsupported_entries(key_type: &str, list: &str) -> Vec<KeyEntry> {
    let field = match key_type {
        "gcp_kms" => "resource_id",
        "azure_kv" => "vault_url",
        "hc_vault" => "vault_address",
        _ => "key_id",
    };
    split_list(list)
        .map(|v| key_entry(key_type, &[(field, &v)]))
        .collect()
}

/// Recipient entries named by key flags (one group), or `None` when no key flag was given.
pub(crate) fn group_from_flags(keys: &KeyArgs) -> Result<Option<Vec<KeyEntry>>, CliError> {
    let mut group = Vec::new();
    let mut any = false;
    if let Some(list) = keys.age.as_deref() {
        any = true;
        let recipients =
            parse_recipients(list).map_err(|e| CliError::new(codes::GENERIC, e.to_string()))?;
        group.extend(
            recipients
                .iter()
                .map(|r| key_entry("age", &[("recipient", r)])),
        );
    }
    if let Some(list) = keys.pgp.as_deref() {
        any = true;
        group.extend(split_list(list).map(|fp| key_entry("pgp", &[("fp", &fp.replace(' ', ""))])));
    }
    if let Some(list) = keys.kms.as_deref() {
        any = true;
        group.extend(kms_entries(
            list,
            keys.encryption_context.as_deref(),
            keys.aws_profile.as_deref().unwrap_or(""),
        )?);
    }
    for (list, key_type) in [
        (&keys.gcp_kms, "gcp_kms"),
        (&keys.azure_kv, "azure_kv"),
        (&keys.hc_vault_transit, "hc_vault"),
        (&keys.hckms, "hckms"),
    ] {
        if let Some(list) = list.as_deref() {
            any = true;
            group.extend(unsupported_entries(key_type, list));
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
/// over the matching creation rule (a config with creation rules but none for `file` is an
/// error even when keys are given, as in sops).
pub(crate) fn encrypt_options(
    file: &Path,
    config: Option<&Config>,
    keys: &KeyArgs,
    partial: &PartialArgs,
) -> Result<EncryptOptions, CliError> {
    let rule = match config {
        Some(c) if c.has_creation_rules() => Some(c.rule_for(file).map_err(config_error)?),
        _ => None,
    };
    let from_rule = rule
        .as_ref()
        .map(|r| r.encrypt_options())
        .unwrap_or_default();
    let key_groups = match group_from_flags(keys)? {
        Some(group) => vec![group],
        None => from_rule.key_groups,
    };
    if rule.is_some() && (key_groups.is_empty() || key_groups.iter().any(Vec::is_empty)) {
        // sops 3.11: a matching rule with no keys (`key_groups: []`, `[{}]`, an empty group
        // among others, or no key at all) fails when the data key is wrapped.
        return Err(CliError::new(
            codes::GENERIC,
            "Could not generate data key: [empty key group provided]",
        ));
    }
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
        rule.as_ref().map_or(0, |r| r.shamir_threshold())
    };
    Ok(EncryptOptions {
        key_groups,
        shamir_threshold,
        partial: partial_from_flags(partial)?.or(from_rule.partial),
        mac_only_encrypted: partial.mac_only_encrypted || from_rule.mac_only_encrypted,
    })
}

#[cfg(test)]
mod tests {
    use super::one_per_line;

    #[test]
    fn identities_on_one_line_are_split() {
        let split = one_per_line("# c: a b\nK1 K2\tK3\n").expect("changed");
        assert_eq!(split.as_str(), "# c: a b\nK1\nK2\nK3\n");
        assert!(one_per_line("# c: a b\nK1\nK2\n").is_none());
    }
}
