//! `Metadata::to_mapping` field order (sops 3.11's serialization struct) and `mac_aad` (the
//! MAC's additional data, `lastmodified` as Go's `time.RFC3339`).
//!
//! Mappings are written as JSON and read with the JSON store, which gives the scalar types a
//! JSON file has (numbers as floats); other scalar types are built by hand.

use sops_core::metadata::{EmptyListStyle, Metadata, PartialRule};
use sops_core::store::json::JsonStore;
use sops_core::store::Store;
use sops_core::tree::{Mapping, Node, Scalar, Timestamp};
use sops_core::KeyEntry;

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

fn keys(m: &Mapping) -> Vec<&str> {
    m.pairs().map(|(k, _)| k).collect()
}

fn entry(key_type: &str, fields: &[(&str, &str)]) -> KeyEntry {
    let mut e = KeyEntry::new(key_type);
    for (k, v) in fields {
        e.set_field(k, *v);
    }
    e
}

fn types(group: &[KeyEntry]) -> Vec<&str> {
    group.iter().map(|e| e.key_type.as_str()).collect()
}

#[test]
fn single_group_field_order_of_3_11() {
    let kms = {
        let mut e = KeyEntry::new("kms");
        e.set_field("arn", "arn:aws:kms:eu-west-1:1:key/k");
        e.set_field("role", "arn:aws:iam::1:role/r");
        let context = mapping(r#"{"alpha": "1", "beta": "2"}"#);
        e.fields.push(("context".into(), Node::Mapping(context)));
        for (k, v) in [
            ("created_at", "2026-11-24T18:34:30Z"),
            ("enc", "E"),
            ("aws_profile", ""),
        ] {
            e.set_field(k, v);
        }
        e
    };
    let group = vec![
        entry("age", &[("recipient", AGE1), ("enc", "E")]),
        entry(
            "pgp",
            &[
                ("created_at", "2026-11-24T18:34:30Z"),
                ("enc", "E"),
                ("fp", "F"),
            ],
        ),
        kms,
        entry(
            "azure_kv",
            &[
                ("vault_url", "u"),
                ("name", "n"),
                ("version", "v"),
                ("created_at", "2026-11-24T18:34:30Z"),
                ("enc", "E"),
            ],
        ),
        entry(
            "hckms",
            &[
                ("key_id", "k"),
                ("created_at", "2026-11-24T18:34:30Z"),
                ("enc", "E"),
            ],
        ),
        entry(
            "gcp_kms",
            &[
                ("resource_id", "r"),
                ("created_at", "2026-11-24T18:34:30Z"),
                ("enc", "E"),
            ],
        ),
        entry(
            "hc_vault",
            &[
                ("vault_address", "a"),
                ("engine_path", "p"),
                ("key_name", "k"),
                ("created_at", "2026-11-24T18:34:30Z"),
                ("enc", "E"),
            ],
        ),
    ];
    let m = Metadata {
        key_groups: vec![group],
        shamir_threshold: 1,
        last_modified: "2026-11-24T18:34:30Z".into(),
        mac: "ENC[…]".into(),
        partial: Some(PartialRule::UnencryptedCommentRegex("^keep".into())),
        mac_only_encrypted: true,
        version: None,
        layout: Default::default(),
    };
    let out = m.to_mapping(EmptyListStyle::EmptySequence);
    assert_eq!(
        keys(&out),
        [
            "shamir_threshold",
            "kms",
            "gcp_kms",
            "hckms",
            "azure_kv",
            "hc_vault",
            "age",
            "lastmodified",
            "mac",
            "pgp",
            "unencrypted_comment_regex",
            "mac_only_encrypted",
            "version"
        ]
    );
    assert!(matches!(
        out.get("shamir_threshold"),
        Some(Node::Scalar(Scalar::Int(1)))
    ));
    assert!(matches!(
        out.get("mac_only_encrypted"),
        Some(Node::Scalar(Scalar::Bool(true)))
    ));
    assert_eq!(out.get("version").and_then(Node::as_str), Some(""));
    // Entries are written with their fields as stored.
    let Some(Node::Sequence(kms)) = out.get("kms") else {
        panic!("no kms")
    };
    let Some(sops_core::tree::SeqItem::Value(Node::Mapping(kms0))) = kms.items.first() else {
        panic!()
    };
    assert_eq!(
        keys(kms0),
        ["arn", "role", "context", "created_at", "enc", "aws_profile"]
    );

    // Reading it back gives the same metadata, with the group in load order.
    let back = Metadata::from_mapping(&out).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        types(&back.key_groups[0]),
        ["kms", "gcp_kms", "hckms", "azure_kv", "hc_vault", "pgp", "age"]
    );
    assert_eq!(back.partial, m.partial);
    assert_eq!(back.version.as_deref(), Some(""));
}

#[test]
fn key_groups_field_order_of_3_11() {
    let created = ("created_at", "2026-11-24T18:34:30Z");
    let m = Metadata {
        key_groups: vec![
            vec![
                entry("age", &[("recipient", "a"), ("enc", "E")]),
                entry("pgp", &[created, ("enc", "E"), ("fp", "F")]),
            ],
            vec![
                entry("gcp_kms", &[("resource_id", "r"), created, ("enc", "E")]),
                entry(
                    "kms",
                    &[("arn", "A"), created, ("enc", "E"), ("aws_profile", "")],
                ),
            ],
        ],
        shamir_threshold: 2,
        last_modified: "2026-11-24T18:34:30Z".into(),
        version: Some("3.11.0".into()),
        ..Metadata::default()
    };
    for style in [EmptyListStyle::Null, EmptyListStyle::EmptySequence] {
        let out = m.to_mapping(style);
        assert_eq!(
            keys(&out),
            [
                "shamir_threshold",
                "key_groups",
                "lastmodified",
                "mac",
                "version"
            ]
        );
        let Some(Node::Sequence(groups)) = out.get("key_groups") else {
            panic!()
        };
        let groups: Vec<&Mapping> = groups
            .items
            .iter()
            .filter_map(|i| match i {
                sops_core::tree::SeqItem::Value(Node::Mapping(g)) => Some(g),
                _ => None,
            })
            .collect();
        assert_eq!(keys(groups[0]), ["pgp", "hc_vault", "age"]);
        assert_eq!(keys(groups[1]), ["kms", "gcp_kms", "hc_vault", "age"]);
        let empty = groups[1].get("age");
        match style {
            EmptyListStyle::Null => assert!(matches!(empty, Some(Node::Scalar(Scalar::Null)))),
            EmptyListStyle::EmptySequence => {
                assert!(matches!(empty, Some(Node::Sequence(s)) if s.items.is_empty()))
            }
        }
        let back = Metadata::from_mapping(&out).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(types(&back.key_groups[1]), ["kms", "gcp_kms"]);
        assert_eq!(back.shamir_threshold, 2);
    }
}

#[test]
fn mac_aad_is_go_rfc3339() {
    let aad = |lm: &str| {
        Metadata {
            last_modified: lm.into(),
            ..Metadata::default()
        }
        .mac_aad()
    };
    // Verified with sops 3.11.0: changing the stored `lastmodified` of json-age.json to
    // "2026-11-24T18:34:30.5+00:00" still decrypts (AAD `…30Z`); "2026-11-24T19:34:30+01:00"
    // (the same instant) fails the MAC: a non-zero offset is kept, not converted to UTC.
    let cases = [
        ("2026-11-24T18:34:30Z", "2026-11-24T18:34:30Z"),
        ("2026-11-24T18:34:30.999Z", "2026-11-24T18:34:30Z"),
        ("2026-11-24T18:34:30.5+00:00", "2026-11-24T18:34:30Z"),
        ("2026-11-24T18:34:30-00:00", "2026-11-24T18:34:30Z"),
        ("2026-11-24T19:34:30+01:00", "2026-11-24T19:34:30+01:00"),
        ("2026-11-24t18:34:30z", ""),
        // YAML's space form without zone (UTC), and a short date.
        ("2026-11-24 18:34:30", "2026-11-24T18:34:30Z"),
        ("2026-1-2 3:04:05.25", "2026-01-02T03:04:05Z"),
    ];
    for (stored, expected) in cases {
        match aad(stored) {
            Ok(got) => assert_eq!(got, expected, "{stored}"),
            Err(e) => assert!(expected.is_empty() && e.hint().is_some(), "{stored}: {e}"),
        }
    }
    assert!(aad("").is_err());
    assert!(aad("2026-02-29T00:00:00Z").is_err());
    assert!(aad("2024-02-29T00:00:00Z").is_ok());

    // An unquoted YAML timestamp reaches the metadata as a time scalar.
    let mut m = mapping(&block(""));
    m.remove("lastmodified");
    let t = Timestamp {
        rfc3339_nano: "2026-11-24T18:34:30.1Z".into(),
    };
    m.push("lastmodified", Node::Scalar(Scalar::Time(t)));
    let parsed = Metadata::from_mapping(&m).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        parsed.mac_aad().ok().as_deref(),
        Some("2026-11-24T18:34:30Z")
    );
}
