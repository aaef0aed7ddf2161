//! The `ENC[…]` value codec: `parse_encrypted` and `ValueCipher::decrypt` with a fixed data key.
//!
//! Input: the additional data (the value's key path, e.g. `app:name:`) on the first line, the
//! value on the rest. The key is the data key of the spec examples (`fixtures/spec-examples`), so
//! the seeds taken from `ex.enc.yaml` decrypt and the fuzzer mutates real ciphertexts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sops_core::internal::cipher::{
    encrypt_with_iv, is_encrypted, parse_encrypted, ValueCipher, ValueType,
};
use sops_core::DataKey;
use std::sync::OnceLock;

const SPEC_KEY: &str = "c7eec5b32b418d276bb0db45c121ab2766ae540dafa14b17262bbcc8680ff712";

fn cipher() -> &'static ValueCipher {
    static CIPHER: OnceLock<ValueCipher> = OnceLock::new();
    CIPHER.get_or_init(|| {
        let bytes: Vec<u8> = (0..SPEC_KEY.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&SPEC_KEY[i..i + 2], 16).unwrap())
            .collect();
        ValueCipher::new(&DataKey::from_slice(&bytes).unwrap())
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (aad, value) = text.split_once('\n').unwrap_or(("", text));
    if let Some(parts) = parse_encrypted(value) {
        assert!(is_encrypted(value));
        for field in [parts.data, parts.iv, parts.tag, parts.value_type] {
            assert!(!field.is_empty());
            // Every field is a slice of the input.
            let start = field.as_ptr() as usize - value.as_ptr() as usize;
            assert!(start + field.len() <= value.len());
        }
    }
    match cipher().decrypt(value, aad.as_bytes()) {
        Ok(decrypted) => {
            // Whatever decrypts re-encrypts, with its IV, to a value that decrypts the same.
            if decrypted.iv != [0u8; 32] {
                let again = encrypt_with_iv(
                    &cipher(),
                    &decrypted.plaintext,
                    aad.as_bytes(),
                    decrypted.value_type,
                    &decrypted.iv,
                );
                let back = cipher()
                    .decrypt(&again, aad.as_bytes())
                    .expect("re-encrypted value");
                assert_eq!(&back.plaintext[..], &decrypted.plaintext[..]);
                assert_eq!(back.value_type, decrypted.value_type);
            }
        }
        Err(e) => {
            assert!(!e.message().is_empty());
            assert_eq!(e.exit_code(), 25);
        }
    }
    // Encryption round trip of the raw input under the input's AAD (sops never encrypts an
    // empty value: its `data:` would be empty, which the format cannot hold).
    if !value.is_empty() && value.len() < 256 {
        let enc = cipher().encrypt(value.as_bytes(), aad.as_bytes(), ValueType::Str);
        let dec = cipher()
            .decrypt(&enc, aad.as_bytes())
            .expect("fresh value decrypts");
        assert_eq!(&dec.plaintext[..], value.as_bytes());
    }
});
