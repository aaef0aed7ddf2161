//! [`EncryptedFile`]: parsing an encrypted file, reading its metadata, decrypting it and
//! writing it back.

use super::{DecryptedFile, EncryptedFile};
use crate::engine::{decrypt_tree_stashing, unwrap_data_key, DecryptOptions};
use crate::error::Error;
use crate::keys::keyring::Keyring;
use crate::metadata::Metadata;
use crate::store::{Format, StoreOptions};
use crate::tree::Tree;
use crate::walk::IvStash;

impl EncryptedFile {
    /// Parses an encrypted file in `format` with default store settings. Fails with
    /// "sops metadata not found" when the file is not encrypted.
    pub fn parse(input: &[u8], format: Format) -> Result<Self, Error> {
        Self::parse_with(input, format, &StoreOptions::default())
    }

    /// [`parse`](Self::parse) with store settings (indentation), which [`to_bytes`] and the
    /// decrypted file's output keep.
    ///
    /// [`to_bytes`]: Self::to_bytes
    pub fn parse_with(
        input: &[u8],
        format: Format,
        store_options: &StoreOptions,
    ) -> Result<Self, Error> {
        let (tree, metadata_node) = format.store_with(store_options).load_encrypted(input)?;
        let metadata = Metadata::from_mapping(&metadata_node)?;
        Ok(EncryptedFile {
            format,
            store_options: *store_options,
            tree,
            metadata,
        })
    }

    /// The file's format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The `sops` metadata: key groups, threshold, partial-encryption rule, MAC, times.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The tree without the `sops` key, its encrypted values as `ENC[…]` strings.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// Unwraps the data key with `keys`, decrypts every value and checks the MAC (unless
    /// `options.ignore_mac`).
    pub fn decrypt(
        &self,
        keys: &Keyring,
        options: &DecryptOptions,
    ) -> Result<DecryptedFile, Error> {
        let data_key = unwrap_data_key(&self.metadata, &keys.sources(), &options.decryption_order)?;
        let mut tree = self.tree.clone();
        let mut stash = IvStash::default();
        decrypt_tree_stashing(
            &mut tree,
            &self.metadata,
            &data_key,
            options.ignore_mac,
            Some(&mut stash),
        )?;
        Ok(DecryptedFile {
            format: self.format,
            store_options: self.store_options,
            tree,
            metadata: self.metadata.clone(),
            data_key,
            stash,
        })
    }

    /// Writes the encrypted file in its format.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        self.to_bytes_as(self.format)
    }

    /// Writes the encrypted file in another format (`--output-type`).
    pub fn to_bytes_as(&self, format: Format) -> Result<Vec<u8>, Error> {
        format
            .store_with(&self.store_options)
            .emit_encrypted(&self.tree, &self.metadata)
    }
}
