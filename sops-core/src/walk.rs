//! The tree walk that encrypts and decrypts values and feeds the MAC, following sops 3.11's
//! `walkBranch`/`walkSlice` exactly (SOPS-FORMAT.md §2–3).
//!
//! The walk keeps the key path as a ready-made AAD string (`a:b:`), a count of path keys that
//! match the partial-encryption rule (so the check is O(1) per leaf), and the comment stack that
//! the comment-regex rules look at.

use crate::cipher::{ValueCipher, ValueType};
use crate::error::{Error, ErrorKind};
use crate::mac::MacHasher;
use crate::metadata::PartialRule;
use crate::prefetch::Prefetched;
use crate::secret::{SecretBytes, SecretText};
use crate::timefmt;
use crate::tree::{MapItem, Mapping, Node, Scalar, SeqItem, Sequence, Timestamp};
use regex::Regex;
use zeroize::Zeroizing;

/// Decides which leaves are encrypted: sops's partial-encryption rule, compiled.
pub struct PathPolicy {
    rule: Rule,
}

enum Rule {
    UnencryptedSuffix(String),
    EncryptedSuffix(String),
    UnencryptedRegex(Regex),
    EncryptedRegex(Regex),
    UnencryptedComment(Regex),
    EncryptedComment(Regex),
}

impl PathPolicy {
    /// Compiles `rule`; `None` means sops's default, `unencrypted_suffix: _unencrypted`.
    pub fn new(rule: Option<&PartialRule>) -> Result<PathPolicy, Error> {
        let compile = |name: &str, re: &str| {
            Regex::new(re).map_err(|e| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format!("invalid {name} {re:?}: {e}"),
                )
            })
        };
        let rule = match rule {
            None => Rule::UnencryptedSuffix("_unencrypted".to_owned()),
            Some(PartialRule::UnencryptedSuffix(s)) => Rule::UnencryptedSuffix(s.clone()),
            Some(PartialRule::EncryptedSuffix(s)) => Rule::EncryptedSuffix(s.clone()),
            Some(PartialRule::UnencryptedRegex(r)) => {
                Rule::UnencryptedRegex(compile("unencrypted_regex", r)?)
            }
            Some(PartialRule::EncryptedRegex(r)) => {
                Rule::EncryptedRegex(compile("encrypted_regex", r)?)
            }
            Some(PartialRule::UnencryptedCommentRegex(r)) => {
                Rule::UnencryptedComment(compile("unencrypted_comment_regex", r)?)
            }
            Some(PartialRule::EncryptedCommentRegex(r)) => {
                Rule::EncryptedComment(compile("encrypted_comment_regex", r)?)
            }
        };
        Ok(PathPolicy { rule })
    }

    /// True when the mapping key `key` matches the rule's suffix or key regex (the walk counts
    /// such keys on the path to a leaf; comment rules match no key).
    pub fn key_matches(&self, key: &str) -> bool {
        match &self.rule {
            Rule::UnencryptedSuffix(s) | Rule::EncryptedSuffix(s) => {
                !s.is_empty() && key.ends_with(s.as_str())
            }
            Rule::UnencryptedRegex(r) | Rule::EncryptedRegex(r) => r.is_match(key),
            _ => false,
        }
    }

    /// Whether a leaf (or, with `is_comment`, the last comment of `comments`) is encrypted:
    /// `matching_keys` counts the keys on its path that [`PathPolicy::key_matches`], and
    /// `comments` holds the comments seen so far at each open mapping or sequence level.
    pub fn should_encrypt(
        &self,
        matching_keys: usize,
        comments: &[Vec<String>],
        is_comment: bool,
    ) -> bool {
        match &self.rule {
            Rule::UnencryptedSuffix(s) => s.is_empty() || matching_keys == 0,
            Rule::UnencryptedRegex(_) => matching_keys == 0,
            Rule::EncryptedSuffix(s) => !s.is_empty() && matching_keys > 0,
            Rule::EncryptedRegex(_) => matching_keys > 0,
            Rule::UnencryptedComment(re) => !comments.iter().flatten().any(|c| re.is_match(c)),
            Rule::EncryptedComment(re) => {
                let last_level = comments.len().saturating_sub(1);
                let last_len = comments.last().map_or(0, Vec::len);
                comments.iter().enumerate().any(|(i, level)| {
                    level.iter().enumerate().any(|(j, c)| {
                        let is_self = is_comment && i == last_level && j + 1 == last_len;
                        !is_self && re.is_match(c)
                    })
                })
            }
        }
    }

    /// True for the comment rules, whose decisions depend on the comments seen so far.
    pub(crate) fn tracks_comments(&self) -> bool {
        matches!(
            self.rule,
            Rule::UnencryptedComment(_) | Rule::EncryptedComment(_)
        )
    }
}

/// The plaintext bytes sops encrypts and hashes for a scalar, with its type tag.
pub(crate) fn scalar_bytes(scalar: &Scalar) -> Option<(std::borrow::Cow<'_, [u8]>, ValueType)> {
    use std::borrow::Cow;
    Some(match scalar {
        Scalar::Null => return None,
        Scalar::Str(s) => (Cow::Borrowed(s.as_bytes()), ValueType::Str),
        Scalar::Bytes(b) => (Cow::Borrowed(b.secret_bytes()), ValueType::Str),
        Scalar::Int(i) => (Cow::Owned(i.to_string().into_bytes()), ValueType::Int),
        Scalar::Float(f) => (Cow::Owned(go_float_f(*f).into_bytes()), ValueType::Float),
        Scalar::Bool(b) => (
            Cow::Borrowed(if *b { &b"True"[..] } else { &b"False"[..] }),
            ValueType::Bool,
        ),
        Scalar::Time(t) => (Cow::Borrowed(t.rfc3339_nano.as_bytes()), ValueType::Time),
    })
}

/// Go `strconv.FormatFloat(v, 'f', -1, 64)`.
pub(crate) fn go_float_f(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_owned()
    } else if f.is_infinite() {
        if f > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        format!("{f}")
    }
}

/// A decrypted value: a scalar, or a comment.
pub(crate) enum Plain {
    Scalar(Scalar),
    Comment(SecretText),
}

/// Converts decrypted bytes to a typed value. Strings and bytes move into their zeroizing
/// containers without a copy.
pub(crate) fn typed_value(
    value_type: ValueType,
    mut plaintext: Zeroizing<Vec<u8>>,
) -> Result<Plain, Error> {
    let bytes = std::mem::take(&mut *plaintext);
    let bad = |what: &str| {
        Error::new(
            ErrorKind::DecryptTree,
            format!("the decrypted value is not a valid {what}"),
        )
    };
    let text = |bytes: Vec<u8>| String::from_utf8(bytes);
    Ok(match value_type {
        ValueType::Str => match text(bytes) {
            Ok(s) => Plain::Scalar(Scalar::Str(SecretText::new(s))),
            Err(e) => Plain::Scalar(Scalar::Bytes(SecretBytes::new(e.into_bytes()))),
        },
        ValueType::Bytes => Plain::Scalar(Scalar::Bytes(SecretBytes::new(bytes))),
        ValueType::Comment => {
            Plain::Comment(SecretText::new(text(bytes).map_err(|_| bad("comment"))?))
        }
        ValueType::Int => {
            let s = text(bytes).map_err(|_| bad("int"))?;
            Plain::Scalar(Scalar::Int(s.parse().map_err(|_| bad("int"))?))
        }
        ValueType::Float => {
            let s = text(bytes).map_err(|_| bad("float"))?;
            Plain::Scalar(Scalar::Float(s.parse().map_err(|_| bad("float"))?))
        }
        ValueType::Bool => Plain::Scalar(Scalar::Bool(match &bytes[..] {
            b"1" | b"t" | b"T" | b"TRUE" | b"true" | b"True" => true,
            b"0" | b"f" | b"F" | b"FALSE" | b"false" | b"False" => false,
            _ => return Err(bad("bool")),
        })),
        ValueType::Time => {
            let s = text(bytes).map_err(|_| bad("time"))?;
            let t = timefmt::parse_rfc3339(&s).ok_or_else(|| bad("time"))?;
            Plain::Scalar(Scalar::Time(Timestamp {
                rfc3339_nano: t.rfc3339_nano(),
            }))
        }
    })
}

/// The additional data of a value at key path `path` (`a:b:`): the path, or `:` at the top.
pub(crate) fn additional_data(path: &str) -> &str {
    if path.is_empty() {
        ":"
    } else {
        path
    }
}

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

/// The IVs of values decrypted in this process, keyed by (type, key path, plaintext), so that
/// re-encrypting an unchanged value yields the same ciphertext, as sops does on `edit`/`set`.
///
/// Keys are SHA-256 digests: the stash holds no plaintext.
#[derive(Default)]
pub struct IvStash {
    ivs: std::collections::HashMap<[u8; 32], [u8; 32]>,
}

impl IvStash {
    pub(crate) fn slot(value_type: ValueType, aad: &[u8], plaintext: &[u8]) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(value_type.tag().as_bytes());
        h.update([0]);
        h.update((aad.len() as u64).to_le_bytes());
        h.update(aad);
        h.update(plaintext);
        h.finalize().into()
    }

    /// Number of stashed IVs.
    pub fn len(&self) -> usize {
        self.ivs.len()
    }

    /// True when nothing is stashed.
    pub fn is_empty(&self) -> bool {
        self.ivs.is_empty()
    }
}

/// Encrypts one value, with the IV it had when `stash` recorded the same value at the same path.
pub(crate) fn seal_value(
    cipher: &ValueCipher,
    stash: Option<&IvStash>,
    plaintext: &[u8],
    aad: &[u8],
    value_type: ValueType,
) -> String {
    let iv = stash.and_then(|s| s.ivs.get(&IvStash::slot(value_type, aad, plaintext)));
    match iv {
        Some(iv) => cipher.encrypt_with_iv(plaintext, aad, value_type, iv),
        None => cipher.encrypt(plaintext, aad, value_type),
    }
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
        if let Rule::UnencryptedComment(re) = &self.policy.rule {
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
            Direction::Decrypt => match self.open(text.as_str()) {
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
            Direction::Decrypt => match self.open(text.as_str()) {
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
