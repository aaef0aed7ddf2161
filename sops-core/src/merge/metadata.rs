//! The metadata half of the merge: who can open the file (key groups, Shamir threshold), which
//! values are encrypted (the partial-encryption rule, `mac_only_encrypted`) and which side's
//! data key the merged file uses.

use super::tree::same_node;
use super::{Conflict, ConflictKind, Step};
use crate::keys::KeyEntry;
use crate::metadata::{Metadata, PartialRule};

/// Which side's data key encrypts the merged file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataKeySide {
    /// Ours: unless only their side rotated it.
    Ours,
    /// Theirs: they rotated the data key and we did not, so the old key must not come back.
    Theirs,
}

/// Which sides have a data key other than the base's (`sops rotate` on that branch).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rotation {
    /// Our data key differs from the base's.
    pub ours: bool,
    /// Their data key differs from the base's.
    pub theirs: bool,
}

/// The merged metadata and how to finish it.
pub struct MergedMetadata {
    /// Key groups, threshold and partial-encryption settings as merged; `mac` and
    /// `lastmodified` are ours' and must be written anew. An entry whose `enc` field is missing
    /// holds no wrapped copy of the chosen data key yet (a recipient the other side added);
    /// with several key groups either every entry has one or none has.
    pub metadata: Metadata,
    /// The side whose data key (and whose values' IVs) the merged file uses.
    pub data_key: DataKeySide,
    /// Settings both sides changed differently (our side's is kept), under `["sops"]`.
    pub conflicts: Vec<Conflict>,
}

/// Merges the metadata of `ours` and `theirs` against `base` (`None` when the file was added
/// on both sides). `rotation` says which sides changed the data key.
pub fn merge_metadata(
    base: Option<&Metadata>,
    ours: &Metadata,
    theirs: &Metadata,
    rotation: Rotation,
) -> MergedMetadata {
    let mut conflicts = Vec::new();
    let mut conflict = |field: &str| {
        conflicts.push(Conflict {
            document: 0,
            path: vec![Step::Key("sops".into()), Step::Key(field.into())],
            kind: ConflictKind::Metadata,
        })
    };
    let data_key = if base.is_some() && rotation.theirs && !rotation.ours {
        DataKeySide::Theirs
    } else {
        DataKeySide::Ours
    };
    let chosen = match data_key {
        DataKeySide::Ours => ours,
        DataKeySide::Theirs => theirs,
    };

    let groups = match merge_groups(
        base.map(|b| &b.key_groups[..]),
        &ours.key_groups,
        &theirs.key_groups,
    ) {
        Some(groups) => groups,
        None => {
            conflict("key_groups");
            ours.key_groups.clone()
        }
    };
    // Without a rotation on either side both share the base's data key: the other side's
    // wrapped keys are as good (a recipient only they added need not be wrapped again).
    let shared = base.is_some() && !rotation.ours && !rotation.theirs;
    let other = match data_key {
        DataKeySide::Ours => theirs,
        DataKeySide::Theirs => ours,
    };
    let key_groups = with_wrapped_keys(
        groups,
        &chosen.key_groups,
        shared.then_some(&other.key_groups[..]),
    );

    let threshold = three_way(
        base.map(|b| &b.shamir_threshold),
        &ours.shamir_threshold,
        &theirs.shamir_threshold,
        |a, b| a == b,
    )
    .unwrap_or_else(|| {
        conflict("shamir_threshold");
        &ours.shamir_threshold
    });

    type Rule<'a> = (&'a Option<PartialRule>, bool);
    fn rule(m: &Metadata) -> Rule<'_> {
        (&m.partial, m.mac_only_encrypted)
    }
    let base_rule = base.map(rule);
    let (partial, mac_only) =
        three_way::<Rule>(base_rule.as_ref(), &rule(ours), &rule(theirs), |a, b| {
            a == b
        })
        .copied()
        .unwrap_or_else(|| {
            let field = ours
                .partial
                .as_ref()
                .map_or("unencrypted_suffix", PartialRule::field_name);
            conflict(field);
            rule(ours)
        });

    let metadata = Metadata {
        key_groups,
        shamir_threshold: *threshold,
        partial: partial.clone(),
        mac_only_encrypted: mac_only,
        ..ours.clone()
    };
    MergedMetadata {
        metadata,
        data_key,
        conflicts,
    }
}

/// The three-way rule for a whole value: `None` when both sides changed it differently.
fn three_way<'a, T>(
    base: Option<&'a T>,
    ours: &'a T,
    theirs: &'a T,
    same: impl Fn(&T, &T) -> bool,
) -> Option<&'a T> {
    if same(ours, theirs) || base.is_some_and(|b| same(theirs, b)) {
        Some(ours)
    } else if base.is_some_and(|b| same(ours, b)) {
        Some(theirs)
    } else {
        None
    }
}

/// An entry without what wrapping writes (`enc`, `created_at`): the recipient it names.
fn same_recipient(a: &KeyEntry, b: &KeyEntry) -> bool {
    let named = |e: &KeyEntry| {
        e.fields
            .iter()
            .filter(|(k, _)| k != "enc" && k != "created_at")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<Vec<_>>()
    };
    let (x, y) = (named(a), named(b));
    a.key_type == b.key_type
        && x.len() == y.len()
        && x.iter()
            .zip(&y)
            .all(|((k1, v1), (k2, v2))| k1 == k2 && same_node(v1, v2))
}

fn same_group(a: &[KeyEntry], b: &[KeyEntry]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_recipient(x, y))
}

fn same_groups(a: &[Vec<KeyEntry>], b: &[Vec<KeyEntry>]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_group(x, y))
}

/// Key groups by recipients: one side's change wins; when both changed and the number of
/// groups is the same on all sides, each group is merged as a set (ours, plus what they added,
/// less what they removed). `None` when the group structures differ.
fn merge_groups(
    base: Option<&[Vec<KeyEntry>]>,
    ours: &[Vec<KeyEntry>],
    theirs: &[Vec<KeyEntry>],
) -> Option<Vec<Vec<KeyEntry>>> {
    let pick = match base {
        Some(b) => three_way(Some(&b), &ours, &theirs, |x, y| same_groups(x, y)).copied(),
        None => three_way(None, &ours, &theirs, |x, y| same_groups(x, y)).copied(),
    };
    if let Some(pick) = pick {
        return Some(pick.to_vec());
    }
    let empty: Vec<Vec<KeyEntry>> = vec![Vec::new(); ours.len()];
    let base = base.unwrap_or(&empty);
    if base.len() != ours.len() || ours.len() != theirs.len() {
        return None;
    }
    let contains = |g: &[KeyEntry], e: &KeyEntry| g.iter().any(|x| same_recipient(x, e));
    let merged = ours
        .iter()
        .zip(theirs)
        .zip(base)
        .map(|((o, t), b)| {
            let kept = o.iter().filter(|e| contains(t, e) || !contains(b, e));
            let added = t.iter().filter(|e| !contains(b, e) && !contains(o, e));
            kept.chain(added).cloned().collect()
        })
        .collect();
    Some(merged)
}

/// Gives each merged entry the wrapped key of the same recipient in `chosen` (the key groups
/// of the side whose data key is used) or in `shared` (the other side's, when it has the same
/// data key), and removes `enc` from the others. With several groups (Shamir shares, split
/// anew by each change) the wrapped keys are reused only when the groups are exactly
/// `chosen`'s.
fn with_wrapped_keys(
    groups: Vec<Vec<KeyEntry>>,
    chosen: &[Vec<KeyEntry>],
    shared: Option<&[Vec<KeyEntry>]>,
) -> Vec<Vec<KeyEntry>> {
    if same_groups(&groups, chosen) {
        return chosen.to_vec();
    }
    let shared = shared.filter(|s| s.len() <= 1).unwrap_or_default();
    let unwrapped = |mut e: KeyEntry| {
        e.fields.retain(|(k, _)| k != "enc");
        e
    };
    if groups.len() > 1 || chosen.len() > 1 {
        return groups
            .into_iter()
            .map(|g| g.into_iter().map(unwrapped).collect())
            .collect();
    }
    groups
        .into_iter()
        .map(|g| {
            g.into_iter()
                .map(|e| {
                    chosen
                        .iter()
                        .flatten()
                        .chain(shared.iter().flatten())
                        .find(|c| same_recipient(c, &e))
                        .cloned()
                        .unwrap_or_else(|| unwrapped(e))
                })
                .collect()
        })
        .collect()
}
