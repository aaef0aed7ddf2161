//! Calls to Azure Key Vault's keys API (`api-version=7.4`) through the challenge flow.
//!
//! The first call to a vault goes without a token and without a body; Key Vault answers `401`
//! with `WWW-Authenticate: Bearer authorization="<authority>/<tenant>", resource="<resource>"`
//! (or `scope=`). The resource must be a parent domain of the vault's host (as the SDKs check,
//! so that a look-alike vault cannot ask for a token of another service); its `/.default` scope
//! is what a token is asked for. The scope is remembered per vault for the rest of the process.

use super::credential::CredentialChain;
use super::key::{base64url, decode_base64url, AzureKey};
use crate::https::{HttpRequest, HttpResponse, Url};
use sops_core::KeyError;
use std::collections::HashMap;
use std::sync::Mutex;
use zeroize::Zeroizing;

const API_VERSION: &str = "api-version=7.4";

pub(super) struct VaultClient {
    credentials: CredentialChain,
    /// Vault host → the scope its challenge named.
    scopes: Mutex<HashMap<String, String>>,
}

impl VaultClient {
    pub(super) fn new(credentials: CredentialChain) -> Self {
        VaultClient {
            credentials,
            scopes: Mutex::new(HashMap::new()),
        }
    }

    /// `encrypt` or `decrypt` of `value` with `key`, RSA-OAEP-256; the result's bytes.
    pub(super) fn key_operation(
        &self,
        key: &AzureKey,
        operation: &str,
        value: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let url = parse_vault_url(key)?.with_path(
            &format!("/keys/{}/{}/{operation}", key.name, key.version),
            API_VERSION,
        );
        let body = Zeroizing::new(
            serde_json::json!({"alg": "RSA-OAEP-256", "value": base64url(value)}).to_string(),
        );
        let response = self.call(key, "POST", &url, body.as_bytes())?;
        let json = response.json();
        let Some(result) = json["value"].as_str().and_then(decode_base64url) else {
            return Err(KeyError::new(format!(
                "failed to {operation} the sops data key with Azure Key Vault key '{}': the \
                 vault's answer has no value",
                key.url()
            )));
        };
        Ok(Zeroizing::new(result))
    }

    /// The current version of `key` (`GET {vault}/keys/{name}/`).
    pub(super) fn current_version(&self, key: &AzureKey) -> Result<String, KeyError> {
        let url = parse_vault_url(key)?.with_path(&format!("/keys/{}/", key.name), API_VERSION);
        let response = self.call(key, "GET", &url, &[])?;
        let kid = response.json()["key"]["kid"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        match kid.trim_end_matches('/').rsplit('/').next() {
            Some(version) if kid.contains("/keys/") && !version.is_empty() => Ok(version.into()),
            _ => Err(KeyError::new(format!(
                "failed to fetch the current version of Azure Key Vault key '{}/keys/{}': the \
                 vault's answer has no key ID",
                key.vault_url, key.name
            ))),
        }
    }

    fn call(
        &self,
        key: &AzureKey,
        method: &str,
        url: &Url,
        body: &[u8],
    ) -> Result<HttpResponse, KeyError> {
        let what = || format!("Azure Key Vault key '{}'", key.url());
        let scope = self.scope_for(url, &what)?;
        let mut retried = false;
        loop {
            let token = self.credentials.token(&scope).map_err(|e| {
                KeyError::new(format!("failed to get an Azure token for {}: {e}", what()))
            })?;
            let response = HttpRequest::new(method, url)
                .header("Authorization", format!("Bearer {}", token.as_str()))
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .body(body)
                .send()
                .map_err(|e| KeyError::new(format!("cannot reach the vault of {}: {e}", what())))?;
            if response.status == 401 && !retried {
                // The token may have been revoked or expired early: ask once more.
                self.credentials.forget(&scope);
                retried = true;
                continue;
            }
            if !response.is_success() {
                return Err(KeyError::new(format!(
                    "{} refused the request: {}",
                    what(),
                    service_error(&response)
                )));
            }
            return Ok(response);
        }
    }

    /// The token scope for `url`'s vault, from its challenge (asked once per vault).
    fn scope_for(&self, url: &Url, what: &dyn Fn() -> String) -> Result<String, KeyError> {
        if let Some(scope) = self.scopes.lock().expect("scopes").get(&url.host) {
            return Ok(scope.clone());
        }
        let response = HttpRequest::new("POST", url)
            .send()
            .map_err(|e| KeyError::new(format!("cannot reach the vault of {}: {e}", what())))?;
        let challenge = response
            .header("www-authenticate")
            .filter(|_| response.status == 401)
            .ok_or_else(|| {
                KeyError::new(format!(
                    "the vault of {} did not answer with an authentication challenge (HTTP {})",
                    what(),
                    response.status
                ))
            })?;
        let scope = challenge_scope(challenge, &url.host).map_err(|e| {
            KeyError::new(format!("the vault of {} sent a bad challenge: {e}", what()))
        })?;
        self.scopes
            .lock()
            .expect("scopes")
            .insert(url.host.clone(), scope.clone());
        Ok(scope)
    }
}

fn parse_vault_url(key: &AzureKey) -> Result<Url, KeyError> {
    Url::parse(&key.vault_url).filter(|u| u.tls).ok_or_else(|| {
        KeyError::new(format!(
            "the vault URL of Azure Key Vault key '{}' is not an https URL",
            key.url()
        ))
    })
}

/// The `/.default` scope a Key Vault challenge names, checked against the vault's host.
pub(crate) fn challenge_scope(header: &str, vault_host: &str) -> Result<String, String> {
    let params = challenge_params(header);
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let scope = match (get("scope"), get("resource")) {
        (Some(scope), _) => scope.to_owned(),
        (None, Some(resource)) => format!("{}/.default", resource.trim_end_matches('/')),
        (None, None) => return Err("no resource or scope".into()),
    };
    let domain = Url::parse(&scope)
        .map(|u| u.host)
        .ok_or_else(|| format!("the scope {scope:?} is not a URL"))?;
    if vault_host != domain && !vault_host.ends_with(&format!(".{domain}")) {
        return Err(format!(
            "the resource domain {domain:?} does not match the vault's host {vault_host:?}"
        ));
    }
    Ok(scope)
}

fn challenge_params(header: &str) -> Vec<(String, String)> {
    let rest = header.trim();
    let rest = rest
        .strip_prefix("Bearer")
        .or_else(|| rest.strip_prefix("bearer"))
        .unwrap_or(rest);
    let mut out = Vec::new();
    for part in rest.split(',') {
        if let Some((k, v)) = part.split_once('=') {
            out.push((k.trim().to_owned(), v.trim().trim_matches('"').to_owned()));
        }
    }
    out
}

/// Key Vault's error text (`{"error":{"code","message"}}`) with the status.
fn service_error(response: &HttpResponse) -> String {
    let json = response.json();
    let code = json["error"]["code"].as_str().unwrap_or("");
    let message = json["error"]["message"].as_str().unwrap_or("");
    match (code, message) {
        ("", "") => format!("HTTP {}", response.status),
        _ => format!("HTTP {}: {code}: {message}", response.status),
    }
}
