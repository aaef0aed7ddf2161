//! The test CA (rcgen) and the TLS server (rustls) the cloud stand-ins run behind.

use super::http::{Request, Response};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// A CA made for one test run and a server certificate it signed for the namespace's names.
pub struct TestCa {
    ca_pem: String,
    chain: Vec<CertificateDer<'static>>,
    key_der: Vec<u8>,
}

impl TestCa {
    /// A new CA and a server certificate with `names` (and `localhost`) as SANs.
    pub fn new(names: &[&str]) -> TestCa {
        let ca_key = rcgen::KeyPair::generate().expect("generate the CA key");
        let mut ca_params =
            rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "sops-rs test CA");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let ca = ca_params.self_signed(&ca_key).expect("self-sign the CA");
        let issuer = rcgen::Issuer::new(ca_params, ca_key);

        let mut sans: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        sans.push("localhost".into());
        let leaf_key = rcgen::KeyPair::generate().expect("generate the server key");
        let mut leaf_params = rcgen::CertificateParams::new(sans).expect("server parameters");
        leaf_params.distinguished_name.push(
            rcgen::DnType::CommonName,
            names.first().copied().unwrap_or("localhost"),
        );
        leaf_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let leaf = leaf_params
            .signed_by(&leaf_key, &issuer)
            .expect("sign the server certificate");
        TestCa {
            ca_pem: ca.pem(),
            chain: vec![leaf.der().clone(), ca.der().clone()],
            key_der: leaf_key.serialize_der(),
        }
    }

    /// The CA certificate in PEM.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()));
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), key)
            .expect("server certificate");
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(config)
    }
}

type Handler = dyn Fn(&Request) -> Response + Send + Sync;

/// An HTTPS server on 127.0.0.1 answering every request with a handler and recording the
/// requests; stopped when dropped.
pub struct TlsServer {
    port: u16,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<Request>>>,
    thread: Option<JoinHandle<()>>,
}

impl TlsServer {
    /// Starts serving `handler` on 127.0.0.1:`port` (0: any free port).
    pub fn start<H>(ca: &TestCa, port: u16, handler: H) -> TlsServer
    where
        H: Fn(&Request) -> Response + Send + Sync + 'static,
    {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .unwrap_or_else(|e| panic!("cannot listen on 127.0.0.1:{port}: {e}"));
        let port = listener.local_addr().expect("local address").port();
        let config = ca.server_config();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let thread = {
            let (stop, requests) = (stop.clone(), requests.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (config, handler, requests) =
                        (config.clone(), handler.clone(), requests.clone());
                    std::thread::spawn(move || {
                        serve_one(stream, config, &*handler, &requests);
                    });
                }
            })
        };
        TlsServer {
            port,
            stop,
            requests,
            thread: Some(thread),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every request answered so far, in order of arrival.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("request log").clone()
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve_one(
    stream: TcpStream,
    config: Arc<rustls::ServerConfig>,
    handler: &Handler,
    requests: &Mutex<Vec<Request>>,
) {
    let Ok(connection) = rustls::ServerConnection::new(config) else {
        return;
    };
    let mut tls = rustls::StreamOwned::new(connection, stream);
    let request = match Request::read_from(&mut tls) {
        Ok(Some(request)) => request,
        _ => return,
    };
    let response = handler(&request);
    requests.lock().expect("request log").push(request);
    let _ = response.write_to(&mut tls);
    tls.conn.send_close_notify();
    let _ = std::io::Write::flush(&mut tls);
}
