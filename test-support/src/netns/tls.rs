//! The TLS server (rustls) the cloud stand-ins run behind, presenting a [`TestCa`] certificate.

use super::http::{Request, Response};
pub use crate::tls::TestCa;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

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
