//! The two layouts of the `sops` mapping: sops 3.11's struct order and sops 3.13's sorted keys,
//! which one a file came in, and the sorting itself.

use crate::tree::{MapItem, Mapping, Node, SeqItem};

/// How the `sops` mapping is laid out when it is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MetadataLayout {
    /// sops 3.11/3.12, and what sops-rs writes for a new file: the order of sops's Go
    /// serialization structs (`kms, …, age, lastmodified, mac, pgp, …, version`; an age entry
    /// `recipient, enc`), empty key lists of a JSON key group as `null`.
    #[default]
    Struct,
    /// sops 3.13: the keys sorted at every level (an age entry `enc, recipient`), empty key
    /// lists of a JSON key group as `[]`. Kept for a file that came in this way, so that teams
    /// mixing sops 3.13 and sops-rs see no reordering in their diffs.
    Sorted,
}

impl MetadataLayout {
    /// The layout of a `sops` mapping as read from a file: [`MetadataLayout::Sorted`] when the
    /// keys of every mapping inside it are in ascending byte order (sops 3.11 never writes an
    /// age or KMS entry, a key group or a mixed top level that way; where its order happens to
    /// be sorted, both layouts write the same bytes), else [`MetadataLayout::Struct`].
    pub fn detect(node: &Mapping) -> MetadataLayout {
        fn sorted(node: &Node) -> bool {
            match node {
                Node::Mapping(map) => {
                    let keys: Vec<&str> = map.pairs().map(|(k, _)| k).collect();
                    keys.windows(2).all(|w| w[0].as_bytes() < w[1].as_bytes())
                        && map.pairs().all(|(_, v)| sorted(v))
                }
                Node::Sequence(seq) => seq.items.iter().all(|item| match item {
                    SeqItem::Value(v) => sorted(v),
                    SeqItem::Comment(_) => true,
                }),
                Node::Scalar(_) => true,
            }
        }
        let node = Node::Mapping(node.clone());
        if sorted(&node) {
            MetadataLayout::Sorted
        } else {
            MetadataLayout::Struct
        }
    }
}

/// Sorts the keys of every mapping under `node` (sops 3.13's `goToSops`).
pub(super) fn sort_everywhere(node: &mut Node) {
    match node {
        Node::Mapping(map) => {
            map.items.sort_by(|a, b| item_key(a).cmp(item_key(b)));
            for item in &mut map.items {
                if let MapItem::Pair(_, value) = item {
                    sort_everywhere(value);
                }
            }
        }
        Node::Sequence(seq) => {
            for item in &mut seq.items {
                if let SeqItem::Value(value) = item {
                    sort_everywhere(value);
                }
            }
        }
        Node::Scalar(_) => {}
    }
}

fn item_key(item: &MapItem) -> &[u8] {
    match item {
        MapItem::Pair(key, _) => key.as_bytes(),
        MapItem::Comment(_) => b"",
    }
}
