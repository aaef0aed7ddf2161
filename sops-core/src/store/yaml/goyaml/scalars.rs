//! The extent of scalars and tags as go-yaml v3's scanner reads them: where each ends, and
//! the scanner state it leaves (line breaks counted since the last content, whether a simple
//! key may follow). Their values are not built.

use super::scanner::{is_blank, is_blankz, is_break, is_breakz, GiveUp, Scan, Scanner};

impl Scanner {
    fn at_document_indicator(&self) -> bool {
        self.mark.column == 0
            && ((self.ch(0) == '-' && self.ch(1) == '-' && self.ch(2) == '-')
                || (self.ch(0) == '.' && self.ch(1) == '.' && self.ch(2) == '.'))
            && is_blankz(self.ch(3))
    }

    pub(super) fn scan_plain_scalar(&mut self) -> Scan<()> {
        let indent = self.indent + 1;
        let mut leading_blanks = false;
        loop {
            if self.at_document_indicator() || self.ch(0) == '#' {
                break;
            }
            while !is_blankz(self.ch(0)) {
                let c = self.ch(0);
                if (c == ':' && is_blankz(self.ch(1)))
                    || (self.flow_level > 0 && matches!(c, ',' | '?' | '[' | ']' | '{' | '}'))
                {
                    break;
                }
                leading_blanks = false;
                self.skip();
            }
            if !(is_blank(self.ch(0)) || is_break(self.ch(0))) {
                break;
            }
            while is_blank(self.ch(0)) || is_break(self.ch(0)) {
                if is_blank(self.ch(0)) {
                    if leading_blanks && self.mark.column < indent && self.ch(0) == '\t' {
                        return Err(GiveUp);
                    }
                    self.skip();
                } else {
                    self.skip_line();
                    leading_blanks = true;
                }
            }
            if self.flow_level == 0 && self.mark.column < indent {
                break;
            }
        }
        if leading_blanks {
            self.simple_key_allowed = true;
        }
        Ok(())
    }

    pub(super) fn scan_flow_scalar(&mut self, single: bool) -> Scan<()> {
        let quote = if single { '\'' } else { '"' };
        self.skip();
        loop {
            if self.at_document_indicator() {
                return Err(GiveUp);
            }
            let c = self.ch(0);
            if c == '\0' {
                return Err(GiveUp);
            }
            if single && c == '\'' && self.ch(1) == '\'' {
                self.skip();
                self.skip();
            } else if c == quote {
                self.skip();
                return Ok(());
            } else if !single && c == '\\' {
                self.skip();
                if is_break(self.ch(0)) {
                    self.skip_line();
                } else {
                    self.skip();
                }
            } else if is_break(c) {
                self.skip_line();
            } else {
                self.skip();
            }
        }
    }

    pub(super) fn scan_block_scalar(&mut self) -> Scan<()> {
        let start = self.mark;
        self.skip();
        let mut increment = 0i64;
        let digit = |c: char| c.to_digit(10).map(i64::from);
        if matches!(self.ch(0), '+' | '-') {
            self.skip();
            if let Some(d) = digit(self.ch(0)) {
                if d == 0 {
                    return Err(GiveUp);
                }
                increment = d;
                self.skip();
            }
        } else if let Some(d) = digit(self.ch(0)) {
            if d == 0 {
                return Err(GiveUp);
            }
            increment = d;
            self.skip();
            if matches!(self.ch(0), '+' | '-') {
                self.skip();
            }
        }
        while is_blank(self.ch(0)) {
            self.skip();
        }
        if self.ch(0) == '#' {
            self.scan_line_comment(start);
            while !is_breakz(self.ch(0)) {
                self.skip();
            }
        }
        if !is_breakz(self.ch(0)) {
            return Err(GiveUp);
        }
        if is_break(self.ch(0)) {
            self.skip_line();
        }
        let mut indent = 0;
        if increment > 0 {
            indent = if self.indent >= 0 {
                self.indent + increment
            } else {
                increment
            };
        }
        self.block_scalar_breaks(&mut indent)?;
        while self.mark.column == indent && self.ch(0) != '\0' {
            while !is_breakz(self.ch(0)) {
                self.skip();
            }
            self.skip_line();
            self.block_scalar_breaks(&mut indent)?;
        }
        Ok(())
    }

    fn block_scalar_breaks(&mut self, indent: &mut i64) -> Scan<()> {
        let mut max_indent = 0;
        loop {
            while (*indent == 0 || self.mark.column < *indent) && self.ch(0) == ' ' {
                self.skip();
            }
            max_indent = max_indent.max(self.mark.column);
            if (*indent == 0 || self.mark.column < *indent) && self.ch(0) == '\t' {
                return Err(GiveUp);
            }
            if !is_break(self.ch(0)) {
                break;
            }
            self.skip_line();
        }
        if *indent == 0 {
            *indent = max_indent.max(self.indent + 1).max(1);
        }
        Ok(())
    }

    /// Skips a tag (`!`, `!!str`, `!<uri>`, `!handle!suffix`).
    pub(super) fn scan_tag(&mut self) {
        if self.ch(1) == '<' {
            while !is_blankz(self.ch(0)) && self.ch(0) != '>' {
                self.skip();
            }
            if self.ch(0) == '>' {
                self.skip();
            }
            return;
        }
        self.skip();
        let ends = |s: &Scanner| {
            let c = s.ch(0);
            is_blankz(c) || (s.flow_level > 0 && matches!(c, ',' | '[' | ']' | '{' | '}'))
        };
        while !ends(self) {
            self.skip();
        }
    }
}
