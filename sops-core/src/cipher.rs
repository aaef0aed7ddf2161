//! Per-value AES-256-GCM with sops's 32-byte IVs, and the `ENC[…]` value codec.
//!
//! Every leaf is encrypted on its own under the file's data key, with the value's key path as
//! additional data (`a:b:c:`), and written as
//! `ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<type>]`, the type one of `str`, `int`,
//! `float`, `bool`, `bytes`, `time` or `comment`. The AES key schedule is built once per data key;
//! encrypting and decrypting a value allocates only its output.

use crate::error::{Error, ErrorKind};
use crate::secret::DataKey;
use aes_gcm::aead::consts::{U12, U32};
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::aes::Aes256;
use aes_gcm::{AesGcm, Nonce, Tag};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use zeroize::Zeroizing;

const PREFIX: &str = "ENC[AES256_GCM,data:";

/// The type tag of an encrypted value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    /// `str`: UTF-8 (or, from the binary store, arbitrary) bytes.
    Str,
    /// `int`: decimal integer.
    Int,
    /// `float`: Go `FormatFloat(v, 'f', -1, 64)`.
    Float,
    /// `bool`: `True` or `False`.
    Bool,
    /// `time`: RFC 3339 with nanoseconds.
    Time,
    /// `comment`: the text of a comment.
    Comment,
    /// `bytes`: raw bytes (accepted on decrypt only, as sops does).
    Bytes,
}

impl ValueType {
    /// The tag as written after `type:`.
    pub fn tag(self) -> &'static str {
        match self {
            ValueType::Str => "str",
            ValueType::Int => "int",
            ValueType::Float => "float",
            ValueType::Bool => "bool",
            ValueType::Time => "time",
            ValueType::Comment => "comment",
            ValueType::Bytes => "bytes",
        }
    }

    fn from_tag(tag: &str) -> Option<ValueType> {
        Some(match tag {
            "str" => ValueType::Str,
            "int" => ValueType::Int,
            "float" => ValueType::Float,
            "bool" => ValueType::Bool,
            "time" => ValueType::Time,
            "comment" => ValueType::Comment,
            "bytes" => ValueType::Bytes,
            _ => return None,
        })
    }
}

/// The four fields of an `ENC[…]` string, still base64-encoded.
#[derive(Debug, PartialEq, Eq)]
pub struct EncryptedValue<'a> {
    /// Ciphertext without the tag.
    pub data: &'a str,
    /// The IV (32 bytes when written by sops).
    pub iv: &'a str,
    /// The 16-byte GCM tag.
    pub tag: &'a str,
    /// The type tag.
    pub value_type: &'a str,
}

/// True when `value` looks like an encrypted sops value (`ENC[AES256_GCM,…`).
pub fn is_encrypted(value: &str) -> bool {
    value.starts_with(PREFIX)
}

/// Splits an `ENC[…]` string into its fields, as sops's regular expression
/// `^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]` does (text after `]` is ignored).
pub fn parse_encrypted(value: &str) -> Option<EncryptedValue<'_>> {
    parse_fast(value).or_else(|| parse_greedy(value))
}

/// The common case: base64 fields contain no comma, so each field ends at the next comma.
fn parse_fast(value: &str) -> Option<EncryptedValue<'_>> {
    let rest = value.strip_prefix(PREFIX)?;
    let comma = rest.find(',')?;
    let (data, rest) = (&rest[..comma], rest[comma + 1..].strip_prefix("iv:")?);
    let comma = rest.find(',')?;
    let (iv, rest) = (&rest[..comma], rest[comma + 1..].strip_prefix("tag:")?);
    let comma = rest.find(',')?;
    let (tag, rest) = (&rest[..comma], rest[comma + 1..].strip_prefix("type:")?);
    let close = rest.find(']')?;
    let value_type = &rest[..close];
    if data.is_empty()
        || iv.is_empty()
        || tag.is_empty()
        || value_type.is_empty()
        || value_type.contains(',')
    {
        return None;
    }
    Some(EncryptedValue {
        data,
        iv,
        tag,
        value_type,
    })
}

/// The regular expression's greedy reading, for values whose fields contain commas.
fn parse_greedy(value: &str) -> Option<EncryptedValue<'_>> {
    let rest = value.strip_prefix(PREFIX)?;
    let (data, rest) = rest.split_once(",iv:")?;
    let (iv, rest) = rest.split_once(",tag:")?;
    let (tag, rest) = rest.split_once(",type:")?;
    let close = rest.rfind(']')?;
    let value_type = &rest[..close];
    if data.is_empty() || iv.is_empty() || tag.is_empty() || value_type.is_empty() {
        return None;
    }
    Some(EncryptedValue {
        data,
        iv,
        tag,
        value_type,
    })
}

/// AES-256-GCM under one data key.
pub struct ValueCipher {
    gcm32: AesGcm<Aes256, U32>,
    gcm12: AesGcm<Aes256, U12>,
}

impl ValueCipher {
    /// Builds the cipher (one AES key schedule) for `key`.
    pub fn new(key: &DataKey) -> Self {
        let bytes = key.secret_bytes();
        ValueCipher {
            gcm32: AesGcm::new(bytes.into()),
            gcm12: AesGcm::new(bytes.into()),
        }
    }

    /// Encrypts `plaintext` with a fresh random IV.
    pub fn encrypt(&self, plaintext: &[u8], aad: &[u8], value_type: ValueType) -> String {
        use rand::RngCore;
        let mut iv = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut iv);
        self.encrypt_with_iv(plaintext, aad, value_type, &iv)
    }

    /// Encrypts `plaintext` with the given IV (sops reuses IVs of unchanged values on edit).
    pub(crate) fn encrypt_with_iv(
        &self,
        plaintext: &[u8],
        aad: &[u8],
        value_type: ValueType,
        iv: &[u8; 32],
    ) -> String {
        let mut buffer = plaintext.to_vec();
        let tag = self
            .gcm32
            .encrypt_in_place_detached(Nonce::from_slice(iv), aad, &mut buffer)
            .expect("AES-GCM encryption cannot fail for values below 64 GiB");
        let mut out = String::with_capacity(PREFIX.len() + buffer.len() * 4 / 3 + 100);
        out.push_str(PREFIX);
        B64.encode_string(&buffer, &mut out);
        out.push_str(",iv:");
        B64.encode_string(iv, &mut out);
        out.push_str(",tag:");
        B64.encode_string(tag, &mut out);
        out.push_str(",type:");
        out.push_str(value_type.tag());
        out.push(']');
        buffer.iter_mut().for_each(|b| *b = 0);
        out
    }

    /// Decrypts an `ENC[…]` string with `aad`; returns its type, plaintext bytes and IV.
    pub fn decrypt(&self, value: &str, aad: &[u8]) -> Result<DecryptedValue, Error> {
        let parts = parse_encrypted(value).ok_or_else(|| {
            Error::new(
                ErrorKind::DecryptTree,
                "the value does not match sops' data format ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]",
            )
            .with_hint("the file may have been edited by hand; restore the value from version control")
        })?;
        let decode = |field: &str, name: &str| {
            B64.decode(field).map_err(|e| {
                Error::new(
                    ErrorKind::DecryptTree,
                    format!("error base64-decoding {name}: {e}"),
                )
            })
        };
        let mut buffer = Zeroizing::new(decode(parts.data, "data")?);
        // IV and tag have fixed sizes in practice: decode them without allocating.
        let (mut iv_buf, mut tag_buf) = ([0u8; 64], [0u8; 32]);
        let iv = decode_small(parts.iv, "iv", &mut iv_buf)?;
        let tag = decode_small(parts.tag, "tag", &mut tag_buf)?;
        let value_type = ValueType::from_tag(parts.value_type).ok_or_else(|| {
            Error::new(
                ErrorKind::DecryptTree,
                format!("unknown datatype: {}", parts.value_type),
            )
        })?;
        if tag.len() != 16 {
            return Err(Error::new(
                ErrorKind::DecryptTree,
                format!("the GCM tag must be 16 bytes, found {}", tag.len()),
            ));
        }
        let tag = Tag::from_slice(tag);
        let opened = match iv.len() {
            32 => {
                self.gcm32
                    .decrypt_in_place_detached(Nonce::from_slice(iv), aad, &mut buffer, tag)
            }
            12 => {
                self.gcm12
                    .decrypt_in_place_detached(Nonce::from_slice(iv), aad, &mut buffer, tag)
            }
            n => {
                return Err(Error::new(
                    ErrorKind::DecryptTree,
                    format!("unsupported IV length {n} (sops writes 32 bytes)"),
                ))
            }
        };
        opened.map_err(|_| {
            Error::new(
                ErrorKind::DecryptTree,
                "could not decrypt with AES_GCM: message authentication failed",
            )
            .with_hint(
                "the value was changed, moved to another key, or encrypted with another data key",
            )
        })?;
        let mut iv_array = [0u8; 32];
        if iv.len() == 32 {
            iv_array.copy_from_slice(iv);
        }
        Ok(DecryptedValue {
            value_type,
            plaintext: buffer,
            iv: iv_array,
        })
    }
}

/// Decodes a short base64 field into `buf`, without allocating.
fn decode_small<'b>(field: &str, name: &str, buf: &'b mut [u8]) -> Result<&'b [u8], Error> {
    match B64.decode_slice(field, buf) {
        Ok(n) => Ok(&buf[..n]),
        Err(base64::DecodeSliceError::OutputSliceTooSmall) => Err(Error::new(
            ErrorKind::DecryptTree,
            format!("the {name} is too long"),
        )),
        Err(base64::DecodeSliceError::DecodeError(e)) => Err(Error::new(
            ErrorKind::DecryptTree,
            format!("error base64-decoding {name}: {e}"),
        )),
    }
}

/// The result of decrypting one value.
pub struct DecryptedValue {
    /// The value's type tag.
    pub value_type: ValueType,
    /// The plaintext bytes.
    pub plaintext: Zeroizing<Vec<u8>>,
    /// The IV it was encrypted with (zero when it was not 32 bytes).
    pub iv: [u8; 32],
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> DataKey {
        DataKey::from_slice(&[7u8; 32]).unwrap()
    }

    #[test]
    fn round_trip_and_aad_binding() {
        let c = ValueCipher::new(&key());
        let enc = c.encrypt(b"hello", b"a:b:", ValueType::Str);
        assert!(is_encrypted(&enc));
        let dec = c.decrypt(&enc, b"a:b:").unwrap();
        assert_eq!(&dec.plaintext[..], b"hello");
        assert_eq!(dec.value_type, ValueType::Str);
        match c.decrypt(&enc, b"a:c:") {
            Err(err) => assert_eq!(err.exit_code(), 25),
            Ok(_) => panic!("a value moved to another key path must not decrypt"),
        }
    }

    #[test]
    fn parse_matches_sops_regex() {
        let v =
            parse_encrypted("ENC[AES256_GCM,data:YQ==,iv:Yg==,tag:Yw==,type:str]trailing").unwrap();
        assert_eq!(v.data, "YQ==");
        assert_eq!(v.value_type, "str");
        assert!(parse_encrypted("ENC[AES256_GCM,data:,iv:Yg==,tag:Yw==,type:str]").is_none());
        assert!(parse_encrypted("plain").is_none());
    }

    #[test]
    fn spec_vector_decrypts() {
        // The data key and `app.name` of fixtures/spec-examples/ex.enc.yaml, written by sops 3.11.
        let key = DataKey::from_slice(&hex(
            "c7eec5b32b418d276bb0db45c121ab2766ae540dafa14b17262bbcc8680ff712",
        ))
        .unwrap();
        let c = ValueCipher::new(&key);
        let v = "ENC[AES256_GCM,data:nGT2Lg==,iv:I6N+rw08tOXWRVB+gG9Od4jQRO0QMp9wwu6RUiiU1dA=,tag:iQTl8Ro/tqXcH/PJAJPgiw==,type:str]";
        assert_eq!(&c.decrypt(v, b"app:name:").unwrap().plaintext[..], b"demo");
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}
