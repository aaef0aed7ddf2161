//! Key groups: trying master keys in decryption order, and Shamir secret sharing of the data
//! key across groups, byte-wise in GF(2^8) with the AES polynomial (SOPS-FORMAT.md §4).
//!
//! As in sops (and unlike upstream Vault), share *i* has the fixed x-coordinate *i + 1*, stored
//! as the share's last byte.

use crate::engine::no_key_error;
use crate::error::{Error, ErrorKind};
use crate::keysource::{KeyEntry, KeyError, KeySource};
use crate::metadata::Metadata;
use crate::secret::{DataKey, SecretBytes};
use zeroize::Zeroizing;

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
pub(crate) fn unwrap_groups(
    metadata: &Metadata,
    sources: &[&dyn KeySource],
    order: &[String],
) -> Result<DataKey, Error> {
    let groups = metadata.key_groups.len();
    let threshold = if metadata.shamir_threshold == 0 {
        groups as u64
    } else {
        metadata.shamir_threshold
    };
    let mut report = Vec::new();
    let mut shares = Vec::new();
    for (index, group) in metadata.key_groups.iter().enumerate() {
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
pub(crate) fn split_for_groups(
    data_key: &DataKey,
    metadata: &Metadata,
) -> Result<Vec<SecretBytes>, Error> {
    let groups = metadata.key_groups.len();
    if groups <= 1 {
        return Ok(vec![SecretBytes::new(data_key.secret_bytes().to_vec())]);
    }
    let threshold = if metadata.shamir_threshold == 0 {
        groups as u64
    } else {
        metadata.shamir_threshold
    };
    if threshold < 2 || threshold > groups as u64 || groups > 255 {
        return Err(Error::new(
            ErrorKind::EncryptTree,
            format!("invalid shamir_threshold {threshold} for {groups} key groups: it must be between 2 and the number of groups"),
        ));
    }
    Ok(split(data_key.secret_bytes(), groups, threshold as usize))
}

fn gf_mul(mut a: u8, mut b: u8) -> u8 {
    let mut product = 0u8;
    while b != 0 {
        if b & 1 != 0 {
            product ^= a;
        }
        let carry = a & 0x80;
        a <<= 1;
        if carry != 0 {
            a ^= 0x1b;
        }
        b >>= 1;
    }
    product
}

fn gf_inv(a: u8) -> u8 {
    // a^254 = a^-1 in GF(2^8).
    let mut result = 1u8;
    let mut base = a;
    let mut exp = 254u32;
    while exp > 0 {
        if exp & 1 != 0 {
            result = gf_mul(result, base);
        }
        base = gf_mul(base, base);
        exp >>= 1;
    }
    result
}

/// Splits `secret` into `parts` shares, any `threshold` of which recover it.
pub(crate) fn split(secret: &[u8], parts: usize, threshold: usize) -> Vec<SecretBytes> {
    use rand::RngCore;
    let mut shares: Vec<Vec<u8>> = (1..=parts)
        .map(|_| Vec::with_capacity(secret.len() + 1))
        .collect();
    let mut coefficients = Zeroizing::new(vec![0u8; threshold]);
    for &byte in secret {
        coefficients[0] = byte;
        rand::rngs::OsRng.fill_bytes(&mut coefficients[1..]);
        for (i, share) in shares.iter_mut().enumerate() {
            let x = (i + 1) as u8;
            // Horner evaluation of the polynomial at x.
            let y = coefficients
                .iter()
                .rev()
                .fold(0u8, |acc, &c| gf_mul(acc, x) ^ c);
            share.push(y);
        }
    }
    shares
        .into_iter()
        .enumerate()
        .map(|(i, mut share)| {
            share.push((i + 1) as u8);
            SecretBytes::new(share)
        })
        .collect()
}

/// Recovers a secret from shares by Lagrange interpolation at x = 0.
pub(crate) fn combine(shares: &[SecretBytes]) -> Result<Zeroizing<Vec<u8>>, Error> {
    let bad = |m: &str| {
        Error::new(
            ErrorKind::DataKeyUnavailable,
            format!("cannot combine Shamir shares: {m}"),
        )
    };
    if shares.len() < 2 {
        return Err(bad("at least two shares are required"));
    }
    let len = shares[0].secret_bytes().len();
    if len < 2 || shares.iter().any(|s| s.secret_bytes().len() != len) {
        return Err(bad("the shares have different or too short lengths"));
    }
    let xs: Vec<u8> = shares.iter().map(|s| s.secret_bytes()[len - 1]).collect();
    for (i, x) in xs.iter().enumerate() {
        if xs[..i].contains(x) {
            return Err(bad("two shares have the same x coordinate"));
        }
    }
    let mut secret = Zeroizing::new(vec![0u8; len - 1]);
    for (j, xj) in xs.iter().enumerate() {
        // Lagrange basis polynomial l_j(0) = prod_{m != j} x_m / (x_m - x_j); minus is xor.
        let mut basis = 1u8;
        for (m, xm) in xs.iter().enumerate() {
            if m != j {
                basis = gf_mul(basis, gf_mul(*xm, gf_inv(xm ^ xj)));
            }
        }
        for (out, y) in secret.iter_mut().zip(shares[j].secret_bytes()) {
            *out ^= gf_mul(*y, basis);
        }
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_threshold_subset_recovers() {
        let secret: Vec<u8> = (0..32).collect();
        let shares = split(&secret, 3, 2);
        assert_eq!(shares[2].secret_bytes()[32], 3);
        for pair in [[0, 1], [0, 2], [1, 2]] {
            let subset = vec![shares[pair[0]].clone(), shares[pair[1]].clone()];
            assert_eq!(&combine(&subset).unwrap()[..], &secret[..]);
        }
    }

    #[test]
    fn field_inverse() {
        for a in 1..=255u8 {
            assert_eq!(gf_mul(a, gf_inv(a)), 1);
        }
    }

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
