//! GCP Cloud KMS stand-in, REST (`POST /v1/{name}:encrypt`, `…:decrypt` at
//! `cloudkms.googleapis.com`) with AES-256-GCM inside, and Google's OAuth 2.0 token endpoint
//! (`oauth2.googleapis.com/token`: the `refresh_token` grant of authorized-user credentials and
//! the JWT-bearer grant of service accounts).
//!
//! KMS accepts three kinds of bearer token: the fixed [`ACCESS_TOKEN`] (what a user passes as
//! `GOOGLE_OAUTH_ACCESS_TOKEN`), tokens this stand-in issued, and self-signed service-account
//! JWTs (RS256 with the service account's key, as Google's Go clients send them), whose
//! signature, issuer and expiry are checked. The reference sops is pointed at it with
//! `SOPS_GCP_KMS_CLIENT_TYPE=rest`; its default gRPC transport is not served here.

use super::{decode_base64, random_hex};
use crate::netns::{Request, Response};
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::Verifier;
use rsa::RsaPrivateKey;
use serde_json::json;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// KMS's host.
pub const KMS_HOST: &str = "cloudkms.googleapis.com";
/// The OAuth 2.0 token endpoint's host.
pub const TOKEN_HOST: &str = "oauth2.googleapis.com";
/// The key's resource ID.
pub const RESOURCE_ID: &str =
    "projects/sops-rs-test/locations/global/keyRings/sops/cryptoKeys/sops-key";
/// A token KMS accepts as it is.
pub const ACCESS_TOKEN: &str = "ya29.sops-rs-test-access-token";
/// The service account's e-mail.
pub const SERVICE_ACCOUNT: &str = "sops@sops-rs-test.iam.gserviceaccount.com";
/// The authorized user's refresh token.
pub const REFRESH_TOKEN: &str = "1//sops-rs-test-refresh-token";

const SERVICE_ACCOUNT_PEM: &str = include_str!("../../../fixtures/cloud/gcp-service-account.pem");

/// The GCP stand-in's state.
#[derive(Clone)]
pub struct GcpServer {
    key: [u8; 32],
    service_account: Arc<RsaPrivateKey>,
    tokens: Arc<Mutex<HashSet<String>>>,
}

impl Default for GcpServer {
    fn default() -> Self {
        GcpServer::new()
    }
}

impl GcpServer {
    /// A stand-in with a fresh KMS key and the fixed service-account key.
    pub fn new() -> GcpServer {
        use rand::RngCore;
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        let service_account =
            RsaPrivateKey::from_pkcs8_pem(SERVICE_ACCOUNT_PEM).expect("the test key parses");
        GcpServer {
            key,
            service_account: Arc::new(service_account),
            tokens: Arc::new(Mutex::new(HashSet::from([ACCESS_TOKEN.to_owned()]))),
        }
    }

    /// The host names to map to 127.0.0.1.
    pub fn host_names() -> [&'static str; 2] {
        [KMS_HOST, TOKEN_HOST]
    }

    /// A service-account key file (JSON) for [`SERVICE_ACCOUNT`].
    pub fn service_account_json() -> String {
        json!({
            "type": "service_account",
            "project_id": "sops-rs-test",
            "private_key_id": "0123456789abcdef0123456789abcdef01234567",
            "private_key": SERVICE_ACCOUNT_PEM,
            "client_email": SERVICE_ACCOUNT,
            "client_id": "100000000000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": format!("https://{TOKEN_HOST}/token"),
            "universe_domain": "googleapis.com"
        })
        .to_string()
    }

    /// An authorized-user credentials file (JSON), as `gcloud auth application-default login`
    /// writes it.
    pub fn authorized_user_json() -> String {
        json!({
            "type": "authorized_user",
            "client_id": "sops-rs-test.apps.googleusercontent.com",
            "client_secret": "sops-rs-test-client-secret",
            "refresh_token": REFRESH_TOKEN
        })
        .to_string()
    }

    /// Answers one request.
    pub fn handle(&self, request: &Request) -> Response {
        match request
            .header("host")
            .map(|h| h.split(':').next().unwrap_or(h))
        {
            Some(TOKEN_HOST) => self.token(request),
            // cloudkms.googleapis.com, or cloudkms.<universe> for SOPS_GCP_KMS_UNIVERSE_DOMAIN.
            Some(host) if host.starts_with("cloudkms.") => self.kms(request),
            other => error(404, "NOT_FOUND", &format!("unknown host {other:?}")),
        }
    }

    fn token(&self, request: &Request) -> Response {
        let form: Vec<(String, String)> = String::from_utf8_lossy(&request.body)
            .split('&')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| {
                (
                    super::azure::percent_decode(k),
                    super::azure::percent_decode(v),
                )
            })
            .collect();
        let get = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let ok = match get("grant_type") {
            Some("refresh_token") => get("refresh_token") == Some(REFRESH_TOKEN),
            Some("urn:ietf:params:oauth:grant-type:jwt-bearer") => {
                get("assertion").is_some_and(|jwt| self.verify_jwt(jwt).is_ok())
            }
            _ => false,
        };
        if !ok {
            return Response::json(
                400,
                &json!({"error": "invalid_grant", "error_description": "Invalid grant: account not found"}),
            );
        }
        let token = format!("ya29.{}", random_hex(24));
        self.tokens.lock().expect("tokens").insert(token.clone());
        Response::json(
            200,
            &json!({"access_token": token, "expires_in": 3599, "token_type": "Bearer"}),
        )
    }

    /// Checks a service account's self-signed JWT: RS256 by its key, issued by it, not expired.
    fn verify_jwt(&self, jwt: &str) -> Result<(), String> {
        let parts: Vec<&str> = jwt.split('.').collect();
        let [header, claims, signature] = parts.as_slice() else {
            return Err("not a JWT".into());
        };
        let header: serde_json::Value =
            serde_json::from_slice(&decode_base64(header).ok_or("header")?)
                .map_err(|e| e.to_string())?;
        if header["alg"] != "RS256" {
            return Err("not RS256".into());
        }
        let verifying = VerifyingKey::<sha2::Sha256>::new(self.service_account.to_public_key());
        let signature =
            Signature::try_from(decode_base64(signature).ok_or("signature")?.as_slice())
                .map_err(|e| e.to_string())?;
        verifying
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .map_err(|_| "bad signature".to_owned())?;
        let claims: serde_json::Value =
            serde_json::from_slice(&decode_base64(claims).ok_or("claims")?)
                .map_err(|e| e.to_string())?;
        if claims["iss"] != SERVICE_ACCOUNT {
            return Err("wrong issuer".into());
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|e| e.to_string())?
            .as_secs();
        if claims["exp"].as_u64().is_none_or(|exp| exp < now) {
            return Err("expired".into());
        }
        Ok(())
    }

    fn kms(&self, request: &Request) -> Response {
        let token = request
            .header("authorization")
            .and_then(|a| a.strip_prefix("Bearer "))
            .unwrap_or("");
        let known = self.tokens.lock().expect("tokens").contains(token);
        if !known && self.verify_jwt(token).is_err() {
            return error(
                401,
                "UNAUTHENTICATED",
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
            );
        }
        let path = request.path().trim_start_matches("/v1/");
        let (name, method) = path.rsplit_once(':').unwrap_or((path, ""));
        if name != RESOURCE_ID {
            return error(
                403,
                "PERMISSION_DENIED",
                &format!("Permission 'cloudkms.cryptoKeyVersions.useToEncrypt' denied on resource '{name}' (or it may not exist)."),
            );
        }
        let body = request.json();
        let cipher = Aes256Gcm::new_from_slice(&self.key).expect("a 32-byte key");
        match method {
            "encrypt" => {
                let Some(plain) = body["plaintext"].as_str().and_then(decode_base64) else {
                    return error(400, "INVALID_ARGUMENT", "plaintext is required");
                };
                let mut nonce = [0u8; 12];
                rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut nonce);
                let mut blob = nonce.to_vec();
                blob.extend(
                    cipher
                        .encrypt(Nonce::from_slice(&nonce), plain.as_slice())
                        .expect("AES-GCM"),
                );
                Response::json(
                    200,
                    &json!({
                        "name": format!("{RESOURCE_ID}/cryptoKeyVersions/1"),
                        "ciphertext": base64::engine::general_purpose::STANDARD.encode(blob),
                        "protectionLevel": "SOFTWARE"
                    }),
                )
            }
            "decrypt" => {
                let blob = body["ciphertext"]
                    .as_str()
                    .and_then(decode_base64)
                    .unwrap_or_default();
                let plain = (blob.len() >= 28)
                    .then(|| {
                        cipher
                            .decrypt(Nonce::from_slice(&blob[..12]), &blob[12..])
                            .ok()
                    })
                    .flatten();
                match plain {
                    Some(plain) => Response::json(
                        200,
                        &json!({
                            "plaintext": base64::engine::general_purpose::STANDARD.encode(plain),
                            "usedPrimary": true,
                            "protectionLevel": "SOFTWARE"
                        }),
                    ),
                    None => error(
                        400,
                        "INVALID_ARGUMENT",
                        "Decryption failed: the ciphertext is invalid.",
                    ),
                }
            }
            _ => error(404, "NOT_FOUND", &format!("no method {method}")),
        }
    }
}

fn error(status: u16, code: &str, message: &str) -> Response {
    Response::json(
        status,
        &json!({"error": {"code": status, "message": message, "status": code}}),
    )
}
