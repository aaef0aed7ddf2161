//! Test harness for `ref+` references: each test body runs in a child process (this test binary
//! again, with `--exact`) whose environment is built from nothing, so that `SOPS_AGE_KEY_FILE`,
//! `AWS_*`, `SOPS_RS_REF_SCHEMES` and the variables `envsubst` reads are the test's own and the
//! real code reads them as in production; the test process's environment is never changed.
//!
//! The child's `HOME` and `TMPDIR` are fresh directories that the parent searches afterwards for
//! the test's secrets: references are resolved in memory, so nothing may be found there. A
//! private `moto_server` (PyPI `moto[server]`, on PATH) stands in for AWS, on 127.0.0.1 on a
//! free port, killed when its guard drops.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Set in the child, naming the test it runs.
const CHILD: &str = "SOPS_RS_REFS_TEST_CHILD";

/// The directory of the test data.
pub(super) fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/refs")
}

/// An age identity of the workspace's test keys (`alice` can open the test data).
pub(super) fn age_key(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../fixtures/keys/age-{name}.txt"))
}

/// True in the child process that runs `test` (see [`ChildRun::run`]).
pub(super) fn is_child(test: &str) -> bool {
    let full = test.split_once("::").map_or(test, |(_, rest)| rest);
    std::env::var(CHILD).is_ok_and(|t| t == full)
}

/// A child process's environment and the directories it gets.
pub(super) struct ChildRun {
    env: Vec<(String, OsString)>,
    /// Scratch space that lives as long as this value (the child's `HOME`, `TMPDIR` are in it).
    pub(super) dir: tempfile::TempDir,
}

/// Starts describing a child run.
pub(super) fn child() -> ChildRun {
    ChildRun {
        env: Vec::new(),
        dir: tempfile::tempdir().expect("a temporary directory"),
    }
}

impl ChildRun {
    pub(super) fn env(mut self, name: &str, value: impl Into<OsString>) -> Self {
        self.env.push((name.to_owned(), value.into()));
        self
    }

    /// Runs `body` here when this process is the child running `test` (the test function's
    /// `module_path!()` and name, as `concat!(module_path!(), "::name")` gives it); otherwise
    /// runs the test in a child process, fails if it fails, and then checks that no file in
    /// the child's `HOME` and `TMPDIR` holds any of `secrets`.
    pub(super) fn run(self, test: &str, secrets: &[&str], body: impl FnOnce()) {
        if is_child(test) {
            body();
            return;
        }
        let full = test.split_once("::").map_or(test, |(_, rest)| rest);
        let home = self.dir.path().join("home");
        let tmp = self.dir.path().join("tmp");
        std::fs::create_dir_all(&home).expect("home");
        std::fs::create_dir_all(&tmp).expect("tmp");
        let mut command = Command::new(std::env::current_exe().expect("the test binary"));
        command
            .args([full, "--exact", "--nocapture", "--test-threads=1"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("TMPDIR", &tmp)
            .env(CHILD, full)
            .stdin(Stdio::null());
        for (name, value) in &self.env {
            command.env(name, value);
        }
        let output = command.output().expect("running the test binary");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("1 passed"),
            "the child running {full} failed ({}):\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        for secret in secrets {
            assert_no_file_holds(self.dir.path(), secret);
        }
    }
}

/// Fails when any file under `dir` contains `secret`.
pub(super) fn assert_no_file_holds(dir: &Path, secret: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            assert_no_file_holds(&path, secret);
        } else if let Ok(bytes) = std::fs::read(&path) {
            let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
            assert!(!found, "{} holds a resolved secret", path.display());
        }
    }
}

/// A running `moto_server`, killed on drop.
pub(super) struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub(super) endpoint: String,
    _dir: tempfile::TempDir,
}

impl Moto {
    /// Starts a server on a free port and waits until it answers (three tries).
    pub(super) fn start() -> Moto {
        let mut last = String::new();
        for _ in 0..3 {
            match Self::try_start() {
                Ok(moto) => return moto,
                Err(e) => last = e,
            }
        }
        panic!("could not start moto_server: {last}");
    }

    fn try_start() -> Result<Moto, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let log = std::fs::File::create(dir.path().join("moto.log")).map_err(|e| e.to_string())?;
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run moto_server: {e}. The AWS reference tests need it on PATH: run \
                     `bash .ci/run` or `pip install 'moto[server]'`."
                )
            });
        let mut moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = moto.child.try_wait() {
                return Err(format!("moto_server exited with {status}"));
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

    /// A child whose AWS settings point at this server: test credentials, `eu-west-3`, no
    /// profile files, no instance metadata.
    pub(super) fn child(&self) -> ChildRun {
        let none = std::env::temp_dir().join("sops-rs-refs-no-such-aws-file");
        child()
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "eu-west-3")
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_CONFIG_FILE", &none)
            .env("AWS_SHARED_CREDENTIALS_FILE", &none)
            .env("AWS_EC2_METADATA_DISABLED", "true")
    }

    /// Runs `make(secrets_client, ssm_client)`'s future against this server in `region`.
    pub(super) fn setup<F, Fut, T>(&self, region: &str, make: F) -> T
    where
        F: FnOnce(aws_sdk_secretsmanager::Client, aws_sdk_ssm::Client) -> Fut,
        Fut: std::future::Future<Output = T>,
    {
        use aws_sdk_ssm::config::{BehaviorVersion, Credentials, Region};
        let credentials = Credentials::new("testing", "testing", None, None, "test");
        let secrets = aws_sdk_secretsmanager::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .endpoint_url(&self.endpoint)
            .credentials_provider(credentials.clone())
            .http_client(sops_keys::aws_http_client())
            .build();
        let ssm = aws_sdk_ssm::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .endpoint_url(&self.endpoint)
            .credentials_provider(credentials)
            .http_client(sops_keys::aws_http_client())
            .build();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        runtime.block_on(make(
            aws_sdk_secretsmanager::Client::from_conf(secrets),
            aws_sdk_ssm::Client::from_conf(ssm),
        ))
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
