//! [`SopsKeys`]: where `ref+sops://` gets the key sources that open an encrypted file. The
//! caller provides them (a command line its configured backends, a test a fixed identity), so
//! this crate names no key backend.

use sops_core::KeySource;

/// The key sources `ref+sops://` decrypts with, and how a failure to open a file is told.
///
/// Sources may be made on first use: [`SopsKeys::key_sources`] is only called when a
/// `ref+sops://` reference is resolved.
pub trait SopsKeys {
    /// The sources to try, in order.
    fn key_sources(&self) -> Vec<&dyn KeySource>;

    /// The message for `error`, returned by sops-core when a file could not be opened with
    /// [`SopsKeys::key_sources`]; a caller may add where each backend looked for keys. It must
    /// not contain secret values. By default, the error's own message.
    fn explain(&self, error: sops_core::Error) -> String {
        error.to_string()
    }
}

impl SopsKeys for Vec<&dyn KeySource> {
    fn key_sources(&self) -> Vec<&dyn KeySource> {
        self.clone()
    }
}
