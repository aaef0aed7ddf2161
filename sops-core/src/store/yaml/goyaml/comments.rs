//! go-yaml v3's comment scanning: whitespace and comments between tokens, split into head,
//! line and foot comments by blank lines and indentation, each queued with the mark of the
//! token it belongs to (`scannerc.go`: `scan_to_next_token`, `scan_line_comment`,
//! `scan_comments`). The marks' odd details (a 1-based column in some places, a line number
//! that lags after a comment) are kept, since the placement depends on them.

use super::scanner::{is_blank, is_break, is_breakz, Comment, Mark, Scan, Scanner, Text, Tok};

impl Scanner {
    /// Eats whitespace and comments up to the next token.
    pub(super) fn scan_to_next_token(&mut self) -> Scan<()> {
        let scan_mark = self.mark;
        loop {
            while self.ch(0) == ' '
                || ((self.flow_level > 0 || !self.simple_key_allowed) && self.ch(0) == '\t')
            {
                self.skip();
            }
            // A line comment right after `- ` that heads nested content below it.
            if !self.comments.is_empty() && self.tokens.len() > 1 {
                let a = self.tokens[self.tokens.len() - 2].typ;
                let b = self.tokens[self.tokens.len() - 1].typ;
                let at_break = is_break(self.ch(0));
                let line = self.mark.line;
                let mark = self.mark;
                let comment = self.comments.last_mut().expect("not empty");
                if a == Tok::BlockSequenceStart
                    && b == Tok::BlockEntry
                    && !comment.line.is_empty()
                    && !at_break
                {
                    comment.head = std::mem::take(&mut comment.line);
                    if comment.start_mark.line == line - 1 {
                        comment.token_mark = mark;
                    }
                }
            }
            if self.ch(0) == '#' {
                self.scan_comments(scan_mark);
            }
            if is_break(self.ch(0)) {
                self.skip_line();
                if self.flow_level == 0 {
                    self.simple_key_allowed = true;
                }
            } else {
                break;
            }
        }
        Ok(())
    }

    /// A comment on the rest of the line, for the token at `token_mark`.
    pub(super) fn scan_line_comment(&mut self, token_mark: Mark) {
        if self.newlines > 0 {
            return;
        }
        let mut peek = 0;
        while peek < 512 && is_blank(self.ch(peek)) {
            peek += 1;
        }
        if peek >= 512 || self.ch(peek) != '#' {
            return;
        }
        let seen = self.mark.index + peek as i64;
        let mut text = Text::default();
        let mut start_mark = Mark::default();
        loop {
            if is_breakz(self.ch(0)) {
                if self.mark.index >= seen {
                    break;
                }
                self.skip_line();
            } else if self.mark.index >= seen {
                if text.is_empty() {
                    start_mark = self.mark;
                }
                self.read(&mut text);
            } else {
                self.skip();
            }
        }
        if !text.is_empty() {
            self.comments.push(Comment {
                token_mark,
                start_mark,
                line: text,
                ..Comment::default()
            });
        }
    }

    /// Own-line comments from the `#` under the cursor on, split into the foot of what came
    /// before and the head of what follows.
    fn scan_comments(&mut self, mut scan_mark: Mark) {
        let mut token = &self.tokens[self.tokens.len() - 1];
        if token.typ == Tok::FlowEntry && self.tokens.len() > 1 {
            token = &self.tokens[self.tokens.len() - 2];
        }
        let token_typ = token.typ;
        let mut token_mark = token.start;
        let mut start_mark = Mark::default();
        let mut next_indent = self.indent.max(0);
        let mut recent_empty = false;
        let mut first_empty = self.newlines <= 1;
        let mut line = self.mark.line;
        let mut column = self.mark.column;
        let mut text = Text::default();
        let mut foot_line = -1;
        if scan_mark.line > 0 {
            foot_line = self.mark.line - self.newlines as i64 + 1;
            if self.newlines == 0 && self.mark.column > 1 {
                foot_line += 1;
            }
        }
        let mut peek: usize = 0;
        while peek < 512 {
            column += 1;
            let c = self.ch(peek);
            if is_blank(c) {
                peek += 1;
                continue;
            }
            let at = self.mark.index + peek as i64;
            let here = |line, column| Mark {
                index: at,
                line,
                column,
            };
            let close_flow = self.flow_level > 0 && (c == ']' || c == '}');
            if close_flow || is_breakz(c) {
                if close_flow || !recent_empty {
                    if close_flow
                        || (first_empty
                            && ((start_mark.line == foot_line && token_typ != Tok::Value)
                                || start_mark.column - 1 < next_indent))
                    {
                        // The first part, up to the first blank line, is the foot of the
                        // token before (or the last comment in a flow collection).
                        if !text.is_empty() {
                            if start_mark.column - 1 < next_indent {
                                token_mark = start_mark;
                            }
                            let end = here(line, column);
                            self.comments.push(Comment {
                                scan_mark,
                                token_mark,
                                start_mark,
                                end_mark: end,
                                foot: std::mem::take(&mut text),
                                ..Comment::default()
                            });
                            scan_mark = end;
                            token_mark = end;
                        }
                    } else if !text.is_empty() && c != '\0' {
                        text.push('\n');
                    }
                }
                if !is_break(c) {
                    break;
                }
                first_empty = false;
                recent_empty = true;
                column = 0;
                line += 1;
                peek += 1;
                continue;
            }
            if !text.is_empty()
                && (close_flow || (column - 1 < next_indent && column != start_mark.column))
            {
                // A comment at another indentation is a foot of what came before.
                let end = here(line, column);
                self.comments.push(Comment {
                    scan_mark,
                    token_mark,
                    start_mark,
                    end_mark: end,
                    foot: std::mem::take(&mut text),
                    ..Comment::default()
                });
                scan_mark = end;
                token_mark = end;
            }
            if c != '#' {
                break;
            }
            if text.is_empty() {
                start_mark = here(line, column);
            } else {
                text.push('\n');
            }
            recent_empty = false;
            let seen = self.mark.index + peek as i64;
            loop {
                if is_breakz(self.ch(0)) {
                    if self.mark.index >= seen {
                        break;
                    }
                    self.skip_line();
                } else if self.mark.index >= seen {
                    self.read(&mut text);
                } else {
                    self.skip();
                }
            }
            // go-yaml's loop goes on at the character after the line break (peek 0, then the
            // loop's increment), with the comment's line number.
            peek = 1;
            column = 0;
            line = self.mark.line;
            next_indent = self.indent.max(0);
        }
        if !text.is_empty() {
            let end = Mark {
                index: self.mark.index + peek as i64 - 1,
                line,
                column,
            };
            self.comments.push(Comment {
                scan_mark,
                token_mark: start_mark,
                start_mark,
                end_mark: end,
                head: text,
                ..Comment::default()
            });
        }
    }
}
