//! Where sops puts each comment: go-yaml v3's comment model (head, line and foot comments
//! on every node, as its scanner, parser and composer assign them) and sops's conversion of
//! those nodes into comment items, reproduced as one mechanism.
//!
//! The store's reader builds the tree (values, types, aliases, errors); this module reads the
//! same text a second time the way go-yaml does, only for the layout: for every collection,
//! which comment lines come before, between and after its entries. [`relayout`] then puts the
//! comments of the tree where that layout has them. Where the reduced reader gives up (a
//! directive, an error, anything it does not follow) or its structure disagrees with the
//! tree, the tree keeps the reader's own placement.

mod comments;
mod compose;
mod flow;
mod parser;
mod scalars;
mod scanner;
#[cfg(test)]
mod tests;
mod tokens;

use crate::tree::{MapItem, Mapping, Node, SeqItem};
use compose::{Part, Skel};

/// Puts the comments of `branches` (read from `src`) where sops puts them. Returns whether
/// it did (false: the tree is left as it was).
pub(crate) fn relayout(src: &str, branches: &mut [Mapping]) -> bool {
    let Some(docs) = compose::layout(src) else {
        return false;
    };
    if docs.len() != branches.len()
        || !docs
            .iter()
            .zip(branches.iter())
            .all(|(parts, m)| map_fits(parts, m))
    {
        return false;
    }
    for (parts, m) in docs.into_iter().zip(branches.iter_mut()) {
        apply_map(parts, m);
    }
    true
}

fn entries(parts: &[Part]) -> impl Iterator<Item = &Skel> {
    parts.iter().filter_map(|p| match p {
        Part::Entry(s) => Some(s),
        Part::Comment(_) => None,
    })
}

fn map_fits(parts: &[Part], m: &Mapping) -> bool {
    let mut values = m.pairs().map(|(_, v)| v);
    for skel in entries(parts) {
        match values.next() {
            Some(v) if fits(skel, v) => {}
            _ => return false,
        }
    }
    values.next().is_none()
}

fn fits(skel: &Skel, node: &Node) -> bool {
    match (skel, node) {
        (Skel::Leaf, Node::Scalar(_)) => true,
        (Skel::Map(parts), Node::Mapping(m)) => map_fits(parts, m),
        (Skel::Seq(parts), Node::Sequence(s)) => {
            let mut values = s.items.iter().filter_map(|i| match i {
                SeqItem::Value(v) => Some(v),
                SeqItem::Comment(_) => None,
            });
            for skel in entries(parts) {
                match values.next() {
                    Some(v) if fits(skel, v) => {}
                    _ => return false,
                }
            }
            values.next().is_none()
        }
        _ => false,
    }
}

fn apply_map(parts: Vec<Part>, m: &mut Mapping) {
    let mut pairs = std::mem::take(&mut m.items)
        .into_iter()
        .filter_map(|i| match i {
            MapItem::Pair(k, v) => Some((k, v)),
            MapItem::Comment(_) => None,
        });
    let mut items = Vec::with_capacity(parts.len());
    for part in parts {
        match part {
            Part::Comment(text) => items.push(MapItem::Comment(text)),
            Part::Entry(skel) => {
                if let Some((k, mut v)) = pairs.next() {
                    apply(skel, &mut v);
                    items.push(MapItem::Pair(k, v));
                }
            }
        }
    }
    m.items = items;
}

fn apply(skel: Skel, node: &mut Node) {
    match (skel, node) {
        (Skel::Map(parts), Node::Mapping(m)) => apply_map(parts, m),
        (Skel::Seq(parts), Node::Sequence(s)) => {
            let mut values = std::mem::take(&mut s.items)
                .into_iter()
                .filter_map(|i| match i {
                    SeqItem::Value(v) => Some(v),
                    SeqItem::Comment(_) => None,
                });
            let mut items = Vec::with_capacity(parts.len());
            for part in parts {
                match part {
                    Part::Comment(text) => items.push(SeqItem::Comment(text)),
                    Part::Entry(skel) => {
                        if let Some(mut v) = values.next() {
                            apply(skel, &mut v);
                            items.push(SeqItem::Value(v));
                        }
                    }
                }
            }
            s.items = items;
        }
        _ => {}
    }
}
