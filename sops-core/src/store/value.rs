//! How the flat stores write a value that is not a string: sops's `stores.ValToString`, which
//! dotenv and INI use for scalars, Go's `%v` of the nested values sops writes into INI, and Go's
//! `json.Marshal` of a tree value, which the INI store prints for an extracted value that is
//! neither a string nor a mapping.
//!
//! A leaf of the store module: the dotenv and INI stores and the metadata flattening use it.

use crate::error::{Error, ErrorKind};
use crate::go;
use crate::tree::{MapItem, Node, Scalar, SeqItem};

/// Nesting deeper than this cannot be written by dotenv or INI (sops recurses without limit).
pub(super) const MAX_VALUE_DEPTH: usize = 128;

/// The error for a value nested deeper than [`MAX_VALUE_DEPTH`].
pub(super) fn too_deep() -> Error {
    Error::new(
        ErrorKind::EmitFailed,
        "a value is nested too deeply to write",
    )
    .with_hint("dotenv and INI hold flat values; write this file as YAML or JSON")
}

/// sops's `stores.ValToString`: how dotenv and INI write a value that is not a string.
///
/// Floats use Go's `'G'` format with `.0` added to integral values (`100.0`, `1E+21`), times
/// RFC 3339 without fractional seconds, null `<nil>`; lists and maps are Go's `%v` of sops's
/// tree (`[a b]`, `[{key value}]`), which is what sops writes for them in INI.
pub(super) fn val_to_string(node: &Node) -> Result<String, Error> {
    let mut out = String::new();
    match node {
        Node::Scalar(Scalar::Float(f)) if f.is_finite() => {
            out = go::float_g(*f).replace('e', "E");
            if !out.contains(['.', 'E']) {
                out = format!("{f:.1}");
            }
        }
        Node::Scalar(Scalar::Time(t)) => out = t.rfc3339_seconds(),
        other => go_v(other, &mut out, 0)?,
    }
    Ok(out)
}

/// Go's `fmt.Sprintf("%v", v)` of a sops tree value. A map is a `TreeBranch` of `TreeItem`
/// structs (`[{key value}]`), a comment a `Comment` struct (`{text}`).
fn go_v(node: &Node, out: &mut String, depth: usize) -> Result<(), Error> {
    if depth > MAX_VALUE_DEPTH {
        return Err(too_deep());
    }
    match node {
        Node::Scalar(Scalar::Null) => out.push_str("<nil>"),
        Node::Scalar(Scalar::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
        Node::Scalar(Scalar::Int(i)) => out.push_str(&i.to_string()),
        Node::Scalar(Scalar::Float(f)) if f.is_nan() => out.push_str("NaN"),
        Node::Scalar(Scalar::Float(f)) if f.is_infinite() => {
            out.push_str(if *f > 0.0 { "+Inf" } else { "-Inf" })
        }
        Node::Scalar(Scalar::Float(f)) => out.push_str(&go::float_g(*f)),
        Node::Scalar(Scalar::Time(t)) => out.push_str(&go::time_string(&t.rfc3339_nano)),
        Node::Scalar(Scalar::Str(s)) => out.push_str(s.as_str()),
        Node::Scalar(Scalar::Bytes(b)) => out.push_str(&String::from_utf8_lossy(b.secret_bytes())),
        Node::Sequence(seq) => {
            out.push('[');
            for (i, item) in seq.items.iter().enumerate() {
                out.push_str(if i > 0 { " " } else { "" });
                match item {
                    SeqItem::Value(v) => go_v(v, out, depth + 1)?,
                    SeqItem::Comment(c) => *out += &format!("{{{}}}", c.as_str()),
                }
            }
            out.push(']');
        }
        Node::Mapping(map) => {
            out.push('[');
            for (i, item) in map.items.iter().enumerate() {
                out.push_str(if i > 0 { " " } else { "" });
                match item {
                    MapItem::Pair(k, v) => {
                        *out += &format!("{{{k} ");
                        go_v(v, out, depth + 1)?;
                        out.push('}');
                    }
                    MapItem::Comment(c) => *out += &format!("{{{{{}}} <nil>}}", c.as_str()),
                }
            }
            out.push(']');
        }
    }
    Ok(())
}

/// Go's `json.Marshal` of a sops tree value, as the INI store's `EmitValue` writes it: compact,
/// a map as a list of `{"Key":…,"Value":…}` objects, an empty list as `null` (a nil slice).
pub(super) fn go_json(node: &Node, out: &mut String, depth: usize) -> Result<(), Error> {
    if depth > MAX_VALUE_DEPTH {
        return Err(too_deep());
    }
    match node {
        Node::Scalar(Scalar::Null) => out.push_str("null"),
        Node::Scalar(Scalar::Float(f)) if !f.is_finite() => {
            let shown = val_to_string(node)?;
            return Err(Error::new(
                ErrorKind::EmitFailed,
                format!("json: unsupported value: {shown}"),
            )
            .with_hint("JSON has no NaN or infinity; extract a string instead"));
        }
        Node::Scalar(Scalar::Float(f)) => *out += &go::JsonFloat(*f).to_string(),
        Node::Scalar(Scalar::Time(t)) => json_string(&t.rfc3339_nano, out),
        Node::Scalar(Scalar::Str(s)) => json_string(s.as_str(), out),
        Node::Scalar(Scalar::Bytes(b)) => {
            json_string(&String::from_utf8_lossy(b.secret_bytes()), out)
        }
        Node::Scalar(Scalar::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
        Node::Scalar(Scalar::Int(i)) => out.push_str(&i.to_string()),
        Node::Sequence(seq) if seq.items.is_empty() => out.push_str("null"),
        Node::Sequence(seq) => {
            out.push('[');
            for (i, item) in seq.items.iter().enumerate() {
                out.push_str(if i > 0 { "," } else { "" });
                match item {
                    SeqItem::Value(v) => go_json(v, out, depth + 1)?,
                    SeqItem::Comment(c) => {
                        out.push_str("{\"Value\":");
                        json_string(c.as_str(), out);
                        out.push('}');
                    }
                }
            }
            out.push(']');
        }
        Node::Mapping(map) => {
            out.push('[');
            for (i, item) in map.items.iter().enumerate() {
                out.push_str(if i > 0 { ",{\"Key\":" } else { "{\"Key\":" });
                match item {
                    MapItem::Pair(k, v) => {
                        json_string(k, out);
                        out.push_str(",\"Value\":");
                        go_json(v, out, depth + 1)?;
                    }
                    MapItem::Comment(c) => {
                        out.push_str("{\"Value\":");
                        json_string(c.as_str(), out);
                        out.push_str("},\"Value\":null");
                    }
                }
                out.push('}');
            }
            out.push(']');
        }
    }
    Ok(())
}

/// A JSON string as Go escapes it, HTML characters and U+2028/U+2029 included.
fn json_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => *out += &format!("\\u{:04x}", c as u32),
            c if (c as u32) < 0x20 => *out += &format!("\\u{:04x}", c as u32),
            c => out.push(c),
        }
    }
    out.push('"');
}
