//! [`CleartextKey`]: an insecure toy key source for tests of the format engine.
//!
//! It "wraps" the data key by hex-encoding it into the entry's `enc` field, so that files can be
//! encrypted and decrypted through `sops-core` without any key material or key backend. It names
//! itself `age`, so the metadata it writes looks like an age file's. Never use it outside tests.

use sops_core::{EncryptOptions, KeyEntry, KeyError, KeySource, SecretBytes};

/// Insecure: "wraps" the data key by hex-encoding it. For tests only.
#[derive(Clone, Copy, Debug, Default)]
pub struct CleartextKey;

impl KeySource for CleartextKey {
    fn key_type(&self) -> &str {
        "age"
    }

    fn wrap(&self, entry: &mut KeyEntry, secret: &[u8]) -> Result<(), KeyError> {
        let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        entry.set_field("enc", hex);
        Ok(())
    }

    /// `None` (not this key's entry) unless `enc` is even-length hex.
    fn unwrap(&self, entry: &KeyEntry) -> Option<Result<SecretBytes, KeyError>> {
        let hex = entry.field("enc")?;
        if hex.len() % 2 != 0 || !hex.is_ascii() {
            return None;
        }
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
            .collect::<Option<Vec<u8>>>()?;
        Some(Ok(SecretBytes::new(bytes)))
    }
}

/// Encryption options with one key group holding one `age` entry whose recipient is
/// `recipient`, for [`CleartextKey`].
pub fn cleartext_options(recipient: &str) -> EncryptOptions {
    let mut entry = KeyEntry::new("age");
    entry.set_field("recipient", recipient);
    EncryptOptions {
        key_groups: vec![vec![entry]],
        ..Default::default()
    }
}
