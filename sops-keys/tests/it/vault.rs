//! The Vault transit backend against the Vault test server of `sops-test-support`: first the
//! reference sops (Vault's Go client) encrypts through the server and this backend unwraps what
//! it wrote, which is what makes the server worth trusting; then this backend's own wrap and
//! unwrap, the token, namespace, TLS trust, allowlist and timeout rules, and error text.
#![cfg(feature = "vault")]

use sops_core::store::Format;
use sops_core::{KeyEntry, KeySource, Metadata};
use sops_keys::vault::{parse_uri_list, VaultKeySource, VaultSettings};
use sops_test_support::reference_sops_command;
use sops_test_support::vault::{closed_address, silent_address, VaultServer};
use std::collections::HashMap;
use std::process::Command;

const TOKEN: &str = "s.sops-keys-test-token";

/// Settings from exactly these variables (no process environment).
fn settings(vars: &[(&str, &str)]) -> VaultSettings {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    VaultSettings::from_lookup(&|name| vars.get(name).cloned())
}

fn source(vars: &[(&str, &str)]) -> VaultKeySource {
    VaultKeySource::with_settings(settings(vars))
}

fn entry(uri: &str) -> KeyEntry {
    parse_uri_list(uri).unwrap().remove(0)
}

/// The message of an unwrap that must fail (the data key has no `Debug`).
fn failure(result: Option<Result<sops_core::SecretBytes, sops_core::KeyError>>) -> String {
    match result.expect("an hc_vault entry") {
        Ok(_) => panic!("the unwrap succeeded"),
        Err(e) => e.to_string(),
    }
}

fn names(entry: &KeyEntry) -> Vec<&str> {
    entry.fields.iter().map(|(k, _)| k.as_str()).collect()
}

/// Runs the reference sops in `dir` with only the Vault variables given.
fn reference(dir: &std::path::Path, vars: &[(&str, &str)]) -> Command {
    let mut command = reference_sops_command();
    command.current_dir(dir).env("HOME", dir);
    for name in [
        "VAULT_TOKEN",
        "VAULT_ADDR",
        "VAULT_NAMESPACE",
        "VAULT_CACERT",
    ] {
        command.env_remove(name);
    }
    for (k, v) in vars {
        command.env(k, v);
    }
    command
}

#[test]
fn the_reference_wraps_through_the_server_and_this_backend_unwraps_it() {
    let vault = VaultServer::builder().token(TOKEN).start();
    let uri = vault.key_uri("transit", "interop");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("plain.yaml"), "password: hunter2\n").unwrap();
    let out = reference(dir.path(), &[("VAULT_TOKEN", TOKEN)])
        .args(["encrypt", "--hc-vault-transit", &uri, "plain.yaml"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The reference really went through the server.
    let recorded = vault.recorded();
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(
        (recorded[0].path.as_str(), recorded[0].status),
        ("/v1/transit/encrypt/interop", 200)
    );
    let (_, node) = Format::Yaml.store().load_encrypted(&out.stdout).unwrap();
    let metadata = Metadata::from_mapping(&node).unwrap();
    let written = &metadata.key_groups[0][0];
    assert_eq!(
        names(written),
        [
            "vault_address",
            "engine_path",
            "key_name",
            "created_at",
            "enc"
        ]
    );
    assert_eq!(written.field("vault_address"), Some(vault.address()));
    assert!(written.field("enc").unwrap().starts_with("vault:v1:"));

    let key = source(&[("VAULT_TOKEN", TOKEN)])
        .unwrap(written)
        .expect("an hc_vault entry")
        .expect("the server decrypts what the reference wrapped");
    assert_eq!(key.secret_bytes().len(), 32);

    // And the other way: a data key this backend wrapped opens in the reference's file.
    let mut ours = entry(&uri);
    source(&[("VAULT_TOKEN", TOKEN)])
        .wrap(&mut ours, key.secret_bytes())
        .unwrap();
    assert_eq!(names(&ours), names(written));
    let text = String::from_utf8(out.stdout).unwrap();
    let swapped = text.replace(written.field("enc").unwrap(), ours.field("enc").unwrap());
    assert_ne!(swapped, text);
    std::fs::write(dir.path().join("swapped.yaml"), swapped).unwrap();
    let out = reference(dir.path(), &[("VAULT_TOKEN", TOKEN)])
        .args(["decrypt", "swapped.yaml"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "password: hunter2\n");
}

#[test]
fn wrap_and_unwrap_send_the_token_and_namespace() {
    let vault = VaultServer::builder()
        .token(TOKEN)
        .namespace("team/a")
        .transit("team-transit")
        .start();
    let mut e = entry(&vault.key_uri("team-transit", "app"));
    let src = source(&[("VAULT_TOKEN", TOKEN), ("VAULT_NAMESPACE", "team/a")]);
    src.wrap(&mut e, &[9; 32]).unwrap();
    assert_eq!(e.field("engine_path"), Some("team-transit"));
    assert!(sops_core::internal::parse_rfc3339(e.field("created_at").unwrap()).is_some());
    let key = src.unwrap(&e).unwrap().unwrap();
    assert_eq!(key.secret_bytes(), &[9; 32]);
    let recorded = vault.recorded();
    assert!(recorded
        .iter()
        .all(|r| r.namespace.as_deref() == Some("team/a") && r.authorized));

    // Without the namespace, Vault refuses, and the message names the key, not the token.
    let error = failure(source(&[("VAULT_TOKEN", TOKEN)]).unwrap(&e));
    assert!(
        error.contains(&vault.key_uri("team-transit", "app")),
        "{error}"
    );
    assert!(
        error.contains("403") && error.contains("permission denied"),
        "{error}"
    );
    assert!(error.contains("VAULT_NAMESPACE"), "{error}");
    assert!(!error.contains(TOKEN), "{error}");
}

#[test]
fn the_token_file_is_used_when_vault_token_is_unset() {
    let vault = VaultServer::builder().token(TOKEN).start();
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join(".vault-token"), format!("{TOKEN}\n")).unwrap();
    let home_dir = home.path().to_str().unwrap();
    let mut e = entry(&vault.key_uri("transit", "file"));
    source(&[("HOME", home_dir)])
        .wrap(&mut e, &[1; 32])
        .unwrap();
    // VAULT_TOKEN wins over the file.
    let wrong = failure(source(&[("HOME", home_dir), ("VAULT_TOKEN", "s.wrong-token")]).unwrap(&e));
    assert!(wrong.contains("permission denied"), "{wrong}");
    assert!(!wrong.contains("s.wrong-token"), "{wrong}");
}

#[test]
fn tls_is_trusted_through_vault_cacert_only() {
    let vault = VaultServer::builder().token(TOKEN).tls().start();
    let ca = vault.ca_file().unwrap().to_str().unwrap().to_owned();
    let uri = vault.key_uri("transit", "tls");
    assert!(uri.starts_with("https://127.0.0.1:"));
    let mut e = entry(&uri);
    source(&[("VAULT_TOKEN", TOKEN), ("VAULT_CACERT", &ca)])
        .wrap(&mut e, &[2; 32])
        .unwrap();
    // Without the CA (the system's roots, or SSL_CERT_FILE naming another bundle) the
    // certificate is refused.
    let refused = failure(source(&[("VAULT_TOKEN", TOKEN)]).unwrap(&e));
    assert!(refused.contains(&uri), "{refused}");
    assert!(refused.contains("VAULT_CACERT"), "{refused}");
    // The reference, through the Go client, trusts it through the same variable.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.yaml"), "a: b\n").unwrap();
    let out = reference(dir.path(), &[("VAULT_TOKEN", TOKEN), ("VAULT_CACERT", &ca)])
        .args(["encrypt", "--hc-vault-transit", &uri, "p.yaml"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_allowlist_is_checked_before_any_request() {
    let vault = VaultServer::builder().token(TOKEN).start();
    let mut e = entry(&vault.key_uri("transit", "allow"));
    let allowed = format!("{}/", vault.address());
    source(&[
        ("VAULT_TOKEN", TOKEN),
        ("SOPS_HC_VAULT_ALLOWLIST", &allowed),
    ])
    .wrap(&mut e, &[3; 32])
    .unwrap();
    let before = vault.recorded().len();
    for (list, message) in [
        (
            "none",
            format!("Allowlist does not allow {}", vault.address()),
        ),
        (
            "https://elsewhere:8200",
            format!("Allowlist does not allow {}", vault.address()),
        ),
        (
            "a,,b",
            "SOPS_HC_VAULT_ALLOWLIST's entry 2 is empty".to_owned(),
        ),
    ] {
        let error = failure(
            source(&[("VAULT_TOKEN", TOKEN), ("SOPS_HC_VAULT_ALLOWLIST", list)]).unwrap(&e),
        );
        assert!(error.contains(&message), "{list}: {error}");
    }
    assert_eq!(vault.recorded().len(), before);
}

#[test]
fn a_server_that_never_answers_times_out_and_says_so() {
    let (address, _listener) = silent_address();
    let uri = format!("{address}/v1/transit/keys/slow");
    let mut e = entry(&uri);
    let error = source(&[("VAULT_TOKEN", TOKEN), ("VAULT_CLIENT_TIMEOUT", "1")])
        .wrap(&mut e, &[4; 32])
        .unwrap_err()
        .to_string();
    assert!(error.contains(&uri), "{error}");
    assert!(error.contains("timed out"), "{error}");
    assert!(error.contains("VAULT_CLIENT_TIMEOUT"), "{error}");

    let closed = format!("{}/v1/transit/keys/down", closed_address());
    let error = source(&[("VAULT_TOKEN", TOKEN)])
        .wrap(&mut entry(&closed), &[4; 32])
        .unwrap_err()
        .to_string();
    assert!(error.contains(&closed), "{error}");
    assert!(error.contains("is Vault running"), "{error}");
}

#[test]
fn malformed_entries_and_ciphertexts_are_errors_not_panics() {
    let vault = VaultServer::builder().token(TOKEN).start();
    let src = source(&[("VAULT_TOKEN", TOKEN)]);
    let mut e = entry(&vault.key_uri("transit", "m"));
    src.wrap(&mut e, &[5; 32]).unwrap();
    e.set_field("enc", "vault:v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    let error = failure(src.unwrap(&e));
    assert!(error.contains("message authentication failed"), "{error}");
    e.set_field("enc", "");
    let error = failure(src.unwrap(&e));
    assert!(error.contains("no enc field"), "{error}");
    let mut bare = KeyEntry::new("hc_vault");
    bare.set_field("vault_address", "https://vault:8200");
    assert!(src.unwrap(&bare).unwrap().is_err());
    assert!(src.unwrap(&KeyEntry::new("age")).is_none());
}
