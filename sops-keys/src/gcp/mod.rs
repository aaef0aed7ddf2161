//! The GCP Cloud KMS master-key backend (`gcp_kms`): wraps the data key (or a Shamir share)
//! with the crypto key's `encrypt` method and unwraps it with `decrypt`, as sops does.
//!
//! A `gcp_kms` metadata entry holds, in this order: `resource_id`
//! (`projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>`), `created_at` and `enc` (standard
//! base64 of KMS's ciphertext).
//!
//! sops-rs speaks KMS's REST API (`POST https://cloudkms.googleapis.com/v1/{resource_id}:encrypt`),
//! which sops's Go client also offers (`SOPS_GCP_KMS_CLIENT_TYPE=rest`; its default is gRPC to
//! the same host). `SOPS_GCP_KMS_ENDPOINT` (a host, `host:port` or URL) replaces the endpoint
//! and `SOPS_GCP_KMS_UNIVERSE_DOMAIN` makes it `cloudkms.<domain>`, as in sops 3.13.
//! Credentials: see [`credential`]. Errors name the resource ID and never a credential.

pub mod credential;

use crate::https::{HttpRequest, Url};
use base64::Engine as _;
use sops_core::{KeyEntry, KeyError, KeySource, SecretBytes};
use zeroize::Zeroizing;

/// The metadata list this backend handles.
pub const KEY_TYPE: &str = "gcp_kms";

/// The GCP KMS [`KeySource`]. It holds a token, so it has no `Debug`.
#[derive(Default)]
pub struct GcpKmsKeySource {
    credentials: credential::GoogleCredentials,
}

/// Checks a resource ID as sops does:
/// `^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$`.
pub fn check_resource_id(id: &str) -> Result<(), KeyError> {
    let parts: Vec<&str> = id.split('/').collect();
    let valid = parts.len() == 8
        && parts[0] == "projects"
        && parts[2] == "locations"
        && parts[4] == "keyRings"
        && parts[6] == "cryptoKeys"
        && [1, 3, 5, 7].iter().all(|&i| !parts[i].is_empty());
    if valid {
        Ok(())
    } else {
        Err(KeyError::new(format!(
            "no valid resource ID found in {id:?} (projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>)"
        )))
    }
}

fn endpoint() -> String {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    if let Some(endpoint) = var("SOPS_GCP_KMS_ENDPOINT") {
        let endpoint = endpoint.trim().trim_end_matches('/');
        return if endpoint.contains("://") {
            endpoint.to_owned()
        } else {
            format!("https://{}", endpoint.trim_end_matches(":443"))
        };
    }
    let domain = var("SOPS_GCP_KMS_UNIVERSE_DOMAIN").unwrap_or_else(|| "googleapis.com".into());
    format!("https://cloudkms.{}", domain.trim())
}

impl GcpKmsKeySource {
    /// A source whose credentials come from the process environment.
    pub fn new() -> Self {
        Self::default()
    }

    fn call(
        &self,
        resource_id: &str,
        method: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, KeyError> {
        check_resource_id(resource_id)?;
        let what = || format!("GCP KMS key {resource_id}");
        let base = endpoint();
        let url = Url::parse(&format!("{base}/v1/{resource_id}:{method}"))
            .ok_or_else(|| KeyError::new(format!("the GCP KMS endpoint {base:?} is not a URL")))?;
        let token = self.credentials.token().map_err(|e| {
            KeyError::new(format!("cannot get Google credentials for {}: {e}", what()))
        })?;
        let body = Zeroizing::new(body.to_string());
        let response = HttpRequest::new("POST", &url)
            .header("Authorization", format!("Bearer {}", token.as_str()))
            .header("Content-Type", "application/json")
            .body(body.as_bytes())
            .send()
            .map_err(|e| KeyError::new(format!("cannot reach GCP KMS for {}: {e}", what())))?;
        let json = response.json();
        if !response.is_success() {
            let status = json["error"]["status"].as_str().unwrap_or("");
            let message = json["error"]["message"].as_str().unwrap_or("");
            let hint = match response.status {
                401 => "\n  hint: the Google credentials were refused; check GOOGLE_OAUTH_ACCESS_TOKEN, GOOGLE_CREDENTIALS or GOOGLE_APPLICATION_CREDENTIALS",
                403 => "\n  hint: the credentials need the cloudkms.cryptoKeyEncrypterDecrypter role on this key",
                _ => "",
            };
            return Err(KeyError::new(format!(
                "failed to {method} the sops data key with {}: HTTP {}: {status}: {message}{hint}",
                what(),
                response.status
            )));
        }
        Ok(json)
    }

    /// Encrypts `secret` with the key `resource_id`; the `enc` text.
    pub fn encrypt(&self, resource_id: &str, secret: &[u8]) -> Result<String, KeyError> {
        let plain = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(secret));
        let json = self.call(
            resource_id,
            "encrypt",
            &serde_json::json!({"plaintext": plain.as_str()}),
        )?;
        let blob = json["ciphertext"]
            .as_str()
            .and_then(|c| base64::engine::general_purpose::STANDARD.decode(c).ok())
            .ok_or_else(|| {
                KeyError::new(format!("GCP KMS key {resource_id} answered no ciphertext"))
            })?;
        Ok(base64::engine::general_purpose::STANDARD.encode(blob))
    }

    /// Decrypts `enc` with the key `resource_id`.
    pub fn decrypt(&self, resource_id: &str, enc: &str) -> Result<SecretBytes, KeyError> {
        let blob = base64::engine::general_purpose::STANDARD
            .decode(enc.trim())
            .map_err(|e| {
                KeyError::new(format!(
                    "failed to base64 decode the encrypted data key of GCP KMS key {resource_id}: {e}"
                ))
            })?;
        let ciphertext = base64::engine::general_purpose::STANDARD.encode(blob);
        let mut json = self.call(
            resource_id,
            "decrypt",
            &serde_json::json!({"ciphertext": ciphertext}),
        )?;
        let plain = match json.get_mut("plaintext").map(serde_json::Value::take) {
            Some(serde_json::Value::String(s)) => Zeroizing::new(s),
            // KMS leaves out an empty plaintext.
            None => Zeroizing::new(String::new()),
            Some(_) => {
                return Err(KeyError::new(format!(
                    "GCP KMS key {resource_id} answered a malformed plaintext"
                )))
            }
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(plain.as_bytes())
            .map_err(|_| {
                KeyError::new(format!(
                    "GCP KMS key {resource_id} answered a malformed plaintext"
                ))
            })?;
        Ok(SecretBytes::new(bytes))
    }
}

impl KeySource for GcpKmsKeySource {
    fn key_type(&self) -> &str {
        KEY_TYPE
    }

    fn is_remote(&self) -> bool {
        true
    }

    fn wrap(&self, entry: &mut KeyEntry, secret: &[u8]) -> Result<(), KeyError> {
        let id = entry
            .field("resource_id")
            .unwrap_or_default()
            .trim()
            .to_owned();
        let enc = self.encrypt(&id, secret)?;
        let created_at = entry.created_at_or_now();
        let mut wrapped = KeyEntry::new(KEY_TYPE);
        wrapped.set_field("resource_id", id);
        wrapped.set_field("created_at", created_at);
        wrapped.set_field("enc", enc);
        *entry = wrapped;
        Ok(())
    }

    fn unwrap(&self, entry: &KeyEntry) -> Option<Result<SecretBytes, KeyError>> {
        if entry.key_type != KEY_TYPE {
            return None;
        }
        let id = entry.field("resource_id").unwrap_or_default();
        Some(self.decrypt(id, entry.field("enc").unwrap_or_default()))
    }
}
