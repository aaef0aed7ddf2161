//! The tree half of the merge: documents, mappings (with their comments), sequences, scalars.

use super::{Conflict, ConflictKind, Merged, Step};
use crate::secret::SecretText;
use crate::tree::{MapItem, Mapping, Node, Scalar, SeqItem, Sequence, Tree};
use std::collections::HashMap;

/// Merges `ours` and `theirs`, both descended from `base`, as the [module docs](super) say.
/// `base` may be empty (no documents): then both sides count as added from nothing.
pub fn merge_trees(base: &Tree, ours: &Tree, theirs: &Tree) -> Merged<Tree> {
    let mut walk = Walk::default();
    let count = ours.branches.len();
    let empty = Mapping::default();
    let value = if theirs.branches.len() == count
        && (base.branches.len() == count || base.branches.is_empty())
    {
        let branches = (0..count)
            .map(|i| {
                walk.document = i;
                let b = base.branches.get(i).unwrap_or(&empty);
                merge_mapping(b, &ours.branches[i], &theirs.branches[i], &mut walk)
            })
            .collect();
        Tree { branches }
    } else {
        let same = |x: &Tree, y: &Tree| {
            x.branches.len() == y.branches.len()
                && x.branches
                    .iter()
                    .zip(&y.branches)
                    .all(|(a, b)| same_mapping(a, b))
        };
        if same(ours, theirs) || same(theirs, base) {
            ours.clone()
        } else if same(ours, base) {
            theirs.clone()
        } else {
            walk.conflict(ConflictKind::Documents);
            ours.clone()
        }
    };
    Merged {
        value,
        conflicts: walk.conflicts,
    }
}

/// Where the merge is and what it found so far.
#[derive(Default)]
struct Walk {
    document: usize,
    path: Vec<Step>,
    conflicts: Vec<Conflict>,
}

impl Walk {
    fn conflict(&mut self, kind: ConflictKind) {
        self.conflicts.push(Conflict {
            document: self.document,
            path: self.path.clone(),
            kind,
        });
    }

    fn at<T>(&mut self, step: Step, f: impl FnOnce(&mut Self) -> T) -> T {
        self.path.push(step);
        let out = f(self);
        self.path.pop();
        out
    }
}

/// A mapping seen as keys, each with the comment run before it, and the comments at its end.
struct Entries<'a> {
    pairs: Vec<(&'a str, Vec<&'a SecretText>, &'a Node)>,
    index: HashMap<&'a str, usize>,
    trailing: Vec<&'a SecretText>,
}

impl<'a> Entries<'a> {
    /// `None` when a key appears twice: such a mapping is merged only as a whole.
    fn of(mapping: &'a Mapping) -> Option<Self> {
        let mut pairs = Vec::new();
        let mut index = HashMap::new();
        let mut comments = Vec::new();
        for item in &mapping.items {
            match item {
                MapItem::Comment(c) => comments.push(c),
                MapItem::Pair(k, v) => {
                    if index.insert(k.as_str(), pairs.len()).is_some() {
                        return None;
                    }
                    pairs.push((k.as_str(), std::mem::take(&mut comments), v));
                }
            }
        }
        Some(Entries {
            pairs,
            index,
            trailing: comments,
        })
    }

    fn get(&self, key: &str) -> Option<(&[&'a SecretText], &'a Node)> {
        self.index
            .get(key)
            .map(|&i| (&self.pairs[i].1[..], self.pairs[i].2))
    }
}

fn merge_mapping(base: &Mapping, ours: &Mapping, theirs: &Mapping, walk: &mut Walk) -> Mapping {
    if same_mapping(ours, theirs) || same_mapping(theirs, base) {
        return ours.clone();
    }
    if same_mapping(ours, base) {
        return theirs.clone();
    }
    let (Some(b), Some(o), Some(t)) = (Entries::of(base), Entries::of(ours), Entries::of(theirs))
    else {
        walk.conflict(ConflictKind::BothChanged);
        return ours.clone();
    };

    // Our order, with the keys only they added after the key they follow on their side.
    let mut order: Vec<&str> = o.pairs.iter().map(|p| p.0).collect();
    let mut anchor: Option<&str> = None;
    for (key, _, _) in &t.pairs {
        if b.get(key).is_none() && o.get(key).is_none() {
            let at = anchor
                .and_then(|a| order.iter().position(|k| *k == a))
                .map_or(0, |p| p + 1);
            order.insert(at, key);
        }
        if order.contains(key) {
            anchor = Some(key);
        }
    }

    // Keys we deleted: a change on their side is a conflict (the key stays deleted).
    for (key, _, node) in &t.pairs {
        if let (Some((_, base_node)), None) = (b.get(key), o.get(key)) {
            if !same_node(node, base_node) {
                walk.at(Step::Key((*key).to_owned()), |w| {
                    w.conflict(ConflictKind::DeletedChanged)
                });
            }
        }
    }

    let mut items = Vec::with_capacity(ours.items.len());
    for key in order {
        let (bc, bn) = split(b.get(key));
        let (oc, on) = split(o.get(key));
        let (tc, tn) = split(t.get(key));
        let merged = walk.at(Step::Key(key.to_owned()), |w| {
            let value = merge_value(bn, on, tn, w);
            let comments = value.as_ref().map(|_| merge_comments(bc, oc, tc, w));
            value.zip(comments)
        });
        if let Some((value, comments)) = merged {
            items.extend(comments.into_iter().map(MapItem::Comment));
            items.push(MapItem::Pair(key.to_owned(), value));
        }
    }
    let trailing = merge_comments(&b.trailing, &o.trailing, &t.trailing, walk);
    items.extend(trailing.into_iter().map(MapItem::Comment));
    Mapping { items }
}

/// An entry's comments (none when the key is absent) and its value.
fn split<'a, 'b>(
    entry: Option<(&'b [&'a SecretText], &'a Node)>,
) -> (&'b [&'a SecretText], Option<&'a Node>) {
    match entry {
        Some((comments, node)) => (comments, Some(node)),
        None => (&[], None),
    }
}

/// The three-way rule for a run of comments.
fn merge_comments(
    base: &[&SecretText],
    ours: &[&SecretText],
    theirs: &[&SecretText],
    walk: &mut Walk,
) -> Vec<SecretText> {
    let same = |x: &[&SecretText], y: &[&SecretText]| {
        x.len() == y.len() && x.iter().zip(y).all(|(a, b)| a == b)
    };
    let pick = if same(ours, theirs) || same(theirs, base) {
        ours
    } else if same(ours, base) {
        theirs
    } else {
        walk.conflict(ConflictKind::Comment);
        ours
    };
    pick.iter().map(|c| (*c).clone()).collect()
}

/// The three-way rule for one key's value; `None` is an absent key.
fn merge_value(
    base: Option<&Node>,
    ours: Option<&Node>,
    theirs: Option<&Node>,
    walk: &mut Walk,
) -> Option<Node> {
    let same = |x: Option<&Node>, y: Option<&Node>| match (x, y) {
        (Some(a), Some(b)) => same_node(a, b),
        (None, None) => true,
        _ => false,
    };
    if same(ours, theirs) || same(theirs, base) {
        return ours.cloned();
    }
    if same(ours, base) {
        return theirs.cloned();
    }
    let empty = Mapping::default();
    match (base, ours, theirs) {
        (b, Some(Node::Mapping(o)), Some(Node::Mapping(t))) => {
            let b = b.and_then(Node::as_mapping).unwrap_or(&empty);
            Some(Node::Mapping(merge_mapping(b, o, t, walk)))
        }
        (Some(Node::Sequence(b)), Some(Node::Sequence(o)), Some(Node::Sequence(t))) => {
            Some(Node::Sequence(merge_sequence(b, o, t, walk)))
        }
        (None, Some(o), Some(_)) => {
            walk.conflict(ConflictKind::BothAdded);
            Some(o.clone())
        }
        (Some(_), Some(o), None) => {
            walk.conflict(ConflictKind::ChangedDeleted);
            Some(o.clone())
        }
        (Some(_), None, Some(_)) => {
            walk.conflict(ConflictKind::DeletedChanged);
            None
        }
        (_, o, _) => {
            walk.conflict(ConflictKind::BothChanged);
            o.cloned()
        }
    }
}

/// Sequences both sides changed: the base's items element by element, then the items one
/// side appended (or both appended alike). Any other change of length (items removed, or
/// different items appended on both sides) is a conflict.
fn merge_sequence(
    base: &Sequence,
    ours: &Sequence,
    theirs: &Sequence,
    walk: &mut Walk,
) -> Sequence {
    let n = base.items.len();
    let tails = (ours.items.get(n..), theirs.items.get(n..));
    let tail = match tails {
        (Some(o), Some(t)) if t.is_empty() || same_items(o, t) => o,
        (Some([]), Some(t)) => t,
        _ => {
            walk.conflict(ConflictKind::ListEdits);
            return ours.clone();
        }
    };
    let mut items = Vec::with_capacity(n + tail.len());
    let mut index = 0;
    for ((b, o), t) in base.items.iter().zip(&ours.items).zip(&theirs.items) {
        let item = match (b, o, t) {
            (SeqItem::Value(b), SeqItem::Value(o), SeqItem::Value(t)) => {
                let merged = walk.at(Step::Index(index), |w| {
                    merge_value(Some(b), Some(o), Some(t), w)
                });
                SeqItem::Value(merged.unwrap_or_else(|| o.clone()))
            }
            (SeqItem::Comment(b), SeqItem::Comment(o), SeqItem::Comment(t)) => {
                walk.at(Step::Index(index), |w| {
                    let mut run = merge_comments(&[b], &[o], &[t], w);
                    SeqItem::Comment(run.pop().unwrap_or_default())
                })
            }
            (b, o, t) => {
                if same_seq_item(o, t) || same_seq_item(t, b) {
                    o.clone()
                } else if same_seq_item(o, b) {
                    t.clone()
                } else {
                    walk.conflict(ConflictKind::ListEdits);
                    o.clone()
                }
            }
        };
        if matches!(o, SeqItem::Value(_)) {
            index += 1;
        }
        items.push(item);
    }
    items.extend(tail.iter().cloned());
    Sequence { items }
}

fn same_items(a: &[SeqItem], b: &[SeqItem]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_seq_item(x, y))
}

/// Structural equality in which floats compare by their bits (so that a NaN equals itself and
/// an unchanged NaN is not a change).
pub(super) fn same_node(a: &Node, b: &Node) -> bool {
    match (a, b) {
        (Node::Scalar(Scalar::Float(x)), Node::Scalar(Scalar::Float(y))) => {
            x.to_bits() == y.to_bits()
        }
        (Node::Scalar(x), Node::Scalar(y)) => x == y,
        (Node::Mapping(x), Node::Mapping(y)) => same_mapping(x, y),
        (Node::Sequence(x), Node::Sequence(y)) => {
            x.items.len() == y.items.len()
                && x.items
                    .iter()
                    .zip(&y.items)
                    .all(|(a, b)| same_seq_item(a, b))
        }
        _ => false,
    }
}

fn same_seq_item(a: &SeqItem, b: &SeqItem) -> bool {
    match (a, b) {
        (SeqItem::Value(x), SeqItem::Value(y)) => same_node(x, y),
        (SeqItem::Comment(x), SeqItem::Comment(y)) => x == y,
        _ => false,
    }
}

pub(super) fn same_mapping(a: &Mapping, b: &Mapping) -> bool {
    a.items.len() == b.items.len()
        && a.items.iter().zip(&b.items).all(|(x, y)| match (x, y) {
            (MapItem::Pair(k1, v1), MapItem::Pair(k2, v2)) => k1 == k2 && same_node(v1, v2),
            (MapItem::Comment(c1), MapItem::Comment(c2)) => c1 == c2,
            _ => false,
        })
}
