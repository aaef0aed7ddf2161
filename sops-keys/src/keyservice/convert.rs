//! Between sops-core's metadata entries ([`KeyEntry`]) and the protocol's [`Key`] message.
//!
//! This is the one place that knows each key kind's fields: [`key_of_entry`] and
//! [`fields_of_key`] have one match arm per kind, in both directions, and [`LAYOUTS`] gives the
//! order sops writes a wrapped entry's fields in. A backend added to sops-keys needs nothing
//! here (all seven kinds of the protocol are mapped already); a new kind of the protocol would
//! be one arm in each function and one line in [`LAYOUTS`].

use super::proto::{
    AgeKey, AzureKeyVaultKey, GcpKmsKey, HckmsKey, Key, KeyType, KmsKey, PgpKey, VaultKey,
};
use sops_core::tree::{Mapping, Node};
use sops_core::{KeyEntry, KeyError};
use std::collections::BTreeMap;

/// The fields of a wrapped entry of each type, in sops's order. `role` and `context` of a KMS
/// entry are left out when empty (sops's `omitempty`); every other listed field is written.
pub const LAYOUTS: &[(&str, &[&str])] = &[
    ("age", &["recipient", "enc"]),
    ("pgp", &["created_at", "enc", "fp"]),
    (
        "kms",
        &["arn", "role", "context", "created_at", "enc", "aws_profile"],
    ),
    ("gcp_kms", &["resource_id", "created_at", "enc"]),
    (
        "azure_kv",
        &["vault_url", "name", "version", "created_at", "enc"],
    ),
    (
        "hc_vault",
        &[
            "vault_address",
            "engine_path",
            "key_name",
            "created_at",
            "enc",
        ],
    ),
    ("hckms", &["key_id", "created_at", "enc"]),
];

/// The protocol's description of the master key `entry` names, or `None` for a kind the
/// protocol has no message for.
pub fn key_of_entry(entry: &KeyEntry) -> Option<Key> {
    let text = |name: &str| entry.field(name).unwrap_or_default().to_owned();
    let key_type = match entry.key_type.as_str() {
        "age" => KeyType::AgeKey(AgeKey {
            recipient: text("recipient"),
        }),
        "pgp" => KeyType::PgpKey(PgpKey {
            fingerprint: text("fp"),
        }),
        "kms" => KeyType::KmsKey(KmsKey {
            arn: text("arn"),
            role: text("role"),
            context: context_of(entry),
            aws_profile: text("aws_profile"),
        }),
        "gcp_kms" => KeyType::GcpKmsKey(GcpKmsKey {
            resource_id: text("resource_id"),
        }),
        "azure_kv" => KeyType::AzureKeyvaultKey(azure_key(
            &text("vault_url"),
            entry.field("name"),
            &text("version"),
        )),
        "hc_vault" => KeyType::VaultKey(vault_key(
            &text("vault_address"),
            entry.field("engine_path"),
            &text("key_name"),
        )),
        "hckms" => KeyType::HckmsKey(HckmsKey {
            key_id: text("key_id"),
        }),
        _ => return None,
    };
    Some(Key {
        key_type: Some(key_type),
    })
}

/// The metadata type and identifying fields of `key` (no `enc`, no `created_at`), or an error
/// when the message names no key, as sops's server answers.
pub fn fields_of_key(key: &Key) -> Result<KeyEntry, KeyError> {
    let mut entry;
    match key.key_type.as_ref() {
        None => return Err(KeyError::new("Must provide a key")),
        Some(KeyType::AgeKey(k)) => {
            entry = KeyEntry::new("age");
            entry.set_field("recipient", k.recipient.clone());
        }
        Some(KeyType::PgpKey(k)) => {
            entry = KeyEntry::new("pgp");
            entry.set_field("fp", k.fingerprint.clone());
        }
        Some(KeyType::KmsKey(k)) => {
            entry = KeyEntry::new("kms");
            entry.set_field("arn", k.arn.clone());
            if !k.role.is_empty() {
                entry.set_field("role", k.role.clone());
            }
            if !k.context.is_empty() {
                let mut map = Mapping::default();
                for (name, value) in &k.context {
                    map.push(name.clone(), Node::string(value.clone()));
                }
                entry.fields.push(("context".into(), Node::Mapping(map)));
            }
            entry.set_field("aws_profile", k.aws_profile.clone());
        }
        Some(KeyType::GcpKmsKey(k)) => {
            entry = KeyEntry::new("gcp_kms");
            entry.set_field("resource_id", k.resource_id.clone());
        }
        Some(KeyType::AzureKeyvaultKey(k)) => {
            entry = KeyEntry::new("azure_kv");
            entry.set_field("vault_url", k.vault_url.clone());
            entry.set_field("name", k.name.clone());
            entry.set_field("version", k.version.clone());
        }
        Some(KeyType::VaultKey(k)) => {
            entry = KeyEntry::new("hc_vault");
            entry.set_field("vault_address", k.vault_address.clone());
            entry.set_field("engine_path", k.engine_path.clone());
            entry.set_field("key_name", k.key_name.clone());
        }
        Some(KeyType::HckmsKey(k)) => {
            entry = KeyEntry::new("hckms");
            entry.set_field("key_id", k.key_id.clone());
        }
    }
    Ok(entry)
}

/// How sops's server names `key` in its prompt and logs.
pub fn describe_key(key: &Key) -> String {
    match key.key_type.as_ref() {
        Some(KeyType::PgpKey(k)) => format!("PGP key with fingerprint {}", k.fingerprint),
        Some(KeyType::KmsKey(k)) => format!("AWS KMS key with ARN {}", k.arn),
        Some(KeyType::GcpKmsKey(k)) => format!("GCP KMS key with resource ID {}", k.resource_id),
        Some(KeyType::AzureKeyvaultKey(k)) => format!(
            "Azure Key Vault key with URL {}/keys/{}/{}",
            k.vault_url, k.name, k.version
        ),
        Some(KeyType::VaultKey(k)) => format!(
            "Hashicorp Vault key with URI {}/v1/{}/keys/{}",
            k.vault_address, k.engine_path, k.key_name
        ),
        Some(KeyType::AgeKey(k)) => format!("age key with recipient {}", k.recipient),
        Some(KeyType::HckmsKey(k)) => format!("HuaweiCloud KMS key with ID {}", k.key_id),
        None => "Unknown key type".into(),
    }
}

/// The entry sops writes for `key` wrapped as `enc`: the key's fields, `created_at` (kept from
/// `previous` when it has one, else `now`) and `enc`, in the order of [`LAYOUTS`].
pub fn wrapped_entry(key: &Key, previous: &KeyEntry, enc: &str, now: &str) -> KeyEntry {
    let base = fields_of_key(key).unwrap_or_else(|_| previous.clone());
    let layout = LAYOUTS
        .iter()
        .find(|(t, _)| *t == base.key_type)
        .map_or(&[][..], |(_, l)| *l);
    let mut out = KeyEntry::new(base.key_type.clone());
    for name in layout {
        match *name {
            "enc" => out.set_field("enc", enc),
            "created_at" => {
                let kept = previous.field("created_at").filter(|t| !t.is_empty());
                out.set_field("created_at", kept.unwrap_or(now));
            }
            other => {
                if let Some((_, value)) = base.fields.iter().find(|(k, _)| k == other) {
                    out.fields.push((other.to_owned(), value.clone()));
                }
            }
        }
    }
    out
}

/// A KMS entry's `context` mapping as a sorted map of its string values (null values are left
/// out, as sops does).
fn context_of(entry: &KeyEntry) -> BTreeMap<String, String> {
    let mut context = BTreeMap::new();
    if let Some((_, Node::Mapping(map))) = entry.fields.iter().find(|(k, _)| k == "context") {
        for (name, value) in map.pairs() {
            if let Some(text) = value.as_str() {
                context.insert(name.to_owned(), text.to_owned());
            }
        }
    }
    context
}

/// An Azure key from an entry that has `name` (sops's layout) or only a whole key URL in
/// `vault_url` (`https://V.vault.azure.net/keys/NAME/VERSION`, as `--azure-kv` gives it).
fn azure_key(vault_url: &str, name: Option<&str>, version: &str) -> AzureKeyVaultKey {
    if let Some(name) = name.filter(|n| !n.is_empty()) {
        return AzureKeyVaultKey {
            vault_url: vault_url.to_owned(),
            name: name.to_owned(),
            version: version.to_owned(),
        };
    }
    let trimmed = vault_url.trim_end_matches('/');
    match trimmed.split_once("/keys/") {
        Some((vault, rest)) => {
            let (name, version) = rest.split_once('/').unwrap_or((rest, ""));
            AzureKeyVaultKey {
                vault_url: vault.to_owned(),
                name: name.to_owned(),
                version: version.to_owned(),
            }
        }
        None => AzureKeyVaultKey {
            vault_url: vault_url.to_owned(),
            name: String::new(),
            version: version.to_owned(),
        },
    }
}

/// A Vault transit key from an entry that has `engine_path` (sops's layout) or only a whole
/// URI in `vault_address` (`https://vault:8200/v1/ENGINE/keys/NAME`, as `--hc-vault-transit`
/// gives it).
fn vault_key(address: &str, engine_path: Option<&str>, key_name: &str) -> VaultKey {
    if let Some(engine_path) = engine_path.filter(|p| !p.is_empty()) {
        return VaultKey {
            vault_address: address.to_owned(),
            engine_path: engine_path.to_owned(),
            key_name: key_name.to_owned(),
        };
    }
    let split = address.split_once("/v1/").and_then(|(base, rest)| {
        let (engine, name) = rest.trim_end_matches('/').rsplit_once("/keys/")?;
        Some(VaultKey {
            vault_address: base.to_owned(),
            engine_path: engine.to_owned(),
            key_name: name.to_owned(),
        })
    });
    split.unwrap_or_else(|| VaultKey {
        vault_address: address.to_owned(),
        engine_path: String::new(),
        key_name: key_name.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key_type: &str, fields: &[(&str, &str)]) -> KeyEntry {
        let mut entry = KeyEntry::new(key_type);
        for (name, value) in fields {
            entry.set_field(name, *value);
        }
        entry
    }

    #[test]
    fn every_kind_maps_both_ways() {
        for (key_type, layout) in LAYOUTS {
            let fields: Vec<(&str, &str)> = layout
                .iter()
                .filter(|f| !matches!(**f, "enc" | "created_at" | "role" | "context"))
                .map(|f| (*f, "x"))
                .collect();
            let original = entry(key_type, &fields);
            let key = key_of_entry(&original).expect("a protocol key");
            let back = fields_of_key(&key).expect("an entry");
            assert_eq!(back.key_type, *key_type);
            for (name, value) in &fields {
                assert_eq!(back.field(name), Some(*value), "{key_type} {name}");
            }
        }
        assert!(key_of_entry(&entry("future_kms", &[])).is_none());
        assert!(fields_of_key(&Key::default()).is_err());
    }

    #[test]
    fn whole_urls_are_split_as_sops_splits_them() {
        let azure = entry(
            "azure_kv",
            &[("vault_url", "https://v.vault.azure.net/keys/k/0123")],
        );
        let Some(KeyType::AzureKeyvaultKey(k)) = key_of_entry(&azure).and_then(|k| k.key_type)
        else {
            panic!("an Azure key");
        };
        assert_eq!(
            (k.vault_url.as_str(), k.name.as_str(), k.version.as_str()),
            ("https://v.vault.azure.net", "k", "0123")
        );
        let vault = entry(
            "hc_vault",
            &[(
                "vault_address",
                "https://vault:8200/v1/sops/transit/keys/dev",
            )],
        );
        let Some(KeyType::VaultKey(k)) = key_of_entry(&vault).and_then(|k| k.key_type) else {
            panic!("a Vault key");
        };
        assert_eq!(
            (
                k.vault_address.as_str(),
                k.engine_path.as_str(),
                k.key_name.as_str()
            ),
            ("https://vault:8200", "sops/transit", "dev")
        );
    }

    #[test]
    fn wrapped_entries_have_sops_field_order() {
        let kms = entry("kms", &[("arn", "arn:aws:kms:r:1:key/k")]);
        let key = key_of_entry(&kms).expect("a key");
        let wrapped = wrapped_entry(&key, &kms, "ENC", "2026-01-01T00:00:00Z");
        let names: Vec<&str> = wrapped.fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["arn", "created_at", "enc", "aws_profile"]);
        let pgp = entry(
            "pgp",
            &[("fp", "F"), ("created_at", "2020-01-01T00:00:00Z")],
        );
        let key = key_of_entry(&pgp).expect("a key");
        let wrapped = wrapped_entry(&key, &pgp, "M", "2026-01-01T00:00:00Z");
        let names: Vec<&str> = wrapped.fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["created_at", "enc", "fp"]);
        assert_eq!(wrapped.field("created_at"), Some("2020-01-01T00:00:00Z"));
    }
}
