//! A validating builder for [`EncryptOptions`]: who can open a new file and which of its
//! values are encrypted.
//!
//! [`EncryptOptions::builder`] refuses what sops refuses before it writes anything: no key at
//! all, an empty key group ("empty key group provided"), more than one partial-encryption
//! option, and a Shamir threshold the key groups cannot meet. The threshold defaults as in
//! sops: unset (or 0) with several key groups means every group is needed, and that number is
//! written to the file; with one group there is no threshold.

use crate::engine::EncryptOptions;
use crate::error::{Error, ErrorKind};
use crate::keys::KeyEntry;
use crate::metadata::PartialRule;

impl EncryptOptions {
    /// A builder with no key group, no threshold, sops's default partial encryption
    /// (`unencrypted_suffix: _unencrypted`) and a MAC over all values.
    pub fn builder() -> EncryptOptionsBuilder {
        EncryptOptionsBuilder::default()
    }
}

/// Builds [`EncryptOptions`] and checks them; see [`EncryptOptions::builder`].
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct EncryptOptionsBuilder {
    key_groups: Vec<Vec<KeyEntry>>,
    shamir_threshold: Option<u64>,
    partial: Vec<PartialRule>,
    mac_only_encrypted: bool,
}

impl EncryptOptionsBuilder {
    /// Adds a key group: every entry in it can open the file (or, with several groups, its
    /// share of the data key).
    pub fn key_group(mut self, entries: impl IntoIterator<Item = KeyEntry>) -> Self {
        self.key_groups.push(entries.into_iter().collect());
        self
    }

    /// Adds one recipient to the last key group, starting the first group if there is none.
    pub fn recipient(mut self, entry: KeyEntry) -> Self {
        match self.key_groups.last_mut() {
            Some(group) => group.push(entry),
            None => self.key_groups.push(vec![entry]),
        }
        self
    }

    /// How many key groups must open to recover the data key (Shamir secret sharing); 0 is
    /// the same as not setting it: all groups.
    pub fn shamir_threshold(mut self, threshold: u64) -> Self {
        self.shamir_threshold = Some(threshold);
        self
    }

    /// The partial-encryption option. Giving more than one makes [`build`](Self::build) fail,
    /// as sops refuses a file with two.
    pub fn partial(mut self, rule: PartialRule) -> Self {
        self.partial.push(rule);
        self
    }

    /// `mac_only_encrypted`: the MAC covers only the encrypted values.
    pub fn mac_only_encrypted(mut self, yes: bool) -> Self {
        self.mac_only_encrypted = yes;
        self
    }

    /// Checks the options and returns them, with the Shamir threshold defaulted.
    pub fn build(self) -> Result<EncryptOptions, Error> {
        if self.key_groups.iter().all(Vec::is_empty) {
            return Err(Error::new(
                ErrorKind::NoEncryptionKey,
                "no master key was given to encrypt the data key",
            )
            .with_hint(
                "add at least one recipient (an age recipient, a PGP fingerprint, a KMS ARN, …)",
            ));
        }
        if let Some(index) = self.key_groups.iter().position(Vec::is_empty) {
            return Err(Error::new(
                ErrorKind::Generic,
                format!("empty key group provided: key group {index} has no key"),
            )
            .with_hint("give every key group at least one key, or leave the group out"));
        }
        if self.partial.len() > 1 {
            let names: Vec<&str> = self.partial.iter().map(PartialRule::field_name).collect();
            return Err(Error::new(
                ErrorKind::Generic,
                format!(
                    "cannot use more than one of encrypted_suffix, unencrypted_suffix, \
                     encrypted_regex, unencrypted_regex, encrypted_comment_regex, or \
                     unencrypted_comment_regex; these options give {}",
                    names.join(" and ")
                ),
            )
            .with_hint("choose one partial-encryption option"));
        }
        let groups = self.key_groups.len() as u64;
        let shamir_threshold = match self.shamir_threshold {
            Some(0) | None if groups > 1 => groups,
            Some(0) | None => 0,
            Some(t) if t > groups => {
                return Err(Error::new(
                    ErrorKind::Generic,
                    format!("the Shamir threshold is {t}, but there are only {groups} key groups"),
                )
                .with_hint("lower the threshold or add key groups"));
            }
            Some(1) if groups > 1 => {
                return Err(Error::new(
                    ErrorKind::Generic,
                    format!("a Shamir threshold of 1 cannot split the data key across {groups} key groups"),
                )
                .with_hint("use a threshold of at least 2, or put all keys into one group"));
            }
            Some(t) => t,
        };
        Ok(EncryptOptions {
            key_groups: self.key_groups,
            shamir_threshold,
            partial: self.partial.into_iter().next(),
            mac_only_encrypted: self.mac_only_encrypted,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn age(name: &str) -> KeyEntry {
        let mut entry = KeyEntry::new("age");
        entry.set_field("recipient", name);
        entry
    }

    fn refused(builder: EncryptOptionsBuilder) -> Error {
        match builder.build() {
            Ok(_) => panic!("expected the builder to refuse"),
            Err(e) => e,
        }
    }

    #[test]
    fn the_threshold_defaults_to_every_group_as_in_sops() {
        let one = EncryptOptions::builder()
            .recipient(age("a"))
            .build()
            .unwrap();
        assert_eq!(one.shamir_threshold, 0);
        let three = EncryptOptions::builder()
            .key_group([age("a")])
            .key_group([age("b")])
            .key_group([age("c")]);
        assert_eq!(three.clone().build().unwrap().shamir_threshold, 3);
        assert_eq!(
            three
                .clone()
                .shamir_threshold(0)
                .build()
                .unwrap()
                .shamir_threshold,
            3
        );
        assert_eq!(
            three.shamir_threshold(2).build().unwrap().shamir_threshold,
            2
        );
    }

    #[test]
    fn recipients_join_the_last_group() {
        let options = EncryptOptions::builder()
            .recipient(age("a"))
            .recipient(age("b"))
            .key_group([age("c")])
            .recipient(age("d"))
            .build()
            .unwrap();
        let sizes: Vec<usize> = options.key_groups.iter().map(Vec::len).collect();
        assert_eq!(sizes, [2, 2]);
    }

    #[test]
    fn what_sops_refuses_is_refused() {
        let none = refused(EncryptOptions::builder());
        assert_eq!(none.kind(), ErrorKind::NoEncryptionKey);
        let empty = refused(
            EncryptOptions::builder()
                .key_group([age("a")])
                .key_group([]),
        );
        assert!(
            empty.message().starts_with("empty key group provided"),
            "{empty}"
        );
        let two = refused(
            EncryptOptions::builder()
                .recipient(age("a"))
                .partial(PartialRule::EncryptedRegex("^p".into()))
                .partial(PartialRule::UnencryptedSuffix("_u".into())),
        );
        assert!(
            two.message()
                .contains("encrypted_regex and unencrypted_suffix"),
            "{two}"
        );
        let high = refused(
            EncryptOptions::builder()
                .key_group([age("a")])
                .key_group([age("b")])
                .shamir_threshold(3),
        );
        assert!(high.message().contains("threshold is 3"), "{high}");
        let low = refused(
            EncryptOptions::builder()
                .key_group([age("a")])
                .key_group([age("b")])
                .shamir_threshold(1),
        );
        assert!(low.hint().is_some());
        for e in [none, empty, two, high, low] {
            assert!(e.hint().is_some(), "{e}");
        }
    }

    #[test]
    fn one_partial_rule_and_the_mac_option_are_kept() {
        let options = EncryptOptions::builder()
            .recipient(age("a"))
            .partial(PartialRule::EncryptedRegex("^p".into()))
            .mac_only_encrypted(true)
            .build()
            .unwrap();
        assert_eq!(
            options.partial,
            Some(PartialRule::EncryptedRegex("^p".into()))
        );
        assert!(options.mac_only_encrypted);
    }
}
