//! PGP, AWS KMS (moto) and Vault transit keys through a `sops-rs keyservice`: the service holds
//! the GnuPG secret key, the AWS credentials or the Vault token, the client holds none of them and keeps its local key service
//! on (sops's default), so the local attempt fails and the service answers. The reference
//! client checks the same files through the same service.

use super::support::{Kms, Service};
use crate::support::{fixture, Identity, Sandbox, Tool};
use sops_test_support::vault::VaultServer;

const PLAIN: &str = "token: s3cr3t\n";

/// The fingerprint of `fixtures/keys/pgp-ed25519.*`.
const ED25519_FP: &str = "CC8CB3591DF8BB3CDE1036B4045E0B7A37651994";

/// Encrypts `PLAIN` with sops-rs through `service` (key flag `flag VALUE`), decrypts it with
/// sops-rs and the reference through it, and returns the encrypted text.
fn through(
    sandbox: &Sandbox,
    service: &Service,
    key: [&str; 2],
    client_env: &[(&str, String)],
) -> String {
    let plain = sandbox.write("plain.yaml", PLAIN);
    let no_gpg = sandbox.file("empty-gnupg");
    std::fs::create_dir_all(&no_gpg).expect("an empty GNUPGHOME");
    crate::support::set_mode(&no_gpg, 0o700);
    let client = |tool: Tool| {
        let mut cmd = sandbox
            .cmd(tool)
            .identity(Identity::None)
            .env("GNUPGHOME", &no_gpg)
            .env("SOPS_KEYSERVICE", service.uri());
        for (name, value) in client_env {
            cmd = cmd.env(name, value);
        }
        cmd
    };
    let encrypted = client(Tool::SopsRs)
        .arg("encrypt")
        .args(key)
        .arg(&plain)
        .run()
        .expect_success();
    let file = sandbox.write("enc.yaml", &encrypted.stdout);
    for tool in [Tool::SopsRs, Tool::Sops] {
        let out = client(tool)
            .arg("decrypt")
            .arg(&file)
            .run()
            .expect_success();
        assert_eq!(String::from_utf8_lossy(&out.stdout), PLAIN, "{tool:?}");
    }
    let alone = sandbox
        .cmd(Tool::SopsRs)
        .identity(Identity::None)
        .env("GNUPGHOME", &no_gpg)
        .arg("decrypt")
        .arg(&file)
        .run();
    assert_eq!(alone.code, Some(128), "{}", alone.describe());
    String::from_utf8_lossy(&encrypted.stdout).into_owned()
}

#[test]
fn pgp_keys_work_through_the_service() {
    let sandbox = Sandbox::new();
    sandbox.import_pgp_key(&fixture("keys/pgp-ed25519.secret.asc"));
    let service = Service::start(&sandbox, Tool::SopsRs, &[], &[]);
    let text = through(&sandbox, &service, ["--pgp", ED25519_FP], &[]);
    assert!(text.contains(&format!("fp: {ED25519_FP}")), "{text}");
    assert!(text.contains("-----BEGIN PGP MESSAGE-----"), "{text}");
}

#[test]
fn kms_keys_work_through_the_service() {
    let sandbox = Sandbox::new();
    let kms = Kms::start();
    let service = Service::start(&sandbox, Tool::SopsRs, &[], &kms.env());
    // The client knows where KMS is but has no credentials: only the service can call it.
    let client_env = [
        ("AWS_ENDPOINT_URL", kms.endpoint()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        (
            "AWS_CONFIG_FILE",
            sandbox.file("none").display().to_string(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            sandbox.file("none").display().to_string(),
        ),
    ];
    let text = through(&sandbox, &service, ["--kms", &kms.arn], &client_env);
    assert!(text.contains(&format!("arn: {}", kms.arn)), "{text}");
    assert!(text.contains("aws_profile: \"\""), "{text}");
    assert!(kms.decrypts() >= 2, "the service called KMS Decrypt");
}

#[test]
fn vault_keys_work_through_the_service() {
    const TOKEN: &str = "s.keyservice-vault-token";
    let sandbox = Sandbox::new();
    let vault = VaultServer::builder().token(TOKEN).start();
    let uri = vault.key_uri("transit", "through-service");
    // The stand-in is trusted only because the reference's own Vault client works through it.
    let plain = sandbox.write("reference-plain.yaml", PLAIN);
    let reference = sandbox
        .cmd(Tool::Sops)
        .identity(Identity::None)
        .env("VAULT_TOKEN", TOKEN)
        .args(["encrypt", "--hc-vault-transit", &uri])
        .arg(&plain)
        .run()
        .expect_success();
    let reference_file = sandbox.write("reference-enc.yaml", &reference.stdout);
    let service = Service::start(
        &sandbox,
        Tool::SopsRs,
        &[],
        &[("VAULT_TOKEN", TOKEN.to_owned())],
    );
    // The clients have no token (no VAULT_TOKEN, no ~/.vault-token in the sandbox's home).
    let text = through(&sandbox, &service, ["--hc-vault-transit", &uri], &[]);
    assert!(text.contains("key_name: through-service"), "{text}");
    assert!(text.contains("enc: vault:v1:"), "{text}");
    let out = sandbox
        .cmd(Tool::SopsRs)
        .identity(Identity::None)
        .env("SOPS_KEYSERVICE", service.uri())
        .arg("decrypt")
        .arg(&reference_file)
        .run()
        .expect_success();
    assert_eq!(String::from_utf8_lossy(&out.stdout), PLAIN);
}
