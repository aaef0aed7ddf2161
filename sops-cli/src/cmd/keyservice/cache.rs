//! The caching agent's memory (`--cache-ttl`): data keys this service unwrapped, by the whole
//! wrapped entry (the protocol key with every field, and the ciphertext), for a fixed time.
//!
//! Only successes are kept: a failure (a KMS outage, a refused prompt) is asked again next
//! time. Requests for the same entry that arrive together wait for the first one's answer, so
//! a burst of N processes costs one backend call. Secrets stay in [`SecretBytes`] (zeroized
//! when dropped); [`Cache::sweep`] drops every expired entry, the sweeper task calls it
//! regularly, and [`Cache::clear`] drops everything at shutdown. Nothing here is ever logged or
//! written anywhere.

use prost::Message;
use sha2::{Digest, Sha256};
use sops_core::SecretBytes;
use sops_keys::keyservice::proto::Key;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tonic::Status;

/// Whether an answer came from memory or from a backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Answered from the cache.
    Hit,
    /// The backend was asked (and its answer is now cached).
    Asked,
}

/// One unwrapped data key and when it was unwrapped.
struct Stored {
    secret: SecretBytes,
    at: Instant,
}

type Slot = Arc<tokio::sync::OnceCell<Stored>>;

/// Unwrapped data keys by wrapped entry, each kept for `ttl`.
pub(crate) struct Cache {
    ttl: Duration,
    slots: Mutex<HashMap<[u8; 32], Slot>>,
}

impl Cache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Cache {
            ttl,
            slots: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The data key of (`key`, `ciphertext`): from memory when a fresh one is there, else from
    /// `unwrap` (once for all the requests waiting on the same entry).
    pub(crate) async fn get_or_unwrap<F, Fut>(
        &self,
        key: &Key,
        ciphertext: &[u8],
        unwrap: F,
    ) -> Result<(SecretBytes, Outcome), Status>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<SecretBytes, Status>>,
    {
        let id = identity(key, ciphertext);
        let slot = {
            let mut slots = self.lock();
            let expired = slots
                .get(&id)
                .and_then(|s| s.get())
                .is_some_and(|stored| stored.at.elapsed() >= self.ttl);
            if expired {
                slots.remove(&id);
            }
            Arc::clone(slots.entry(id).or_default())
        };
        let asked = AtomicBool::new(false);
        let asked_ref = &asked;
        let result = slot
            .get_or_try_init(move || async move {
                asked_ref.store(true, Ordering::Relaxed);
                unwrap().await.map(|secret| Stored {
                    secret,
                    at: Instant::now(),
                })
            })
            .await;
        match result {
            Ok(stored) => {
                let copy = SecretBytes::new(stored.secret.secret_bytes().to_vec());
                let outcome = if asked.load(Ordering::Relaxed) {
                    Outcome::Asked
                } else {
                    Outcome::Hit
                };
                Ok((copy, outcome))
            }
            Err(status) => {
                let mut slots = self.lock();
                if slots
                    .get(&id)
                    .is_some_and(|s| Arc::ptr_eq(s, &slot) && s.get().is_none())
                {
                    slots.remove(&id);
                }
                Err(status)
            }
        }
    }

    /// Drops (and so zeroizes) every expired data key; returns how many went and how many are
    /// left.
    pub(crate) fn sweep(&self) -> (usize, usize) {
        let mut slots = self.lock();
        let before = slots.len();
        slots.retain(|_, slot| match slot.get() {
            Some(stored) => stored.at.elapsed() < self.ttl,
            // An unwrap still under way.
            None => Arc::strong_count(slot) > 1,
        });
        (before - slots.len(), slots.len())
    }

    /// Drops every data key (shutdown).
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Slot>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A digest of everything the wrapped entry holds: the protocol key (its context map is
/// sorted, so the encoding is canonical) and the ciphertext, each with its length.
fn identity(key: &Key, ciphertext: &[u8]) -> [u8; 32] {
    let encoded = key.encode_to_vec();
    let mut h = Sha256::new();
    h.update((encoded.len() as u64).to_le_bytes());
    h.update(&encoded);
    h.update((ciphertext.len() as u64).to_le_bytes());
    h.update(ciphertext);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sops_keys::keyservice::proto::{AgeKey, KeyType};

    fn key(recipient: &str) -> Key {
        Key {
            key_type: Some(KeyType::AgeKey(AgeKey {
                recipient: recipient.into(),
            })),
        }
    }

    fn run<T>(future: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(future)
    }

    #[test]
    fn an_entry_is_asked_once_and_again_after_it_expired() {
        let cache = Cache::new(Duration::from_secs(3600));
        let ask = || async { Ok(SecretBytes::new(vec![7; 32])) };
        let first = run(cache.get_or_unwrap(&key("a"), b"enc", ask)).expect("unwrapped");
        assert_eq!(first.1, Outcome::Asked);
        let second = run(cache.get_or_unwrap(&key("a"), b"enc", ask)).expect("cached");
        assert_eq!(
            (second.0.secret_bytes(), second.1),
            (&[7u8; 32][..], Outcome::Hit)
        );
        let other = run(cache.get_or_unwrap(&key("a"), b"enc2", ask)).expect("unwrapped");
        assert_eq!(
            other.1,
            Outcome::Asked,
            "another ciphertext is another entry"
        );
        let expired = Cache::new(Duration::ZERO);
        run(expired.get_or_unwrap(&key("a"), b"enc", ask)).expect("unwrapped");
        assert_eq!(expired.sweep(), (1, 0));
        let again = run(expired.get_or_unwrap(&key("a"), b"enc", ask)).expect("unwrapped");
        assert_eq!(again.1, Outcome::Asked);
    }

    #[test]
    fn failures_are_not_kept() {
        let cache = Cache::new(Duration::from_secs(3600));
        let fail = || async { Err(Status::unavailable("down")) };
        assert!(run(cache.get_or_unwrap(&key("a"), b"enc", fail)).is_err());
        assert_eq!(cache.sweep(), (0, 0));
        let ask = || async { Ok(SecretBytes::new(vec![1; 32])) };
        let answer = run(cache.get_or_unwrap(&key("a"), b"enc", ask)).expect("unwrapped");
        assert_eq!(answer.1, Outcome::Asked);
    }
}
