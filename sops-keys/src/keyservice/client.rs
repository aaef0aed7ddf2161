//! A connection to one key service (`tcp://host:port` or `unix:///path`), called from
//! synchronous code.
//!
//! [`KeyServiceClient`] owns a current-thread tokio runtime and a gRPC channel, both made on
//! the first call; the channel is kept for the following calls. Connecting waits at most
//! [`CONNECT_TIMEOUT`]; a request has no time limit, because a service started with `--prompt`
//! waits for a person to answer (as sops does). Errors read as sops's do:
//! `rpc error: code = Unavailable desc = …`.

use super::proto::{DecryptRequest, DecryptResponse, EncryptRequest, EncryptResponse};
use super::proto::{Empty, DECRYPT_PATH, ENCRYPT_PATH, STOP_PATH};
use sops_core::KeyError;
use std::future::Future;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;
use tonic::transport::{Channel, Endpoint};

/// How long connecting to a key service may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a key service listens, from its URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Address {
    /// `tcp://host:port` (also `tcp4://`, `tcp6://`): the `host:port` part.
    Tcp(String),
    /// `unix:///path/to/socket`: the path.
    Unix(PathBuf),
    /// A scheme no key service listens on; every call fails with this scheme named, as sops's
    /// dialer does.
    Unsupported(String),
}

impl Address {
    /// Reads a key service URI as sops does: the scheme picks the network, a `unix` URI's path
    /// is the socket, any other's host is the address. `None` for a string that is not a URI
    /// (sops warns and skips it).
    pub fn parse(uri: &str) -> Option<Address> {
        let (scheme, rest) = uri.split_once("://")?;
        if scheme.is_empty()
            || !scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+')
        {
            return None;
        }
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, ""),
        };
        let path = path.split(['?', '#']).next().unwrap_or_default();
        Some(match scheme {
            "unix" => Address::Unix(PathBuf::from(path)),
            "tcp" | "tcp4" | "tcp6" => Address::Tcp(authority.to_owned()),
            other => Address::Unsupported(other.to_owned()),
        })
    }
}

/// One key service, asked from synchronous code.
pub struct KeyServiceClient {
    uri: String,
    address: Address,
    runtime: OnceLock<Result<tokio::runtime::Runtime, String>>,
    channel: tokio::sync::OnceCell<Channel>,
}

impl KeyServiceClient {
    /// A client of the service at `uri` (nothing is connected yet); `None` when `uri` is not a
    /// URI.
    pub fn new(uri: &str) -> Option<KeyServiceClient> {
        Some(KeyServiceClient {
            uri: uri.to_owned(),
            address: Address::parse(uri)?,
            runtime: OnceLock::new(),
            channel: tokio::sync::OnceCell::new(),
        })
    }

    /// The URI the client was made from.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// `KeyService.Encrypt`: wraps `request.plaintext` for `request.key`.
    pub fn encrypt(&self, request: EncryptRequest) -> Result<EncryptResponse, KeyError> {
        self.block_on(async move {
            let mut grpc = self.ready().await?;
            let path = http::uri::PathAndQuery::from_static(ENCRYPT_PATH);
            let codec = tonic_prost::ProstCodec::<EncryptRequest, EncryptResponse>::default();
            grpc.unary(tonic::Request::new(request), path, codec)
                .await
                .map(tonic::Response::into_inner)
                .map_err(|status| status_error(&status))
        })
    }

    /// `KeyService.Decrypt`: unwraps `request.ciphertext` with `request.key`.
    pub fn decrypt(&self, request: DecryptRequest) -> Result<DecryptResponse, KeyError> {
        self.block_on(async move {
            let mut grpc = self.ready().await?;
            let path = http::uri::PathAndQuery::from_static(DECRYPT_PATH);
            let codec = tonic_prost::ProstCodec::<DecryptRequest, DecryptResponse>::default();
            grpc.unary(tonic::Request::new(request), path, codec)
                .await
                .map(tonic::Response::into_inner)
                .map_err(|status| status_error(&status))
        })
    }

    /// Asks a `sops-rs keyservice` to shut down (sops-rs's own method; sops's service answers
    /// `Unimplemented`).
    pub fn stop_agent(&self) -> Result<(), KeyError> {
        self.block_on(async move {
            let mut grpc = self.ready().await?;
            let path = http::uri::PathAndQuery::from_static(STOP_PATH);
            let codec = tonic_prost::ProstCodec::<Empty, Empty>::default();
            grpc.unary(tonic::Request::new(Empty {}), path, codec)
                .await
                .map(|_| ())
                .map_err(|status| status_error(&status))
        })
    }

    /// A gRPC client on the channel (connected on first use), ready for a request.
    async fn ready(&self) -> Result<tonic::client::Grpc<Channel>, KeyError> {
        let channel = self
            .channel
            .get_or_try_init(|| connect(&self.address))
            .await
            .map_err(|why| {
                KeyError::new(format!(
                    "rpc error: code = Unavailable desc = connection error: cannot connect to key service {}: {why}",
                    self.uri
                ))
            })?;
        let mut grpc = tonic::client::Grpc::new(channel.clone());
        grpc.ready().await.map_err(|e| {
            KeyError::new(format!(
                "rpc error: code = Unavailable desc = key service {} is not ready: {e}",
                self.uri
            ))
        })?;
        Ok(grpc)
    }

    /// Runs `future` on this client's runtime; on a helper thread when called from inside
    /// another tokio runtime (blocking there would panic).
    fn block_on<T: Send>(
        &self,
        future: impl Future<Output = Result<T, KeyError>> + Send,
    ) -> Result<T, KeyError> {
        let runtime = self
            .runtime
            .get_or_init(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|why| KeyError::new(format!("cannot start the key service client: {why}")))?;
        if tokio::runtime::Handle::try_current().is_err() {
            return runtime.block_on(future);
        }
        std::thread::scope(|scope| {
            scope
                .spawn(|| runtime.block_on(future))
                .join()
                .unwrap_or_else(|_| Err(KeyError::new("the key service client failed")))
        })
    }
}

/// Opens a channel to `address`.
async fn connect(address: &Address) -> Result<Channel, String> {
    match address {
        Address::Tcp(authority) => Endpoint::from_shared(format!("http://{authority}"))
            .map_err(|e| e.to_string())?
            .connect_timeout(CONNECT_TIMEOUT)
            .connect()
            .await
            .map_err(|e| error_chain(&e)),
        Address::Unix(path) => {
            let path = path.clone();
            // The URI is a placeholder: the connector below ignores it.
            Endpoint::from_static("http://key-service.invalid")
                .connect_timeout(CONNECT_TIMEOUT)
                .connect_with_connector(tower::service_fn(move |_| {
                    let path = path.clone();
                    async move {
                        let stream = tokio::net::UnixStream::connect(&path).await?;
                        Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
                    }
                }))
                .await
                .map_err(|e| error_chain(&e))
        }
        Address::Unsupported(scheme) => Err(format!("dial {scheme}: unknown network {scheme}")),
    }
}

/// An error and its sources, joined with `: ` (tonic's own text is only "transport error").
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

/// A status from the service, as sops prints gRPC errors.
fn status_error(status: &tonic::Status) -> KeyError {
    KeyError::new(format!(
        "rpc error: code = {:?} desc = {}",
        status.code(),
        status.message()
    ))
}

#[cfg(test)]
mod tests {
    use super::Address;
    use std::path::PathBuf;

    #[test]
    fn uris_are_read_as_sops_reads_them() {
        assert_eq!(
            Address::parse("tcp://127.0.0.1:5000"),
            Some(Address::Tcp("127.0.0.1:5000".into()))
        );
        assert_eq!(
            Address::parse("unix:///run/sops.sock"),
            Some(Address::Unix(PathBuf::from("/run/sops.sock")))
        );
        assert_eq!(
            Address::parse("http://x:1"),
            Some(Address::Unsupported("http".into()))
        );
        assert_eq!(Address::parse("not a uri"), None);
    }
}
