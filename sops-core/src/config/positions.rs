//! Where each node of a config document starts, for go-yaml's `line N:` in type errors.
//!
//! The store's YAML loader gives the config's values (aliases expanded, scalars typed) but no
//! positions; this second, cheap pass over `saphyr-parser`'s events records, for every node of
//! the first document, its line and, for scalars, its text as written (go-yaml quotes `0x10`,
//! not `16`). It runs only when a type error is to be reported.

use saphyr_parser::{Event, Parser};
use std::collections::HashMap;

/// One step from a node to a child: a mapping key or a sequence position.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum Step {
    /// The value under a mapping key.
    Key(String),
    /// The n-th value of a sequence (comments not counted).
    Index(usize),
}

/// The line (1-based) and written text of a node.
#[derive(Clone, Debug, Default)]
pub(super) struct Position {
    pub(super) line: usize,
    pub(super) text: Option<String>,
}

enum Frame {
    Map { key: Option<String> },
    Seq { next: usize },
}

/// Node positions by path from the document root.
#[derive(Default)]
pub(super) struct Positions {
    by_path: HashMap<Vec<Step>, Position>,
}

impl Positions {
    /// Indexes the first document of `source`; a document that does not parse gives what was
    /// read before the error.
    pub(super) fn index(source: &str) -> Self {
        let mut positions = Positions::default();
        let mut parser = Parser::new_from_str(source);
        let mut frames: Vec<Frame> = Vec::new();
        let mut path: Vec<Step> = Vec::new();
        while let Some(Ok((event, span))) = parser.next_event() {
            let line = span.start.line();
            match event {
                Event::DocumentEnd | Event::StreamEnd => break,
                Event::Scalar(text, ..) => {
                    if let Some(Frame::Map { key: key @ None }) = frames.last_mut() {
                        *key = Some(text.into_owned());
                        continue;
                    }
                    positions.enter(&mut frames, &mut path, line, Some(text.into_owned()));
                    if !frames.is_empty() {
                        path.pop();
                    }
                }
                Event::Alias(_) => {
                    positions.enter(&mut frames, &mut path, line, None);
                    if !frames.is_empty() {
                        path.pop();
                    }
                }
                Event::MappingStart(..) => {
                    positions.enter(&mut frames, &mut path, line, None);
                    frames.push(Frame::Map { key: None });
                }
                Event::SequenceStart(..) => {
                    positions.enter(&mut frames, &mut path, line, None);
                    frames.push(Frame::Seq { next: 0 });
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    frames.pop();
                    if !frames.is_empty() {
                        path.pop();
                    }
                }
                _ => {}
            }
        }
        positions
    }

    /// Records a node that starts at `line` and pushes its step onto `path` (the root has no
    /// step).
    fn enter(
        &mut self,
        frames: &mut [Frame],
        path: &mut Vec<Step>,
        line: usize,
        text: Option<String>,
    ) {
        match frames.last_mut() {
            Some(Frame::Map { key }) => path.push(Step::Key(key.take().unwrap_or_default())),
            Some(Frame::Seq { next }) => {
                path.push(Step::Index(*next));
                *next += 1;
            }
            None => {}
        }
        self.by_path.insert(path.clone(), Position { line, text });
    }

    /// The position of the node at `path`, or else of its nearest recorded ancestor (a node
    /// inside an expanded alias has none of its own), without text.
    pub(super) fn at(&self, path: &[Step]) -> Position {
        if let Some(found) = self.by_path.get(path) {
            return found.clone();
        }
        (0..path.len())
            .rev()
            .find_map(|len| self.by_path.get(&path[..len]))
            .map(|p| Position {
                line: p.line,
                text: None,
            })
            .unwrap_or_default()
    }
}
