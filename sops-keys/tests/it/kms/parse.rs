//! The KMS backend's parsing, which needs no AWS endpoint: `--kms` lists with roles,
//! `--encryption-context`, the ARN pattern, the STS session name and reading metadata entries.
#![cfg(feature = "kms")]

use sops_core::tree::{Mapping, Node, Scalar};
use sops_core::{KeyEntry, KeySource};
use sops_keys::kms::parse::{
    format_encryption_context, parse_arn_list, parse_encryption_context, region_from_arn,
    split_arn_role, sts_session_name, INVALID_CONTEXT_EXIT_CODE,
};
use sops_keys::kms::{KmsKey, KmsKeySource, KEY_TYPE};
use std::collections::BTreeMap;

const KEY: &str = "arn:aws:kms:us-east-1:656532927350:key/920aff2e-c5f1-4040-943a-047fa387b27e";
const ROLE: &str = "arn:aws:iam::927034868273:role/sops-dev";

fn ctx(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn names(entry: &KeyEntry) -> Vec<&str> {
    entry.fields.iter().map(|(k, _)| k.as_str()).collect()
}

#[test]
fn arn_lists_split_on_commas_and_roles() {
    let list = format!("{KEY}, {KEY}+{ROLE} ,arn:aws:kms:eu-west-1:1:alias/x");
    let entries = parse_arn_list(&list, &ctx(&[("b", "2"), ("a", "1")]), "dev");
    assert_eq!(entries.len(), 3);
    assert!(entries.iter().all(|e| e.key_type == KEY_TYPE));
    assert_eq!(entries[0].field("arn"), Some(KEY));
    assert_eq!(entries[0].field("role"), None);
    assert_eq!(entries[1].field("arn"), Some(KEY));
    assert_eq!(entries[1].field("role"), Some(ROLE));
    assert_eq!(
        names(&entries[1]),
        ["arn", "role", "context", "aws_profile"]
    );
    assert_eq!(entries[2].field("aws_profile"), Some("dev"));
    let Some((_, Node::Mapping(context))) = entries[0].fields.iter().find(|(k, _)| k == "context")
    else {
        panic!("no context mapping");
    };
    let keys: Vec<&str> = context.pairs().map(|(k, _)| k).collect();
    assert_eq!(keys, ["a", "b"], "context keys are sorted");
}

#[test]
fn arn_list_edge_cases_follow_sops() {
    assert!(parse_arn_list("", &BTreeMap::new(), "").is_empty());
    let entries = parse_arn_list(&format!("{KEY},"), &BTreeMap::new(), "");
    assert_eq!(entries.len(), 2, "an empty element is kept, as sops does");
    assert_eq!(entries[1].field("arn"), Some(""));
    assert_eq!(names(&entries[0]), ["arn", "aws_profile"]);
    assert_eq!(entries[0].field("aws_profile"), Some(""));
    // The role separator must not be at the start; `+arn:` of any partition splits (sops
    // 3.12+, getsops/sops#2042), a `+` elsewhere does not.
    assert_eq!(split_arn_role(&format!("+{ROLE}")).1, "");
    assert_eq!(
        split_arn_role("a+arn:aws-cn:iam::1:role/x"),
        ("a".to_owned(), "arn:aws-cn:iam::1:role/x".to_owned())
    );
    assert_eq!(
        split_arn_role("arn:aws-us-gov:kms:us-gov-west-1:1:key/k + arn:aws-us-gov:iam::1:role/r"),
        (
            "arn:aws-us-gov:kms:us-gov-west-1:1:key/k".to_owned(),
            "arn:aws-us-gov:iam::1:role/r".to_owned()
        )
    );
    assert_eq!(split_arn_role("k+role").1, "");
    assert_eq!(
        split_arn_role(&format!("{KEY}+{ROLE}+{ROLE}")),
        (KEY.to_owned(), format!("{ROLE}+{ROLE}"))
    );
}

#[test]
fn encryption_context_parsing() {
    assert_eq!(parse_encryption_context("").unwrap(), BTreeMap::new());
    assert_eq!(
        parse_encryption_context("k2:v2,k1:v1,k2:last").unwrap(),
        ctx(&[("k1", "v1"), ("k2", "last")])
    );
    assert_eq!(
        parse_encryption_context(" a: b,:").unwrap(),
        ctx(&[(" a", " b"), ("", "")]),
        "no trimming; empty keys and values pass"
    );
    for bad in ["a", "a:b:c", "a:b,", "a:b,,c:d", ","] {
        let err = parse_encryption_context(bad).expect_err(bad);
        assert!(
            err.message
                .starts_with("Invalid KMS encryption context format"),
            "{bad}: {err}"
        );
    }
    assert_eq!(INVALID_CONTEXT_EXIT_CODE, 6);
    assert_eq!(
        format_encryption_context(&ctx(&[("b", "2"), ("a", "1")])),
        "a:1,b:2"
    );
}

#[test]
fn regions_come_from_the_arn() {
    let cases = [
        (KEY, Some("us-east-1")),
        (
            "arn:aws:kms:eu-west-1:111122223333:alias/sops",
            Some("eu-west-1"),
        ),
        (
            "arn:aws-us-gov:kms:us-gov-west-1:1:key/x",
            Some("us-gov-west-1"),
        ),
        ("arn:aws-cn:kms:cn-north-1:1:key/a:b", Some("cn-north-1")),
        // `(.+)` is greedy: everything up to the last `:digits:key/` is the region.
        ("arn:aws:kms:a:1:key/b:2:key/c", Some("a:1:key/b")),
        ("arn:aws:kms::1:key/x", None),
        ("arn:aws:kms:r:1:key/", None),
        ("arn:aws:kms:r:x:key/y", None),
        ("arn:aws:kms:r:1:keys/y", None),
        ("arn:aws:iam::1:role/x", None),
        ("alias/sops", None),
        ("", None),
        ("arn:aws:kms:r\n:1:key/y", None),
    ];
    for (arn, want) in cases {
        match (region_from_arn(arn), want) {
            (Ok(got), Some(want)) => assert_eq!(got, want, "{arn}"),
            (Err(e), None) => assert!(e.message.contains("no valid ARN found"), "{e}"),
            (got, want) => panic!("{arn}: got {:?}, want {want:?}", got.map_err(|e| e.message)),
        }
    }
}

#[test]
fn session_names_are_sanitised_like_sops() {
    assert_eq!(
        sts_session_name("build-host.example.com"),
        "sops@buildhost.example.com"
    );
    assert_eq!(
        sts_session_name("a_b[c]^d\\e=f,g h"),
        "sops@a_b[c]^d\\e=f,gh"
    );
    assert_eq!(sts_session_name("hôst"), "sops@hst");
    let long = sts_session_name(&"x".repeat(100));
    assert_eq!(long.len(), 64);
    assert!(long.starts_with("sops@xxx"));
}

#[test]
fn entries_are_read_with_sops_leniency() {
    let mut entry = KmsKey::new(KEY, "", ctx(&[("a", "b")]), "").to_entry();
    let Some((_, Node::Mapping(map))) = entry.fields.iter_mut().find(|(k, _)| k == "context")
    else {
        panic!("no context");
    };
    map.push("n", Node::Scalar(Scalar::Null));
    map.push("i", Node::Scalar(Scalar::Int(7)));
    map.push("t", Node::Scalar(Scalar::Bool(true)));
    entry
        .fields
        .push(("role".into(), Node::Scalar(Scalar::Null)));
    let key = KmsKey::from_entry(&entry).unwrap();
    assert_eq!(key.context, ctx(&[("a", "b"), ("i", "7"), ("t", "true")]));
    assert_eq!(key.role, "");
    assert_eq!(key.describe(), format!("{KEY}|a:b,i:7,t:true"));

    let mut bad = KeyEntry::new("kms");
    bad.set_field("arn", KEY);
    bad.fields.push(("context".into(), Node::string("a:b")));
    let err = KmsKey::from_entry(&bad).unwrap_err();
    assert!(
        err.message.contains(KEY) && err.message.contains("not a mapping"),
        "{err}"
    );

    let mut nested = Mapping::default();
    nested.push("deep", Node::Mapping(Mapping::default()));
    let mut bad = KeyEntry::new("kms");
    bad.set_field("arn", KEY);
    bad.fields.push(("context".into(), Node::Mapping(nested)));
    assert!(KmsKey::from_entry(&bad).is_err());
    assert!(KmsKey::from_entry(&KeyEntry::new("kms")).is_err());
}

#[test]
fn unwrap_reports_bad_entries_without_calling_aws() {
    let source = KmsKeySource::new();
    assert!(
        source.unwrap(&KeyEntry::new("age")).is_none(),
        "other types are not ours"
    );

    let mut entry = KmsKey::new(KEY, "", BTreeMap::new(), "").to_entry();
    let err = source.unwrap(&entry).unwrap().err().unwrap();
    assert!(
        err.message.contains("no enc") && err.message.contains(KEY),
        "{err}"
    );

    entry.set_field("enc", "not base64!");
    let err = source.unwrap(&entry).unwrap().err().unwrap();
    assert!(
        err.message.contains("base64") && err.message.contains(KEY),
        "{err}"
    );

    let mut entry = KmsKey::new("alias/sops", "", BTreeMap::new(), "").to_entry();
    entry.set_field("enc", "AAAA");
    let err = source.unwrap(&entry).unwrap().err().unwrap();
    assert!(
        err.message.contains("no valid ARN found in 'alias/sops'"),
        "{err}"
    );
    let err = source.wrap(&mut entry, &[1; 32]).unwrap_err();
    assert!(err.message.contains("no valid ARN found"), "{err}");
}
