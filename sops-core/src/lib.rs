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
//! Decrypt a file whose data key a [`KeySource`] can unwrap:
//!
//! ```
//! # fn main() -> Result<(), sops_core::Error> {
//! use sops_core::{decrypt_file, DecryptOptions, Format};
//! # struct Fixed;
//! # impl sops_core::KeySource for Fixed {
//! #     fn key_type(&self) -> &str { "age" }
//! #     fn wrap(&self, _e: &mut sops_core::KeyEntry, _s: &[u8]) -> Result<(), sops_core::KeyError> { unimplemented!() }
//! #     fn unwrap(&self, _e: &sops_core::KeyEntry) -> Option<Result<sops_core::SecretBytes, sops_core::KeyError>> {
//! #         Some(Ok(sops_core::SecretBytes::new(vec![7u8; 32])))
//! #     }
//! # }
//! # let file = sops_core::doc_example_file();
//! # let my_age_identities = Fixed;
//! let plaintext = decrypt_file(&file, Format::Yaml, &[&my_age_identities], &DecryptOptions::default())?;
//! assert_eq!(&plaintext[..], b"password: hunter2\n");
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod cipher;
mod engine;
mod error;
mod keysource;
pub mod mac;
pub mod metadata;
mod secret;
pub mod store;
pub mod tree;
mod walk;

pub use engine::{
    decrypt_file, decrypt_tree, encrypt_file, encrypt_tree, DecryptOptions, EncryptOptions,
};
pub use error::{Error, ErrorKind};
pub use keysource::{KeyEntry, KeyError, KeySource};
pub use metadata::{Metadata, PartialRule};
pub use secret::{DataKey, SecretBytes, SecretText};
pub use store::Format;
pub use walk::PathPolicy;

#[doc(hidden)]
pub fn doc_example_file() -> Vec<u8> {
    engine::doc_example_file()
}
