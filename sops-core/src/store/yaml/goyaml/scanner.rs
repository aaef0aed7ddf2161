//! go-yaml v3's scanner, reduced to what decides where comments go: the token queue (with the
//! simple keys that insert `KEY` and `BLOCK-MAPPING-START` tokens after the fact), the indent
//! stack that emits `BLOCK-END` tokens, and the comment queue.
//!
//! Positions are go-yaml's marks: `index` counts characters, `column` starts at 0. Scalar
//! values are not built (the tree comes from the store's own reader); only their extent is
//! scanned, in `scalars`. Any error, or a directive, gives up: the caller keeps the placement
//! of the store's reader.

use std::collections::HashMap;
use zeroize::Zeroizing;

/// Comment text (the plaintext of a file being encrypted), wiped when dropped.
pub(super) type Text = Zeroizing<String>;

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

#[derive(Clone)]
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
    pub head: Text,
    pub line: Text,
    pub foot: Text,
}

#[derive(Clone, Copy, Default)]
pub(super) struct SimpleKey {
    pub possible: bool,
    pub required: bool,
    pub token_number: usize,
    pub mark: Mark,
}

/// The scanner gave up (an error, or something not reproduced here).
pub(super) struct GiveUp;

pub(super) type Scan<T> = Result<T, GiveUp>;

pub(super) struct Scanner {
    pub(super) chars: Zeroizing<Vec<char>>,
    pub(super) mark: Mark,
    pub(super) tokens: Vec<Token>,
    pub(super) tokens_head: usize,
    pub(super) tokens_parsed: usize,
    token_available: bool,
    pub(super) stream_start_produced: bool,
    pub(super) indent: i64,
    pub(super) indents: Vec<i64>,
    pub(super) simple_key_allowed: bool,
    pub(super) simple_keys: Vec<SimpleKey>,
    pub(super) simple_keys_by_tok: HashMap<usize, usize>,
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
            chars: Zeroizing::new(src.chars().collect()),
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

    /// Appends a token, or inserts it `pos` places after the queue's head (go-yaml appends
    /// when the place is before the head, which its lookahead rules out).
    pub(super) fn insert_token(&mut self, pos: Option<usize>, token: Token) {
        match pos.map(|p| self.tokens_head + p) {
            Some(at) if at <= self.tokens.len() => self.tokens.insert(at, token),
            _ => self.tokens.push(token),
        }
    }

    pub(super) fn push(&mut self, typ: Tok, start: Mark) {
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

    pub(super) fn simple_key_is_valid(&mut self, i: usize) -> Scan<bool> {
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

    pub(super) fn save_simple_key(&mut self) -> Scan<()> {
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

    pub(super) fn remove_simple_key(&mut self) -> Scan<()> {
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

    pub(super) fn roll_indent(
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
            let pos = number.and_then(|n| n.checked_sub(self.tokens_parsed));
            self.insert_token(pos, token);
        }
        Ok(())
    }

    /// Pops indentation levels above `column`, each with a `BLOCK-END` token placed before
    /// the foot comments of the enclosing blocks (go-yaml's repositioning).
    pub(super) fn unroll_indent(&mut self, column: i64, scan_mark: Mark) {
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
