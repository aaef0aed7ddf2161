//! The SOPS file format engine.
//!
//! `sops-core` reads and writes files in the format of [SOPS](https://github.com/getsops/sops)
//! 3.11, byte for byte: an ordered document [`tree`], per-value AES-256-GCM ([`cipher`]), the
//! [`mac`] over all values, the `sops` [`metadata`] block and the [`store`]s that turn files into
//! trees and back. It names no key backend: master keys plug in through [`KeySource`]
//! (the `sops-keys` crate has age).
//!
//! # Example
//!
//! Encrypt a YAML file and decrypt it again. Real programs pass the age backend from the
//! `sops-keys` crate; this example uses a toy [`KeySource`] that stores the data key in the
//! clear, so that it runs without any key material.
//!
//! ```
//! use sops_core::{decrypt_file, encrypt_file, DecryptOptions, EncryptOptions, Format};
//! use sops_core::{KeyEntry, KeyError, KeySource, SecretBytes};
//!
//! /// Insecure: "wraps" the data key by hex-encoding it. For this example only.
//! struct CleartextKey;
//!
//! impl KeySource for CleartextKey {
//!     fn key_type(&self) -> &str { "age" }
//!     fn wrap(&self, entry: &mut KeyEntry, secret: &[u8]) -> Result<(), KeyError> {
//!         let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
//!         entry.set_field("enc", hex);
//!         Ok(())
//!     }
//!     fn unwrap(&self, entry: &KeyEntry) -> Option<Result<SecretBytes, KeyError>> {
//!         let hex = entry.field("enc")?;
//!         let bytes = (0..hex.len()).step_by(2)
//!             .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
//!             .collect::<Option<Vec<u8>>>()?;
//!         Some(Ok(SecretBytes::new(bytes)))
//!     }
//! }
//!
//! # fn main() -> Result<(), sops_core::Error> {
//! let mut recipient = KeyEntry::new("age");
//! recipient.set_field("recipient", "example");
//! let options = EncryptOptions { key_groups: vec![vec![recipient]], ..Default::default() };
//!
//! let encrypted = encrypt_file(b"password: hunter2\n", Format::Yaml, &[&CleartextKey], &options)?;
//! assert!(String::from_utf8_lossy(&encrypted).starts_with("password: ENC[AES256_GCM,data:"));
//!
//! let plaintext = decrypt_file(&encrypted, Format::Yaml, &[&CleartextKey], &DecryptOptions::default())?;
//! assert_eq!(plaintext, b"password: hunter2\n");
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod cipher;
pub mod config;
mod engine;
mod error;
mod go;
mod keys;
pub mod mac;
pub mod metadata;
mod secret;
pub mod store;
pub mod tree;
mod walk;

pub use engine::{
    decrypt_file, decrypt_tree, decrypt_tree_stashing, encrypt_file, encrypt_tree,
    encrypt_tree_reusing, new_metadata, open_file, open_loaded, open_tree, seal_tree,
    unwrap_data_key, wrap_data_key, DecryptOptions, EncryptOptions, OpenedFile, SOPS_VERSION,
};
pub use error::{Error, ErrorKind};
pub use go::{parse_rfc3339, parse_yaml_timestamp, CivilTime};
pub use keys::cache::{CachedSource, UnwrapCache};
pub use keys::shamir::{combine as shamir_combine, split as shamir_split};
pub use keys::{KeyEntry, KeyError, KeySource};
pub use metadata::{Metadata, PartialRule};
pub use secret::{DataKey, SecretBytes, SecretText};
pub use store::Format;
pub use walk::{IvStash, PathPolicy};

/// How many threads to use for work that splits: the cores this process may run on, at most
/// `max` (1 when that cannot be told).
pub(crate) fn cores(max: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(max)
}
