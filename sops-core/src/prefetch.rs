//! The AES-GCM work of a large tree, done ahead of the walk on every core.
//!
//! The walk ([`crate::walk`]) stays sequential: the MAC hashes values in document order and the
//! comment rules look at what came before. Encrypting or decrypting each value does not depend
//! on any other, so for large trees it is done first: [`Prefetched::compute`] lists the string
//! leaves the walk will encrypt or decrypt, with the additional data (key path) it will use,
//! splits the list into one contiguous run per core and processes the runs on scoped threads.
//!
//! Decrypting, a worker replaces the leaf with its typed plaintext in place (the ciphertext is
//! freed as it goes); encrypting, it keeps the `ENC[…]` text aside, since the walk still has to
//! hash the plaintext. The walk then asks for each leaf's result in order
//! ([`Prefetched::take_decrypted`], [`Prefetched::take_sealed`]). A result is handed out only
//! for the same leaf (its address in the tree, which the walk does not move) and the same
//! additional data; anything the list does not cover, or a value that failed (left as it was),
//! is computed by the walk itself, with its error message and key path.

use crate::cipher::{ValueCipher, ValueType};
use crate::secret::SecretText;
use crate::tree::{MapItem, Mapping, Node, Scalar, SeqItem, Tree};
use crate::walk::{typed_value, Direction, IvStash, PathPolicy, Plain};

/// Trees with fewer values than this are walked on one thread: starting threads would cost
/// more than it saves.
const MIN_VALUES: usize = 2048;

/// The most threads used, whatever the machine has.
const MAX_THREADS: usize = 8;

/// The results of the value work done ahead of the walk, handed out in document order.
pub(crate) struct Prefetched {
    entries: Vec<Entry>,
    /// For each entry, the IV stash slot and IV of its value, kept only when the walk records
    /// IVs (`edit`, `set`).
    ivs: Vec<([u8; 32], [u8; 32])>,
    /// Every entry's additional data, one after the other.
    aads: String,
    cursor: usize,
}

/// One string leaf: where it lives in the tree, its additional data, and what became of it.
struct Entry {
    addr: usize,
    aad: (u32, u32),
    outcome: Outcome,
}

enum Outcome {
    /// Not processed, or failed: the leaf is as it was.
    Untouched,
    /// Decrypted in place: the leaf holds its plaintext value.
    Decrypted,
    /// Decrypted to a comment (a sequence element sops encrypted from one); the leaf is as it
    /// was and the walk turns the element into this comment.
    Comment(SecretText),
    /// The `ENC[…]` form of the leaf's string.
    Sealed(String),
}

/// What the walk gets for a leaf decrypted ahead.
pub(crate) enum Decrypted {
    /// The leaf holds its plaintext.
    InPlace,
    /// The leaf is a comment.
    Comment(SecretText),
}

impl Prefetched {
    /// Processes the string leaves of `tree` the walk in `direction` will encrypt or decrypt,
    /// on several threads; `None` when the tree is small, the machine has one core, or the
    /// policy depends on comments (whose order the walk alone follows).
    pub(crate) fn compute(
        tree: &mut Tree,
        policy: &PathPolicy,
        cipher: &ValueCipher,
        direction: Direction,
        stash: Option<&IvStash>,
    ) -> Option<Prefetched> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_THREADS);
        Self::compute_on(threads, MIN_VALUES, tree, policy, cipher, direction, stash)
    }

    /// [`Prefetched::compute`] on `threads` threads for trees of at least `min_values` values.
    fn compute_on(
        threads: usize,
        min_values: usize,
        tree: &mut Tree,
        policy: &PathPolicy,
        cipher: &ValueCipher,
        direction: Direction,
        stash: Option<&IvStash>,
    ) -> Option<Prefetched> {
        if threads < 2 || policy.tracks_comments() {
            return None;
        }
        let mut lister = Lister {
            policy,
            direction,
            aad: String::new(),
            aads: String::new(),
            matching_keys: 0,
            slots: Vec::new(),
            entries: Vec::new(),
        };
        for branch in &mut tree.branches {
            lister.mapping(branch);
        }
        let Lister {
            aads,
            mut slots,
            mut entries,
            ..
        } = lister;
        if entries.len() < min_values.max(1) || aads.len() > u32::MAX as usize {
            return None;
        }
        let keep_ivs = direction == Direction::Decrypt && stash.is_some();
        let mut ivs = vec![([0u8; 32], [0u8; 32]); if keep_ivs { entries.len() } else { 0 }];
        let run = entries.len().div_ceil(threads);
        let worker = Worker {
            cipher,
            stash,
            direction,
            aads: &aads,
        };
        std::thread::scope(|scope| {
            // `ivs` is empty unless kept: its runs then run out and each worker gets none.
            let mut iv_runs = ivs.chunks_mut(run);
            let mut runs = slots
                .chunks_mut(run)
                .zip(entries.chunks_mut(run))
                .map(|(slots, entries)| (slots, entries, iv_runs.next().unwrap_or_default()))
                .collect::<Vec<_>>()
                .into_iter();
            let first = runs.next();
            let handles: Vec<_> = runs
                .map(|(slots, entries, ivs)| {
                    let worker = &worker;
                    scope.spawn(move || worker.run(slots, entries, ivs))
                })
                .collect();
            if let Some((slots, entries, ivs)) = first {
                worker.run(slots, entries, ivs);
            }
            // A worker that panicked leaves the rest of its run untouched, for the walk (which
            // will meet the same problem and report it); its finished entries stay valid.
            for handle in handles {
                let _ = handle.join();
            }
        });
        drop(slots);
        Some(Prefetched {
            entries,
            ivs,
            aads,
            cursor: 0,
        })
    }

    /// The next entry when it is for the leaf at `slot` under `aad`.
    fn take(&mut self, slot: &Scalar, aad: &[u8]) -> Option<(usize, Outcome)> {
        let index = self.cursor;
        let entry = self.entries.get_mut(index)?;
        let (start, end) = (entry.aad.0 as usize, entry.aad.1 as usize);
        if entry.addr != slot as *const Scalar as usize || self.aads.as_bytes()[start..end] != *aad
        {
            return None;
        }
        self.cursor += 1;
        Some((
            index,
            std::mem::replace(&mut entry.outcome, Outcome::Untouched),
        ))
    }

    /// Whether the leaf at `slot` was decrypted ahead under `aad`, with the IV stash slot and
    /// IV of its value when they were kept.
    pub(crate) fn take_decrypted(
        &mut self,
        slot: &Scalar,
        aad: &[u8],
    ) -> Option<(Decrypted, Option<([u8; 32], [u8; 32])>)> {
        let (index, outcome) = self.take(slot, aad)?;
        let iv = self.ivs.get(index).copied();
        match outcome {
            Outcome::Decrypted => Some((Decrypted::InPlace, iv)),
            Outcome::Comment(c) => Some((Decrypted::Comment(c), iv)),
            _ => None,
        }
    }

    /// The `ENC[…]` form of the string leaf at `slot` under `aad` when it was made ahead.
    pub(crate) fn take_sealed(&mut self, slot: &Scalar, aad: &[u8]) -> Option<String> {
        match self.take(slot, aad)?.1 {
            Outcome::Sealed(value) => Some(value),
            _ => None,
        }
    }

    /// True when the walk took every result, in order (for tests).
    #[cfg(test)]
    pub(crate) fn all_taken(&self) -> bool {
        self.cursor == self.entries.len()
    }

    /// How many values were listed to be processed ahead (for tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// How many listed values the workers did process, before the walk takes any (for tests).
    #[cfg(test)]
    pub(crate) fn processed(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| !matches!(e.outcome, Outcome::Untouched))
            .count()
    }
}

/// The work on one run of entries, on one thread.
struct Worker<'w> {
    cipher: &'w ValueCipher,
    stash: Option<&'w IvStash>,
    direction: Direction,
    aads: &'w str,
}

impl Worker<'_> {
    fn run(
        &self,
        slots: &mut [&mut Scalar],
        entries: &mut [Entry],
        ivs: &mut [([u8; 32], [u8; 32])],
    ) {
        for (i, (slot, entry)) in slots.iter_mut().zip(entries.iter_mut()).enumerate() {
            let aad = &self.aads.as_bytes()[entry.aad.0 as usize..entry.aad.1 as usize];
            let Scalar::Str(text) = &**slot else { continue };
            entry.outcome = match self.direction {
                Direction::Decrypt => {
                    let Ok(opened) = self.cipher.decrypt(text.as_str(), aad) else {
                        continue;
                    };
                    if let Some(kept) = ivs.get_mut(i) {
                        let key = IvStash::slot(opened.value_type, aad, &opened.plaintext);
                        *kept = (key, opened.iv);
                    }
                    match typed_value(opened.value_type, opened.plaintext) {
                        Ok(Plain::Scalar(value)) => {
                            **slot = value;
                            Outcome::Decrypted
                        }
                        Ok(Plain::Comment(comment)) => Outcome::Comment(comment),
                        Err(_) => continue,
                    }
                }
                Direction::Encrypt => Outcome::Sealed(crate::walk::seal_value(
                    self.cipher,
                    self.stash,
                    text.as_bytes(),
                    aad,
                    ValueType::Str,
                )),
            };
        }
    }
}

/// Lists the string leaves the walk will process, following its key paths and rule exactly.
struct Lister<'p, 't> {
    policy: &'p PathPolicy,
    direction: Direction,
    aad: String,
    aads: String,
    matching_keys: usize,
    slots: Vec<&'t mut Scalar>,
    entries: Vec<Entry>,
}

impl<'t> Lister<'_, 't> {
    fn mapping(&mut self, mapping: &'t mut Mapping) {
        for item in &mut mapping.items {
            if let MapItem::Pair(key, value) = item {
                let aad_len = self.aad.len();
                self.aad.push_str(key);
                self.aad.push(':');
                let matches = self.policy.key_matches(key);
                self.matching_keys += usize::from(matches);
                self.node(value);
                self.matching_keys -= usize::from(matches);
                self.aad.truncate(aad_len);
            }
        }
    }

    fn node(&mut self, node: &'t mut Node) {
        match node {
            Node::Mapping(m) => self.mapping(m),
            Node::Sequence(s) => {
                for item in &mut s.items {
                    if let SeqItem::Value(v) = item {
                        self.node(v);
                    }
                }
            }
            Node::Scalar(scalar) => {
                let Scalar::Str(text) = &*scalar else { return };
                let text = text.as_str();
                let wanted = !text.is_empty()
                    && self.policy.should_encrypt(self.matching_keys, &[], false)
                    && (self.direction == Direction::Encrypt || crate::cipher::is_encrypted(text));
                if wanted {
                    let start = self.aads.len();
                    self.aads
                        .push_str(if self.aad.is_empty() { ":" } else { &self.aad });
                    self.entries.push(Entry {
                        addr: &*scalar as *const Scalar as usize,
                        aad: (start as u32, self.aads.len() as u32),
                        outcome: Outcome::Untouched,
                    });
                    self.slots.push(scalar);
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "prefetch_tests.rs"]
mod tests;
