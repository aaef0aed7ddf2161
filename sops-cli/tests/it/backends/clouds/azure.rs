//! Azure Key Vault (`azure_kv`) between sops-rs and the reference sops, through the Entra ID
//! and Key Vault stand-in (`sops_test_support::cloud::azure`) inside a private namespace.
//!
//! Each test first has the reference sops encrypt and decrypt through the stand-in (which is
//! what makes the stand-in trustworthy), then sops-rs opens what the reference wrote and the
//! reference opens what sops-rs wrote.

use super::{azure_kv_entries, Cloud};
use crate::support::Tool;
use sops_test_support::cloud::azure::{self, AzureServer};

fn cloud() -> Option<Cloud> {
    let state = AzureServer::new();
    Cloud::start(&AzureServer::host_names(), move |r| state.handle(r))
        .map(|c| c.with_env(AzureServer::credential_env(azure::CLIENT_SECRET)))
}

#[test]
fn files_open_both_ways() {
    let Some(cloud) = cloud() else { return };
    let url = AzureServer::key_url(true);
    let reference = cloud.encrypt(Tool::Sops, &["--azure-kv", &url], "by-sops.json");
    cloud.assert_decrypts(Tool::Sops, &reference);
    // The stand-in answered the reference through the challenge: a 401 first, then a token.
    let requests = cloud.server.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.path().ends_with("/oauth2/v2.0/token")),
        "the reference never asked Entra ID for a token"
    );
    cloud.assert_decrypts(Tool::SopsRs, &reference);

    let ours = cloud.encrypt(Tool::SopsRs, &["--azure-kv", &url], "by-sops-rs.json");
    cloud.assert_decrypts(Tool::Sops, &ours);
    let (theirs, mine) = (azure_kv_entries(&reference), azure_kv_entries(&ours));
    assert_eq!(mine.len(), 1);
    let keys = |e: &serde_json::Value| e.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        keys(&mine[0]),
        keys(&theirs[0]),
        "azure_kv fields and their order"
    );
    assert_eq!(mine[0]["vault_url"], AzureServer::vault_url());
    assert_eq!(mine[0]["name"], azure::KEY_NAME);
    assert_eq!(mine[0]["version"], azure::KEY_VERSION);
}

#[test]
fn a_key_url_without_version_gets_the_current_one() {
    let Some(cloud) = cloud() else { return };
    let url = AzureServer::key_url(false);
    let env_var = [("SOPS_AZURE_KEYVAULT_URLS", url.as_str())];
    let reference = cloud.encrypt_env(Tool::Sops, &[], &env_var, "by-sops.json");
    let ours = cloud.encrypt_env(Tool::SopsRs, &[], &env_var, "by-sops-rs.json");
    assert_eq!(
        azure_kv_entries(&reference)[0]["version"],
        azure::KEY_VERSION
    );
    assert_eq!(azure_kv_entries(&ours)[0]["version"], azure::KEY_VERSION);
    cloud.assert_decrypts(Tool::Sops, &ours);
    cloud.assert_decrypts(Tool::SopsRs, &reference);
}

#[test]
fn shamir_groups_with_age_rotate_updatekeys_and_groups() {
    let Some(cloud) = cloud() else { return };
    let rule = format!(
        "creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - azure_keyvault:\n          - vaultUrl: {}\n            key: {}\n            version: {}\n      - age: [{}]\n",
        AzureServer::vault_url(),
        azure::KEY_NAME,
        azure::KEY_VERSION,
        cloud.age_recipient()
    );
    cloud.check_group_commands(&rule, "--azure-kv", &AzureServer::key_url(true), "azure_kv");
}

#[test]
fn a_wrong_client_secret_fails_like_sops_with_a_hint() {
    let Some(cloud) = cloud() else { return };
    let url = AzureServer::key_url(true);
    let file = cloud.encrypt(Tool::Sops, &["--azure-kv", &url], "by-sops.json");
    let wrong = AzureServer::credential_env("not-the-secret");
    cloud.check_wrong_credentials(&file, &wrong, &["--azure-kv", &url], "not-the-secret");
}

#[test]
fn no_credentials_fail_like_sops_with_a_hint() {
    let Some(cloud) = cloud() else { return };
    let url = AzureServer::key_url(true);
    let file = cloud.encrypt(Tool::Sops, &["--azure-kv", &url], "by-sops.json");
    let none =
        ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"].map(|k| (k, String::new()));
    cloud.check_wrong_credentials(&file, &none, &["--azure-kv", &url], "");
}
