//! A key service process for the tests ([`Service`]: `sops-rs keyservice` or the reference
//! `sops keyservice` on a unix socket in the sandbox), and an AWS KMS stand-in ([`Kms`]: a
//! recording `moto_server` with one key).
//!
//! The service gets the master keys (an age identity file, a GnuPG home, AWS credentials);
//! the clients in the tests get none, so whatever they decrypt went through the service.

use crate::support::{Sandbox, Tool};
use sops_test_support::moto::{recording, MotoServer};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a service may take to start listening before the test fails.
const START_LIMIT: Duration = Duration::from_secs(60);

/// A running key service, killed when dropped.
pub struct Service {
    child: Child,
    socket: PathBuf,
    log: PathBuf,
    /// The TCP port, for a service started with [`Service::start_tcp`].
    port: Option<u16>,
}

impl Service {
    /// Starts `tool keyservice --network unix --address SOCKET [extra]` in `sandbox` with
    /// `env` (the master keys it holds), and waits until the socket answers.
    pub fn start(sandbox: &Sandbox, tool: Tool, extra: &[&str], env: &[(&str, String)]) -> Self {
        Self::start_with_stdin(sandbox, tool, extra, env, None)
    }

    /// As [`Service::start`], with `stdin` written to the service (answers to `--prompt`).
    pub fn start_with_stdin(
        sandbox: &Sandbox,
        tool: Tool,
        extra: &[&str],
        env: &[(&str, String)],
        stdin: Option<&str>,
    ) -> Self {
        let socket = sandbox.file(&format!("{}-ks.sock", tool.name()));
        let address = socket.display().to_string();
        let mut listen = vec!["--network", "unix", "--address", address.as_str()];
        listen.extend(extra);
        Self::spawn(sandbox, tool, &listen, env, stdin, socket, None)
    }

    /// Starts `sops-rs keyservice --network tcp --address :PORT` (a free port) with `env`.
    pub fn start_tcp(sandbox: &Sandbox, env: &[(&str, String)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let address = format!(":{port}");
        let args = ["--network", "tcp", "--address", address.as_str()];
        let none = sandbox.file("no-socket");
        Self::spawn(sandbox, Tool::SopsRs, &args, env, None, none, Some(port))
    }

    fn spawn(
        sandbox: &Sandbox,
        tool: Tool,
        args: &[&str],
        env: &[(&str, String)],
        stdin: Option<&str>,
        socket: PathBuf,
        port: Option<u16>,
    ) -> Self {
        let log = sandbox.file(&format!("{}-ks.log", tool.name()));
        let mut command = Command::new(tool.program());
        command
            .arg("keyservice")
            .args(args)
            .current_dir(sandbox.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", sandbox.file("home"))
            .env("GNUPGHOME", sandbox.file("gnupg"))
            .env("SOPS_DISABLE_VERSION_CHECK", "1")
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(std::fs::File::create(sandbox.file("ks.out")).expect("a log file"))
            .stderr(std::fs::File::create(&log).expect("a log file"));
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("start the key service");
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(text.as_bytes()).expect("write the answers");
        }
        let mut service = Service {
            child,
            socket,
            log,
            port,
        };
        service.wait_until_listening();
        service
    }

    fn wait_until_listening(&mut self) {
        let started = Instant::now();
        let listening = |s: &Self| match s.port {
            Some(port) => std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
            None => UnixStream::connect(&s.socket).is_ok(),
        };
        while !listening(self) {
            if let Some(status) = self.child.try_wait().expect("wait for the service") {
                panic!("the key service exited ({status}): {}", self.log_text());
            }
            assert!(
                started.elapsed() < START_LIMIT,
                "the key service did not listen: {}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The socket path.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// `unix://SOCKET` (or `tcp://127.0.0.1:PORT`), for `--keyservice` and `SOPS_KEYSERVICE`.
    pub fn uri(&self) -> String {
        match self.port {
            Some(port) => format!("tcp://127.0.0.1:{port}"),
            None => format!("unix://{}", self.socket.display()),
        }
    }

    /// What the service wrote on stderr so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits (at most a minute, else fails) for the service to exit and returns its status.
    pub fn wait_for_exit(&mut self) -> std::process::ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for the service") {
                return status;
            }
            assert!(
                started.elapsed() < START_LIMIT,
                "the key service did not stop: {}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The environment that gives a process alice's age identity, and nothing else.
pub fn alice() -> Vec<(&'static str, String)> {
    let path = sops_test_support::age_key_path("age-alice");
    vec![("SOPS_AGE_KEY_FILE", path.display().to_string())]
}

/// A recording moto_server with one symmetric KMS key in `us-east-1`.
pub struct Kms {
    server: MotoServer,
    /// The key's ARN.
    pub arn: String,
}

impl Kms {
    pub fn start() -> Kms {
        let server = MotoServer::start_recording();
        let answer = kms_call(
            server.port(),
            "CreateKey",
            r#"{"Description":"sops-rs keyservice test"}"#,
        );
        let json: serde_json::Value =
            serde_json::from_str(&answer).expect("CreateKey answers JSON");
        let arn = json["KeyMetadata"]["Arn"]
            .as_str()
            .unwrap_or_else(|| panic!("CreateKey answered no ARN: {answer}"))
            .to_owned();
        Kms { server, arn }
    }

    /// The variables that let a process call this KMS (test credentials, moto's endpoint, no
    /// AWS config files).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let none = self
            .server
            .dir()
            .join("no-such-aws-file")
            .display()
            .to_string();
        vec![
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ENDPOINT_URL", self.server.endpoint().to_owned()),
            ("AWS_CONFIG_FILE", none.clone()),
            ("AWS_SHARED_CREDENTIALS_FILE", none),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }

    /// moto's endpoint URL.
    pub fn endpoint(&self) -> String {
        self.server.endpoint().to_owned()
    }

    /// How many KMS `Decrypt` requests moto received so far.
    pub fn decrypts(&self) -> usize {
        recording::requests_for(&self.server.recorded(), "Decrypt").len()
    }
}

/// One KMS JSON call to moto on `port` (moto does not check signatures), returning the body.
fn kms_call(port: u16, operation: &str, body: &str) -> String {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect to moto");
    let request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: TrentService.{operation}\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send to moto");
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .expect("read moto's answer");
    answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or(answer)
}
