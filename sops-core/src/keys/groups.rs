//! Key groups: wrapping the data key for every recipient of every group, and recovering it by
//! trying master keys in decryption order. With more than one group, each group holds a Shamir
//! share of the key ([`super::shamir`]) and any `shamir_threshold` of them recover it.

use super::shamir::{combine, split};
use super::{KeyEntry, KeyError, KeySource};
use crate::error::{Error, ErrorKind};
use crate::secret::{DataKey, SecretBytes};

/// Recovers the data key of a file whose metadata lists `key_groups`: with the first master key
/// that opens it (one group), or from the shares of at least `shamir_threshold` groups (0: all
/// of them). Keys are tried in `decryption_order` (default `age`, then `pgp`).
pub(crate) fn unwrap_data_key(
    key_groups: &[Vec<KeyEntry>],
    shamir_threshold: u64,
    sources: &[&dyn KeySource],
    decryption_order: &[String],
) -> Result<DataKey, Error> {
    if key_groups.len() > 1 {
        return unwrap_groups(key_groups, shamir_threshold, sources, decryption_order);
    }
    let group = key_groups.first().map(Vec::as_slice).unwrap_or(&[]);
    let mut report = Vec::new();
    let secret = unwrap_group(group, sources, decryption_order, &mut report)?;
    match secret {
        Some(secret) => DataKey::from_slice(secret.secret_bytes()).ok_or_else(|| {
            Error::new(
                ErrorKind::DataKeyUnavailable,
                format!(
                    "the unwrapped data key has {} bytes, expected 32",
                    secret.secret_bytes().len()
                ),
            )
        }),
        None => Err(no_key_error(&report)),
    }
}

/// The error when no master key opened the data key, listing what each key said.
fn no_key_error(report: &[String]) -> Error {
    let mut message = String::from("failed to get the data key required to decrypt the SOPS file");
    for line in report {
        message.push_str("\n  ");
        message.push_str(line);
    }
    if report.is_empty() {
        message.push_str("\n  the file lists no master key");
    }
    Error::new(ErrorKind::DataKeyUnavailable, message).with_hint(
        "make an identity that can open one of these keys available (for age: SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, or ~/.config/sops/age/keys.txt)",
    )
}

/// Wraps `data_key` for every recipient entry of `key_groups` (a Shamir share per group when
/// there are several, any `shamir_threshold` of which recover the key).
pub(crate) fn wrap_data_key(
    key_groups: &mut [Vec<KeyEntry>],
    shamir_threshold: u64,
    data_key: &DataKey,
    sources: &[&dyn KeySource],
) -> Result<(), Error> {
    if key_groups.iter().all(Vec::is_empty) {
        return Err(Error::new(
            ErrorKind::NoEncryptionKey,
            "no master key was given to encrypt the data key",
        )
        .with_hint("give at least one recipient in the key groups (sops: --age RECIPIENT, or a creation rule with keys in .sops.yaml)"));
    }
    let secrets = split_for_groups(data_key, key_groups.len(), shamir_threshold)?;
    for (group, secret) in key_groups.iter_mut().zip(secrets.iter()) {
        for entry in group.iter_mut() {
            wrap_entry(entry, secret.secret_bytes(), sources)?;
        }
    }
    Ok(())
}

/// Wraps `secret` for `entry` with the first source of its type that succeeds, trying each in
/// order (as sops tries every key service).
fn wrap_entry(
    entry: &mut KeyEntry,
    secret: &[u8],
    sources: &[&dyn KeySource],
) -> Result<(), Error> {
    let mut failures: Vec<String> = Vec::new();
    let key_type = entry.key_type.clone();
    for source in sources.iter().filter(|s| s.key_type() == key_type) {
        match source.wrap(entry, secret) {
            Ok(()) => return Ok(()),
            Err(e) => failures.push(e.message),
        }
    }
    if failures.is_empty() {
        let message = format!("sops-rs cannot encrypt to {} keys", entry.key_type);
        return Err(Error::new(ErrorKind::NoEncryptionKey, message));
    }
    // sops 3.11: a master key that fails to wrap is "Could not generate data key", exit 1.
    let message = format!(
        "Could not generate data key: could not encrypt the data key with {}: {}",
        entry.describe(),
        failures.join("; ")
    );
    Err(Error::new(ErrorKind::Generic, message))
}

/// The threshold in effect: `shamir_threshold`, or every group when it is 0.
fn effective_threshold(shamir_threshold: u64, groups: usize) -> u64 {
    if shamir_threshold == 0 {
        groups as u64
    } else {
        shamir_threshold
    }
}

/// The default `--decryption-order`.
const DEFAULT_ORDER: [&str; 2] = ["age", "pgp"];

/// Indices of `group` sorted by `order`: listed types first in list order, the rest after in
/// stored order (a stable sort, as sops does).
fn sorted_indices(group: &[KeyEntry], order: &[String]) -> Vec<usize> {
    let rank = |t: &str| -> usize {
        if order.is_empty() {
            DEFAULT_ORDER
                .iter()
                .position(|o| *o == t)
                .unwrap_or(usize::MAX)
        } else {
            order.iter().position(|o| o == t).unwrap_or(usize::MAX)
        }
    };
    let mut indices: Vec<usize> = (0..group.len()).collect();
    indices.sort_by_key(|&i| rank(&group[i].key_type));
    indices
}

/// Asks every source of `entry`'s type, in order, until one opens it: `None` when none holds
/// an identity for it, else the secret or every failure joined.
fn ask_sources(
    entry: &KeyEntry,
    sources: &[&dyn KeySource],
) -> Option<Result<SecretBytes, KeyError>> {
    let mut failures: Vec<String> = Vec::new();
    for source in sources {
        match source.unwrap(entry) {
            Some(Ok(secret)) => return Some(Ok(secret)),
            Some(Err(e)) => failures.push(e.message),
            None => {}
        }
    }
    if failures.is_empty() {
        None
    } else {
        Some(Err(KeyError::new(failures.join("; "))))
    }
}

/// Tries the keys of one group; returns the first secret any of them unwraps. Every failure is
/// appended to `report`.
///
/// Keys are tried in decryption order, each with every source of its type in the order given
/// (two sets of age identities are both tried). A run of consecutive remote keys (cloud KMS)
/// is asked all at once, one thread each, and the first of them in order that opens wins: a
/// group of KMS keys in several regions costs one round trip, not one per region.
pub(crate) fn unwrap_group(
    group: &[KeyEntry],
    sources: &[&dyn KeySource],
    order: &[String],
    report: &mut Vec<String>,
) -> Result<Option<SecretBytes>, Error> {
    let ordered: Vec<(&KeyEntry, Vec<&dyn KeySource>)> = sorted_indices(group, order)
        .into_iter()
        .map(|i| {
            let entry = &group[i];
            let matching = sources
                .iter()
                .copied()
                .filter(|s| s.key_type() == entry.key_type)
                .collect();
            (entry, matching)
        })
        .collect();
    let remote =
        |(_, matching): &(&KeyEntry, Vec<&dyn KeySource>)| matching.iter().any(|s| s.is_remote());
    let mut rest = &ordered[..];
    while !rest.is_empty() {
        let run = rest.iter().take_while(|e| remote(e)).count().max(1);
        let (batch, after) = rest.split_at(run);
        rest = after;
        let outcomes: Vec<Option<Result<SecretBytes, KeyError>>> = if batch.len() == 1 {
            vec![ask_sources(batch[0].0, &batch[0].1)]
        } else {
            std::thread::scope(|scope| {
                let asks: Vec<_> = batch
                    .iter()
                    .map(|(entry, matching)| scope.spawn(move || ask_sources(entry, matching)))
                    .collect();
                asks.into_iter()
                    .map(|ask| {
                        ask.join().unwrap_or_else(|_| {
                            Some(Err(KeyError::new("the key backend panicked")))
                        })
                    })
                    .collect()
            })
        };
        for ((entry, matching), outcome) in batch.iter().zip(outcomes) {
            if matching.is_empty() {
                report.push(format!(
                    "{}: sops-rs has no backend for {} keys",
                    entry.describe(),
                    entry.key_type
                ));
                continue;
            }
            match outcome {
                Some(Ok(secret)) => return Ok(Some(secret)),
                Some(Err(e)) => report.push(format!("{}: {e}", entry.describe())),
                None => report.push(format!(
                    "{}: no identity available for this key",
                    entry.describe()
                )),
            }
        }
    }
    Ok(None)
}

/// Recovers the data key from several key groups with Shamir secret sharing.
fn unwrap_groups(
    key_groups: &[Vec<KeyEntry>],
    shamir_threshold: u64,
    sources: &[&dyn KeySource],
    order: &[String],
) -> Result<DataKey, Error> {
    let groups = key_groups.len();
    let threshold = effective_threshold(shamir_threshold, groups);
    let mut report = Vec::new();
    let mut shares = Vec::new();
    for (index, group) in key_groups.iter().enumerate() {
        let mut group_report = Vec::new();
        match unwrap_group(group, sources, order, &mut group_report)? {
            Some(share) => shares.push(share),
            None => {
                report.push(format!("group {index}: no key opened it"));
                report.extend(group_report.into_iter().map(|l| format!("  {l}")));
            }
        }
    }
    if (shares.len() as u64) < threshold {
        let mut e = no_key_error(&report);
        e = Error::new(
            ErrorKind::DataKeyUnavailable,
            format!(
                "{} of {groups} key groups opened, {threshold} required: {}",
                shares.len(),
                e.message()
            ),
        );
        return Err(e);
    }
    let secret = combine(&shares)?;
    DataKey::from_slice(&secret).ok_or_else(|| {
        Error::new(
            ErrorKind::DataKeyUnavailable,
            "the combined Shamir secret is not a 32-byte data key",
        )
    })
}

/// The secret each key group wraps: the whole key for one group, else one share per group.
fn split_for_groups(
    data_key: &DataKey,
    groups: usize,
    shamir_threshold: u64,
) -> Result<Vec<SecretBytes>, Error> {
    if groups <= 1 {
        return Ok(vec![SecretBytes::new(data_key.secret_bytes().to_vec())]);
    }
    let threshold = effective_threshold(shamir_threshold, groups);
    if threshold < 2 || threshold > groups as u64 || groups > 255 {
        return Err(Error::new(
            ErrorKind::EncryptTree,
            format!("invalid shamir_threshold {threshold} for {groups} key groups: it must be between 2 and the number of groups"),
        ));
    }
    Ok(split(data_key.secret_bytes(), groups, threshold as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake cloud KMS: entries with `enc: ok` open, others fail; it records how many asks
    /// were in flight at once, and each ask waits until `expected` asks have started (or a
    /// second has passed), so that asking one after the other cannot look concurrent.
    struct Remote {
        in_flight: std::sync::atomic::AtomicUsize,
        most: std::sync::atomic::AtomicUsize,
        asked: std::sync::Mutex<Vec<String>>,
        expected: usize,
    }

    impl KeySource for Remote {
        fn key_type(&self) -> &str {
            "kms"
        }
        fn wrap(&self, _: &mut KeyEntry, _: &[u8]) -> Result<(), KeyError> {
            Ok(())
        }
        fn unwrap(&self, entry: &KeyEntry) -> Option<Result<SecretBytes, KeyError>> {
            use std::sync::atomic::Ordering::SeqCst;
            let now = self.in_flight.fetch_add(1, SeqCst) + 1;
            self.most.fetch_max(now, SeqCst);
            self.asked.lock().unwrap().push(entry.describe());
            let start = std::time::Instant::now();
            while self.most.load(SeqCst) < self.expected
                && start.elapsed() < std::time::Duration::from_secs(1)
            {
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            self.in_flight.fetch_sub(1, SeqCst);
            Some(match entry.field("enc") {
                Some("ok") => Ok(SecretBytes::new(entry.field("arn")?.as_bytes().to_vec())),
                _ => Err(KeyError::new("AccessDenied")),
            })
        }
        fn is_remote(&self) -> bool {
            true
        }
    }

    fn kms(arn: &str, enc: &str) -> KeyEntry {
        let mut e = KeyEntry::new("kms");
        e.set_field("arn", arn);
        e.set_field("enc", enc);
        e
    }

    #[test]
    fn remote_keys_of_a_group_are_asked_at_once_and_the_first_in_order_wins() {
        let remote = Remote {
            in_flight: Default::default(),
            most: Default::default(),
            asked: Default::default(),
            expected: 3,
        };
        let group = [kms("a", "bad"), kms("b", "ok"), kms("c", "ok")];
        let mut report = Vec::new();
        let secret = unwrap_group(&group, &[&remote], &[], &mut report)
            .unwrap()
            .expect("b opens");
        assert_eq!(secret.secret_bytes(), b"b");
        assert_eq!(report, ["kms a: AccessDenied"]);
        assert_eq!(remote.most.load(std::sync::atomic::Ordering::SeqCst), 3);
        assert_eq!(remote.asked.lock().unwrap().len(), 3);
    }

    #[test]
    fn local_keys_stay_one_at_a_time() {
        struct Local(std::sync::Mutex<Vec<String>>);
        impl KeySource for Local {
            fn key_type(&self) -> &str {
                "age"
            }
            fn wrap(&self, _: &mut KeyEntry, _: &[u8]) -> Result<(), KeyError> {
                Ok(())
            }
            fn unwrap(&self, entry: &KeyEntry) -> Option<Result<SecretBytes, KeyError>> {
                self.0.lock().unwrap().push(entry.describe());
                let ok = entry.field("enc") == Some("ok");
                Some(if ok {
                    Ok(SecretBytes::new(vec![1]))
                } else {
                    Err(KeyError::new("no"))
                })
            }
        }
        let local = Local(Default::default());
        let age = |r: &str, enc: &str| {
            let mut e = KeyEntry::new("age");
            e.set_field("recipient", r);
            e.set_field("enc", enc);
            e
        };
        let group = [age("x", "bad"), age("y", "ok"), age("z", "ok")];
        let mut report = Vec::new();
        assert!(unwrap_group(&group, &[&local], &[], &mut report)
            .unwrap()
            .is_some());
        // The third key is never asked once the second opened.
        assert_eq!(*local.0.lock().unwrap(), ["age x", "age y"]);
    }
}
