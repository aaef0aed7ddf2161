//! The PGP master-key backend: wraps the data key (or a Shamir share) for OpenPGP keys and
//! unwraps it, the way sops 3.11 does.
//!
//! A `pgp` metadata entry holds `created_at` (RFC 3339, UTC), `enc` and `fp`, in that order.
//! `fp` is the fingerprint as given, spaces removed. `enc` is an ASCII-armored OpenPGP message
//! without a trailing newline whose literal packet (binary, empty name, date 0) is the raw
//! secret (33 bytes for a Shamir share, 32 for the data key).
//!
//! Like sops, every operation is tried natively first and then with the gpg binary:
//!
//! * **Encryption**: the certificate is looked up in the key files (`SOPS_PGP_KEY_FILE`, a
//!   sops-rs extension, or [`PgpConfig::with_key_file`]), then in the GnuPG home's legacy
//!   `pubring.gpg`, then with `gpg --export FP`, and the secret is encrypted with sequoia.
//!   Expired and revoked keys are refused with their date or reason. If that fails, `gpg
//!   --encrypt` runs with sops' command line and its verdict is reported as well.
//! * **Decryption**: secret keys from the key files and the legacy `secring.gpg` /
//!   `pubring.gpg` are tried with sequoia; then `gpg -d`, which reaches secret keys held by
//!   `gpg-agent`, including passphrase-protected ones the agent can unlock.
//!
//! The gpg program is `$SOPS_GPG_EXEC` or `gpg`; the GnuPG home is `$GNUPGHOME` or `~/.gnupg`.
//! gpg runs with a deadline ([`DEFAULT_GPG_TIMEOUT`]) and is never asked to contact a
//! keyserver.
//!
//! # When `unwrap` says "not mine"
//!
//! The age backend answers `None` when it holds no identity at all. A PGP source with the gpg
//! fallback enabled cannot know that in advance: the secret key may live in `gpg-agent`. So it
//! always tries, and a failure is `Some(Err)` naming the fingerprint, the native attempt and
//! what gpg said, which is what a user needs to fix it. Only a source configured without gpg
//! ([`PgpConfig::with_gpg`]`(false)`) that loaded no secret key answers `None`.
//!
//! # Differences from sops 3.11
//!
//! * `SOPS_PGP_KEY_FILE` is a sops-rs extension.
//! * Decryption runs `gpg --no-tty --batch -d` (sops: `gpg -d`): gpg itself never prompts;
//!   the agent's pinentry still may. Every gpg run is killed at its deadline.
//! * Natively, passphrase-protected secret keys are skipped rather than unlocked through the
//!   agent; the gpg fallback handles them.
//! * Native encryption uses AES-256 and writes a session-key packet for every valid
//!   encryption key of the certificate (Go's library picks one). Fingerprints match
//!   case-insensitively, and a 16-digit key ID works too.
//! * When a key file holds an expired or revoked copy of a certificate, `gpg --encrypt` still
//!   gets its turn, so a renewed copy in GnuPG's keyring wins, as with sops.

mod gpg;
mod keyring;
mod native;

use gpg::{Gpg, GpgError};
use keyring::{split_key_file_list, FpQuery, Keyring};
use sops_core::internal::CivilTime;
use sops_core::{KeyEntry, KeyError, KeySource, SecretBytes};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

pub use gpg::DEFAULT_TIMEOUT as DEFAULT_GPG_TIMEOUT;
pub use keyring::KEY_FILE_VAR;

/// The metadata list this backend handles.
pub const KEY_TYPE: &str = "pgp";
/// `SOPS_GPG_EXEC`: the GnuPG program to run instead of `gpg`.
pub const GPG_EXEC_VAR: &str = "SOPS_GPG_EXEC";
/// `GNUPGHOME`: the GnuPG home directory (default `~/.gnupg`).
pub const GNUPGHOME_VAR: &str = "GNUPGHOME";

/// Where keys come from and how gpg is run. Holds paths only, no key material.
#[derive(Clone, Debug)]
pub struct PgpConfig {
    gpg_program: String,
    gnupg_home: Option<PathBuf>,
    pass_homedir: bool,
    key_files: Vec<(String, PathBuf)>,
    use_gpg: bool,
    use_native: bool,
    timeout: Duration,
}

impl Default for PgpConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl PgpConfig {
    /// Nothing configured: `gpg` from `PATH` with its own default home, no key files, no
    /// legacy keyrings; both the native path and gpg enabled; the default timeout.
    pub fn new() -> Self {
        PgpConfig {
            gpg_program: "gpg".to_owned(),
            gnupg_home: None,
            pass_homedir: false,
            key_files: Vec::new(),
            use_gpg: true,
            use_native: true,
            timeout: DEFAULT_GPG_TIMEOUT,
        }
    }

    /// What sops reads: `SOPS_GPG_EXEC`, `GNUPGHOME` (else `~/.gnupg` for the legacy keyrings;
    /// gpg then finds its home itself) and the sops-rs extension `SOPS_PGP_KEY_FILE`.
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let mut config = PgpConfig::new();
        if let Some(program) = var(GPG_EXEC_VAR) {
            config.gpg_program = program;
        }
        if let Some(home) = var(GNUPGHOME_VAR) {
            config = config.with_gnupg_home(home);
        } else {
            let home_var = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
            config.gnupg_home = var(home_var).map(|h| Path::new(&h).join(".gnupg"));
        }
        if let Some(list) = var(KEY_FILE_VAR) {
            for path in split_key_file_list(&list) {
                config.key_files.push((KEY_FILE_VAR.to_owned(), path));
            }
        }
        config
    }

    /// Uses the GnuPG home `home`: its legacy keyrings, and `--homedir home` for gpg.
    pub fn with_gnupg_home(mut self, home: impl Into<PathBuf>) -> Self {
        self.gnupg_home = Some(home.into());
        self.pass_homedir = true;
        self
    }

    /// Runs `program` instead of `gpg` (a path or a name looked up in `PATH`).
    pub fn with_gpg_program(mut self, program: impl Into<String>) -> Self {
        self.gpg_program = program.into();
        self
    }

    /// Adds an OpenPGP key file (armored or binary; public certificates or secret keys).
    pub fn with_key_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.key_files.push(("key file".to_owned(), path.into()));
        self
    }

    /// Whether the gpg binary may be used (default yes).
    pub fn with_gpg(mut self, enabled: bool) -> Self {
        self.use_gpg = enabled;
        self
    }

    /// Whether keys are used natively, with sequoia (default yes). Without it every operation
    /// goes through gpg, like sops' `DisableOpenPGP` option.
    pub fn with_native(mut self, enabled: bool) -> Self {
        self.use_native = enabled;
        self
    }

    /// How long one gpg run may take before it is killed.
    pub fn with_gpg_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The GnuPG home whose legacy keyrings are read, if known.
    pub fn gnupg_home(&self) -> Option<&Path> {
        self.gnupg_home.as_deref()
    }

    fn gpg(&self) -> Gpg {
        Gpg {
            program: self.gpg_program.clone(),
            homedir: self.gnupg_home.clone().filter(|_| self.pass_homedir),
            timeout: self.timeout,
        }
    }
}

/// The PGP [`KeySource`]. Secret keys it loads stay in sequoia's protected memory; it has no
/// `Debug`.
pub struct PgpKeySource {
    config: PgpConfig,
    ring: OnceLock<Keyring>,
}

impl PgpKeySource {
    /// A source configured from this process's environment, like sops.
    pub fn from_env() -> Self {
        Self::new(PgpConfig::from_env())
    }

    /// A source with an explicit configuration.
    pub fn new(config: PgpConfig) -> Self {
        PgpKeySource {
            config,
            ring: OnceLock::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &PgpConfig {
        &self.config
    }

    fn ring(&self) -> &Keyring {
        self.ring.get_or_init(|| {
            if !self.config.use_native {
                return Keyring::default();
            }
            Keyring::load(&self.config.key_files, self.config.gnupg_home.as_deref())
        })
    }

    /// Every place keys are looked for and what was found there (loads the key files and
    /// legacy keyrings if that has not happened yet).
    pub fn describe_sources(&self) -> Vec<String> {
        let mut out = self.ring().statuses.clone();
        if self.config.use_gpg {
            out.push(format!("GnuPG: `{}`", self.config.gpg().describe()));
        }
        out
    }

    /// Encrypts `secret` to the key `fp` names and returns the armored message sops stores in
    /// `enc`. Tries sequoia with every certificate found, then `gpg --encrypt`.
    pub fn encrypt(&self, fp: &str, secret: &[u8]) -> Result<String, KeyError> {
        let query = FpQuery::new(fp);
        let gpg = self.config.gpg();
        let mut use_gpg = self.config.use_gpg;
        let mut errors = Vec::new();
        if self.config.use_native {
            let ring = self.ring();
            let mut exported = Keyring::default();
            let mut found = ring.find(&query);
            let mut looked = ring.describe();
            if found.is_empty() && use_gpg && query.hex.is_some() {
                let origin = format!("`{} --export {fp}`", gpg.describe());
                match gpg.export(fp) {
                    Ok(bytes) if bytes.is_empty() => {
                        looked.push_str(&format!("; {origin}: nothing"))
                    }
                    Ok(bytes) => {
                        if let Err(e) = exported.add_bytes(&origin, &bytes) {
                            looked.push_str(&format!("; {origin}: {e}"));
                        }
                        found = exported.find(&query);
                    }
                    Err(e) => {
                        use_gpg = !matches!(e, GpgError::Unavailable(_));
                        looked.push_str(&format!("; {e}"));
                    }
                }
            }
            if found.is_empty() {
                errors.push(format!("no certificate for {fp} (looked in: {looked})"));
            }
            for loaded in found {
                match native::encrypt(&loaded.cert, &query, secret) {
                    Ok(armored) => return Ok(armored),
                    Err(e) => errors.push(format!("{} (from {})", e, loaded.origin)),
                }
            }
        }
        if use_gpg {
            match gpg.encrypt(fp, secret) {
                Ok(armored) => return Ok(armored),
                Err(e) => errors.push(e.to_string()),
            }
        }
        Err(KeyError::new(format!(
            "could not encrypt the data key with PGP key {fp}: {}",
            if errors.is_empty() {
                "neither native OpenPGP nor gpg is enabled".to_owned()
            } else {
                errors.join("; ")
            }
        )))
    }

    /// Decrypts the armored (or binary) message `enc`; `fp` only names the key in messages.
    /// `None` when nothing could be tried (see the module docs).
    pub fn decrypt(&self, fp: &str, enc: &str) -> Option<Result<SecretBytes, KeyError>> {
        let mut errors = Vec::new();
        if self.config.use_native {
            let ring = self.ring();
            if !ring.has_secrets() && !self.config.use_gpg {
                return None;
            }
            match native::decrypt(enc, ring) {
                Ok(mut secret) => return Some(Ok(SecretBytes::new(std::mem::take(&mut *secret)))),
                Err(e) => errors.push(format!("natively: {e}")),
            }
        }
        if !self.config.use_gpg {
            if errors.is_empty() {
                return None;
            }
        } else {
            let gpg = self.config.gpg();
            match gpg.decrypt(enc) {
                Ok(mut secret) => return Some(Ok(SecretBytes::new(std::mem::take(&mut *secret)))),
                Err(e) => errors.push(format!("with `{}`: {e}", gpg.describe())),
            }
        }
        Some(Err(KeyError::new(format!(
            "could not decrypt the data key with PGP key {fp}: {}",
            errors.join("; ")
        ))))
    }
}

impl KeySource for PgpKeySource {
    fn key_type(&self) -> &str {
        KEY_TYPE
    }

    fn wrap(&self, entry: &mut KeyEntry, secret: &[u8]) -> Result<(), KeyError> {
        let fp = entry
            .field("fp")
            .ok_or_else(|| KeyError::new("the pgp key entry has no fp (fingerprint)"))?
            .replace(' ', "");
        if fp.is_empty() {
            return Err(KeyError::new("the pgp key entry has an empty fingerprint"));
        }
        let enc = self.encrypt(&fp, secret)?;
        set_fields(entry, fp, enc);
        Ok(())
    }

    fn unwrap(&self, entry: &KeyEntry) -> Option<Result<SecretBytes, KeyError>> {
        let fp = entry.field("fp").unwrap_or("(no fp)");
        let Some(enc) = entry.field("enc").filter(|e| !e.trim().is_empty()) else {
            return Some(Err(KeyError::new(format!(
                "the pgp key entry {fp} has no enc field"
            ))));
        };
        self.decrypt(fp, enc)
    }
}

/// Rewrites the entry as `created_at`, `enc`, `fp` (sops' order), keeping any other fields
/// after them.
fn set_fields(entry: &mut KeyEntry, fp: String, enc: String) {
    let others: Vec<_> = std::mem::take(&mut entry.fields)
        .into_iter()
        .filter(|(k, _)| !matches!(k.as_str(), "created_at" | "enc" | "fp"))
        .collect();
    entry.set_field("created_at", CivilTime::now_utc().rfc3339());
    entry.set_field("enc", enc);
    entry.set_field("fp", fp);
    entry.fields.extend(others);
}
