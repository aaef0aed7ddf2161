//! Vault transit master keys (`hc_vault`) against the reference sops, both talking to the Vault
//! test server of `sops-test-support` (the reference through Vault's official Go client). Every
//! test has the reference encrypt or decrypt through the server first; that is what makes the
//! server worth trusting. Then files go both ways: reference-written files open in sops-rs and
//! sops-rs-written files open in the reference, alone and in Shamir key groups with age (here),
//! after `rotate`, `updatekeys` and `groups add` ([`commands`]). Failures (wrong token, server
//! down, no answer, untrusted TLS) exit as sops exits and name the key URI, never the token
//! ([`failures`]).

mod commands;
mod failures;

use crate::support::{age_key_path, age_recipient, Identity, Output, Sandbox, Tool};
use sops_test_support::vault::VaultServer;
use std::path::Path;

pub(super) const TOKEN: &str = "s.cli-vault-test-token";
pub(super) const PLAIN: &str = "db:\n    user: admin\n    password: hunter2\n";
pub(super) const BOTH: [Tool; 2] = [Tool::Sops, Tool::SopsRs];

pub(super) fn vault() -> VaultServer {
    VaultServer::builder().token(TOKEN).start()
}

/// Runs `tool` with the Vault token and no age identity.
pub(super) fn run(sandbox: &Sandbox, tool: Tool, args: &[&str]) -> Output {
    run_with(
        sandbox,
        tool,
        args,
        &[("VAULT_TOKEN", TOKEN)],
        Identity::None,
    )
}

pub(super) fn run_with(
    sandbox: &Sandbox,
    tool: Tool,
    args: &[&str],
    env: &[(&str, &str)],
    identity: Identity,
) -> Output {
    let mut cmd = sandbox.cmd(tool).args(args).identity(identity);
    for (k, v) in env {
        cmd = cmd.env(k, v);
    }
    cmd.run()
}

pub(super) fn decrypts_to_plain(sandbox: &Sandbox, tool: Tool, file: &Path) {
    let out = run(sandbox, tool, &["decrypt", file.to_str().unwrap()]).expect_success();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        PLAIN,
        "{}",
        tool.name()
    );
}

/// The `hc_vault` lines of an encrypted YAML file, values of `enc` and `created_at` removed.
fn vault_layout(text: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| !l.starts_with("sops:"))
        .filter(|l| {
            [
                "vault_address",
                "engine_path",
                "key_name",
                "created_at",
                "enc:",
                "hc_vault",
            ]
            .iter()
            .any(|k| l.contains(k))
        })
        .filter(|l| !l.contains("age") && !l.contains("-----"))
        .map(|l| l.split(':').next().unwrap().to_owned())
        .collect()
}

#[test]
fn files_go_both_ways_with_a_vault_key_alone() {
    let sandbox = Sandbox::new();
    let vault = vault();
    let uri = vault.key_uri("transit", "app");
    sandbox.write("plain.yaml", PLAIN);
    let mut written = Vec::new();
    for tool in BOTH {
        let out = run(
            &sandbox,
            tool,
            &["encrypt", "--hc-vault-transit", &uri, "plain.yaml"],
        )
        .expect_success();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains(&format!("vault_address: {}", vault.address())),
            "{text}"
        );
        let file = sandbox.write(&format!("{}.yaml", tool.name()), &text);
        written.push((tool, file, text));
        if tool == Tool::Sops {
            // The reference went through the server: the server is the one it talks to.
            assert_eq!(vault.recorded()[0].path, "/v1/transit/encrypt/app");
        }
    }
    // The same metadata layout (sops 3.11's field order).
    assert_eq!(vault_layout(&written[0].2), vault_layout(&written[1].2));
    assert_eq!(
        vault_layout(&written[0].2),
        [
            "    hc_vault",
            "        - vault_address",
            "          engine_path",
            "          key_name",
            "          created_at",
            "          enc"
        ]
    );
    for (_, file, _) in &written {
        for tool in BOTH {
            decrypts_to_plain(&sandbox, tool, file);
        }
    }
    // SOPS_VAULT_URIS does what the flag does.
    let out = run_with(
        &sandbox,
        Tool::SopsRs,
        &["encrypt", "plain.yaml"],
        &[("VAULT_TOKEN", TOKEN), ("SOPS_VAULT_URIS", &uri)],
        Identity::None,
    )
    .expect_success();
    let file = sandbox.write("env.yaml", &out.stdout);
    decrypts_to_plain(&sandbox, Tool::Sops, &file);
}

#[test]
fn vault_and_age_share_a_file_in_shamir_key_groups() {
    let sandbox = Sandbox::new();
    let vault = vault();
    let uri = vault.key_uri("transit", "groups");
    let recipient = age_recipient("age-alice");
    sandbox.write(
        ".sops.yaml",
        format!(
            "creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - hc_vault:\n          - {uri}\n      - age:\n          - {recipient}\n"
        ),
    );
    sandbox.write("plain.yaml", PLAIN);
    let alice = Identity::AgeKeyFile(age_key_path("age-alice"));
    let token = [("VAULT_TOKEN", TOKEN)];
    for writer in BOTH {
        let out = run_with(
            &sandbox,
            writer,
            &["encrypt", "plain.yaml"],
            &token,
            alice.clone(),
        )
        .expect_success();
        let file = sandbox.write(&format!("groups-{}.yaml", writer.name()), &out.stdout);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(text.contains("shamir_threshold: 2") && text.contains("engine_path: transit"));
        for reader in BOTH {
            let out = run_with(
                &sandbox,
                reader,
                &["decrypt", file.to_str().unwrap()],
                &token,
                alice.clone(),
            )
            .expect_success();
            assert_eq!(String::from_utf8_lossy(&out.stdout), PLAIN);
            // One group alone is not enough: both exit 128.
            let out = run_with(
                &sandbox,
                reader,
                &["decrypt", file.to_str().unwrap()],
                &[("VAULT_TOKEN", TOKEN)],
                Identity::None,
            );
            assert_eq!(out.code, Some(128), "{}", out.describe());
        }
    }
}

#[test]
fn the_helm_path_opens_vault_keyed_values_and_resolves_ref_vault() {
    let sandbox = Sandbox::new();
    let vault = VaultServer::builder().token(TOKEN).kv_v2("secret").start();
    vault.put_kv("secret", "app", serde_json::json!({"password": "from-kv"}));
    let uri = vault.key_uri("transit", "helm");
    sandbox.write(
        "values.yaml",
        "db:\n    password: ref+vault://secret/app#/password\n    user: admin\n",
    );
    // The reference encrypts the values file through the server's transit engine.
    let out = run(
        &sandbox,
        Tool::Sops,
        &["encrypt", "--hc-vault-transit", &uri, "values.yaml"],
    )
    .expect_success();
    sandbox.write("values.enc.yaml", &out.stdout);
    let env = [("VAULT_TOKEN", TOKEN), ("VAULT_ADDR", vault.address())];
    let out = run_with(
        &sandbox,
        Tool::SopsRs,
        &["helm", "--backend", "vals", "decrypt", "values.enc.yaml"],
        &env,
        Identity::None,
    )
    .expect_success();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "db:\n    password: from-kv\n    user: admin\n"
    );
    let paths: Vec<String> = vault.recorded().into_iter().map(|r| r.path).collect();
    assert!(
        paths.contains(&"/v1/secret/data/app".to_owned()),
        "{paths:?}"
    );
}
