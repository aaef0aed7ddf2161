//! The partial-encryption rule of a file, compiled: which leaves the walk encrypts, from the
//! keys on their path (suffix and regex rules) or the comments before them (comment rules).

use crate::error::{Error, ErrorKind};
use crate::metadata::PartialRule;
use regex::Regex;

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

    /// The `unencrypted_comment_regex`, which an encrypted comment must not match.
    pub(crate) fn unencrypted_comment_regex(&self) -> Option<&Regex> {
        match &self.rule {
            Rule::UnencryptedComment(re) => Some(re),
            _ => None,
        }
    }
}
