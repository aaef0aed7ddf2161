//! Making identities and reading the recipients of identity text, for `sops-rs age-keygen`.

use super::identities::parse_identity_text;
use super::pq;
use age::secrecy::ExposeSecret;
use zeroize::Zeroizing;

/// A freshly generated identity. Holds a secret, so no `Debug`.
pub struct NewIdentity {
    /// The identity, `AGE-SECRET-KEY-1…` or `AGE-SECRET-KEY-PQ-1…`.
    pub secret: Zeroizing<String>,
    /// Its recipient, `age1…` or `age1pq1…`.
    pub recipient: String,
}

/// Generates an X25519 identity, or a post-quantum hybrid one when `post_quantum` is set.
pub fn generate_identity(post_quantum: bool) -> NewIdentity {
    if post_quantum {
        let identity = pq::Identity::generate();
        return NewIdentity {
            secret: identity.to_secret_string(),
            recipient: identity.to_public().to_string(),
        };
    }
    let identity = age::x25519::Identity::generate();
    NewIdentity {
        secret: Zeroizing::new(identity.to_string().expose_secret().to_owned()),
        recipient: identity.to_public().to_string(),
    }
}

/// The recipients of identity text (the format of `keys.txt`), in order. The error names the
/// line that failed and never quotes it.
pub fn recipients_of(text: &str) -> Result<Vec<String>, String> {
    Ok(parse_identity_text(text)?
        .into_iter()
        .map(|found| found.recipient)
        .collect())
}
