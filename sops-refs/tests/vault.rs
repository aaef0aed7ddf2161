//! Tests of `ref+vault://` against the Vault test server of `sops-test-support` (KV v1 and v2
//! mounts), with a [`RefEnv`] holding only the Vault variables each test names. Needs the
//! feature `vault`. (The server's transit half is checked against the reference sops in the
//! sops-keys and sops-cli tests; its KV half follows Vault's documented read API.)

use serde_json::json;
use sops_refs::{RefEnv, Resolver};
use sops_test_support::vault::VaultServer;
use std::path::Path;

const TOKEN: &str = "s.refs-test-token";

fn server() -> VaultServer {
    let vault = VaultServer::builder()
        .token(TOKEN)
        .kv_v1("kv1")
        .kv_v2("secret")
        .start();
    vault.put_kv("kv1", "app", json!({"password": "v1-pass", "port": 5432}));
    vault.put_kv("secret", "team/app", json!({"password": "old-pass"}));
    vault.put_kv(
        "secret",
        "team/app",
        json!({"password": "new-pass", "port": 6543, "cfg": {"tls": true}}),
    );
    vault
}

fn env(vault: &VaultServer) -> RefEnv {
    RefEnv::new()
        .with("VAULT_ADDR", vault.address())
        .with("VAULT_TOKEN", TOKEN)
}

fn resolve(env: &RefEnv, yaml: &str) -> Result<String, String> {
    Resolver::new(env)
        .resolve_yaml(yaml.as_bytes(), Path::new("values.yaml"))
        .map(|out| String::from_utf8(out).unwrap())
        .map_err(|e| e.to_string())
}

#[test]
fn kv_v1_and_v2_secrets_resolve_with_and_without_fragments() {
    let vault = server();
    let out = resolve(
        &env(&vault),
        "a: ref+vault://kv1/app#/password\n\
         b: ref+vault://kv1/app#/port\n\
         c: ref+vault://secret/team/app#/password\n\
         d: ref+vault://secret/team/app#/cfg\n\
         e: ref+vault://secret/team/app/port\n\
         f: ref+vault://secret/team/app?version=1#/password\n\
         g: \"url-ref+vault://kv1/app/password+-end\"\n",
    )
    .unwrap();
    assert_eq!(
        out,
        "a: v1-pass\nb: 5432\nc: new-pass\nd:\n    tls: true\ne: \"6543\"\nf: old-pass\n\
         g: url-v1-pass-end\n"
    );
    // v2 reads went to MOUNT/data/PATH after the preflight.
    let paths: Vec<String> = vault.recorded().into_iter().map(|r| r.path).collect();
    assert!(paths.contains(&"/v1/sys/internal/ui/mounts/secret/team/app".to_owned()));
    assert!(
        paths.contains(&"/v1/secret/data/team/app".to_owned()),
        "{paths:?}"
    );
    assert!(paths.contains(&"/v1/kv1/app".to_owned()), "{paths:?}");
}

#[test]
fn the_token_comes_from_token_env_token_file_vault_token_or_the_home_file() {
    let vault = server();
    let home = tempfile::tempdir().unwrap();
    let address = vault.address().to_owned();
    let base = RefEnv::new()
        .with("VAULT_ADDR", &address)
        .with("HOME", home.path().to_str().unwrap());
    // No token anywhere: Vault refuses, and the message names the request, not a token.
    let err = resolve(&base, "a: ref+vault://kv1/app#/password\n").unwrap_err();
    assert!(err.contains("permission denied"), "{err}");
    assert!(err.contains("ref+vault://kv1/app#/password"), "{err}");

    std::fs::write(home.path().join(".vault-token"), format!("{TOKEN}\n")).unwrap();
    assert_eq!(
        resolve(&base, "a: ref+vault://kv1/app#/password\n").unwrap(),
        "a: v1-pass\n"
    );
    // VAULT_TOKEN wins over the file; a wrong one is refused without being shown.
    let wrong = base.clone().with("VAULT_TOKEN", "s.not-the-token");
    let err = resolve(&wrong, "a: ref+vault://kv1/app#/password\n").unwrap_err();
    assert!(
        err.contains("403") && !err.contains("s.not-the-token"),
        "{err}"
    );
    // token_env and token_file win over both.
    let named = wrong.clone().with("MY_VAULT_TOKEN", TOKEN);
    assert_eq!(
        resolve(
            &named,
            "a: ref+vault://kv1/app?token_env=MY_VAULT_TOKEN#/password\n"
        )
        .unwrap(),
        "a: v1-pass\n"
    );
    let err = resolve(
        &wrong,
        "a: ref+vault://kv1/app?token_env=UNSET_VAR#/password\n",
    )
    .unwrap_err();
    assert!(err.contains("UNSET_VAR"), "{err}");
    let file = home.path().join("other-token");
    std::fs::write(&file, TOKEN).unwrap();
    let with_file = format!(
        "a: ref+vault://kv1/app?token_file={}#/password\n",
        file.display()
    );
    assert_eq!(resolve(&wrong, &with_file).unwrap(), "a: v1-pass\n");
}

#[test]
fn address_namespace_and_auth_method_follow_vals() {
    let vault = VaultServer::builder()
        .token(TOKEN)
        .namespace("ns1")
        .kv_v2("secret")
        .start();
    vault.put_kv("secret", "db", json!({"user": "admin"}));
    // The address and namespace as parameters, VAULT_ADDR pointing elsewhere.
    let env = RefEnv::new()
        .with("VAULT_ADDR", "http://127.0.0.1:1")
        .with("VAULT_TOKEN", TOKEN);
    let yaml = format!(
        "u: ref+vault://secret/db?address={}&namespace=ns1#/user\n",
        vault.address()
    );
    assert_eq!(resolve(&env, &yaml).unwrap(), "u: admin\n");
    assert!(vault
        .recorded()
        .iter()
        .all(|r| r.namespace.as_deref() == Some("ns1")));
    // VAULT_NAMESPACE is the default.
    let env = RefEnv::new()
        .with("VAULT_ADDR", vault.address())
        .with("VAULT_TOKEN", TOKEN)
        .with("VAULT_NAMESPACE", "ns1");
    assert_eq!(
        resolve(&env, "u: ref+vault://secret/db#/user\n").unwrap(),
        "u: admin\n"
    );
    let err = resolve(&env, "u: ref+vault://secret/db?auth_method=approle#/user\n").unwrap_err();
    assert!(
        err.contains("auth_method \"approle\" is not supported"),
        "{err}"
    );
}

#[test]
fn missing_secrets_and_fields_are_named() {
    let vault = server();
    let env = env(&vault);
    let err = resolve(&env, "a: ref+vault://secret/nope#/x\n").unwrap_err();
    assert!(
        err.contains("no secret found for path \"secret/nope\""),
        "{err}"
    );
    let err = resolve(&env, "a: ref+vault://kv1/app/missing\n").unwrap_err();
    assert!(err.contains("key \"missing\" does not exist"), "{err}");
    let err = resolve(&env, "a: ref+vault://secret/team/app?version=9#/password\n").unwrap_err();
    assert!(err.contains("no secret found"), "{err}");
    // No resolved value ever appears in a message.
    assert!(
        !err.contains("new-pass") && !err.contains("old-pass"),
        "{err}"
    );
}
