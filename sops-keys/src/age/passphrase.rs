//! Identity files that are themselves age files encrypted with a passphrase (`age -p`), as
//! sops 3.10+ reads them: the file is kept encrypted until an identity is first needed, then
//! the passphrase is asked for on the terminal (`/dev/tty`, never echoed) and the identities
//! inside are used like those of a plain file.
//!
//! The passphrase is asked for at most once per process: the identities, or the failure, are
//! kept for every later key. Without a terminal nothing is prompted and the failure says how
//! to proceed. scrypt work factors up to 2^22 are accepted, as in age.

use super::identities::{parse_identity_text, BoxedIdentity};
use age::secrecy::SecretString;
use age_core::format::{FileKey, Stanza};
use std::io::Read;
use std::sync::OnceLock;
use zeroize::Zeroizing;

/// The largest scrypt work factor (log2 N) accepted, age's own bound.
const MAX_WORK_FACTOR: u8 = 22;

/// A passphrase-protected identity file, opened on first use. No `Debug`: holds secrets.
pub(crate) struct EncryptedIdentityFile {
    /// Where the file came from, as sops names it in the prompt (`SOPS_AGE_KEY_FILE` or a path).
    location: String,
    contents: Zeroizing<Vec<u8>>,
    opened: OnceLock<Result<Vec<BoxedIdentity>, String>>,
}

impl EncryptedIdentityFile {
    pub(crate) fn new(location: String, contents: Zeroizing<Vec<u8>>) -> Self {
        EncryptedIdentityFile {
            location,
            contents,
            opened: OnceLock::new(),
        }
    }

    fn open(&self) -> Result<Vec<BoxedIdentity>, String> {
        let prompt = format!("Enter passphrase for identity '{}':", self.location);
        let passphrase = super::prompt::read_secret(&prompt).map_err(|e| {
            format!(
                "could not read the passphrase of the identity file {}: {e}; run sops-rs in a \
                 terminal, or set SOPS_AGE_KEY_CMD to a command that prints the identities \
                 (e.g. `age -d FILE`)",
                self.location
            )
        })?;
        let mut identity = age::scrypt::Identity::new(SecretString::from(passphrase.to_string()));
        identity.set_max_work_factor(MAX_WORK_FACTOR);
        let reader = age::armor::ArmoredReader::new(&self.contents[..]);
        let what = |e: &dyn std::fmt::Display| {
            format!("failed to decrypt the identity file {}: {e}", self.location)
        };
        let decryptor = age::Decryptor::new_buffered(reader).map_err(|e| what(&e))?;
        let mut plain = Zeroizing::new(Vec::new());
        match decryptor.decrypt(std::iter::once(&identity as &dyn age::Identity)) {
            Ok(mut stream) => stream.read_to_end(&mut plain).map_err(|e| what(&e))?,
            Err(age::DecryptError::NoMatchingKeys | age::DecryptError::DecryptionFailed) => {
                return Err(format!(
                    "incorrect passphrase for the identity file {}",
                    self.location
                ))
            }
            Err(e) => return Err(what(&e)),
        };
        let text = std::str::from_utf8(&plain).map_err(|_| {
            format!(
                "the identity file {} decrypts to something that is not UTF-8 text",
                self.location
            )
        })?;
        let found = parse_identity_text(text)
            .map_err(|e| format!("in the decrypted identity file {}, {e}", self.location))?;
        Ok(found.into_iter().map(|f| f.identity).collect())
    }
}

impl age::Identity for EncryptedIdentityFile {
    fn unwrap_stanza(&self, stanza: &Stanza) -> Option<Result<FileKey, age::DecryptError>> {
        self.unwrap_stanzas(std::slice::from_ref(stanza))
    }

    fn unwrap_stanzas(&self, stanzas: &[Stanza]) -> Option<Result<FileKey, age::DecryptError>> {
        match self.opened.get_or_init(|| self.open()) {
            Ok(identities) => identities.iter().find_map(|i| i.unwrap_stanzas(stanzas)),
            Err(message) => Some(Err(age::DecryptError::Io(std::io::Error::other(
                message.clone(),
            )))),
        }
    }
}
