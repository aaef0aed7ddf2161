//! HuaweiCloud KMS (`hckms`) between sops-rs and the reference sops, through the KMS stand-in
//! (`sops_test_support::cloud::hckms`, which checks every request's AK/SK signature) inside a
//! private namespace.

use super::{entries, Cloud};
use crate::support::Tool;
use sops_test_support::cloud::hckms::{self, HckmsServer};

fn cloud() -> Option<Cloud> {
    let state = HckmsServer::new();
    Cloud::start(&HckmsServer::host_names(), move |r| state.handle(r))
        .map(|c| c.with_env(HckmsServer::credential_env(hckms::SECRET_KEY)))
}

#[test]
fn files_open_both_ways() {
    let Some(cloud) = cloud() else { return };
    let id = HckmsServer::key_id();
    let reference = cloud.encrypt(Tool::Sops, &["--hckms", &id], "by-sops.json");
    cloud.assert_decrypts(Tool::Sops, &reference);
    cloud.assert_decrypts(Tool::SopsRs, &reference);
    let env_var = [("SOPS_HUAWEICLOUD_KMS_IDS", id.as_str())];
    let ours = cloud.encrypt_env(Tool::SopsRs, &[], &env_var, "by-sops-rs.json");
    cloud.assert_decrypts(Tool::Sops, &ours);
    let (theirs, mine) = (entries(&reference, "hckms"), entries(&ours, "hckms"));
    let keys = |e: &serde_json::Value| e.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        keys(&mine[0]),
        keys(&theirs[0]),
        "hckms fields and their order"
    );
    assert_eq!(mine[0]["key_id"], id);
}

#[test]
fn shamir_groups_with_age_rotate_updatekeys_and_groups() {
    let Some(cloud) = cloud() else { return };
    let rule = format!(
        "creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - hckms:\n          - key_id: {}\n      - age: [{}]\n",
        HckmsServer::key_id(),
        cloud.age_recipient()
    );
    cloud.check_group_commands(&rule, "--hckms", &HckmsServer::key_id(), "hckms");
}

#[test]
fn a_wrong_secret_key_fails_like_sops_with_a_hint() {
    let Some(cloud) = cloud() else { return };
    let id = HckmsServer::key_id();
    let file = cloud.encrypt(Tool::Sops, &["--hckms", &id], "by-sops.json");
    let wrong = HckmsServer::credential_env("not-the-secret-key");
    cloud.check_wrong_credentials(&file, &wrong, &["--hckms", &id], "not-the-secret-key");
}

#[test]
fn no_credentials_fail_like_sops_with_a_hint() {
    let Some(cloud) = cloud() else { return };
    let id = HckmsServer::key_id();
    let file = cloud.encrypt(Tool::Sops, &["--hckms", &id], "by-sops.json");
    let none = ["HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK"].map(|k| (k, String::new()));
    cloud.check_wrong_credentials(&file, &none, &["--hckms", &id], "");
}

#[test]
fn without_a_project_id_both_look_it_up_in_iam() {
    let Some(cloud) = cloud() else { return };
    let id = HckmsServer::key_id();
    let file = cloud.encrypt(Tool::SopsRs, &["--hckms", &id], "by-sops-rs.json");
    for tool in [Tool::Sops, Tool::SopsRs] {
        let out = cloud
            .cmd(tool)
            .env("HUAWEICLOUD_SDK_PROJECT_ID", "")
            .identity(crate::support::Identity::None)
            .args(["decrypt", "--input-type", "json"])
            .arg(&file)
            .run();
        assert!(out.success(), "{}", out.describe());
    }
    let iam: Vec<String> = cloud
        .server
        .requests()
        .iter()
        .filter(|r| r.path() == "/v3/projects")
        .map(|r| r.header("host").unwrap_or("").to_owned())
        .collect();
    assert_eq!(iam.len(), 2, "each tool asked IAM once: {iam:?}");
}
