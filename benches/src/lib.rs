//! Benchmark inputs for sops-rs: the deterministic documents of `benches/gen_values.py`
//! (N services of 25 keys and a 5-item list each), generated in Rust so that `cargo bench`
//! needs nothing else, and a key source that keeps the data key in memory.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use sops_core::tree::{Mapping, Node, Scalar, SeqItem, Sequence, Tree};
use sops_core::{KeyEntry, KeyError, KeySource, SecretBytes, SecretText};

/// A small deterministic generator (xorshift), so documents are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn text(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        (0..len)
            .map(|_| ALPHABET[(self.next() % ALPHABET.len() as u64) as usize] as char)
            .collect()
    }
}

/// The tree of a document with `services` services (2000 ≈ 60,000 values, 40 ≈ 1,200).
pub fn values_tree(services: usize) -> Tree {
    let mut rng = Rng(7);
    let mut root = Mapping::default();
    for i in 0..services {
        let mut svc = Mapping::default();
        for j in 0..25 {
            let value = if j % 5 == 0 {
                Scalar::Int((rng.next() % 1_000_000) as i64)
            } else {
                let len = 8 + (rng.next() % 57) as usize;
                Scalar::Str(SecretText::new(rng.text(len)))
            };
            svc.push(format!("key_{j}"), Node::Scalar(value));
        }
        let list = (0..5)
            .map(|_| SeqItem::Value(Node::string(rng.text(12))))
            .collect();
        svc.push("list", Node::Sequence(Sequence { items: list }));
        root.push(format!("service_{i}"), Node::Mapping(svc));
    }
    Tree {
        branches: vec![root],
    }
}

/// Insecure by design: "wraps" the data key by hex-encoding it, so benchmarks measure the
/// format engine and not a key backend.
pub struct CleartextKey;

impl KeySource for CleartextKey {
    fn key_type(&self) -> &str {
        "age"
    }

    fn wrap(&self, entry: &mut KeyEntry, secret: &[u8]) -> Result<(), KeyError> {
        entry.set_field(
            "enc",
            secret
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
        );
        Ok(())
    }

    fn unwrap(&self, entry: &KeyEntry) -> Option<Result<SecretBytes, KeyError>> {
        let hex = entry.field("enc")?;
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
            .collect::<Option<Vec<u8>>>()?;
        Some(Ok(SecretBytes::new(bytes)))
    }
}

/// Encryption options with one recipient for [`CleartextKey`].
pub fn options() -> sops_core::EncryptOptions {
    let mut recipient = KeyEntry::new("age");
    recipient.set_field("recipient", "bench");
    sops_core::EncryptOptions {
        key_groups: vec![vec![recipient]],
        ..Default::default()
    }
}
