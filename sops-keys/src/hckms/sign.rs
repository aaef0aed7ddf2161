//! HuaweiCloud's AK/SK request signature, `SDK-HMAC-SHA256`, as the API Gateway checks it and
//! the Go SDK (`core/auth/signer`) computes it.
//!
//! canonical request = method, canonical URI (each path segment escaped, always ending in `/`),
//! canonical query (escaped, sorted), the signed headers as `name:value` lines (lower-case
//! names, sorted; every header except `Content-Type` and names with `_`), the signed header
//! names joined by `;`, and the hex SHA-256 of the body. The string to sign is
//! `SDK-HMAC-SHA256\n{X-Sdk-Date}\n{hex SHA-256 of the canonical request}`; the signature is
//! the hex HMAC-SHA256 of it with the secret key.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// What of a request the signature covers.
pub(crate) struct Signable<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) query: &'a [(&'a str, &'a str)],
    /// The request's headers (name, value) besides `X-Sdk-Date`, `Host` included.
    pub(crate) headers: &'a [(&'a str, &'a str)],
    pub(crate) body: &'a [u8],
}

/// The `Authorization` header of `request` sent with `X-Sdk-Date: {date}`
/// (`YYYYMMDDTHHMMSSZ`).
pub(crate) fn sign(
    request: &Signable<'_>,
    date: &str,
    access_key: &str,
    secret_key: &str,
) -> String {
    let Signable {
        method,
        path,
        query,
        headers,
        body,
    } = *request;
    let mut signed: Vec<(String, String)> = headers
        .iter()
        .filter(|(name, _)| {
            !name.to_ascii_lowercase().starts_with("content-type") && !name.contains('_')
        })
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    signed.push(("x-sdk-date".into(), date.into()));
    signed.sort();
    let names: Vec<&str> = signed.iter().map(|(n, _)| n.as_str()).collect();
    let names = names.join(";");
    let mut canonical_headers = String::new();
    for (name, value) in &signed {
        canonical_headers.push_str(name);
        canonical_headers.push(':');
        canonical_headers.push_str(value);
        canonical_headers.push('\n');
    }
    let mut uri = path.split('/').map(escape).collect::<Vec<_>>().join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    let mut pairs: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{}={}", escape(k), escape(v)))
        .collect();
    pairs.sort();
    let canonical = format!(
        "{method}\n{uri}\n{}\n{canonical_headers}\n{names}\n{}",
        pairs.join("&"),
        hex(&Sha256::digest(body))
    );
    let to_sign = format!(
        "SDK-HMAC-SHA256\n{date}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret_key.as_bytes()).expect("any key size");
    mac.update(to_sign.as_bytes());
    let signature = hex(&mac.finalize().into_bytes());
    format!("SDK-HMAC-SHA256 Access={access_key}, SignedHeaders={names}, Signature={signature}")
}

/// The SDK's escaping: everything but `A-Za-z0-9_-~.` as `%XX`.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'~' | b'.' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_uri_always_ends_with_a_slash_and_headers_are_sorted() {
        let request = |path, headers| Signable {
            method: "POST",
            path,
            query: &[],
            headers,
            body: b"{}",
        };
        let date = "20260101T000000Z";
        let a = sign(
            &request(
                "/v1.0/p/kms/encrypt-data",
                &[("Host", "h"), ("X-Project-Id", "p")],
            ),
            date,
            "AK",
            "SK",
        );
        let b = sign(
            &request(
                "/v1.0/p/kms/encrypt-data/",
                &[("X-Project-Id", "p"), ("Host", "h")],
            ),
            date,
            "AK",
            "SK",
        );
        assert_eq!(a, b);
        assert!(a.starts_with(
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-project-id;x-sdk-date, Signature="
        ));
    }
}
