//! `Metadata::from_mapping` against sops 3.11's reading rules for the `sops` block's fields.
//!
//! Mappings are written as JSON and read with the JSON store, which gives the scalar types a
//! JSON file has (numbers as floats); other scalar types are built by hand.

use sops_core::metadata::{EmptyListStyle, Metadata, PartialRule};
use sops_core::store::json::JsonStore;
use sops_core::store::Store;
use sops_core::tree::{Mapping, Node, Scalar};
use sops_core::{ErrorKind, KeyEntry};

const AGE1: &str = "age1kqzkxccncjjnlrdyf2lamgdtlxpegqn8su4w4rt8wpnu845pgu6ssnu6xg";

fn mapping(json: &str) -> Mapping {
    match JsonStore::new(-1).load_plain(json.as_bytes()) {
        Ok(mut tree) => tree.branches.remove(0),
        Err(e) => panic!("{e}: {json}"),
    }
}

/// A minimal valid block with `extra` fields spliced in.
fn block(extra: &str) -> String {
    format!(
        r#"{{"age": [{{"recipient": "{AGE1}", "enc": "x"}}], "lastmodified": "2026-11-24T18:34:30Z", "mac": "", {extra} "version": "3.11.0"}}"#
    )
}

fn parse(json: &str) -> Metadata {
    Metadata::from_mapping(&mapping(json)).unwrap_or_else(|e| panic!("{e}: {json}"))
}

fn parse_err(json: &str) -> sops_core::Error {
    match Metadata::from_mapping(&mapping(json)) {
        Ok(m) => panic!("accepted: {m:?}"),
        Err(e) => e,
    }
}

fn keys(m: &Mapping) -> Vec<&str> {
    m.pairs().map(|(k, _)| k).collect()
}

fn types(group: &[KeyEntry]) -> Vec<&str> {
    group.iter().map(|e| e.key_type.as_str()).collect()
}

#[test]
fn reads_every_field() {
    let m = parse(&block(
        r#""shamir_threshold": 3, "encrypted_regex": "^pw$", "mac_only_encrypted": true,"#,
    ));
    assert_eq!(m.key_groups.len(), 1);
    assert_eq!(m.key_groups[0][0].field("recipient"), Some(AGE1));
    let names: Vec<&str> = m.key_groups[0][0]
        .fields
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(names, ["recipient", "enc"]);
    assert_eq!(m.shamir_threshold, 3);
    assert_eq!(m.last_modified, "2026-11-24T18:34:30Z");
    assert_eq!(m.mac, "");
    assert_eq!(m.partial, Some(PartialRule::EncryptedRegex("^pw$".into())));
    assert!(m.mac_only_encrypted);
    assert_eq!(m.version.as_deref(), Some("3.11.0"));
}

#[test]
fn group_is_in_sops_load_order_whatever_the_file_order() {
    let m = parse(
        r#"{"age": [{"recipient": "a", "enc": "e"}],
        "pgp": [{"created_at": "2026-11-24T18:39:35Z", "enc": "e", "fp": "F"}],
        "hc_vault": [{"vault_address": "v", "engine_path": "p", "key_name": "k", "created_at": "2026-11-24T18:39:35Z", "enc": "e"}],
        "kms": [{"arn": "A", "created_at": "2026-11-24T18:39:35Z", "enc": "e", "aws_profile": ""}],
        "lastmodified": "2026-11-24T18:34:30Z", "mac": ""}"#,
    );
    assert_eq!(types(&m.key_groups[0]), ["kms", "hc_vault", "pgp", "age"]);
    assert_eq!(m.version, None);
    assert_eq!(m.partial, None);
}

#[test]
fn key_groups_are_used_when_no_top_level_list_has_entries() {
    // Older sops wrote empty lists as [] (YAML) or null (JSON); both are accepted.
    let m = parse(
        r#"{"shamir_threshold": 2, "kms": null, "age": [], "key_groups": [
        {"age": [{"recipient": "a1", "enc": "e"}], "hc_vault": null,
         "pgp": [{"created_at": "2026-11-24T18:39:35Z", "enc": "e", "fp": "F"}]},
        {"hc_vault": null, "age": [{"recipient": "a2", "enc": "e"}, {"recipient": "a3", "enc": "e"}],
         "future_kind": [{"id": "x"}]}],
        "lastmodified": "2026-11-24T18:34:30Z", "mac": "", "version": "3.11.0"}"#,
    );
    assert_eq!(m.key_groups.len(), 2);
    assert_eq!(types(&m.key_groups[0]), ["pgp", "age"]);
    // Types sops does not know are carried inside key_groups, after the known ones.
    assert_eq!(types(&m.key_groups[1]), ["age", "age", "future_kind"]);
    let out = m.to_mapping(EmptyListStyle::Null);
    let Some(Node::Sequence(groups)) = out.get("key_groups") else {
        panic!("no key_groups")
    };
    let Some(sops_core::tree::SeqItem::Value(Node::Mapping(second))) = groups.items.get(1) else {
        panic!()
    };
    assert_eq!(keys(second), ["hc_vault", "age", "future_kind"]);
}

#[test]
fn top_level_lists_win_over_key_groups() {
    let m = parse(&block(
        r#""key_groups": [{"age": [{"recipient": "other", "enc": "e"}]}, {}],"#,
    ));
    assert_eq!(m.key_groups.len(), 1);
    assert_eq!(m.key_groups[0][0].field("recipient"), Some(AGE1));
}

#[test]
fn shamir_threshold_forms() {
    for (value, expected) in [
        ("2", 2),
        ("2.0", 2),
        ("\"2\"", 2),
        ("\"4.0\"", 4),
        ("null", 0),
    ] {
        let m = parse(&block(&format!(r#""shamir_threshold": {value},"#)));
        assert_eq!(m.shamir_threshold, expected, "{value}");
    }
    let mut with_int = mapping(&block(""));
    with_int.push("shamir_threshold", Node::Scalar(Scalar::Int(5)));
    assert_eq!(
        Metadata::from_mapping(&with_int)
            .map(|m| m.shamir_threshold)
            .ok(),
        Some(5)
    );
    for bad in ["2.5", "-1", "\"two\"", "[]"] {
        let err = parse_err(&block(&format!(r#""shamir_threshold": {bad},"#)));
        assert!(err.message().contains("shamir_threshold"), "{bad}: {err}");
    }
}

#[test]
fn mac_only_encrypted_forms() {
    assert!(!parse(&block("")).mac_only_encrypted);
    assert!(parse(&block(r#""mac_only_encrypted": "true","#)).mac_only_encrypted);
    assert!(!parse(&block(r#""mac_only_encrypted": "True","#)).mac_only_encrypted);
    assert!(!parse(&block(r#""mac_only_encrypted": null,"#)).mac_only_encrypted);
}

#[test]
fn errors_exit_1_and_explain() {
    let err = parse_err(
        r#"{"lastmodified": "2026-11-24T18:34:30Z", "mac": "", "kms": null, "key_groups": []}"#,
    );
    assert_eq!(
        (err.kind(), err.message()),
        (ErrorKind::Generic, "No keys found in file")
    );

    let err = parse_err(&block(
        r#""unencrypted_suffix": "_u", "encrypted_regex": "x", "encrypted_suffix": "","#,
    ));
    assert!(
        err.message()
            .contains("unencrypted_suffix and encrypted_regex"),
        "{err}"
    );
    assert_eq!(err.exit_code(), 1);

    let err = parse_err(&block("").replace(r#""version": "3.11.0""#, r#""version": 1.15"#));
    assert!(
        err.message().contains("sops 1.x") && err.hint().is_some(),
        "{err}"
    );

    for bad in [
        "2026-11-24 18:34",
        "",
        "2026-11-24T18:34:30",
        "2026-11-31T18:34:30Z",
        "2026-11-24T24:00:00Z",
    ] {
        let json = block("").replace("2026-11-24T18:34:30Z", bad);
        let err = parse_err(&json);
        assert!(
            err.message().contains("lastmodified") && err.hint().is_some(),
            "{bad}: {err}"
        );
    }
    let err = parse_err(r#"{"mac": "", "age": [{"recipient": "a", "enc": "e"}]}"#);
    assert!(err.message().contains("lastmodified"), "{err}");

    // Every type but age needs a valid created_at.
    let pgp = r#"{"pgp": [{"created_at": "yesterday", "enc": "e", "fp": "F1"}], "lastmodified": "2026-11-24T18:34:30Z", "mac": ""}"#;
    let err = parse_err(pgp);
    assert!(
        err.message().contains("created_at of pgp F1") && err.hint().is_some(),
        "{err}"
    );
    let err = parse_err(
        r#"{"kms": [{"arn": "A", "enc": "e"}], "lastmodified": "2026-11-24T18:34:30Z", "mac": ""}"#,
    );
    assert!(err.message().contains("created_at of kms A"), "{err}");

    let err = parse_err(&block(r#""mac_only_encrypted": 1,"#));
    assert!(err.message().contains("mac_only_encrypted"), "{err}");
    let err = parse_err(r#"{"age": {"recipient": "a"}, "lastmodified": "2026-11-24T18:34:30Z"}"#);
    assert!(err.message().contains("must be a list"), "{err}");
    let err = parse_err(r#"{"age": ["a"], "lastmodified": "2026-11-24T18:34:30Z"}"#);
    assert!(err.message().contains("must be a mapping"), "{err}");
}
