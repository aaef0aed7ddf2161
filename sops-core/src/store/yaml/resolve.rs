//! How go-yaml v3 reads an unquoted scalar (`resolve`), and the checks its encoder makes before
//! writing a string plain (`isOldBool`, `isBase60Float`). Both sides must agree with go-yaml so
//! that `017`, `0x1F`, `1e3`, timestamps and `"yes"` survive a round trip exactly as in sops.

use crate::go::{parse_yaml_timestamp, CivilTime};

/// What a plain scalar means to go-yaml v3.
#[derive(Debug, PartialEq)]
pub(crate) enum Resolved {
    /// `null`, `~`, empty.
    Null,
    /// `true`/`false` and their capitalised forms (not `yes`/`no`).
    Bool(bool),
    /// An integer that fits in int64.
    Int(i64),
    /// An integer that fits only in uint64: sops cannot walk it.
    Uint(u64),
    /// A float.
    Float(f64),
    /// A timestamp.
    Time(CivilTime),
    /// Anything else.
    Str,
}

/// go-yaml v3 `resolve("", text)` for a plain scalar.
pub(crate) fn resolve_plain(text: &str) -> Resolved {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "true" | "True" | "TRUE" => return Resolved::Bool(true),
        "false" | "False" | "FALSE" => return Resolved::Bool(false),
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        _ => {}
    }
    let first = text.as_bytes()[0];
    match first {
        b'.' => match go_parse_float(text) {
            Some(f) => Resolved::Float(f),
            None => Resolved::Str,
        },
        b'+' | b'-' | b'0'..=b'9' => resolve_number(text),
        _ => Resolved::Str,
    }
}

fn resolve_number(text: &str) -> Resolved {
    if let Some(t) = parse_yaml_timestamp(text) {
        return Resolved::Time(t);
    }
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    if let Some(i) = go_parse_int(&plain) {
        return match i {
            GoInt::Signed(v) => Resolved::Int(v),
            GoInt::Unsigned(v) => Resolved::Uint(v),
        };
    }
    if is_yaml_style_float(&plain) {
        if let Some(f) = go_parse_float(&plain) {
            return Resolved::Float(f);
        }
    }
    let (negative, digits) = match plain.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, plain.as_str()),
    };
    for (prefix, radix) in [("0b", 2), ("0o", 8)] {
        if let Some(body) = digits.strip_prefix(prefix) {
            if negative {
                if let Ok(v) = i64::from_str_radix(&format!("-{body}"), radix) {
                    return Resolved::Int(v);
                }
            } else if let Ok(v) = i64::from_str_radix(body, radix) {
                return Resolved::Int(v);
            } else if let Ok(v) = u64::from_str_radix(body, radix) {
                return Resolved::Uint(v);
            }
        }
    }
    Resolved::Str
}

enum GoInt {
    Signed(i64),
    Unsigned(u64),
}

/// Go `strconv.ParseInt(s, 0, 64)`, falling back to `ParseUint(s, 0, 64)`.
fn go_parse_int(s: &str) -> Option<GoInt> {
    let (sign, body) = match s.as_bytes().first()? {
        b'+' => ("", &s[1..]),
        b'-' => ("-", &s[1..]),
        _ => ("", s),
    };
    let (radix, digits) =
        if let Some(d) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (16, d)
        } else if let Some(d) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
            (8, d)
        } else if let Some(d) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
            (2, d)
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..])
        } else {
            (10, body)
        };
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    if let Ok(v) = i64::from_str_radix(&format!("{sign}{digits}"), radix) {
        return Some(GoInt::Signed(v));
    }
    if sign.is_empty() && !s.starts_with('+') {
        if let Ok(v) = u64::from_str_radix(digits, radix) {
            return Some(GoInt::Unsigned(v));
        }
    }
    None
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go `strconv.ParseFloat(s, 64)` for the decimal forms YAML can reach; out-of-range values
/// are errors in Go (`1e400`), so they stay strings.
pub(crate) fn go_parse_float(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    if lower.contains("inf") || lower.contains("nan") || lower.contains('_') || lower.contains('x')
    {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    v.is_finite().then_some(v)
}

/// go-yaml's `isOldBool`: YAML 1.1 booleans that v3 reads as strings but quotes on output.
pub(crate) fn is_old_bool(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "off"
            | "Off"
            | "OFF"
    )
}

/// go-yaml's `isBase60Float`: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
pub(crate) fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    if i >= b.len() || !b[i].is_ascii_digit() {
        return false;
    }
    i += 1;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while i < b.len() && b[i] == b':' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() && i - start < 2 {
            i += 1;
        }
        let group = &b[start..i];
        let ok = match group.len() {
            1 => true,
            2 => group[0] <= b'5',
            _ => false,
        };
        if !ok {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// A float as go-yaml writes it: `.nan`, `.inf`, `-.inf`, else Go's `'g'` format.
pub(crate) fn go_float_g(v: f64) -> String {
    if v.is_nan() {
        return ".nan".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { ".inf" } else { "-.inf" }.to_owned();
    }
    crate::go::float_g(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_yaml_resolution() {
        assert_eq!(resolve_plain("0x1F"), Resolved::Int(31));
        assert_eq!(resolve_plain("017"), Resolved::Int(15));
        assert_eq!(resolve_plain("0o17"), Resolved::Int(15));
        assert_eq!(resolve_plain("0b101"), Resolved::Int(5));
        assert_eq!(resolve_plain("1_000"), Resolved::Int(1000));
        assert_eq!(resolve_plain("+5"), Resolved::Int(5));
        assert_eq!(resolve_plain("007"), Resolved::Int(7));
        assert_eq!(resolve_plain("08"), Resolved::Float(8.0));
        assert_eq!(resolve_plain("1."), Resolved::Float(1.0));
        assert_eq!(resolve_plain(".5"), Resolved::Float(0.5));
        assert_eq!(resolve_plain("1e400"), Resolved::Str);
        assert_eq!(resolve_plain("99999999999999999999"), Resolved::Float(1e20));
        assert_eq!(
            resolve_plain("18446744073709551615"),
            Resolved::Uint(u64::MAX)
        );
        assert_eq!(resolve_plain("yes"), Resolved::Str);
        assert_eq!(resolve_plain("True"), Resolved::Bool(true));
        assert!(matches!(resolve_plain("2001-12-14"), Resolved::Time(_)));
        assert_eq!(resolve_plain("12:30:00"), Resolved::Str);
        assert!(is_base60_float("12:30:00"));
        assert!(!is_base60_float("12:60"));
    }

    #[test]
    fn go_g_format() {
        assert_eq!(go_float_g(1234567.0), "1.234567e+06");
        assert_eq!(go_float_g(123456.5), "123456.5");
        assert_eq!(go_float_g(100000.0), "100000");
        assert_eq!(go_float_g(1.0), "1");
        assert_eq!(go_float_g(0.0001), "0.0001");
        assert_eq!(go_float_g(0.00001), "1e-05");
        assert_eq!(go_float_g(-0.0), "-0");
        assert_eq!(go_float_g(1e21), "1e+21");
        assert_eq!(go_float_g(1e-7), "1e-07");
        assert_eq!(go_float_g(0.75), "0.75");
        assert_eq!(go_float_g(-2.5e-10), "-2.5e-10");
    }
}
