//! A per-process memory of unwrapped data keys, for programs that open many files.
//!
//! Files copied from one another, or written from one template, carry the same wrapped data
//! key; a master key (a KMS call, a PGP passphrase prompt) should be asked once for it, not once
//! per file. [`UnwrapCache::source`] wraps a [`KeySource`] so that each distinct key entry (its
//! type and every field, `enc` included) is unwrapped at most once, even when several threads
//! ask for it at the same time: the first asks the backend, the others wait for its answer.
//! Failures are remembered too, so a key that cannot be opened is not asked again.
//!
//! The cache holds the unwrapped secrets in zeroizing containers until it is dropped.

use super::{KeyEntry, KeyError, KeySource};
use crate::secret::SecretBytes;
use crate::tree::Node;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// What the backend answered for one entry: not its type, a secret, or an error message.
type Answer = Option<Result<SecretBytes, String>>;

/// Unwrapped secrets by key entry, shared by the [`CachedSource`]s it makes.
#[derive(Default)]
pub struct UnwrapCache {
    answers: Mutex<HashMap<[u8; 32], Arc<OnceLock<Answer>>>>,
}

impl UnwrapCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// `source`, answering each distinct entry from this cache after the first time.
    pub fn source<'a>(&'a self, source: &'a dyn KeySource) -> CachedSource<'a> {
        CachedSource {
            inner: source,
            cache: self,
        }
    }

    /// How many distinct entries were asked of a backend so far.
    pub fn asked(&self) -> usize {
        self.answers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    fn slot(&self, entry: &KeyEntry) -> Arc<OnceLock<Answer>> {
        let mut answers = self.answers.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(answers.entry(identity(entry)).or_default())
    }
}

/// A digest of everything an entry holds, so that only an identical entry shares an answer.
fn identity(entry: &KeyEntry) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(entry.key_type.as_bytes());
    for (name, value) in &entry.fields {
        field(name.as_bytes());
        match value {
            Node::Scalar(_) => field(value.as_str().unwrap_or("\0not a string").as_bytes()),
            // Nested fields (KMS encryption contexts) are compared by their debug form's shape
            // and their string leaves.
            other => field(format!("{other:?}{}", leaves(other)).as_bytes()),
        }
    }
    h.finalize().into()
}

/// The string leaves of a node, joined, for [`identity`].
fn leaves(node: &Node) -> String {
    let mut out = String::new();
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        match node {
            Node::Mapping(m) => {
                for (k, v) in m.pairs() {
                    out.push_str(k);
                    out.push('\0');
                    stack.push(v);
                }
            }
            Node::Sequence(s) => stack.extend(s.items.iter().filter_map(|i| match i {
                crate::tree::SeqItem::Value(v) => Some(v),
                crate::tree::SeqItem::Comment(_) => None,
            })),
            Node::Scalar(_) => {
                out.push_str(node.as_str().unwrap_or("\0"));
                out.push('\0');
            }
        }
    }
    out
}

/// A [`KeySource`] whose unwraps go through an [`UnwrapCache`]; wrapping is passed through.
pub struct CachedSource<'a> {
    inner: &'a dyn KeySource,
    cache: &'a UnwrapCache,
}

impl KeySource for CachedSource<'_> {
    fn key_type(&self) -> &str {
        self.inner.key_type()
    }

    fn wrap(&self, entry: &mut KeyEntry, secret: &[u8]) -> Result<(), KeyError> {
        self.inner.wrap(entry, secret)
    }

    fn unwrap(&self, entry: &KeyEntry) -> Option<Result<SecretBytes, KeyError>> {
        let slot = self.cache.slot(entry);
        let answer =
            slot.get_or_init(|| self.inner.unwrap(entry).map(|r| r.map_err(|e| e.message)));
        answer.as_ref().map(|r| r.clone().map_err(KeyError::new))
    }

    fn is_remote(&self) -> bool {
        self.inner.is_remote()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Opens entries whose `enc` is `ok:<byte>`, refuses `bad`, ignores other types; counts asks.
    struct Counting {
        asks: AtomicUsize,
    }

    impl KeySource for Counting {
        fn key_type(&self) -> &str {
            "age"
        }
        fn wrap(&self, _: &mut KeyEntry, _: &[u8]) -> Result<(), KeyError> {
            Ok(())
        }
        fn unwrap(&self, entry: &KeyEntry) -> Option<Result<SecretBytes, KeyError>> {
            if entry.key_type != "age" {
                return None;
            }
            self.asks.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(20));
            let enc = entry.field("enc")?;
            Some(match enc.strip_prefix("ok:") {
                Some(b) => Ok(SecretBytes::new(b.as_bytes().to_vec())),
                None => Err(KeyError::new("refused")),
            })
        }
    }

    fn entry(key_type: &str, enc: &str) -> KeyEntry {
        let mut e = KeyEntry::new(key_type);
        e.set_field("recipient", "r");
        e.set_field("enc", enc);
        e
    }

    #[test]
    fn each_distinct_entry_is_asked_once_even_from_several_threads() {
        let backend = Counting {
            asks: AtomicUsize::new(0),
        };
        let cache = UnwrapCache::new();
        let source = cache.source(&backend);
        std::thread::scope(|scope| {
            for _ in 0..6 {
                scope.spawn(|| {
                    let got = source.unwrap(&entry("age", "ok:a")).unwrap().unwrap();
                    assert_eq!(got.secret_bytes(), b"a");
                });
            }
        });
        assert_eq!(backend.asks.load(Ordering::SeqCst), 1);
        // Another enc, a failure (asked once, then remembered) and a foreign type.
        assert_eq!(
            source
                .unwrap(&entry("age", "ok:b"))
                .unwrap()
                .unwrap()
                .secret_bytes(),
            b"b"
        );
        for _ in 0..2 {
            match source.unwrap(&entry("age", "bad")) {
                Some(Err(err)) => assert_eq!(err.message, "refused"),
                _ => panic!("a refused entry stays refused"),
            }
        }
        assert!(source.unwrap(&entry("pgp", "ok:c")).is_none());
        assert_eq!(backend.asks.load(Ordering::SeqCst), 3);
        assert_eq!(cache.asked(), 4);
    }

    #[test]
    fn entries_differing_in_any_field_are_distinct() {
        let a = entry("age", "ok:a");
        let mut b = a.clone();
        b.set_field("recipient", "other");
        let mut c = a.clone();
        c.set_field("extra", "x");
        assert_ne!(identity(&a), identity(&b));
        assert_ne!(identity(&a), identity(&c));
        assert_ne!(identity(&a), identity(&entry("kms", "ok:a")));
        assert_eq!(identity(&a), identity(&a.clone()));
    }
}
