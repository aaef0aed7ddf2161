//! The URLs the cloud backends call: `https://host[:port]/path?query` (or `http://` for
//! instance metadata services), parsed just enough to connect and to send the request line.

/// A parsed absolute URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Url {
    /// `https` (true) or `http`.
    pub(crate) tls: bool,
    pub(crate) host: String,
    pub(crate) port: u16,
    /// The path, starting with `/`.
    pub(crate) path: String,
    /// The query without `?`, possibly empty.
    pub(crate) query: String,
}

impl Url {
    /// Parses `text`; `None` unless it is an absolute `http` or `https` URL with a host.
    pub(crate) fn parse(text: &str) -> Option<Url> {
        let (tls, rest) = if let Some(rest) = text.strip_prefix("https://") {
            (true, rest)
        } else {
            (false, text.strip_prefix("http://")?)
        };
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.is_empty() => (h, p.parse().ok()?),
            _ => (authority, if tls { 443 } else { 80 }),
        };
        if host.is_empty() || host.contains('@') {
            return None;
        }
        let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
        Some(Url {
            tls,
            host: host.to_ascii_lowercase(),
            port,
            path: if path.is_empty() {
                "/".into()
            } else {
                path.into()
            },
            query: query.into(),
        })
    }

    /// This URL with another path and query.
    pub(crate) fn with_path(&self, path: &str, query: &str) -> Url {
        Url {
            path: path.into(),
            query: query.into(),
            ..self.clone()
        }
    }

    /// `scheme://host[:port]`, for messages.
    pub(crate) fn origin(&self) -> String {
        format!(
            "{}://{}",
            if self.tls { "https" } else { "http" },
            self.host_header()
        )
    }

    /// The `Host` header: the host, with the port unless it is the scheme's default.
    pub(crate) fn host_header(&self) -> String {
        if self.port == if self.tls { 443 } else { 80 } {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The request target: path and query.
    pub(crate) fn target(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }
}
