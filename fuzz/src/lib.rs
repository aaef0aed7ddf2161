//! Checks shared by the fuzz targets: a store must never panic, and what it loads must survive
//! being written and read again.
//!
//! The round-trip property checked is the one sops itself has: writing may normalise, but it
//! settles. A float `1.0` is written `1` and reads back as an int, `-0.0` is written `-0`, which
//! reads back as the int 0 and is then written `0`; comments move to where go-yaml puts them.
//! So, for an input `x` that loads:
//!
//! * every output of the store loads again: `e1 = emit(load(x))`, `e2 = emit(load(e1))`, …;
//! * within [`ROUNDS`] writes the output stops changing (`e[k+1] == e[k]`), unless the input
//!   has comments (go-yaml, and so sops, can move a comment a little on every round);
//! * there, reading gives back the same tree (with NaN equal to itself).
#![forbid(unsafe_code)]

use sops_core::store::Store;
use sops_core::tree::{MapItem, Mapping, Node, Scalar, SeqItem, Tree};
use sops_core::Metadata;

/// `text` shortened for a panic message.
pub fn show(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    if text.len() > 2000 {
        let mut end = 2000;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}… ({} bytes)", &text[..end], text.len())
    } else {
        text.into_owned()
    }
}

/// How many writes the output may take to settle.
pub const ROUNDS: usize = 3;

/// Checks that `first` (a store's output) loads, and that writing and loading again settles
/// within [`ROUNDS`] rounds to output that loads back to the same tree. `what` names the pair of
/// functions in messages.
#[allow(clippy::too_many_arguments)]
fn settles<T>(
    what: &str,
    output_may_not_load: bool,
    input: &[u8],
    first: Vec<u8>,
    load: impl Fn(&[u8]) -> Result<T, sops_core::Error>,
    emit: impl Fn(&T) -> Result<Vec<u8>, sops_core::Error>,
    same: impl Fn(&T, &T) -> bool,
) {
    let mut previous = first;
    for _ in 0..ROUNDS {
        let reloaded = match load(&previous) {
            Ok(t) => t,
            Err(_) if output_may_not_load => return,
            Err(e) => panic!(
                "{what}: the store's own output does not load: {e}\n--- input:\n{}\n--- output:\n{}",
                show(input),
                show(&previous)
            ),
        };
        let next = emit(&reloaded)
            .unwrap_or_else(|e| panic!("{what}: the reloaded tree does not emit: {e}"));
        if next == previous {
            let again = load(&next)
                .unwrap_or_else(|e| panic!("{what}: the settled output does not load: {e}"));
            assert!(
                same(&reloaded, &again),
                "{what}: load(emit(t)) differs from t\n--- input:\n{}\n--- output:\n{}",
                show(input),
                show(&next)
            );
            return;
        }
        previous = next;
    }
    if output_may_not_load || input.contains(&b'#') || input.contains(&b';') {
        // With comments, sops itself need not settle: go-yaml moves a comment inside deeply
        // nested sequences a little on every round (sops 3.11, checked). Every output loaded.
        return;
    }
    let last = emit(&load(&previous).unwrap()).unwrap();
    panic!(
        "{what}: the output does not settle in {ROUNDS} rounds\n--- input:\n{}\n--- round {ROUNDS}:\n{}\n--- round {}:\n{}",
        show(input),
        show(&previous),
        ROUNDS + 1,
        show(&last)
    );
}

/// Loads `data` as a plaintext file and checks the round trip. `emit_may_fail` allows the first
/// write of a loaded tree to fail with an error (formats that cannot write every value);
/// `output_may_not_load` allows the store's output to be unreadable and not to settle (the INI
/// store: sops's INI library writes `a = """"= "` for the value `""""= "` and cannot read it
/// back, and drops one of the backslashes ending a value on every round; sops 3.11 checked).
pub fn plain_round_trip(
    store: &dyn Store,
    data: &[u8],
    emit_may_fail: bool,
    output_may_not_load: bool,
) {
    let Ok(tree) = store.load_plain(data) else {
        return;
    };
    emit_values(store, &tree);
    let first = match store.emit_plain(&tree) {
        Ok(bytes) => bytes,
        Err(e) if emit_may_fail => {
            assert!(!e.message().is_empty(), "an error without a message");
            return;
        }
        Err(e) => panic!("a loaded tree does not emit: {e}"),
    };
    settles(
        "load_plain/emit_plain",
        output_may_not_load,
        data,
        first,
        |bytes| store.load_plain(bytes),
        |tree| store.emit_plain(tree),
        same_tree,
    );
}

/// Loads `data` as an encrypted file; if its metadata parses, writes it back with the
/// metadata and checks the round trip of tree and metadata (`output_may_not_load`: see
/// [`plain_round_trip`]).
pub fn encrypted_round_trip(store: &dyn Store, data: &[u8], output_may_not_load: bool) {
    let Ok((tree, meta_node)) = store.load_encrypted(data) else {
        return;
    };
    let Ok(metadata) = Metadata::from_mapping(&meta_node) else {
        return;
    };
    let _ = metadata.mac_aad();
    if !has_keys(&metadata) {
        // Key groups without any key (`key_groups: [{pgp: []}]`) are written as nothing at
        // all, as sops writes them, and read back as "No keys found in file".
        return;
    }
    let Ok(first) = store.emit_encrypted(&tree, &metadata) else {
        return;
    };
    let load = |bytes: &[u8]| {
        let (tree, node) = store.load_encrypted(bytes)?;
        let metadata = Metadata::from_mapping(&node)?;
        Ok((tree, metadata))
    };
    settles(
        "load_encrypted/emit_encrypted",
        output_may_not_load,
        data,
        first,
        load,
        |(tree, metadata)| store.emit_encrypted(tree, metadata),
        |a, b| same_tree(&a.0, &b.0) && a.1 == b.1,
    );
}

/// True when some key group holds a key entry.
pub fn has_keys(metadata: &Metadata) -> bool {
    metadata.key_groups.iter().any(|g| !g.is_empty())
}

/// `emit_value` of every top-level value of the first branch must not panic.
pub fn emit_values(store: &dyn Store, tree: &Tree) {
    if let Some(branch) = tree.branches.first() {
        for (_, value) in branch.pairs().take(64) {
            let _ = store.emit_value(value);
        }
    }
}

/// Tree equality where NaN equals NaN (floats compared by bits).
pub fn same_tree(a: &Tree, b: &Tree) -> bool {
    a.branches.len() == b.branches.len()
        && a.branches
            .iter()
            .zip(&b.branches)
            .all(|(x, y)| same_mapping(x, y))
}

fn same_mapping(a: &Mapping, b: &Mapping) -> bool {
    a.items.len() == b.items.len()
        && a.items.iter().zip(&b.items).all(|pair| match pair {
            (MapItem::Pair(k1, v1), MapItem::Pair(k2, v2)) => k1 == k2 && same_node(v1, v2),
            (MapItem::Comment(c1), MapItem::Comment(c2)) => c1 == c2,
            _ => false,
        })
}

fn same_node(a: &Node, b: &Node) -> bool {
    match (a, b) {
        (Node::Scalar(Scalar::Float(x)), Node::Scalar(Scalar::Float(y))) => {
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        (Node::Scalar(x), Node::Scalar(y)) => x == y,
        (Node::Mapping(x), Node::Mapping(y)) => same_mapping(x, y),
        (Node::Sequence(x), Node::Sequence(y)) => {
            x.items.len() == y.items.len()
                && x.items.iter().zip(&y.items).all(|pair| match pair {
                    (SeqItem::Value(v1), SeqItem::Value(v2)) => same_node(v1, v2),
                    (SeqItem::Comment(c1), SeqItem::Comment(c2)) => c1 == c2,
                    _ => false,
                })
        }
        _ => false,
    }
}
