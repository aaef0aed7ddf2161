//! Stand-ins for the cloud key services, written from their public API documentation and
//! served by [`netns`](crate::netns) inside a private namespace: what the reference sops (through
//! the vendors' Go SDKs) and sops-rs ask of them, with real cryptography inside.
//!
//! * [`azure`]: Microsoft Entra ID's token endpoints and Azure Key Vault's keys API
//!   (`encrypt`/`decrypt`/`wrapkey`/`unwrapkey` with RSA-OAEP-256, `GET` key), behind the Key
//!   Vault challenge (401 with `WWW-Authenticate`);
//! * [`hckms`]: HuaweiCloud KMS `encrypt-data`/`decrypt-data` behind AK/SK signature checks,
//!   with AES-256-GCM;
//! * [`gcp`]: GCP Cloud KMS `encrypt`/`decrypt` over REST and Google's OAuth 2.0 token endpoint,
//!   with AES-256-GCM.
//!
//! A server is trusted because the reference sops encrypts and decrypts through it in the
//! same test run; each also records the requests it answered.

pub mod azure;
pub mod gcp;
pub mod hckms;

use base64::Engine as _;

/// Standard base64 without padding accepted or not, URL-safe or not: what the SDKs send.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let cleaned: String = text
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(cleaned)
        .ok()
}

/// URL-safe base64 without padding (Azure's JSON Web Key encoding).
pub(crate) fn base64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A random hex string of `bytes` random bytes (token values, request IDs).
pub(crate) fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}
