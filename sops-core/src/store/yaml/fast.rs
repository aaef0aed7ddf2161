//! A fast scanner for the block-style YAML that sops writes (and most hand-written files use):
//! `key: value` and `- item` lines, plain, quoted and literal scalars, `{}`/`[]`, `---`.
//!
//! It produces the same event stream, with the same positions, as `saphyr-parser` would for
//! such input, so the loader builds an identical tree (a test compares both on every fixture).
//! On anything outside this subset (flow collections, anchors, tags, folded or multi-line plain
//! scalars, tabs in indentation, CRLF, non-ASCII text, …) it answers [`Fallback`] and the caller
//! uses the full parser. It never decides that input is invalid: that is the full parser's job.

use saphyr_parser::{Event, Marker, ScalarStyle, Span};
use std::borrow::Cow;

/// Why the fast path gave up (a site number, for debugging).
fn fb(_site: u32) -> Fallback {
    #[cfg(test)]
    if std::env::var_os("SOPS_RS_DEBUG_FAST_YAML").is_some() {
        eprintln!("yaml fast path: fallback at site {_site}");
    }
    Fallback
}

/// The input is outside the subset: use the full parser.
#[derive(Debug)]
pub(crate) struct Fallback;

/// A batch of events with their positions, handed to the consumer a line at a time.
pub(crate) type EventBatch<'a> = Vec<(Event<'a>, Span)>;

/// The consumer of event batches.
pub(crate) type EventSink<'s, 'a, E> = dyn FnMut(&mut EventBatch<'a>) -> Result<(), E> + 's;

/// Why a streaming scan stopped.
pub(crate) enum Stop<E> {
    /// The input needs the full parser.
    Fallback,
    /// The consumer of the events failed.
    Sink(E),
}

impl<E> From<Fallback> for Stop<E> {
    fn from(_: Fallback) -> Self {
        Stop::Fallback
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Map,
    Seq,
}

struct Open {
    kind: Kind,
    indent: usize,
    /// A key (or `-`) was read whose value has not started yet.
    awaiting: bool,
    /// Where a null value would sit (just after the key) if none follows.
    null_at: usize,
}

/// Collects the events of a whole input.
pub(crate) struct FastScanner<'a> {
    src: &'a str,
    line_starts: Vec<usize>,
    events: Vec<(Event<'a>, Span)>,
    stack: Vec<Open>,
    last_line: std::cell::Cell<usize>,
}

fn is_indicator_start(b: u8) -> bool {
    matches!(
        b,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    )
}

impl<'a> FastScanner<'a> {
    /// Scans `src`; `Err(Fallback)` when it needs the full parser.
    pub(crate) fn scan(src: &'a str) -> Result<Vec<(Event<'a>, Span)>, Fallback> {
        let mut all = Vec::new();
        let result = Self::scan_into(src, &mut |events| {
            all.append(events);
            Ok::<(), ()>(())
        });
        match result {
            Ok(()) => Ok(all),
            Err(_) => Err(Fallback),
        }
    }

    /// Scans `src`, handing the events to `sink` a line at a time (so they are never all in
    /// memory at once). Stops with [`Stop::Fallback`] when the full parser is needed, or with
    /// the sink's own error.
    pub(crate) fn scan_into<E>(
        src: &'a str,
        sink: &mut EventSink<'_, 'a, E>,
    ) -> Result<(), Stop<E>> {
        if !src.is_ascii() || src.contains('\r') || src.contains('\t') {
            return Err(Stop::Fallback);
        }
        let mut s = FastScanner {
            src,
            line_starts: Vec::new(),
            events: Vec::with_capacity(64),
            stack: Vec::new(),
            last_line: std::cell::Cell::new(0),
        };
        s.run(sink)
    }

    fn mark(&self, index: usize) -> Marker {
        // Events come in order: walk forward from the last line found.
        let mut line = self.last_line.get();
        if self.line_starts.get(line).is_none_or(|&s| s > index) {
            line = match self.line_starts.binary_search(&index) {
                Ok(i) => i,
                Err(i) => i.saturating_sub(1),
            };
        }
        while self.line_starts.get(line + 1).is_some_and(|&s| s <= index) {
            line += 1;
        }
        self.last_line.set(line);
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        Marker::new(index, line + 1, index - start)
    }

    fn push(&mut self, event: Event<'a>, start: usize, end: usize) {
        let span = Span::new(self.mark(start), self.mark(end));
        self.events.push((event, span));
    }

    fn run<E>(&mut self, sink: &mut EventSink<'_, 'a, E>) -> Result<(), Stop<E>> {
        let src = self.src;
        let mut pos = 0;
        while pos < src.len() {
            self.line_starts.push(pos);
            pos = src[pos..].find('\n').map_or(src.len(), |i| pos + i + 1);
        }
        self.push(Event::StreamStart, 0, 0);
        let mut doc_open = false;
        let mut line = 0;
        while line < self.line_starts.len() {
            let start = self.line_starts[line];
            let end = self.line_end(line);
            let text = &src[start..end];
            let indent = text.len() - text.trim_start_matches(' ').len();
            let content = text[indent..].trim_end_matches(' ');
            line += 1;
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            if content.starts_with("---") {
                if content != "---" {
                    return Err(fb(3).into());
                }
                self.close_all(start)?;
                if doc_open {
                    self.push(Event::DocumentEnd, start, start);
                }
                self.push(Event::DocumentStart(true), start, start + 3);
                doc_open = true;
                continue;
            }
            if content.starts_with("...") || content.starts_with('%') {
                return Err(fb(4).into());
            }
            if !doc_open {
                self.push(Event::DocumentStart(false), start + indent, start + indent);
                doc_open = true;
            }
            line = self.entry(start + indent, indent, content, line)?;
            sink(&mut self.events).map_err(Stop::Sink)?;
            self.events.clear();
        }
        let eof = src.len();
        self.close_all(eof)?;
        if doc_open {
            self.push(Event::DocumentEnd, eof, eof);
        }
        self.push(Event::StreamEnd, eof, eof);
        sink(&mut self.events).map_err(Stop::Sink)?;
        Ok(())
    }

    fn line_end(&self, line: usize) -> usize {
        let next = self
            .line_starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.src.len());
        if next > 0
            && self.src.as_bytes().get(next - 1) == Some(&b'\n')
            && next > self.line_starts[line]
        {
            next - 1
        } else {
            next
        }
    }

    fn close_top(&mut self, at: usize) {
        if let Some(top) = self.stack.pop() {
            if top.awaiting {
                self.push(
                    Event::Scalar(Cow::Borrowed(""), ScalarStyle::Plain, 0, None),
                    top.null_at,
                    top.null_at,
                );
            }
            let event = if top.kind == Kind::Map {
                Event::MappingEnd
            } else {
                Event::SequenceEnd
            };
            self.push(event, at, at);
        }
    }

    fn close_all(&mut self, at: usize) -> Result<(), Fallback> {
        while !self.stack.is_empty() {
            self.close_top(at);
        }
        Ok(())
    }

    /// Handles the entry starting at byte `at` (column `col`) whose text is `t`; returns the
    /// next line to read (literal blocks consume lines).
    fn entry(
        &mut self,
        at: usize,
        col: usize,
        t: &'a str,
        next_line: usize,
    ) -> Result<usize, Fallback> {
        let is_item = t == "-" || t.starts_with("- ");
        // Close containers this line is not inside of.
        while let Some(top) = self.stack.last() {
            let inside = if top.indent < col {
                true
            } else if top.indent == col {
                match top.kind {
                    Kind::Map => true,
                    Kind::Seq => is_item,
                }
            } else {
                false
            };
            if inside {
                break;
            }
            self.close_top(at);
        }
        if let Some(top) = self.stack.last() {
            let continues = top.indent == col && !(top.kind == Kind::Map && is_item);
            if !continues && !top.awaiting {
                return Err(fb(5));
            }
        }
        self.node_at(at, col, t, next_line, false)
    }

    fn node_at(
        &mut self,
        at: usize,
        col: usize,
        t: &'a str,
        next_line: usize,
        in_item: bool,
    ) -> Result<usize, Fallback> {
        let is_item = t == "-" || t.starts_with("- ");
        if is_item {
            let same_seq =
                matches!(self.stack.last(), Some(o) if o.kind == Kind::Seq && o.indent == col);
            if same_seq {
                if self.stack.last().is_some_and(|o| o.awaiting) {
                    return Err(fb(6));
                }
            } else {
                if self.stack.len() >= crate::tree::MAX_DEPTH {
                    // `- - - …` recurses here once per level: leave input nested deeper than
                    // the loader accepts to the full parser, which refuses it.
                    return Err(fb(90));
                }
                self.value_starts();
                self.push(Event::SequenceStart(0, None), at, at);
                self.stack.push(Open {
                    kind: Kind::Seq,
                    indent: col,
                    awaiting: false,
                    null_at: at,
                });
            }
            let rest = &t[1..];
            let skip = rest.len() - rest.trim_start_matches(' ').len();
            let top = self.stack.last_mut().ok_or_else(|| fb(7))?;
            top.awaiting = true;
            top.null_at = at + 1;
            let rest = &rest[skip..];
            if rest.is_empty() || rest.starts_with('#') {
                return Ok(next_line);
            }
            return self.node_at(at + 1 + skip, col + 1 + skip, rest, next_line, true);
        }
        if let Some(colon) = key_end(t) {
            let key = &t[..colon];
            let same_map =
                matches!(self.stack.last(), Some(o) if o.kind == Kind::Map && o.indent == col);
            if same_map {
                if self.stack.last().is_some_and(|o| o.awaiting) {
                    let null_at = self.stack.last().map_or(at, |o| o.null_at);
                    self.push(
                        Event::Scalar(Cow::Borrowed(""), ScalarStyle::Plain, 0, None),
                        null_at,
                        null_at,
                    );
                }
            } else {
                self.value_starts();
                self.push(Event::MappingStart(0, None), at, at);
                self.stack.push(Open {
                    kind: Kind::Map,
                    indent: col,
                    awaiting: false,
                    null_at: at,
                });
            }
            self.push(
                Event::Scalar(Cow::Borrowed(key), ScalarStyle::Plain, 0, None),
                at,
                at + key.len(),
            );
            let top = self.stack.last_mut().ok_or_else(|| fb(8))?;
            top.awaiting = true;
            top.null_at = at + colon;
            let rest = &t[colon + 1..];
            let skip = rest.len() - rest.trim_start_matches(' ').len();
            let value = &rest[skip..];
            if value.is_empty() || value.starts_with('#') {
                return Ok(next_line);
            }
            return self.scalar_value(at + colon + 1 + skip, value, next_line);
        }
        if in_item {
            return self.scalar_value(at, t, next_line);
        }
        // A bare scalar on its own line is a pending value or a multi-line form: the parser's.
        Err(fb(9))
    }

    /// The awaited value of the top container begins.
    fn value_starts(&mut self) {
        if let Some(top) = self.stack.last_mut() {
            top.awaiting = false;
        }
    }

    fn scalar_value(&mut self, at: usize, v: &'a str, next_line: usize) -> Result<usize, Fallback> {
        let first = v.as_bytes()[0];
        self.value_starts();
        match first {
            b'"' => {
                let (value, len) = double_quoted(v).ok_or_else(|| fb(10))?;
                only_comment_after(&v[len..])?;
                self.push(
                    Event::Scalar(value, ScalarStyle::DoubleQuoted, 0, None),
                    at,
                    at + len,
                );
            }
            b'\'' => {
                let (value, len) = single_quoted(v).ok_or_else(|| fb(11))?;
                only_comment_after(&v[len..])?;
                self.push(
                    Event::Scalar(value, ScalarStyle::SingleQuoted, 0, None),
                    at,
                    at + len,
                );
            }
            b'|' => return self.literal(v, next_line),
            b'{' if v[1..].trim_start_matches(' ').is_empty()
                || v[1..].trim_start_matches(' ').starts_with('#') =>
            {
                // `{` alone, comment lines, then `}` on a line of its own: what go-yaml writes
                // for an empty mapping with a comment. The comments are dropped on load.
                let mut line = next_line;
                while line < self.line_starts.len() {
                    let start = self.line_starts[line];
                    let content = self.src[start..self.line_end(line)].trim_start_matches(' ');
                    line += 1;
                    if content.is_empty() || content.starts_with('#') {
                        continue;
                    }
                    if content.trim_end_matches(' ') != "}" {
                        return Err(fb(21));
                    }
                    let close_at = start + self.src[start..].find('}').ok_or_else(|| fb(22))?;
                    self.push(Event::MappingStart(0, None), at, at + 1);
                    self.push(Event::MappingEnd, close_at, close_at + 1);
                    self.check_no_continuation(line)?;
                    return Ok(line);
                }
                return Err(fb(23));
            }
            b'{' | b'[' => {
                let (open, close, start_ev, end_ev) = if first == b'{' {
                    (b'{', b'}', Event::MappingStart(0, None), Event::MappingEnd)
                } else {
                    (
                        b'[',
                        b']',
                        Event::SequenceStart(0, None),
                        Event::SequenceEnd,
                    )
                };
                let inner = &v[1..];
                let spaces = inner.len() - inner.trim_start_matches(' ').len();
                if v.as_bytes()[0] != open || inner.as_bytes().get(spaces) != Some(&close) {
                    return Err(fb(12));
                }
                let close_at = at + 1 + spaces;
                only_comment_after(&v[2 + spaces..])?;
                self.push(start_ev, at, close_at);
                self.push(end_ev, close_at, close_at + 1);
            }
            _ => {
                if is_indicator_start(first)
                    && !(matches!(first, b'-' | b'?' | b':')
                        && v.len() > 1
                        && v.as_bytes()[1] != b' ')
                {
                    return Err(fb(13));
                }
                let text = match find_pair(v, [b' ', b'#']) {
                    Some(i) => v[..i].trim_end_matches(' '),
                    None => v,
                };
                if find_pair(text, [b':', b' ']).is_some() || text.ends_with(':') {
                    return Err(fb(14));
                }
                self.push(
                    Event::Scalar(Cow::Borrowed(text), ScalarStyle::Plain, 0, None),
                    at,
                    at + text.len(),
                );
            }
        }
        self.check_no_continuation(next_line)?;
        Ok(next_line)
    }

    /// After a value that completes an entry, a more indented content line would continue a
    /// multi-line scalar: leave that to the full parser.
    fn check_no_continuation(&self, next_line: usize) -> Result<(), Fallback> {
        let Some(top) = self.stack.last() else {
            return Ok(());
        };
        let limit = top.indent;
        for line in next_line..self.line_starts.len() {
            let text = &self.src[self.line_starts[line]..self.line_end(line)];
            let content = text.trim_start_matches(' ');
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            let indent = text.len() - content.len();
            return if indent > limit { Err(fb(15)) } else { Ok(()) };
        }
        Ok(())
    }

    fn literal(&mut self, header: &str, next_line: usize) -> Result<usize, Fallback> {
        let indicator = header[1..].split(" #").next().unwrap_or("").trim_end();
        let chomp = match indicator {
            "" => Chomp::Clip,
            "-" => Chomp::Strip,
            "+" => Chomp::Keep,
            _ => return Err(fb(16)),
        };
        let parent = self.stack.last().map_or(0, |o| o.indent);
        let mut line = next_line;
        let mut block_indent = None;
        let mut body = String::new();
        let mut first_content = None;
        let mut trailing_breaks = 0usize;
        let mut end = self.src.len();
        while line < self.line_starts.len() {
            let start = self.line_starts[line];
            let text = &self.src[start..self.line_end(line)];
            let content = text.trim_start_matches(' ');
            let indent = text.len() - content.len();
            if content.is_empty() {
                if block_indent.is_some_and(|b| indent > b)
                    || (block_indent.is_none() && indent > parent)
                {
                    return Err(fb(17));
                }
                trailing_breaks += 1;
                line += 1;
                continue;
            }
            let b = *block_indent.get_or_insert(indent);
            if indent < b || b <= parent {
                if b <= parent {
                    return Err(fb(18));
                }
                end = start;
                break;
            }
            if first_content.is_none() {
                first_content = Some(start + b);
            } else {
                body.push('\n');
            }
            for _ in 0..trailing_breaks {
                body.push('\n');
            }
            trailing_breaks = 0;
            body.push_str(&text[b..]);
            line += 1;
        }
        let start = first_content.ok_or_else(|| fb(19))?;
        match chomp {
            Chomp::Strip => {}
            Chomp::Clip => body.push('\n'),
            Chomp::Keep => {
                body.push('\n');
                for _ in 0..trailing_breaks {
                    body.push('\n');
                }
            }
        }
        if line >= self.line_starts.len() {
            end = self.src.len();
        }
        self.push(
            Event::Scalar(Cow::Owned(body), ScalarStyle::Literal, 0, None),
            start,
            end,
        );
        Ok(line)
    }
}

enum Chomp {
    Clip,
    Strip,
    Keep,
}

/// The first `needle[0] needle[1]` byte pair in `hay` (a short-string search without the setup
/// cost of `str::find` for patterns).
fn find_pair(hay: &str, needle: [u8; 2]) -> Option<usize> {
    let b = hay.as_bytes();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == needle[0] && b[i + 1] == needle[1] {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Where a simple plain key ends (the `:` of `key: value` or `key:`), or `None`.
fn key_end(t: &str) -> Option<usize> {
    let b = t.as_bytes();
    if b.is_empty() || is_indicator_start(b[0]) || b[0] == b' ' {
        return None;
    }
    let colon = match find_pair(t, [b':', b' ']) {
        Some(i) => i,
        None if t.ends_with(':') => t.len() - 1,
        None => return None,
    };
    let key = &t[..colon];
    if key.is_empty()
        || key.len() > 1024
        || find_pair(key, [b' ', b'#']).is_some()
        || key.ends_with(' ')
    {
        return None;
    }
    Some(colon)
}

fn only_comment_after(rest: &str) -> Result<(), Fallback> {
    let rest = rest.trim_start_matches(' ');
    if rest.is_empty() || rest.starts_with('#') {
        Ok(())
    } else {
        Err(fb(20))
    }
}

/// A one-line double-quoted scalar: its value and its length with the quotes.
fn double_quoted(v: &str) -> Option<(Cow<'_, str>, usize)> {
    let b = v.as_bytes();
    let mut out = String::new();
    let mut i = 1;
    let mut plain_from = 1;
    let mut escaped = false;
    while i < b.len() {
        match b[i] {
            b'"' => {
                return Some(if escaped {
                    out.push_str(&v[plain_from..i]);
                    (Cow::Owned(out), i + 1)
                } else {
                    (Cow::Borrowed(&v[1..i]), i + 1)
                });
            }
            b'\\' => {
                escaped = true;
                out.push_str(&v[plain_from..i]);
                let c = *b.get(i + 1)?;
                let (ch, used) = match c {
                    b'0' => ('\0', 2),
                    b'a' => ('\x07', 2),
                    b'b' => ('\x08', 2),
                    b't' => ('\t', 2),
                    b'n' => ('\n', 2),
                    b'v' => ('\x0B', 2),
                    b'f' => ('\x0C', 2),
                    b'r' => ('\r', 2),
                    b'e' => ('\x1B', 2),
                    b' ' => (' ', 2),
                    b'"' => ('"', 2),
                    b'/' => ('/', 2),
                    b'\\' => ('\\', 2),
                    b'N' => ('\u{85}', 2),
                    b'_' => ('\u{A0}', 2),
                    b'L' => ('\u{2028}', 2),
                    b'P' => ('\u{2029}', 2),
                    b'x' | b'u' | b'U' => {
                        let n = match c {
                            b'x' => 2,
                            b'u' => 4,
                            _ => 8,
                        };
                        let hex = v.get(i + 2..i + 2 + n)?;
                        let code = u32::from_str_radix(hex, 16).ok()?;
                        (char::from_u32(code)?, 2 + n)
                    }
                    _ => return None,
                };
                out.push(ch);
                i += used;
                plain_from = i;
            }
            _ => i += 1,
        }
    }
    None
}

/// A one-line single-quoted scalar: its value and its length with the quotes.
fn single_quoted(v: &str) -> Option<(Cow<'_, str>, usize)> {
    let b = v.as_bytes();
    let mut i = 1;
    let mut doubled = false;
    while i < b.len() {
        if b[i] == b'\'' {
            if b.get(i + 1) == Some(&b'\'') {
                doubled = true;
                i += 2;
                continue;
            }
            let inner = &v[1..i];
            return Some((
                if doubled {
                    Cow::Owned(inner.replace("''", "'"))
                } else {
                    Cow::Borrowed(inner)
                },
                i + 1,
            ));
        }
        i += 1;
    }
    None
}
