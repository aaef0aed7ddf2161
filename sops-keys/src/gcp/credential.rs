//! Google credentials in sops's order: `GOOGLE_CREDENTIALS` (a key file's path or its JSON),
//! then `GOOGLE_OAUTH_ACCESS_TOKEN`, then Application Default Credentials
//! (`GOOGLE_APPLICATION_CREDENTIALS`, gcloud's `application_default_credentials.json`, the
//! GCE/GKE metadata server).
//!
//! A service-account key signs its own JWT (RS256, with the `cloud-platform` scope) and sends
//! it as the bearer token, as Google's Go clients do for Cloud KMS; authorized-user
//! credentials trade their refresh token at the file's token endpoint (by default
//! `https://oauth2.googleapis.com/token`). Tokens are kept until shortly before they expire.
//! Errors never contain a key, a secret or a token.

use crate::https::{form_encode, HttpRequest, Url};
use base64::Engine as _;
use rsa::pkcs8::DecodePrivateKey;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use zeroize::Zeroizing;

const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

/// Where the bearer token comes from; holds at most one cached token.
pub struct GoogleCredentials {
    cache: Mutex<Option<(Zeroizing<String>, Instant)>>,
}

impl Default for GoogleCredentials {
    fn default() -> Self {
        GoogleCredentials {
            cache: Mutex::new(None),
        }
    }
}

impl GoogleCredentials {
    /// A bearer token, from the cache or the environment.
    pub fn token(&self) -> Result<Zeroizing<String>, String> {
        if let Some((token, until)) = self.cache.lock().expect("token cache").as_ref() {
            if Instant::now() < *until {
                return Ok(token.clone());
            }
        }
        let (token, lifetime) = fetch()?;
        let until = Instant::now() + lifetime.saturating_sub(Duration::from_secs(300));
        *self.cache.lock().expect("token cache") = Some((token.clone(), until));
        Ok(token)
    }
}

fn var(name: &str) -> Option<Zeroizing<String>> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .map(Zeroizing::new)
}

fn fetch() -> Result<(Zeroizing<String>, Duration), String> {
    if let Some(value) = var("GOOGLE_CREDENTIALS") {
        // sops: a path if such a file exists, else the JSON itself.
        let json = match std::fs::read(value.as_str()) {
            Ok(bytes) => Zeroizing::new(bytes),
            Err(_) => Zeroizing::new(value.as_bytes().to_vec()),
        };
        return from_json(&json).map_err(|e| format!("GOOGLE_CREDENTIALS: {e}"));
    }
    if let Some(token) = var("GOOGLE_OAUTH_ACCESS_TOKEN") {
        return Ok((token, Duration::from_secs(3600)));
    }
    let file = var("GOOGLE_APPLICATION_CREDENTIALS")
        .map(|p| (p.to_string(), true))
        .or_else(|| {
            let dir = std::env::var("CLOUDSDK_CONFIG").ok().or_else(|| {
                std::env::var("HOME")
                    .ok()
                    .map(|h| format!("{h}/.config/gcloud"))
            })?;
            Some((format!("{dir}/application_default_credentials.json"), false))
        });
    if let Some((path, explicit)) = file {
        match std::fs::read(&path) {
            Ok(bytes) => {
                return from_json(&Zeroizing::new(bytes)).map_err(|e| format!("{path}: {e}"))
            }
            Err(e) if explicit => {
                return Err(format!(
                    "cannot read GOOGLE_APPLICATION_CREDENTIALS {path}: {e}"
                ))
            }
            Err(_) => {}
        }
    }
    metadata_server().map_err(|e| {
        format!(
            "no Google credentials found ({e})\n  hint: set GOOGLE_OAUTH_ACCESS_TOKEN, or \
             GOOGLE_APPLICATION_CREDENTIALS / GOOGLE_CREDENTIALS to a service-account key file, \
             or run `gcloud auth application-default login`"
        )
    })
}

fn from_json(bytes: &[u8]) -> Result<(Zeroizing<String>, Duration), String> {
    let json: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|_| "the credentials are not JSON".to_owned())?;
    let field = |name: &str| json[name].as_str().unwrap_or("");
    let token_uri = match field("token_uri") {
        "" => DEFAULT_TOKEN_URI,
        uri => uri,
    };
    match field("type") {
        "service_account" => {
            let jwt = self_signed_jwt(
                field("client_email"),
                field("private_key_id"),
                field("private_key"),
            )?;
            Ok((jwt, Duration::from_secs(3600)))
        }
        "authorized_user" => {
            let form = Zeroizing::new(format!(
                "grant_type=refresh_token&client_id={}&client_secret={}&refresh_token={}",
                form_encode(field("client_id")),
                form_encode(field("client_secret")),
                form_encode(field("refresh_token"))
            ));
            token_request(token_uri, &form)
        }
        other => Err(format!(
            "credentials of type {other:?} are not supported by sops-rs (service_account and \
             authorized_user are)"
        )),
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A JWT signed by the service account's key, valid for an hour, with the cloud-platform
/// scope: what Google's clients send instead of trading it for an access token.
fn self_signed_jwt(email: &str, key_id: &str, pem: &str) -> Result<Zeroizing<String>, String> {
    use rsa::signature::{SignatureEncoding, Signer};
    if email.is_empty() {
        return Err("the service-account key has no client_email".into());
    }
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem).map_err(|_| {
        format!("the private key of service account {email} is not a PKCS#8 RSA key")
    })?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": key_id});
    let claims = serde_json::json!({
        "iss": email, "sub": email, "scope": SCOPE, "iat": now, "exp": now + 3600
    });
    let signing_input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key);
    let signature = signer.sign(signing_input.as_bytes()).to_vec();
    Ok(Zeroizing::new(format!(
        "{signing_input}.{}",
        b64(&signature)
    )))
}

fn token_request(uri: &str, form: &str) -> Result<(Zeroizing<String>, Duration), String> {
    let url = Url::parse(uri)
        .filter(|u| u.tls)
        .ok_or_else(|| format!("the token_uri {uri:?} is not an https URL"))?;
    let response = HttpRequest::new("POST", &url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form.as_bytes())
        .send()
        .map_err(|e| e.to_string())?;
    let json = response.json();
    if !response.is_success() {
        return Err(format!(
            "the token endpoint refused the credentials (HTTP {}): {}: {}\n  hint: the \
             credentials may be revoked or expired; renew them (`gcloud auth \
             application-default login`)",
            response.status,
            json["error"].as_str().unwrap_or(""),
            json["error_description"].as_str().unwrap_or("")
        ));
    }
    token_from(&json).ok_or_else(|| "the token endpoint's answer has no access_token".into())
}

fn token_from(json: &serde_json::Value) -> Option<(Zeroizing<String>, Duration)> {
    let token = json["access_token"].as_str()?;
    let lifetime = json["expires_in"].as_u64().unwrap_or(300);
    Some((
        Zeroizing::new(token.to_owned()),
        Duration::from_secs(lifetime),
    ))
}

fn metadata_server() -> Result<(Zeroizing<String>, Duration), String> {
    let host =
        std::env::var("GCE_METADATA_HOST").unwrap_or_else(|_| "metadata.google.internal".into());
    let url = Url::parse(&format!(
        "http://{host}/computeMetadata/v1/instance/service-accounts/default/token"
    ))
    .ok_or("GCE_METADATA_HOST is not a host name")?;
    let response = HttpRequest::new("GET", &url)
        .header("Metadata-Flavor", "Google")
        .connect_timeout(Duration::from_secs(1))
        .send()
        .map_err(|_| "not on GCE/GKE: the metadata server did not answer".to_owned())?;
    if !response.is_success() {
        return Err(format!(
            "the metadata server answered HTTP {}",
            response.status
        ));
    }
    token_from(&response.json())
        .ok_or_else(|| "the metadata server's answer has no access_token".into())
}
