//! The SOPS file format engine.
//!
//! `sops-core` reads and writes files in the format of [SOPS](https://github.com/getsops/sops)
//! 3.11, byte for byte: an ordered document [`tree`], per-value AES-256-GCM, a MAC over all
//! values, the `sops` [`metadata`] block and the [`store`]s that turn files into trees and
//! back. It names no key backend: master keys plug in through [`KeySource`], and a program
//! holds the ones it has in a [`Keyring`] (the `sops-keys` crate has age, PGP and AWS KMS).
//!
//! # Tier 1: decrypt and encrypt whole files
//!
//! [`decrypt`] and [`encrypt`] take a file's bytes, its [`Format`], a [`Keyring`] and
//! options, and give bytes back. A keyring tries *every* source of an entry's key type, in
//! the order they were added, until one opens it. [`EncryptOptions::builder`] checks the
//! options as sops does (key groups, Shamir threshold, partial encryption).
//!
//! Real programs fill the keyring from the `sops-keys` crate; this example uses a toy
//! [`KeySource`] that stores the data key in the clear, so that it runs without any key
//! material.
//!
//! ```
//! use sops_core::{decrypt, encrypt, DecryptOptions, EncryptOptions, Format, Keyring};
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
//!             .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
//!             .collect::<Option<Vec<u8>>>()?;
//!         Some(Ok(SecretBytes::new(bytes)))
//!     }
//! }
//!
//! # fn main() -> Result<(), sops_core::Error> {
//! let keys = Keyring::new().with(CleartextKey);
//! let mut recipient = KeyEntry::new("age");
//! recipient.set_field("recipient", "example");
//! let options = EncryptOptions::builder().recipient(recipient).build()?;
//!
//! let encrypted = encrypt(b"password: hunter2\n", Format::Yaml, &keys, &options)?;
//! assert!(String::from_utf8_lossy(&encrypted).starts_with("password: ENC[AES256_GCM,data:"));
//!
//! let plaintext = decrypt(&encrypted, Format::Yaml, &keys, &DecryptOptions::default())?;
//! assert_eq!(plaintext.secret_bytes(), b"password: hunter2\n");
//! # Ok(()) }
//! ```
//!
//! # Tier 2: change an encrypted file
//!
//! For edit, set, rotate and updatekeys: [`EncryptedFile::parse`] reads a file whose
//! [`metadata`](EncryptedFile::metadata) can be read without any key;
//! [`decrypt`](EncryptedFile::decrypt) gives a [`DecryptedFile`] whose [`tree`] can be
//! changed; [`reseal`](DecryptedFile::reseal) encrypts it again with the same data key, keeping
//! the exact ciphertext of every unchanged value and writing a new MAC and `lastmodified`.
//! [`DecryptedFile::rotate`] and [`DecryptedFile::update_keys`] change the data key or who can
//! open the file.
//!
//! ```
//! # use sops_core::{KeyEntry, KeyError, KeySource, SecretBytes};
//! # struct CleartextKey;
//! # impl KeySource for CleartextKey {
//! #     fn key_type(&self) -> &str { "age" }
//! #     fn wrap(&self, entry: &mut KeyEntry, secret: &[u8]) -> Result<(), KeyError> {
//! #         entry.set_field("enc", secret.iter().map(|b| format!("{b:02x}")).collect::<String>());
//! #         Ok(())
//! #     }
//! #     fn unwrap(&self, entry: &KeyEntry) -> Option<Result<SecretBytes, KeyError>> {
//! #         let hex = entry.field("enc")?;
//! #         let bytes = (0..hex.len()).step_by(2)
//! #             .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
//! #             .collect::<Option<Vec<u8>>>()?;
//! #         Some(Ok(SecretBytes::new(bytes)))
//! #     }
//! # }
//! use sops_core::tree::Node;
//! use sops_core::{encrypt, DecryptOptions, EncryptOptions, EncryptedFile, Format, Keyring};
//!
//! # fn main() -> Result<(), sops_core::Error> {
//! let keys = Keyring::new().with(CleartextKey);
//! let mut recipient = KeyEntry::new("age");
//! recipient.set_field("recipient", "example");
//! let options = EncryptOptions::builder().recipient(recipient).build()?;
//! let original = encrypt(b"user: admin\npassword: hunter2\n", Format::Yaml, &keys, &options)?;
//!
//! // The metadata is readable without any key.
//! let file = EncryptedFile::parse(&original, Format::Yaml)?;
//! assert_eq!(file.metadata().key_groups[0][0].describe(), "age example");
//!
//! // Decrypt, change one value, encrypt again.
//! let mut decrypted = file.decrypt(&keys, &DecryptOptions::default())?;
//! let document = &mut decrypted.tree_mut().branches[0];
//! *document.get_mut("password").expect("a password") = Node::string("correct horse");
//! let resealed = decrypted.reseal()?;
//!
//! // The unchanged value keeps its exact ciphertext; the changed one does not.
//! let before = file.tree().branches[0].clone();
//! let after = &resealed.tree().branches[0];
//! assert_eq!(after.get("user").and_then(Node::as_str), before.get("user").and_then(Node::as_str));
//! assert_ne!(after.get("password").and_then(Node::as_str), before.get("password").and_then(Node::as_str));
//!
//! let written = resealed.to_bytes()?;
//! let reread = sops_core::decrypt(&written, Format::Yaml, &keys, &DecryptOptions::default())?;
//! assert_eq!(reread.secret_bytes(), b"user: admin\npassword: correct horse\n");
//! # Ok(()) }
//! ```
//!
//! # Where the rest is
//!
//! - [`tree`]: the document tree both tiers hand out; [`metadata`]: the `sops` block;
//!   [`store`]: the formats, their settings ([`store::StoreOptions`]) and the [`store::Store`]
//!   trait.
//! - [`merge`]: the three-way merge of decrypted trees and of metadata behind
//!   `sops-rs git merge-driver`.
//! - [`KeySource`], [`KeyEntry`] and [`KeyError`]: what a key backend implements and works on.
//! - [`Error`] and [`ErrorKind`]: every failure, with the exit code sops uses for it and a hint.
//! - [`DataKey`], [`SecretBytes`], [`SecretText`]: secret material, zeroized on drop, never
//!   printed.
//! - The engine's steps (walking a tree, the value cipher, the MAC, the unwrap cache) are not
//!   public API; the `sops-rs` binary, the benchmarks and the fuzz targets reach them through a
//!   hidden `internal` module that may change at any time.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod cipher;
pub mod config;
mod engine;
mod error;
mod file;
mod go;
mod keys;
mod mac;
pub mod merge;
pub mod metadata;
mod secret;
pub mod store;
pub mod tree;
mod walk;

pub use engine::{DecryptOptions, EncryptOptions, SOPS_VERSION};
pub use error::{Error, ErrorKind};
pub use file::{decrypt, encrypt, DecryptedFile, EncryptOptionsBuilder, EncryptedFile};
pub use keys::keyring::Keyring;
pub use keys::{KeyEntry, KeyError, KeySource};
pub use metadata::{Metadata, MetadataLayout, PartialRule};
pub use secret::{DataKey, SecretBytes, SecretText};
pub use store::Format;

/// The engine's steps, for the `sops-rs` binary, `sops-keys`, the benchmarks and the fuzz
/// targets. Not public API: anything here may change or go without notice; use the typed API
/// at the crate root instead.
#[doc(hidden)]
pub mod internal {
    pub use crate::engine::{
        decrypt_file, decrypt_tree, decrypt_tree_stashing, encrypt_file, encrypt_tree,
        encrypt_tree_reusing, new_metadata, open_file, open_loaded, open_tree, seal_tree,
        unwrap_data_key, wrap_data_key, OpenedFile,
    };
    pub use crate::go::{parse_rfc3339, CivilTime};
    pub use crate::keys::cache::{CachedSource, UnwrapCache};
    pub use crate::walk::{IvStash, PathPolicy};

    /// Per-value AES-256-GCM and the `ENC[…]` codec.
    pub mod cipher {
        pub use crate::cipher::*;

        /// Encrypts `plaintext` with a given IV, as re-encrypting an unchanged value does
        /// (for the fuzz targets; [`ValueCipher`] itself only encrypts with fresh IVs).
        pub fn encrypt_with_iv(
            cipher: &ValueCipher,
            plaintext: &[u8],
            aad: &[u8],
            value_type: ValueType,
            iv: &[u8; 32],
        ) -> String {
            cipher.encrypt_with_iv(plaintext, aad, value_type, iv)
        }
    }

    /// The MAC over a file's values.
    pub mod mac {
        pub use crate::mac::*;
    }
}

/// How many threads to use for work that splits: the cores this process may run on, at most
/// `max` (1 when that cannot be told).
pub(crate) fn cores(max: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(max)
}
