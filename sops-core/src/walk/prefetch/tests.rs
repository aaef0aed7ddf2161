//! The walk with values processed ahead must do exactly what the walk alone does, for every
//! partial-encryption rule, with and without recorded IVs, and fail the same way.

use super::*;
use crate::cipher::ValueType;
use crate::metadata::PartialRule;
use crate::secret::DataKey;
use crate::store::{yaml::YamlStore, Store};
use crate::tree::{MapItem, Node};
use crate::walk::Walker;

/// A document of about `groups * 9` values of every type, nested in mappings and sequences,
/// with keys that the rules below select or leave out.
fn document(groups: usize) -> String {
    let mut text = String::from("# head\n");
    for g in 0..groups {
        text.push_str(&format!(
            "service{g}:\n    # a comment\n    password: pw-{g}\n    token_secret: t{g}\n    \
             public_unencrypted: open {g}\n    port: {}\n    ratio: {}.5\n    enabled: {}\n    \
             hosts:\n        - a{g}.example\n        # pick one\n        - b{g}.example\n    \
             note: |\n        line one {g}\n        line two\n    empty: \"\"\n    nothing: null\n",
            1000 + g,
            g,
            g % 2 == 0
        ));
    }
    text
}

fn rules() -> Vec<Option<PartialRule>> {
    vec![
        None,
        Some(PartialRule::UnencryptedSuffix("_unencrypted".into())),
        Some(PartialRule::EncryptedSuffix("_secret".into())),
        Some(PartialRule::UnencryptedRegex("^public".into())),
        Some(PartialRule::EncryptedRegex("^(password|hosts)$".into())),
    ]
}

/// Walks `tree` in `direction`, with values processed ahead on three threads when `ahead`;
/// returns the MAC, and whether the walk took every value processed ahead.
fn walk(
    tree: &mut Tree,
    cipher: &ValueCipher,
    policy: &PathPolicy,
    direction: Direction,
    ahead: bool,
    stash: Option<&mut IvStash>,
) -> Result<(String, Option<(usize, bool)>), crate::Error> {
    let walker = Walker::new(cipher, policy, false, direction).with_stash(stash);
    let prefetched = if ahead {
        let p = Prefetched::compute_on(3, 100, tree, policy, cipher, direction, walker.stash());
        let p = p.expect("a large tree is processed ahead");
        // Every listed value was processed, but for the two damaged ones of some tests.
        assert!(
            p.processed() + 2 >= p.len(),
            "{} of {}",
            p.processed(),
            p.len()
        );
        Some(p)
    } else {
        None
    };
    let mut walker = walker.with_prefetched(prefetched);
    for branch in &mut tree.branches {
        walker.walk_mapping(branch)?;
    }
    let taken = walker.prefetched().map(|p| (p.len(), p.all_taken()));
    Ok((walker.mac.finish(), taken))
}

fn setup(rule: &Option<PartialRule>) -> (Tree, ValueCipher, PathPolicy) {
    let tree = YamlStore::new(4)
        .load_plain(document(400).as_bytes())
        .unwrap();
    let key = DataKey::from_slice(&[9u8; 32]).unwrap();
    (
        tree,
        ValueCipher::new(&key),
        PathPolicy::new(rule.as_ref()).unwrap(),
    )
}

/// [`setup`] under the default rule, with the tree encrypted by the walk alone.
fn encrypted_setup() -> (Tree, ValueCipher, PathPolicy) {
    let (mut tree, cipher, policy) = setup(&None);
    walk(&mut tree, &cipher, &policy, Direction::Encrypt, false, None).unwrap();
    (tree, cipher, policy)
}

#[test]
fn the_walk_takes_every_value_processed_ahead_under_every_rule() {
    for rule in rules() {
        let (plain, cipher, policy) = setup(&rule);
        let mut alone = plain.clone();
        let (mac_alone, _) = walk(
            &mut alone,
            &cipher,
            &policy,
            Direction::Encrypt,
            false,
            None,
        )
        .unwrap();
        let mut ahead = plain.clone();
        let (mac_ahead, taken) =
            walk(&mut ahead, &cipher, &policy, Direction::Encrypt, true, None).unwrap();
        let (count, all) = taken.unwrap();
        assert!(count >= 100, "{rule:?}: only {count} values ahead");
        assert!(
            all,
            "{rule:?}: the encrypting walk left values processed ahead"
        );
        assert_eq!(mac_alone, mac_ahead, "{rule:?}");
        assert!(ahead != plain, "{rule:?}: nothing was encrypted");

        // Each encrypted tree decrypts back to the plaintext, with and without help.
        for (name, encrypted) in [("alone", &alone), ("ahead", &ahead)] {
            for with_help in [false, true] {
                let mut tree = encrypted.clone();
                let (mac, taken) = walk(
                    &mut tree,
                    &cipher,
                    &policy,
                    Direction::Decrypt,
                    with_help,
                    None,
                )
                .unwrap();
                assert!(tree == plain, "{rule:?}: {name} tree, help {with_help}");
                assert_eq!(mac, mac_alone, "{rule:?}");
                if with_help {
                    assert_eq!(taken.map(|t| t.1), Some(true), "{rule:?}");
                }
            }
        }
    }
}

#[test]
fn recorded_ivs_survive_processing_ahead() {
    let (plain, cipher, policy) = setup(&None);
    let mut encrypted = plain.clone();
    walk(
        &mut encrypted,
        &cipher,
        &policy,
        Direction::Encrypt,
        true,
        None,
    )
    .unwrap();
    let mut stash = IvStash::default();
    let mut decrypted = encrypted.clone();
    walk(
        &mut decrypted,
        &cipher,
        &policy,
        Direction::Decrypt,
        true,
        Some(&mut stash),
    )
    .unwrap();
    assert!(stash.len() > 1000);
    let mut again = decrypted.clone();
    walk(
        &mut again,
        &cipher,
        &policy,
        Direction::Encrypt,
        true,
        Some(&mut stash),
    )
    .unwrap();
    assert!(
        again == encrypted,
        "unchanged values must keep their ciphertext"
    );
}

#[test]
fn small_trees_and_comment_rules_are_left_to_the_walk() {
    let key = DataKey::from_slice(&[9u8; 32]).unwrap();
    let cipher = ValueCipher::new(&key);
    let small = YamlStore::new(4)
        .load_plain(document(3).as_bytes())
        .unwrap();
    let policy = PathPolicy::new(None).unwrap();
    let ahead = |threads, tree: &Tree, policy: &PathPolicy| {
        Prefetched::compute_on(
            threads,
            MIN_VALUES,
            tree,
            policy,
            &cipher,
            Direction::Encrypt,
            None,
        )
    };
    assert!(ahead(4, &small, &policy).is_none());
    let large = YamlStore::new(4)
        .load_plain(document(500).as_bytes())
        .unwrap();
    assert!(ahead(4, &large, &policy).is_some_and(|p| p.len() >= MIN_VALUES));
    assert!(ahead(1, &large, &policy).is_none());
    let comments =
        PathPolicy::new(Some(&PartialRule::EncryptedCommentRegex("sops:enc".into()))).unwrap();
    assert!(ahead(4, &large, &comments).is_none());
}

/// The value of `key` in the mapping `service` of the first document.
fn value_mut<'t>(tree: &'t mut Tree, service: &str, key: &str) -> &'t mut Node {
    let Some(MapItem::Pair(_, Node::Mapping(m))) = tree.branches[0]
        .items
        .iter_mut()
        .find(|item| matches!(item, MapItem::Pair(name, _) if name == service))
    else {
        panic!("{service} is a mapping")
    };
    m.items
        .iter_mut()
        .find_map(|item| match item {
            MapItem::Pair(k, v) if k == key => Some(v),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{service} has {key}"))
}

/// Decrypts `damaged` with and without help; both must fail alike, naming `path`.
fn assert_fails_alike(damaged: &Tree, cipher: &ValueCipher, policy: &PathPolicy, path: &str) {
    let mut messages = Vec::new();
    for with_help in [false, true] {
        let mut tree = damaged.clone();
        let err = walk(
            &mut tree,
            cipher,
            policy,
            Direction::Decrypt,
            with_help,
            None,
        )
        .expect_err("a damaged value must not decrypt");
        assert_eq!(err.exit_code(), 25);
        messages.push(err.message().to_owned());
    }
    assert!(messages[0].contains(path), "{}", messages[0]);
    assert_eq!(messages[0], messages[1]);
}

#[test]
fn a_moved_value_fails_with_its_key_path_as_without_help() {
    let (mut encrypted, cipher, policy) = encrypted_setup();
    // Swap the ciphertexts of two passwords: each now has the other's key path as AAD.
    let first = value_mut(&mut encrypted, "service300", "password").clone();
    let second = std::mem::replace(value_mut(&mut encrypted, "service301", "password"), first);
    *value_mut(&mut encrypted, "service300", "password") = second;
    assert_fails_alike(
        &encrypted,
        &cipher,
        &policy,
        r#"["service300"]["password"]"#,
    );
}

#[test]
fn a_value_of_the_wrong_type_fails_with_its_key_path_as_without_help() {
    let (encrypted, cipher, policy) = encrypted_setup();
    // `port` of service7 says int but holds letters; `password` of service9 says bool.
    for (service, key, text, value_type) in [
        ("service7", "port", &b"eighty"[..], ValueType::Int),
        ("service9", "password", &b"maybe"[..], ValueType::Bool),
    ] {
        let mut forged = encrypted.clone();
        let aad = format!("{service}:{key}:");
        *value_mut(&mut forged, service, key) =
            Node::string(cipher.encrypt(text, aad.as_bytes(), value_type));
        let path = format!(r#"["{service}"]["{key}"]"#);
        assert_fails_alike(&forged, &cipher, &policy, &path);
    }
}
