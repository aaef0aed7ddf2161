//! The HuaweiCloud KMS master-key backend (`hckms`): wraps the data key (or a Shamir share)
//! with KMS `encrypt-data` and unwraps it with `decrypt-data`, as sops does.
//!
//! An `hckms` metadata entry holds, in this order: `key_id` (`<region>:<key UUID>`, e.g.
//! `cn-north-4:7c9e6679-…`), `created_at` and `enc` (KMS's `cipher_text` as it answered it).
//! The data key travels base64-encoded as the `plain_text`, as sops sends it.
//!
//! Requests go to the regional endpoint `https://kms.<region>.myhuaweicloud.com` (or
//! `HUAWEICLOUD_SDK_KMS_ENDPOINT`, a sops-rs extension for private endpoints) as
//! `POST /v1.0/{project_id}/kms/{encrypt,decrypt}-data`, signed with the access key
//! (`SDK-HMAC-SHA256`). Credentials are the Go SDK's environment credentials:
//! `HUAWEICLOUD_SDK_AK`, `HUAWEICLOUD_SDK_SK`, `HUAWEICLOUD_SDK_PROJECT_ID` and the optional
//! `HUAWEICLOUD_SDK_SECURITY_TOKEN` (temporary credentials). Without a project ID it is
//! looked up, as the SDK does, in IAM's project list for the region
//! (`GET https://iam.<region>.myhuaweicloud.com/v3/projects?name=<region>`, or
//! `HUAWEICLOUD_SDK_IAM_ENDPOINT`), once per region. The SDK's profile file and ECS metadata
//! credentials are not implemented.
//!
//! Errors name the key ID and never a credential.

mod sign;

use crate::https::{HttpRequest, Url};
use sops_core::internal::CivilTime;
use sops_core::{KeyEntry, KeyError, KeySource, SecretBytes};
use zeroize::Zeroizing;

/// The metadata list this backend handles.
pub const KEY_TYPE: &str = "hckms";

/// One HuaweiCloud KMS key: its region and UUID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HckmsKey {
    /// The key ID as written: `region:uuid`.
    pub key_id: String,
    /// The region, e.g. `cn-north-4`.
    pub region: String,
    /// The key's UUID.
    pub uuid: String,
}

impl HckmsKey {
    /// Parses `region:uuid` (spaces around either part trimmed), as sops does.
    pub fn parse(key_id: &str) -> Result<HckmsKey, KeyError> {
        let key_id = key_id.trim();
        let Some((region, uuid)) = key_id.split_once(':') else {
            return Err(KeyError::new(format!(
                "invalid key ID format: expected 'region:key-uuid', got {key_id:?}"
            )));
        };
        let (region, uuid) = (region.trim(), uuid.trim());
        if region.is_empty() {
            return Err(KeyError::new(format!(
                "region cannot be empty in key ID: {key_id:?}"
            )));
        }
        if uuid.is_empty() {
            return Err(KeyError::new(format!(
                "key UUID cannot be empty in key ID: {key_id:?}"
            )));
        }
        if !region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(KeyError::new(format!(
                "invalid region {region:?} in key ID {key_id:?}"
            )));
        }
        Ok(HckmsKey {
            key_id: key_id.to_owned(),
            region: region.to_owned(),
            uuid: uuid.to_owned(),
        })
    }
}

/// The credentials of the environment; never printed.
struct Credentials {
    access_key: Zeroizing<String>,
    secret_key: Zeroizing<String>,
    project_id: String,
    security_token: Option<Zeroizing<String>>,
}

/// The HuaweiCloud KMS [`KeySource`]. It reads credentials when a key needs them.
#[derive(Default)]
pub struct HckmsKeySource {
    _private: (),
}

impl HckmsKeySource {
    /// A source whose credentials come from the process environment.
    pub fn new() -> Self {
        HckmsKeySource { _private: () }
    }

    fn credentials(key: &HckmsKey) -> Result<Credentials, KeyError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let (Some(ak), Some(sk)) = (var("HUAWEICLOUD_SDK_AK"), var("HUAWEICLOUD_SDK_SK")) else {
            return Err(KeyError::new(format!(
                "failed to get HuaweiCloud credentials for KMS key {}: HUAWEICLOUD_SDK_AK and \
                 HUAWEICLOUD_SDK_SK are not set\n  hint: export HUAWEICLOUD_SDK_AK, \
                 HUAWEICLOUD_SDK_SK and HUAWEICLOUD_SDK_PROJECT_ID",
                key.key_id
            )));
        };
        let mut credentials = Credentials {
            access_key: Zeroizing::new(ak),
            secret_key: Zeroizing::new(sk),
            project_id: var("HUAWEICLOUD_SDK_PROJECT_ID").unwrap_or_default(),
            security_token: var("HUAWEICLOUD_SDK_SECURITY_TOKEN").map(Zeroizing::new),
        };
        if credentials.project_id.is_empty() {
            credentials.project_id = Self::project_id(key, &credentials)?;
        }
        Ok(credentials)
    }

    /// The project of `key`'s region, from IAM (`GET /v3/projects?name=<region>`).
    fn project_id(key: &HckmsKey, credentials: &Credentials) -> Result<String, KeyError> {
        let fail = |why: String| {
            KeyError::new(format!(
                "failed to get the project ID of region '{}' for HuaweiCloud KMS key {}: {why}\n  \
                 hint: export HUAWEICLOUD_SDK_PROJECT_ID",
                key.region, key.key_id
            ))
        };
        let base = match std::env::var("HUAWEICLOUD_SDK_IAM_ENDPOINT")
            .ok()
            .filter(|v| !v.is_empty())
        {
            Some(e) if e.starts_with("https://") => e,
            Some(e) => format!("https://{e}"),
            None => format!("https://iam.{}.myhuaweicloud.com", key.region),
        };
        let query = format!("name={}", key.region);
        let url = Url::parse(&format!(
            "{}/v3/projects?{query}",
            base.trim_end_matches('/')
        ))
        .ok_or_else(|| fail(format!("the IAM endpoint {base:?} is not a URL")))?;
        let date = sdk_date();
        let host = url.host_header();
        let mut signed: Vec<(&str, &str)> = vec![("Host", &host)];
        if let Some(token) = &credentials.security_token {
            signed.push(("X-Security-Token", token.as_str()));
        }
        let signable = sign::Signable {
            method: "GET",
            path: "/v3/projects",
            query: &[("name", &key.region)],
            headers: &signed,
            body: b"",
        };
        let authorization = Zeroizing::new(sign::sign(
            &signable,
            &date,
            &credentials.access_key,
            &credentials.secret_key,
        ));
        let mut request = HttpRequest::new("GET", &url)
            .header("X-Sdk-Date", date)
            .header("Authorization", authorization.as_str());
        if let Some(token) = &credentials.security_token {
            request = request.header("X-Security-Token", token.as_str());
        }
        let response = request.send().map_err(|e| fail(e.to_string()))?;
        let json = response.json();
        if !response.is_success() {
            return Err(fail(format!(
                "IAM answered HTTP {}: {}",
                response.status,
                json["error_msg"].as_str().unwrap_or("")
            )));
        }
        let ids: Vec<&str> = json["projects"]
            .as_array()
            .map(|list| list.iter().filter_map(|p| p["id"].as_str()).collect())
            .unwrap_or_default();
        match ids.as_slice() {
            [id] => Ok((*id).to_owned()),
            [] => Err(fail(
                "IAM lists no project of that name in this account".into(),
            )),
            many => Err(fail(format!(
                "IAM lists several projects: {}",
                many.join(",")
            ))),
        }
    }

    fn call(
        &self,
        key: &HckmsKey,
        operation: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, KeyError> {
        let what = || format!("HuaweiCloud KMS key {}", key.key_id);
        let credentials = Self::credentials(key)?;
        let base = std::env::var("HUAWEICLOUD_SDK_KMS_ENDPOINT")
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| format!("https://kms.{}.myhuaweicloud.com", key.region));
        let path = format!("/v1.0/{}/kms/{operation}", credentials.project_id);
        let url =
            Url::parse(&format!("{}{path}", base.trim_end_matches('/'))).ok_or_else(|| {
                KeyError::new(format!(
                    "the KMS endpoint {base:?} of {} is not a URL",
                    what()
                ))
            })?;
        let body = Zeroizing::new(body.to_string());
        let date = sdk_date();
        let host = url.host_header();
        let mut signed: Vec<(&str, &str)> =
            vec![("Host", &host), ("X-Project-Id", &credentials.project_id)];
        if let Some(token) = &credentials.security_token {
            signed.push(("X-Security-Token", token.as_str()));
        }
        let signable = sign::Signable {
            method: "POST",
            path: &path,
            query: &[],
            headers: &signed,
            body: body.as_bytes(),
        };
        let authorization = Zeroizing::new(sign::sign(
            &signable,
            &date,
            &credentials.access_key,
            &credentials.secret_key,
        ));
        let mut request = HttpRequest::new("POST", &url)
            .header("Content-Type", "application/json;charset=UTF-8")
            .header("X-Project-Id", credentials.project_id.clone())
            .header("X-Sdk-Date", date)
            .header("Authorization", authorization.as_str());
        if let Some(token) = &credentials.security_token {
            request = request.header("X-Security-Token", token.as_str());
        }
        let response = request
            .body(body.as_bytes())
            .send()
            .map_err(|e| KeyError::new(format!("cannot reach KMS for {}: {e}", what())))?;
        let json = response.json();
        if !response.is_success() {
            let code = json["error_code"].as_str().unwrap_or("");
            let message = json["error_msg"].as_str().unwrap_or("");
            let hint = if response.status == 401 || code.starts_with("APIGW.03") {
                "\n  hint: check HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (and the security token of temporary credentials)"
            } else {
                ""
            };
            return Err(KeyError::new(format!(
                "failed to {} the sops data key with {}: HTTP {}: {code}: {message}{hint}",
                if operation == "encrypt-data" {
                    "encrypt"
                } else {
                    "decrypt"
                },
                what(),
                response.status
            )));
        }
        Ok(json)
    }

    /// Encrypts `secret` with `key`; the `enc` text.
    pub fn encrypt(&self, key: &HckmsKey, secret: &[u8]) -> Result<String, KeyError> {
        use base64::Engine as _;
        let plain = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(secret));
        let body = serde_json::json!({
            "key_id": key.uuid,
            "plain_text": plain.as_str(),
            "encryption_algorithm": "SYMMETRIC_DEFAULT"
        });
        let json = self.call(key, "encrypt-data", &body)?;
        json["cipher_text"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| {
                KeyError::new(format!(
                    "the encryption response of HuaweiCloud KMS key {} has no ciphertext",
                    key.key_id
                ))
            })
    }

    /// Decrypts `enc` with `key`.
    pub fn decrypt(&self, key: &HckmsKey, enc: &str) -> Result<SecretBytes, KeyError> {
        use base64::Engine as _;
        let body = serde_json::json!({
            "cipher_text": enc,
            "encryption_algorithm": "SYMMETRIC_DEFAULT",
            "key_id": key.uuid
        });
        let mut json = self.call(key, "decrypt-data", &body)?;
        let plain = match json.get_mut("plain_text").map(serde_json::Value::take) {
            Some(serde_json::Value::String(s)) => Zeroizing::new(s),
            _ => {
                return Err(KeyError::new(format!(
                    "the decryption response of HuaweiCloud KMS key {} has no plaintext",
                    key.key_id
                )))
            }
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(plain.as_bytes())
            .map_err(|_| {
                KeyError::new(format!(
                    "failed to base64 decode the data key decrypted by HuaweiCloud KMS key {}",
                    key.key_id
                ))
            })?;
        Ok(SecretBytes::new(bytes))
    }
}

/// `X-Sdk-Date`: now, `YYYYMMDDTHHMMSSZ`.
fn sdk_date() -> String {
    CivilTime::now_utc()
        .rfc3339()
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .collect()
}

impl KeySource for HckmsKeySource {
    fn key_type(&self) -> &str {
        KEY_TYPE
    }

    fn is_remote(&self) -> bool {
        true
    }

    fn wrap(&self, entry: &mut KeyEntry, secret: &[u8]) -> Result<(), KeyError> {
        let key = HckmsKey::parse(entry.field("key_id").unwrap_or_default())?;
        let enc = self.encrypt(&key, secret)?;
        let created_at = entry.created_at_or_now();
        let mut wrapped = KeyEntry::new(KEY_TYPE);
        wrapped.set_field("key_id", key.key_id);
        wrapped.set_field("created_at", created_at);
        wrapped.set_field("enc", enc);
        *entry = wrapped;
        Ok(())
    }

    fn unwrap(&self, entry: &KeyEntry) -> Option<Result<SecretBytes, KeyError>> {
        if entry.key_type != KEY_TYPE {
            return None;
        }
        Some(
            HckmsKey::parse(entry.field("key_id").unwrap_or_default())
                .and_then(|key| self.decrypt(&key, entry.field("enc").unwrap_or_default())),
        )
    }
}
