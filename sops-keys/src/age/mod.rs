//! The age master-key backend: wraps the data key (or a Shamir share) for age recipients and
//! unwraps it with the identities sops 3.11 would find.
//!
//! An `age` metadata entry holds `recipient` (the public key exactly as given, trimmed) and
//! `enc`, an ASCII-armored age file whose payload is the raw secret bytes.
//! Recipients may be X25519 (`age1…`), post-quantum hybrid (`age1pq1…`, see [`pq`]),
//! `ssh-ed25519 …`, `ssh-rsa …`, or those of an age plugin (`age1NAME1…`, handled by
//! `age-plugin-NAME` on `PATH`, whose prompts go to the terminal).
//!
//! # Where identities come from
//!
//! [`AgeKeySource::from_env`] reads every source and keeps every identity found (sops tries
//! them all), in this order:
//!
//! 1. SSH private keys: `SOPS_AGE_SSH_PRIVATE_KEY_FILE`, then the stdout of
//!    `SOPS_AGE_SSH_PRIVATE_KEY_CMD` (sops 3.12+), then `~/.ssh/id_ed25519` and `~/.ssh/id_rsa`
//!    if they exist. Passphrase-protected keys are reported, never prompted for.
//! 2. `SOPS_AGE_KEY`: identity text, one identity per line.
//! 3. `SOPS_AGE_KEY_FILE`: a file of identity text, or an age file encrypted with a
//!    passphrase that holds it (asked for on the terminal on first use, see `passphrase.rs`).
//! 4. `SOPS_AGE_KEY_CMD`: a command whose stdout is identity text.
//! 5. `<config dir>/sops/age/keys.txt`, the config dir being `$XDG_CONFIG_HOME` or `~/.config`
//!    on Linux.
//!
//! Every source except the two commands is loaded once, on first use; each command runs once
//! per recipient, with `SOPS_AGE_RECIPIENT` set, as sops runs them for every age key it tries.
//!
//! [`IdentityEnv`] holds the environment the sources are read from, so tests can build one from
//! explicit values ([`AgeKeySource::with_env`]). Each source leaves a [`SourceStatus`] behind
//! ([`AgeKeySource::describe_sources`]); the statuses are what an error shows when no identity
//! fits. Identity material never appears in a status or a message.

mod env;
mod identities;
mod keygen;
mod passphrase;
mod plugin;
pub mod pq;
mod prompt;
mod sources;

pub use env::{
    IdentityEnv, KEY_CMD_VAR, KEY_FILE_VAR, KEY_VAR, RECIPIENT_VAR, SSH_KEY_CMD_VAR,
    SSH_KEY_FILE_VAR,
};
pub use identities::{SourceState, SourceStatus};
pub use keygen::{generate_identity, recipients_of, NewIdentity};

use identities::{parse_identity_text, text_error, IdentitySet};
use sops_core::{KeyEntry, KeyError, KeySource, SecretBytes};
use sources::{load_fixed_sources, Slots};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// The variables naming a command that runs once per recipient, in the order sops runs them.
const COMMANDS: [&str; 2] = [SSH_KEY_CMD_VAR, KEY_CMD_VAR];

/// The metadata list this backend handles.
pub const KEY_TYPE: &str = "age";

/// The first line of an armored age file.
pub const ARMOR_BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";
/// The last line of an armored age file (sops writes it followed by `\n`).
pub const ARMOR_END: &str = "-----END AGE ENCRYPTED FILE-----";

/// Where the identities come from.
enum Origin {
    /// Discovered from an environment, as sops does.
    Env(IdentityEnv),
    /// Given directly; nothing else is consulted.
    Fixed,
}

/// The age [`KeySource`]. Holds identities, so it has no `Debug`.
pub struct AgeKeySource {
    origin: Origin,
    /// Every source but the commands, loaded once; plus where the commands' statuses go.
    fixed: OnceLock<(IdentitySet, Slots)>,
    /// The results of the commands (`SOPS_AGE_SSH_PRIVATE_KEY_CMD`, `SOPS_AGE_KEY_CMD`) by
    /// variable and recipient.
    by_command: Mutex<BTreeMap<(&'static str, String), Arc<IdentitySet>>>,
    /// Recipients unwrap was asked about, for the failure report.
    tried: Mutex<Vec<String>>,
}

impl AgeKeySource {
    /// A source that finds identities in this process's environment, like sops.
    pub fn from_env() -> Self {
        Self::with_env(IdentityEnv::from_process())
    }

    /// A source that finds identities in `env` (see [`IdentityEnv::new`] for explicit values).
    pub fn with_env(env: IdentityEnv) -> Self {
        Self::build(Origin::Env(env), OnceLock::new())
    }

    /// A source using only the identities in `text` (the format of `keys.txt`: one
    /// `AGE-SECRET-KEY-1…` per line, blank lines and `#` comments skipped). The error never
    /// quotes the text.
    pub fn from_identity_text(text: &str) -> Result<Self, KeyError> {
        let mut set = IdentitySet::default();
        let found = parse_identity_text(text).map_err(text_error)?;
        set.add("identity text given to sops-rs".to_owned(), Ok(found));
        let len = set.statuses.len();
        let slots = Slots {
            ssh_cmd: len,
            key_cmd: len,
        };
        Ok(Self::build(Origin::Fixed, OnceLock::from((set, slots))))
    }

    fn build(origin: Origin, fixed: OnceLock<(IdentitySet, Slots)>) -> Self {
        AgeKeySource {
            origin,
            fixed,
            by_command: Mutex::new(BTreeMap::new()),
            tried: Mutex::new(Vec::new()),
        }
    }

    fn fixed(&self) -> &(IdentitySet, Slots) {
        self.fixed.get_or_init(|| match &self.origin {
            Origin::Env(env) => load_fixed_sources(env),
            Origin::Fixed => (
                IdentitySet::default(),
                Slots {
                    ssh_cmd: 0,
                    key_cmd: 0,
                },
            ),
        })
    }

    /// The identities the command of `var` (one of [`COMMANDS`]) gives for `recipient`,
    /// running it on first use.
    fn command_set(&self, var: &'static str, recipient: &str) -> Option<Arc<IdentitySet>> {
        let Origin::Env(env) = &self.origin else {
            return None;
        };
        let command = env.var(var)?;
        let mut cache = self
            .by_command
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let set = cache.entry((var, recipient.to_owned())).or_insert_with(|| {
            let mut set = IdentitySet::default();
            let location = format!("{var}={command} (for {recipient})");
            let result = if var == SSH_KEY_CMD_VAR {
                sources::run_ssh_key_command(command, recipient)
            } else {
                sources::run_key_command(command, recipient)
            };
            set.add(location, result);
            Arc::new(set)
        });
        Some(Arc::clone(set))
    }

    /// The statuses of the command of `var`: not set, not run yet, or one per run so far.
    fn command_statuses(&self, var: &'static str) -> Vec<SourceStatus> {
        let Origin::Env(env) = &self.origin else {
            return Vec::new();
        };
        let runs = self
            .by_command
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mine: Vec<SourceStatus> = runs
            .iter()
            .filter(|((v, _), _)| *v == var)
            .flat_map(|(_, set)| set.statuses.iter().cloned())
            .collect();
        match env.var(var) {
            None => vec![SourceStatus::new(var, SourceState::NotSet)],
            Some(cmd) if mine.is_empty() => vec![SourceStatus::new(
                format!("{var}={cmd}"),
                SourceState::NotRunYet,
            )],
            Some(_) => mine,
        }
    }

    /// Every place identities are looked for and what was found there, in sops' order. Loads
    /// the sources if that has not happened yet; runs neither command, but reports each run
    /// made so far.
    pub fn describe_sources(&self) -> Vec<SourceStatus> {
        let (set, slots) = self.fixed();
        let mut out = set.statuses[..slots.ssh_cmd].to_vec();
        out.extend(self.command_statuses(SSH_KEY_CMD_VAR));
        out.extend_from_slice(&set.statuses[slots.ssh_cmd..slots.key_cmd]);
        out.extend(self.command_statuses(KEY_CMD_VAR));
        out.extend_from_slice(&set.statuses[slots.key_cmd..]);
        out
    }

    /// The error to show when no age entry could be opened: the recipients tried and every
    /// place looked for identities, one per line.
    pub fn no_identity_error(&self) -> KeyError {
        let tried = self.tried.lock().unwrap_or_else(PoisonError::into_inner);
        let mut message = String::from("no age identity could decrypt the data key");
        if !tried.is_empty() {
            message.push_str(&format!(" (recipients: {})", tried.join(", ")));
        }
        message.push_str("; places looked for age identities:");
        for status in self.describe_sources() {
            message.push_str(&format!("\n  {status}"));
        }
        KeyError::new(message)
    }

    fn note_tried(&self, recipient: &str) {
        let mut tried = self.tried.lock().unwrap_or_else(PoisonError::into_inner);
        if !tried.iter().any(|r| r == recipient) {
            tried.push(recipient.to_owned());
        }
    }
}

impl KeySource for AgeKeySource {
    fn key_type(&self) -> &str {
        KEY_TYPE
    }

    fn wrap(&self, entry: &mut KeyEntry, secret: &[u8]) -> Result<(), KeyError> {
        let given = entry
            .field("recipient")
            .ok_or_else(|| KeyError::new("the age key entry has no recipient"))?;
        let recipient = given.trim().to_owned();
        let armored = encrypt_armored(&recipient, secret)?;
        if given != recipient {
            entry.set_field("recipient", recipient);
        }
        entry.set_field("enc", armored);
        Ok(())
    }

    fn unwrap(&self, entry: &KeyEntry) -> Option<Result<SecretBytes, KeyError>> {
        let recipient = entry.field("recipient").unwrap_or("").trim();
        self.note_tried(recipient);
        let (fixed, _) = self.fixed();
        let commands: Vec<Arc<IdentitySet>> = COMMANDS
            .iter()
            .filter_map(|var| self.command_set(var, recipient))
            .collect();
        let identities: Vec<&dyn age::Identity> = fixed
            .identities
            .iter()
            .chain(commands.iter().flat_map(|s| s.identities.iter()))
            .map(|i| i.as_ref() as &dyn age::Identity)
            .collect();
        if identities.is_empty() {
            return None;
        }
        let Some(enc) = entry.field("enc") else {
            return Some(Err(KeyError::new("the age key entry has no enc field")));
        };
        decrypt_armored(enc, identities)
    }
}

/// Decrypts armored (or binary) age text `enc` with `identities`. `None` when none fits.
fn decrypt_armored(
    enc: &str,
    identities: Vec<&dyn age::Identity>,
) -> Option<Result<SecretBytes, KeyError>> {
    let fail =
        |what: &str, e: &dyn std::fmt::Display| Some(Err(KeyError::new(format!("{what}: {e}"))));
    let reader = age::armor::ArmoredReader::new(enc.as_bytes());
    let decryptor = match age::Decryptor::new_buffered(reader) {
        Ok(d) => d,
        Err(e) => return fail("the enc field is not a valid age file", &e),
    };
    let mut stream = match decryptor.decrypt(identities.into_iter()) {
        Ok(stream) => stream,
        Err(age::DecryptError::NoMatchingKeys) => return None,
        Err(e) => return fail("age decryption failed", &e),
    };
    let mut buffer = zeroize::Zeroizing::new(Vec::with_capacity(64));
    if let Err(e) = stream.read_to_end(&mut buffer) {
        return fail("age decryption failed", &e);
    }
    Some(Ok(SecretBytes::new(std::mem::take(&mut *buffer))))
}

/// Encrypts `secret` to `recipient` (trimmed) and ASCII-armors it exactly as sops does:
/// the begin line, standard base64 in 64-column lines, the end line, each ending in `\n`.
pub fn encrypt_armored(recipient: &str, secret: &[u8]) -> Result<String, KeyError> {
    let recipient = parse_recipient_key(recipient.trim())?;
    let fail = |e: &dyn std::fmt::Display| {
        KeyError::new(format!("failed to encrypt the data key with age: {e}"))
    };
    let encryptor = age::Encryptor::with_recipients(std::iter::once(recipient.as_ref()))
        .map_err(|e| fail(&e))?;
    let mut out = Vec::with_capacity(512);
    let armor = age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
        .map_err(|e| fail(&e))?;
    let mut writer = encryptor.wrap_output(armor).map_err(|e| fail(&e))?;
    writer.write_all(secret).map_err(|e| fail(&e))?;
    writer
        .finish()
        .and_then(|armor| armor.finish())
        .map_err(|e| fail(&e))?;
    let text = String::from_utf8(out).map_err(|e| fail(&e))?;
    // The age crate ends lines with CRLF on Windows; sops always writes LF.
    Ok(text.replace("\r\n", "\n"))
}

/// Checks one recipient and returns it trimmed, as sops stores it.
///
/// Accepts X25519 (`age1…`), `ssh-ed25519 …` and `ssh-rsa …` recipients. The error says what
/// kind of recipient was expected and why it failed.
pub fn parse_recipient(recipient: &str) -> Result<String, KeyError> {
    let recipient = recipient.trim();
    parse_recipient_key(recipient)?;
    Ok(recipient.to_owned())
}

/// Splits a comma-separated recipient list (`--age a,b`, `SOPS_AGE_RECIPIENTS`, `.sops.yaml`)
/// into trimmed recipients, checking each. An empty list gives no recipients.
pub fn parse_recipients(list: &str) -> Result<Vec<String>, KeyError> {
    if list.is_empty() {
        return Ok(Vec::new());
    }
    list.split(',').map(parse_recipient).collect()
}

fn parse_recipient_key(recipient: &str) -> Result<Box<dyn age::Recipient>, KeyError> {
    let err = |m: String| Err(KeyError::new(m));
    if recipient.starts_with(pq::RECIPIENT_PREFIX) {
        return match pq::Recipient::parse(recipient) {
            Ok(r) => Ok(Box::new(r)),
            Err(e) => err(format!(
                "failed to parse input as post-quantum age public key ({e}): {recipient:?}"
            )),
        };
    }
    if plugin::is_plugin_recipient(recipient) {
        return plugin::recipient(recipient).map_err(|e| {
            KeyError::new(format!(
                "failed to use age plugin recipient {recipient:?}: {e}"
            ))
        });
    }
    if recipient.starts_with("age1") {
        return match recipient.parse::<age::x25519::Recipient>() {
            Ok(r) => Ok(Box::new(r)),
            Err(e) => err(format!(
                "failed to parse input as Bech32-encoded age public key ({e}): {recipient:?}"
            )),
        };
    }
    if recipient.starts_with("ssh-") {
        return match recipient.parse::<age::ssh::Recipient>() {
            Ok(r) => Ok(Box::new(r)),
            Err(e) => err(format!(
                "failed to parse input as age-ssh public key ({}): {recipient:?}",
                ssh_error(&e)
            )),
        };
    }
    err(format!(
        "failed to parse input, unknown recipient type: {recipient:?} \
         (expected age1…, ssh-ed25519 … or ssh-rsa …)"
    ))
}

fn ssh_error(e: &age::ssh::ParseRecipientKeyError) -> String {
    use age::ssh::ParseRecipientKeyError as E;
    match e {
        E::Invalid(why) => (*why).to_owned(),
        E::RsaModulusTooLarge => "RSA modulus too large".to_owned(),
        E::RsaModulusTooSmall => "RSA modulus smaller than 2048 bits".to_owned(),
        E::Unsupported(kind) => format!("unsupported SSH key type {kind}"),
        _ => "unsupported SSH key".to_owned(),
    }
}
