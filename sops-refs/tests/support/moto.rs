//! A private `moto_server` (PyPI `moto[server]`, on PATH) that stands in for AWS, on 127.0.0.1
//! on a free port, killed when its guard drops, and the [`RefEnv`] that points at it.

use sops_refs::RefEnv;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `moto_server`, killed on drop.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    _dir: tempfile::TempDir,
}

impl Moto {
    /// Starts a server on a free port and waits until it answers (three tries).
    pub fn start() -> Moto {
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

    /// An environment whose AWS settings point at this server: test credentials,
    /// `eu-west-3`, no profile files.
    pub fn env(&self) -> RefEnv {
        let none = std::env::temp_dir().join("sops-refs-no-such-aws-file");
        let none = none.to_string_lossy().into_owned();
        RefEnv::new()
            .with("AWS_ACCESS_KEY_ID", "testing")
            .with("AWS_SECRET_ACCESS_KEY", "testing")
            .with("AWS_REGION", "eu-west-3")
            .with("AWS_ENDPOINT_URL", &self.endpoint)
            .with("AWS_CONFIG_FILE", &none)
            .with("AWS_SHARED_CREDENTIALS_FILE", &none)
    }

    /// Runs `make(secrets_client, ssm_client)`'s future against this server in `region`.
    pub fn setup<F, Fut, T>(&self, region: &str, make: F) -> T
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
