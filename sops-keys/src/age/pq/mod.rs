//! Post-quantum age keys: the hybrid ML-KEM-768 + X25519 recipient type of age 1.3
//! (`age1pq1…` recipients, `AGE-SECRET-KEY-PQ-1…` identities, `mlkem768x25519` stanzas), as
//! the C2SP age specification defines it, implemented on the `age` crate's traits.
//!
//! * identity: 32 random bytes, Bech32 (without the 90-character limit) with HRP
//!   `AGE-SECRET-KEY-PQ-`, upper case;
//! * recipient: the X-Wing public key of the identity (1216 bytes), Bech32 with HRP `age1pq`;
//! * stanza: `-> mlkem768x25519 <base64 enc>` and a 32-byte body, the file key sealed with
//!   HPKE base mode (X-Wing, HKDF-SHA256, ChaCha20-Poly1305,
//!   `info = "age-encryption.org/mlkem768x25519"`, empty aad).
//!
//! Stanzas carry the label `postquantum`, so the `age` crate refuses to mix them with
//! classic recipients in one age file (sops writes one age file per recipient, so key groups
//! may still mix both).

mod kem;

use age_core::format::{FileKey, Stanza, FILE_KEY_BYTES};
use age_core::primitives::{bech32_decode, bech32_encode, hpke_open, hpke_seal};
use age_core::secrecy::ExposeSecret;
use base64::prelude::{Engine, BASE64_STANDARD_NO_PAD};
use hpke::{Deserializable, HpkeError, Serializable};
use kem::{EncappedKey, PrivateKey, XWing, ENC_LEN};
use rand::rngs::OsRng;
use rand::RngCore;
use std::collections::HashSet;
use std::fmt;
use zeroize::Zeroizing;

/// The stanza tag.
const TAG: &str = "mlkem768x25519";
/// The HPKE `info`.
const INFO: &[u8] = b"age-encryption.org/mlkem768x25519";
/// The label that keeps these stanzas apart from classic ones.
const LABEL: &str = "postquantum";
/// The recipient's Bech32 HRP.
const RECIPIENT_HRP: &str = "age1pq";
/// The identity's Bech32 HRP (written in upper case).
const IDENTITY_HRP: &str = "age-secret-key-pq-";
/// What every recipient starts with.
pub const RECIPIENT_PREFIX: &str = "age1pq1";
/// What every identity starts with.
pub const IDENTITY_PREFIX: &str = "AGE-SECRET-KEY-PQ-1";

/// An `age1pq1…` recipient.
#[derive(Clone)]
pub struct Recipient(kem::PublicKey);

/// An `AGE-SECRET-KEY-PQ-1…` identity. Holds a secret, so no `Debug`; zeroized on drop.
#[derive(Clone)]
pub struct Identity(PrivateKey);

impl Recipient {
    /// Parses an `age1pq1…` recipient; the error says what is wrong, never more.
    pub fn parse(s: &str) -> Result<Self, String> {
        let hrp = bech32::Hrp::parse_unchecked(RECIPIENT_HRP);
        bech32_decode(
            s,
            |e| format!("invalid Bech32 encoding ({e})"),
            |found| {
                if found == hrp {
                    Ok(())
                } else {
                    Err(format!("invalid type {:?}", found.as_str()))
                }
            },
            |_, bytes| {
                let bytes: Vec<u8> = bytes.collect();
                kem::PublicKey::from_bytes(&bytes)
                    .map(Recipient)
                    .map_err(|_| "invalid MLKEM768-X25519 public key".to_owned())
            },
        )
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hrp = bech32::Hrp::parse_unchecked(RECIPIENT_HRP);
        f.write_str(&bech32_encode(hrp, &self.0.to_bytes()))
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl age::Recipient for Recipient {
    fn wrap_file_key(
        &self,
        file_key: &FileKey,
    ) -> Result<(Vec<Stanza>, HashSet<String>), age::EncryptError> {
        let (enc, body) =
            hpke_seal::<XWing, _>(&self.0, INFO, file_key.expose_secret(), &mut OsRng);
        let stanza = Stanza {
            tag: TAG.to_owned(),
            args: vec![BASE64_STANDARD_NO_PAD.encode(enc.to_bytes())],
            body,
        };
        Ok((vec![stanza], HashSet::from([LABEL.to_owned()])))
    }
}

impl Identity {
    /// A new random identity.
    pub fn generate() -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(&mut seed[..]);
        Identity(PrivateKey::from_seed(&seed))
    }

    /// Parses an `AGE-SECRET-KEY-PQ-1…` identity. The error never quotes the key.
    pub fn parse(s: &str) -> Result<Self, String> {
        let hrp = bech32::Hrp::parse_unchecked(IDENTITY_HRP);
        bech32_decode(
            s,
            |_| "invalid Bech32 encoding".to_owned(),
            |found| {
                if found == hrp {
                    Ok(())
                } else {
                    Err("unknown secret key type".to_owned())
                }
            },
            |_, bytes| {
                let seed = Zeroizing::new(bytes.collect::<Vec<u8>>());
                let seed: &[u8; 32] = seed[..]
                    .try_into()
                    .map_err(|_| "invalid MLKEM768-X25519 secret key length".to_owned())?;
                Ok(Identity(PrivateKey::from_seed(seed)))
            },
        )
    }

    /// The identity's Bech32 encoding (upper case). Secret: keep it out of logs.
    pub fn to_secret_string(&self) -> Zeroizing<String> {
        let hrp = bech32::Hrp::parse_unchecked(IDENTITY_HRP);
        let mut s = Zeroizing::new(bech32_encode(hrp, self.0.seed()));
        s.make_ascii_uppercase();
        s
    }

    /// The matching recipient.
    pub fn to_public(&self) -> Recipient {
        Recipient(self.0.public().clone())
    }
}

impl age::Identity for Identity {
    fn unwrap_stanza(&self, stanza: &Stanza) -> Option<Result<FileKey, age::DecryptError>> {
        if stanza.tag != TAG {
            return None;
        }
        let invalid = || Some(Err(age::DecryptError::InvalidHeader));
        let [arg] = &stanza.args[..] else {
            return invalid();
        };
        // The standard engine refuses padding and non-zero trailing bits: canonical only.
        let Ok(enc) = BASE64_STANDARD_NO_PAD.decode(arg) else {
            return invalid();
        };
        if enc.len() != ENC_LEN || stanza.body.len() != FILE_KEY_BYTES + 16 {
            return invalid();
        }
        let Ok(enc) = EncappedKey::from_bytes(&enc) else {
            return invalid();
        };
        match hpke_open::<XWing>(&enc, &self.0, INFO, &stanza.body) {
            Ok(plain) => {
                let plain = Zeroizing::new(plain);
                let key: &[u8; FILE_KEY_BYTES] = plain[..].try_into().ok()?;
                Some(Ok(FileKey::new(Box::new(*key))))
            }
            // A wrong key decapsulates to a random secret and fails only here.
            Err(HpkeError::OpenError) => None,
            Err(_) => invalid(),
        }
    }
}
