//! The MAC: SHA-512 over every value's plaintext in walk order, as upper-case hex.
//!
//! Keys, comments and structure are not covered (an encrypted value moved to another key fails
//! to decrypt instead, since its key path is its additional data). With `mac_only_encrypted`, the
//! hash starts with SHA-256("sops") and covers only encrypted values. Stored MACs are compared in
//! constant time.

use sha2::{Digest, Sha512};
use subtle::ConstantTimeEq;

/// SHA-256 of the ASCII string `sops`: the first bytes hashed when `mac_only_encrypted` is set.
const MAC_ONLY_ENCRYPTED_INIT: [u8; 32] = [
    0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
    0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
];

/// The running MAC of a tree walk.
pub struct MacHasher {
    hash: Sha512,
}

impl MacHasher {
    /// A new hasher; `mac_only_encrypted` seeds it as sops does.
    pub fn new(mac_only_encrypted: bool) -> Self {
        let mut hash = Sha512::new();
        if mac_only_encrypted {
            hash.update(MAC_ONLY_ENCRYPTED_INIT);
        }
        MacHasher { hash }
    }

    /// Feeds one value's plaintext serialization.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.hash.update(bytes);
    }

    /// The MAC as 128 upper-case hex digits.
    pub fn finish(self) -> String {
        let digest = self.hash.finalize();
        let mut out = String::with_capacity(128);
        for byte in digest {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push(HEX[(byte >> 4) as usize] as char);
            out.push(HEX[(byte & 15) as usize] as char);
        }
        out
    }
}

/// Compares two MAC strings in constant time.
pub fn macs_equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_constant_is_sha256_of_sops() {
        use sha2::Sha256;
        assert_eq!(Sha256::digest(b"sops").as_slice(), &MAC_ONLY_ENCRYPTED_INIT);
    }

    #[test]
    fn upper_hex_of_sha512() {
        let mut h = MacHasher::new(false);
        h.feed(b"ab");
        h.feed(b"c");
        let mac = h.finish();
        assert!(mac.starts_with("DDAF35A193617ABA"));
        assert!(macs_equal(&mac, &mac.clone()));
        assert!(!macs_equal(&mac, &mac.to_lowercase()));
    }
}
