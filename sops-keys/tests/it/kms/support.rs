//! Test harness for the KMS backend: a private `moto_server` per test, KMS keys created through
//! the AWS SDK, the requests moto recorded, and the reference `sops` pointed at moto.
//!
//! The server is `sops_test_support::MotoServer` (on 127.0.0.1 on a free port, recording every
//! request, killed when the [`Moto`] guard drops, also when a test panics); `moto_server` (PyPI
//! `moto[server]`) must be on PATH, else the tests fail and say how to install it. Credentials
//! and the endpoint reach the code under test through `KmsOptions` and reach `sops` through its
//! command's environment; the test process's own environment is never changed.
#![allow(dead_code)]

use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use sops_keys::kms::{KmsCredentials, KmsKeySource, KmsOptions};
pub use sops_test_support::moto::recording::{body, requests_for, signing_key_id};
use sops_test_support::{reference_sops_command, MotoServer};
use std::path::Path;
use std::process::Command;

/// The account moto uses.
pub const ACCOUNT: &str = "123456789012";
/// The region the tests' keys live in.
pub const REGION: &str = "eu-west-3";
/// A role moto lets anyone assume.
pub const ROLE: &str = "arn:aws:iam::123456789012:role/sops-rs-test";

/// A running `moto_server` that records requests, killed on drop, with what the KMS tests ask
/// of it.
pub struct Moto {
    server: MotoServer,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl Moto {
    /// Starts a recording server on a free port and waits until it answers. Panics (failing
    /// the test) with installation advice when `moto_server` cannot be run.
    pub fn start() -> Moto {
        let server = MotoServer::start_recording();
        let endpoint = server.endpoint().to_owned();
        Moto { server, endpoint }
    }

    /// Options for the code under test: this endpoint, moto's test credentials, 30 s.
    pub fn options(&self) -> KmsOptions {
        KmsOptions {
            endpoint_url: Some(self.endpoint.clone()),
            credentials: Some(KmsCredentials::new("testing", "testing")),
            ..KmsOptions::default()
        }
    }

    /// A key source talking to this server.
    pub fn source(&self) -> KmsKeySource {
        KmsKeySource::with_options(self.options())
    }

    /// Creates a symmetric KMS key in `region` through the SDK and returns its ARN.
    pub fn create_key(&self, region: &str) -> String {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let config = aws_sdk_kms::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .http_client(http)
            .build();
        let client = aws_sdk_kms::Client::from_conf(config);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let output = runtime
            .block_on(client.create_key().description("sops-rs test").send())
            .expect("CreateKey on moto");
        let arn = output.key_metadata().and_then(|m| m.arn()).expect("an ARN");
        arn.to_owned()
    }

    /// Every request moto received, as JSON objects (`method`, `url`, `headers`, `body`).
    pub fn recorded(&self) -> Vec<serde_json::Value> {
        self.server.recorded()
    }

    /// A scratch directory that lives as long as the server.
    pub fn dir(&self) -> &Path {
        self.server.dir()
    }

    /// The reference `sops`, run in the scratch directory with moto's endpoint and test
    /// credentials, no AWS config files and no version check.
    pub fn sops(&self) -> Command {
        let mut command = reference_sops_command();
        let none = self.dir().join("no-such-aws-file");
        command
            .current_dir(self.dir())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", REGION)
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_CONFIG_FILE", &none)
            .env("AWS_SHARED_CREDENTIALS_FILE", &none)
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_ENDPOINT_URL_KMS")
            .env_remove("AWS_ENDPOINT_URL_STS")
            .env_remove("SOPS_KMS_ARN");
        command
    }
}

/// Runs `command`, fails the test with its stderr unless it succeeds, and returns stdout.
pub fn run_ok(command: &mut Command) -> Vec<u8> {
    let output = command.output().expect("running a command");
    assert!(
        output.status.success(),
        "{command:?} failed with {}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}
