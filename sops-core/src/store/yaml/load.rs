//! Reads YAML into the tree the way sops 3.11 does through go-yaml v3: scalars typed by
//! go-yaml's resolver, aliases expanded, and comments turned into comment items where sops puts
//! them (a line comment before its entry, own-line comments by indentation).
//!
//! Parsing is done by `saphyr-parser`'s event stream; comments, which it does not report, are
//! recovered from the source text between the spans of consecutive events (any `#` there is a
//! comment, since scalars lie inside spans).
//!
//! Hostile input is bounded as go-yaml bounds it: nesting deeper than [`MAX_DEPTH`] is refused
//! (go-yaml: 10000; see there why sops-rs stops earlier), and so is a document whose aliases
//! expand to much more than the document itself ("billion laughs"), with go-yaml's rule and
//! message ("document contains excessive aliasing"). The check comes before an alias is copied.

use super::resolve::{resolve_plain, Resolved};
use crate::error::{Error, ErrorKind};
use crate::secret::{SecretBytes, SecretText};
use crate::tree::{MapItem, Mapping, Node, Scalar, SeqItem, Sequence, Timestamp, MAX_DEPTH};
use base64::Engine;
use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use std::collections::{HashMap, HashSet};

/// A comment found in the source.
struct Comment {
    text: String,
    column: usize,
    own_line: bool,
}

enum Body {
    Map {
        mapping: Mapping,
        pending_key: Option<String>,
        seen: Option<HashSet<String>>,
    },
    Seq(Sequence),
}

struct Frame {
    body: Body,
    indent: usize,
    flow: bool,
    anchor: usize,
    deferred: Vec<SecretText>,
}

impl Frame {
    fn append_comment(&mut self, text: SecretText) {
        match &mut self.body {
            Body::Map { mapping, .. } => mapping.items.push(MapItem::Comment(text)),
            Body::Seq(seq) => seq.items.push(SeqItem::Comment(text)),
        }
    }

    /// Puts a comment at the start of the last value, when that value is a collection.
    fn comment_into_last_value(&mut self, text: SecretText) {
        let last = match &mut self.body {
            Body::Map { mapping, .. } => mapping.items.iter_mut().rev().find_map(|i| match i {
                MapItem::Pair(_, v) => Some(v),
                MapItem::Comment(_) => None,
            }),
            Body::Seq(seq) => seq.items.iter_mut().rev().find_map(|i| match i {
                SeqItem::Value(v) => Some(v),
                SeqItem::Comment(_) => None,
            }),
        };
        match last {
            Some(Node::Mapping(m)) => m.items.insert(0, MapItem::Comment(text)),
            Some(Node::Sequence(s)) => s.items.insert(0, SeqItem::Comment(text)),
            _ => {}
        }
    }

    /// Puts a line comment before the entry it trails, as go-yaml/sops do.
    fn insert_line_comment(&mut self, text: SecretText) {
        match &mut self.body {
            Body::Map {
                mapping,
                pending_key,
                ..
            } => {
                let pos = if pending_key.is_some() {
                    None
                } else {
                    mapping
                        .items
                        .iter()
                        .rposition(|i| matches!(i, MapItem::Pair(..)))
                };
                match pos {
                    Some(p) => mapping.items.insert(p, MapItem::Comment(text)),
                    None => mapping.items.push(MapItem::Comment(text)),
                }
            }
            Body::Seq(seq) => match seq
                .items
                .iter()
                .rposition(|i| matches!(i, SeqItem::Value(_)))
            {
                Some(p) if matches!(seq.items.last(), Some(SeqItem::Value(_))) => {
                    seq.items.insert(p, SeqItem::Comment(text))
                }
                _ => seq.items.push(SeqItem::Comment(text)),
            },
        }
    }
}

/// An anchored node with its size in go-yaml decode steps and its height, for the alias checks.
struct Anchored {
    node: Node,
    size: usize,
    height: usize,
}

pub(crate) struct Loader<'a> {
    src: &'a str,
    check_duplicates: bool,
    frames: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    /// Nodes read so far, aliases counted with every node they repeat (go-yaml's decodeCount).
    decoded: usize,
    /// The part of `decoded` that came from aliases (go-yaml's aliasCount).
    aliased: usize,
    pending: Vec<Comment>,
    branches: Vec<Mapping>,
    root_done: bool,
    /// Byte offset where the previous event's text ends.
    prev_end: usize,
    /// A monotonic (character index, byte offset) cursor for converting saphyr's positions.
    cursor: std::cell::Cell<(usize, usize)>,
    /// ASCII sources have character indices equal to byte offsets.
    ascii: bool,
    /// The previous event closed a flow collection (`{}`, `[1, 2]`).
    after_flow_end: bool,
    /// Emptied item lists of finished collections, reused to collect the next ones: each
    /// collection is then allocated once at its final size instead of growing by doubling.
    spare_maps: Vec<Vec<MapItem>>,
    spare_seqs: Vec<Vec<SeqItem>>,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!("error unmarshalling input YAML: {}", message.into()),
    )
}

impl<'a> Loader<'a> {
    pub(crate) fn new(src: &'a str, check_duplicates: bool) -> Self {
        Loader {
            src,
            check_duplicates,
            frames: Vec::new(),
            anchors: HashMap::new(),
            decoded: 0,
            aliased: 0,
            pending: Vec::new(),
            branches: Vec::new(),
            root_done: false,
            prev_end: 0,
            cursor: std::cell::Cell::new((0, 0)),
            ascii: src.is_ascii(),
            after_flow_end: false,
            spare_maps: Vec::new(),
            spare_seqs: Vec::new(),
        }
    }

    pub(crate) fn load(mut self) -> Result<Vec<Mapping>, Error> {
        use super::fast::{FastScanner, Stop};
        let (src, check_duplicates) = (self.src, self.check_duplicates);
        let scanned = FastScanner::scan_into(src, &mut |events| {
            for (event, span) in events.drain(..) {
                self.feed(event, span)?;
            }
            Ok(())
        });
        match scanned {
            Ok(()) => self.finish(),
            Err(Stop::Sink(e)) => Err(e),
            // Start over with the full parser; what was built so far is dropped.
            Err(Stop::Fallback) => Loader::new(src, check_duplicates).load_with_parser(),
        }
    }

    /// Loads with the full YAML parser (any input). A file the parser refuses is tried once
    /// more with the lines of its flow collections indented as YAML wants them, because
    /// go-yaml reads (and sops writes) them at any indentation.
    pub(crate) fn load_with_parser(self) -> Result<Vec<Mapping>, Error> {
        let (src, check_duplicates) = (self.src, self.check_duplicates);
        match self.parse_events() {
            Err(refused) => match super::flow_indent::indent_flow_lines(src) {
                Some(indented) => Loader::new(&indented, check_duplicates)
                    .parse_events()
                    .map_err(|_| refused),
                None => Err(refused),
            },
            loaded => loaded,
        }
    }

    fn parse_events(self) -> Result<Vec<Mapping>, Error> {
        let mut parser = Parser::new_from_str(self.src);
        let events = std::iter::from_fn(move || parser.next_event())
            .map(|next| next.map_err(|e| invalid(e.to_string())));
        self.feed_all(events)
    }

    fn feed_all<'e>(
        mut self,
        events: impl Iterator<Item = Result<(Event<'e>, Span), Error>>,
    ) -> Result<Vec<Mapping>, Error> {
        for next in events {
            let (event, span) = next?;
            self.feed(event, span)?;
        }
        self.finish()
    }

    fn feed(&mut self, event: Event<'_>, span: Span) -> Result<(), Error> {
        self.scan_comments(&span);
        self.place_comments(&event, &span);
        let start = self.byte_offset(span.start.index());
        let closes_flow = matches!(event, Event::MappingEnd | Event::SequenceEnd)
            && matches!(self.src.as_bytes().get(start), Some(b'}' | b']'));
        let end = match &event {
            Event::Scalar(_, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted, ..) => {
                self.quoted_end(start)
            }
            // saphyr's span of a flow end runs on over a trailing comment.
            _ if closes_flow => start + 1,
            _ => self.byte_offset(span.end.index()),
        };
        self.handle(event, &span)?;
        self.after_flow_end = closes_flow;
        self.prev_end = self.prev_end.max(end);
        Ok(())
    }

    fn finish(self) -> Result<Vec<Mapping>, Error> {
        if self.branches.is_empty() && !self.src.trim().is_empty() {
            return Err(invalid(
                "EOF: the file holds no YAML document (only comments?)",
            ));
        }
        Ok(self.branches)
    }

    /// Converts saphyr's character index to a byte offset; events come in order, so the walk
    /// from the previous position is short.
    fn byte_offset(&self, char_index: usize) -> usize {
        if self.ascii {
            return char_index.min(self.src.len());
        }
        let (mut chars, mut bytes) = self.cursor.get();
        if char_index < chars {
            (chars, bytes) = (0, 0);
        }
        let rest = &self.src[bytes..];
        for (offset, _) in rest.char_indices() {
            if chars == char_index {
                self.cursor.set((chars, bytes + offset));
                return bytes + offset;
            }
            chars += 1;
        }
        self.src.len()
    }

    /// The byte offset just past a quoted scalar starting at `start` (saphyr's span for quoted
    /// scalars reaches beyond the closing quote, over any trailing comment).
    fn quoted_end(&self, start: usize) -> usize {
        let bytes = self.src.as_bytes();
        let Some(&quote) = bytes.get(start) else {
            return start;
        };
        if quote != b'"' && quote != b'\'' {
            return start;
        }
        let mut i = start + 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' if quote == b'"' => i += 2,
                b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
                c if c == quote => return i + 1,
                _ => i += 1,
            }
        }
        bytes.len()
    }

    fn scan_comments(&mut self, span: &Span) {
        let (from, to) = (self.prev_end, self.byte_offset(span.start.index()));
        if to <= from {
            return;
        }
        let gap = &self.src[from..to];
        if !gap.contains('#') {
            return;
        }
        let mut search = 0;
        while let Some(rel) = gap[search..].find('#') {
            let pos = from + search + rel;
            // A lone CR ends a line too (YAML line breaks are LF, CR and CRLF).
            let line_start = self.src[..pos].rfind(['\n', '\r']).map_or(0, |i| i + 1);
            let before = &self.src[line_start..pos];
            let prev = self.src[..pos].chars().next_back();
            if prev.is_some_and(|c| !c.is_whitespace()) {
                search += rel + 1;
                continue;
            }
            let line_end = self.src[pos..]
                .find(['\n', '\r'])
                .map_or(self.src.len(), |i| pos + i);
            let text = self.src[pos + 1..line_end].to_owned();
            self.pending.push(Comment {
                text,
                column: before.chars().count(),
                own_line: before.chars().all(|c| c == ' ' || c == '\t'),
            });
            search = (line_end - from).min(gap.len());
            if search >= gap.len() {
                break;
            }
        }
    }

    /// Where a new block container starting at `span` has its entries' column.
    fn container_column(&self, span: &Span, sequence: bool) -> usize {
        let col = span.start.col();
        if !sequence {
            return col;
        }
        let at = self.byte_offset(span.start.index());
        let line_start = self.src[..at].rfind('\n').map_or(0, |i| i + 1);
        match self.src[line_start..at].rfind('-') {
            Some(dash) => self.src[line_start..line_start + dash].chars().count(),
            None => col,
        }
    }

    fn place_comments(&mut self, event: &Event<'_>, span: &Span) {
        if self.pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        let new_container = match event {
            Event::MappingStart(..) => Some(self.container_column(span, false)),
            Event::SequenceStart(..) => Some(self.container_column(span, true)),
            _ => None,
        };
        let is_flow = self.is_flow_start(span);
        for comment in pending {
            let text = SecretText::new(comment.text);
            if self.frames.is_empty() {
                self.pending.push(Comment {
                    text: text.as_str().to_owned(),
                    column: 0,
                    own_line: true,
                });
                continue;
            }
            if !comment.own_line {
                if self.after_flow_end {
                    // go-yaml gives a flow collection's line comment to the collection itself.
                    if let Some(top) = self.frames.last_mut() {
                        top.comment_into_last_value(text);
                    }
                } else if let Some(top) = self.frames.last_mut() {
                    top.insert_line_comment(text);
                }
                continue;
            }
            if let Some(col) = new_container {
                if !is_flow && comment.column >= col {
                    self.pending.push(Comment {
                        text: text.as_str().to_owned(),
                        column: comment.column,
                        own_line: true,
                    });
                    continue;
                }
            }
            let top = self.frames.len() - 1;
            let target = (0..self.frames.len())
                .rev()
                .find(|&i| !self.frames[i].flow && self.frames[i].indent <= comment.column)
                .unwrap_or(0);
            if self.frames[top].flow && matches!(self.frames[top].body, Body::Map { .. }) {
                // go-yaml drops comments inside a flow mapping.
            } else if target == top || self.frames[top].flow {
                self.frames[top].append_comment(text);
            } else {
                self.frames[target].deferred.push(text);
            }
        }
    }

    /// Flow collections start with a token (`{`, `[`); block collections' start events are
    /// zero-width (saphyr, and the fast scanner, mark them so).
    fn is_flow_start(&self, span: &Span) -> bool {
        span.end.index() > span.start.index()
    }

    fn handle(&mut self, event: Event<'_>, span: &Span) -> Result<(), Error> {
        match event {
            Event::DocumentStart(_) => self.root_done = false,
            Event::DocumentEnd => {
                if !self.root_done {
                    self.branches.push(Mapping::default());
                }
                self.root_done = true;
                self.pending.clear();
            }
            Event::MappingStart(anchor, _) => {
                self.enter_container()?;
                let flow = self.is_flow_start(span);
                if self.frames.is_empty() && self.root_done {
                    return Err(invalid("unexpected second root node"));
                }
                let check = self.check_duplicates && self.branches.is_empty();
                let mut frame = Frame {
                    body: Body::Map {
                        mapping: Mapping {
                            items: self.spare_maps.pop().unwrap_or_default(),
                        },
                        pending_key: None,
                        seen: check.then(HashSet::new),
                    },
                    indent: self.container_column(span, false),
                    flow,
                    anchor,
                    deferred: Vec::new(),
                };
                for c in std::mem::take(&mut self.pending) {
                    frame.append_comment(SecretText::new(c.text));
                }
                self.frames.push(frame);
            }
            Event::SequenceStart(anchor, _) => {
                if self.frames.is_empty() {
                    return Err(invalid(
                        "YAML documents that are sequences are not supported",
                    ));
                }
                self.enter_container()?;
                let flow = self.is_flow_start(span);
                let mut frame = Frame {
                    body: Body::Seq(Sequence {
                        items: self.spare_seqs.pop().unwrap_or_default(),
                    }),
                    indent: self.container_column(span, true),
                    flow,
                    anchor,
                    deferred: Vec::new(),
                };
                for c in std::mem::take(&mut self.pending) {
                    frame.append_comment(SecretText::new(c.text));
                }
                self.frames.push(frame);
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let frame = self
                    .frames
                    .pop()
                    .ok_or_else(|| invalid("unbalanced collection end"))?;
                let node = match frame.body {
                    Body::Map { mut mapping, .. } => {
                        let items = mapping.items.drain(..).collect();
                        self.spare_maps.push(mapping.items);
                        Node::Mapping(Mapping { items })
                    }
                    Body::Seq(mut seq) => {
                        let items = seq.items.drain(..).collect();
                        self.spare_seqs.push(seq.items);
                        Node::Sequence(Sequence { items })
                    }
                };
                if frame.anchor != 0 {
                    self.anchor(frame.anchor, &node);
                }
                self.attach(node)?;
            }
            Event::Scalar(value, style, anchor, tag) => {
                self.decoded = self.decoded.saturating_add(1);
                if self.frames.is_empty() {
                    let node = scalar_node(&value, style, tag.as_deref())?;
                    if !matches!(node, Node::Scalar(Scalar::Null)) {
                        return Err(invalid("YAML documents that are values are not supported"));
                    }
                    self.branches.push(Mapping::default());
                    self.root_done = true;
                    return Ok(());
                }
                if self.expecting_key() {
                    let key = key_text(&value, style, tag.as_deref())?;
                    self.set_key(key)?;
                } else {
                    let mut value = value;
                    if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded)
                        && value.ends_with('\n')
                        && ends_the_file(self.src, &value)
                        && block_runs_to_eof(self.src, self.byte_offset(span.start.index()))
                    {
                        // go-yaml keeps a block scalar's final line break only if the file has
                        // one: `k: |` then `  a` at the end of a file without a newline is "a".
                        value.to_mut().pop();
                    }
                    let node = scalar_node(&value, style, tag.as_deref())?;
                    if anchor != 0 {
                        self.anchor(anchor, &node);
                    }
                    self.attach(node)?;
                }
            }
            Event::Alias(id) => {
                let node = self.expand_alias(id)?;
                if self.expecting_key() {
                    match node {
                        Node::Scalar(Scalar::Str(s)) => self.set_key(s.as_str().to_owned())?,
                        _ => return Err(non_string_key()),
                    }
                } else {
                    self.attach(node)?;
                }
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
        Ok(())
    }

    /// Counts a new mapping or sequence and refuses it beyond [`MAX_DEPTH`].
    fn enter_container(&mut self) -> Result<(), Error> {
        self.decoded = self.decoded.saturating_add(1);
        if self.frames.len() >= MAX_DEPTH {
            return Err(too_deep());
        }
        Ok(())
    }

    /// Remembers an anchored node with its size and height.
    fn anchor(&mut self, id: usize, node: &Node) {
        let (size, height) = measure(node);
        let node = node.clone();
        self.anchors.insert(id, Anchored { node, size, height });
    }

    /// A copy of the node an alias names, after go-yaml's aliasing check and the depth limit.
    fn expand_alias(&mut self, id: usize) -> Result<Node, Error> {
        let anchored = self
            .anchors
            .get(&id)
            .ok_or_else(|| invalid("unknown anchor"))?;
        self.decoded = self.decoded.saturating_add(anchored.size);
        self.aliased = self.aliased.saturating_add(anchored.size);
        if self.aliased > 100
            && self.decoded > 1000
            && self.aliased as f64 / self.decoded as f64 > allowed_alias_ratio(self.decoded)
        {
            return Err(invalid("document contains excessive aliasing").with_hint(
                "the aliases (*name) repeat far more than the document holds; expand them by hand if this is intended",
            ));
        }
        if self.frames.len() + anchored.height > MAX_DEPTH {
            return Err(too_deep());
        }
        Ok(anchored.node.clone())
    }

    fn expecting_key(&self) -> bool {
        matches!(
            self.frames.last(),
            Some(Frame {
                body: Body::Map {
                    pending_key: None,
                    ..
                },
                ..
            })
        )
    }

    fn set_key(&mut self, key: String) -> Result<(), Error> {
        if let Some(Frame {
            body: Body::Map {
                pending_key, seen, ..
            },
            ..
        }) = self.frames.last_mut()
        {
            if let Some(seen) = seen {
                if !seen.insert(key.clone()) {
                    return Err(invalid(format!("mapping key {key:?} already defined")));
                }
            }
            *pending_key = Some(key);
        }
        Ok(())
    }

    /// Adds a finished node to its parent (or as a document root).
    fn attach(&mut self, node: Node) -> Result<(), Error> {
        let Some(parent) = self.frames.last_mut() else {
            match node {
                Node::Mapping(m) => {
                    self.branches.push(m);
                    self.root_done = true;
                    return Ok(());
                }
                _ => {
                    return Err(invalid(
                        "YAML documents that are sequences are not supported",
                    ))
                }
            }
        };
        match &mut parent.body {
            Body::Map {
                mapping,
                pending_key,
                ..
            } => {
                let key = pending_key.take().ok_or_else(non_string_key)?;
                mapping.items.push(MapItem::Pair(key, node));
            }
            Body::Seq(seq) => seq.items.push(SeqItem::Value(node)),
        }
        for text in std::mem::take(&mut parent.deferred) {
            parent.append_comment(text);
        }
        Ok(())
    }
}

/// A quick test before [`block_runs_to_eof`] (which reads the rest of the file): the file has
/// no final line break and its last line is the end of `value`.
fn ends_the_file(src: &str, value: &str) -> bool {
    if src.ends_with(['\n', '\r']) {
        return false;
    }
    let last_line = src.rsplit('\n').next().unwrap_or(src).trim_start();
    !last_line.is_empty() && value.trim_end_matches('\n').ends_with(last_line)
}

/// Whether the block scalar whose event starts at `header_at` (its header `|`, `>`…, or its
/// first content line) runs to the end of a file that has no final line break: every line after the header is blank or at
/// least as indented as the first non-blank one, and the last one is not blank.
fn block_runs_to_eof(src: &str, header_at: usize) -> bool {
    if src.ends_with(['\n', '\r']) || header_at >= src.len() {
        return false;
    }
    // The full parser's span starts at the content, the fast scanner's at the header.
    let line_start = src[..header_at].rfind('\n').map_or(0, |i| i + 1);
    let body = if src[line_start..header_at].trim().is_empty() {
        &src[line_start..]
    } else {
        match src[header_at..].find('\n') {
            Some(line_end) => &src[header_at + line_end + 1..],
            None => return false,
        }
    };
    let indent_of = |line: &str| line.len() - line.trim_start_matches(' ').len();
    let mut content_indent = None;
    for line in body.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let indent = indent_of(line);
        match content_indent {
            None if indent == 0 => return false,
            None => content_indent = Some(indent),
            Some(at) if indent < at => return false,
            Some(_) => {}
        }
    }
    let last = body.rsplit('\n').next().unwrap_or(body);
    content_indent.is_some() && !last.trim().is_empty()
}

fn too_deep() -> Error {
    invalid(format!(
        "exceeded max depth of {MAX_DEPTH} (mappings and sequences nested deeper are refused)"
    ))
}

/// go-yaml's `allowedAliasRatio`: the share of decode steps that may come from aliases, 99% for
/// documents up to 400000 steps, falling to 10% at 4000000.
fn allowed_alias_ratio(decoded: usize) -> f64 {
    const LOW: usize = 400_000;
    const HIGH: usize = 4_000_000;
    if decoded <= LOW {
        0.99
    } else if decoded >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((decoded - LOW) as f64 / (HIGH - LOW) as f64)
    }
}

/// A node's size in go-yaml decode steps (one per scalar, key, mapping and sequence) and its
/// height (0 for a scalar, 1 for a container of scalars), without recursion.
fn measure(node: &Node) -> (usize, usize) {
    let mut size = 0usize;
    let mut height = 0;
    let mut stack = vec![(node, 0usize)];
    while let Some((node, depth)) = stack.pop() {
        size = size.saturating_add(1);
        match node {
            Node::Scalar(_) => height = height.max(depth),
            Node::Mapping(m) => {
                height = height.max(depth + 1);
                for (_, value) in m.pairs() {
                    size = size.saturating_add(1); // the key
                    stack.push((value, depth + 1));
                }
            }
            Node::Sequence(s) => {
                height = height.max(depth + 1);
                for item in &s.items {
                    if let SeqItem::Value(value) = item {
                        stack.push((value, depth + 1));
                    }
                }
            }
        }
    }
    (size, height)
}

fn non_string_key() -> Error {
    Error::new(
        ErrorKind::EncryptTree,
        "the tree contains a non-string key: only string keys are supported",
    )
    .with_hint("quote the key, e.g. \"1\": value")
}

fn is_tag(tag: Option<&Tag>, suffix: &str) -> bool {
    tag.is_some_and(|t| {
        (t.handle == "tag:yaml.org,2002:" || t.handle == "!!") && t.suffix == suffix
    })
}

fn key_text(value: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<String, Error> {
    if style == ScalarStyle::Plain && tag.is_none() && value != "<<" {
        match resolve_plain(value) {
            Resolved::Str => {}
            _ => return Err(non_string_key()),
        }
    }
    Ok(value.to_owned())
}

fn scalar_node(value: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<Node, Error> {
    if is_tag(tag, "binary") {
        let cleaned: String = value.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(cleaned)
            .map_err(|e| invalid(format!("invalid !!binary value: {e}")))?;
        return Ok(Node::Scalar(match String::from_utf8(bytes) {
            Ok(s) => Scalar::Str(SecretText::new(s)),
            Err(e) => Scalar::Bytes(SecretBytes::new(e.into_bytes())),
        }));
    }
    let resolvable = match tag {
        None => style == ScalarStyle::Plain,
        Some(t) => ["int", "float", "bool", "null", "timestamp"]
            .iter()
            .any(|s| is_tag(Some(t), s)),
    };
    if !resolvable {
        return Ok(Node::string(value));
    }
    Ok(Node::Scalar(match resolve_plain(value) {
        Resolved::Null => Scalar::Null,
        Resolved::Bool(b) => Scalar::Bool(b),
        Resolved::Int(i) => Scalar::Int(i),
        Resolved::Float(f) => Scalar::Float(f),
        Resolved::Time(t) => Scalar::Time(Timestamp {
            rfc3339_nano: t.rfc3339_nano(),
        }),
        Resolved::Uint(_) => {
            return Err(Error::new(
                ErrorKind::EncryptTree,
                // The value may be a secret: not quoted.
                "cannot walk value, unknown type: uint64 (a number that does not fit in a signed 64-bit integer)",
            )
            .with_hint("quote the number to keep it as a string"));
        }
        Resolved::Str => Scalar::Str(SecretText::new(value)),
    }))
}
