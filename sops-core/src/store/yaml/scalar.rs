//! How go-yaml v3 writes one scalar: the style its encoder picks for a Go value (plain, single-
//! or double-quoted, literal block) after `yaml_emitter_analyze_scalar`, and the quoted and block
//! writers with their escapes and chomping hints.

use super::resolve::{is_base60_float, is_old_bool, resolve_plain, Resolved};

/// The presentation go-yaml chooses for a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn width(b: u8) -> usize {
    if b & 0x80 == 0 {
        1
    } else if b & 0xE0 == 0xC0 {
        2
    } else if b & 0xF0 == 0xE0 {
        3
    } else if b & 0xF8 == 0xF0 {
        4
    } else {
        1
    }
}

fn byte_at(v: &[u8], i: usize) -> u8 {
    v.get(i).copied().unwrap_or(0)
}

/// libyaml `is_printable`: note that characters outside the BMP are not "printable".
fn is_printable(v: &[u8], i: usize) -> bool {
    let b = v[i];
    let b1 = byte_at(v, i + 1);
    let b2 = byte_at(v, i + 2);
    b == 0x0A
        || (0x20..=0x7E).contains(&b)
        || (b == 0xC2 && b1 >= 0xA0)
        || (b > 0xC2 && b < 0xED)
        || (b == 0xED && b1 < 0xA0)
        || b == 0xEE
        || (b == 0xEF && !(b1 == 0xBB && b2 == 0xBF) && !(b1 == 0xBF && (b2 == 0xBE || b2 == 0xBF)))
}

fn is_break(v: &[u8], i: usize) -> bool {
    let b = byte_at(v, i);
    b == b'\r'
        || b == b'\n'
        || (b == 0xC2 && byte_at(v, i + 1) == 0x85)
        || (b == 0xE2 && byte_at(v, i + 1) == 0x80 && matches!(byte_at(v, i + 2), 0xA8 | 0xA9))
}

fn is_blank(v: &[u8], i: usize) -> bool {
    matches!(byte_at(v, i), b' ' | b'\t')
}

fn is_blankz(v: &[u8], i: usize) -> bool {
    is_blank(v, i) || is_break(v, i) || i >= v.len() || v[i] == 0
}

fn analyze(value: &str) -> Analysis {
    let v = value.as_bytes();
    if v.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let (mut block_indicators, mut line_breaks, mut special, mut tabs) =
        (false, false, false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    if v.starts_with(b"---") || v.starts_with(b"...") {
        block_indicators = true;
    }
    let mut preceded_by_whitespace = true;
    let mut i = 0;
    while i < v.len() {
        let w = width(v[i]);
        let followed_by_whitespace = i + w >= v.len() || is_blankz(v, i + w);
        if i == 0 {
            match v[i] {
                b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>'
                | b'\'' | b'"' | b'%' | b'@' | b'`' => block_indicators = true,
                b'?' | b':' | b'-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match v[i] {
                b':' if followed_by_whitespace => block_indicators = true,
                b'#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if v[i] == b'\t' {
            tabs = true;
        } else if !is_printable(v, i) {
            special = true;
        }
        if v[i] == b' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + w == v.len() {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(v, i) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + w == v.len() {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blankz(v, i);
        i += w;
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space || space_break || tabs || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// The style go-yaml ends up with for a string value (`simple_key` for mapping keys), after the
/// encoder's first choice and the emitter's corrections.
pub(crate) fn string_style(value: &str, simple_key: bool) -> Style {
    if is_plain_enc_value(value) {
        return Style::Plain;
    }
    let resolves_to_string = matches!(resolve_plain_or_str(value), Resolved::Str);
    if resolves_to_string
        && has_plain_charset(value)
        && !is_base60_float(value)
        && !is_old_bool(value)
    {
        return Style::Plain;
    }
    let mut style = if value.contains('\n') {
        Style::Literal
    } else if resolves_to_string && !is_base60_float(value) && !is_old_bool(value) {
        Style::Plain
    } else {
        Style::DoubleQuoted
    };
    let a = analyze(value);
    if simple_key && a.multiline {
        style = Style::DoubleQuoted;
    }
    if style == Style::Plain && (!a.block_plain_allowed || (value.is_empty() && simple_key)) {
        style = Style::SingleQuoted;
    }
    if style == Style::SingleQuoted && !a.single_quoted_allowed {
        style = Style::DoubleQuoted;
    }
    if style == Style::Literal && (!a.block_allowed || simple_key) {
        style = Style::DoubleQuoted;
    }
    style
}

/// An `ENC[AES256_GCM,…]` value as sops writes it: base64 fields and `,:[]_` only, which go-yaml
/// always writes plain.
fn is_plain_enc_value(value: &str) -> bool {
    value.starts_with("ENC[AES256_GCM,data:")
        && value.ends_with(']')
        // Whole chunks without an early exit, so the loop runs branch-free over table lookups.
        && value
            .as_bytes()
            .chunks(32)
            .all(|chunk| chunk.iter().fold(true, |ok, &c| ok & ENC_CHARSET[usize::from(c)]))
}

/// The bytes of an `ENC[…]` value: base64 and `,:[]_`.
static ENC_CHARSET: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = b.is_ascii_alphanumeric()
            || matches!(b, b'+' | b'/' | b'=' | b',' | b':' | b'[' | b']' | b'_');
        c += 1;
    }
    table
};

/// A word of letters, digits and `_-./@` starting with a letter or digit: nothing in it can
/// be an indicator, a break or a character that needs escaping.
fn has_plain_charset(value: &str) -> bool {
    let b = value.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'/' | b'@'))
}

fn resolve_plain_or_str(value: &str) -> Resolved {
    if value.is_empty() {
        Resolved::Null
    } else {
        resolve_plain(value)
    }
}

/// True when a key of this text can be written as a simple key (`key: value`).
pub(crate) fn is_simple_key(value: &str) -> bool {
    !analyze(value).multiline && value.len() <= 128
}

/// The body of a single-quoted scalar, quotes included.
pub(crate) fn single_quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' {
            out.push('\'');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// The body of a double-quoted scalar with libyaml's escapes, quotes included.
pub(crate) fn double_quoted(value: &str) -> String {
    let v = value.as_bytes();
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    let mut i = 0;
    while i < v.len() {
        let w = width(v[i]);
        let ch = value[i..].chars().next().unwrap_or('\u{FFFD}');
        let bom = v[i] == 0xEF && byte_at(v, i + 1) == 0xBB && byte_at(v, i + 2) == 0xBF;
        if !is_printable(v, i) || bom || is_break(v, i) || v[i] == b'"' || v[i] == b'\\' {
            match ch {
                '\0' => out.push_str("\\0"),
                '\x07' => out.push_str("\\a"),
                '\x08' => out.push_str("\\b"),
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                '\x0B' => out.push_str("\\v"),
                '\x0C' => out.push_str("\\f"),
                '\r' => out.push_str("\\r"),
                '\x1B' => out.push_str("\\e"),
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\u{85}' => out.push_str("\\N"),
                '\u{A0}' => out.push_str("\\_"),
                '\u{2028}' => out.push_str("\\L"),
                '\u{2029}' => out.push_str("\\P"),
                c if (c as u32) <= 0xFF => out.push_str(&format!("\\x{:02X}", c as u32)),
                c if (c as u32) <= 0xFFFF => out.push_str(&format!("\\u{:04X}", c as u32)),
                c => out.push_str(&format!("\\U{:08X}", c as u32)),
            }
        } else {
            out.push(ch);
        }
        i += w;
    }
    out.push('"');
    out
}

/// The indentation and chomping indicators after `|` for a literal block.
pub(crate) fn block_hints(value: &str, indent_step: usize) -> String {
    let v = value.as_bytes();
    let mut hints = String::new();
    if v.first() == Some(&b' ') || is_break(v, 0) {
        hints.push_str(&indent_step.to_string());
    }
    if v.is_empty() {
        hints.push('-');
        return hints;
    }
    let mut i = v.len() - 1;
    while i > 0 && v[i] & 0xC0 == 0x80 {
        i -= 1;
    }
    if !is_break(v, i) {
        hints.push('-');
    } else if i == 0 {
        hints.push('+');
    } else {
        let mut j = i - 1;
        while j > 0 && v[j] & 0xC0 == 0x80 {
            j -= 1;
        }
        if is_break(v, j) {
            hints.push('+');
        }
    }
    hints
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_match_go_yaml() {
        assert_eq!(string_style("hello", false), Style::Plain);
        assert_eq!(string_style("", false), Style::DoubleQuoted);
        assert_eq!(string_style("yes", false), Style::DoubleQuoted);
        assert_eq!(string_style("007", false), Style::DoubleQuoted);
        assert_eq!(string_style("12:30:00", false), Style::DoubleQuoted);
        assert_eq!(string_style("a: b", false), Style::SingleQuoted);
        assert_eq!(string_style("*x", false), Style::SingleQuoted);
        assert_eq!(string_style(" lead", false), Style::SingleQuoted);
        assert_eq!(string_style("a\tb", false), Style::DoubleQuoted);
        assert_eq!(string_style("two\nlines\n", false), Style::Literal);
        assert_eq!(string_style("trailing \nspace", false), Style::DoubleQuoted);
        assert_eq!(string_style("héllo ✓ 日本", false), Style::Plain);
        assert_eq!(string_style("emoji 😀", false), Style::DoubleQuoted);
        assert_eq!(double_quoted("emoji 😀\t"), "\"emoji \\U0001F600\\t\"");
        assert_eq!(single_quoted("it's"), "'it''s'");
        assert_eq!(block_hints("a\nb\n", 4), "");
        assert_eq!(block_hints("a\nb", 4), "-");
        assert_eq!(block_hints("a\n\n", 4), "+");
        assert_eq!(block_hints(" a\n", 4), "4");
    }
}
