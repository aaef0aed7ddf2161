//! A small blocking HTTPS (and plain HTTP, for instance metadata services) client for the cloud
//! backends that have no SDK here: Azure Key Vault, HuaweiCloud KMS and GCP KMS.
//!
//! One request per connection (`Connection: close`), HTTP/1.1, TLS by rustls (ring) trusting the
//! system roots as `rustls-native-certs` finds them, which honours `SSL_CERT_FILE` and
//! `SSL_CERT_DIR` (corporate proxies and private CAs). Bodies may come with `Content-Length`,
//! chunked, or up to the end of the connection. Every call has a timeout.
//!
//! Requests and responses may carry credentials (tokens, signatures): this module never
//! formats them into errors, and [`HttpError`] names only the host.

mod url;

pub(crate) use url::Url;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use zeroize::Zeroizing;

/// How long a connection, a read or a write may take.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(30);

/// A request about to be sent.
pub(crate) struct HttpRequest<'a> {
    pub(crate) method: &'a str,
    pub(crate) url: &'a Url,
    /// Headers besides `Host`, `Content-Length` and `Connection`; values may be secret.
    pub(crate) headers: Vec<(&'a str, Zeroizing<String>)>,
    pub(crate) body: &'a [u8],
    /// How long connecting may take (short for metadata services that may not exist).
    pub(crate) connect_timeout: Duration,
}

impl<'a> HttpRequest<'a> {
    pub(crate) fn new(method: &'a str, url: &'a Url) -> Self {
        HttpRequest {
            method,
            url,
            headers: Vec::new(),
            body: &[],
            connect_timeout: TIMEOUT,
        }
    }

    pub(crate) fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    pub(crate) fn header(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.headers.push((name, Zeroizing::new(value.into())));
        self
    }

    pub(crate) fn body(mut self, body: &'a [u8]) -> Self {
        self.body = body;
        self
    }

    /// Sends the request and reads the whole response.
    pub(crate) fn send(&self) -> Result<HttpResponse, HttpError> {
        send(self)
    }
}

/// A response; the body may hold secrets (tokens, key material), so it is zeroized on drop.
pub(crate) struct HttpResponse {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Zeroizing<Vec<u8>>,
}

impl HttpResponse {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A transport failure: the host could not be reached, TLS failed, the response was not HTTP.
#[derive(Debug)]
pub(crate) struct HttpError {
    pub(crate) message: String,
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

fn error(url: &Url, what: impl std::fmt::Display) -> HttpError {
    HttpError {
        message: format!("{}: {what}", url.origin()),
    }
}

fn tls_config() -> Result<Arc<rustls::ClientConfig>, String> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            let mut roots = rustls::RootCertStore::empty();
            let (added, _ignored) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                let why = found
                    .errors
                    .first()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default();
                return Err(format!(
                    "no trusted CA certificates found{why}; install the system CA bundle or point SSL_CERT_FILE at one"
                ));
            }
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_root_certificates(roots)
                .with_no_client_auth();
            Ok(Arc::new(config))
        })
        .clone()
}

fn connect(url: &Url, timeout: Duration) -> Result<TcpStream, HttpError> {
    let addrs = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|e| error(url, format!("cannot resolve the host: {e}")))?;
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => {
                stream.set_read_timeout(Some(TIMEOUT)).ok();
                stream.set_write_timeout(Some(TIMEOUT)).ok();
                return Ok(stream);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(error(
        url,
        format!(
            "cannot connect: {}",
            last.map_or("no address".to_owned(), |e| e.to_string())
        ),
    ))
}

fn send(request: &HttpRequest<'_>) -> Result<HttpResponse, HttpError> {
    let url = request.url;
    let tcp = connect(url, request.connect_timeout)?;
    let mut head = Zeroizing::new(format!(
        "{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
        request.method,
        url.target(),
        url.host_header(),
        request.body.len()
    ));
    for (name, value) in &request.headers {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    if !url.tls {
        return exchange(tcp, &head, request.body).map_err(|e| error(url, e));
    }
    let config = tls_config().map_err(|e| error(url, e))?;
    let name = rustls::pki_types::ServerName::try_from(url.host.clone())
        .map_err(|e| error(url, format!("invalid host name: {e}")))?;
    let connection =
        rustls::ClientConnection::new(config, name).map_err(|e| error(url, e.to_string()))?;
    let stream = rustls::StreamOwned::new(connection, tcp);
    exchange(stream, &head, request.body).map_err(|e| error(url, e))
}

fn exchange(
    mut stream: impl Read + Write,
    head: &str,
    body: &[u8],
) -> Result<HttpResponse, String> {
    stream
        .write_all(head.as_bytes())
        .and_then(|_| stream.write_all(body))
        .and_then(|_| stream.flush())
        .map_err(describe_io)?;
    read_response(stream)
}

fn describe_io(e: std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
            format!("no answer within {} s", TIMEOUT.as_secs())
        }
        _ => e.to_string(),
    }
}

fn read_response(stream: impl Read) -> Result<HttpResponse, String> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).map_err(describe_io)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| "the answer is not HTTP".to_owned())?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).map_err(describe_io)? == 0 {
            break;
        }
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((k, v)) = trimmed.split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let find = |name: &str| {
        headers
            .iter()
            .find(|(k, _): &&(String, String)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let mut body = Zeroizing::new(Vec::new());
    if find("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        loop {
            line.clear();
            reader.read_line(&mut line).map_err(describe_io)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| "a malformed chunked body".to_owned())?;
            if size == 0 {
                break;
            }
            let start = body.len();
            body.resize(start + size, 0);
            reader.read_exact(&mut body[start..]).map_err(describe_io)?;
            line.clear();
            reader.read_line(&mut line).map_err(describe_io)?;
        }
    } else if let Some(length) = find("content-length").and_then(|l| l.parse::<usize>().ok()) {
        body.resize(length, 0);
        reader.read_exact(&mut body).map_err(describe_io)?;
    } else {
        // Servers that close the TLS stream without close_notify: take what arrived.
        match reader.read_to_end(&mut body) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {}
            Err(e) => return Err(describe_io(e)),
        }
    }
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

/// `application/x-www-form-urlencoded` encoding of one value.
pub(crate) fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}
