//! `rotate --add/--rm-hc-vault-transit`, `groups add --hc-vault-transit` and `updatekeys` with
//! `hc_vault_transit_uri` rules, checked by the reference sops.

use super::{decrypts_to_plain, run, run_with, vault, BOTH, PLAIN, TOKEN};
use crate::support::{age_key_path, age_recipient, Identity, Sandbox, Tool};

#[test]
fn rotate_and_groups_add_and_remove_vault_keys() {
    let sandbox = Sandbox::new();
    let vault = vault();
    let uri = vault.key_uri("transit", "rotate");
    let recipient = age_recipient("age-alice");
    sandbox.write("plain.yaml", PLAIN);
    let alice = Identity::AgeKeyFile(age_key_path("age-alice"));
    let token = [("VAULT_TOKEN", TOKEN)];
    let out = run_with(
        &sandbox,
        Tool::SopsRs,
        &["encrypt", "--age", &recipient, "plain.yaml"],
        &token,
        alice.clone(),
    )
    .expect_success();
    let file = sandbox.write("age.yaml", &out.stdout);
    let f = file.to_str().unwrap();

    // rotate --add: the reference opens the file with the Vault key alone.
    run_with(
        &sandbox,
        Tool::SopsRs,
        &["rotate", "-i", "--add-hc-vault-transit", &uri, f],
        &token,
        alice.clone(),
    )
    .expect_success();
    decrypts_to_plain(&sandbox, Tool::Sops, &file);
    // rotate --rm by the same URI: the Vault key is gone (the reference cannot open it without
    // age), age still opens it.
    run_with(
        &sandbox,
        Tool::SopsRs,
        &["rotate", "-i", "--rm-hc-vault-transit", &uri, f],
        &token,
        alice.clone(),
    )
    .expect_success();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains("vault_address"), "{text}");
    let out = run(&sandbox, Tool::Sops, &["decrypt", f]);
    assert_eq!(out.code, Some(128), "{}", out.describe());

    // groups add --hc-vault-transit: a second group (threshold 2), so the file needs the
    // Vault key and age; each alone is refused by both tools.
    run_with(
        &sandbox,
        Tool::SopsRs,
        &[
            "groups",
            "add",
            "-i",
            "--file",
            f,
            "--hc-vault-transit",
            &uri,
        ],
        &token,
        alice.clone(),
    )
    .expect_success();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("shamir_threshold: 2") && text.contains("key_name: rotate"),
        "{text}"
    );
    for tool in BOTH {
        let out = run_with(&sandbox, tool, &["decrypt", f], &token, alice.clone()).expect_success();
        assert_eq!(String::from_utf8_lossy(&out.stdout), PLAIN);
        let out = run(&sandbox, tool, &["decrypt", f]);
        assert_eq!(out.code, Some(128), "{}", out.describe());
        let out = run_with(&sandbox, tool, &["decrypt", f], &[], alice.clone());
        assert_eq!(out.code, Some(128), "{}", out.describe());
    }
}

#[test]
fn updatekeys_follows_hc_vault_transit_uri_rules() {
    let sandbox = Sandbox::new();
    let (first, second) = (vault(), vault());
    let (uri1, uri2) = (
        first.key_uri("transit", "one"),
        second.key_uri("transit", "two"),
    );
    sandbox.write(
        ".sops.yaml",
        format!("creation_rules:\n  - hc_vault_transit_uri: {uri1}\n"),
    );
    sandbox.write("plain.yaml", PLAIN);
    let out = run(&sandbox, Tool::Sops, &["encrypt", "plain.yaml"]).expect_success();
    let file = sandbox.write("rule.yaml", &out.stdout);
    let f = file.to_str().unwrap();
    decrypts_to_plain(&sandbox, Tool::SopsRs, &file);

    sandbox.write(
        ".sops.yaml",
        format!("creation_rules:\n  - hc_vault_transit_uri: {uri1},{uri2}\n"),
    );
    // Both list the first key as kept and the second as added.
    let copy = sandbox.write("rule-ref.yaml", std::fs::read(&file).unwrap());
    let theirs = run(
        &sandbox,
        Tool::Sops,
        &["updatekeys", "-y", copy.to_str().unwrap()],
    )
    .expect_success();
    let ours = run(&sandbox, Tool::SopsRs, &["updatekeys", "-y", f]).expect_success();
    let listed = String::from_utf8_lossy(&ours.stdout).into_owned();
    assert_eq!(String::from_utf8_lossy(&theirs.stdout), listed);
    assert!(
        listed.contains(&format!("    {uri1}\n+++ {uri2}")),
        "{listed}"
    );
    // With the first server gone, the second key alone opens the file in the reference.
    drop(first);
    decrypts_to_plain(&sandbox, Tool::Sops, &file);
    // Nothing to change now.
    let out = run(&sandbox, Tool::SopsRs, &["updatekeys", "-y", f]).expect_success();
    assert!(
        out.stderr_text().contains("already up to date"),
        "{}",
        out.describe()
    );
}
