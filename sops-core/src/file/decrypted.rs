//! [`DecryptedFile`]: reading and changing the plaintext tree, changing who can open the file,
//! and sealing it again.

use super::{DecryptedFile, EncryptedFile};
use crate::engine::{encrypt_tree_reusing, wrap_data_key, EncryptOptions};
use crate::error::Error;
use crate::keys::keyring::Keyring;
use crate::keys::KeyEntry;
use crate::metadata::Metadata;
use crate::secret::{DataKey, SecretBytes};
use crate::store::Format;
use crate::tree::Tree;
use crate::walk::IvStash;

impl DecryptedFile {
    /// The format the file was read in.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The metadata as read (the MAC and `lastmodified` are replaced by
    /// [`reseal`](Self::reseal)).
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The plaintext tree.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// The plaintext tree, to change values; [`reseal`](Self::reseal) encrypts what changed.
    pub fn tree_mut(&mut self) -> &mut Tree {
        &mut self.tree
    }

    /// The data key that encrypts the values.
    pub fn data_key(&self) -> &DataKey {
        &self.data_key
    }

    /// The plaintext file in its format, as `sops decrypt` prints it.
    pub fn to_plaintext(&self) -> Result<SecretBytes, Error> {
        self.to_plaintext_as(self.format)
    }

    /// The plaintext file in another format (`--output-type`).
    pub fn to_plaintext_as(&self, format: Format) -> Result<SecretBytes, Error> {
        format
            .store_with(&self.store_options)
            .emit_plain(&self.tree)
            .map(SecretBytes::new)
    }

    /// Gives the file a new data key wrapped for the same recipients with `keys`; every value
    /// gets new ciphertext when the file is resealed (`sops rotate`).
    pub fn rotate(&mut self, keys: &Keyring) -> Result<(), Error> {
        let data_key = DataKey::generate();
        let mut metadata = self.metadata.clone();
        wrap_data_key(&mut metadata, &data_key, &keys.sources())?;
        self.metadata = metadata;
        self.data_key = data_key;
        self.stash = IvStash::default();
        Ok(())
    }

    /// Wraps the file's data key for `key_groups` instead of the recipients it has
    /// (`sops updatekeys`), checked as [`EncryptOptions::builder`] checks them; a
    /// `shamir_threshold` of 0 means every group. Values keep their ciphertext.
    pub fn update_keys(
        &mut self,
        key_groups: Vec<Vec<KeyEntry>>,
        shamir_threshold: u64,
        keys: &Keyring,
    ) -> Result<(), Error> {
        let checked = key_groups
            .into_iter()
            .fold(EncryptOptions::builder(), |b, group| b.key_group(group))
            .shamir_threshold(shamir_threshold)
            .build()?;
        let mut metadata = self.metadata.clone();
        metadata.key_groups = checked.key_groups;
        metadata.shamir_threshold = checked.shamir_threshold;
        wrap_data_key(&mut metadata, &self.data_key, &keys.sources())?;
        self.metadata = metadata;
        Ok(())
    }

    /// Encrypts the tree again: values that did not change keep their exact ciphertext,
    /// changed and new ones get a fresh IV, and the MAC and `lastmodified` are written anew.
    pub fn reseal(self) -> Result<EncryptedFile, Error> {
        let DecryptedFile {
            format,
            store_options,
            mut tree,
            mut metadata,
            data_key,
            mut stash,
        } = self;
        encrypt_tree_reusing(&mut tree, &mut metadata, &data_key, Some(&mut stash))?;
        Ok(EncryptedFile {
            format,
            store_options,
            tree,
            metadata,
        })
    }
}
