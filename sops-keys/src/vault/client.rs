//! [`VaultClient`]: the few Vault HTTP API calls sops-rs makes (transit `encrypt`/`decrypt`
//! writes, KV reads), on `ureq` (blocking, rustls on ring).
//!
//! Each request carries `X-Vault-Token` (when a token was found), `X-Vault-Namespace` (when set)
//! and `X-Vault-Request: true`, as Vault's Go client sends them, and is bounded by the
//! settings' timeout. Answers with an error status are read as Vault's `{"errors": [...]}`.
//! Request and response bodies, which hold data keys and secrets, live in zeroizing buffers;
//! [`scrub`] wipes the strings of a parsed answer.

use super::error::VaultError;
use super::settings::{Trust, VaultSettings};
use serde_json::Value;
use std::sync::{Arc, OnceLock};
use zeroize::{Zeroize, Zeroizing};

/// The largest answer read (KV secrets included).
const MAX_BODY: u64 = 4 << 20;

/// A Vault API client for any number of addresses, configured by [`VaultSettings`]. Holds the
/// token, so it has no `Debug`.
pub struct VaultClient {
    settings: VaultSettings,
    agent: OnceLock<Result<ureq::Agent, VaultError>>,
}

impl VaultClient {
    /// A client with these settings; nothing is read or connected until the first request.
    pub fn new(settings: VaultSettings) -> Self {
        VaultClient {
            settings,
            agent: OnceLock::new(),
        }
    }

    /// The settings this client was made with.
    pub fn settings(&self) -> &VaultSettings {
        &self.settings
    }

    /// `POST <address>/v1/<path>` with a JSON body; the answer's JSON.
    pub fn write(&self, address: &str, path: &str, body: &Value) -> Result<Value, VaultError> {
        let body = Zeroizing::new(serde_json::to_vec(body).unwrap_or_default());
        let (request, url) = self.prepare("POST", address, path, &[])?;
        let agent = self.agent()?;
        let call = self
            .headers(agent.post(&url))
            .content_type("application/json")
            .send(&body[..]);
        match self.answer(&request, call)? {
            (_, Some(value)) => Ok(value),
            (_, None) => Err(VaultError::BadResponse {
                request,
                why: "the answer has no body".into(),
            }),
        }
    }

    /// `GET <address>/v1/<path>?<query>`; `None` when Vault answers 404 (nothing there).
    pub fn read(
        &self,
        address: &str,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Option<Value>, VaultError> {
        let (request, url) = self.prepare("GET", address, path, query)?;
        let agent = self.agent()?;
        let call = self.headers(agent.get(&url)).call();
        match self.answer(&request, call) {
            Err(VaultError::Status { code: 404, .. }) => Ok(None),
            Err(e) => Err(e),
            Ok((_, value)) => Ok(value),
        }
    }

    /// Checks the settings and the address and builds the URL; also the request as messages
    /// name it (`POST http://…/v1/transit/encrypt/app`).
    fn prepare(
        &self,
        method: &str,
        address: &str,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<(String, String), VaultError> {
        let allowlist = self.settings.allowlist.as_ref().map_err(Clone::clone)?;
        if !allowlist.allows(address) {
            return Err(VaultError::NotAllowed {
                address: address.to_owned(),
            });
        }
        if let Some(problem) = &self.settings.problem {
            return Err(problem.clone());
        }
        if !(address.starts_with("http://") || address.starts_with("https://")) {
            return Err(VaultError::BadAddress {
                address: address.to_owned(),
            });
        }
        let mut url = format!(
            "{}/v1/{}",
            address.trim_end_matches('/'),
            encode(path.trim_start_matches('/'), "/")
        );
        for (i, (name, value)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&encode(name, ""));
            url.push('=');
            url.push_str(&encode(value, ""));
        }
        Ok((format!("{method} {url}"), url))
    }

    fn headers<B>(&self, mut builder: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        builder = builder.header("X-Vault-Request", "true");
        if let Some(token) = &self.settings.token {
            builder = builder.header("X-Vault-Token", token.as_str());
        }
        if let Some(namespace) = &self.settings.namespace {
            builder = builder.header("X-Vault-Namespace", namespace.as_str());
        }
        builder
    }

    /// The status and parsed JSON body of an answer (`None` for an empty body); an error
    /// status is a [`VaultError::Status`] with Vault's `errors`.
    fn answer(
        &self,
        request: &str,
        call: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<(u16, Option<Value>), VaultError> {
        let mut response = call.map_err(|e| self.transport_error(request, e))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_string()
            .map(Zeroizing::new)
            .map_err(|e| self.transport_error(request, e))?;
        let value = if text.trim().is_empty() {
            None
        } else {
            match serde_json::from_str::<Value>(&text) {
                Ok(v) => Some(v),
                Err(_) if status >= 400 => None,
                Err(e) => {
                    return Err(VaultError::BadResponse {
                        request: request.to_owned(),
                        why: format!("the answer is not JSON: {e}"),
                    })
                }
            }
        };
        if status >= 300 {
            let errors = value
                .as_ref()
                .and_then(|v| v.get("errors"))
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if let Some(mut v) = value {
                scrub(&mut v);
            }
            return Err(VaultError::Status {
                request: request.to_owned(),
                code: status,
                errors,
            });
        }
        Ok((status, value))
    }

    fn transport_error(&self, request: &str, error: ureq::Error) -> VaultError {
        let request = request.to_owned();
        match error {
            ureq::Error::Timeout(_) => VaultError::Timeout {
                request,
                after: self.settings.timeout,
            },
            ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => VaultError::Timeout {
                request,
                after: self.settings.timeout,
            },
            ureq::Error::Io(e) => VaultError::Connect {
                request,
                why: e.to_string(),
            },
            ureq::Error::HostNotFound => VaultError::Connect {
                request,
                why: "host not found".into(),
            },
            other => VaultError::Connect {
                request,
                why: other.to_string(),
            },
        }
    }

    fn agent(&self) -> Result<&ureq::Agent, VaultError> {
        self.agent
            .get_or_init(|| build_agent(&self.settings))
            .as_ref()
            .map_err(Clone::clone)
    }
}

fn build_agent(settings: &VaultSettings) -> Result<ureq::Agent, VaultError> {
    use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
    let mut roots: Vec<Certificate<'static>> = Vec::new();
    match &settings.trust {
        Trust::System => {
            for der in rustls_native_certs::load_native_certs().certs {
                roots.push(Certificate::from_der(der.as_ref()).to_owned());
            }
        }
        Trust::Files(files) => {
            for file in files {
                let name = file.display().to_string();
                let bytes = std::fs::read(file).map_err(|e| VaultError::Setting {
                    name: name.clone(),
                    why: format!("cannot read the CA certificate file: {e}"),
                })?;
                let before = roots.len();
                for item in ureq::tls::parse_pem(&bytes) {
                    if let Ok(PemItem::Certificate(cert)) = item {
                        roots.push(cert);
                    }
                }
                if roots.len() == before {
                    return Err(VaultError::Setting {
                        name,
                        why: "no PEM certificate in the CA file".into(),
                    });
                }
            }
        }
    }
    let tls = TlsConfig::builder()
        .root_certs(RootCerts::Specific(Arc::new(roots)))
        .build();
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(settings.timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .tls_config(tls)
        .build();
    Ok(config.into())
}

/// Percent-encodes what is not unreserved (nor in `keep`).
fn encode(text: &str, keep: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        let c = byte as char;
        if c.is_ascii_alphanumeric() || "-._~".contains(c) || keep.contains(c) {
            out.push(c);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Wipes every string of a JSON value (secrets fetched from Vault) before it is dropped.
pub fn scrub(value: &mut Value) {
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(scrub),
        Value::Object(map) => map.values_mut().for_each(scrub),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_encoded_and_settings_checked_first() {
        assert_eq!(encode("transit/encrypt/a b", "/"), "transit/encrypt/a%20b");
        let settings = VaultSettings::from_lookup(&|n| {
            (n == super::super::settings::ALLOWLIST_ENV).then(|| "https://ok".to_owned())
        });
        let client = VaultClient::new(settings);
        let e = client
            .read("https://other:8200", "secret/x", &[])
            .unwrap_err();
        assert_eq!(e.to_string(), "Allowlist does not allow https://other:8200");
        let (request, url) = client
            .prepare("GET", "https://ok/", "secret/data/x", &[("version", "2")])
            .unwrap();
        assert_eq!(url, "https://ok/v1/secret/data/x?version=2");
        assert_eq!(request, "GET https://ok/v1/secret/data/x?version=2");
    }
}
