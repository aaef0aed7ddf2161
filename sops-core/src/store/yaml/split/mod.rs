//! Reading a large YAML document on several threads, split between top-level keys.
//!
//! A block mapping at the top of a document ends one entry and starts the next at a line that
//! begins in column 0 with a plain key (`name:` followed by a space or the end of the line),
//! whatever came before it: a block scalar's text is indented, and a plain scalar cannot go on
//! in column 0. So each run of top-level entries can be read as a document of its own, and the
//! entries put back together in order are the document. The few things that would reach across
//! such a line make a part fail on its own (an unclosed quote or bracket, an alias to an anchor
//! of another part), and then the whole text is read in one piece, which reports what is wrong
//! as before. To leave nothing to chance at the seams, a line is only used when the line before
//! it is content without a `#` (no comment has to be attributed across the seam), and a text
//! with document markers, directives or carriage returns is never split.

use super::load::Loader;
use crate::error::Error;
use crate::tree::{MapItem, Mapping};

/// Texts shorter than this are read in one piece: threads would cost more than they save.
const MIN_SPLIT_LEN: usize = 1 << 20;

/// The most parts a text is read in.
const MAX_PARTS: usize = 4;

/// Reads `text` as [`Loader::load`] does, in several parts on several threads when it is large.
pub(crate) fn load(text: &str, check_duplicates: bool) -> Result<Vec<Mapping>, Error> {
    let parts = crate::cores(MAX_PARTS);
    if parts > 1 && text.len() >= MIN_SPLIT_LEN {
        let points = split_points(text, parts);
        if let Some(branches) = load_parts(text, &points, check_duplicates) {
            return Ok(branches);
        }
    }
    Loader::new(text, check_duplicates).load()
}

/// Byte offsets where `text` can be cut into about `parts` parts of equal length (possibly
/// fewer, or none).
fn split_points(text: &str, parts: usize) -> Vec<usize> {
    if !splittable(text) {
        return Vec::new();
    }
    let mut points = Vec::new();
    for k in 1..parts {
        let target = text.len() * k / parts;
        let from = points.last().map_or(target, |&p: &usize| p.max(target));
        if let Some(at) = next_seam(text, from) {
            if points.last() != Some(&at) {
                points.push(at);
            }
        }
    }
    points
}

/// Whether nothing in `text` rules out splitting it: one document, no directives, `\n` lines.
fn splittable(text: &str) -> bool {
    !text.starts_with("---")
        && !text.starts_with('%')
        && !text.starts_with("...")
        && !text.contains("\n---")
        && !text.contains("\n...")
        && !text.contains('\r')
}

/// The start of the first line at or after `from` that begins a top-level entry and follows a
/// content line without `#`.
fn next_seam(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = from;
    loop {
        // The start of the next line.
        at += bytes.get(at..)?.iter().position(|&b| b == b'\n')? + 1;
        let line_end = bytes[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |n| at + n);
        if starts_entry(&bytes[at..line_end]) && clean_previous_line(bytes, at) {
            return Some(at);
        }
        if line_end >= bytes.len() {
            return None;
        }
    }
}

/// `name:` then a space or the end of the line, `name` of letters, digits and `_-./`, starting
/// with a letter, digit or `_`.
fn starts_entry(line: &[u8]) -> bool {
    let first_ok = line
        .first()
        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
    if !first_ok {
        return false;
    }
    let key_len = line
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/')))
        .unwrap_or(line.len());
    line.get(key_len) == Some(&b':') && matches!(line.get(key_len + 1), None | Some(b' '))
}

/// Whether the line ending just before `line_start` is content without `#`.
fn clean_previous_line(bytes: &[u8], line_start: usize) -> bool {
    let Some(end) = line_start.checked_sub(1) else {
        return false;
    };
    let start = bytes[..end]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |n| n + 1);
    let line = &bytes[start..end];
    line.iter().any(|b| !b.is_ascii_whitespace()) && !line.contains(&b'#')
}

/// Reads the parts of `text` cut at `points` on one thread each and joins their entries; `None`
/// when there is nothing to cut, or when any part is not one mapping on its own (the caller
/// then reads the text in one piece).
fn load_parts(text: &str, points: &[usize], check_duplicates: bool) -> Option<Vec<Mapping>> {
    if points.is_empty() {
        return None;
    }
    let mut bounds = vec![0];
    bounds.extend_from_slice(points);
    bounds.push(text.len());
    let parts: Vec<&str> = bounds.windows(2).map(|w| &text[w[0]..w[1]]).collect();
    let read = |part: &str| Loader::new(part, check_duplicates).load().ok();
    let results: Vec<Option<Vec<Mapping>>> = std::thread::scope(|scope| {
        let others: Vec<_> = parts[1..]
            .iter()
            .map(|part| scope.spawn(move || read(part)))
            .collect();
        let mut results = vec![read(parts[0])];
        results.extend(others.into_iter().map(|h| h.join().ok().flatten()));
        results
    });
    let mut root = Mapping::default();
    for branches in results {
        let [part] = <[Mapping; 1]>::try_from(branches?).ok()?;
        root.items.extend(part.items);
    }
    if check_duplicates && has_duplicate_key(&root) {
        return None;
    }
    Some(vec![root])
}

/// Whether two entries of `root` have the same key (each part checked only its own).
fn has_duplicate_key(root: &Mapping) -> bool {
    let mut seen = std::collections::HashSet::new();
    root.items.iter().any(|item| match item {
        MapItem::Pair(key, _) => !seen.insert(key.as_str()),
        MapItem::Comment(_) => false,
    })
}

#[cfg(test)]
mod tests;
