//! The schemes that need no network: `echo`, `file`, `envsubst` and `sops`.
//!
//! Each has two faces, as a vals provider does: the whole value as a string (a reference
//! without fragment) and a document (a reference with a fragment, which is then followed into
//! it). Documents are YAML or JSON mappings, read with sops-core's stores, so numbers, booleans,
//! nulls, timestamps, mappings and sequences keep their types.
//!
//! Relative paths (`file`, `sops`) are taken against the directory of the values file (vals
//! uses the process's working directory), and files are read through the [`PathPolicy`] only
//! (regular files, inside the tree when the switches say so, at most 64 MiB). `sops` decrypts in memory with the caller's key
//! sources ([`SopsKeys`]); no plaintext is written anywhere.

use crate::confine::{PathErrorKind, PathPolicy, Target};
use crate::env::RefEnv;
use crate::error::Failure;
use crate::keys::SopsKeys;
use crate::parse::Ref;
use sops_core::internal::open_tree;
use sops_core::store::Format;
use sops_core::tree::{Node, Tree};
use sops_core::{DecryptOptions, SecretText};
use std::path::Path;
use zeroize::Zeroizing;

/// `echo://text`: the text, trailing slashes removed.
pub(crate) fn echo_string(r: &Ref) -> SecretText {
    SecretText::new(r.path.trim_end_matches('/'))
}

/// The file of a `file` or `sops` reference, `path` as written in it (trailing slashes
/// removed), relative to `base_dir`, read through the path policy.
fn read(policy: &PathPolicy, base_dir: &Path, path: &str) -> Result<Zeroizing<Vec<u8>>, Failure> {
    policy
        .read(
            base_dir,
            Path::new(path.trim_end_matches('/')),
            Target::Reference,
        )
        .map_err(|e| {
            let kind = e.kind_text();
            match e.kind {
                PathErrorKind::NotFound | PathErrorKind::Io(_) => Failure::new(
                    kind,
                    format!("cannot read {}: {}", e.path.display(), e.reason()),
                ),
                _ => Failure::from(e),
            }
        })
}

/// `file://path[?encode=raw|base64]`: the file's text, or its bytes in base64.
pub(crate) fn file_string(
    policy: &PathPolicy,
    base_dir: &Path,
    r: &Ref,
    env: &RefEnv,
) -> Result<SecretText, Failure> {
    let bytes = read(policy, base_dir, &r.path)?;
    match r.param("encode", env).as_deref().unwrap_or("raw") {
        "raw" => match std::str::from_utf8(&bytes) {
            Ok(text) => Ok(SecretText::new(text)),
            Err(_) => Err(Failure::new(
                "its file is not UTF-8 text",
                format!(
                    "{} is not UTF-8 text (use ?encode=base64)",
                    base_dir.join(&r.path).display()
                ),
            )),
        },
        "base64" => Ok(SecretText::new(base64_encode(&bytes))),
        other => Err(format!("unsupported encode parameter {other:?} (raw or base64)").into()),
    }
}

/// `file://path#/k`: the file read as a JSON (by its suffix) or YAML mapping.
pub(crate) fn file_document(
    policy: &PathPolicy,
    base_dir: &Path,
    r: &Ref,
) -> Result<Node, Failure> {
    let bytes = read(policy, base_dir, &r.path)?;
    let path = base_dir.join(r.path.trim_end_matches('/'));
    let format = match Format::from_path(&path) {
        Format::Json => Format::Json,
        _ => Format::Yaml,
    };
    parse_document(&bytes, format).map_err(|why| {
        Failure::new(
            "its file is not a document a fragment can select from",
            format!("{}: {why}", path.display()),
        )
    })
}

/// `envsubst://…`: the text with `$VAR`, `${VAR}`, `${VAR:-default}` (and `-`, `=`, `:=`)
/// expanded, trailing slashes and surrounding spaces removed.
pub(crate) fn envsubst_string(r: &Ref, env: &RefEnv) -> Result<SecretText, String> {
    let text = r.path.trim_end_matches('/').trim();
    expand_env(text, &|name| env.get(name).map(str::to_owned))
}

/// `envsubst://…#/k`: the expanded text read as a YAML mapping.
pub(crate) fn envsubst_document(r: &Ref, env: &RefEnv) -> Result<Node, String> {
    let text = envsubst_string(r, env)?;
    parse_document(text.as_bytes(), Format::Yaml)
}

/// Expands environment variables as a8m/envsubst does by default, except that a variable that
/// is not set and has no default is an error (vals would put an empty string in its place).
/// `$$` is a literal `$`.
pub(crate) fn expand_env(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<SecretText, String> {
    let is_name_start = |c: char| c.is_ascii_alphabetic() || c == '_';
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let missing = |name: &str| format!("environment variable {name} is not set");
    let mut out = zeroize::Zeroizing::new(String::with_capacity(text.len()));
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('{') {
            let close = inner
                .find('}')
                .ok_or_else(|| format!("unclosed ${{ in {text:?}"))?;
            let expr = &inner[..close];
            let name_len = expr.find(|c: char| !is_name(c)).unwrap_or(expr.len());
            let (name, op) = expr.split_at(name_len);
            if !name.starts_with(is_name_start) {
                return Err(format!("bad substitution ${{{expr}}}"));
            }
            let value = lookup(name);
            let value = match op {
                "" => value.ok_or_else(|| missing(name))?,
                _ if op.starts_with(":-") || op.starts_with(":=") => value
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| op[2..].to_owned()),
                _ if op.starts_with('-') || op.starts_with('=') => {
                    value.unwrap_or_else(|| op[1..].to_owned())
                }
                _ => return Err(format!("unsupported substitution ${{{expr}}}")),
            };
            out.push_str(&value);
            rest = &inner[close + 1..];
        } else if after.starts_with(is_name_start) {
            let end = after.find(|c: char| !is_name(c)).unwrap_or(after.len());
            let name = &after[..end];
            out.push_str(&lookup(name).ok_or_else(|| missing(name))?);
            rest = &after[end..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(SecretText::new(out.as_str()))
}

/// The decrypted tree of `sops://path[?format=…&key_type=filepath|base64]`, and the format it
/// is written in when the whole file is asked for.
fn sops_open(
    policy: &PathPolicy,
    base_dir: &Path,
    r: &Ref,
    env: &RefEnv,
    keys: &dyn SopsKeys,
) -> Result<(Tree, Format), Failure> {
    let (input, named) = match r.param("key_type", env).as_deref().unwrap_or("filepath") {
        "filepath" => (
            read(policy, base_dir, &r.path)?,
            Format::from_path(&base_dir.join(&r.path)),
        ),
        "base64" => (
            Zeroizing::new(base64_decode_url(&r.path).ok_or("the path is not base64url")?),
            Format::Binary,
        ),
        other => return Err(format!("unsupported key type {other:?} (filepath or base64)").into()),
    };
    let format = match r.param("format", env) {
        Some(name) => Format::from_name(&name).ok_or(format!("unknown format {name:?}"))?,
        None if named == Format::Binary && !r.fragment.is_empty() => Format::Yaml,
        None => named,
    };
    let store = format.store();
    let options = DecryptOptions::default();
    let (tree, _) = open_tree(&input, store.as_ref(), &keys.key_sources(), &options)
        .map_err(|e| Failure::new("its file could not be decrypted", keys.explain(e)))?;
    Ok((tree, format))
}

/// `sops://path`: the decrypted file as `sops-rs decrypt` prints it.
pub(crate) fn sops_string(
    policy: &PathPolicy,
    base_dir: &Path,
    r: &Ref,
    env: &RefEnv,
    keys: &dyn SopsKeys,
) -> Result<SecretText, Failure> {
    let (tree, format) = sops_open(policy, base_dir, r, env, keys)?;
    let bytes = zeroize::Zeroizing::new(
        format
            .store()
            .emit_plain(&tree)
            .map_err(|e| e.to_string())?,
    );
    match std::str::from_utf8(&bytes) {
        Ok(text) => Ok(SecretText::new(text)),
        Err(_) => Err("the decrypted file is not UTF-8 text".into()),
    }
}

/// `sops://path#/k`: the decrypted tree's first document.
pub(crate) fn sops_document(
    policy: &PathPolicy,
    base_dir: &Path,
    r: &Ref,
    env: &RefEnv,
    keys: &dyn SopsKeys,
) -> Result<Node, Failure> {
    let (tree, _) = sops_open(policy, base_dir, r, env, keys)?;
    Ok(Node::Mapping(
        tree.branches.into_iter().next().unwrap_or_default(),
    ))
}

/// A YAML or JSON document that must be a mapping (or empty). The parser's message is left out
/// because it may quote the secret.
pub(crate) fn parse_document(bytes: &[u8], format: Format) -> Result<Node, String> {
    let what = if format == Format::Json {
        "JSON"
    } else {
        "YAML"
    };
    let tree = format.store().load_plain(bytes).map_err(|_| {
        format!("the value is not a {what} mapping, so a fragment cannot select from it")
    })?;
    Ok(Node::Mapping(
        tree.branches.into_iter().next().unwrap_or_default(),
    ))
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// URL-safe base64 (Go's `base64.URLEncoding`, padding optional here).
fn base64_decode_url(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    };
    let digits = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= u32::from(value(*c)?) << (18 - 6 * i);
        }
        out.extend(n.to_be_bytes()[1..chunk.len()].iter());
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "USER_NAME" => Some("ada".to_owned()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn expands_like_envsubst() {
        let x = |t: &str| expand_env(t, &env).map(|s| s.as_str().to_owned());
        assert_eq!(x("$USER_NAME/${USER_NAME}x").unwrap(), "ada/adax");
        assert_eq!(
            x("${NOPE:-d} ${EMPTY:-e} ${EMPTY-f} ${NOPE-g}").unwrap(),
            "d e  g"
        );
        assert_eq!(x("$$USER_NAME costs $5").unwrap(), "$USER_NAME costs $5");
        assert_eq!(
            x("$NOPE").unwrap_err(),
            "environment variable NOPE is not set"
        );
        assert!(x("${USER_NAME").is_err());
        assert!(x("${USER_NAME?x}").is_err());
    }

    #[test]
    fn base64_round_trips() {
        for text in ["", "f", "fo", "foo", "foob", "fooba", "foobar"] {
            let encoded = base64_encode(text.as_bytes());
            let url = encoded.replace('+', "-").replace('/', "_");
            assert_eq!(base64_decode_url(&url).unwrap(), text.as_bytes());
        }
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(&[0xfb, 0xff]), "+/8=");
        assert_eq!(base64_decode_url("-_8").unwrap(), [0xfb, 0xff]);
        assert!(base64_decode_url("a").is_none());
    }

    #[test]
    fn documents_must_be_mappings() {
        assert!(parse_document(b"a: 1\n", Format::Yaml).is_ok());
        assert!(parse_document(b"{\"a\": [1]}", Format::Json).is_ok());
        let err = parse_document(b"just: [a secret", Format::Yaml).unwrap_err();
        assert!(!err.contains("secret"), "{err}");
    }
}
