//! The typed API: whole files in, whole files out.
//!
//! Tier 1 is two functions, [`decrypt`] and [`encrypt`], from bytes to bytes with a
//! [`Keyring`]. Tier 2 is for programs that change encrypted files (edit, set, rotate,
//! updatekeys): an [`EncryptedFile`] is a parsed file whose metadata can be read without any
//! key; [`EncryptedFile::decrypt`] gives a [`DecryptedFile`], whose plaintext tree can be read
//! and changed and which [`reseal`](DecryptedFile::reseal)s into an `EncryptedFile` again,
//! keeping the exact ciphertext of every value that did not change.
//!
//! The two file types are defined here and implemented in [`encrypted`] and [`decrypted`], so
//! that each can name the other without the two modules depending on each other.

mod decrypted;
mod encrypted;
mod options;

pub use options::EncryptOptionsBuilder;

use crate::engine::{decrypt_file, encrypt_file, DecryptOptions, EncryptOptions};
use crate::error::Error;
use crate::keys::keyring::Keyring;
use crate::metadata::Metadata;
use crate::secret::{DataKey, SecretBytes};
use crate::store::{Format, StoreOptions};
use crate::tree::Tree;
use crate::walk::IvStash;

/// Decrypts a whole file in `format` with the keys of `keys` and returns what `sops decrypt`
/// prints, in a buffer that is zeroized when dropped.
pub fn decrypt(
    input: &[u8],
    format: Format,
    keys: &Keyring,
    options: &DecryptOptions,
) -> Result<SecretBytes, Error> {
    decrypt_file(input, format, &keys.sources(), options).map(SecretBytes::new)
}

/// Encrypts a whole plaintext file in `format` to the recipients of `options` (wrapping the
/// data key with the sources of `keys`) and returns the encrypted file.
pub fn encrypt(
    input: &[u8],
    format: Format,
    keys: &Keyring,
    options: &EncryptOptions,
) -> Result<Vec<u8>, Error> {
    encrypt_file(input, format, &keys.sources(), options)
}

/// An encrypted file, parsed: its values still encrypted, its metadata readable without keys.
#[derive(Clone)]
pub struct EncryptedFile {
    format: Format,
    store_options: StoreOptions,
    /// The tree without the `sops` key; encrypted values are `ENC[…]` strings.
    tree: Tree,
    metadata: Metadata,
}

/// A decrypted file: the plaintext tree, its metadata and data key, and the IVs its values had,
/// so that [`reseal`](DecryptedFile::reseal) writes unchanged values byte for byte as they were.
///
/// It implements no `Debug`: the tree and the data key are secret.
pub struct DecryptedFile {
    format: Format,
    store_options: StoreOptions,
    tree: Tree,
    metadata: Metadata,
    data_key: DataKey,
    stash: IvStash,
}
