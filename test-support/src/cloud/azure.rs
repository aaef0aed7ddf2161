//! Azure stand-in: Microsoft Entra ID (instance discovery, OpenID configuration, the v2.0
//! token endpoint with the client-credentials grant) and one Azure Key Vault with one RSA key.
//!
//! Key Vault requests without a valid bearer token get the challenge the SDKs expect: 401 with
//! `WWW-Authenticate: Bearer authorization="https://login.microsoftonline.com/<tenant>",
//! resource="https://vault.azure.net"`. Tokens are issued only for the configured client ID and
//! secret and only for the `https://vault.azure.net/.default` scope. The key's operations
//! (`encrypt`, `decrypt`, `wrapkey`, `unwrapkey`) take `RSA-OAEP-256` only, as sops uses it.

use super::{base64url, decode_base64, random_hex};
use crate::netns::{Request, Response};
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{Oaep, RsaPrivateKey};
use serde_json::json;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// Entra ID's host.
pub const LOGIN_HOST: &str = "login.microsoftonline.com";
/// The tenant the stand-in knows.
pub const TENANT: &str = "5a6c3f1e-0d2b-4c8e-9f7a-1b2c3d4e5f60";
/// The client (application) ID it issues tokens to.
pub const CLIENT_ID: &str = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";
/// That client's secret.
pub const CLIENT_SECRET: &str = "sops-rs-test-secret";
/// The vault's host (`https://<VAULT_HOST>` is its URL).
pub const VAULT_HOST: &str = "sopsrs.vault.azure.net";
/// The key's name.
pub const KEY_NAME: &str = "sops-key";
/// The key's (only) version.
pub const KEY_VERSION: &str = "3f1a2b4c5d6e7f8091a2b3c4d5e6f708";

const RSA_KEY_PEM: &str = include_str!("../../../fixtures/cloud/azure-kv-rsa.pem");

/// The Azure stand-in's state: the issued tokens and the vault key.
#[derive(Clone)]
pub struct AzureServer {
    key: Arc<RsaPrivateKey>,
    tokens: Arc<Mutex<HashSet<String>>>,
}

impl Default for AzureServer {
    fn default() -> Self {
        AzureServer::new()
    }
}

impl AzureServer {
    /// A stand-in with the fixed test key (`fixtures/cloud/azure-kv-rsa.pem`).
    pub fn new() -> AzureServer {
        let key = RsaPrivateKey::from_pkcs8_pem(RSA_KEY_PEM).expect("the test RSA key parses");
        AzureServer {
            key: Arc::new(key),
            tokens: Arc::new(Mutex::new(HashSet::new())),
        }
    }

    /// The host names to map to 127.0.0.1.
    pub fn host_names() -> [&'static str; 2] {
        [LOGIN_HOST, VAULT_HOST]
    }

    /// The vault URL as sops writes it (`vault_url`).
    pub fn vault_url() -> String {
        format!("https://{VAULT_HOST}")
    }

    /// The key URL sops takes (`--azure-kv`), with or without the version.
    pub fn key_url(with_version: bool) -> String {
        if with_version {
            format!("https://{VAULT_HOST}/keys/{KEY_NAME}/{KEY_VERSION}")
        } else {
            format!("https://{VAULT_HOST}/keys/{KEY_NAME}")
        }
    }

    /// The environment of the client-secret credential (`EnvironmentCredential`).
    pub fn credential_env(secret: &str) -> Vec<(&'static str, String)> {
        vec![
            ("AZURE_TENANT_ID", TENANT.to_owned()),
            ("AZURE_CLIENT_ID", CLIENT_ID.to_owned()),
            ("AZURE_CLIENT_SECRET", secret.to_owned()),
        ]
    }

    /// Answers one request (the handler to pass to [`Namespace::serve`](crate::netns::Namespace::serve)).
    pub fn handle(&self, request: &Request) -> Response {
        match request
            .header("host")
            .map(|h| h.split(':').next().unwrap_or(h))
        {
            Some(LOGIN_HOST) => self.login(request),
            Some(VAULT_HOST) => self.vault(request),
            other => Response::json(404, &json!({"error": format!("unknown host {other:?}")})),
        }
    }

    fn login(&self, request: &Request) -> Response {
        let path = request.path();
        let base = format!("https://{LOGIN_HOST}");
        if path.ends_with("/discovery/instance") {
            return Response::json(
                200,
                &json!({
                    "tenant_discovery_endpoint":
                        format!("{base}/{TENANT}/v2.0/.well-known/openid-configuration"),
                    "api-version": "1.1",
                    "metadata": [{
                        "preferred_network": LOGIN_HOST,
                        "preferred_cache": "login.windows.net",
                        "aliases": [LOGIN_HOST, "login.windows.net", "login.microsoft.com", "sts.windows.net"]
                    }]
                }),
            );
        }
        if path.ends_with("/.well-known/openid-configuration") {
            let tenant = path.trim_start_matches('/').split('/').next().unwrap_or("");
            return Response::json(
                200,
                &json!({
                    "token_endpoint": format!("{base}/{tenant}/oauth2/v2.0/token"),
                    "authorization_endpoint": format!("{base}/{tenant}/oauth2/v2.0/authorize"),
                    "device_authorization_endpoint": format!("{base}/{tenant}/oauth2/v2.0/devicecode"),
                    "issuer": format!("{base}/{tenant}/v2.0"),
                    "jwks_uri": format!("{base}/{tenant}/discovery/v2.0/keys"),
                    "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                    "tenant_region_scope": "EU"
                }),
            );
        }
        if path == format!("/{TENANT}/oauth2/v2.0/token") && request.method == "POST" {
            return self.token(request);
        }
        Response::json(
            400,
            &json!({"error": "invalid_request", "error_description": format!("AADSTS900561: no endpoint {path}")}),
        )
    }

    fn token(&self, request: &Request) -> Response {
        let form = form_fields(&request.body);
        let get = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        if get("grant_type") != Some("client_credentials")
            || get("client_id") != Some(CLIENT_ID)
            || get("client_secret") != Some(CLIENT_SECRET)
        {
            return Response::json(
                401,
                &json!({
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided.",
                    "error_codes": [7000215]
                }),
            );
        }
        // MSAL adds the OpenID scopes (`openid offline_access profile`) to the resource's.
        let scopes: Vec<&str> = get("scope").unwrap_or("").split(' ').collect();
        if !scopes.contains(&"https://vault.azure.net/.default")
            || scopes
                .iter()
                .any(|s| s.ends_with("/.default") && *s != "https://vault.azure.net/.default")
        {
            return Response::json(
                400,
                &json!({"error": "invalid_scope", "error_description": format!("AADSTS70011: The provided scope {:?} is not valid.", get("scope"))}),
            );
        }
        let token = random_hex(24);
        self.tokens.lock().expect("tokens").insert(token.clone());
        Response::json(
            200,
            &json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}),
        )
    }

    fn vault(&self, request: &Request) -> Response {
        let authorized = request
            .header("authorization")
            .and_then(|a| a.strip_prefix("Bearer "))
            .is_some_and(|t| self.tokens.lock().expect("tokens").contains(t));
        if !authorized {
            let challenge = format!(
                "Bearer authorization=\"https://{LOGIN_HOST}/{TENANT}\", resource=\"https://vault.azure.net\""
            );
            return Response::json(
                401,
                &json!({"error": {"code": "Unauthorized", "message": "AKV10000: Request is missing a Bearer or PoP token."}}),
            )
            .with_header("WWW-Authenticate", &challenge);
        }
        let segments: Vec<&str> = request.path().trim_matches('/').split('/').collect();
        match segments.as_slice() {
            ["keys", name] | ["keys", name, ""] if request.method == "GET" => {
                self.get_key(name, "")
            }
            ["keys", name, version] if request.method == "GET" => self.get_key(name, version),
            ["keys", name, version, op] if request.method == "POST" => {
                self.operation(name, version, op, &request.json())
            }
            _ => not_found("the request URI is not a Key Vault keys operation"),
        }
    }

    fn get_key(&self, name: &str, version: &str) -> Response {
        if name != KEY_NAME || !(version.is_empty() || version == KEY_VERSION) {
            return not_found(&format!(
                "A key with (name/id) {name} was not found in this key vault."
            ));
        }
        let public = self.key.to_public_key();
        Response::json(
            200,
            &json!({
                "key": {
                    "kid": format!("https://{VAULT_HOST}/keys/{KEY_NAME}/{KEY_VERSION}"),
                    "kty": "RSA",
                    "key_ops": ["encrypt", "decrypt", "wrapKey", "unwrapKey"],
                    "n": base64url(&public.n().to_bytes_be()),
                    "e": base64url(&public.e().to_bytes_be())
                },
                "attributes": {"enabled": true, "created": 1700000000, "updated": 1700000000, "recoveryLevel": "Recoverable+Purgeable"}
            }),
        )
    }

    fn operation(&self, name: &str, version: &str, op: &str, body: &serde_json::Value) -> Response {
        if name != KEY_NAME || !(version.is_empty() || version == KEY_VERSION) {
            return not_found(&format!(
                "A key with (name/id) {name}/{version} was not found in this key vault."
            ));
        }
        if body["alg"] != "RSA-OAEP-256" {
            return bad_request(&format!("unsupported algorithm {}", body["alg"]));
        }
        let Some(value) = body["value"].as_str().and_then(decode_base64) else {
            return bad_request("the value is not base64url");
        };
        let padding = || Oaep::new::<sha2::Sha256>();
        let result = match op {
            "encrypt" | "wrapkey" => self
                .key
                .to_public_key()
                .encrypt(&mut rand::thread_rng(), padding(), &value)
                .map_err(|e| e.to_string()),
            "decrypt" | "unwrapkey" => self
                .key
                .decrypt(padding(), &value)
                .map_err(|e| e.to_string()),
            _ => return not_found(&format!("no key operation {op}")),
        };
        match result {
            Ok(bytes) => Response::json(
                200,
                &json!({"kid": format!("https://{VAULT_HOST}/keys/{KEY_NAME}/{KEY_VERSION}"), "value": base64url(&bytes)}),
            ),
            Err(e) => bad_request(&format!("Operation failed: {e}")),
        }
    }
}

fn not_found(message: &str) -> Response {
    Response::json(
        404,
        &json!({"error": {"code": "KeyNotFound", "message": message}}),
    )
}

fn bad_request(message: &str) -> Response {
    Response::json(
        400,
        &json!({"error": {"code": "BadParameter", "message": message}}),
    )
}

/// The fields of an `application/x-www-form-urlencoded` body.
fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (percent_decode(k), percent_decode(v)))
        .collect()
}

pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 2;
            }
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
