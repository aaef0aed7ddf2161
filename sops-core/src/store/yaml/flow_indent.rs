//! go-yaml's leniency about the lines of a flow collection in block context.
//!
//! YAML wants every line of a flow collection (`{`, `[` … `}`, `]`) that stands in a block
//! mapping or sequence indented deeper than that block; go-yaml does not check, and sops
//! writes such files itself: a flow mapping holding only a comment comes out as
//! `k: {\n    #ENC[…]\n}`, its `}` at column 0. saphyr refuses them ("invalid indentation").
//! [`indent_flow_lines`] indents those lines just enough, which changes no value (leading
//! white space of a line inside a flow collection is never content), so the loader can read
//! what sops wrote. It runs only after the parser refused a file.

/// `src` with every line that continues a flow collection indented deeper than the line the
/// collection started on, or `None` if no line needed it.
pub(crate) fn indent_flow_lines(src: &str) -> Option<String> {
    let mut out = String::with_capacity(src.len() + 64);
    let mut state = State::default();
    let mut changed = false;
    for line in src.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let blank = line.trim().is_empty();
        if let Some(parent) = state.block_scalar {
            if blank || indent > parent {
                out.push_str(line);
                continue;
            }
            state.block_scalar = None;
        }
        if (state.depth > 0 || state.quote.is_some()) && !blank && indent <= state.base {
            out.extend(std::iter::repeat_n(' ', state.base + 1 - indent));
            changed = true;
        }
        out.push_str(line);
        state.scan_line(line, indent);
    }
    changed.then_some(out)
}

#[derive(Default)]
struct State {
    /// Open flow brackets.
    depth: usize,
    /// The open quote of a quoted scalar that goes on over lines.
    quote: Option<char>,
    /// Indentation of the line the outermost open flow collection started on.
    base: usize,
    /// Lines more indented than this belong to a block scalar.
    block_scalar: Option<usize>,
}

impl State {
    fn scan_line(&mut self, line: &str, indent: usize) {
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if let Some(q) = self.quote {
                if q == '"' && c == '\\' {
                    i += 2;
                    continue;
                }
                if c == q {
                    if q == '\'' && chars.get(i + 1) == Some(&'\'') {
                        i += 2;
                        continue;
                    }
                    self.quote = None;
                }
                i += 1;
                continue;
            }
            let prev = if i == 0 { ' ' } else { chars[i - 1] };
            let at_token = prev.is_whitespace() || (self.depth > 0 && "[{,:".contains(prev));
            match c {
                '#' if prev.is_whitespace() => return,
                '"' | '\'' if at_token && (self.depth > 0 || value_start(&chars[..i])) => {
                    self.quote = Some(c);
                }
                '[' | '{' if self.depth > 0 => self.depth += 1,
                '[' | '{' if at_token && value_start(&chars[..i]) => {
                    self.depth = 1;
                    self.base = indent;
                }
                ']' | '}' if self.depth > 0 => self.depth -= 1,
                '|' | '>' if self.depth == 0 && at_token && value_start(&chars[..i]) => {
                    self.block_scalar = Some(indent);
                    return;
                }
                _ => {}
            }
            i += 1;
        }
    }
}

/// Whether a block-context value may start after `before` (the start of the line): nothing
/// yet, or after `key:`, `-`, `?`, an anchor or a tag.
fn value_start(before: &[char]) -> bool {
    let text: String = before.iter().collect();
    let trimmed = text.trim_end();
    if trimmed.is_empty() {
        return true;
    }
    if trimmed.ends_with(':') || trimmed.ends_with('-') || trimmed.ends_with('?') {
        return true;
    }
    let last = trimmed.rsplit(' ').next().unwrap_or(trimmed);
    last.starts_with('&') || last.starts_with('!')
}

#[cfg(test)]
mod tests {
    use super::indent_flow_lines;

    #[test]
    fn a_closing_brace_at_column_zero_is_indented() {
        assert_eq!(
            indent_flow_lines("k: {\n    #c\n}\nz: 1\n").as_deref(),
            Some("k: {\n    #c\n }\nz: 1\n")
        );
        assert_eq!(
            indent_flow_lines("a:\n  k: [1,\n  2]\n").as_deref(),
            Some("a:\n  k: [1,\n   2]\n")
        );
    }

    #[test]
    fn other_text_is_left_alone() {
        for src in [
            "k: {a: 1}\nz: [1, 2]\n",
            "k: {\n  a: 1\n  }\n",
            "k: |\n  {\n}\n",
            "k: 'it''s {'\nz: \"[\"\n",
            "k: x # {\n}\n",
            "k: a{b\n",
        ] {
            assert_eq!(indent_flow_lines(src), None, "{src:?}");
        }
    }
}
