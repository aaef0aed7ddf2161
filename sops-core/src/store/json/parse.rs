//! The JSON reader of the JSON store: one pass over the bytes into an ordered [`Mapping`].
//!
//! It reads what Go's `encoding/json` decoder accepts and builds what sops 3.11 builds from it:
//! duplicate keys stay separate items in file order, every number becomes a float64, invalid
//! UTF-8 and lone surrogate escapes become U+FFFD. The parser is iterative (an explicit stack),
//! and the depth is capped at [`MAX_DEPTH`] (Go allows 10000, more than the recursive walks of
//! the tree can take on a small stack), so hostile nesting cannot overflow the thread's stack;
//! errors name the line and column.

use crate::error::{Error, ErrorKind};
use crate::secret::SecretText;
use crate::tree::{MapItem, Mapping, Node, Scalar, SeqItem, Sequence, MAX_DEPTH};

/// An open container: its items so far, and for a mapping the key of the value being read.
enum Frame {
    Map(Vec<MapItem>, Option<String>),
    Seq(Vec<SeqItem>),
}

/// What a value turned out to be: a finished scalar or the start of a container.
enum Value {
    Done(Node),
    Open(Frame),
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
    scratch: Vec<u8>,
    integers: bool,
}

/// How numbers are typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Numbers {
    /// Every number is a float64, as sops 3.11/3.12 read JSON.
    Floats,
    /// An integer literal that fits an int64 is an int (`-0` too), as sops 3.13.2 reads JSON
    /// (`json.Number.Int64()`); a fraction or an exponent keeps a float.
    Integers,
}

/// What follows the top-level object's closing `}`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Trailing {
    /// Not read at all, as sops's token decoder does for a plain file (`{"a":1} x` encrypts
    /// `{"a":1}`).
    Ignored,
    /// Only whitespace may follow, as `json.Unmarshal` wants for an encrypted file.
    Refused,
}

/// Parses a JSON document whose top level must be an object.
pub(super) fn parse_document(
    input: &[u8],
    trailing: Trailing,
    numbers: Numbers,
) -> Result<Mapping, Error> {
    let mut p = Parser {
        bytes: input,
        pos: 0,
        scratch: Vec::new(),
        integers: numbers == Numbers::Integers,
    };
    p.skip_ws();
    match p.peek() {
        Some(b'{') => p.pos += 1,
        None => return Err(p.error("the file is empty; a JSON file must hold an object")),
        Some(_) => {
            let (line, column) = p.location();
            let found = match p.value()? {
                Value::Open(Frame::Seq(_)) => "an array",
                Value::Open(Frame::Map(..)) => "an object",
                Value::Done(Node::Scalar(Scalar::Str(_))) => "a string",
                Value::Done(Node::Scalar(Scalar::Null)) => "null",
                Value::Done(Node::Scalar(Scalar::Bool(_))) => "a boolean",
                Value::Done(_) => "a number",
            };
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("the top level of a JSON file must be an object, found {found} at line {line}, column {column}"),
            )
            .with_hint(
                "sops only encrypts JSON objects; wrap the content, e.g. {\"data\": [...]}",
            ));
        }
    }
    let mut stack = vec![Frame::Map(Vec::new(), None)];
    loop {
        p.skip_ws();
        let Some(top) = stack.last_mut() else { break };
        let (close, empty) = match top {
            Frame::Map(items, _) => (b'}', items.is_empty()),
            Frame::Seq(items) => (b']', items.is_empty()),
        };
        let closing = if empty {
            p.peek() == Some(close)
        } else {
            match p.peek() {
                Some(b',') => {
                    p.pos += 1;
                    p.skip_ws();
                    false
                }
                Some(c) if c == close => true,
                _ => {
                    let want = if close == b'}' {
                        "',' or '}'"
                    } else {
                        "',' or ']'"
                    };
                    return Err(p.unexpected(&format!("{want} after a value")));
                }
            }
        };
        if closing {
            p.pos += 1;
            if let Some(mapping) = close_frame(&mut stack) {
                if trailing == Trailing::Ignored {
                    return Ok(mapping);
                }
                p.skip_ws();
                if p.pos < p.bytes.len() {
                    return Err(p
                        .error("unexpected data after the top-level object")
                        .with_hint(
                        "a JSON file holds exactly one object; remove what follows its closing '}'",
                    ));
                }
                return Ok(mapping);
            }
            continue;
        }
        if let Frame::Map(_, key) = top {
            if p.peek() != Some(b'"') {
                return Err(p.unexpected("an object key string"));
            }
            *key = Some(p.string()?);
            p.skip_ws();
            if p.peek() != Some(b':') {
                return Err(p.unexpected("':' after an object key"));
            }
            p.pos += 1;
            p.skip_ws();
        }
        match p.value()? {
            Value::Done(node) => push_value(top, node),
            Value::Open(frame) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(p.error(&format!(
                        "the JSON nesting exceeds {MAX_DEPTH} levels (objects and arrays nested deeper are refused)"
                    )));
                }
                stack.push(frame);
            }
        }
    }
    Err(p.error("internal error: JSON parser stack underflow"))
}

/// Closes the innermost container and attaches it to its parent; returns the top-level
/// mapping when it was the last one open.
fn close_frame(stack: &mut Vec<Frame>) -> Option<Mapping> {
    let node = match stack.pop()? {
        Frame::Map(items, _) => Node::Mapping(Mapping { items }),
        Frame::Seq(items) => Node::Sequence(Sequence { items }),
    };
    match stack.last_mut() {
        Some(parent) => {
            push_value(parent, node);
            None
        }
        None => match node {
            Node::Mapping(m) => Some(m),
            _ => None,
        },
    }
}

fn push_value(frame: &mut Frame, node: Node) {
    match frame {
        Frame::Map(items, key) => items.push(MapItem::Pair(key.take().unwrap_or_default(), node)),
        Frame::Seq(items) => items.push(SeqItem::Value(node)),
    }
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Reads a scalar, or opens a container (consuming its bracket).
    fn value(&mut self) -> Result<Value, Error> {
        let node = match self.peek() {
            Some(b'{') => {
                self.pos += 1;
                return Ok(Value::Open(Frame::Map(Vec::new(), None)));
            }
            Some(b'[') => {
                self.pos += 1;
                return Ok(Value::Open(Frame::Seq(Vec::new())));
            }
            Some(b'"') => Node::Scalar(Scalar::Str(SecretText::new(self.string()?))),
            Some(b't') => self.literal(b"true", Scalar::Bool(true))?,
            Some(b'f') => self.literal(b"false", Scalar::Bool(false))?,
            Some(b'n') => self.literal(b"null", Scalar::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            _ => return Err(self.unexpected("a value")),
        };
        Ok(Value::Done(node))
    }

    fn literal(&mut self, word: &[u8], scalar: Scalar) -> Result<Node, Error> {
        if self.bytes[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(Node::Scalar(scalar))
        } else {
            Err(self.unexpected("a value"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    /// A number in strict JSON syntax, read as float64 like sops 3.11 (or, with
    /// [`Numbers::Integers`], an integer literal as an int).
    fn number(&mut self) -> Result<Node, Error> {
        let start = self.pos;
        let mut integral = true;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.unexpected("a digit in a number")),
        }
        if self.peek() == Some(b'.') {
            integral = false;
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.unexpected("a digit after the decimal point"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            integral = false;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.unexpected("a digit in the exponent"));
            }
        }
        // The slice is ASCII by construction.
        let text = std::str::from_utf8(&self.bytes[start..self.pos]).unwrap_or("");
        if self.integers && integral {
            if let Ok(i) = text.parse::<i64>() {
                return Ok(Node::Scalar(Scalar::Int(i)));
            }
        }
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Node::Scalar(Scalar::Float(f))),
            _ => {
                self.pos = start;
                Err(self.error(&format!("the number {text} does not fit a 64-bit float"))
                    .with_hint("sops reads every JSON number as a float64; quote the value to keep it as text"))
            }
        }
    }

    /// A string; `pos` is at the opening quote.
    fn string(&mut self) -> Result<String, Error> {
        self.pos += 1;
        let start = self.pos;
        // Fast path: no escapes and valid UTF-8 are copied in one go.
        while let Some(&c) = self.bytes.get(self.pos) {
            match c {
                b'"' => {
                    let raw = &self.bytes[start..self.pos];
                    self.pos += 1;
                    return Ok(match std::str::from_utf8(raw) {
                        Ok(s) => s.to_owned(),
                        Err(_) => go_lossy(raw),
                    });
                }
                b'\\' => break,
                0..=0x1f => return Err(self.control_char()),
                _ => self.pos += 1,
            }
        }
        self.scratch.clear();
        self.scratch.extend_from_slice(&self.bytes[start..self.pos]);
        loop {
            let Some(&c) = self.bytes.get(self.pos) else {
                return Err(self.error("unterminated string"));
            };
            self.pos += 1;
            match c {
                b'"' => return Ok(go_lossy(&self.scratch)),
                b'\\' => self.escape()?,
                0..=0x1f => {
                    self.pos -= 1;
                    return Err(self.control_char());
                }
                _ => self.scratch.push(c),
            }
        }
    }

    /// One escape sequence after the backslash, appended to `scratch` as UTF-8.
    fn escape(&mut self) -> Result<(), Error> {
        let Some(c) = self.peek() else {
            return Err(self.error("unterminated string"));
        };
        self.pos += 1;
        let simple = match c {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let first = self.hex4()?;
                let ch = if (0xD800..0xDC00).contains(&first) {
                    // A high surrogate pairs only with a following `\uDC00`–`\uDFFF`; otherwise
                    // it becomes U+FFFD and the next escape is read on its own (as Go does).
                    let low = self.bytes.get(self.pos..self.pos + 6).and_then(|s| {
                        (s[0] == b'\\' && s[1] == b'u')
                            .then(|| hex_value(&s[2..6]))
                            .flatten()
                    });
                    match low {
                        Some(low @ 0xDC00..=0xDFFF) => {
                            self.pos += 6;
                            char::from_u32(0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00))
                        }
                        _ => None,
                    }
                } else {
                    char::from_u32(first)
                };
                let ch = ch.unwrap_or(char::REPLACEMENT_CHARACTER);
                let mut buf = [0u8; 4];
                self.scratch
                    .extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                return Ok(());
            }
            _ => {
                self.pos -= 1;
                return Err(self.unexpected("an escape character (one of \"\\/bfnrtu)"));
            }
        };
        self.scratch.push(simple);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        match self.bytes.get(self.pos..self.pos + 4).and_then(hex_value) {
            Some(v) => {
                self.pos += 4;
                Ok(v)
            }
            None => Err(self.unexpected("four hexadecimal digits after \\u")),
        }
    }

    fn control_char(&self) -> Error {
        let c = self.bytes.get(self.pos).copied().unwrap_or(0);
        self.error(&format!("control character 0x{c:02x} inside a string"))
            .with_hint("JSON strings must write newlines and tabs as \\n and \\t")
    }

    /// An error at the current position naming what was expected and what was found.
    fn unexpected(&self, expected: &str) -> Error {
        let found = match self.bytes.get(self.pos..) {
            Some([]) | None => "the end of the input".to_owned(),
            Some(rest) => match std::str::from_utf8(&rest[..rest.len().min(4)]) {
                Ok(s) => format!("{:?}", s.chars().next().unwrap_or('?')),
                Err(e) if e.valid_up_to() > 0 => {
                    format!(
                        "{:?}",
                        String::from_utf8_lossy(&rest[..e.valid_up_to()])
                            .chars()
                            .next()
                            .unwrap_or('?')
                    )
                }
                Err(_) => format!("byte 0x{:02x}", rest[0]),
            },
        };
        let mut err = self.error(&format!("expected {expected}, found {found}"));
        if self.pos == 0 && self.bytes.starts_with(b"\xEF\xBB\xBF") {
            err = err.with_hint(
                "the file starts with a UTF-8 byte order mark, which JSON does not allow",
            );
        }
        err
    }

    /// The 1-based line and column (in characters) of the current position.
    fn location(&self) -> (usize, usize) {
        let upto = &self.bytes[..self.pos.min(self.bytes.len())];
        let line_start = upto.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = String::from_utf8_lossy(&upto[line_start..]).chars().count() + 1;
        (line, column)
    }

    /// An invalid-input error at the current position (1-based line and column).
    fn error(&self, message: &str) -> Error {
        let (line, column) = self.location();
        Error::new(
            ErrorKind::InvalidInput,
            format!("invalid JSON at line {line}, column {column}: {message}"),
        )
    }
}

fn hex_value(digits: &[u8]) -> Option<u32> {
    digits
        .iter()
        .try_fold(0u32, |acc, &d| Some(acc * 16 + (d as char).to_digit(16)?))
}

/// Go's lossy decoding: every byte that does not start a valid UTF-8 sequence becomes U+FFFD
/// (Rust's `from_utf8_lossy` would merge a truncated sequence into one replacement).
pub(super) fn go_lossy(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 8);
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let (valid, tail) = rest.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                out.push(char::REPLACEMENT_CHARACTER);
                rest = tail.get(1..).unwrap_or_default();
            }
        }
    }
}
