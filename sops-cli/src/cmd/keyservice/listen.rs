//! Where the key service listens: `--network tcp|unix` and `--address`.
//!
//! * **unix**: the socket is bound inside a fresh private directory (mode 0700) next to the
//!   address, made mode 0600 there, and only then renamed to the address, so that no other user
//!   can connect in between. A stale socket at the address (nothing answers on it) is replaced;
//!   a live one is an error. The socket is removed at shutdown.
//! * **tcp**: `HOST:PORT`; an empty host (`:5000`) means 127.0.0.1, not every interface. An
//!   address that is not loopback is used as given, with a warning: whoever reaches it can use
//!   this service's keys.

use crate::error::{codes, CliError};
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// A bound listener.
pub(crate) enum Listener {
    Tcp(tokio::net::TcpListener, SocketAddr),
    Unix(tokio::net::UnixListener, UnixSocket),
}

/// The socket file of a unix listener, removed on drop if it is still ours.
pub(crate) struct UnixSocket {
    pub(crate) path: PathBuf,
    inode: (u64, u64),
}

impl Drop for UnixSocket {
    fn drop(&mut self) {
        let ours = std::fs::symlink_metadata(&self.path)
            .map(|m| (m.dev(), m.ino()) == self.inode)
            .unwrap_or(false);
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn failed(what: impl std::fmt::Display) -> CliError {
    CliError::new(codes::GENERIC, format!("Error running keyservice: {what}"))
}

/// Binds `network`/`address` (inside the tokio runtime, which must be entered).
pub(crate) fn bind(network: &str, address: &str) -> Result<Listener, CliError> {
    match network {
        "tcp" | "tcp4" | "tcp6" => bind_tcp(address),
        "unix" => bind_unix(Path::new(address)),
        other => Err(failed(format!("listen {other}: unknown network {other}"))),
    }
}

/// The address a TCP listener is given for `address`: loopback when the host is empty.
pub(crate) fn tcp_address(address: &str) -> Result<SocketAddr, CliError> {
    let full = match address.strip_prefix(':') {
        Some(port) => format!("127.0.0.1:{port}"),
        None => address.to_owned(),
    };
    full.to_socket_addrs()
        .map_err(|e| failed(format!("listen tcp {address}: {e}")))?
        .next()
        .ok_or_else(|| failed(format!("listen tcp {address}: no address")))
}

fn bind_tcp(address: &str) -> Result<Listener, CliError> {
    let addr = tcp_address(address)?;
    if !addr.ip().is_loopback() {
        eprintln!(
            "[KEYSERVICE] warning: listening on {addr}, which is not a loopback address: anyone who can reach it can use this key service's master keys"
        );
    }
    let std = std::net::TcpListener::bind(addr)
        .map_err(|e| failed(format!("listen tcp {address}: {e}")))?;
    std.set_nonblocking(true).map_err(failed)?;
    let listener = tokio::net::TcpListener::from_std(std).map_err(failed)?;
    let bound = listener.local_addr().map_err(failed)?;
    Ok(Listener::Tcp(listener, bound))
}

fn bind_unix(path: &Path) -> Result<Listener, CliError> {
    let shown = path.display();
    if std::fs::symlink_metadata(path).is_ok() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(failed(format!(
                "listen unix {shown}: bind: address already in use"
            )));
        }
        let is_socket = std::fs::symlink_metadata(path)
            .map(|m| m.file_type().is_socket())
            .unwrap_or(false);
        if !is_socket {
            return Err(failed(format!(
                "listen unix {shown}: bind: address already in use (not a socket)"
            )));
        }
        std::fs::remove_file(path).map_err(|e| failed(format!("listen unix {shown}: {e}")))?;
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // tempfile makes the directory 0700.
    let private = tempfile::Builder::new()
        .prefix(".sops-rs-keyservice-")
        .tempdir_in(&parent)
        .map_err(|e| failed(format!("listen unix {shown}: {e}")))?;
    let inner = private.path().join("s");
    let std = std::os::unix::net::UnixListener::bind(&inner)
        .map_err(|e| failed(format!("listen unix {shown}: {e}")))?;
    std::fs::set_permissions(&inner, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| failed(format!("listen unix {shown}: {e}")))?;
    std::fs::rename(&inner, path).map_err(|e| failed(format!("listen unix {shown}: {e}")))?;
    drop(private);
    let meta = std::fs::symlink_metadata(path).map_err(failed)?;
    let socket = UnixSocket {
        path: path.to_path_buf(),
        inode: (meta.dev(), meta.ino()),
    };
    std.set_nonblocking(true).map_err(failed)?;
    let listener = tokio::net::UnixListener::from_std(std).map_err(failed)?;
    Ok(Listener::Unix(listener, socket))
}

#[cfg(test)]
mod tests {
    use super::tcp_address;

    #[test]
    fn an_empty_host_is_loopback() {
        let addr = tcp_address(":5000").expect("an address");
        assert!(addr.ip().is_loopback());
        assert_eq!(addr.port(), 5000);
    }
}
