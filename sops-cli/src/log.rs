//! `--verbose`: the lines sops logs on stderr, in sops's (logrus) format:
//! `[SOPS]\t time="2026-01-02T03:04:05Z" level=info msg="Data key recovered successfully"`.
//! One line per master key tried comes from [`Logged`], a wrapper around each key source; no
//! line ever holds a secret (only recipients, fingerprints and ARNs, which sops logs too).

use sops_core::{KeyEntry, KeyError, KeySource, SecretBytes};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static VERBOSE: AtomicBool = AtomicBool::new(false);

/// Turns verbose logging on or off for the whole process.
pub(crate) fn set_verbose(on: bool) {
    VERBOSE.store(on, Ordering::Relaxed);
}

fn verbose() -> bool {
    VERBOSE.load(Ordering::Relaxed)
}

/// A logrus value: bare when it holds only `A-Za-z0-9-._/@^+`, else Go-quoted.
fn field_value(value: &str) -> String {
    let bare = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._/@^+".contains(c));
    if bare {
        value.to_owned()
    } else {
        serde_json::to_string(value).unwrap_or_default()
    }
}

/// One log line, formatted as sops's logger does (time in UTC, second precision).
pub(crate) fn line(logger: &str, level: &str, msg: &str, fields: &[(&str, &str)]) -> String {
    let time = sops_core::internal::CivilTime::now_utc().rfc3339();
    let mut out = format!(
        "[{logger}]\t time=\"{time}\" level={level} msg={}",
        field_value(msg)
    );
    for (name, value) in fields {
        out.push_str(&format!(" {name}={}", field_value(value)));
    }
    out
}

/// Writes one line on stderr when `--verbose` was given.
pub(crate) fn log(logger: &str, level: &str, msg: &str, fields: &[(&str, &str)]) {
    if verbose() {
        let _ = writeln!(
            std::io::stderr().lock(),
            "{}",
            line(logger, level, msg, fields)
        );
    }
}

/// sops's lines after the data key was recovered, before the tree is decrypted.
pub(crate) fn data_key_recovered() {
    log("SOPS", "info", "Data key recovered successfully", &[]);
    log("SOPS", "debug", "Decrypting tree", &[]);
}

/// A key source that logs each wrap and unwrap as sops's backend of that type does.
pub(crate) struct Logged<S> {
    source: S,
}

impl<S> Logged<S> {
    pub(crate) fn new(source: S) -> Self {
        Logged { source }
    }
}

impl<S> std::ops::Deref for Logged<S> {
    type Target = S;
    fn deref(&self) -> &S {
        &self.source
    }
}

/// sops's logger name and the field that names a key, for encryption and for decryption.
fn describe(entry: &KeyEntry) -> (&'static str, Option<(&'static str, String)>, bool) {
    let field = |name: &str| entry.field(name).unwrap_or_default().to_owned();
    match entry.key_type.as_str() {
        "age" => ("AGE", Some(("recipient", field("recipient"))), false),
        "pgp" => ("PGP", Some(("fingerprint", field("fp"))), true),
        "kms" => ("AWSKMS", Some(("arn", field("arn"))), true),
        "gcp_kms" => ("GCPKMS", Some(("resourceID", field("resource_id"))), true),
        "azure_kv" => ("AZKV", Some(("version", field("version"))), true),
        "hc_vault" => (
            "VAULT_TRANSIT",
            Some((
                "Path",
                sops_keys::vault::entry_uri(entry).unwrap_or_default(),
            )),
            true,
        ),
        "hckms" => ("HCKMS", Some(("keyID", field("key_id"))), true),
        _ => ("SOPS", None, false),
    }
}

fn log_key(entry: &KeyEntry, msg: &str, encrypting: bool) {
    if !verbose() {
        return;
    }
    let (logger, field, on_decrypt) = describe(entry);
    match field {
        Some((name, value)) if encrypting || on_decrypt => {
            log(logger, "info", msg, &[(name, &value)]);
        }
        _ => log(logger, "info", msg, &[]),
    }
}

impl<S: KeySource> KeySource for Logged<S> {
    fn key_type(&self) -> &str {
        self.source.key_type()
    }

    fn wrap(&self, entry: &mut KeyEntry, secret: &[u8]) -> Result<(), KeyError> {
        let result = self.source.wrap(entry, secret);
        let msg = match result {
            Ok(()) => "Encryption succeeded",
            Err(_) => "Encryption failed",
        };
        log_key(entry, msg, true);
        result
    }

    fn unwrap(&self, entry: &KeyEntry) -> Option<Result<SecretBytes, KeyError>> {
        let result = self.source.unwrap(entry);
        let msg = match result {
            Some(Ok(_)) => "Decryption succeeded",
            _ => "Decryption failed",
        };
        log_key(entry, msg, false);
        result
    }

    fn is_remote(&self) -> bool {
        self.source.is_remote()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_look_like_logrus() {
        let l = line(
            "PGP",
            "info",
            "Decryption succeeded",
            &[("fingerprint", "CC8C")],
        );
        assert!(l.starts_with("[PGP]\t time=\""), "{l}");
        assert!(l.ends_with("Z\" level=info msg=\"Decryption succeeded\" fingerprint=CC8C"));
        assert_eq!(field_value("arn:aws:kms"), "\"arn:aws:kms\"");
        assert_eq!(field_value("age1abc"), "age1abc");
    }
}
