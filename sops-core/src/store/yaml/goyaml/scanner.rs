//! go-yaml v3's scanner, reduced to what decides where comments go: the token queue (with the
//! simple keys that insert `KEY` and `BLOCK-MAPPING-START` tokens after the fact), the indent
//! stack that emits `BLOCK-END` tokens, and the comment queue.
//!
//! Positions are go-yaml's marks: `index` counts characters, `column` starts at 0. Scalar
//! values are not built (the tree comes from the store's own reader); only their extent is
//! scanned, in `scalars`. Any error, or a directive, gives up: the caller keeps the placement
//! of the store's reader.

use std::collections::HashMap;

/// Where the scanner is (go-yaml's `yaml_mark_t`).
#[derive(Clone, Copy, Default, Debug)]
pub(super) struct Mark {
    pub index: i64,
    pub line: i64,
    pub column: i64,
}

/// The token kinds that matter here.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Tok {
    StreamStart,
    StreamEnd,
    DocumentStart,
    DocumentEnd,
    BlockSequenceStart,
    BlockMappingStart,
    BlockEnd,
    FlowSequenceStart,
    FlowSequenceEnd,
    FlowMappingStart,
    FlowMappingEnd,
    BlockEntry,
    FlowEntry,
    Key,
    Value,
    Alias,
    Anchor,
    Tag,
    Scalar,
}

#[derive(Clone, Debug)]
pub(super) struct Token {
    pub typ: Tok,
    pub start: Mark,
    /// The name of an anchor or alias.
    pub value: String,
}

/// A comment waiting in the queue to be given to a token (go-yaml's `yaml_comment_t`).
#[derive(Clone, Default)]
pub(super) struct Comment {
    pub scan_mark: Mark,
    pub token_mark: Mark,
    pub start_mark: Mark,
    pub end_mark: Mark,
    pub head: String,
    pub line: String,
    pub foot: String,
}

#[derive(Clone, Copy, Default)]
struct SimpleKey {
    possible: bool,
    required: bool,
    token_number: usize,
    mark: Mark,
}

/// The scanner gave up (an error, or something not reproduced here).
pub(super) struct GiveUp;

pub(super) type Scan<T> = Result<T, GiveUp>;

pub(super) struct Scanner {
    pub(super) chars: Vec<char>,
    pub(super) mark: Mark,
    pub(super) tokens: Vec<Token>,
    pub(super) tokens_head: usize,
    tokens_parsed: usize,
    token_available: bool,
    stream_start_produced: bool,
    pub(super) indent: i64,
    indents: Vec<i64>,
    pub(super) simple_key_allowed: bool,
    simple_keys: Vec<SimpleKey>,
    simple_keys_by_tok: HashMap<usize, usize>,
    pub(super) flow_level: usize,
    pub(super) newlines: usize,
    pub(super) comments: Vec<Comment>,
    pub(super) comments_head: usize,
}

pub(super) fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}
pub(super) fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}
pub(super) fn is_breakz(c: char) -> bool {
    is_break(c) || c == '\0'
}
pub(super) fn is_blankz(c: char) -> bool {
    is_blank(c) || is_breakz(c)
}

impl Scanner {
    pub(super) fn new(src: &str) -> Scanner {
        Scanner {
            chars: src.chars().collect(),
            mark: Mark::default(),
            tokens: Vec::new(),
            tokens_head: 0,
            tokens_parsed: 0,
            token_available: false,
            stream_start_produced: false,
            indent: -1,
            indents: Vec::new(),
            simple_key_allowed: false,
            simple_keys: Vec::new(),
            simple_keys_by_tok: HashMap::new(),
            flow_level: 0,
            newlines: 0,
            comments: Vec::new(),
            comments_head: 0,
        }
    }

    /// The character `k` places ahead (`'\0'` past the end, as go-yaml's buffer).
    pub(super) fn ch(&self, k: usize) -> char {
        self.chars
            .get(self.mark.index as usize + k)
            .copied()
            .unwrap_or('\0')
    }

    pub(super) fn skip(&mut self) {
        if !is_blank(self.ch(0)) {
            self.newlines = 0;
        }
        self.mark.index += 1;
        self.mark.column += 1;
    }

    pub(super) fn skip_line(&mut self) {
        if self.ch(0) == '\r' && self.ch(1) == '\n' {
            self.mark.index += 2;
        } else if is_break(self.ch(0)) {
            self.mark.index += 1;
        } else {
            return;
        }
        self.mark.column = 0;
        self.mark.line += 1;
        self.newlines += 1;
    }

    /// Appends the current character to `text` and moves on.
    pub(super) fn read(&mut self, text: &mut String) {
        text.push(self.ch(0));
        self.skip();
    }

    fn insert_token(&mut self, pos: Option<usize>, token: Token) {
        match pos {
            None => self.tokens.push(token),
            Some(p) => self.tokens.insert(self.tokens_head + p, token),
        }
    }

    fn push(&mut self, typ: Tok, start: Mark) {
        self.insert_token(
            None,
            Token {
                typ,
                start,
                value: String::new(),
            },
        );
    }

    /// The next token, fetching more as needed (go-yaml's `peek_token` without the comment
    /// unfolding, which the parser does).
    pub(super) fn peek(&mut self) -> Scan<usize> {
        if !self.token_available {
            self.fetch_more_tokens()?;
        }
        if self.tokens_head >= self.tokens.len() {
            return Err(GiveUp);
        }
        Ok(self.tokens_head)
    }

    pub(super) fn skip_token(&mut self) {
        self.token_available = false;
        self.tokens_parsed += 1;
        self.tokens_head += 1;
    }

    fn fetch_more_tokens(&mut self) -> Scan<()> {
        loop {
            if (self.tokens_head as i64) < self.tokens.len() as i64 - 2 {
                match self.simple_keys_by_tok.get(&self.tokens_parsed) {
                    None => break,
                    Some(&i) => {
                        if !self.simple_key_is_valid(i)? {
                            break;
                        }
                    }
                }
            }
            if self.tokens.last().is_some_and(|t| t.typ == Tok::StreamEnd) {
                break;
            }
            self.fetch_next_token()?;
        }
        self.token_available = true;
        Ok(())
    }

    fn fetch_next_token(&mut self) -> Scan<()> {
        if !self.stream_start_produced {
            self.indent = -1;
            self.simple_keys.push(SimpleKey::default());
            self.simple_key_allowed = true;
            self.stream_start_produced = true;
            self.push(Tok::StreamStart, self.mark);
            return Ok(());
        }
        let scan_mark = self.mark;
        self.scan_to_next_token()?;
        self.unroll_indent(self.mark.column, scan_mark);
        let c = self.ch(0);
        if c == '\0' {
            return self.fetch_stream_end();
        }
        if self.mark.column == 0 && c == '%' {
            return Err(GiveUp);
        }
        let three = |s: &Scanner, d: char| {
            s.mark.column == 0 && s.ch(0) == d && s.ch(1) == d && s.ch(2) == d && is_blankz(s.ch(3))
        };
        if three(self, '-') {
            return self.fetch_document_indicator(Tok::DocumentStart);
        }
        if three(self, '.') {
            return self.fetch_document_indicator(Tok::DocumentEnd);
        }
        let mut comment_mark = self.mark;
        if let Some(last) = self.tokens.last() {
            if (self.flow_level == 0 && c == ':') || (self.flow_level > 0 && c == ',') {
                comment_mark = last.start;
            }
        }
        self.fetch_token(c)?;
        if self.tokens.last().is_some_and(|t| t.typ == Tok::BlockEntry) {
            // A sequence indicator alone has no line comment: it heads what follows.
            return Ok(());
        }
        self.scan_line_comment(comment_mark);
        Ok(())
    }

    fn fetch_token(&mut self, c: char) -> Scan<()> {
        let next = self.ch(1);
        let flow = self.flow_level > 0;
        match c {
            '[' => self.fetch_flow_start(Tok::FlowSequenceStart),
            '{' => self.fetch_flow_start(Tok::FlowMappingStart),
            ']' => self.fetch_flow_end(Tok::FlowSequenceEnd),
            '}' => self.fetch_flow_end(Tok::FlowMappingEnd),
            ',' => {
                self.remove_simple_key()?;
                self.simple_key_allowed = true;
                let start = self.mark;
                self.skip();
                self.push(Tok::FlowEntry, start);
                Ok(())
            }
            '-' if is_blankz(next) => self.fetch_block_entry(),
            '?' if flow || is_blankz(next) => self.fetch_key(),
            ':' if flow || is_blankz(next) => self.fetch_value(),
            '*' => self.fetch_anchor(Tok::Alias),
            '&' => self.fetch_anchor(Tok::Anchor),
            '!' => {
                self.save_simple_key()?;
                self.simple_key_allowed = false;
                let start = self.mark;
                self.scan_tag();
                self.push(Tok::Tag, start);
                Ok(())
            }
            '|' | '>' if !flow => {
                self.remove_simple_key()?;
                self.simple_key_allowed = true;
                let start = self.mark;
                self.scan_block_scalar()?;
                self.push(Tok::Scalar, start);
                Ok(())
            }
            '\'' | '"' => {
                self.save_simple_key()?;
                self.simple_key_allowed = false;
                let start = self.mark;
                self.scan_flow_scalar(c == '\'')?;
                self.push(Tok::Scalar, start);
                Ok(())
            }
            _ => {
                let indicator = is_blankz(c) || "-?:,[]{}#&*!|>'\"%@`".contains(c);
                if !indicator
                    || (c == '-' && !is_blank(next))
                    || (!flow && (c == '?' || c == ':') && !is_blankz(next))
                {
                    self.save_simple_key()?;
                    self.simple_key_allowed = false;
                    let start = self.mark;
                    self.scan_plain_scalar()?;
                    self.push(Tok::Scalar, start);
                    Ok(())
                } else {
                    Err(GiveUp)
                }
            }
        }
    }

    fn simple_key_is_valid(&mut self, i: usize) -> Scan<bool> {
        let mark = self.mark;
        let key = &mut self.simple_keys[i];
        if !key.possible {
            return Ok(false);
        }
        if key.mark.line < mark.line || key.mark.index + 1024 < mark.index {
            if key.required {
                return Err(GiveUp);
            }
            key.possible = false;
            return Ok(false);
        }
        Ok(true)
    }

    fn save_simple_key(&mut self) -> Scan<()> {
        let required = self.flow_level == 0 && self.indent == self.mark.column;
        if self.simple_key_allowed {
            let key = SimpleKey {
                possible: true,
                required,
                token_number: self.tokens_parsed + (self.tokens.len() - self.tokens_head),
                mark: self.mark,
            };
            self.remove_simple_key()?;
            let last = self.simple_keys.len() - 1;
            self.simple_keys[last] = key;
            self.simple_keys_by_tok.insert(key.token_number, last);
        }
        Ok(())
    }

    fn remove_simple_key(&mut self) -> Scan<()> {
        let i = self.simple_keys.len() - 1;
        if self.simple_keys[i].possible {
            if self.simple_keys[i].required {
                return Err(GiveUp);
            }
            self.simple_keys[i].possible = false;
            let number = self.simple_keys[i].token_number;
            self.simple_keys_by_tok.remove(&number);
        }
        Ok(())
    }

    fn fetch_flow_start(&mut self, typ: Tok) -> Scan<()> {
        self.save_simple_key()?;
        self.simple_keys.push(SimpleKey {
            token_number: self.tokens_parsed + (self.tokens.len() - self.tokens_head),
            mark: self.mark,
            ..SimpleKey::default()
        });
        self.flow_level += 1;
        if self.flow_level > 10_000 {
            return Err(GiveUp);
        }
        self.simple_key_allowed = true;
        let start = self.mark;
        self.skip();
        self.push(typ, start);
        Ok(())
    }

    fn fetch_flow_end(&mut self, typ: Tok) -> Scan<()> {
        self.remove_simple_key()?;
        if self.flow_level > 0 {
            self.flow_level -= 1;
            if let Some(last) = self.simple_keys.pop() {
                self.simple_keys_by_tok.remove(&last.token_number);
            }
        }
        self.simple_key_allowed = false;
        let start = self.mark;
        self.skip();
        self.push(typ, start);
        Ok(())
    }

    fn fetch_block_entry(&mut self) -> Scan<()> {
        if self.flow_level == 0 {
            if !self.simple_key_allowed {
                return Err(GiveUp);
            }
            self.roll_indent(self.mark.column, None, Tok::BlockSequenceStart, self.mark)?;
        }
        self.remove_simple_key()?;
        self.simple_key_allowed = true;
        let start = self.mark;
        self.skip();
        self.push(Tok::BlockEntry, start);
        Ok(())
    }

    fn fetch_key(&mut self) -> Scan<()> {
        if self.flow_level == 0 {
            if !self.simple_key_allowed {
                return Err(GiveUp);
            }
            self.roll_indent(self.mark.column, None, Tok::BlockMappingStart, self.mark)?;
        }
        self.remove_simple_key()?;
        self.simple_key_allowed = self.flow_level == 0;
        let start = self.mark;
        self.skip();
        self.push(Tok::Key, start);
        Ok(())
    }

    fn fetch_value(&mut self) -> Scan<()> {
        let i = self.simple_keys.len() - 1;
        if self.simple_key_is_valid(i)? {
            let key = self.simple_keys[i];
            let token = Token {
                typ: Tok::Key,
                start: key.mark,
                value: String::new(),
            };
            self.insert_token(Some(key.token_number - self.tokens_parsed), token);
            self.roll_indent(
                key.mark.column,
                Some(key.token_number),
                Tok::BlockMappingStart,
                key.mark,
            )?;
            self.simple_keys[i].possible = false;
            self.simple_keys_by_tok.remove(&key.token_number);
            self.simple_key_allowed = false;
        } else {
            if self.flow_level == 0 {
                if !self.simple_key_allowed {
                    return Err(GiveUp);
                }
                self.roll_indent(self.mark.column, None, Tok::BlockMappingStart, self.mark)?;
            }
            self.simple_key_allowed = self.flow_level == 0;
        }
        let start = self.mark;
        self.skip();
        self.push(Tok::Value, start);
        Ok(())
    }

    fn fetch_anchor(&mut self, typ: Tok) -> Scan<()> {
        self.save_simple_key()?;
        self.simple_key_allowed = false;
        let start = self.mark;
        self.skip();
        let mut name = String::new();
        while self.ch(0).is_ascii_alphanumeric() || matches!(self.ch(0), '_' | '-') {
            self.read(&mut name);
        }
        let c = self.ch(0);
        if name.is_empty() || !(is_blankz(c) || "?:,]}%@`".contains(c)) {
            return Err(GiveUp);
        }
        self.insert_token(
            None,
            Token {
                typ,
                start,
                value: name,
            },
        );
        Ok(())
    }

    fn fetch_document_indicator(&mut self, typ: Tok) -> Scan<()> {
        self.unroll_indent(-1, self.mark);
        self.remove_simple_key()?;
        self.simple_key_allowed = false;
        let start = self.mark;
        self.skip();
        self.skip();
        self.skip();
        self.push(typ, start);
        Ok(())
    }

    fn fetch_stream_end(&mut self) -> Scan<()> {
        if self.mark.column != 0 {
            self.mark.column = 0;
            self.mark.line += 1;
        }
        self.unroll_indent(-1, self.mark);
        self.remove_simple_key()?;
        self.simple_key_allowed = false;
        self.push(Tok::StreamEnd, self.mark);
        Ok(())
    }

    fn roll_indent(
        &mut self,
        column: i64,
        number: Option<usize>,
        typ: Tok,
        mark: Mark,
    ) -> Scan<()> {
        if self.flow_level > 0 {
            return Ok(());
        }
        if self.indent < column {
            self.indents.push(self.indent);
            self.indent = column;
            if self.indents.len() > 10_000 {
                return Err(GiveUp);
            }
            let token = Token {
                typ,
                start: mark,
                value: String::new(),
            };
            self.insert_token(number.map(|n| n - self.tokens_parsed), token);
        }
        Ok(())
    }

    /// Pops indentation levels above `column`, each with a `BLOCK-END` token placed before
    /// the foot comments of the enclosing blocks (go-yaml's repositioning).
    fn unroll_indent(&mut self, column: i64, scan_mark: Mark) {
        if self.flow_level > 0 {
            return;
        }
        let mut block_mark = scan_mark;
        block_mark.index -= 1;
        while self.indent > column {
            let mut stop_index = block_mark.index;
            for comment in self.comments.iter().rev() {
                if comment.end_mark.index < stop_index {
                    break;
                }
                if comment.start_mark.column == self.indent + 1 {
                    block_mark = comment.start_mark;
                }
                stop_index = comment.scan_mark.index;
            }
            self.push(Tok::BlockEnd, block_mark);
            self.indent = self.indents.pop().unwrap_or(-1);
        }
    }
}
