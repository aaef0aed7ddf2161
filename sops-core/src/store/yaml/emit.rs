//! Writes a tree the way sops 3.11 does through go-yaml v3's encoder.
//!
//! sops turns its tree into `yaml.Node`s (comments before the first item become the container's
//! head comment, comments between items the next item's head comment, trailing comments the
//! last item's foot comment) and encodes them. This module replays the event sequence go-yaml
//! produces for those nodes through a port of the parts of libyaml's emitter that block-style
//! output reaches: indentation, `write_indent`'s line breaks and foot-comment spacing, and the
//! head/tail/foot comment bookkeeping.

use super::resolve::go_float_g;
use super::scalar::{
    block_hints, double_quoted, is_simple_key, single_quoted, string_style, Style,
};
use crate::secret::SecretText;
use crate::tree::{MapItem, Mapping, Node, Scalar, SeqItem, Sequence};
use base64::Engine;

pub(crate) struct YamlWriter {
    out: Vec<u8>,
    step: isize,
    indent: isize,
    column: usize,
    whitespace: bool,
    indention: bool,
    foot_indent: isize,
    head_comment: String,
    foot_comment: String,
    tail_comment: String,
}

/// Joins comment texts into go-yaml's comment form: `#text` lines.
fn comment_block(comments: &[&SecretText]) -> String {
    let mut s = String::new();
    for (i, c) in comments.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        s.push('#');
        s.push_str(c.as_str());
    }
    s
}

impl YamlWriter {
    pub(crate) fn new(step: usize, capacity: usize) -> Self {
        YamlWriter {
            out: Vec::with_capacity(capacity),
            step: step.max(1) as isize,
            indent: -1,
            column: 0,
            whitespace: true,
            indention: true,
            foot_indent: -1,
            head_comment: String::new(),
            foot_comment: String::new(),
            tail_comment: String::new(),
        }
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        self.out
    }

    fn put(&mut self, b: u8) {
        self.out.push(b);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push(b'\n');
        self.column = 0;
        self.indention = true;
    }

    fn write_text(&mut self, s: &str) {
        self.out.extend_from_slice(s.as_bytes());
        self.column += if s.is_ascii() {
            s.len()
        } else {
            s.chars().count()
        };
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        if self.foot_indent == indent as isize {
            self.put_break();
        }
        while self.column < indent {
            self.put(b' ');
        }
        self.whitespace = true;
        self.foot_indent = -1;
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(b' ');
        }
        self.write_text(indicator);
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn write_comment(&mut self, comment: &str) {
        let mut first = true;
        for line in comment.split('\n') {
            if !first {
                self.put_break();
                self.write_indent();
            }
            first = false;
            if !line.starts_with('#') {
                self.write_text("# ");
            }
            self.write_text(line);
            self.indention = false;
        }
        self.put_break();
        self.whitespace = true;
    }

    /// `analyze_event`: an event's comments replace the pending ones of the same kind.
    fn analyze(&mut self, head: String, foot: String, tail: String) {
        if !head.is_empty() {
            self.head_comment = head;
        }
        if !foot.is_empty() {
            self.foot_comment = foot;
        }
        if !tail.is_empty() {
            self.tail_comment = tail;
        }
    }

    fn process_head_comment(&mut self) {
        if !self.tail_comment.is_empty() {
            self.write_indent();
            let tail = std::mem::take(&mut self.tail_comment);
            self.write_comment(&tail);
            self.foot_indent = self.indent.max(0);
        }
        if self.head_comment.is_empty() {
            return;
        }
        self.write_indent();
        let head = std::mem::take(&mut self.head_comment);
        self.write_comment(&head);
    }

    fn process_foot_comment(&mut self) {
        if self.foot_comment.is_empty() {
            return;
        }
        self.write_indent();
        let foot = std::mem::take(&mut self.foot_comment);
        self.write_comment(&foot);
        self.foot_indent = self.indent.max(0);
    }

    /// `increase_indent`; `in_sequence_item` is libyaml's "top state is a block sequence item".
    fn increase_indent(&mut self, flow: bool, in_sequence_item: bool) {
        if self.indent < 0 {
            self.indent = if flow { self.step } else { 0 };
        } else if in_sequence_item {
            self.indent += 2;
        } else {
            self.indent = self.step * ((self.indent + self.step) / self.step);
        }
    }

    /// Emits one document whose root is `branch`, followed by `last` as its final pair when
    /// given (the `sops` metadata), as if `last` were the branch's last item.
    pub(crate) fn document(&mut self, branch: &Mapping, last: Option<(&str, &Node)>, first: bool) {
        if !first {
            self.write_indent();
            self.write_indicator("---", true, false, false);
            self.write_indent();
        }
        let (head, pairs, trailing) = split_mapping(branch, last);
        self.analyze(head, String::new(), String::new());
        self.process_head_comment();
        self.pairs_body(pairs, trailing, false);
        self.process_foot_comment();
        self.foot_indent = 0;
        self.process_foot_comment();
        self.foot_indent = -1;
        self.write_indent();
    }

    /// Emits one document whose root is any node (go-yaml's `Marshal` of a value, as
    /// `--extract` prints non-string results).
    pub(crate) fn value_document(&mut self, node: &Node) {
        match node {
            Node::Mapping(m) => self.document(m, None, true),
            other => {
                let head = value_head_comment(other);
                self.analyze(head, String::new(), String::new());
                self.process_head_comment();
                self.node(other, false, false);
                self.process_foot_comment();
                self.foot_indent = -1;
                self.write_indent();
            }
        }
    }

    /// Emits a node's start event (whose comments the caller analyzed); containers continue with
    /// their content right away, as libyaml's state machine does.
    fn node(&mut self, node: &Node, simple_key: bool, in_sequence_item: bool) {
        match node {
            Node::Scalar(s) => self.scalar(s, simple_key, in_sequence_item),
            Node::Mapping(m) => self.mapping_body(m, in_sequence_item),
            Node::Sequence(s) => self.sequence_body(s, in_sequence_item),
        }
    }

    fn mapping_body(&mut self, mapping: &Mapping, in_sequence_item: bool) {
        let (_, pairs, trailing) = split_mapping(mapping, None);
        self.pairs_body(pairs, trailing, in_sequence_item);
    }

    fn pairs_body(&mut self, pairs: Vec<Pair<'_>>, trailing: String, in_sequence_item: bool) {
        let saved_indent = self.indent;
        if pairs.is_empty() {
            // A flow mapping; a pending head comment is written inside the braces, as
            // go-yaml's flow-mapping end does.
            self.write_indicator("{", true, true, false);
            if !self.head_comment.is_empty() || !self.tail_comment.is_empty() {
                self.increase_indent(true, in_sequence_item);
                self.process_head_comment();
                self.indent = saved_indent;
            }
            self.write_indicator("}", false, false, false);
            return;
        }
        self.increase_indent(false, in_sequence_item);
        let last = pairs.len() - 1;
        for (i, (head, key, value)) in pairs.into_iter().enumerate() {
            // The key's scalar event.
            self.analyze(head, String::new(), String::new());
            self.process_head_comment();
            self.write_indent();
            let simple = is_simple_key(key) && key != "<<";
            if simple || key == "<<" {
                self.key_scalar(key);
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.string_scalar(key, false, false);
                self.write_indent();
                self.write_indicator(":", true, false, true);
            }
            // The value's start event.
            let value_head = value_head_comment(value);
            self.analyze(value_head, String::new(), String::new());
            self.node(value, false, false);
            self.process_foot_comment();
            if i == last {
                // MAPPING-END carries the trailing comments as its tail.
                self.analyze(String::new(), String::new(), trailing.clone());
                self.process_head_comment();
            }
        }
        self.indent = saved_indent;
    }

    fn sequence_body(&mut self, sequence: &Sequence, in_sequence_item: bool) {
        let (_, items, trailing) = split_sequence(sequence);
        let saved_indent = self.indent;
        if items.is_empty() {
            self.write_indicator("[", true, true, false);
            self.write_indicator("]", false, false, false);
            return;
        }
        self.increase_indent(false, in_sequence_item);
        let last = items.len() - 1;
        for (i, (head, item)) in items.into_iter().enumerate() {
            let head = if head.is_empty() {
                value_head_comment(item)
            } else {
                head
            };
            let foot = if i == last {
                trailing.clone()
            } else {
                String::new()
            };
            let scalar_foot = matches!(item, Node::Scalar(_));
            self.analyze(
                head,
                if scalar_foot {
                    foot.clone()
                } else {
                    String::new()
                },
                String::new(),
            );
            self.process_head_comment();
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.node(item, false, true);
            self.process_foot_comment();
            if !scalar_foot && !foot.is_empty() {
                // The foot of a container item rides on its end event and waits for the next
                // foot-comment point, as in go-yaml.
                self.analyze(String::new(), foot, String::new());
            }
        }
        self.indent = saved_indent;
    }

    fn key_scalar(&mut self, key: &str) {
        if key == "<<" {
            self.write_text("!!merge");
            self.whitespace = false;
            self.put(b' ');
            self.write_text("<<");
            self.whitespace = false;
            self.indention = false;
            return;
        }
        self.string_scalar(key, true, false);
    }

    fn scalar(&mut self, scalar: &Scalar, simple_key: bool, in_sequence_item: bool) {
        let text = match scalar {
            Scalar::Str(s) => return self.string_scalar(s.as_str(), simple_key, in_sequence_item),
            Scalar::Bytes(b) => {
                self.write_indicator("!!binary", true, false, false);
                base64::engine::general_purpose::STANDARD.encode(b.secret_bytes())
            }
            Scalar::Null => "null".to_owned(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => go_float_g(*f),
            Scalar::Time(t) => t.rfc3339_nano.clone(),
        };
        self.plain(&text);
    }

    fn plain(&mut self, text: &str) {
        if !self.whitespace {
            self.put(b' ');
        }
        self.write_text(text);
        self.whitespace = false;
        self.indention = false;
    }

    fn string_scalar(&mut self, value: &str, simple_key: bool, in_sequence_item: bool) {
        match string_style(value, simple_key) {
            Style::Plain => self.plain(value),
            Style::SingleQuoted if value.contains(['\u{2028}', '\u{2029}']) => {
                self.single_quoted_scalar(value, in_sequence_item)
            }
            Style::SingleQuoted => {
                self.write_indicator("", true, false, false);
                self.write_text(&single_quoted(value));
                self.indention = false;
            }
            Style::DoubleQuoted => {
                self.write_indicator("", true, false, false);
                self.write_text(&double_quoted(value));
                self.indention = false;
            }
            Style::Literal => self.literal(value, in_sequence_item),
        }
    }

    fn literal(&mut self, value: &str, in_sequence_item: bool) {
        let saved = self.indent;
        self.increase_indent(true, in_sequence_item);
        self.write_indicator("|", true, false, false);
        let hints = block_hints(value, self.step as usize);
        self.write_text(&hints);
        // go-yaml ends the header line here (yaml_emitter_process_line_comment_linebreak), so
        // that each leading `\n` of the value is a blank line of its own.
        self.put_break();
        self.whitespace = true;
        self.scalar_body(value, true);
        self.indent = saved;
    }

    /// Writes scalar text with libyaml's line-break handling: `\n` breaks the line, the
    /// Unicode separators U+2028/U+2029 are written and also restart indentation.
    fn scalar_body(&mut self, value: &str, breaks_at_start: bool) {
        let mut breaks = breaks_at_start;
        let mut buf = [0u8; 4];
        for ch in value.chars() {
            match ch {
                '\n' => {
                    self.put_break();
                    breaks = true;
                }
                '\u{2028}' | '\u{2029}' => {
                    self.out
                        .extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    self.column = 0;
                    self.indention = true;
                    breaks = true;
                }
                _ => {
                    if breaks {
                        self.write_indent();
                    }
                    self.out
                        .extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    self.column += 1;
                    self.indention = false;
                    breaks = false;
                }
            }
        }
    }

    fn single_quoted_scalar(&mut self, value: &str, in_sequence_item: bool) {
        let saved = self.indent;
        self.increase_indent(true, in_sequence_item);
        self.write_indicator("'", true, false, false);
        self.scalar_body(&value.replace('\'', "''"), false);
        self.write_indicator("'", false, false, false);
        self.indent = saved;
    }
}

type Pair<'a> = (String, &'a str, &'a Node);

/// Splits a mapping as sops's `appendTreeBranch` does: head comments, pairs with their head
/// comments, trailing comments. `last` is appended as a final pair.
fn split_mapping<'a>(
    mapping: &'a Mapping,
    last: Option<(&'a str, &'a Node)>,
) -> (String, Vec<Pair<'a>>, String) {
    let mut pending: Vec<&SecretText> = Vec::new();
    let mut head = String::new();
    let mut pairs = Vec::with_capacity(mapping.items.len() + 1);
    let last = last.map(|(k, v)| ItemRef::Pair(k, v));
    let items = mapping.items.iter().map(|item| match item {
        MapItem::Comment(c) => ItemRef::Comment(c),
        MapItem::Pair(k, v) => ItemRef::Pair(k.as_str(), v),
    });
    for item in items.chain(last) {
        match item {
            ItemRef::Comment(c) => pending.push(c),
            ItemRef::Pair(k, v) => {
                let block = comment_block(&pending);
                pending.clear();
                if pairs.is_empty() {
                    head = block;
                    pairs.push((String::new(), k, v));
                } else {
                    pairs.push((block, k, v));
                }
            }
        }
    }
    let rest = comment_block(&pending);
    if pairs.is_empty() {
        (rest, pairs, String::new())
    } else {
        (head, pairs, rest)
    }
}

enum ItemRef<'a> {
    Comment(&'a SecretText),
    Pair(&'a str, &'a Node),
}

fn split_sequence(sequence: &Sequence) -> (String, Vec<(String, &Node)>, String) {
    let mut pending: Vec<&SecretText> = Vec::new();
    let mut head = String::new();
    let mut items = Vec::new();
    for item in &sequence.items {
        match item {
            SeqItem::Comment(c) => pending.push(c),
            SeqItem::Value(v) => {
                let block = comment_block(&pending);
                pending.clear();
                if items.is_empty() {
                    head = block;
                    items.push((String::new(), v));
                } else {
                    items.push((block, v));
                }
            }
        }
    }
    let rest = comment_block(&pending);
    if items.is_empty() {
        (rest, items, String::new())
    } else {
        (head, items, rest)
    }
}

/// The head comment carried by a value node's start event: a container's leading comments
/// (all of its comments when it has no entries).
fn value_head_comment(node: &Node) -> String {
    let leading: Vec<&SecretText> = match node {
        Node::Mapping(m) => m
            .items
            .iter()
            .map_while(|item| match item {
                MapItem::Comment(c) => Some(c),
                MapItem::Pair(..) => None,
            })
            .collect(),
        Node::Sequence(s) => s
            .items
            .iter()
            .map_while(|item| match item {
                SeqItem::Comment(c) => Some(c),
                SeqItem::Value(_) => None,
            })
            .collect(),
        Node::Scalar(_) => return String::new(),
    };
    if leading.is_empty() {
        String::new()
    } else {
        comment_block(&leading)
    }
}

/// About how many bytes writing `mapping` takes, so the output buffer is allocated once.
pub(crate) fn estimated_size(mapping: &Mapping, step: usize) -> usize {
    fn node_size(n: &Node, indent: usize, step: usize) -> usize {
        match n {
            Node::Scalar(Scalar::Str(s)) => s.as_str().len() + 3,
            Node::Scalar(Scalar::Bytes(b)) => b.secret_bytes().len() * 4 / 3 + 12,
            Node::Scalar(_) => 24,
            Node::Mapping(m) => mapping_size(m, indent + step, step),
            Node::Sequence(s) => s
                .items
                .iter()
                .map(|item| match item {
                    SeqItem::Comment(c) => c.as_str().len() + indent + 4,
                    SeqItem::Value(v) => indent + 4 + node_size(v, indent + 2, step),
                })
                .sum(),
        }
    }
    fn mapping_size(m: &Mapping, indent: usize, step: usize) -> usize {
        m.items
            .iter()
            .map(|item| match item {
                MapItem::Comment(c) => c.as_str().len() + indent + 4,
                MapItem::Pair(k, v) => k.len() + indent + 4 + node_size(v, indent, step),
            })
            .sum()
    }
    mapping_size(mapping, 0, step)
}
