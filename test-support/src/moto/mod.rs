//! A private `moto_server` (PyPI `moto[server]`), the AWS stand-in of the KMS and `ref+` tests.
//!
//! Nothing is installed here: `moto_server` must be on `PATH`, else starting fails the test and
//! says how to install it. [`MotoServer::start`] picks a free port on 127.0.0.1, waits (at most
//! 60 s per try, three tries) until the server answers HTTP, and the guard kills it when it drops,
//! also when a test panics. Each server has its own scratch directory holding its logs and, when
//! asked for, the [`recording`] of every request it received.

pub mod recording;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How to get `moto_server`, for failure messages.
pub const HOW_TO_INSTALL: &str = "These tests need `moto_server` on PATH: run `bash .ci/run` \
                                  (which installs everything the tests need) or \
                                  `pip install 'moto[server]'`.";

/// How long one try waits for the server to answer.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long one readiness probe waits for an answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// How many times [`MotoServer::start`] tries (a free port may be taken before moto binds it).
const TRIES: usize = 3;

/// A running `moto_server`, killed on drop.
pub struct MotoServer {
    child: Child,
    port: u16,
    endpoint: String,
    dir: tempfile::TempDir,
}

impl MotoServer {
    /// Starts a server that records nothing; see [`MotoServer::start_recording`].
    pub fn start() -> MotoServer {
        Self::start_with(false)
    }

    /// Starts a server that records every request it receives (read them with
    /// [`MotoServer::recorded`]).
    pub fn start_recording() -> MotoServer {
        Self::start_with(true)
    }

    fn start_with(record: bool) -> MotoServer {
        let mut last_error = String::new();
        for _ in 0..TRIES {
            match Self::try_start(record) {
                Ok(moto) => return moto,
                Err(e) => last_error = e,
            }
        }
        panic!("could not start moto_server: {last_error}");
    }

    fn try_start(record: bool) -> Result<MotoServer, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let log = |name: &str| std::fs::File::create(dir.path().join(name));
        let mut command = Command::new("moto_server");
        command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log("moto.log").map_err(|e| e.to_string())?)
            .stderr(log("moto.err").map_err(|e| e.to_string())?);
        if record {
            command
                .env("MOTO_ENABLE_RECORDING", "1")
                .env("MOTO_RECORDER_FILEPATH", dir.path().join(recording::FILE));
        }
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run moto_server: {e}. {HOW_TO_INSTALL}"));
        let mut moto = MotoServer {
            child,
            port,
            endpoint: format!("http://127.0.0.1:{port}"),
            dir,
        };
        let deadline = Instant::now() + READY_TIMEOUT;
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
            "moto_server did not answer on port {port} within {} s",
            READY_TIMEOUT.as_secs()
        ))
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A scratch directory that lives as long as the server.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Every request the server received, as JSON objects (`method`, `url`, `headers`, `body`);
    /// empty unless it was started with [`MotoServer::start_recording`].
    pub fn recorded(&self) -> Vec<serde_json::Value> {
        recording::read(&self.dir.path().join(recording::FILE))
    }
}

impl Drop for MotoServer {
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
    let _ = stream.set_read_timeout(Some(PROBE_TIMEOUT));
    let _ = stream.set_write_timeout(Some(PROBE_TIMEOUT));
    let request = "GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
}
