//! Unit tests of the three-way merge, and a property test over random trees.

use super::tree::{same_mapping, same_node};
use super::*;
use crate::keys::KeyEntry;
use crate::metadata::{Metadata, PartialRule};
use crate::secret::SecretText;
use crate::tree::{MapItem, Mapping, Node, Scalar, SeqItem, Sequence, Tree};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn s(text: &str) -> Node {
    Node::string(text)
}

fn map(pairs: &[(&str, Node)]) -> Mapping {
    let mut m = Mapping::default();
    for (k, v) in pairs {
        m.push(*k, v.clone());
    }
    m
}

fn tree(m: Mapping) -> Tree {
    Tree { branches: vec![m] }
}

fn merge(b: &Mapping, o: &Mapping, t: &Mapping) -> Merged<Tree> {
    merge_trees(&tree(b.clone()), &tree(o.clone()), &tree(t.clone()))
}

fn paths(m: &Merged<Tree>) -> Vec<String> {
    m.conflicts.iter().map(ToString::to_string).collect()
}

#[test]
fn changes_to_different_keys_combine() {
    let base = map(&[("a", s("1")), ("b", s("2")), ("c", s("3"))]);
    let ours = map(&[("a", s("ours")), ("b", s("2")), ("c", s("3"))]);
    let theirs = map(&[
        ("a", s("1")),
        ("b", s("2")),
        ("c", s("theirs")),
        ("d", s("new")),
    ]);
    let merged = merge(&base, &ours, &theirs);
    assert!(merged.is_clean());
    let want = map(&[
        ("a", s("ours")),
        ("b", s("2")),
        ("c", s("theirs")),
        ("d", s("new")),
    ]);
    assert!(same_mapping(&merged.value.branches[0], &want));
}

#[test]
fn conflicts_name_the_key_path_and_keep_ours() {
    let inner = |v: &str| Node::Mapping(map(&[("user", s("u")), ("password", s(v))]));
    let base = map(&[("app", inner("old"))]);
    let ours = map(&[("app", inner("mine"))]);
    let theirs = map(&[("app", inner("yours"))]);
    let merged = merge(&base, &ours, &theirs);
    assert_eq!(
        paths(&merged),
        [r#"["app"]["password"]: changed on both sides"#]
    );
    assert!(same_mapping(&merged.value.branches[0], &ours));
}

#[test]
fn change_against_deletion_is_a_conflict_both_ways() {
    let base = map(&[("a", s("1")), ("b", s("2"))]);
    let changed = map(&[("a", s("9")), ("b", s("2"))]);
    let deleted = map(&[("b", s("2"))]);
    let m = merge(&base, &changed, &deleted);
    assert_eq!(m.conflicts[0].kind, ConflictKind::ChangedDeleted);
    assert!(same_mapping(&m.value.branches[0], &changed));
    let m = merge(&base, &deleted, &changed);
    assert_eq!(m.conflicts[0].kind, ConflictKind::DeletedChanged);
    assert_eq!(m.conflicts[0].index_path(), r#"["a"]"#);
    assert!(same_mapping(&m.value.branches[0], &deleted));
    // A deletion on one side of an unchanged key is clean.
    let m = merge(&base, &base, &deleted);
    assert!(m.is_clean() && same_mapping(&m.value.branches[0], &deleted));
}

#[test]
fn lists_merge_element_wise_or_conflict() {
    let list = |items: &[&str]| {
        Node::Sequence(Sequence {
            items: items.iter().map(|i| SeqItem::Value(s(i))).collect(),
        })
    };
    let base = map(&[("l", list(&["a", "b"])), ("x", s("1"))]);
    let ours = map(&[("l", list(&["A", "b"])), ("x", s("1"))]);
    let theirs = map(&[("l", list(&["a", "B"])), ("x", s("2"))]);
    let m = merge(&base, &ours, &theirs);
    assert!(m.is_clean());
    assert!(same_node(
        m.value.branches[0].get("l").unwrap(),
        &list(&["A", "B"])
    ));
    // One side appended, the other changed an item: both.
    let theirs = map(&[("l", list(&["a", "b", "c"])), ("x", s("1"))]);
    let m = merge(&base, &ours, &theirs);
    assert!(m.is_clean());
    assert!(same_node(
        m.value.branches[0].get("l").unwrap(),
        &list(&["A", "b", "c"])
    ));
    // Both appended, differently; or one removed an item: conflicts.
    let ours = map(&[("l", list(&["a", "b", "d"])), ("x", s("1"))]);
    let m = merge(&base, &ours, &theirs);
    assert_eq!(paths(&m), [r#"["l"]: list changed on both sides"#]);
    let ours = map(&[("l", list(&["A"])), ("x", s("1"))]);
    let m = merge(&base, &ours, &theirs);
    assert_eq!(paths(&m), [r#"["l"]: list changed on both sides"#]);
    let ours = map(&[("l", list(&["A", "b"])), ("x", s("1"))]);
    let theirs = map(&[("l", list(&["Z", "b"])), ("x", s("1"))]);
    assert_eq!(
        paths(&merge(&base, &ours, &theirs)),
        [r#"["l"][0]: changed on both sides"#]
    );
}

#[test]
fn comments_follow_the_three_way_rule() {
    let c = |t: &str| MapItem::Comment(SecretText::from(t));
    let p = |k: &str, v: &str| MapItem::Pair(k.into(), s(v));
    let m = |items: Vec<MapItem>| Mapping { items };
    let base = m(vec![c(" db"), p("a", "1"), p("b", "2")]);
    let ours = m(vec![c(" database"), p("a", "1"), p("b", "2")]);
    let theirs = m(vec![c(" db"), p("a", "1"), c(" new"), p("b", "3")]);
    let merged = merge(&base, &ours, &theirs);
    assert!(merged.is_clean());
    let want = m(vec![c(" database"), p("a", "1"), c(" new"), p("b", "3")]);
    assert!(same_mapping(&merged.value.branches[0], &want));
    let theirs = m(vec![c(" the db"), p("a", "1"), p("b", "2")]);
    let merged = merge(&base, &ours, &theirs);
    assert_eq!(paths(&merged), [r#"["a"]: comments changed on both sides"#]);
}

#[test]
fn added_keys_land_after_the_key_they_follow() {
    let base = map(&[("a", s("1")), ("z", s("9"))]);
    let ours = map(&[("a", s("1")), ("o", s("o")), ("z", s("9"))]);
    let theirs = map(&[("t0", s("t")), ("a", s("1")), ("t1", s("t")), ("z", s("9"))]);
    let merged = merge(&base, &ours, &theirs);
    let keys: Vec<&str> = merged.value.branches[0].pairs().map(|p| p.0).collect();
    assert_eq!(keys, ["t0", "a", "t1", "o", "z"]);
}

#[test]
fn both_added_mappings_merge_inside_and_nan_is_unchanged() {
    let nan = Node::Scalar(Scalar::Float(f64::NAN));
    let base = map(&[("n", nan.clone())]);
    let ours = map(&[
        ("n", nan.clone()),
        ("m", Node::Mapping(map(&[("x", s("1"))]))),
    ]);
    let theirs = map(&[
        ("n", nan.clone()),
        ("m", Node::Mapping(map(&[("y", s("2"))]))),
    ]);
    let merged = merge(&base, &ours, &theirs);
    assert!(merged.is_clean());
    let m = merged.value.branches[0]
        .get("m")
        .and_then(Node::as_mapping)
        .unwrap();
    assert_eq!(m.pairs().count(), 2);
}

#[test]
fn index_path_escapes_quotes() {
    let path = [
        Step::Key("a\"b".into()),
        Step::Index(3),
        Step::Key("c\\".into()),
    ];
    assert_eq!(index_path(&path), r#"["a\"b"][3]["c\\"]"#);
}

fn age(recipient: &str, enc: &str) -> KeyEntry {
    let mut e = KeyEntry::new("age");
    e.set_field("recipient", recipient);
    e.set_field("enc", enc);
    e
}

fn meta(groups: Vec<Vec<KeyEntry>>) -> Metadata {
    Metadata {
        key_groups: groups,
        ..Metadata::default()
    }
}

#[test]
fn metadata_takes_the_side_that_changed() {
    let base = meta(vec![vec![age("alice", "b-a")]]);
    // They added bob (updatekeys): the same data key, so every wrapped key is reused.
    let theirs = meta(vec![vec![age("alice", "t-a"), age("bob", "t-b")]]);
    let ours = meta(vec![vec![age("alice", "o-a")]]);
    let m = merge_metadata(Some(&base), &ours, &theirs, Rotation::default());
    assert!(m.conflicts.is_empty());
    assert_eq!(m.data_key, DataKeySide::Ours);
    let group = &m.metadata.key_groups[0];
    assert_eq!(group.len(), 2);
    assert_eq!(group[0].field("enc"), Some("o-a"));
    assert_eq!(
        group[1].field("enc"),
        Some("t-b"),
        "the same data key: their wrap of it"
    );

    // They rotated: their data key and their wrapped keys.
    let rotated = Rotation {
        ours: false,
        theirs: true,
    };
    let m = merge_metadata(Some(&base), &ours, &theirs, rotated);
    assert_eq!(m.data_key, DataKeySide::Theirs);
    assert_eq!(m.metadata.key_groups[0][1].field("enc"), Some("t-b"));
    // We rotated, they added bob: our data key, which bob has no wrap of yet.
    let rotated = Rotation {
        ours: true,
        theirs: false,
    };
    let m = merge_metadata(Some(&base), &ours, &theirs, rotated);
    assert_eq!(m.data_key, DataKeySide::Ours);
    assert_eq!(m.metadata.key_groups[0][0].field("enc"), Some("o-a"));
    assert_eq!(
        m.metadata.key_groups[0][1].field("enc"),
        None,
        "bob needs our key wrapped"
    );

    // Both changed the recipients: per-group set merge.
    let ours = meta(vec![vec![age("alice", "o-a"), age("carol", "o-c")]]);
    let theirs = meta(vec![vec![age("bob", "t-b")]]);
    let m = merge_metadata(Some(&base), &ours, &theirs, Rotation::default());
    let names: Vec<_> = m.metadata.key_groups[0]
        .iter()
        .filter_map(KeyEntry::identity)
        .collect();
    assert_eq!(names, ["carol", "bob"]);

    // Partial-encryption rules changed on both sides: a conflict, ours kept.
    let mut ours = base.clone();
    ours.partial = Some(PartialRule::EncryptedRegex("^a".into()));
    let mut theirs = base.clone();
    theirs.partial = Some(PartialRule::EncryptedRegex("^b".into()));
    let m = merge_metadata(Some(&base), &ours, &theirs, Rotation::default());
    assert_eq!(
        m.conflicts[0].index_path(),
        r#"["sops"]["encrypted_regex"]"#
    );
    assert_eq!(m.metadata.partial, ours.partial);
    theirs.partial = ours.partial.clone();
    theirs.mac_only_encrypted = false;
    let m = merge_metadata(Some(&base), &base, &theirs, Rotation::default());
    assert!(m.conflicts.is_empty());
    assert_eq!(m.metadata.partial, ours.partial);
}

/// A random tree of at most `depth` levels: strings, ints, floats, lists, comments.
fn random_mapping(rng: &mut StdRng, depth: u32) -> Mapping {
    let mut m = Mapping::default();
    for i in 0..rng.gen_range(0..5) {
        if rng.gen_bool(0.2) {
            m.items.push(MapItem::Comment(SecretText::new(format!(
                " c{}",
                rng.gen::<u8>()
            ))));
        }
        m.push(format!("k{i}"), random_node(rng, depth));
    }
    m
}

fn random_node(rng: &mut StdRng, depth: u32) -> Node {
    match rng.gen_range(0..if depth == 0 { 3 } else { 5 }) {
        0 => Node::string(format!("v{}", rng.gen_range(0..4))),
        1 => Node::Scalar(Scalar::Int(rng.gen_range(0..3))),
        2 => Node::Scalar(Scalar::Float(if rng.gen_bool(0.3) {
            f64::NAN
        } else {
            0.5
        })),
        3 => Node::Sequence(Sequence {
            items: (0..rng.gen_range(0..3))
                .map(|_| SeqItem::Value(random_node(rng, depth - 1)))
                .collect(),
        }),
        _ => Node::Mapping(random_mapping(rng, depth - 1)),
    }
}

/// A random edit of `m`: values changed, keys removed or added, comments changed, recursively.
fn mutate(rng: &mut StdRng, m: &Mapping, depth: u32) -> Mapping {
    let mut out = Mapping::default();
    for item in &m.items {
        match item {
            MapItem::Pair(k, v) => match rng.gen_range(0..10) {
                0 => {}
                1 => out.push(k.clone(), random_node(rng, depth)),
                2 => match v {
                    Node::Mapping(inner) => {
                        out.push(k.clone(), Node::Mapping(mutate(rng, inner, depth)))
                    }
                    _ => out.push(k.clone(), v.clone()),
                },
                _ => out.push(k.clone(), v.clone()),
            },
            MapItem::Comment(c) if rng.gen_bool(0.8) => out.items.push(MapItem::Comment(c.clone())),
            MapItem::Comment(_) => {}
        }
    }
    if rng.gen_bool(0.3) {
        out.push(format!("new{}", rng.gen::<u8>()), random_node(rng, depth));
    }
    out
}

#[test]
fn property_one_sided_and_identical_changes_merge_cleanly() {
    let mut rng = StdRng::seed_from_u64(20);
    for _ in 0..2000 {
        let base = random_mapping(&mut rng, 3);
        let x = mutate(&mut rng, &base, 2);
        let y = mutate(&mut rng, &base, 2);
        for (o, t, want) in [(&x, &base, &x), (&base, &y, &y), (&x, &x, &x)] {
            let merged = merge(&base, o, t);
            assert!(merged.is_clean(), "{:?}", paths(&merged));
            assert!(same_mapping(&merged.value.branches[0], want));
        }
        // Whatever the sides did, the result is ours wherever it conflicts and never panics;
        // and merging the other way round finds the same conflict paths.
        let xy = merge(&base, &x, &y);
        let yx = merge(&base, &y, &x);
        let mut a: Vec<String> = xy.conflicts.iter().map(Conflict::index_path).collect();
        let mut b: Vec<String> = yx.conflicts.iter().map(Conflict::index_path).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
        if xy.is_clean() {
            assert!(yx.is_clean());
        }
    }
}

/// The items of key `key` in `m`: the comments before it and the pair.
fn entry(m: &Mapping, key: &str) -> Vec<MapItem> {
    let mut run = Vec::new();
    for item in &m.items {
        match item {
            MapItem::Comment(_) => run.push(item.clone()),
            MapItem::Pair(k, _) if k == key => {
                run.push(item.clone());
                return run;
            }
            MapItem::Pair(..) => run.clear(),
        }
    }
    Vec::new()
}

/// Changes or deletes (with their comments) only the top-level keys `mine` accepts.
fn mutate_only(rng: &mut StdRng, m: &Mapping, mine: impl Fn(&str) -> bool) -> Mapping {
    let mut out = Mapping::default();
    let mut run = Vec::new();
    for item in &m.items {
        match item {
            MapItem::Comment(_) => run.push(item.clone()),
            MapItem::Pair(k, v) => {
                let pair = if !mine(k) {
                    Some(v.clone())
                } else {
                    match rng.gen_range(0..4) {
                        0 => None,
                        1 => Some(random_node(rng, 2)),
                        2 => match v {
                            Node::Mapping(inner) => Some(Node::Mapping(mutate(rng, inner, 1))),
                            _ => Some(random_node(rng, 1)),
                        },
                        _ => Some(v.clone()),
                    }
                };
                let run = std::mem::take(&mut run);
                if let Some(v) = pair {
                    out.items.extend(run);
                    out.push(k.clone(), v);
                }
            }
        }
    }
    out.items.extend(run);
    out
}

#[test]
fn property_changes_to_disjoint_keys_combine() {
    let mut rng = StdRng::seed_from_u64(52);
    let even = |k: &str| {
        k.trim_start_matches('k')
            .parse::<u32>()
            .is_ok_and(|n| n % 2 == 0)
    };
    for _ in 0..2000 {
        let base = random_mapping(&mut rng, 3);
        let x = mutate_only(&mut rng, &base, even);
        let y = mutate_only(&mut rng, &base, |k| !even(k));
        let mut want = Mapping::default();
        for (k, _) in base.pairs() {
            let side = if even(k) { &x } else { &y };
            want.items.extend(entry(side, k));
        }
        let trailing = base
            .items
            .iter()
            .rev()
            .take_while(|i| matches!(i, MapItem::Comment(_)));
        let mut trailing: Vec<MapItem> = trailing.cloned().collect();
        trailing.reverse();
        want.items.extend(trailing);
        let merged = merge(&base, &x, &y);
        assert!(merged.is_clean(), "{:?}", paths(&merged));
        let got = &merged.value.branches[0];
        assert!(
            same_mapping(got, &want),
            "{:?} / {:?}",
            Node::Mapping(got.clone()),
            Node::Mapping(want)
        );
    }
}
