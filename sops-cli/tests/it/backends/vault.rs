//! Vault transit master keys (`hc_vault`) against the reference sops, both talking to the Vault
//! test server of `sops-test-support` (the reference through Vault's official Go client). Every
//! test has the reference encrypt or decrypt through the server first; that is what makes the
//! server worth trusting. Then files go both ways: reference-written files open in sops-rs and
//! sops-rs-written files open in the reference, alone and in Shamir key groups with age, after
//! `rotate`, `updatekeys` and `groups add`. Failures (wrong token, server down, no answer) exit
//! as sops exits and name the key URI, never the token.

use crate::support::{age_key_path, age_recipient, Identity, Output, Sandbox, Tool};
use sops_test_support::vault::{closed_address, silent_address, VaultServer};
use std::path::Path;

const TOKEN: &str = "s.cli-vault-test-token";
const PLAIN: &str = "db:\n    user: admin\n    password: hunter2\n";
const BOTH: [Tool; 2] = [Tool::Sops, Tool::SopsRs];

fn vault() -> VaultServer {
    VaultServer::builder().token(TOKEN).start()
}

/// Runs `tool` with the Vault token and no age identity.
fn run(sandbox: &Sandbox, tool: Tool, args: &[&str]) -> Output {
    run_with(
        sandbox,
        tool,
        args,
        &[("VAULT_TOKEN", TOKEN)],
        Identity::None,
    )
}

fn run_with(
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

fn decrypts_to_plain(sandbox: &Sandbox, tool: Tool, file: &Path) {
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

#[test]
fn a_wrong_token_fails_as_in_sops_and_names_the_key_not_the_token() {
    let sandbox = Sandbox::new();
    let vault = vault();
    let uri = vault.key_uri("transit", "denied");
    sandbox.write("plain.yaml", PLAIN);
    let out = run(
        &sandbox,
        Tool::Sops,
        &["encrypt", "--hc-vault-transit", &uri, "plain.yaml"],
    )
    .expect_success();
    let file = sandbox.write("denied.yaml", &out.stdout);
    let bad = [("VAULT_TOKEN", "s.wrong-token-value")];
    let mut codes = Vec::new();
    for tool in BOTH {
        let out = run_with(
            &sandbox,
            tool,
            &["decrypt", file.to_str().unwrap()],
            &bad,
            Identity::None,
        );
        let stderr = out.stderr_text();
        assert!(
            !stderr.contains("s.wrong-token-value"),
            "{}",
            out.describe()
        );
        assert!(stderr.contains("permission denied"), "{}", out.describe());
        codes.push(out.code);
        if tool == Tool::SopsRs {
            assert!(stderr.contains(&uri), "{}", out.describe());
        }
        // Encrypting fails the same way.
        let out = run_with(
            &sandbox,
            tool,
            &["encrypt", "--hc-vault-transit", &uri, "plain.yaml"],
            &bad,
            Identity::None,
        );
        codes.push(out.code);
        assert!(!out.stderr_text().contains("s.wrong-token-value"));
    }
    assert_eq!(
        codes[..2],
        codes[2..],
        "sops, then sops-rs: decrypt and encrypt codes"
    );
    assert_eq!(codes[0], Some(128));
}

#[test]
fn a_server_that_is_down_or_silent_fails_with_a_message_that_says_so() {
    let sandbox = Sandbox::new();
    sandbox.write("plain.yaml", PLAIN);
    let down = format!("{}/v1/transit/keys/down", closed_address());
    let mut codes = Vec::new();
    for tool in BOTH {
        let out = run(
            &sandbox,
            tool,
            &["encrypt", "--hc-vault-transit", &down, "plain.yaml"],
        );
        assert!(!out.success(), "{}", out.describe());
        codes.push(out.code);
        if tool == Tool::SopsRs {
            assert!(out.stderr_text().contains(&down), "{}", out.describe());
            assert!(
                out.stderr_text().contains("is Vault running"),
                "{}",
                out.describe()
            );
        }
    }
    assert_eq!(codes[0], codes[1]);
    // A server that accepts and never answers: the request times out and says so.
    let (address, _listener) = silent_address();
    let slow = format!("{address}/v1/transit/keys/slow");
    let out = run_with(
        &sandbox,
        Tool::SopsRs,
        &["encrypt", "--hc-vault-transit", &slow, "plain.yaml"],
        &[("VAULT_TOKEN", TOKEN), ("VAULT_CLIENT_TIMEOUT", "1")],
        Identity::None,
    );
    assert_eq!(out.code, codes[0], "{}", out.describe());
    assert!(
        out.stderr_text().contains("timed out"),
        "{}",
        out.describe()
    );
    assert!(out.stderr_text().contains(&slow), "{}", out.describe());
}

#[test]
fn https_is_trusted_through_vault_cacert() {
    let sandbox = Sandbox::new();
    let vault = VaultServer::builder().token(TOKEN).tls().start();
    let ca = vault.ca_file().unwrap().to_str().unwrap().to_owned();
    let uri = vault.key_uri("transit", "tls");
    sandbox.write("plain.yaml", PLAIN);
    let env = [("VAULT_TOKEN", TOKEN), ("VAULT_CACERT", ca.as_str())];
    let out = run_with(
        &sandbox,
        Tool::Sops,
        &["encrypt", "--hc-vault-transit", &uri, "plain.yaml"],
        &env,
        Identity::None,
    )
    .expect_success();
    let file = sandbox.write("tls.yaml", &out.stdout);
    let f = file.to_str().unwrap();
    let out = run_with(
        &sandbox,
        Tool::SopsRs,
        &["decrypt", f],
        &env,
        Identity::None,
    )
    .expect_success();
    assert_eq!(String::from_utf8_lossy(&out.stdout), PLAIN);
    // Without the CA both refuse the server's certificate.
    for tool in BOTH {
        let out = run(&sandbox, tool, &["decrypt", f]);
        assert_eq!(out.code, Some(128), "{}", out.describe());
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
