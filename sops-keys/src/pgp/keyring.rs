//! OpenPGP certificates and secret keys sops-rs can use without the gpg binary.
//!
//! They come from:
//!
//! 1. key files given through the API or `SOPS_PGP_KEY_FILE` (a sops-rs extension: one path, or
//!    several separated like `PATH`), each armored or binary, holding public certificates or
//!    secret keys (`gpg --export-secret-keys --armor FP > key.asc`);
//! 2. the GnuPG home's legacy keyrings, `secring.gpg` and `pubring.gpg`, read when present as
//!    sops does. GnuPG 2.1 and later keep public keys in `pubring.kbx` and secret keys inside
//!    `gpg-agent` (`private-keys-v1.d`), which are not read here: that is what the gpg fallback
//!    is for.
//!
//! Every place looked at leaves a status line for error reports. Secret key material stays in
//! sequoia's protected memory and never appears in a status or message.

use sequoia_openpgp as openpgp;

use openpgp::cert::CertParser;
use openpgp::packet::key::{SecretParts, UnspecifiedRole};
use openpgp::packet::Key;
use openpgp::parse::Parse;
use openpgp::{Cert, KeyHandle};
use std::path::{Path, PathBuf};

/// `SOPS_PGP_KEY_FILE`: OpenPGP key files (armored or binary) to use before GnuPG. A sops-rs
/// extension; sops 3.11 does not read it.
pub const KEY_FILE_VAR: &str = "SOPS_PGP_KEY_FILE";

/// Key files larger than this are refused (a keyring of thousands of certificates is not a key
/// file).
const MAX_KEY_FILE: u64 = 16 * 1024 * 1024;

/// One certificate and where it was found.
pub(crate) struct Loaded {
    pub origin: String,
    pub cert: Cert,
}

/// Everything loaded natively, and what happened at each place looked at.
#[derive(Default)]
pub(crate) struct Keyring {
    pub certs: Vec<Loaded>,
    pub statuses: Vec<String>,
}

/// What a fingerprint field asks for, normalised for matching.
pub(crate) struct FpQuery {
    /// Upper-case hex without spaces or a trailing `!`, or `None` if it is not hex at all.
    pub hex: Option<String>,
    /// A trailing `!` asks for exactly this (sub)key.
    pub exact: bool,
}

impl FpQuery {
    pub fn new(fp: &str) -> Self {
        let exact = fp.ends_with('!');
        let body: String = fp.trim_end_matches('!').split_whitespace().collect();
        let body = body
            .strip_prefix("0x")
            .unwrap_or(&body)
            .to_ascii_uppercase();
        let is_hex = !body.is_empty() && body.bytes().all(|b| b.is_ascii_hexdigit());
        FpQuery {
            hex: is_hex.then_some(body),
            exact,
        }
    }

    /// Whether a (sub)key with this fingerprint hex is what was asked for: the whole
    /// fingerprint, or a 16-digit key ID at its end.
    pub fn matches(&self, fingerprint_hex: &str) -> bool {
        match &self.hex {
            Some(q) if q.len() >= 16 => fingerprint_hex.ends_with(q.as_str()),
            _ => false,
        }
    }
}

impl Keyring {
    /// Loads `key_files`, then `secring.gpg` and `pubring.gpg` in `gnupg_home` if given.
    pub fn load(key_files: &[(String, PathBuf)], gnupg_home: Option<&Path>) -> Keyring {
        let mut ring = Keyring::default();
        for (label, path) in key_files {
            ring.load_file(&format!("{label} {}", path.display()), path, true);
        }
        match gnupg_home {
            Some(home) => {
                for name in ["secring.gpg", "pubring.gpg"] {
                    let path = home.join(name);
                    ring.load_file(&path.display().to_string(), &path, false);
                }
            }
            None => ring.statuses.push(
                "legacy keyrings (secring.gpg, pubring.gpg): no GnuPG home configured".to_owned(),
            ),
        }
        ring
    }

    /// Parses the certificates in `bytes` (from `origin`), adding them; returns how many.
    pub fn add_bytes(&mut self, origin: &str, bytes: &[u8]) -> Result<usize, String> {
        let mut added = 0;
        let mut bad = Vec::new();
        let parser = CertParser::from_bytes(bytes).map_err(|e| format!("not OpenPGP data: {e}"))?;
        for cert in parser {
            match cert {
                Ok(cert) => {
                    self.certs.push(Loaded {
                        origin: origin.to_owned(),
                        cert,
                    });
                    added += 1;
                }
                Err(e) => bad.push(e.to_string()),
            }
        }
        if added == 0 {
            return Err(match bad.first() {
                Some(e) => format!("no usable OpenPGP key in it ({e})"),
                None => "no OpenPGP key in it".to_owned(),
            });
        }
        Ok(added)
    }

    fn load_file(&mut self, label: &str, path: &Path, must_exist: bool) {
        let status = match read_key_file(path) {
            Ok(None) if !must_exist => "not present".to_owned(),
            Ok(None) => "does not exist".to_owned(),
            Ok(Some(bytes)) => match self.add_bytes(label, &bytes) {
                Ok(n) => {
                    let secret = self.certs[self.certs.len() - n..]
                        .iter()
                        .filter(|l| l.cert.is_tsk())
                        .count();
                    format!("{n} key(s), {secret} with secret key material")
                }
                Err(e) => e,
            },
            Err(e) => e,
        };
        self.statuses.push(format!("{label}: {status}"));
    }

    /// The certificates whose primary key or a subkey is `query`, in load order.
    pub fn find(&self, query: &FpQuery) -> Vec<&Loaded> {
        self.certs
            .iter()
            .filter(|l| {
                l.cert
                    .keys()
                    .any(|k| query.matches(&k.key().fingerprint().to_hex()))
            })
            .collect()
    }

    /// Whether any secret key material was loaded.
    pub fn has_secrets(&self) -> bool {
        self.certs.iter().any(|l| l.cert.is_tsk())
    }

    /// Secret keys that `handle` names (or all of them for a wildcard recipient), with the
    /// fingerprint of their certificate.
    pub fn secret_keys(
        &self,
        handle: Option<&KeyHandle>,
    ) -> Vec<(String, Key<SecretParts, UnspecifiedRole>)> {
        let mut out = Vec::new();
        for loaded in &self.certs {
            for ka in loaded.cert.keys().secret() {
                let key = ka.key();
                if handle.is_none_or(|h| h.aliases(key.key_handle())) {
                    out.push((
                        loaded.cert.fingerprint().to_hex(),
                        key.clone().role_into_unspecified(),
                    ));
                }
            }
        }
        out
    }

    /// Where keys were looked for, one line each, e.g. for an error report.
    pub fn describe(&self) -> String {
        self.statuses.join("; ")
    }
}

/// The contents of `path`, `None` if it does not exist.
fn read_key_file(path: &Path) -> Result<Option<Vec<u8>>, String> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read it: {e}")),
    };
    if !meta.is_file() {
        return Err("not a regular file".to_owned());
    }
    if meta.len() > MAX_KEY_FILE {
        return Err(format!("larger than {} MiB", MAX_KEY_FILE >> 20));
    }
    std::fs::read(path)
        .map(Some)
        .map_err(|e| format!("cannot read it: {e}"))
}

/// The paths in a `SOPS_PGP_KEY_FILE` value: separated like `PATH`, empty entries skipped.
pub fn split_key_file_list(value: &str) -> Vec<PathBuf> {
    std::env::split_paths(value)
        .filter(|p| !p.as_os_str().is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{split_key_file_list, FpQuery};

    #[test]
    fn fingerprint_queries() {
        let full = "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4";
        let q = FpQuery::new("fbc7 b9e2 a4f9 289a c0c1  d484 3d16 cee4 a273 81b4");
        assert!(q.matches(full) && !q.exact);
        assert!(FpQuery::new("0x3D16CEE4A27381B4").matches(full));
        assert!(FpQuery::new(&format!("{full}!")).exact);
        assert!(
            !FpQuery::new("A27381B4").matches(full),
            "short IDs are too weak"
        );
        assert!(FpQuery::new("not hex").hex.is_none());
        assert!(!FpQuery::new("").matches(full));
    }

    #[test]
    fn key_file_lists() {
        let sep = if cfg!(windows) { ";" } else { ":" };
        let list = split_key_file_list(&format!("/a/k.asc{sep}{sep}/b/k.gpg"));
        assert_eq!(list.len(), 2);
        assert!(split_key_file_list("").is_empty());
    }
}
