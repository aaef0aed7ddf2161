//! GCP Cloud KMS (`gcp_kms`) between sops-rs and the reference sops, through the KMS and OAuth
//! stand-in (`sops_test_support::cloud::gcp`) inside a private namespace. The reference uses
//! its REST client (`SOPS_GCP_KMS_CLIENT_TYPE=rest`): the stand-in does not serve gRPC.

use super::{entries, Cloud};
use crate::support::Tool;
use sops_test_support::cloud::gcp::{self, GcpServer};

fn cloud() -> Option<Cloud> {
    let state = GcpServer::new();
    Cloud::start(&GcpServer::host_names(), move |r| state.handle(r)).map(|c| {
        c.with_env(vec![
            ("SOPS_GCP_KMS_CLIENT_TYPE", "rest".into()),
            ("GOOGLE_OAUTH_ACCESS_TOKEN", gcp::ACCESS_TOKEN.into()),
        ])
    })
}

#[test]
fn files_open_both_ways() {
    let Some(cloud) = cloud() else { return };
    let id = gcp::RESOURCE_ID;
    let reference = cloud.encrypt(Tool::Sops, &["--gcp-kms", id], "by-sops.json");
    cloud.assert_decrypts(Tool::Sops, &reference);
    cloud.assert_decrypts(Tool::SopsRs, &reference);
    let env_var = [("SOPS_GCP_KMS_IDS", id)];
    let ours = cloud.encrypt_env(Tool::SopsRs, &[], &env_var, "by-sops-rs.json");
    cloud.assert_decrypts(Tool::Sops, &ours);
    let (theirs, mine) = (entries(&reference, "gcp_kms"), entries(&ours, "gcp_kms"));
    let keys = |e: &serde_json::Value| e.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        keys(&mine[0]),
        keys(&theirs[0]),
        "gcp_kms fields and their order"
    );
    assert_eq!(mine[0]["resource_id"], id);
}

#[test]
fn service_account_and_authorized_user_files() {
    let Some(cloud) = cloud() else { return };
    let id = gcp::RESOURCE_ID;
    let sa = cloud
        .sandbox
        .write("sa.json", GcpServer::service_account_json());
    let user = cloud
        .sandbox
        .write("user.json", GcpServer::authorized_user_json());
    let file = cloud.encrypt(Tool::SopsRs, &["--gcp-kms", id], "file.json");
    let sa = sa.to_str().unwrap();
    let user = user.to_str().unwrap();
    for (name, value) in [
        ("GOOGLE_APPLICATION_CREDENTIALS", sa),
        ("GOOGLE_CREDENTIALS", sa),
        ("GOOGLE_APPLICATION_CREDENTIALS", user),
    ] {
        for tool in [Tool::Sops, Tool::SopsRs] {
            let out = cloud
                .cmd(tool)
                .env("GOOGLE_OAUTH_ACCESS_TOKEN", "")
                .env(name, value)
                .identity(crate::support::Identity::None)
                .args(["decrypt", "--input-type", "json"])
                .arg(&file)
                .run();
            assert!(out.success(), "{name}={value}: {}", out.describe());
        }
    }
}

#[test]
fn shamir_groups_with_age_rotate_updatekeys_and_groups() {
    let Some(cloud) = cloud() else { return };
    let rule = format!(
        "creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - gcp_kms:\n          - resource_id: {}\n      - age: [{}]\n",
        gcp::RESOURCE_ID,
        cloud.age_recipient()
    );
    cloud.check_group_commands(&rule, "--gcp-kms", gcp::RESOURCE_ID, "gcp_kms");
}

#[test]
fn a_wrong_access_token_fails_like_sops_with_a_hint() {
    let Some(cloud) = cloud() else { return };
    let id = gcp::RESOURCE_ID;
    let file = cloud.encrypt(Tool::Sops, &["--gcp-kms", id], "by-sops.json");
    let wrong = vec![("GOOGLE_OAUTH_ACCESS_TOKEN", "ya29.not-the-token".to_owned())];
    cloud.check_wrong_credentials(&file, &wrong, &["--gcp-kms", id], "ya29.not-the-token");
}

#[test]
fn no_credentials_fail_like_sops_with_a_hint() {
    let Some(cloud) = cloud() else { return };
    let id = gcp::RESOURCE_ID;
    let file = cloud.encrypt(Tool::Sops, &["--gcp-kms", id], "by-sops.json");
    let none = [("GOOGLE_OAUTH_ACCESS_TOKEN", String::new())];
    cloud.check_wrong_credentials(&file, &none, &["--gcp-kms", id], "");
}
