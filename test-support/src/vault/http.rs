//! The little HTTP/1.1 the Vault test server speaks: one request at a time per connection,
//! keep-alive, bodies by `Content-Length` or chunked, JSON answers with `Content-Length`.

use std::io::{BufRead, BufReader, Read, Write};

/// The largest request body accepted.
const MAX_BODY: usize = 1 << 20;

/// One parsed request.
pub(crate) struct Request {
    pub(crate) method: String,
    /// The path without the query, percent-decoded.
    pub(crate) path: String,
    /// The query's `name=value` pairs, percent-decoded.
    pub(crate) query: Vec<(String, String)>,
    /// Header names in lower case.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Request {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn wants_close(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// Serves requests on `stream` until the client closes it (or asks to), answering each with
/// `handle`'s status and JSON body.
pub(crate) fn serve<S: Read + Write>(stream: S, handle: &dyn Fn(&Request) -> (u16, String)) {
    let mut reader = BufReader::new(stream);
    loop {
        let request = match read_request(&mut reader) {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(why) => {
                let _ = respond(reader.get_mut(), 400, &error_body(&why), true);
                return;
            }
        };
        let (status, body) = handle(&request);
        let close = request.wants_close();
        if respond(reader.get_mut(), status, &body, close).is_err() || close {
            return;
        }
    }
}

/// Vault's error shape: `{"errors":["…"]}`.
pub(crate) fn error_body(message: &str) -> String {
    let errors: Vec<&str> = if message.is_empty() {
        Vec::new()
    } else {
        vec![message]
    };
    serde_json::json!({ "errors": errors }).to_string()
}

fn respond<W: Write>(out: &mut W, status: u16, body: &str, close: bool) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Error",
    };
    let connection = if close { "close" } else { "keep-alive" };
    write!(
        out,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nCache-Control: \
         no-store\r\nContent-Length: {}\r\nConnection: {connection}\r\n\r\n{body}",
        body.len()
    )?;
    out.flush()
}

fn read_line<R: BufRead>(reader: &mut R) -> Result<Option<String>, String> {
    let mut line = String::new();
    match reader.read_line(&mut line) {
        Ok(0) => Ok(None),
        Ok(_) => Ok(Some(line.trim_end_matches(['\r', '\n']).to_owned())),
        Err(e) => Err(format!("read error: {e}")),
    }
}

fn read_request<R: BufRead>(reader: &mut R) -> Result<Option<Request>, String> {
    let Some(start) = read_line(reader)? else {
        return Ok(None);
    };
    let mut parts = start.split(' ');
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Err(format!("bad request line {start:?}"));
    };
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader)?.ok_or("connection closed in the headers")?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').ok_or("bad header line")?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let get = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    let body = if get("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        read_chunked(reader)?
    } else {
        let length: usize = match get("content-length") {
            Some(v) => v.parse().map_err(|_| "bad Content-Length")?,
            None => 0,
        };
        if length > MAX_BODY {
            return Err("body too large".into());
        }
        let mut body = vec![0; length];
        reader
            .read_exact(&mut body)
            .map_err(|e| format!("short body: {e}"))?;
        body
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (n, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(n), decode(v))
        })
        .collect();
    Ok(Some(Request {
        method: method.to_owned(),
        path: decode(path),
        query,
        headers,
        body,
    }))
}

fn read_chunked<R: BufRead>(reader: &mut R) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line = read_line(reader)?.ok_or("connection closed in a chunk")?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| "bad chunk size")?;
        if size == 0 {
            // Trailers, then the empty line.
            while !read_line(reader)?.unwrap_or_default().is_empty() {}
            return Ok(body);
        }
        if body.len() + size > MAX_BODY {
            return Err("body too large".into());
        }
        let mut chunk = vec![0; size + 2];
        reader
            .read_exact(&mut chunk)
            .map_err(|e| format!("short chunk: {e}"))?;
        body.extend_from_slice(&chunk[..size]);
    }
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match u8::from_str_radix(&text[i + 1..i + 3], 16) {
                Ok(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                Err(_) => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
