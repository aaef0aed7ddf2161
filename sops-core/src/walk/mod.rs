//! The tree walk that encrypts and decrypts values and feeds the MAC, following sops 3.11's
//! `walkBranch`/`walkSlice` exactly: documents, then keys and sequence items in file order, the
//! partial-encryption rule decided per leaf, and the values hashed into the MAC on the way.
//!
//! The walk keeps the key path as a ready-made AAD string (`a:b:`), a count of path keys that
//! match the partial-encryption rule (so the check is O(1) per leaf), and the comment stack that
//! the comment-regex rules look at. Which leaves are encrypted is the [`PathPolicy`]'s to say
//! (`policy`); converting and sealing single values is in `value`; the AES-GCM work of large
//! trees is done ahead on every core (`prefetch`).

use crate::cipher::{ValueCipher, ValueType};
use crate::error::{Error, ErrorKind};
use crate::mac::MacHasher;
use crate::secret::SecretText;
use crate::tree::{MapItem, Mapping, Node, Scalar, SeqItem, Sequence};

mod policy;
mod prefetch;
mod value;

pub use policy::PathPolicy;
pub(crate) use prefetch::Prefetched;
pub use value::IvStash;
pub(crate) use value::{additional_data, scalar_bytes, seal_value, typed_value, Plain};

/// Which way the walk goes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Encrypt,
    Decrypt,
}

/// One walk over a tree: encrypting or decrypting in place while hashing the MAC.
pub(crate) struct Walker<'a> {
    pub(crate) cipher: &'a ValueCipher,
    pub(crate) policy: &'a PathPolicy,
    pub(crate) mac: MacHasher,
    pub(crate) mac_only_encrypted: bool,
    pub(crate) direction: Direction,
    aad: String,
    keys: Vec<String>,
    matching_keys: usize,
    comments: Vec<Vec<String>>,
    stash: Option<&'a mut IvStash>,
    prefetched: Option<Prefetched>,
}

impl<'a> Walker<'a> {
    /// Records IVs while decrypting, or reuses them while encrypting.
    pub(crate) fn with_stash(mut self, stash: Option<&'a mut IvStash>) -> Self {
        self.stash = stash;
        self
    }

    /// The stash, to read IVs from.
    pub(crate) fn stash(&self) -> Option<&IvStash> {
        self.stash.as_deref()
    }

    /// Takes values encrypted or decrypted ahead of the walk from `prefetched`.
    pub(crate) fn with_prefetched(mut self, prefetched: Option<Prefetched>) -> Self {
        self.prefetched = prefetched;
        self
    }

    /// The values processed ahead, to check that the walk took them all (for tests).
    #[cfg(test)]
    pub(crate) fn prefetched(&self) -> Option<&Prefetched> {
        self.prefetched.as_ref()
    }

    fn seal(&self, plaintext: &[u8], value_type: ValueType) -> String {
        seal_value(
            self.cipher,
            self.stash.as_deref(),
            plaintext,
            self.aad(),
            value_type,
        )
    }

    fn open(&mut self, text: &str) -> Result<crate::cipher::DecryptedValue, Error> {
        let aad = additional_data(&self.aad).as_bytes();
        let decrypted = self.cipher.decrypt(text, aad)?;
        if let Some(stash) = self.stash.as_deref_mut() {
            let slot = IvStash::slot(decrypted.value_type, aad, &decrypted.plaintext);
            stash.ivs.insert(slot, decrypted.iv);
        }
        Ok(decrypted)
    }

    /// Decrypts a comment item. go-yaml may read a comment back under another key than the
    /// one it was encrypted under (a foot comment that becomes the head of a nested
    /// collection), so with other additional data: sops then leaves it encrypted ("Found
    /// possibly unencrypted comment"); sops-rs also tries the enclosing keys' paths. Such a
    /// comment's IV is not kept for re-encryption, which would pair it with other data.
    fn open_comment(&mut self, text: &str) -> Result<crate::cipher::DecryptedValue, Error> {
        let here = self.open(text);
        if here.is_ok() {
            return here;
        }
        let mut path = String::new();
        let mut prefixes = vec![String::new()];
        for key in self.keys.iter().take(self.keys.len().saturating_sub(1)) {
            path.push_str(key);
            path.push(':');
            prefixes.push(path.clone());
        }
        for prefix in prefixes.iter().rev() {
            if let Ok(d) = self
                .cipher
                .decrypt(text, additional_data(prefix).as_bytes())
            {
                return Ok(d);
            }
        }
        here
    }

    pub(crate) fn new(
        cipher: &'a ValueCipher,
        policy: &'a PathPolicy,
        mac_only_encrypted: bool,
        direction: Direction,
    ) -> Self {
        Walker {
            cipher,
            policy,
            mac: MacHasher::new(mac_only_encrypted),
            mac_only_encrypted,
            direction,
            aad: String::new(),
            keys: Vec::new(),
            matching_keys: 0,
            comments: Vec::new(),
            stash: None,
            prefetched: None,
        }
    }

    fn aad(&self) -> &[u8] {
        additional_data(&self.aad).as_bytes()
    }

    fn error_at(&self, e: Error) -> Error {
        let path: Vec<&str> = self.keys.iter().map(String::as_str).collect();
        e.at_path(&path)
    }

    fn should_encrypt(&self, is_comment: bool) -> bool {
        self.policy
            .should_encrypt(self.matching_keys, &self.comments, is_comment)
    }

    fn push_comment(&mut self, text: &SecretText) {
        if self.policy.tracks_comments() {
            if let Some(level) = self.comments.last_mut() {
                level.push(text.as_str().to_owned());
            }
        }
    }

    fn clear_level(&mut self) {
        if let Some(level) = self.comments.last_mut() {
            level.clear();
        }
    }

    pub(crate) fn walk_mapping(&mut self, mapping: &mut Mapping) -> Result<(), Error> {
        self.comments.push(Vec::new());
        for item in &mut mapping.items {
            match item {
                MapItem::Comment(text) => {
                    self.push_comment(text);
                    if let Some(new_text) = self.visit_map_comment(text)? {
                        *text = new_text;
                    }
                }
                MapItem::Pair(key, value) => {
                    let aad_len = self.aad.len();
                    self.aad.push_str(key);
                    self.aad.push(':');
                    let matches = self.policy.key_matches(key);
                    self.matching_keys += usize::from(matches);
                    self.keys.push(key.clone());
                    self.walk_node(value)?;
                    self.keys.pop();
                    self.matching_keys -= usize::from(matches);
                    self.aad.truncate(aad_len);
                    self.clear_level();
                }
            }
        }
        self.comments.pop();
        Ok(())
    }

    fn walk_sequence(&mut self, sequence: &mut Sequence) -> Result<(), Error> {
        self.comments.push(Vec::new());
        for item in &mut sequence.items {
            match item {
                SeqItem::Comment(text) => {
                    self.push_comment(text);
                    if let Some(new_item) = self.visit_seq_comment(text)? {
                        *item = new_item;
                    }
                }
                SeqItem::Value(node) => {
                    if let Some(comment) = self.walk_node(node)? {
                        *item = SeqItem::Comment(comment);
                    }
                    self.clear_level();
                }
            }
        }
        self.comments.pop();
        Ok(())
    }

    /// Walks a value; returns a comment when a decrypted sequence element turns out to be one.
    fn walk_node(&mut self, node: &mut Node) -> Result<Option<SecretText>, Error> {
        match node {
            Node::Mapping(m) => self.walk_mapping(m).map(|_| None),
            Node::Sequence(s) => self.walk_sequence(s).map(|_| None),
            Node::Scalar(Scalar::Null) => Ok(None),
            Node::Scalar(scalar) => match self.direction {
                Direction::Encrypt => self.encrypt_leaf(scalar).map(|_| None),
                Direction::Decrypt => self.decrypt_leaf(scalar),
            },
        }
    }

    fn encrypt_leaf(&mut self, scalar: &mut Scalar) -> Result<(), Error> {
        let encrypted = self.should_encrypt(false);
        let Some((bytes, value_type)) = scalar_bytes(scalar) else {
            return Ok(());
        };
        if !self.mac_only_encrypted || encrypted {
            self.mac.feed(&bytes);
        }
        if encrypted && !bytes.is_empty() {
            let ahead = match (&*scalar, self.prefetched.as_mut()) {
                (Scalar::Str(text), Some(prefetched)) => {
                    let aad = additional_data(&self.aad).as_bytes();
                    prefetched.take_sealed(text.as_str(), aad)
                }
                _ => None,
            };
            let enc = ahead.unwrap_or_else(|| self.seal(&bytes, value_type));
            drop(bytes);
            *scalar = Scalar::Str(SecretText::new(enc));
        } else if encrypted {
            drop(bytes);
            if let Scalar::Bytes(_) = scalar {
                *scalar = Scalar::Str(SecretText::default());
            }
        }
        Ok(())
    }

    fn decrypt_leaf(&mut self, scalar: &mut Scalar) -> Result<Option<SecretText>, Error> {
        let encrypted = self.should_encrypt(false);
        if encrypted {
            let text = match scalar {
                Scalar::Str(s) => s,
                other => {
                    let e = Error::new(
                        ErrorKind::DecryptTree,
                        format!("expected an encrypted string, found a plaintext {}", other.type_name()),
                    )
                    .with_hint("a value was added or changed by hand; encrypt it with sops-rs, or move it under a key the partial-encryption rule leaves in plaintext");
                    return Err(self.error_at(e));
                }
            };
            if text.is_empty() {
                return Ok(None);
            }
            let aad = additional_data(&self.aad).as_bytes();
            let ahead = self
                .prefetched
                .as_mut()
                .and_then(|p| p.take_opened(text.as_str(), aad));
            let plain = match ahead {
                Some((plain, stashed)) => {
                    if let (Some(stash), Some((slot, iv))) = (self.stash.as_deref_mut(), stashed) {
                        stash.ivs.insert(slot, iv);
                    }
                    plain
                }
                None => {
                    let decrypted = match self.open(text.as_str()) {
                        Ok(decrypted) => decrypted,
                        Err(e) => return Err(self.error_at(e)),
                    };
                    typed_value(decrypted.value_type, decrypted.plaintext)
                        .map_err(|e| self.error_at(e))?
                }
            };
            match plain {
                Plain::Comment(c) => return Ok(Some(c)),
                Plain::Scalar(s) => *scalar = s,
            }
        }
        if !self.mac_only_encrypted || encrypted {
            if let Some((bytes, _)) = scalar_bytes(scalar) {
                self.mac.feed(&bytes);
            }
        }
        Ok(None)
    }

    fn encrypt_comment(&self, text: &SecretText) -> Result<String, Error> {
        let enc = self.seal(text.as_bytes(), ValueType::Comment);
        if let Some(re) = self.policy.unencrypted_comment_regex() {
            if re.is_match(&enc) {
                return Err(Error::new(
                    ErrorKind::EncryptTree,
                    format!("encrypted comment {enc:?} matches unencrypted_comment_regex"),
                )
                .with_hint(
                    "make sure unencrypted_comment_regex cannot match an encrypted comment",
                ));
            }
        }
        Ok(enc)
    }

    /// Encrypts or decrypts a comment item of a sequence; `None` leaves it unchanged. sops
    /// puts what its leaf function returns in the comment's place, so an encrypted comment
    /// becomes a string element (`- ENC[…,type:comment]`), an empty comment the element `""`
    /// both ways, and an encrypted comment found as a comment (go-yaml moved it to the head
    /// of the sequence or of an element) is decrypted in place; one that does not decrypt
    /// stays (sops warns "Found possibly unencrypted comment").
    fn visit_seq_comment(&mut self, text: &SecretText) -> Result<Option<SeqItem>, Error> {
        if !self.should_encrypt(true) {
            return Ok(None);
        }
        if text.is_empty() {
            return Ok(Some(SeqItem::Value(Node::string(""))));
        }
        match self.direction {
            Direction::Encrypt => Ok(Some(SeqItem::Value(Node::string(
                self.encrypt_comment(text)?,
            )))),
            Direction::Decrypt => match self.open_comment(text.as_str()) {
                Err(_) => Ok(None),
                Ok(d) => match typed_value(d.value_type, d.plaintext) {
                    Ok(Plain::Comment(c)) => Ok(Some(SeqItem::Comment(c))),
                    Ok(Plain::Scalar(s)) => {
                        if let Some((bytes, _)) = scalar_bytes(&s) {
                            self.mac.feed(&bytes);
                        }
                        Ok(Some(SeqItem::Value(Node::Scalar(s))))
                    }
                    Err(e) => Err(self.error_at(e)),
                },
            },
        }
    }

    /// Encrypts or decrypts a comment item of a mapping; `None` leaves it unchanged.
    fn visit_map_comment(&mut self, text: &SecretText) -> Result<Option<SecretText>, Error> {
        if !self.should_encrypt(true) || text.is_empty() {
            return Ok(None);
        }
        match self.direction {
            Direction::Encrypt => Ok(Some(SecretText::new(self.encrypt_comment(text)?))),
            Direction::Decrypt => match self.open_comment(text.as_str()) {
                // A comment that does not decrypt was never encrypted (older sops): keep it.
                Err(_) => Ok(None),
                Ok(d) => match typed_value(d.value_type, d.plaintext) {
                    Ok(Plain::Comment(c)) => Ok(Some(c)),
                    Ok(Plain::Scalar(s)) => {
                        if let Some((bytes, _)) = scalar_bytes(&s) {
                            self.mac.feed(&bytes);
                            return Ok(Some(SecretText::new(
                                String::from_utf8_lossy(&bytes).into_owned(),
                            )));
                        }
                        Ok(None)
                    }
                    Err(e) => Err(self.error_at(e)),
                },
            },
        }
    }
}
