//! Whole-file operations: encrypt a plaintext file, decrypt an encrypted one.
use crate::error::Error;
use crate::keysource::KeySource;
use crate::store::Format;
use crate::tree::Tree;

/// Options for decryption.
#[derive(Default)]
pub struct DecryptOptions {
    /// Skip the MAC check (`--ignore-mac`).
    pub ignore_mac: bool,
}

/// Options for encryption.
#[derive(Default)]
pub struct EncryptOptions {}

/// Decrypts a whole file.
pub fn decrypt_file(
    _input: &[u8],
    _format: Format,
    _sources: &[&dyn KeySource],
    _options: &DecryptOptions,
) -> Result<Vec<u8>, Error> {
    todo!()
}
/// Encrypts a whole file.
pub fn encrypt_file() {}
/// Decrypts a tree.
pub fn decrypt_tree(_t: &mut Tree) {}
/// Encrypts a tree.
pub fn encrypt_tree(_t: &mut Tree) {}

pub(crate) fn doc_example_file() -> Vec<u8> {
    Vec::new()
}
