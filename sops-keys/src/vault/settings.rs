//! What a Vault client takes from the environment, read the way Vault's Go client (which sops
//! uses) reads it: the token, the namespace, the trusted CAs, the timeout, and sops 3.13's
//! `SOPS_HC_VAULT_ALLOWLIST`.
//!
//! | variable | meaning |
//! |---|---|
//! | `VAULT_TOKEN` | the token; when unset or empty, the trimmed contents of `~/.vault-token` (`$HOME`) |
//! | `VAULT_NAMESPACE` | sent as `X-Vault-Namespace` (Vault Enterprise, OpenBao) |
//! | `VAULT_CACERT` | a PEM file: the only CAs trusted for `https` |
//! | `VAULT_CAPATH` | a directory of PEM files, when `VAULT_CACERT` is unset |
//! | `SSL_CERT_FILE`, `SSL_CERT_DIR` | otherwise the system's trust store, as these override it |
//! | `VAULT_CLIENT_TIMEOUT` | seconds (`30`) or a duration (`30s`, `2m`); default 60 s |
//! | `SOPS_HC_VAULT_ALLOWLIST` | `all` (default), `none`, or comma-separated URL prefixes |
//!
//! The variables come from a lookup function, so that a caller (the `ref+vault://` resolver)
//! can hand over an environment other than the process's.

use super::error::VaultError;
use std::path::PathBuf;
use std::time::Duration;
use zeroize::Zeroizing;

/// The variable sops 3.13 reads for the allowlist.
pub const ALLOWLIST_ENV: &str = "SOPS_HC_VAULT_ALLOWLIST";

/// Vault's Go client's default request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Where a token came from, for messages (the token itself is never shown).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenSource {
    /// No token was found: requests go without one (and Vault answers "permission denied").
    None,
    /// An environment variable, by name.
    Env(String),
    /// A file, by path.
    File(PathBuf),
}

/// Which CAs a client trusts for `https` addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trust {
    /// The system's trust store (honouring `SSL_CERT_FILE` and `SSL_CERT_DIR`).
    System,
    /// Only the certificates of these PEM files (`VAULT_CACERT`, or the files of `VAULT_CAPATH`).
    Files(Vec<PathBuf>),
}

/// Which Vault addresses may be contacted (`SOPS_HC_VAULT_ALLOWLIST`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Allowlist {
    /// Every address (`all`, the default).
    All,
    /// Addresses starting with one of these prefixes, each ending in `/` (`none` is empty).
    Prefixes(Vec<String>),
}

impl Allowlist {
    /// Reads the variable's value as sops 3.13 does: unset or empty is `all`.
    pub fn parse(value: Option<&str>) -> Result<Self, VaultError> {
        match value.unwrap_or_default() {
            "" | "all" => Ok(Allowlist::All),
            "none" => Ok(Allowlist::Prefixes(Vec::new())),
            list => list
                .split(',')
                .enumerate()
                .map(|(i, uri)| match uri.trim_matches(' ') {
                    "" => Err(VaultError::AllowlistEntry { index: i + 1 }),
                    uri if uri.ends_with('/') => Ok(uri.to_owned()),
                    uri => Ok(format!("{uri}/")),
                })
                .collect::<Result<_, _>>()
                .map(Allowlist::Prefixes),
        }
    }

    /// Whether `address` may be contacted (compared with a `/` appended, as sops does).
    pub fn allows(&self, address: &str) -> bool {
        match self {
            Allowlist::All => true,
            Allowlist::Prefixes(prefixes) => {
                let address = if address.ends_with('/') {
                    address.to_owned()
                } else {
                    format!("{address}/")
                };
                prefixes.iter().any(|p| address.starts_with(p.as_str()))
            }
        }
    }
}

/// Everything a [`VaultClient`](super::VaultClient) needs besides the address. It holds the
/// token, so it has no `Debug`; the token is zeroized on drop.
#[derive(Clone)]
pub struct VaultSettings {
    /// The token sent as `X-Vault-Token`, if any.
    pub token: Option<Zeroizing<String>>,
    /// Where [`token`](Self::token) came from.
    pub token_source: TokenSource,
    /// Sent as `X-Vault-Namespace` when set.
    pub namespace: Option<String>,
    /// The CAs trusted for `https`.
    pub trust: Trust,
    /// The limit for one request, connection included.
    pub timeout: Duration,
    /// Which addresses may be contacted; `Err` when the variable is malformed (reported when a
    /// request is made, as sops does).
    pub allowlist: Result<Allowlist, VaultError>,
    /// A problem found while reading the environment (an unreadable token file, a bad
    /// timeout), reported when a request is made.
    pub problem: Option<VaultError>,
}

impl VaultSettings {
    /// Settings from the process environment.
    pub fn from_env() -> Self {
        Self::from_lookup(&|name| std::env::var(name).ok())
    }

    /// Settings from the variables `lookup` gives (see the module documentation).
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let mut problem = None;
        let (token, token_source) = match get("VAULT_TOKEN") {
            Some(token) => (
                Some(Zeroizing::new(token)),
                TokenSource::Env("VAULT_TOKEN".into()),
            ),
            None => match get("HOME").map(|h| PathBuf::from(h).join(".vault-token")) {
                Some(path) => match read_token_file(&path) {
                    Ok(Some(token)) => (Some(token), TokenSource::File(path)),
                    Ok(None) => (None, TokenSource::None),
                    Err(e) => {
                        problem = Some(e);
                        (None, TokenSource::None)
                    }
                },
                None => (None, TokenSource::None),
            },
        };
        let trust = match (get("VAULT_CACERT"), get("VAULT_CAPATH")) {
            (Some(file), _) => Trust::Files(vec![PathBuf::from(file)]),
            (None, Some(dir)) => match pem_files(&PathBuf::from(&dir)) {
                Ok(files) => Trust::Files(files),
                Err(e) => {
                    problem.get_or_insert(e);
                    Trust::Files(Vec::new())
                }
            },
            (None, None) => Trust::System,
        };
        let timeout = match get("VAULT_CLIENT_TIMEOUT") {
            None => DEFAULT_TIMEOUT,
            Some(text) => parse_duration(&text).unwrap_or_else(|| {
                problem.get_or_insert(VaultError::Setting {
                    name: "VAULT_CLIENT_TIMEOUT".into(),
                    why: format!("{text:?} is not a number of seconds or a duration like 30s"),
                });
                DEFAULT_TIMEOUT
            }),
        };
        VaultSettings {
            token,
            token_source,
            namespace: get("VAULT_NAMESPACE"),
            trust,
            timeout,
            allowlist: Allowlist::parse(lookup(ALLOWLIST_ENV).as_deref()),
            problem,
        }
    }
}

/// The trimmed token of `path`; `None` when the file does not exist or is empty.
pub fn read_token_file(path: &std::path::Path) -> Result<Option<Zeroizing<String>>, VaultError> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let bytes = Zeroizing::new(bytes);
            let text = String::from_utf8_lossy(&bytes);
            let token = Zeroizing::new(text.trim().to_owned());
            if let std::borrow::Cow::Owned(mut s) = text {
                zeroize::Zeroize::zeroize(&mut s);
            }
            Ok((!token.is_empty()).then_some(token))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(VaultError::Setting {
            name: path.display().to_string(),
            why: format!("cannot read the Vault token file: {e}"),
        }),
    }
}

fn pem_files(dir: &std::path::Path) -> Result<Vec<PathBuf>, VaultError> {
    let entries = std::fs::read_dir(dir).map_err(|e| VaultError::Setting {
        name: "VAULT_CAPATH".into(),
        why: format!("cannot read {}: {e}", dir.display()),
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// `30`, `30s`, `1500ms`, `2m`, `1h`, or combinations such as `1m30s`.
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit() && c != '.')?;
        let (number, tail) = rest.split_at(digits);
        let number: f64 = number.parse().ok()?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let scale = match unit {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += Duration::try_from_secs_f64(number * scale).ok()?;
        rest = tail;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowlists_read_as_in_sops() {
        assert_eq!(Allowlist::parse(None).unwrap(), Allowlist::All);
        assert!(!Allowlist::parse(Some("none")).unwrap().allows("http://a"));
        let list = Allowlist::parse(Some("https://a:8200, http://b/")).unwrap();
        assert!(list.allows("https://a:8200"));
        assert!(!list.allows("https://a:82001"));
        assert!(list.allows("http://b"));
        let e = Allowlist::parse(Some("http://a,,")).unwrap_err();
        assert_eq!(e.to_string(), "SOPS_HC_VAULT_ALLOWLIST's entry 2 is empty");
    }

    #[test]
    fn durations_read_as_vault_reads_them() {
        assert_eq!(parse_duration("30"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("soon"), None);
    }

    #[test]
    fn the_token_file_is_the_fallback() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join(".vault-token"), "  s.file\n").unwrap();
        let h = home.path().to_str().unwrap().to_owned();
        let from_file = VaultSettings::from_lookup(&|n| (n == "HOME").then(|| h.clone()));
        assert_eq!(
            from_file.token.as_deref().map(String::as_str),
            Some("s.file")
        );
        let env = |n: &str| match n {
            "HOME" => Some(h.clone()),
            "VAULT_TOKEN" => Some("s.env".to_owned()),
            _ => None,
        };
        let from_env = VaultSettings::from_lookup(&env);
        assert_eq!(from_env.token.as_deref().map(String::as_str), Some("s.env"));
        assert_eq!(
            from_env.token_source,
            TokenSource::Env("VAULT_TOKEN".into())
        );
    }
}
