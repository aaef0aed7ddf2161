//! `ref+vault://PATH[?params]#/key`: a secret of HashiCorp Vault's KV engine (version 1 or 2),
//! read as vals reads it, through the Vault backend's client (`sops_keys::vault::VaultClient`:
//! its transport, TLS trust, timeout, `SOPS_HC_VAULT_ALLOWLIST` and error text).
//!
//! * The mount's KV version comes from Vault's preflight, `GET /v1/sys/internal/ui/mounts/PATH`
//!   (a 404 there means version 1, as for older servers); for version 2 the secret is read at
//!   `MOUNT/data/REST`, with `?version=N` when the reference has `version`.
//! * With a fragment, the secret's data (for version 2, its `data.data`) is the document the
//!   fragment selects from, types kept. Without one, the last path segment names the field:
//!   `ref+vault://secret/app/password` is field `password` of `secret/app`, as text;
//!   `decode=base64` decodes it.
//! * Address: `address`, else `proto` (default `https`) `://host`, else `VAULT_ADDR`, else
//!   Vault's default `https://127.0.0.1:8200`. Namespace: `namespace`, else `VAULT_NAMESPACE`.
//! * Token (vals' `token` auth method, the only one supported): `token_env` (the named variable,
//!   which must be set) or `token_file`, else `VAULT_TOKEN`, else the file `VAULT_TOKEN_FILE`,
//!   else `~/.vault-token`. Other `auth_method`s (`approle`, `kubernetes`, `userpass`) are
//!   refused with a message.
//!
//! Every variable comes from the caller's [`RefEnv`]; only the system trust store (when
//! `VAULT_CACERT` is unset) follows the process's `SSL_CERT_FILE` and `SSL_CERT_DIR`.

use crate::env::RefEnv;
use crate::parse::Ref;
use serde_json::Value;
use sops_core::tree::Node;
use sops_core::SecretText;
use sops_keys::vault::{read_token_file, scrub, TokenSource, VaultClient, VaultSettings};
use std::path::PathBuf;
use zeroize::Zeroizing;

/// Vault's Go client's default address.
const DEFAULT_ADDRESS: &str = "https://127.0.0.1:8200";

/// A secret's data as a document a fragment selects from.
pub(crate) fn document(r: &Ref, env: &RefEnv) -> Result<Node, String> {
    let mut data = read_secret(r, env, &r.path)?;
    let text = Zeroizing::new(data.to_string());
    scrub(&mut data);
    crate::local::parse_document(text.as_bytes(), sops_core::store::Format::Json)
}

/// One field of a secret as text: the last path segment names the field.
pub(crate) fn string(r: &Ref, env: &RefEnv) -> Result<SecretText, String> {
    let (path, field) = r
        .path
        .rsplit_once('/')
        .ok_or_else(|| "the path needs a field after the secret's path (PATH/FIELD), or use a fragment (#/FIELD)".to_owned())?;
    let mut data = read_secret(r, env, path)?;
    let text = match data.get(field) {
        None => Err(format!("key {field:?} does not exist in {path:?}")),
        Some(Value::String(s)) => Ok(SecretText::new(s.as_str())),
        Some(Value::Number(n)) => Ok(SecretText::new(n.to_string())),
        Some(Value::Bool(b)) => Ok(SecretText::new(b.to_string())),
        Some(Value::Null) => Ok(SecretText::new("<nil>")),
        Some(_) => Err(format!(
            "field {field:?} of {path:?} is not a scalar: use a fragment to select from it"
        )),
    };
    scrub(&mut data);
    let text = text?;
    match r.param("decode", env).as_deref() {
        None | Some("raw") => Ok(text),
        Some("base64") => {
            use base64::Engine as _;
            let bytes = Zeroizing::new(
                base64::engine::general_purpose::STANDARD
                    .decode(text.as_bytes())
                    .map_err(|_| format!("field {field:?} is not valid base64"))?,
            );
            std::str::from_utf8(&bytes)
                .map(SecretText::new)
                .map_err(|_| format!("field {field:?} does not decode to UTF-8 text"))
        }
        Some(other) => Err(format!("unsupported decode parameter: {other:?}")),
    }
}

/// The data of the secret at `path` (KV v1 `data`, KV v2 `data.data`).
fn read_secret(r: &Ref, env: &RefEnv, path: &str) -> Result<Value, String> {
    let path = path.trim_matches('/');
    let address = address(r, env);
    let client = VaultClient::new(settings(r, env)?);
    let fail = |e: sops_keys::vault::VaultError| format!("vault: {e}\n  hint: {}", e.hint());
    let preflight = client
        .read(&address, &format!("sys/internal/ui/mounts/{path}"), &[])
        .map_err(fail)?;
    let (mount, v2) = match &preflight {
        None => (String::new(), false),
        Some(answer) => {
            let data = answer.get("data");
            let mount = data
                .and_then(|d| d.get("path"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let version = data
                .and_then(|d| d.pointer("/options/version"))
                .and_then(Value::as_str);
            (mount, version == Some("2"))
        }
    };
    let version = r.param("version", env);
    let mut query = Vec::new();
    if let Some(v) = version.as_deref() {
        query.push(("version", v));
    }
    let read_path = if v2 {
        let mount = mount.trim_end_matches('/');
        let rest = path.strip_prefix(mount).unwrap_or(path).trim_matches('/');
        if rest.is_empty() {
            format!("{mount}/data")
        } else {
            format!("{mount}/data/{rest}")
        }
    } else {
        path.to_owned()
    };
    let Some(mut answer) = client.read(&address, &read_path, &query).map_err(fail)? else {
        return Err(format!("no secret found for path {path:?}"));
    };
    let taken = if v2 {
        answer.pointer_mut("/data/data").map(Value::take)
    } else {
        answer.get_mut("data").map(Value::take)
    };
    scrub(&mut answer);
    match taken {
        Some(data @ Value::Object(_)) => Ok(data),
        _ => Err(format!("no secret data at path {path:?}")),
    }
}

fn address(r: &Ref, env: &RefEnv) -> String {
    if let Some(address) = r.query.get("address").filter(|a| !a.is_empty()) {
        return address.clone();
    }
    if let Some(host) = r.query.get("host").filter(|h| !h.is_empty()) {
        let proto = r.query.get("proto").filter(|p| !p.is_empty());
        return format!("{}://{host}", proto.map_or("https", String::as_str));
    }
    env.get("VAULT_ADDR")
        .filter(|a| !a.is_empty())
        .unwrap_or(DEFAULT_ADDRESS)
        .to_owned()
}

/// The client settings of the environment, with the token and namespace as vals picks them.
fn settings(r: &Ref, env: &RefEnv) -> Result<VaultSettings, String> {
    let auth = r
        .query
        .get("auth_method")
        .cloned()
        .or_else(|| env.get("VAULT_AUTH_METHOD").map(str::to_owned))
        .unwrap_or_default();
    if !matches!(auth.as_str(), "" | "token") {
        return Err(format!(
            "auth_method {auth:?} is not supported by sops-rs: log in with `vault login` (or \
             set VAULT_TOKEN) and use the token method"
        ));
    }
    // The token is picked below; the rest (CAs, timeout, allowlist) as for the backend.
    let mut settings = VaultSettings::from_lookup(&|name| match name {
        "VAULT_TOKEN" | "HOME" => None,
        other => env.get(other).map(str::to_owned),
    });
    if let Some(namespace) = r.query.get("namespace").filter(|n| !n.is_empty()) {
        settings.namespace = Some(namespace.clone());
    }
    let from_file = |path: PathBuf| -> Result<_, String> {
        let token = read_token_file(&path).map_err(|e| e.to_string())?;
        Ok(token.map(|t| (t, TokenSource::File(path))))
    };
    let token = if let Some(name) = r.query.get("token_env").filter(|n| !n.is_empty()) {
        match env.get(name).filter(|t| !t.is_empty()) {
            Some(t) => Some((Zeroizing::new(t.to_owned()), TokenSource::Env(name.clone()))),
            None => {
                return Err(format!(
                    "token_env names {name:?} to read the Vault token from, but it is not set"
                ))
            }
        }
    } else if let Some(file) = r.query.get("token_file").filter(|f| !f.is_empty()) {
        let path = expand_home(file, env);
        Some(
            from_file(path.clone())?
                .ok_or_else(|| format!("token_file {} holds no Vault token", path.display()))?,
        )
    } else if let Some(t) = env.get("VAULT_TOKEN").filter(|t| !t.is_empty()) {
        Some((
            Zeroizing::new(t.to_owned()),
            TokenSource::Env("VAULT_TOKEN".into()),
        ))
    } else {
        let file = env
            .get("VAULT_TOKEN_FILE")
            .filter(|f| !f.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                env.get("HOME")
                    .map(|h| PathBuf::from(h).join(".vault-token"))
            });
        match file {
            Some(path) => from_file(path)?,
            None => None,
        }
    };
    (settings.token, settings.token_source) = match token {
        Some((t, source)) => (Some(t), source),
        None => (None, TokenSource::None),
    };
    Ok(settings)
}

fn expand_home(path: &str, env: &RefEnv) -> PathBuf {
    match (path.strip_prefix("~/"), env.get("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}
