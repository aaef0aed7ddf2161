//! One value of the walk: the bytes sops encrypts and hashes for a scalar, the typed value
//! decrypted bytes become, the additional data of a key path, and sealing a value with the IV it
//! had before ([`IvStash`]).

use crate::cipher::{ValueCipher, ValueType};
use crate::error::{Error, ErrorKind};
use crate::go;
use crate::secret::{SecretBytes, SecretText};
use crate::tree::{Scalar, Timestamp};
use zeroize::Zeroizing;

/// The plaintext bytes sops encrypts and hashes for a scalar, with its type tag.
pub(crate) fn scalar_bytes(scalar: &Scalar) -> Option<(std::borrow::Cow<'_, [u8]>, ValueType)> {
    use std::borrow::Cow;
    Some(match scalar {
        Scalar::Null => return None,
        Scalar::Str(s) => (Cow::Borrowed(s.as_bytes()), ValueType::Str),
        Scalar::Bytes(b) => (Cow::Borrowed(b.secret_bytes()), ValueType::Str),
        Scalar::Int(i) => (Cow::Owned(i.to_string().into_bytes()), ValueType::Int),
        Scalar::Float(f) => (Cow::Owned(go::float_f(*f).into_bytes()), ValueType::Float),
        Scalar::Bool(b) => (
            Cow::Borrowed(if *b { &b"True"[..] } else { &b"False"[..] }),
            ValueType::Bool,
        ),
        Scalar::Time(t) => (Cow::Borrowed(t.rfc3339_nano.as_bytes()), ValueType::Time),
    })
}

/// A decrypted value: a scalar, or a comment.
pub(crate) enum Plain {
    Scalar(Scalar),
    Comment(SecretText),
}

/// Converts decrypted bytes to a typed value. Strings and bytes move into their zeroizing
/// containers without a copy.
pub(crate) fn typed_value(
    value_type: ValueType,
    mut plaintext: Zeroizing<Vec<u8>>,
) -> Result<Plain, Error> {
    let bytes = std::mem::take(&mut *plaintext);
    let bad = |what: &str| {
        Error::new(
            ErrorKind::DecryptTree,
            format!("the decrypted value is not a valid {what}"),
        )
    };
    let text = |bytes: Vec<u8>| String::from_utf8(bytes);
    Ok(match value_type {
        ValueType::Str => match text(bytes) {
            Ok(s) => Plain::Scalar(Scalar::Str(SecretText::new(s))),
            Err(e) => Plain::Scalar(Scalar::Bytes(SecretBytes::new(e.into_bytes()))),
        },
        ValueType::Bytes => Plain::Scalar(Scalar::Bytes(SecretBytes::new(bytes))),
        ValueType::Comment => {
            Plain::Comment(SecretText::new(text(bytes).map_err(|_| bad("comment"))?))
        }
        ValueType::Int => {
            let s = text(bytes).map_err(|_| bad("int"))?;
            Plain::Scalar(Scalar::Int(s.parse().map_err(|_| bad("int"))?))
        }
        ValueType::Float => {
            let s = text(bytes).map_err(|_| bad("float"))?;
            Plain::Scalar(Scalar::Float(s.parse().map_err(|_| bad("float"))?))
        }
        ValueType::Bool => Plain::Scalar(Scalar::Bool(match &bytes[..] {
            b"1" | b"t" | b"T" | b"TRUE" | b"true" | b"True" => true,
            b"0" | b"f" | b"F" | b"FALSE" | b"false" | b"False" => false,
            _ => return Err(bad("bool")),
        })),
        ValueType::Time => {
            let s = text(bytes).map_err(|_| bad("time"))?;
            let t = go::parse_rfc3339(&s).ok_or_else(|| bad("time"))?;
            Plain::Scalar(Scalar::Time(Timestamp {
                rfc3339_nano: t.rfc3339_nano(),
            }))
        }
    })
}

/// The additional data of a value at key path `path` (`a:b:`): the path, or `:` at the top.
pub(crate) fn additional_data(path: &str) -> &str {
    if path.is_empty() {
        ":"
    } else {
        path
    }
}

/// The IVs of values decrypted in this process, keyed by (type, key path, plaintext), so that
/// re-encrypting an unchanged value yields the same ciphertext, as sops does on `edit`/`set`.
///
/// Keys are SHA-256 digests: the stash holds no plaintext.
#[derive(Default)]
pub struct IvStash {
    pub(super) ivs: std::collections::HashMap<[u8; 32], [u8; 32]>,
}

impl IvStash {
    pub(crate) fn slot(value_type: ValueType, aad: &[u8], plaintext: &[u8]) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(value_type.tag().as_bytes());
        h.update([0]);
        h.update((aad.len() as u64).to_le_bytes());
        h.update(aad);
        h.update(plaintext);
        h.finalize().into()
    }

    /// Number of stashed IVs.
    pub fn len(&self) -> usize {
        self.ivs.len()
    }

    /// True when nothing is stashed.
    pub fn is_empty(&self) -> bool {
        self.ivs.is_empty()
    }

    /// Adds the IVs `other` recorded (a file decrypted with the *same* data key, such as the
    /// other side of a merge), keeping ours where both recorded the same value: either IV
    /// gives that value the ciphertext it already has, and no IV is ever used for another
    /// plaintext.
    pub fn absorb(&mut self, other: IvStash) {
        for (slot, iv) in other.ivs {
            self.ivs.entry(slot).or_insert(iv);
        }
    }
}

/// Encrypts one value, with the IV it had when `stash` recorded the same value at the same path.
pub(crate) fn seal_value(
    cipher: &ValueCipher,
    stash: Option<&IvStash>,
    plaintext: &[u8],
    aad: &[u8],
    value_type: ValueType,
) -> String {
    let iv = stash.and_then(|s| s.ivs.get(&IvStash::slot(value_type, aad, plaintext)));
    match iv {
        Some(iv) => cipher.encrypt_with_iv(plaintext, aad, value_type, iv),
        None => cipher.encrypt(plaintext, aad, value_type),
    }
}
