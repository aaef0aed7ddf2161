//! HuaweiCloud KMS stand-in: `encrypt-data` and `decrypt-data` of the KMS v1.0 API
//! (`POST /v1.0/{project_id}/kms/encrypt-data`, `…/decrypt-data`) at
//! `kms.<region>.myhuaweicloud.com`, with AES-256-GCM inside.
//!
//! Every request must carry a valid AK/SK signature (`SDK-HMAC-SHA256`, as HuaweiCloud's API
//! Gateway checks it): the canonical request (method, canonical URI with a trailing `/`, sorted
//! query, the signed headers in lower case, the hex SHA-256 of the body) hashed into the string
//! to sign with the `X-Sdk-Date`, HMAC-SHA256 with the secret key. The verifier is written here
//! independently of sops-rs's signer, from the API documentation and the Go SDK's behaviour.

use super::{decode_base64, random_hex};
use crate::netns::{Request, Response};
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::{Digest, Sha256};

/// The region of the stand-in.
pub const REGION: &str = "cn-north-4";
/// Its host.
pub const HOST: &str = "kms.cn-north-4.myhuaweicloud.com";
/// The hosts of IAM, where the SDKs look the project ID up when none is configured (global
/// and regional).
pub const IAM_HOSTS: [&str; 2] = ["iam.myhuaweicloud.com", "iam.cn-north-4.myhuaweicloud.com"];
/// The project ID requests must name.
pub const PROJECT_ID: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
/// The key's UUID.
pub const KEY_UUID: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
/// The access key.
pub const ACCESS_KEY: &str = "SOPSRSTESTAK0000000000";
/// The secret key.
pub const SECRET_KEY: &str = "sops-rs-test-secret-key-0000000000000000";

/// The HuaweiCloud KMS stand-in's key.
#[derive(Clone)]
pub struct HckmsServer {
    key: [u8; 32],
}

impl Default for HckmsServer {
    fn default() -> Self {
        HckmsServer::new()
    }
}

impl HckmsServer {
    /// A stand-in with a fresh random key.
    pub fn new() -> HckmsServer {
        use rand::RngCore;
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        HckmsServer { key }
    }

    /// The host names to map to 127.0.0.1.
    pub fn host_names() -> [&'static str; 3] {
        [HOST, IAM_HOSTS[0], IAM_HOSTS[1]]
    }

    /// The key ID sops takes (`--hckms`): `region:uuid`.
    pub fn key_id() -> String {
        format!("{REGION}:{KEY_UUID}")
    }

    /// The environment of the SDK's environment credentials.
    pub fn credential_env(secret_key: &str) -> Vec<(&'static str, String)> {
        vec![
            ("HUAWEICLOUD_SDK_AK", ACCESS_KEY.to_owned()),
            ("HUAWEICLOUD_SDK_SK", secret_key.to_owned()),
            ("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT_ID.to_owned()),
        ]
    }

    /// Answers one request.
    pub fn handle(&self, request: &Request) -> Response {
        if let Err(why) = verify_signature(request) {
            return error(
                401,
                "APIGW.0301",
                &format!("Incorrect IAM authentication information: {why}"),
            );
        }
        if request.path() == "/v3/projects" && request.method == "GET" {
            // Keystone's project list, filtered by `name=<region>`.
            let projects = if request.query() == format!("name={REGION}") {
                json!([{"id": PROJECT_ID, "name": REGION, "enabled": true, "domain_id": "d0"}])
            } else {
                json!([])
            };
            return Response::json(200, &json!({"projects": projects, "links": {}}));
        }
        let expected = |op: &str| format!("/v1.0/{PROJECT_ID}/kms/{op}");
        let body = request.json();
        if body["key_id"] != KEY_UUID {
            return error(404, "KMS.0207", "The key does not exist.");
        }
        if request.path() == expected("encrypt-data") {
            let Some(plain) = body["plain_text"].as_str() else {
                return error(400, "KMS.0205", "plain_text is missing");
            };
            let mut nonce = [0u8; 12];
            rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut nonce);
            let cipher = Aes256Gcm::new_from_slice(&self.key).expect("a 32-byte key");
            let sealed = cipher
                .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
                .expect("AES-GCM encryption");
            let mut blob = nonce.to_vec();
            blob.extend(sealed);
            let text = base64::engine::general_purpose::STANDARD.encode(blob);
            return Response::json(200, &json!({"key_id": KEY_UUID, "cipher_text": text}));
        }
        if request.path() == expected("decrypt-data") {
            let blob = body["cipher_text"]
                .as_str()
                .and_then(decode_base64)
                .unwrap_or_default();
            if blob.len() < 28 {
                return error(400, "KMS.0205", "cipher_text is malformed");
            }
            let cipher = Aes256Gcm::new_from_slice(&self.key).expect("a 32-byte key");
            let Ok(plain) = cipher.decrypt(Nonce::from_slice(&blob[..12]), &blob[12..]) else {
                return error(400, "KMS.0205", "The ciphertext is invalid.");
            };
            let plain = String::from_utf8_lossy(&plain).into_owned();
            let plain_base64 = base64::engine::general_purpose::STANDARD.encode(plain.as_bytes());
            return Response::json(
                200,
                &json!({"key_id": KEY_UUID, "plain_text": plain, "plain_text_base64": plain_base64}),
            );
        }
        error(
            404,
            "APIGW.0101",
            "The API does not exist or has not been published in the environment.",
        )
    }
}

fn error(status: u16, code: &str, message: &str) -> Response {
    Response::json(
        status,
        &json!({"error_code": code, "error_msg": message, "request_id": random_hex(16)}),
    )
    .with_header("X-Request-Id", &random_hex(16))
}

/// Checks `Authorization: SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…`.
fn verify_signature(request: &Request) -> Result<(), String> {
    let auth = request
        .header("authorization")
        .ok_or("no Authorization header")?;
    let rest = auth
        .strip_prefix("SDK-HMAC-SHA256 ")
        .ok_or("not an SDK-HMAC-SHA256 signature")?;
    let mut access = "";
    let mut signed = "";
    let mut signature = "";
    for part in rest.split(',') {
        match part.trim().split_once('=') {
            Some(("Access", v)) => access = v,
            Some(("SignedHeaders", v)) => signed = v,
            Some(("Signature", v)) => signature = v,
            _ => {}
        }
    }
    if access != ACCESS_KEY {
        return Err("unknown access key".into());
    }
    let date = request.header("x-sdk-date").ok_or("no X-Sdk-Date header")?;
    let signed_headers: Vec<&str> = signed.split(';').collect();
    if !signed_headers.contains(&"x-sdk-date") {
        return Err("X-Sdk-Date is not signed".into());
    }
    let mut canonical_headers = String::new();
    for name in &signed_headers {
        let value = request
            .header(name)
            .ok_or_else(|| format!("signed header {name} is missing"))?;
        canonical_headers.push_str(&format!("{name}:{}\n", value.trim()));
    }
    let body_hash = match request.header("x-sdk-content-sha256") {
        Some(value) => value.to_owned(),
        None => hex(&Sha256::digest(&request.body)),
    };
    let canonical = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        request.method,
        canonical_uri(request.path()),
        canonical_query(request.query()),
        canonical_headers,
        signed,
        body_hash
    );
    let to_sign = format!(
        "SDK-HMAC-SHA256\n{date}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(SECRET_KEY.as_bytes()).expect("any key size");
    mac.update(to_sign.as_bytes());
    if hex(&mac.finalize().into_bytes()) != signature {
        return Err("the signature does not match".into());
    }
    Ok(())
}

fn canonical_uri(path: &str) -> String {
    let mut uri: String = path
        .split('/')
        .map(|segment| escape(&super::azure::percent_decode(segment)))
        .collect::<Vec<_>>()
        .join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                escape(&super::azure::percent_decode(k)),
                escape(&super::azure::percent_decode(v)),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'~' | b'.' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
