//! How the KMS backend is configured and how it fails when endpoints misbehave.
//!
//! * Only the environment, as the CLI uses it: `AWS_ENDPOINT_URL_KMS` / `AWS_ENDPOINT_URL_STS`,
//!   credentials from `AWS_ACCESS_KEY_ID`, and `aws_profile` reading
//!   `AWS_SHARED_CREDENTIALS_FILE` (a named profile beats the environment's keys, as in sops).
//!   The test process's environment is never changed: the test re-runs its own binary as a
//!   child with the variables set, and the child does the work when it sees [`CHILD_ARN`].
//! * An endpoint that never answers hits the timeout; an STS that refuses the role gives an
//!   error naming role and key. Both use small local stand-ins, not moto.
#![cfg(feature = "kms")]

use super::support::{requests_for, signing_key_id, Moto, REGION, ROLE};
use sops_core::KeyEntry;
use sops_core::KeySource;
use sops_keys::kms::{KmsCredentials, KmsKey, KmsKeySource, KmsOptions};
use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

/// Set in the child: the ARN to use.
const CHILD_ARN: &str = "SOPS_RS_KMS_TEST_CHILD_ARN";
/// The child's test, as the test harness names it (the module path without the crate).
fn test_name() -> String {
    let module = module_path!().split_once("::").map_or("", |(_, rest)| rest);
    format!("{module}::the_default_chain_reads_the_environment")
}

#[test]
fn the_default_chain_reads_the_environment() {
    if let Ok(arn) = std::env::var(CHILD_ARN) {
        return child(&arn);
    }
    let moto = Moto::start();
    let arn = moto.create_key(REGION);
    let credentials = moto.dir().join("credentials");
    std::fs::write(
        &credentials,
        "[moto-profile]\naws_access_key_id = profilekey\naws_secret_access_key = x\n",
    )
    .unwrap();
    let none = moto.dir().join("no-such-file");
    let output = Command::new(std::env::current_exe().unwrap())
        .args([&test_name(), "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ARN, &arn)
        .env("AWS_ENDPOINT_URL_KMS", &moto.endpoint)
        .env("AWS_ENDPOINT_URL_STS", &moto.endpoint)
        .env("AWS_ACCESS_KEY_ID", "envkey")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .env("AWS_CONFIG_FILE", &none)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_REGION")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "the child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let recorded = moto.recorded();
    let signers: Vec<String> = requests_for(&recorded, "Encrypt")
        .into_iter()
        .map(signing_key_id)
        .collect();
    assert_eq!(signers.len(), 3, "{signers:?}");
    assert_eq!(signers[0], "envkey", "the environment's keys by default");
    assert_eq!(
        signers[1], "profilekey",
        "aws_profile beats the environment"
    );
    assert!(
        signers[2].starts_with("ASIA") || signers[2] != "envkey",
        "{signers:?}"
    );
    let assumed = requests_for(&recorded, "AssumeRole");
    assert_eq!(assumed.len(), 1);
    assert_eq!(signing_key_id(assumed[0]), "envkey");
}

/// Runs in the child process: everything here comes from the environment.
fn child(arn: &str) {
    let source = KmsKeySource::new();
    for (role, profile) in [("", ""), ("", "moto-profile"), (ROLE, "")] {
        let mut entry = KmsKey::new(arn, role, BTreeMap::new(), profile).to_entry();
        source.wrap(&mut entry, &[4; 32]).unwrap();
        assert_eq!(entry.field("aws_profile"), Some(profile));
        let secret = source.unwrap(&entry).unwrap().unwrap();
        assert_eq!(secret.secret_bytes(), &[4; 32]);
    }
    let mut entry = KmsKey::new(arn, "", BTreeMap::new(), "no-such-profile").to_entry();
    let err = source.wrap(&mut entry, &[4; 32]).unwrap_err();
    assert!(
        err.message.contains(arn) && err.message.contains("no-such-profile"),
        "{err}"
    );
    println!("missing profile: {err}");
}

#[test]
fn silent_endpoints_time_out_naming_the_arn() {
    // A listener that accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().take(8).collect();
        std::thread::sleep(Duration::from_secs(30));
        drop(held);
    });
    let source = KmsKeySource::with_options(KmsOptions {
        endpoint_url: Some(endpoint),
        credentials: Some(KmsCredentials::new("testing", "testing")),
        timeout: Duration::from_secs(2),
    });
    let arn = "arn:aws:kms:us-east-1:123456789012:key/silent";
    let mut entry = template(arn, "");
    let started = Instant::now();
    let err = source.wrap(&mut entry, &[1; 32]).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        err.message.contains("timed out") && err.message.contains(arn),
        "{err}"
    );
}

#[test]
fn a_refused_role_fails_naming_role_and_key() {
    // moto lets anyone assume anything, so STS's refusal comes from a stand-in server.
    let body = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>\
                <Message>not authorized to perform sts:AssumeRole</Message></Error>\
                <RequestId>1</RequestId></ErrorResponse>";
    let endpoint = answer_every_request_with("403 Forbidden", "text/xml", body);
    let source = KmsKeySource::with_options(KmsOptions {
        endpoint_url: Some(endpoint),
        credentials: Some(KmsCredentials::new("testing", "testing")),
        timeout: Duration::from_secs(20),
    });
    let arn = "arn:aws:kms:us-east-1:123456789012:key/refused";
    let mut entry = template(arn, ROLE);
    let err = source.wrap(&mut entry, &[1; 32]).unwrap_err();
    assert!(
        err.message
            .contains(&format!("failed to assume role '{ROLE}'")),
        "{err}"
    );
    assert!(err.message.contains(arn), "{err}");
    assert!(
        err.message.contains("AccessDenied: not authorized"),
        "{err}"
    );
}

/// A local HTTP server that answers every request with `status` and `body`.
fn answer_every_request_with(status: &str, content_type: &str, body: &str) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    std::thread::spawn(move || {
        for stream in listener.incoming().take(16) {
            let Ok(stream) = stream else { continue };
            let mut reader = BufReader::new(stream);
            let mut length = 0usize;
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut request_body = vec![0; length];
            let _ = reader.read_exact(&mut request_body);
            let _ = reader.get_mut().write_all(response.as_bytes());
        }
    });
    endpoint
}

fn template(arn: &str, role: &str) -> KeyEntry {
    KmsKey::new(arn, role, BTreeMap::new(), "").to_entry()
}
