//! go-yaml v3's token fetchers (`scannerc.go`: `fetch_next_token` and the `fetch_*` it
//! dispatches to): which token each indicator makes, where simple keys may start, and the line
//! comment scanned after each token, for that token or the one before it.

use super::scanner::{is_blank, is_blankz, GiveUp, Scan, Scanner, SimpleKey, Tok, Token};

impl Scanner {
    pub(super) fn fetch_next_token(&mut self) -> Scan<()> {
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

    pub(super) fn fetch_token(&mut self, c: char) -> Scan<()> {
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

    pub(super) fn fetch_flow_start(&mut self, typ: Tok) -> Scan<()> {
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

    pub(super) fn fetch_flow_end(&mut self, typ: Tok) -> Scan<()> {
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

    pub(super) fn fetch_block_entry(&mut self) -> Scan<()> {
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

    pub(super) fn fetch_key(&mut self) -> Scan<()> {
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

    pub(super) fn fetch_value(&mut self) -> Scan<()> {
        let i = self.simple_keys.len() - 1;
        if self.simple_key_is_valid(i)? {
            let key = self.simple_keys[i];
            let token = Token {
                typ: Tok::Key,
                start: key.mark,
                value: String::new(),
            };
            self.insert_token(key.token_number.checked_sub(self.tokens_parsed), token);
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

    pub(super) fn fetch_anchor(&mut self, typ: Tok) -> Scan<()> {
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

    pub(super) fn fetch_document_indicator(&mut self, typ: Tok) -> Scan<()> {
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

    pub(super) fn fetch_stream_end(&mut self) -> Scan<()> {
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
}
