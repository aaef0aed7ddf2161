//! Unit tests of `.sops.yaml` reading: rule matching, key groups, type errors and messages.

use super::{Config, ConfigErrorKind};
use crate::PartialRule;
use std::path::Path;

fn config(yaml: &str) -> Result<Config, super::ConfigError> {
    Config::from_yaml(yaml.as_bytes(), Path::new(".sops.yaml"), Path::new("/repo"))
}

fn rule_for(yaml: &str, file: &str) -> super::CreationRule {
    config(yaml).unwrap().rule_for(Path::new(file)).unwrap()
}

#[test]
fn the_first_matching_rule_wins_and_paths_are_relative_to_the_config() {
    let yaml = "creation_rules:\n  - path_regex: ^dev/\n    age: a-dev\n  - path_regex: \\.json$\n    age: a-json\n  - age: a-any\n";
    let recipient = |file| {
        let rule = rule_for(yaml, file);
        let entry = &rule.key_groups()[0][0];
        (rule.index(), entry.field("recipient").unwrap().to_owned())
    };
    assert_eq!(recipient("/repo/dev/app.json"), (0, "a-dev".to_owned()));
    assert_eq!(recipient("/repo/prod/app.json"), (1, "a-json".to_owned()));
    assert_eq!(recipient("/repo/prod/app.yaml"), (2, "a-any".to_owned()));
    // Outside the config's directory the whole absolute path is matched.
    assert_eq!(recipient("/elsewhere/dev/x.yaml"), (2, "a-any".to_owned()));
    let all = config(yaml)
        .unwrap()
        .matching_rules(Path::new("/repo/dev/a.json"))
        .unwrap();
    let indexes: Vec<usize> = all.iter().map(|r| r.index()).collect();
    assert_eq!(indexes, [0, 1, 2]);
}

#[test]
fn no_matching_rule_and_no_rules_at_all() {
    let only_json = config("creation_rules:\n  - path_regex: \\.json$\n    age: a\n").unwrap();
    let error = only_json.rule_for(Path::new("/repo/a.yaml")).unwrap_err();
    assert_eq!(error.kind(), ConfigErrorKind::NoMatchingRule);
    assert_eq!(
        error.to_string(),
        "error loading config: no matching creation rules found"
    );
    assert!(only_json.has_creation_rules());
    for empty in [
        "",
        "# just a comment\n",
        "stores: {}\n",
        "creation_rules: ~\n",
    ] {
        assert!(!config(empty).unwrap().has_creation_rules(), "{empty:?}");
    }
}

#[test]
fn keys_as_comma_string_or_list() {
    let rule = rule_for(
        "creation_rules:\n  - age: a1, a2,\n    pgp: [F1, 'F 2']\n    aws_profile: dev\n    kms: arn:aws:kms:eu-west-1:1:key/x+arn:aws:iam::1:role/r\n    gcp_kms: projects/p\n    azure_keyvault: https://v.vault.azure.net/keys/k/1\n    hc_vault_transit_uri: https://vault:8200/v1/transit/keys/k\n    hckms: [tr-1:id]\n",
        "/repo/a.yaml",
    );
    let group = &rule.key_groups()[0];
    let described: Vec<String> = group.iter().map(|e| e.describe()).collect();
    assert_eq!(
        described,
        [
            "age a1",
            "age a2",
            "pgp F1",
            "pgp F2",
            "kms arn:aws:kms:eu-west-1:1:key/x",
            "gcp_kms projects/p",
            "hckms tr-1:id",
            "azure_kv https://v.vault.azure.net/keys/k/1",
            "hc_vault https://vault:8200/v1/transit/keys/k",
        ]
    );
    assert_eq!(group[4].field("role"), Some("arn:aws:iam::1:role/r"));
    assert_eq!(group[4].field("aws_profile"), Some("dev"));
}

#[test]
fn key_groups_with_merge_threshold_and_duplicates() {
    let rule = rule_for(
        "creation_rules:\n  - shamir_threshold: 2\n    age: ignored\n    key_groups:\n      - age: [a1]\n        merge:\n          - age: [a0, a1]\n      - pgp: [F]\n        kms:\n          - arn: arn:aws:kms:us-east-1:1:key/k\n            role: arn:aws:iam::1:role/r\n            context: {b: '2', a: 1}\n",
        "/repo/x.yaml",
    );
    let groups = rule.key_groups();
    assert_eq!(groups.len(), 2);
    let first: Vec<&str> = groups[0]
        .iter()
        .filter_map(|e| e.field("recipient"))
        .collect();
    assert_eq!(first, ["a0", "a1"], "merged keys first, duplicates dropped");
    let kms = &groups[1][1];
    assert_eq!(kms.field("role"), Some("arn:aws:iam::1:role/r"));
    assert_eq!(kms.field("aws_profile"), Some(""));
    let Some((_, crate::tree::Node::Mapping(context))) =
        kms.fields.iter().find(|(k, _)| k == "context")
    else {
        panic!("no context in {kms:?}");
    };
    let keys: Vec<&str> = context.pairs().map(|(k, _)| k).collect();
    assert_eq!(keys, ["a", "b"]);
    let options = rule.encrypt_options();
    assert_eq!(options.shamir_threshold, 2);
    assert_eq!(options.key_groups.len(), 2);
}

#[test]
fn several_groups_without_threshold_need_them_all() {
    let rule = rule_for(
        "creation_rules:\n  - key_groups:\n      - age: [a1]\n      - age: [a2]\n      - age: [a3]\n",
        "/repo/x.yaml",
    );
    assert_eq!(rule.shamir_threshold(), 0);
    assert_eq!(rule.encrypt_options().shamir_threshold, 3);
}

#[test]
fn partial_encryption_options() {
    let rule = rule_for(
        "creation_rules:\n  - encrypted_regex: ^pw$\n    unencrypted_suffix: ''\n    mac_only_encrypted: yes\n    age: a\n",
        "/repo/x.yaml",
    );
    assert_eq!(
        rule.partial(),
        Some(&PartialRule::EncryptedRegex("^pw$".to_owned()))
    );
    assert!(rule.mac_only_encrypted());
    let two =
        config("creation_rules:\n  - encrypted_regex: a\n    unencrypted_regex: b\n").unwrap();
    let error = two.rule_for(Path::new("/repo/x")).unwrap_err();
    assert_eq!(error.kind(), ConfigErrorKind::InvalidRule);
    assert!(error
        .to_string()
        .starts_with("error loading config: cannot use more than one of"));
}

#[test]
fn broken_rules_matter_only_when_reached() {
    let yaml = "creation_rules:\n  - path_regex: ^ok/\n    age: a\n  - path_regex: '['\n    age: b\n  - age: 5\n";
    let config = config(yaml).unwrap();
    assert!(config.rule_for(Path::new("/repo/ok/x")).is_ok());
    let error = config.rule_for(Path::new("/repo/other")).unwrap_err();
    assert_eq!(error.kind(), ConfigErrorKind::InvalidRule);
    assert!(error
        .to_string()
        .starts_with("error loading config: invalid path_regex \"[\""));
    assert!(config.matching_rules(Path::new("/repo/ok/x")).is_err());
}

#[test]
fn key_lists_of_the_wrong_type_have_sops_messages() {
    let cases = [
        ("age: 5", "invalid age key configuration: invalid age key configuration: expected string, []string, or nil, got int"),
        ("age: [5]", "invalid age key configuration: invalid age key configuration: expected string in list, got int"),
        ("kms: {a: 1}", "invalid kms key configuration: invalid kms key configuration: expected string, []string, or nil, got map[string]interface {}"),
        ("gcp_kms: true", "invalid gcpkms key configuration: invalid gcp_kms key configuration: expected string, []string, or nil, got bool"),
        ("hc_vault_transit_uri: [~]", "invalid vault key configuration: invalid hc_vault_transit_uri key configuration: expected string in list, got <nil>"),
    ];
    for (field, message) in cases {
        let config = config(&format!("creation_rules:\n  - {field}\n")).unwrap();
        let error = config.rule_for(Path::new("/repo/x")).unwrap_err();
        assert_eq!(error.kind(), ConfigErrorKind::InvalidRule);
        assert_eq!(error.to_string(), message, "{field}");
    }
}

#[test]
fn field_types_are_checked_like_go_yaml() {
    let cases = [
        ("creation_rules: 5\n", "line 1: cannot unmarshal !!int `5` into []config.creationRule"),
        ("creation_rules:\n  - 5\n", "line 2: cannot unmarshal !!int `5` into config.creationRule"),
        ("stores: 5\n", "line 1: cannot unmarshal !!int `5` into config.StoresConfig"),
        ("destination_rules: x\n", "line 1: cannot unmarshal !!str `x` into []config.destinationRule"),
        (
            "creation_rules:\n  - shamir_threshold: x\n    age: [5]\n    aws_profile: [a]\n",
            "line 2: cannot unmarshal !!str `x` into int\n  line 4: cannot unmarshal !!seq into string",
        ),
        (
            "creation_rules:\n  - key_groups:\n    - age: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n",
            "line 3: cannot unmarshal !!str `age1ql3...` into []string",
        ),
        (
            "creation_rules:\n  - mac_only_encrypted: 'true'\n    shamir_threshold: 0x10x\n",
            "line 2: cannot unmarshal !!str `true` into bool\n  line 3: cannot unmarshal !!str `0x10x` into int",
        ),
        (
            "creation_rules:\n  - key_groups:\n    - kms: [{arn: a, context: {a: [1]}}]\n      hckms: 5\n",
            "line 3: cannot unmarshal !!seq into string\n  line 4: cannot unmarshal !!int `5` into []config.hckmsKey",
        ),
        (
            "stores:\n  yaml:\n    indent: x\n",
            "line 3: cannot unmarshal !!str `x` into int",
        ),
    ];
    for (yaml, errors) in cases {
        let error = config(yaml).unwrap_err();
        assert_eq!(error.kind(), ConfigErrorKind::Type, "{yaml}");
        assert_eq!(
            error.to_string(),
            format!("error loading config: Could not unmarshal config file: yaml: unmarshal errors:\n  {errors}"),
            "{yaml}"
        );
    }
    // What go-yaml lets through: numbers as strings, whole floats as ints, yes/no as bools.
    let fine = "creation_rules:\n  - path_regex: 5\n    shamir_threshold: 2.0\n    mac_only_encrypted: on\n    unknown: [1]\n";
    assert!(config(fine).is_ok());
}

#[test]
fn not_yaml_is_a_syntax_error() {
    let error = config("creation_rules: [\n").unwrap_err();
    assert_eq!(error.kind(), ConfigErrorKind::Syntax);
    assert!(error
        .to_string()
        .starts_with("error loading config: could not unmarshal config file .sops.yaml: "));
}

#[test]
fn stores_settings() {
    let config =
        config("stores:\n  yaml: {indent: 2}\n  json: {indent: 0}\n  json_binary: {indent: 3}\n")
            .unwrap();
    let stores = config.stores();
    assert_eq!(
        (
            stores.yaml_indent,
            stores.json_indent,
            stores.json_binary_indent
        ),
        (2, 0, 3)
    );
}

#[test]
fn kms_lists_split_role_arns_as_sops_does() {
    let entries = super::kms_entries(
        "arn:aws:kms:eu-west-1:1:key/a + arn:aws:iam::1:role/r,arn:aws:kms:eu-west-1:1:key/b",
        &[("k".to_owned(), "v".to_owned())],
        "p",
    );
    assert_eq!(entries.len(), 2);
    assert_eq!(
        entries[0].field("arn"),
        Some("arn:aws:kms:eu-west-1:1:key/a")
    );
    assert_eq!(entries[0].field("role"), Some("arn:aws:iam::1:role/r"));
    assert_eq!(entries[1].field("role"), None);
    assert_eq!(entries[1].field("aws_profile"), Some("p"));
    assert!(super::kms_entries("", &[], "").is_empty());
    // A role ARN at the start is not a role.
    let odd = super::kms_entries("+arn:aws:iam::1:role/r", &[], "");
    assert_eq!(odd[0].field("arn"), Some("+arn:aws:iam::1:role/r"));
    // Every partition splits (sops 3.12+, getsops/sops#2042).
    let cn = super::kms_entries(
        "arn:aws-cn:kms:cn-north-1:1:key/k+arn:aws-cn:iam::1:role/r",
        &[],
        "",
    );
    assert_eq!(
        cn[0].field("arn"),
        Some("arn:aws-cn:kms:cn-north-1:1:key/k")
    );
    assert_eq!(cn[0].field("role"), Some("arn:aws-cn:iam::1:role/r"));
}
