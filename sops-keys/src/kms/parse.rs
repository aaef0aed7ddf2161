//! Parsing for the AWS KMS backend: key lists, encryption contexts, ARNs and the STS session
//! name, all as sops 3.11 does them.
//!
//! * [`parse_arn_list`] turns `--kms` / `SOPS_KMS_ARN` / a `.sops.yaml` `kms:` string into
//!   metadata entry templates. Spaces are removed, the list is split on `,`, and an element of the
//!   form `arn:…:key/x+arn:aws:iam::…:role/r` splits into the key ARN and the role to assume.
//! * [`parse_encryption_context`] reads `--encryption-context k1:v1,k2:v2`; anything else is the
//!   error sops reports with exit code [`INVALID_CONTEXT_EXIT_CODE`].
//! * [`region_from_arn`] applies sops' ARN pattern
//!   `^arn:aws[\w-]*:kms:(.+):[0-9]+:(key|alias)/.+$` and returns the region group.
//! * [`sts_session_name`] builds `sops@<hostname>` the way sops sanitises and truncates it.

pub use super::key::{format_encryption_context, split_arn_role};

use super::key::KmsKey;
use sops_core::{KeyEntry, KeyError};
use std::collections::BTreeMap;

/// The exit code sops uses for an invalid `--encryption-context` (`codes.ErrorInvalidKMSEncryptionContextFormat`).
pub const INVALID_CONTEXT_EXIT_CODE: i32 = 6;

/// The longest role session name STS accepts; sops truncates to it.
pub const ROLE_SESSION_NAME_LIMIT: usize = 64;

/// Splits a comma-separated KMS key list (`--kms`, `SOPS_KMS_ARN`, a `.sops.yaml` `kms:` value)
/// into metadata entry templates, each with `arn`, `role` (when given), `context` (when
/// `context` is not empty) and `aws_profile`.
///
/// Like sops 3.12+, every space is removed first and an element is split at its first `+arn:`
/// (of any AWS partition) into the key ARN and the role ARN. An empty list gives no entries; an empty
/// element gives an entry with an empty ARN, which fails when it is used, as in sops.
pub fn parse_arn_list(
    list: &str,
    context: &BTreeMap<String, String>,
    aws_profile: &str,
) -> Vec<KeyEntry> {
    if list.is_empty() {
        return Vec::new();
    }
    list.split(',')
        .map(|item| KmsKey::from_arn_string(item, context.clone(), aws_profile).to_entry())
        .collect()
}

/// Parses `--encryption-context k1:v1,k2:v2` into a sorted map.
///
/// An empty string gives an empty map. Every comma-separated element must contain exactly one
/// `:`; keys and values are taken verbatim (no trimming, empty allowed) and a repeated key keeps
/// its last value, as in sops 3.11. Any other input is an error whose message starts with sops'
/// "Invalid KMS encryption context format"; the CLI exits with [`INVALID_CONTEXT_EXIT_CODE`].
pub fn parse_encryption_context(text: &str) -> Result<BTreeMap<String, String>, KeyError> {
    let mut out = BTreeMap::new();
    if text.is_empty() {
        return Ok(out);
    }
    for (index, pair) in text.split(',').enumerate() {
        let mut parts = pair.split(':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(key), Some(value), None) => {
                out.insert(key.to_owned(), value.to_owned());
            }
            _ => {
                return Err(KeyError::new(format!(
                    "Invalid KMS encryption context format: element {} ({pair:?}) is not \
                     key:value; expected a comma-separated list like k1:v1,k2:v2",
                    index + 1
                )))
            }
        }
    }
    Ok(out)
}

/// The region of a KMS key ARN, by sops' pattern `^arn:aws[\w-]*:kms:(.+):[0-9]+:(key|alias)/.+$`
/// (the greedy region group). Fails with sops' "no valid ARN found" message otherwise.
pub fn region_from_arn(arn: &str) -> Result<String, KeyError> {
    match match_arn(arn) {
        Some(region) => Ok(region.to_owned()),
        None => Err(KeyError::new(format!(
            "no valid ARN found in '{arn}' (expected arn:aws:kms:REGION:ACCOUNT:key/ID or \
             …:alias/NAME)"
        ))),
    }
}

/// Matches the ARN pattern by hand; `.` in Go's regexp matches anything but `\n`.
fn match_arn(arn: &str) -> Option<&str> {
    if arn.contains('\n') {
        return None;
    }
    let rest = arn.strip_prefix("arn:aws")?;
    let partition_end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    let rest = rest[partition_end..].strip_prefix(":kms:")?;
    // `(.+)` is greedy: the longest region for which the remainder still matches.
    rest.char_indices()
        .rev()
        .filter(|(i, c)| *c == ':' && *i > 0)
        .find(|(i, _)| tail_matches(&rest[i + 1..]))
        .map(|(i, _)| &rest[..i])
}

/// `[0-9]+:(key|alias)/.+`
fn tail_matches(tail: &str) -> bool {
    let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    let Some(after) = tail[digits..].strip_prefix(':') else {
        return false;
    };
    let name = after
        .strip_prefix("key/")
        .or_else(|| after.strip_prefix("alias/"));
    matches!(name, Some(n) if !n.is_empty())
}

/// The STS role session name sops 3.11 uses: `sops@` and the hostname with every character
/// outside Go's class `[a-zA-Z0-9=,.@-_]` removed, cut to [`ROLE_SESSION_NAME_LIMIT`] bytes.
///
/// That class contains the range `@-_` (`@`, `A`–`Z`, `[`, `\`, `]`, `^`, `_`) rather than a
/// literal `-`, so sops drops hyphens from the hostname; this function does the same, so that
/// sessions look alike in CloudTrail.
pub fn sts_session_name(hostname: &str) -> String {
    let kept: String = hostname
        .chars()
        .filter(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '=' | ',' | '.') || ('@'..='_').contains(c)
        })
        .collect();
    let mut name = format!("sops@{kept}");
    name.truncate(ROLE_SESSION_NAME_LIMIT);
    name
}

/// This machine's hostname as Go's `os.Hostname` finds it on Linux
/// (`/proc/sys/kernel/hostname`), else from the `hostname` command.
pub fn hostname() -> Result<String, KeyError> {
    let from_proc = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim_end_matches('\n').to_owned())
        .filter(|s| !s.is_empty());
    if let Some(name) = from_proc {
        return Ok(name);
    }
    let output = std::process::Command::new("hostname")
        .output()
        .map_err(|e| session_name_error(&e))?;
    let name = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !output.status.success() || name.is_empty() {
        return Err(session_name_error(&"`hostname` printed no name"));
    }
    Ok(name)
}

fn session_name_error(e: &dyn std::fmt::Display) -> KeyError {
    KeyError::new(format!(
        "failed to construct STS session name: cannot determine the hostname: {e}"
    ))
}
