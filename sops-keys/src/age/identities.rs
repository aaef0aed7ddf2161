//! Where age identities come from, the way sops 3.11 finds them.
//!
//! All sources are read and every identity found is kept (sops tries them all):
//!
//! 1. SSH private keys: `SOPS_AGE_SSH_PRIVATE_KEY_FILE`, then `~/.ssh/id_ed25519` and
//!    `~/.ssh/id_rsa` if they exist. Passphrase-protected keys are reported, never prompted for.
//! 2. `SOPS_AGE_KEY`: identity text, one identity per line.
//! 3. `SOPS_AGE_KEY_FILE`: a file of identity text.
//! 4. `SOPS_AGE_KEY_CMD`: a command whose stdout is identity text.
//! 5. `<config dir>/sops/age/keys.txt`, the config dir being `$XDG_CONFIG_HOME` or `~/.config`
//!    on Linux.
//!
//! [`IdentityEnv`] holds the environment the sources are read from, so tests can build one from
//! explicit values. Each source leaves a [`SourceStatus`] behind; the statuses are what an error
//! shows when no identity fits. Identity material never appears in a status or a message.

use sops_core::KeyError;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// `SOPS_AGE_SSH_PRIVATE_KEY_FILE`: path of an SSH private key to use as an age identity.
pub const SSH_KEY_FILE_VAR: &str = "SOPS_AGE_SSH_PRIVATE_KEY_FILE";
/// `SOPS_AGE_KEY`: age identity text, one identity per line.
pub const KEY_VAR: &str = "SOPS_AGE_KEY";
/// `SOPS_AGE_KEY_FILE`: path of a file of age identities.
pub const KEY_FILE_VAR: &str = "SOPS_AGE_KEY_FILE";
/// `SOPS_AGE_KEY_CMD`: a command (split shell-style) that prints age identities.
pub const KEY_CMD_VAR: &str = "SOPS_AGE_KEY_CMD";
/// `SOPS_AGE_RECIPIENT`: set for `SOPS_AGE_KEY_CMD` to the recipient being decrypted.
pub const RECIPIENT_VAR: &str = "SOPS_AGE_RECIPIENT";

/// The environment variables [`IdentityEnv::from_process`] copies.
const VARS: [&str; 6] = [
    SSH_KEY_FILE_VAR,
    KEY_VAR,
    KEY_FILE_VAR,
    KEY_CMD_VAR,
    "XDG_CONFIG_HOME",
    "APPDATA",
];

/// One loaded identity, ready for `age::Decryptor`.
pub(crate) type BoxedIdentity = Box<dyn age::Identity + Send + Sync>;

/// The environment identities are discovered from: variables and the home directory.
///
/// It may hold `SOPS_AGE_KEY`, which is secret, so it has no `Debug` and is zeroized on drop.
pub struct IdentityEnv {
    vars: BTreeMap<String, Zeroizing<String>>,
    home: Option<PathBuf>,
}

impl IdentityEnv {
    /// The variables that matter here, read from this process, and the home directory
    /// (`$HOME`, or `%USERPROFILE%` on Windows).
    pub fn from_process() -> Self {
        let mut env = IdentityEnv::empty();
        for name in VARS {
            if let Ok(value) = std::env::var(name) {
                env.vars.insert(name.to_owned(), Zeroizing::new(value));
            }
        }
        let home_var = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
        env.home = std::env::var_os(home_var)
            .filter(|h| !h.is_empty())
            .map(PathBuf::from);
        env
    }

    /// An environment with no variables set and no home directory: no source is configured.
    pub fn empty() -> Self {
        IdentityEnv {
            vars: BTreeMap::new(),
            home: None,
        }
    }

    /// An environment with exactly `vars` and the home directory `home`.
    pub fn new<K, V>(vars: impl IntoIterator<Item = (K, V)>, home: Option<PathBuf>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        let mut env = IdentityEnv::empty().with_home(home);
        for (k, v) in vars {
            env.vars.insert(k.into(), Zeroizing::new(v.into()));
        }
        env
    }

    /// This environment with variable `name` set to `value`.
    pub fn with_var(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars.insert(name.into(), Zeroizing::new(value.into()));
        self
    }

    /// This environment with the home directory replaced by `home`.
    pub fn with_home(mut self, home: Option<PathBuf>) -> Self {
        self.home = home;
        self
    }

    /// The value of variable `name`, if set (an empty value counts as set, as in sops).
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(|v| v.as_str())
    }

    /// The home directory, if known.
    pub fn home(&self) -> Option<&Path> {
        self.home.as_deref()
    }

    /// The default identity file `<user config dir>/sops/age/keys.txt`, or why it cannot be
    /// determined. The config dir follows Go's `os.UserConfigDir` (and sops' macOS override).
    pub fn default_keys_file(&self) -> Result<PathBuf, String> {
        Ok(self
            .user_config_dir()?
            .join("sops")
            .join("age")
            .join("keys.txt"))
    }

    fn user_config_dir(&self) -> Result<PathBuf, String> {
        let xdg = self.var("XDG_CONFIG_HOME").filter(|v| !v.is_empty());
        if cfg!(windows) {
            return match self.var("APPDATA").filter(|v| !v.is_empty()) {
                Some(dir) => Ok(PathBuf::from(dir)),
                None => Err("%AppData% is not set".to_owned()),
            };
        }
        if cfg!(target_os = "macos") {
            if let Some(dir) = xdg {
                return Ok(PathBuf::from(dir));
            }
            return match self.home() {
                Some(home) => Ok(home.join("Library").join("Application Support")),
                None => Err("the home directory is unknown".to_owned()),
            };
        }
        match (xdg, self.home()) {
            (Some(dir), _) if Path::new(dir).is_absolute() => Ok(PathBuf::from(dir)),
            (Some(dir), _) => Err(format!("path in $XDG_CONFIG_HOME is relative: {dir}")),
            (None, Some(home)) => Ok(home.join(".config")),
            (None, None) => Err("neither $XDG_CONFIG_HOME nor $HOME is set".to_owned()),
        }
    }
}

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

/// Parses identity text: one identity per line; blank lines and `#` comments are skipped.
///
/// Like sops, a line that is not an identity fails the whole text. Plugin and post-quantum
/// identities, which sops-rs cannot use, are rejected with a message naming only the line.
pub(crate) fn parse_identity_text(text: &str) -> Result<Vec<Found>, String> {
    let start = text.trim_start();
    if start.starts_with("age-encryption") || start.starts_with("-----BEGIN AGE") {
        return Err(
            "this is a passphrase-encrypted identity file; sops-rs does not prompt for \
                    passphrases (decrypt it with `age -d` and use SOPS_AGE_KEY_CMD)"
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
        if line.starts_with("AGE-SECRET-KEY-PQ-1") {
            return Err(format!(
                "line {n}: post-quantum age identities are not supported by sops-rs"
            ));
        }
        if line.starts_with("AGE-PLUGIN-") {
            return Err(format!(
                "line {n}: age plugin identities are not supported by sops-rs"
            ));
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

/// Reads a file of identity text; a missing file is [`SourceState::NotFound`].
pub(crate) fn read_identity_file(path: &Path) -> Result<Vec<Found>, SourceState> {
    let bytes = read_file(path)?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| SourceState::Failed("the file is not UTF-8 text".to_owned()))?;
    parse_identity_text(text).map_err(SourceState::Failed)
}

pub(crate) fn read_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, SourceState> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Zeroizing::new(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(SourceState::NotFound),
        Err(e) => Err(SourceState::Failed(format!("cannot read it: {e}"))),
    }
}

/// Loads every source except `SOPS_AGE_KEY_CMD`, in sops' order. Returns the set and the
/// index at which the command's status belongs.
pub(crate) fn load_fixed_sources(env: &IdentityEnv) -> (IdentitySet, usize) {
    let mut set = IdentitySet::default();
    match env.var(SSH_KEY_FILE_VAR) {
        Some(path) => set.add(
            format!("{SSH_KEY_FILE_VAR}={path}"),
            crate::age_sources::read_ssh_key_file(Path::new(path)),
        ),
        None => set.add(SSH_KEY_FILE_VAR.to_owned(), Err(SourceState::NotSet)),
    }
    for name in ["id_ed25519", "id_rsa"] {
        match env.home() {
            Some(home) => {
                let path = home.join(".ssh").join(name);
                let found = crate::age_sources::read_ssh_key_file(&path);
                set.add(path.display().to_string(), found);
            }
            None => set.add(
                format!("~/.ssh/{name}"),
                Err(SourceState::Failed(
                    "the home directory is unknown".to_owned(),
                )),
            ),
        }
    }
    match env.var(KEY_VAR) {
        Some(text) => set.add(
            KEY_VAR.to_owned(),
            parse_identity_text(text).map_err(SourceState::Failed),
        ),
        None => set.add(KEY_VAR.to_owned(), Err(SourceState::NotSet)),
    }
    match env.var(KEY_FILE_VAR) {
        Some(path) => set.add(
            format!("{KEY_FILE_VAR}={path}"),
            read_identity_file(Path::new(path)),
        ),
        None => set.add(KEY_FILE_VAR.to_owned(), Err(SourceState::NotSet)),
    }
    let cmd_slot = set.statuses.len();
    match env.default_keys_file() {
        Ok(path) => set.add(path.display().to_string(), read_identity_file(&path)),
        Err(why) => set.add(
            "sops/age/keys.txt in the user config directory".to_owned(),
            Err(SourceState::Failed(format!("cannot locate it: {why}"))),
        ),
    }
    (set, cmd_slot)
}

/// A `KeyError` for identity text that does not parse.
pub(crate) fn text_error(message: String) -> KeyError {
    KeyError::new(format!("invalid age identity text: {message}"))
}
