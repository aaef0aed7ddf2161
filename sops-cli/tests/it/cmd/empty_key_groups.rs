//! A creation rule that gives no key at all fails as sops 3.11 does: `Could not generate data
//! key: [empty key group provided]`, exit 1, for `encrypt` and for `edit` of a new file. This
//! covers a rule with no key (`- path_regex: x`), `key_groups: []`, `key_groups: [{}]` and an
//! empty group next to a full one.

use crate::support as common;

use common::{age_recipient, assert_parity, Sandbox, Tool};

const MESSAGE: &str = "Could not generate data key: [empty key group provided]";

fn check(config: &str) {
    let sandbox = Sandbox::new();
    sandbox.write(".sops.yaml", config);
    sandbox.write("x.yaml", "a: 1\n");
    let (reference, ours) = assert_parity(&sandbox, &["encrypt", "x.yaml"], 1);
    for out in [&reference, &ours] {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(MESSAGE), "{config}: {}", out.describe());
    }
    let edit = sandbox
        .cmd(Tool::SopsRs)
        .args(["edit", "new-x.yaml"])
        .env("EDITOR", "true")
        .env("SOPS_EDITOR", "true")
        .run();
    assert_eq!(edit.code, Some(1), "{}", edit.describe());
    assert!(String::from_utf8_lossy(&edit.stderr).contains(MESSAGE));
    assert!(!sandbox.file("new-x.yaml").exists());
}

#[test]
fn rule_without_keys() {
    check("creation_rules:\n  - path_regex: x\n");
}

#[test]
fn empty_key_group_list() {
    check("creation_rules:\n  - path_regex: x\n    key_groups: []\n");
}

#[test]
fn one_empty_key_group() {
    check("creation_rules:\n  - path_regex: x\n    key_groups: [{}]\n");
}

#[test]
fn an_empty_group_next_to_a_full_one() {
    let recipient = age_recipient("age-alice");
    check(&format!(
        "creation_rules:\n  - path_regex: x\n    key_groups:\n      - age: [{recipient}]\n      - {{}}\n"
    ));
}
