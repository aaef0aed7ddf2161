//! A Vault test server: the transit and KV parts of Vault's HTTP API on
//! 127.0.0.1, in plain HTTP or in TLS with a throw-away CA, for the tests of the Vault backend
//! and of `ref+vault://`.
//!
//! No Vault can be installed on the test machines, so this stands in for it. It is trusted
//! only because the tests run the reference sops (which talks to it through Vault's official
//! Go client) against it first: the encryption is real AES-256-GCM with Vault's `vault:v1:`
//! ciphertext format, and a file the reference encrypted through it must open in sops-rs and
//! the other way round.
//!
//! ```
//! use sops_test_support::vault::VaultServer;
//!
//! let vault = VaultServer::builder().token("s.test").kv_v2("secret").start();
//! vault.put_kv("secret", "app", serde_json::json!({"password": "hunter2"}));
//! assert!(vault.address().starts_with("http://127.0.0.1:"));
//! assert_eq!(vault.key_uri("transit", "app"), format!("{}/v1/transit/keys/app", vault.address()));
//! ```
//!
//! [`silent_address`] is a listener that accepts connections and never answers (for timeout
//! tests); [`closed_address`] is a port nobody listens on.

mod api;
mod http;

pub use api::Recorded;

use api::{KvMount, State};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a connection may stay idle before the server closes it.
const IDLE: Duration = Duration::from_secs(30);

/// How a [`VaultServer`] starts: tokens, namespace, mounts, TLS.
#[derive(Default)]
pub struct VaultServerBuilder {
    state: State,
    tls: bool,
}

impl VaultServerBuilder {
    /// Accepts `token` as `X-Vault-Token` (call again for more).
    pub fn token(mut self, token: &str) -> Self {
        self.state.tokens.push(token.to_owned());
        self
    }

    /// Serves only requests that carry `X-Vault-Namespace: namespace`.
    pub fn namespace(mut self, namespace: &str) -> Self {
        self.state.namespace = Some(namespace.to_owned());
        self
    }

    /// Adds a transit engine at `mount` (the server always has `transit`).
    pub fn transit(mut self, mount: &str) -> Self {
        self.state
            .transit_mounts
            .push(mount.trim_matches('/').to_owned());
        self
    }

    /// Adds a KV version 1 engine at `mount`.
    pub fn kv_v1(self, mount: &str) -> Self {
        self.kv(mount, 1)
    }

    /// Adds a KV version 2 engine at `mount`.
    pub fn kv_v2(self, mount: &str) -> Self {
        self.kv(mount, 2)
    }

    fn kv(mut self, mount: &str, version: u8) -> Self {
        let kv = KvMount {
            version,
            ..KvMount::default()
        };
        self.state.kv.insert(mount.trim_matches('/').to_owned(), kv);
        self
    }

    /// Serves HTTPS with a certificate for 127.0.0.1 signed by a new CA ([`VaultServer::ca_file`]).
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// Starts the server on a free port of 127.0.0.1.
    pub fn start(mut self) -> VaultServer {
        if !self.state.transit_mounts.iter().any(|m| m == "transit") {
            self.state.transit_mounts.push("transit".to_owned());
        }
        let dir = tempfile::tempdir().expect("a scratch directory for the Vault test server");
        let ca = self.tls.then(|| crate::tls::TestCa::new(&["127.0.0.1"]));
        let ca_file = ca.as_ref().map(|ca| {
            let path = dir.path().join("vault-ca.pem");
            std::fs::write(&path, ca.ca_pem()).expect("write the test CA");
            path
        });
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let local = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(self.state));
        let stop = Arc::new(AtomicBool::new(false));
        let config = ca.map(|ca| ca.server_config());
        let thread = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::spawn(move || accept_loop(listener, state, stop, config))
        };
        let scheme = if ca_file.is_some() { "https" } else { "http" };
        VaultServer {
            address: format!("{scheme}://127.0.0.1:{}", local.port()),
            local,
            state,
            stop,
            thread: Some(thread),
            ca_file,
            _dir: dir,
        }
    }
}

/// A running Vault test server, stopped on drop.
pub struct VaultServer {
    address: String,
    local: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    ca_file: Option<PathBuf>,
    _dir: tempfile::TempDir,
}

impl VaultServer {
    /// A builder; with no token accepted, every request is `permission denied`.
    pub fn builder() -> VaultServerBuilder {
        VaultServerBuilder::default()
    }

    /// `http://127.0.0.1:PORT` (or `https://…` with TLS).
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The key URI of transit key `key` in `mount`, as sops takes it.
    pub fn key_uri(&self, mount: &str, key: &str) -> String {
        format!("{}/v1/{mount}/keys/{key}", self.address)
    }

    /// The CA certificate file of a TLS server.
    pub fn ca_file(&self) -> Option<&Path> {
        self.ca_file.as_deref()
    }

    /// Stores a new version of the KV secret at `path` of `mount`.
    pub fn put_kv(&self, mount: &str, path: &str, data: serde_json::Value) {
        let serde_json::Value::Object(data) = data else {
            panic!("a KV secret is a JSON object");
        };
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let store = state
            .kv
            .get_mut(mount.trim_matches('/'))
            .unwrap_or_else(|| panic!("no KV mount {mount}"));
        store
            .secrets
            .entry(path.trim_matches('/').to_owned())
            .or_default()
            .push(data);
    }

    /// Every request answered so far, in order.
    pub fn recorded(&self) -> Vec<Recorded> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.recorded.clone()
    }

    /// The transit key versions the server holds for `mount`/`key` (0 when it has none).
    pub fn key_versions(&self, mount: &str, key: &str) -> usize {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state
            .keys
            .get(&(mount.to_owned(), key.to_owned()))
            .map_or(0, Vec::len)
    }
}

impl Drop for VaultServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect_timeout(&self.local, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn accept_loop(
    listener: TcpListener,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    tls: Option<Arc<rustls::ServerConfig>>,
) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let _ = stream.set_read_timeout(Some(IDLE));
        let (state, tls) = (state.clone(), tls.clone());
        std::thread::spawn(move || {
            let handle = |request: &http::Request| {
                let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
                state.handle(request)
            };
            match tls {
                None => http::serve(stream, &handle),
                Some(config) => {
                    let Ok(connection) = rustls::ServerConnection::new(config) else {
                        return;
                    };
                    http::serve(rustls::StreamOwned::new(connection, stream), &handle);
                }
            }
        });
    }
}

/// An address (`http://127.0.0.1:PORT`) whose listener accepts connections and never answers,
/// kept open while the returned listener lives.
pub fn silent_address() -> (String, SilentListener) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let port = listener.local_addr().expect("local address").port();
    let held = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let (held, stop) = (held.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                if let Ok(s) = stream {
                    held.lock().unwrap_or_else(PoisonError::into_inner).push(s);
                }
            }
        })
    };
    let silent = SilentListener {
        port,
        stop,
        thread: Some(thread),
        _held: held,
    };
    (format!("http://127.0.0.1:{port}"), silent)
}

/// The listener of [`silent_address`]; closes on drop.
pub struct SilentListener {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    _held: Arc<Mutex<Vec<TcpStream>>>,
}

impl Drop for SilentListener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `http://127.0.0.1:PORT` for a port that was free a moment ago and has no listener.
pub fn closed_address() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let port = listener.local_addr().expect("local address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}
