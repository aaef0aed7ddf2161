//! The master keys a program holds: a [`Keyring`] of [`KeySource`]s.
//!
//! A keyring is what [`decrypt`](crate::decrypt), [`encrypt`](crate::encrypt) and the
//! [`EncryptedFile`](crate::EncryptedFile) methods take instead of a list of backends. It owns
//! its sources and keeps them in the order they were added. When a key entry of the file is
//! unwrapped, every source whose [`KeySource::key_type`] matches the entry's type is asked, in
//! that order, until one opens it: two sources of the same type (two sets of age identities, a
//! local and a remote PGP backend) are both tried. Wrapping likewise falls through to the next
//! source of the type when one fails.
//!
//! `sops-core` names no backend; a crate that has them (such as `sops-keys`) builds a keyring
//! with [`Keyring::push`] or [`Keyring::with`].

use crate::keys::KeySource;
use std::fmt;

/// An ordered set of master-key backends.
#[derive(Default)]
pub struct Keyring {
    sources: Vec<Box<dyn KeySource>>,
}

impl Keyring {
    /// An empty keyring: it can open nothing and encrypt to nobody.
    pub fn new() -> Self {
        Self::default()
    }

    /// This keyring with `source` added after the sources it has.
    #[must_use]
    pub fn with(mut self, source: impl KeySource + 'static) -> Self {
        self.sources.push(Box::new(source));
        self
    }

    /// Adds `source` after the sources this keyring has.
    pub fn push(&mut self, source: Box<dyn KeySource>) {
        self.sources.push(source);
    }

    /// The number of sources.
    pub fn len(&self) -> usize {
        self.sources.len()
    }

    /// True when the keyring has no source.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// The key types of the sources, in order, with repeats (`["age", "age", "kms"]`).
    pub fn key_types(&self) -> Vec<&str> {
        self.sources.iter().map(|s| s.key_type()).collect()
    }

    /// The sources in order, as the slice the engine's functions take.
    pub fn sources(&self) -> Vec<&dyn KeySource> {
        self.sources.iter().map(|s| s.as_ref()).collect()
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("key_types", &self.key_types())
            .finish()
    }
}

impl Extend<Box<dyn KeySource>> for Keyring {
    fn extend<I: IntoIterator<Item = Box<dyn KeySource>>>(&mut self, sources: I) {
        self.sources.extend(sources);
    }
}

impl FromIterator<Box<dyn KeySource>> for Keyring {
    fn from_iter<I: IntoIterator<Item = Box<dyn KeySource>>>(sources: I) -> Self {
        Keyring {
            sources: sources.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{KeyEntry, KeyError};
    use crate::secret::SecretBytes;

    struct Named(&'static str);

    impl KeySource for Named {
        fn key_type(&self) -> &str {
            self.0
        }
        fn wrap(&self, _: &mut KeyEntry, _: &[u8]) -> Result<(), KeyError> {
            Ok(())
        }
        fn unwrap(&self, _: &KeyEntry) -> Option<Result<SecretBytes, KeyError>> {
            None
        }
    }

    #[test]
    fn sources_keep_the_order_they_were_added_in() {
        let mut keyring = Keyring::new().with(Named("age")).with(Named("kms"));
        keyring.push(Box::new(Named("age")));
        assert_eq!(keyring.key_types(), ["age", "kms", "age"]);
        assert_eq!(keyring.len(), 3);
        assert_eq!(
            format!("{keyring:?}"),
            r#"Keyring { key_types: ["age", "kms", "age"] }"#
        );
        let collected: Keyring = vec![Box::new(Named("pgp")) as Box<dyn KeySource>]
            .into_iter()
            .collect();
        assert_eq!(collected.key_types(), ["pgp"]);
        assert!(Keyring::new().is_empty());
    }
}
