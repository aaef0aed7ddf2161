//! Identities and what each source gave: parsing identity text (the format of `keys.txt`),
//! reading identity files, and the [`SourceStatus`] every source leaves behind for the error
//! shown when no identity fits. Identity material never appears in a status or a message.

use sops_core::KeyError;
use std::fmt;
use std::path::Path;
use zeroize::Zeroizing;

/// One loaded identity, ready for `age::Decryptor`.
pub(crate) type BoxedIdentity = Box<dyn age::Identity + Send + Sync>;

/// What one identity source gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceState {
    /// The variable is not set.
    NotSet,
    /// The file does not exist.
    NotFound,
    /// The source was read and held no identities.
    Empty,
    /// Identities were loaded; these are their public keys (recipients), in order.
    Loaded(Vec<String>),
    /// `SOPS_AGE_KEY_CMD` is set but has not been run yet: it runs once per recipient.
    NotRunYet,
    /// Reading or parsing failed; the message holds no identity material.
    Failed(String),
}

/// One place identities were looked for, and what was found there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceStatus {
    /// The place: a variable (`SOPS_AGE_KEY`), a variable with its value
    /// (`SOPS_AGE_KEY_FILE=/x`) or a path (`/home/u/.config/sops/age/keys.txt`).
    pub location: String,
    /// What was found there.
    pub state: SourceState,
}

impl SourceStatus {
    pub(crate) fn new(location: impl Into<String>, state: SourceState) -> Self {
        SourceStatus {
            location: location.into(),
            state,
        }
    }

    /// How many identities this source provided.
    pub fn identity_count(&self) -> usize {
        match &self.state {
            SourceState::Loaded(recipients) => recipients.len(),
            _ => 0,
        }
    }
}

impl fmt::Display for SourceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceState::NotSet => f.write_str("not set"),
            SourceState::NotFound => f.write_str("file not found"),
            SourceState::Empty => f.write_str("no identities in it"),
            SourceState::Loaded(recipients) => {
                let noun = if recipients.len() == 1 {
                    "identity"
                } else {
                    "identities"
                };
                write!(
                    f,
                    "{} {noun} for {}",
                    recipients.len(),
                    recipients.join(", ")
                )
            }
            SourceState::NotRunYet => f.write_str("not run yet (it runs once per recipient)"),
            SourceState::Failed(message) => f.write_str(message),
        }
    }
}

impl fmt::Display for SourceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.state)
    }
}

/// Identities and the statuses of the sources they came from. No `Debug`: holds secrets.
#[derive(Default)]
pub(crate) struct IdentitySet {
    pub(crate) identities: Vec<BoxedIdentity>,
    pub(crate) statuses: Vec<SourceStatus>,
}

impl IdentitySet {
    /// Records the result of one source.
    pub(crate) fn add(&mut self, location: String, result: Result<Vec<Found>, SourceState>) {
        let state = match result {
            Ok(found) if found.is_empty() => SourceState::Empty,
            Ok(found) => {
                let mut recipients = Vec::with_capacity(found.len());
                for Found {
                    identity,
                    recipient,
                } in found
                {
                    self.identities.push(identity);
                    recipients.push(recipient);
                }
                SourceState::Loaded(recipients)
            }
            Err(state) => state,
        };
        self.statuses.push(SourceStatus::new(location, state));
    }
}

/// An identity and its public key.
pub(crate) struct Found {
    pub(crate) identity: BoxedIdentity,
    pub(crate) recipient: String,
}

/// Whether `bytes` is an age file (binary or armored) rather than identity text.
pub(crate) fn is_encrypted(bytes: &[u8]) -> bool {
    let start = bytes.trim_ascii_start();
    start.starts_with(b"age-encryption.org/") || start.starts_with(b"-----BEGIN AGE")
}

/// Parses identity text: one identity per line; blank lines and `#` comments are skipped.
///
/// Like sops, a line that is not an identity fails the whole text. X25519, post-quantum and
/// plugin (`AGE-PLUGIN-NAME-1…`) identities are read; a message names only the line.
pub(crate) fn parse_identity_text(text: &str) -> Result<Vec<Found>, String> {
    if is_encrypted(text.as_bytes()) {
        return Err(
            "this is a passphrase-encrypted identity file; sops-rs reads those only from \
             SOPS_AGE_KEY_FILE or the default keys file (or decrypt it with `age -d` in \
             SOPS_AGE_KEY_CMD)"
                .to_owned(),
        );
    }
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let n = index + 1;
        if line.starts_with(super::pq::IDENTITY_PREFIX) {
            let identity = super::pq::Identity::parse(line)
                .map_err(|e| format!("line {n}: malformed post-quantum age identity ({e})"))?;
            let recipient = identity.to_public().to_string();
            found.push(Found {
                identity: Box::new(identity),
                recipient,
            });
            continue;
        }
        if line.starts_with("AGE-PLUGIN-") {
            let (identity, recipient) = super::plugin::identity(line)
                .map_err(|e| format!("line {n}: malformed age plugin identity ({e})"))?;
            found.push(Found {
                identity,
                recipient,
            });
            continue;
        }
        if !line.starts_with("AGE-SECRET-KEY-1") {
            return Err(format!("line {n}: unknown identity type"));
        }
        let identity: age::x25519::Identity = line
            .parse()
            .map_err(|e| format!("line {n}: malformed age identity ({e})"))?;
        let recipient = identity.to_public().to_string();
        found.push(Found {
            identity: Box::new(identity),
            recipient,
        });
    }
    Ok(found)
}

pub(crate) fn read_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, SourceState> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Zeroizing::new(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(SourceState::NotFound),
        Err(e) => Err(SourceState::Failed(format!("cannot read it: {e}"))),
    }
}

/// A `KeyError` for identity text that does not parse.
pub(crate) fn text_error(message: String) -> KeyError {
    KeyError::new(format!("invalid age identity text: {message}"))
}
