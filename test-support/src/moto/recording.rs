//! The requests a recording `moto_server` received, and how to pick them apart.
//!
//! With `MOTO_ENABLE_RECORDING=1` moto appends one JSON object per request to a file
//! (`method`, `url`, `headers`, `body`, and `body_encoded` when it stored the body in base64).

use base64::Engine as _;
use std::path::Path;

/// The recording's file name inside the server's scratch directory.
pub(crate) const FILE: &str = "recording.jsonl";

/// The requests recorded in `path`; none if the file does not exist.
pub(crate) fn read(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a recorded request"))
        .collect()
}

/// The decoded body of a recorded request (moto stores some bodies base64-encoded).
pub fn body(request: &serde_json::Value) -> String {
    let text = request["body"].as_str().unwrap_or_default();
    if request["body_encoded"].as_bool() == Some(true) {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .expect("a base64 body");
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        text.to_owned()
    }
}

/// The recorded requests whose `X-Amz-Target` (JSON protocols) or `Action=` (query protocol)
/// names `operation`.
pub fn requests_for<'a>(
    recorded: &'a [serde_json::Value],
    operation: &str,
) -> Vec<&'a serde_json::Value> {
    recorded
        .iter()
        .filter(|r| {
            let target = r["headers"]["X-Amz-Target"].as_str().unwrap_or_default();
            target.ends_with(&format!(".{operation}"))
                || body(r).contains(&format!("Action={operation}&"))
        })
        .collect()
}

/// The access key id a recorded request was signed with.
pub fn signing_key_id(request: &serde_json::Value) -> String {
    let auth = request["headers"]["Authorization"]
        .as_str()
        .unwrap_or_default();
    auth.split("Credential=")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default()
        .to_owned()
}
