//! A creation rule's `path_regex` as `.gitattributes` patterns, where it has a glob form.
//!
//! `path_regex` is matched (unanchored, like any regex search) against the file's path
//! relative to the directory of `.sops.yaml`, so the patterns are meant for a `.gitattributes`
//! in that same directory. The translation understands the regexes creation rules are usually
//! made of: `^` and `$`, literal text and escaped punctuation (`\.`), `.*` and `.+` (any text,
//! across directories), `[^/]*` and `[^/]+` (within one name), `[^/]`, simple classes such as
//! `[a-z0-9]`, groups with alternatives (`(dev|prod)`, `(?:yaml|yml)`) and `?` after a
//! character or group. They become gitattributes' `*`, `**/`, `/**`, `?` and `[…]`, with one
//! pattern per alternative. `.+` is taken as `.*` and a lone `.` as `?` (neither glob matches
//! `/` there); such a translation is reported as approximate. Anything else (`\d`, `{n}`,
//! flags, backreferences, `*` after a literal) has no glob form and is reported so.

/// The patterns for `regex`, and whether they only approximate it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Globs {
    pub(crate) patterns: Vec<String>,
    pub(crate) approximate: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Start,
    End,
    Lit(char),
    /// `.*`: any text, `/` included.
    AnyAll,
    /// `[^/]*`: any text within one name.
    AnySeg,
    /// `.`: one character (taken as one that is not `/`).
    One,
    /// `[^/]`.
    OneSeg,
    /// A simple `[…]` class, as written.
    Class(String),
}

/// At most this many patterns from one regex (alternatives multiply).
const MAX_PATTERNS: usize = 16;

/// Translates `regex`, or says why it has no glob form.
pub(crate) fn globs_for(regex: &str) -> Result<Globs, String> {
    let chars: Vec<char> = regex.chars().collect();
    let mut pos = 0;
    let mut approximate = false;
    let alternatives = parse_alternation(&chars, &mut pos, &mut approximate)?;
    if pos != chars.len() {
        return Err(format!("unbalanced `)` at {pos}"));
    }
    let mut patterns = Vec::new();
    for alt in alternatives {
        for p in to_globs(alt)? {
            if !patterns.contains(&p) {
                patterns.push(p);
            }
        }
    }
    Ok(Globs {
        patterns,
        approximate,
    })
}

fn parse_alternation(
    chars: &[char],
    pos: &mut usize,
    approximate: &mut bool,
) -> Result<Vec<Vec<Tok>>, String> {
    let mut out = Vec::new();
    loop {
        out.extend(parse_sequence(chars, pos, approximate)?);
        if out.len() > MAX_PATTERNS {
            return Err("too many alternatives".into());
        }
        if chars.get(*pos) == Some(&'|') {
            *pos += 1;
        } else {
            return Ok(out);
        }
    }
}

/// One alternative, expanded: every combination of the groups and `?`s in it.
fn parse_sequence(
    chars: &[char],
    pos: &mut usize,
    approximate: &mut bool,
) -> Result<Vec<Vec<Tok>>, String> {
    let mut seqs: Vec<Vec<Tok>> = vec![Vec::new()];
    while let Some(&c) = chars.get(*pos) {
        if c == '|' || c == ')' {
            break;
        }
        *pos += 1;
        let atom: Vec<Vec<Tok>> = match c {
            '^' => vec![vec![Tok::Start]],
            '$' => vec![vec![Tok::End]],
            '\\' => {
                let e = *chars.get(*pos).ok_or("a trailing `\\`")?;
                *pos += 1;
                if e.is_ascii_alphanumeric() {
                    return Err(format!("`\\{e}`"));
                }
                vec![vec![Tok::Lit(e)]]
            }
            '(' => {
                if chars.get(*pos) == Some(&'?') {
                    if chars.get(*pos + 1) != Some(&':') {
                        return Err("a `(?` group with flags".into());
                    }
                    *pos += 2;
                }
                let inner = parse_alternation(chars, pos, approximate)?;
                if chars.get(*pos) != Some(&')') {
                    return Err("an unclosed `(`".into());
                }
                *pos += 1;
                inner
            }
            '[' => {
                let end = chars[*pos..]
                    .iter()
                    .position(|&x| x == ']')
                    .ok_or("an unclosed `[`")?;
                let body: String = chars[*pos..*pos + end].iter().collect();
                *pos += end + 1;
                if body == "^/" {
                    vec![vec![Tok::OneSeg]]
                } else if !body.is_empty()
                    && !body.starts_with('^')
                    && body
                        .chars()
                        .all(|x| x.is_ascii_alphanumeric() || x == '-' || x == '_' || x == '.')
                {
                    vec![vec![Tok::Class(format!("[{body}]"))]]
                } else {
                    return Err(format!("the class `[{body}]`"));
                }
            }
            '.' => vec![vec![Tok::One]],
            '*' | '+' | '{' | '}' => {
                return Err(format!("`{c}` after something other than `.` or `[^/]`"))
            }
            c => vec![vec![Tok::Lit(c)]],
        };
        // Quantifiers.
        let atom = match chars.get(*pos) {
            Some(q @ ('*' | '+')) => {
                *pos += 1;
                let many = match atom.as_slice() {
                    [single] if single.as_slice() == [Tok::One] => Tok::AnyAll,
                    [single] if single.as_slice() == [Tok::OneSeg] => Tok::AnySeg,
                    _ => return Err(format!("`{q}` after something other than `.` or `[^/]`")),
                };
                if *q == '+' {
                    *approximate = true;
                }
                vec![vec![many]]
            }
            Some('?') => {
                *pos += 1;
                let mut with_empty = atom;
                with_empty.push(Vec::new());
                with_empty
            }
            _ => atom,
        };
        if atom.iter().flatten().any(|t| *t == Tok::One) {
            *approximate = true;
        }
        let mut next = Vec::new();
        for s in &seqs {
            for a in &atom {
                let mut joined = s.clone();
                joined.extend(a.iter().cloned());
                next.push(joined);
            }
        }
        if next.len() > MAX_PATTERNS {
            return Err("too many alternatives".into());
        }
        seqs = next;
    }
    Ok(seqs)
}

/// The gitattributes patterns of one alternative (no `|` left in it).
fn to_globs(mut toks: Vec<Tok>) -> Result<Vec<String>, String> {
    let anchored = toks.first() == Some(&Tok::Start);
    if anchored {
        toks.remove(0);
    } else {
        toks.insert(0, Tok::AnyAll);
    }
    if toks.last() == Some(&Tok::End) {
        toks.pop();
    } else {
        toks.push(Tok::AnyAll);
    }
    if toks.iter().any(|t| matches!(t, Tok::Start | Tok::End)) {
        return Err("`^` or `$` in the middle".into());
    }
    // `.*` next to `.*` or `[^/]*` is one `.*`.
    let mut merged: Vec<Tok> = Vec::new();
    for t in toks {
        match (merged.last(), &t) {
            (Some(Tok::AnyAll), Tok::AnyAll | Tok::AnySeg) => {}
            (Some(Tok::AnySeg), Tok::AnyAll) => {
                merged.pop();
                merged.push(Tok::AnyAll);
            }
            _ => merged.push(t),
        }
    }
    let mut outs: Vec<String> = vec![String::new()];
    let last = merged.len().saturating_sub(1);
    for (i, t) in merged.iter().enumerate() {
        let add: Vec<&str> = match t {
            Tok::Lit(c) if c.is_whitespace() => return Err("whitespace".into()),
            Tok::Lit(c) if *c == '/' && outs.iter().any(|o| o.ends_with('/')) => {
                return Err("an empty path segment".into())
            }
            Tok::Lit(c) => {
                let escaped = if "*?[]\\!#\"".contains(*c) {
                    format!("\\{c}")
                } else {
                    c.to_string()
                };
                outs.iter_mut().for_each(|o| o.push_str(&escaped));
                continue;
            }
            Tok::Class(class) => {
                outs.iter_mut().for_each(|o| o.push_str(class));
                continue;
            }
            Tok::One | Tok::OneSeg => vec!["?"],
            Tok::AnySeg => vec!["*"],
            Tok::AnyAll => {
                let after_slash = i == 0 || merged[i - 1] == Tok::Lit('/');
                let rest = &merged[i + 1..];
                let rest_in_name = !rest
                    .iter()
                    .any(|t| matches!(t, Tok::Lit('/') | Tok::AnyAll));
                match (after_slash, i == last) {
                    (true, true) => vec!["**"],
                    // A pattern without `/` matches the name in any directory.
                    (true, false) if i == 0 && rest_in_name => vec!["*"],
                    (true, false) => vec!["**/*"],
                    (false, true) => vec!["*", "*/**"],
                    (false, false) => vec!["*", "*/**/*"],
                }
            }
            Tok::Start | Tok::End => unreachable!("removed above"),
        };
        outs = outs
            .iter()
            .flat_map(|o| add.iter().map(move |a| format!("{o}{a}")))
            .collect();
    }
    Ok(outs
        .into_iter()
        .map(|o| {
            if anchored && !o.starts_with('/') {
                format!("/{o}")
            } else {
                o
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globs(re: &str) -> Vec<String> {
        globs_for(re).expect(re).patterns
    }

    #[test]
    fn common_creation_rules() {
        assert_eq!(globs(r"\.enc\.yaml$"), ["*.enc.yaml"]);
        assert_eq!(globs(r"^secrets/.*\.yaml$"), ["/secrets/**/*.yaml"]);
        assert_eq!(globs(r"secrets/.*"), ["**/*secrets/**"]);
        assert_eq!(globs(r"^secrets/"), ["/secrets/**"]);
        assert_eq!(globs(r".*\.ya?ml$"), ["*.yaml", "*.yml"]);
        assert_eq!(
            globs(r"^(dev|prod)/secrets\.env$"),
            ["/dev/secrets.env", "/prod/secrets.env"]
        );
        assert_eq!(globs(r"^config/[^/]+\.json$"), ["/config/*.json"]);
        assert_eq!(globs(r"^a/b[0-9]\.ini$"), ["/a/b[0-9].ini"]);
        assert_eq!(globs(r"^x\.json$|\.env$"), ["/x.json", "*.env"]);
        assert_eq!(globs(r"^.*$"), ["/**"]);
        assert!(globs_for(r"^config/[^/]+\.json$").unwrap().approximate);
        assert!(!globs_for(r"^secrets/.*\.yaml$").unwrap().approximate);
    }

    #[test]
    fn no_glob_form() {
        for re in [
            r"\d+\.yaml$",
            r"^a{2}",
            r"(?i)secret",
            r"^a*b",
            r"[^a]\.yaml",
            "^a b",
        ] {
            assert!(globs_for(re).is_err(), "{re}");
        }
    }

    #[test]
    fn globs_agree_with_the_regex_on_sample_paths() {
        // Each pattern, checked by a tiny gitattributes matcher, against the regex.
        let paths = [
            "secrets/a.yaml",
            "secrets/x/b.yaml",
            "app/secrets/c.yaml",
            "mysecrets/d.yaml",
            "e.enc.yaml",
            "deep/f.enc.yaml",
            "g.yaml",
            "secrets.yaml",
        ];
        for re in [
            r"\.enc\.yaml$",
            r"^secrets/.*\.yaml$",
            r"secrets/",
            r"\.yaml$",
        ] {
            let regex = regex::Regex::new(re).unwrap();
            let patterns = globs(re);
            for p in paths {
                let by_glob = patterns.iter().any(|g| wildmatch(g, p));
                assert_eq!(by_glob, regex.is_match(p), "{re} / {patterns:?} / {p}");
            }
        }
    }

    /// gitattributes matching for the patterns above: no slash matches the name; else the
    /// whole path, `**/` any directories, `/**` anything below, `*` within a name.
    fn wildmatch(pattern: &str, path: &str) -> bool {
        if !pattern.contains('/') {
            let name = path.rsplit('/').next().unwrap_or(path);
            return segment(pattern, name);
        }
        let pattern = pattern.trim_start_matches('/');
        let p: Vec<&str> = pattern.split('/').collect();
        let s: Vec<&str> = path.split('/').collect();
        parts(&p, &s)
    }

    fn parts(p: &[&str], s: &[&str]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some(&"**") if p.len() == 1 => !s.is_empty(),
            Some(&"**") => (0..=s.len()).any(|i| parts(&p[1..], &s[i..])),
            Some(first) => !s.is_empty() && segment(first, s[0]) && parts(&p[1..], &s[1..]),
        }
    }

    fn segment(p: &str, s: &str) -> bool {
        let (p, s): (Vec<char>, Vec<char>) = (p.chars().collect(), s.chars().collect());
        fn go(p: &[char], s: &[char]) -> bool {
            match p.first() {
                None => s.is_empty(),
                Some('*') => (0..=s.len()).any(|i| go(&p[1..], &s[i..])),
                Some('?') => !s.is_empty() && go(&p[1..], &s[1..]),
                Some(c) => s.first() == Some(c) && go(&p[1..], &s[1..]),
            }
        }
        go(&p, &s)
    }
}
