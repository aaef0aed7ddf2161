//! The AES-GCM work of a large tree, done ahead of the walk on every core.
//!
//! The walk ([`super`]) stays sequential: the MAC hashes values in document order and the
//! comment rules look at what came before. Encrypting or decrypting each value does not depend
//! on any other, so for large trees it is done first: [`Prefetched::compute`] lists the string
//! leaves the walk will encrypt or decrypt, with the additional data (key path) it will use,
//! splits the list into one contiguous run per core and processes the runs on scoped threads.
//! The walk then asks for each leaf's result in order ([`Prefetched::take_opened`],
//! [`Prefetched::take_sealed`]); a result is handed out only for the same text (address and
//! length of a leaf that is still alive) and the same additional data, so anything the list does
//! not cover, or a value that failed, is simply computed by the walk itself, with its error
//! message and key path.

use super::{additional_data, typed_value, Direction, IvStash, PathPolicy, Plain};
use crate::cipher::{ValueCipher, ValueType};
use crate::tree::{MapItem, Mapping, Node, Scalar, SeqItem, Tree};

/// Trees with fewer values than this are walked on one thread: starting threads would cost
/// more than it saves.
const MIN_VALUES: usize = 2048;

/// The most threads used, whatever the machine has.
const MAX_THREADS: usize = 8;

/// An IV stash slot and the IV recorded for it.
pub(crate) type StashedIv = ([u8; 32], [u8; 32]);

/// The results of the value work done ahead of the walk, handed out in document order.
pub(crate) struct Prefetched {
    entries: Vec<Entry>,
    /// The IV stash slot and IV of each decrypted value, kept only when the walk records IVs
    /// (`edit`, `set`).
    ivs: Vec<StashedIv>,
    /// Every entry's additional data, one after the other.
    aads: String,
    cursor: usize,
}

/// One string leaf: where its text lives, its additional data, and what became of it.
struct Entry {
    addr: usize,
    len: usize,
    aad: (u32, u32),
    outcome: Outcome,
}

enum Outcome {
    Pending,
    Failed,
    Opened(Plain),
    Sealed(String),
}

impl Prefetched {
    /// Processes the string leaves of `tree` the walk in `direction` will encrypt or decrypt,
    /// on several threads; `None` when the tree is small, the machine has one core, or the
    /// policy depends on comments (whose order the walk alone follows).
    pub(crate) fn compute(
        tree: &Tree,
        policy: &PathPolicy,
        cipher: &ValueCipher,
        direction: Direction,
        stash: Option<&IvStash>,
    ) -> Option<Prefetched> {
        let threads = crate::cores(MAX_THREADS);
        Self::compute_on(threads, MIN_VALUES, tree, policy, cipher, direction, stash)
    }

    /// [`Prefetched::compute`] on `threads` threads for trees of at least `min_values` values.
    fn compute_on(
        threads: usize,
        min_values: usize,
        tree: &Tree,
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
            texts: Vec::new(),
            entries: Vec::new(),
        };
        for branch in &tree.branches {
            lister.mapping(branch);
        }
        let Lister {
            aads,
            texts,
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
        let finished = std::thread::scope(|scope| {
            // `ivs` is empty unless kept: its runs then run out and each worker gets none.
            let mut iv_runs = ivs.chunks_mut(run);
            let mut runs = texts
                .chunks(run)
                .zip(entries.chunks_mut(run))
                .map(|(texts, entries)| (texts, entries, iv_runs.next().unwrap_or_default()))
                .collect::<Vec<_>>()
                .into_iter();
            let (first_texts, first_entries, first_ivs) = runs.next()?;
            let handles: Vec<_> = runs
                .map(|(texts, entries, ivs)| {
                    let worker = &worker;
                    scope.spawn(move || worker.run(texts, entries, ivs))
                })
                .collect();
            worker.run(first_texts, first_entries, first_ivs);
            // A worker that panicked leaves its values to the walk, which reports the problem.
            handles.into_iter().all(|h| h.join().is_ok()).then_some(())
        });
        finished?;
        drop(texts);
        Some(Prefetched {
            entries,
            ivs,
            aads,
            cursor: 0,
        })
    }

    /// The next entry when it is for `text` under `aad`.
    fn take(&mut self, text: &str, aad: &[u8]) -> Option<Outcome> {
        let entry = self.entries.get_mut(self.cursor)?;
        let (start, end) = (entry.aad.0 as usize, entry.aad.1 as usize);
        if entry.addr != text.as_ptr() as usize
            || entry.len != text.len()
            || self.aads.as_bytes()[start..end] != *aad
        {
            return None;
        }
        self.cursor += 1;
        Some(std::mem::replace(&mut entry.outcome, Outcome::Pending))
    }

    /// The decryption of `text` under `aad` when it was done ahead and succeeded.
    pub(crate) fn take_opened(
        &mut self,
        text: &str,
        aad: &[u8],
    ) -> Option<(Plain, Option<StashedIv>)> {
        let index = self.cursor;
        match self.take(text, aad)? {
            Outcome::Opened(plain) => Some((plain, self.ivs.get(index).copied())),
            _ => None,
        }
    }

    /// The `ENC[…]` form of the string `text` under `aad` when it was done ahead.
    pub(crate) fn take_sealed(&mut self, text: &str, aad: &[u8]) -> Option<String> {
        match self.take(text, aad)? {
            Outcome::Sealed(value) => Some(value),
            _ => None,
        }
    }

    /// True when the walk took every result, in order (for tests).
    #[cfg(test)]
    pub(crate) fn all_taken(&self) -> bool {
        self.cursor == self.entries.len()
    }

    /// How many values were processed ahead (for tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// How many listed values the workers did process, before the walk takes any (for tests).
    #[cfg(test)]
    pub(crate) fn processed(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| matches!(e.outcome, Outcome::Opened(..) | Outcome::Sealed(_)))
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
    /// Decrypts to typed values (or comments), or encrypts strings; a value that fails to
    /// decrypt or convert is left to the walk, which reports it with its key path.
    fn run(&self, texts: &[&str], entries: &mut [Entry], ivs: &mut [StashedIv]) {
        for (i, (text, entry)) in texts.iter().zip(entries.iter_mut()).enumerate() {
            let aad = &self.aads.as_bytes()[entry.aad.0 as usize..entry.aad.1 as usize];
            entry.outcome = match self.direction {
                Direction::Decrypt => match self.cipher.decrypt(text, aad) {
                    Ok(opened) => {
                        if let Some(kept) = ivs.get_mut(i) {
                            let slot = IvStash::slot(opened.value_type, aad, &opened.plaintext);
                            *kept = (slot, opened.iv);
                        }
                        match typed_value(opened.value_type, opened.plaintext) {
                            Ok(plain) => Outcome::Opened(plain),
                            Err(_) => Outcome::Failed,
                        }
                    }
                    Err(_) => Outcome::Failed,
                },
                Direction::Encrypt => Outcome::Sealed(super::seal_value(
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
    texts: Vec<&'t str>,
    entries: Vec<Entry>,
}

impl<'t> Lister<'_, 't> {
    fn mapping(&mut self, mapping: &'t Mapping) {
        for item in &mapping.items {
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

    fn node(&mut self, node: &'t Node) {
        match node {
            Node::Mapping(m) => self.mapping(m),
            Node::Sequence(s) => {
                for item in &s.items {
                    if let SeqItem::Value(v) = item {
                        self.node(v);
                    }
                }
            }
            Node::Scalar(Scalar::Str(text)) => {
                let text = text.as_str();
                let wanted = !text.is_empty()
                    && self.policy.should_encrypt(self.matching_keys, &[], false)
                    && (self.direction == Direction::Encrypt || crate::cipher::is_encrypted(text));
                if wanted {
                    let start = self.aads.len();
                    self.aads.push_str(additional_data(&self.aad));
                    self.texts.push(text);
                    self.entries.push(Entry {
                        addr: text.as_ptr() as usize,
                        len: text.len(),
                        aad: (start as u32, self.aads.len() as u32),
                        outcome: Outcome::Pending,
                    });
                }
            }
            Node::Scalar(_) => {}
        }
    }
}

#[cfg(test)]
mod tests;
