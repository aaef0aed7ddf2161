//! What fails, fails as in sops: a wrong token, a server that is down or never answers, a TLS
//! certificate from a CA that is not trusted. Messages name the key URI, never the token.

use super::{run, run_with, vault, BOTH, PLAIN, TOKEN};
use crate::support::{Identity, Sandbox, Tool};
use sops_test_support::vault::{closed_address, silent_address, VaultServer};

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
