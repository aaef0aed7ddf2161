//! Types that hold secret material: the data key and decrypted text.
//!
//! None of them implements `Debug` or `Display`; all of them zeroize their memory on drop.
//! Read them through the explicit accessors (`secret_bytes`, `as_str`). They compare in
//! constant time ([`subtle::ConstantTimeEq`], which `==` uses too): how long a comparison takes
//! tells only whether the lengths differ, never where the contents do.

use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, Zeroizing};

/// The 32-byte SOPS data key that encrypts every value of a file.
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    /// A fresh random data key from the operating system's generator.
    pub fn generate() -> Self {
        use rand::RngCore;
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(&mut key[..]);
        DataKey(key)
    }

    /// Builds a data key from exactly 32 bytes; `None` for any other length.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        let array: [u8; 32] = bytes.try_into().ok()?;
        Some(DataKey(Zeroizing::new(array)))
    }

    /// The raw key bytes.
    pub fn secret_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl ConstantTimeEq for DataKey {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0[..].ct_eq(&other.0[..])
    }
}

/// In constant time, as [`ConstantTimeEq`].
impl PartialEq for DataKey {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for DataKey {}

/// A byte buffer holding secret material (an unwrapped data key, a Shamir share, binary data).
#[derive(Clone)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl ConstantTimeEq for SecretBytes {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0[..].ct_eq(&other.0[..])
    }
}

impl PartialEq for SecretBytes {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for SecretBytes {}

impl SecretBytes {
    /// Takes ownership of `bytes`; they are zeroized when this value is dropped.
    pub fn new(bytes: Vec<u8>) -> Self {
        SecretBytes(Zeroizing::new(bytes))
    }

    /// The secret bytes.
    pub fn secret_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// A string that may hold a decrypted value; zeroized on drop, never printed by `{:?}`.
#[derive(Clone, Default)]
pub struct SecretText(String);

impl ConstantTimeEq for SecretText {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0.as_bytes().ct_eq(other.0.as_bytes())
    }
}

impl PartialEq for SecretText {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for SecretText {}

impl SecretText {
    /// Wraps `text`.
    pub fn new(text: impl Into<String>) -> Self {
        SecretText(text.into())
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// True when the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for SecretText {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl From<&str> for SecretText {
    fn from(text: &str) -> Self {
        SecretText(text.to_owned())
    }
}

impl From<String> for SecretText {
    fn from(text: String) -> Self {
        SecretText(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_by_content_in_constant_time() {
        let bytes = |b: &[u8]| SecretBytes::new(b.to_vec());
        assert!(bytes(b"hunter2") == bytes(b"hunter2"));
        assert!(bytes(b"hunter2") != bytes(b"hunter3"));
        assert!(bytes(b"hunter2") != bytes(b"hunter"));
        assert!(bool::from(bytes(b"").ct_eq(&bytes(b""))));
        assert!(!bool::from(bytes(b"a").ct_eq(&bytes(b"b"))));

        assert!(SecretText::from("hunter2") == SecretText::from("hunter2"));
        assert!(SecretText::from("hunter2") != SecretText::from("hunter3"));
        assert!(!bool::from(
            SecretText::from("ab").ct_eq(&SecretText::from("abc"))
        ));

        let key = |b: u8| DataKey::from_slice(&[b; 32]).expect("32 bytes");
        assert!(bool::from(key(7).ct_eq(&key(7))));
        assert!(!bool::from(key(7).ct_eq(&key(8))));
    }
}
