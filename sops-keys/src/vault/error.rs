//! [`VaultError`]: why a request to Vault failed. Messages name the URL or setting involved and
//! never the token.

use std::fmt;
use std::time::Duration;

/// A failed Vault request or a setting that prevents one.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VaultError {
    /// `SOPS_HC_VAULT_ALLOWLIST` does not allow the address.
    NotAllowed {
        /// The Vault address.
        address: String,
    },
    /// An entry of `SOPS_HC_VAULT_ALLOWLIST` is empty.
    AllowlistEntry {
        /// Its position, from 1.
        index: usize,
    },
    /// An environment setting is unusable (a token file, `VAULT_CACERT`, a timeout…).
    Setting {
        /// The variable or file.
        name: String,
        /// What is wrong with it.
        why: String,
    },
    /// The address is not an `http` or `https` URL.
    BadAddress {
        /// The address as given.
        address: String,
    },
    /// No answer within the timeout.
    Timeout {
        /// The request, e.g. `POST http://127.0.0.1:8200/v1/transit/encrypt/app`.
        request: String,
        /// The limit that ran out.
        after: Duration,
    },
    /// The server could not be reached (refused, unresolvable, TLS failure…).
    Connect {
        /// The request.
        request: String,
        /// What the transport said.
        why: String,
    },
    /// Vault answered with an error status.
    Status {
        /// The request.
        request: String,
        /// The HTTP status.
        code: u16,
        /// Vault's `errors` list (empty when the body had none).
        errors: Vec<String>,
    },
    /// Vault's answer is not what the API documents.
    BadResponse {
        /// The request.
        request: String,
        /// What is missing or malformed.
        why: String,
    },
}

impl VaultError {
    /// What to check first.
    pub fn hint(&self) -> &'static str {
        match self {
            VaultError::NotAllowed { .. } | VaultError::AllowlistEntry { .. } => {
                "SOPS_HC_VAULT_ALLOWLIST is all (the default), none, or comma-separated URL \
                 prefixes such as https://vault.example.org:8200"
            }
            VaultError::Setting { .. } => {
                "fix or unset the named variable or file (VAULT_TOKEN, ~/.vault-token, \
                 VAULT_CACERT, VAULT_CAPATH, VAULT_CLIENT_TIMEOUT)"
            }
            VaultError::BadAddress { .. } => {
                "a Vault address looks like https://vault.example.org:8200"
            }
            VaultError::Timeout { .. } => {
                "is Vault reachable from here? VAULT_CLIENT_TIMEOUT sets the limit (seconds)"
            }
            VaultError::Connect { .. } => {
                "is Vault running at that address? for https, VAULT_CACERT (or SSL_CERT_FILE) \
                 must name the CA that signed its certificate"
            }
            VaultError::Status { code: 403, .. } => {
                "check the token (VAULT_TOKEN, else ~/.vault-token), its policy, and \
                 VAULT_NAMESPACE"
            }
            VaultError::Status { code: 404, .. } => {
                "check the engine path and key name, and VAULT_NAMESPACE"
            }
            VaultError::Status { .. } | VaultError::BadResponse { .. } => {
                "check that the address points to a Vault (or OpenBao) server"
            }
        }
    }
}

impl fmt::Display for VaultError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VaultError::NotAllowed { address } => write!(f, "Allowlist does not allow {address}"),
            VaultError::AllowlistEntry { index } => {
                write!(f, "SOPS_HC_VAULT_ALLOWLIST's entry {index} is empty")
            }
            VaultError::Setting { name, why } => write!(f, "{name}: {why}"),
            VaultError::BadAddress { address } => {
                write!(f, "{address:?} is not an http:// or https:// address")
            }
            VaultError::Timeout { request, after } => write!(
                f,
                "{request}: no answer within {} s (timed out)",
                after.as_secs_f64()
            ),
            VaultError::Connect { request, why } => write!(f, "{request}: {why}"),
            VaultError::Status {
                request,
                code,
                errors,
            } => {
                write!(f, "{request}: Vault answered {code}")?;
                if !errors.is_empty() {
                    write!(f, ": {}", errors.join("; "))?;
                }
                Ok(())
            }
            VaultError::BadResponse { request, why } => write!(f, "{request}: {why}"),
        }
    }
}

impl std::error::Error for VaultError {}
