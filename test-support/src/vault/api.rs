//! The part of Vault's HTTP API the test server answers, as Vault documents it:
//!
//! * transit: `POST`/`PUT /v1/<mount>/encrypt/<key>` (`{"plaintext": base64}` →
//!   `{"data": {"ciphertext": "vault:v1:…", "key_version": 1}}`; an unknown key is created, as
//!   Vault's upsert does) and `/v1/<mount>/decrypt/<key>` (`{"ciphertext": …}` →
//!   `{"data": {"plaintext": base64}}`), AES-256-GCM with a 96-bit nonce put before the
//!   ciphertext, base64, behind the `vault:v<N>:` version prefix;
//! * KV v1 `GET /v1/<mount>/<path>` and KV v2 `GET /v1/<mount>/data/<path>[?version=N]`;
//! * `GET /v1/sys/internal/ui/mounts/<path>`, the mount preflight of Vault's CLI and vals;
//! * `X-Vault-Token` must be one of the server's tokens and `X-Vault-Namespace` its namespace,
//!   else `403 {"errors":["permission denied"]}`; unknown routes are `404`.

use super::http::{error_body, Request};
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rand::RngCore;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// What a request did, for the tests to look at (never the token's value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// `POST`, `PUT`, `GET`.
    pub method: String,
    /// The path, e.g. `/v1/transit/encrypt/app`.
    pub path: String,
    /// The `X-Vault-Namespace` header, if sent.
    pub namespace: Option<String>,
    /// Whether the token was one the server knows.
    pub authorized: bool,
    /// The answer's status.
    pub status: u16,
}

/// One KV mount.
#[derive(Default)]
pub(crate) struct KvMount {
    pub(crate) version: u8,
    /// Path → versions (oldest first) of the secret's data.
    pub(crate) secrets: BTreeMap<String, Vec<Map<String, Value>>>,
}

/// The server's state.
#[derive(Default)]
pub(crate) struct State {
    pub(crate) tokens: Vec<String>,
    pub(crate) namespace: Option<String>,
    pub(crate) transit_mounts: Vec<String>,
    /// (mount, key name) → key versions (version 1 first).
    pub(crate) keys: BTreeMap<(String, String), Vec<[u8; 32]>>,
    pub(crate) kv: BTreeMap<String, KvMount>,
    pub(crate) recorded: Vec<Recorded>,
}

fn envelope(data: Value) -> String {
    let mut id = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut id);
    let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
    json!({
        "request_id": format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..]),
        "lease_id": "",
        "renewable": false,
        "lease_duration": 0,
        "data": data,
        "wrap_info": null,
        "warnings": null,
        "auth": null
    })
    .to_string()
}

fn fail(status: u16, message: &str) -> (u16, String) {
    (status, error_body(message))
}

impl State {
    /// Answers one request and records it.
    pub(crate) fn handle(&mut self, request: &Request) -> (u16, String) {
        let authorized = request
            .header("x-vault-token")
            .is_some_and(|t| self.tokens.iter().any(|known| known == t));
        let namespace = request.header("x-vault-namespace").map(str::to_owned);
        let in_namespace = namespace.as_deref().map(|n| n.trim_matches('/'))
            == self.namespace.as_deref().map(|n| n.trim_matches('/'));
        let (status, body) = if !authorized || !in_namespace {
            fail(403, "permission denied")
        } else {
            self.route(request)
        };
        self.recorded.push(Recorded {
            method: request.method.clone(),
            path: request.path.clone(),
            namespace,
            authorized,
            status,
        });
        (status, body)
    }

    fn route(&mut self, request: &Request) -> (u16, String) {
        let Some(path) = request.path.strip_prefix("/v1/") else {
            return fail(404, "");
        };
        let path = path.trim_end_matches('/');
        let write = matches!(request.method.as_str(), "POST" | "PUT");
        if let Some(mount_path) = path.strip_prefix("sys/internal/ui/mounts/") {
            return self.preflight(mount_path);
        }
        for mount in self.transit_mounts.clone() {
            let Some(rest) = path.strip_prefix(&format!("{mount}/")) else {
                continue;
            };
            let Some((operation, key)) = rest.split_once('/') else {
                continue;
            };
            if !write {
                return fail(405, "unsupported operation");
            }
            let input: Value = match serde_json::from_slice(&request.body) {
                Ok(v) => v,
                Err(e) => return fail(400, &format!("failed to parse JSON input: {e}")),
            };
            return match operation {
                "encrypt" => self.encrypt(&mount, key, &input),
                "decrypt" => self.decrypt(&mount, key, &input),
                _ => fail(
                    404,
                    &format!("no handler for route \"{path}\". route entry not found."),
                ),
            };
        }
        if request.method == "GET" {
            if let Some(answer) = self.kv_read(path, request) {
                return answer;
            }
        }
        fail(
            404,
            &format!("no handler for route \"{path}\". route entry not found."),
        )
    }

    fn encrypt(&mut self, mount: &str, key: &str, input: &Value) -> (u16, String) {
        let Some(plaintext) = input.get("plaintext").and_then(Value::as_str) else {
            return fail(400, "missing plaintext to encrypt");
        };
        let Ok(plaintext) = STANDARD.decode(plaintext) else {
            return fail(400, "failed to base64-decode plaintext");
        };
        let versions = self
            .keys
            .entry((mount.to_owned(), key.to_owned()))
            .or_insert_with(|| vec![random_key()]);
        let version = versions.len();
        let cipher = Aes256Gcm::new_from_slice(&versions[version - 1]).expect("32-byte key");
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_slice())
            .expect("AES-GCM encrypts");
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        let ciphertext = format!("vault:v{version}:{}", STANDARD.encode(blob));
        (
            200,
            envelope(json!({ "ciphertext": ciphertext, "key_version": version })),
        )
    }

    fn decrypt(&mut self, mount: &str, key: &str, input: &Value) -> (u16, String) {
        let Some(ciphertext) = input.get("ciphertext").and_then(Value::as_str) else {
            return fail(400, "missing ciphertext to decrypt");
        };
        let Some(versions) = self.keys.get(&(mount.to_owned(), key.to_owned())) else {
            return fail(400, "encryption key not found");
        };
        let parsed = ciphertext
            .strip_prefix("vault:v")
            .and_then(|rest| rest.split_once(':'))
            .and_then(|(v, data)| Some((v.parse::<usize>().ok()?, data)));
        let Some((version, data)) = parsed else {
            return fail(400, "invalid ciphertext: no prefix");
        };
        if version == 0 || version > versions.len() {
            return fail(400, "invalid ciphertext: invalid key version");
        }
        let blob = match STANDARD.decode(data) {
            Ok(b) if b.len() > 12 => b,
            _ => return fail(400, "invalid ciphertext: could not decode"),
        };
        let cipher = Aes256Gcm::new_from_slice(&versions[version - 1]).expect("32-byte key");
        match cipher.decrypt(Nonce::from_slice(&blob[..12]), &blob[12..]) {
            Ok(plaintext) => (
                200,
                envelope(json!({ "plaintext": STANDARD.encode(plaintext) })),
            ),
            Err(_) => fail(400, "cipher: message authentication failed"),
        }
    }

    /// The mount a path is under, and the rest of the path.
    fn kv_mount<'p>(&self, path: &'p str) -> Option<(String, &'p str)> {
        self.kv.keys().find_map(|mount| {
            if path == mount {
                Some((mount.clone(), ""))
            } else {
                path.strip_prefix(&format!("{mount}/"))
                    .map(|rest| (mount.clone(), rest))
            }
        })
    }

    fn preflight(&self, path: &str) -> (u16, String) {
        match self.kv_mount(path.trim_end_matches('/')) {
            Some((mount, _)) => {
                let version = self.kv[&mount].version.to_string();
                (
                    200,
                    envelope(json!({
                        "path": format!("{mount}/"),
                        "type": "kv",
                        "options": { "version": version },
                    })),
                )
            }
            None => fail(404, ""),
        }
    }

    fn kv_read(&self, path: &str, request: &Request) -> Option<(u16, String)> {
        let (mount, rest) = self.kv_mount(path)?;
        let store = &self.kv[&mount];
        if store.version == 1 {
            return Some(match store.secrets.get(rest).and_then(|v| v.last()) {
                Some(data) => (200, envelope(Value::Object(data.clone()))),
                None => fail(404, ""),
            });
        }
        let rest = rest.strip_prefix("data/")?;
        let versions = store.secrets.get(rest);
        let wanted = request
            .query
            .iter()
            .find(|(n, _)| n == "version")
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .filter(|v| *v > 0);
        let found = versions.and_then(|list| {
            let version = wanted.unwrap_or(list.len());
            list.get(version.checked_sub(1)?).map(|d| (version, d))
        });
        Some(match found {
            Some((version, data)) => (
                200,
                envelope(json!({
                    "data": data,
                    "metadata": {
                        "created_time": "2026-01-01T00:00:00.000000Z",
                        "deletion_time": "",
                        "destroyed": false,
                        "version": version,
                    },
                })),
            ),
            None => fail(404, ""),
        })
    }
}

fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    key
}
