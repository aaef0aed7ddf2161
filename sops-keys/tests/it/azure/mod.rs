//! `sops_keys::azure` against the Entra ID and Key Vault stand-in, in process, inside a
//! private namespace: the challenge flow, the entry sops writes, the errors.

use sops_core::{KeyEntry, KeySource};
use sops_keys::azure::{AzureKey, AzureKeySource};
use sops_test_support::cloud::azure::{self, AzureServer};
use sops_test_support::netns;

fn set_credentials(secret: &str) {
    for (k, v) in AzureServer::credential_env(secret) {
        std::env::set_var(k, v);
    }
}

#[test]
fn wraps_through_the_challenge_and_unwraps() {
    let Some(ns) = netns::isolate(&AzureServer::host_names()) else {
        return;
    };
    let state = AzureServer::new();
    let server = ns.serve(move |r| state.handle(r));
    set_credentials(azure::CLIENT_SECRET);
    let source = AzureKeySource::new();
    let mut entry = KeyEntry::new("azure_kv");
    entry.set_field("vault_url", AzureServer::key_url(false));
    source.wrap(&mut entry, &[9; 32]).expect("wrap");
    let names: Vec<&str> = entry.fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["vault_url", "name", "version", "created_at", "enc"]);
    assert_eq!(
        entry.field("vault_url"),
        Some(AzureServer::vault_url().as_str())
    );
    assert_eq!(entry.field("version"), Some(azure::KEY_VERSION));
    let enc = entry.field("enc").unwrap();
    assert!(
        !enc.contains(['=', '+', '/']),
        "URL-safe base64 without padding: {enc}"
    );
    let back = source
        .unwrap(&entry)
        .expect("an azure_kv entry")
        .expect("unwrap");
    assert_eq!(back.secret_bytes(), &[9; 32]);

    // The challenge: one unauthenticated request, answered 401, before any token is used;
    // one token for the whole run.
    let requests = server.requests();
    let vault: Vec<_> = requests
        .iter()
        .filter(|r| r.header("host") == Some(azure::VAULT_HOST))
        .collect();
    assert!(vault[0].header("authorization").is_none());
    assert!(
        vault[0].body.is_empty(),
        "the challenge request carries no data"
    );
    assert!(vault[1..]
        .iter()
        .all(|r| r.header("authorization").is_some()));
    let tokens = requests
        .iter()
        .filter(|r| r.path().ends_with("/oauth2/v2.0/token"))
        .count();
    assert_eq!(tokens, 1);
}

#[test]
fn errors_name_the_key_and_not_the_secret() {
    let Some(ns) = netns::isolate(&AzureServer::host_names()) else {
        return;
    };
    let state = AzureServer::new();
    let _server = ns.serve(move |r| state.handle(r));
    set_credentials("a-wrong-secret-value");
    let source = AzureKeySource::new();
    let mut entry = KeyEntry::new("azure_kv");
    entry.set_field("vault_url", AzureServer::key_url(true));
    let error = source.wrap(&mut entry, &[1; 32]).unwrap_err().to_string();
    assert!(error.contains(&AzureServer::key_url(true)), "{error}");
    assert!(error.contains("AADSTS7000215"), "{error}");
    assert!(!error.contains("a-wrong-secret-value"), "{error}");
}

#[test]
fn key_urls_parse_as_sops_parses_them() {
    let key = AzureKey::from_url(" https://v.vault.azure.net/keys/k/abc ").unwrap();
    assert_eq!(
        (
            key.vault_url.as_str(),
            key.name.as_str(),
            key.version.as_str()
        ),
        ("https://v.vault.azure.net", "k", "abc")
    );
    assert_eq!(
        AzureKey::from_url("https://v.vault.azure.net/keys/k")
            .unwrap()
            .version,
        ""
    );
    assert_eq!(
        AzureKey::from_url("https://v.vault.azure.net/keys/k/")
            .unwrap()
            .version,
        ""
    );
    for bad in [
        "http://v/keys/k",
        "https://v/secrets/k",
        "https://v/keys/k/1/2",
        "https:///keys/k",
    ] {
        assert!(AzureKey::from_url(bad).is_err(), "{bad}");
    }
}
