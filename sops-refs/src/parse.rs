//! The `ref+` reference syntax as vals (helmfile/vals) reads it: finding references in a
//! string, splitting one into scheme, path, query and fragment, and following a fragment into
//! a document.
//!
//! A reference is `ref+<scheme>://<path>[?<query>][#<fragment>][+]` (or `secretref+…`, which
//! sops-rs treats the same way). vals finds them with one regular expression, used here
//! unchanged: the scheme is anything without `+` or `:` up to `://`; the body runs to the first
//! `+`, space or newline, a trailing `"` or `,` excluded; a `+` right after the body closes the
//! reference and is consumed. So a `+` can never be part of a reference, and several
//! references fit in one string when each is closed with `+`.
//!
//! The path is everything after `://` up to `?` or `#`, percent-decoded; an AWS ARN right after
//! `://` is kept verbatim. Query parameters are `k=v` pairs joined by `&` (the first value of a
//! name wins). The fragment is a `/`-separated key path, its leading `/` optional; an empty one
//! means no fragment.

use crate::env::RefEnv;
use regex::Regex;
use sops_core::tree::{MapItem, Mapping, Node, SeqItem};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// How deep nested references (`ref+echo://ref+envsubst://$X/p`) may go, as in vals.
pub const MAX_NESTING: usize = 10;

/// vals' `DefaultRefRegexp`.
fn ref_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#"((secret)?ref)\+([^+:]*://[^+\n ]+[^+\n ",])\+?"#).expect("a valid regex")
    })
}

/// The start of a reference, used to detect nesting.
fn prefix_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(secret)?ref\+").expect("a valid regex"))
}

/// One reference found in a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    /// Byte range of the whole match, `ref+` and a closing `+` included.
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// `<scheme>://…`, without the `ref+` prefix and the closing `+`.
    pub(crate) body: String,
}

impl Found {
    /// The reference as written (`ref+…`), for messages.
    pub(crate) fn text<'a>(&self, haystack: &'a str) -> &'a str {
        &haystack[self.start..self.end]
    }
}

/// The first reference in `s` at or after byte `from`.
pub(crate) fn find_ref(s: &str, from: usize) -> Option<Found> {
    let caps = ref_regex().captures_at(s, from)?;
    let whole = caps.get(0)?;
    Some(Found {
        start: whole.start(),
        end: whole.end(),
        body: caps.get(3)?.as_str().to_owned(),
    })
}

/// True when `s` may hold a reference (a cheap test before parsing a file).
pub(crate) fn may_contain_ref(bytes: &[u8]) -> bool {
    bytes.windows(4).any(|w| w == b"ref+")
}

/// The innermost nested reference of `s`, if any: a `ref+` that follows another one with no
/// space, newline, tab, `"` or `,` in between (vals' `resolveInnerRefs`).
pub(crate) fn find_nested(s: &str) -> Option<Found> {
    let starts: Vec<(usize, usize)> = prefix_regex()
        .find_iter(s)
        .map(|m| (m.start(), m.end()))
        .collect();
    for i in (1..starts.len()).rev() {
        let between = &s[starts[i - 1].1..starts[i].0];
        if between.contains([' ', '\n', '\r', '\t', '"', ',']) {
            continue;
        }
        if let Some(found) = find_ref(s, starts[i].0).filter(|f| f.start == starts[i].0) {
            return Some(found);
        }
    }
    None
}

/// A parsed reference body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ref {
    pub(crate) scheme: String,
    /// The provider's key: a file path, a secret name, a parameter name, the echoed text….
    pub(crate) path: String,
    pub(crate) query: BTreeMap<String, String>,
    /// The key path without its leading `/`; empty for none.
    pub(crate) fragment: String,
}

impl Ref {
    /// Splits `<scheme>://<path>[?<query>][#<fragment>]`.
    pub(crate) fn parse(body: &str) -> Result<Ref, String> {
        let (scheme, rest) = body
            .split_once("://")
            .ok_or_else(|| "a reference needs <scheme>://".to_owned())?;
        if scheme.is_empty() {
            return Err("the scheme is empty".to_owned());
        }
        let (before_fragment, fragment) = match rest.split_once('#') {
            Some((b, f)) => (b, decode(f)?),
            None => (rest, String::new()),
        };
        let (raw_path, raw_query) = match before_fragment.split_once('?') {
            Some((p, q)) => (p, q),
            None => (before_fragment, ""),
        };
        let path = if raw_path.starts_with("arn:aws:") || raw_path.starts_with("arn:aws-") {
            raw_path.to_owned()
        } else {
            decode(raw_path)?
        };
        let mut query = BTreeMap::new();
        for pair in raw_query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            query.entry(decode(k)?).or_insert(decode(v)?);
        }
        let fragment = fragment.trim_start_matches('#').trim_start_matches('/');
        Ok(Ref {
            scheme: scheme.to_owned(),
            path,
            query,
            fragment: fragment.to_owned(),
        })
    }

    /// A query parameter, else `VALS_<NAME>` from the environment (as vals falls back), else
    /// `None`; empty values count as absent.
    pub(crate) fn param(&self, name: &str, env: &RefEnv) -> Option<String> {
        self.query
            .get(name)
            .cloned()
            .or_else(|| {
                env.get(&format!("VALS_{}", name.to_uppercase()))
                    .map(str::to_owned)
            })
            .filter(|v| !v.is_empty())
    }

    /// The reference without its fragment: what one fetched document is cached under.
    pub(crate) fn document_key(&self) -> String {
        let query: Vec<String> = self.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{}://{}?{}", self.scheme, self.path, query.join("&"))
    }
}

/// Percent-decoding; a malformed escape is an error, as in Go's `url.Parse`.
fn decode(s: &str) -> Result<String, String> {
    if !s.contains('%') {
        return Ok(s.to_owned());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("invalid escape {:?}", s.get(i..(i + 3).min(s.len()))))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "a percent-escape is not UTF-8".to_owned())
}

/// Follows the key path `fragment` (segments separated by `/`) from `root`. Mappings are
/// entered by key; sequences by a decimal index (a sops-rs extension: vals only enters maps).
pub(crate) fn navigate(root: &Node, fragment: &str) -> Result<Node, String> {
    let mut current = root;
    for segment in fragment.split('/') {
        let next = match current {
            Node::Mapping(m) => m.get(segment),
            Node::Sequence(s) => segment.parse::<usize>().ok().and_then(|n| {
                s.items
                    .iter()
                    .filter_map(|item| match item {
                        SeqItem::Value(v) => Some(v),
                        SeqItem::Comment(_) => None,
                    })
                    .nth(n)
            }),
            Node::Scalar(_) => {
                return Err(format!(
                    "no value found for key {fragment}: {segment:?} is looked up in a {}",
                    current.kind_name()
                ))
            }
        };
        current = next.ok_or_else(|| format!("no value found for key {fragment}"))?;
    }
    Ok(current.clone())
}

/// echo's document: `a/b/c` is `{a: {b: c}}` (vals' `GetStringMap`).
pub(crate) fn echo_document(path: &str) -> Result<Node, String> {
    let keys: Vec<&str> = path.split('/').collect();
    if keys.len() < 2 {
        return Err(format!(
            "key must have two or more components separated by \"/\": got {path:?}"
        ));
    }
    let mut node = Node::string(keys[keys.len() - 1]);
    for key in keys[..keys.len() - 1].iter().rev() {
        node = Node::Mapping(Mapping {
            items: vec![MapItem::Pair((*key).to_owned(), node)],
        });
    }
    Ok(node)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_references_like_vals() {
        let s = "a ref+echo://x/y+ b ref+echo://zz+ c";
        let first = find_ref(s, 0).unwrap();
        assert_eq!(
            (first.body.as_str(), first.text(s)),
            ("echo://x/y", "ref+echo://x/y+")
        );
        let second = find_ref(s, first.end).unwrap();
        assert_eq!(second.body, "echo://zz");
        assert!(find_ref(s, second.end).is_none());
        // Without the closing `+`, the body runs to the space; a trailing `"` or `,` is left.
        assert_eq!(find_ref("ref+echo://ab c", 0).unwrap().body, "echo://ab");
        assert_eq!(find_ref("[ref+echo://ab,", 0).unwrap().body, "echo://ab");
        assert_eq!(find_ref("\"ref+echo://ab\"", 0).unwrap().body, "echo://ab");
        // The body is at least two characters long (vals' expression).
        assert!(find_ref("ref+echo://a", 0).is_none());
        assert_eq!(
            find_ref("secretref+file://kk", 0).unwrap().body,
            "file://kk"
        );
        assert!(find_ref("ref+nothing", 0).is_none());
        assert!(find_ref("ref+x://", 0).is_none());
    }

    #[test]
    fn parses_the_parts() {
        let r = Ref::parse("sops://dir/creds%2Bx.yaml?format=json&key_type=filepath#/a/b").unwrap();
        assert_eq!(r.scheme, "sops");
        assert_eq!(r.path, "dir/creds+x.yaml");
        assert_eq!(r.query.get("format").map(String::as_str), Some("json"));
        assert_eq!(r.fragment, "a/b");
        let arn = "arn:aws:secretsmanager:eu-west-3:123456789012:secret:x";
        let r = Ref::parse(&format!("awssecrets://{arn}?region=us-east-1#/k")).unwrap();
        assert_eq!((r.path.as_str(), r.fragment.as_str()), (arn, "k"));
        assert_eq!(Ref::parse("file:///abs/p#/").unwrap().fragment, "");
        assert!(Ref::parse("file://bad%zz").is_err());
    }

    #[test]
    fn finds_the_innermost_nested_reference() {
        let s = "ref+echo://ref+envsubst://$X/p";
        let inner = find_nested(s).unwrap();
        assert_eq!(inner.body, "envsubst://$X/p");
        assert!(find_nested("ref+echo://a+ ref+echo://b").is_none());
    }

    #[test]
    fn echo_documents_nest_the_segments() {
        let doc = echo_document("a/b/c").unwrap();
        assert_eq!(navigate(&doc, "a/b").unwrap().as_str(), Some("c"));
        assert!(navigate(&doc, "a/x").is_err());
        assert!(navigate(&doc, "a/b/c").is_err());
        assert!(echo_document("single").is_err());
    }
}
