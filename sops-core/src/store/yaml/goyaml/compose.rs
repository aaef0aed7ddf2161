//! go-yaml v3's node composer (`decode.go`: the foot comments it moves between keys and
//! values) and sops's conversion of those nodes into its tree (`stores/yaml/store.go`:
//! `appendYamlNodeToTreeBranch`, `nodeToTreeValue`), which turns every head, line and foot
//! comment into a comment item at a fixed place among the entries.

use super::parser::{Ev, Event, Parser};
use super::scanner::{GiveUp, Scan, Text};
use crate::secret::SecretText;
use std::collections::HashMap;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Document,
    Sequence,
    Mapping,
    Scalar,
    Alias,
}

struct YNode {
    kind: Kind,
    head: Text,
    line: Text,
    foot: Text,
    content: Vec<usize>,
    alias: usize,
}

/// The comment layout of one collection: its comments and entries in sops's order.
pub(crate) enum Skel {
    /// A scalar.
    Leaf,
    /// A mapping's items (an entry per key, in order).
    Map(Vec<Part>),
    /// A sequence's items.
    Seq(Vec<Part>),
}

/// One item of a collection's layout.
pub(crate) enum Part {
    /// A comment line (the text after `#`).
    Comment(SecretText),
    /// The next entry, with the layout of its value.
    Entry(Skel),
}

/// The deepest nesting this reader follows (it recurses); deeper documents keep the store
/// reader's placement. Far above what configuration files nest.
const MAX_NESTING: usize = 200;

struct Composer {
    p: Parser,
    event: Option<Event>,
    nodes: Vec<YNode>,
    anchors: HashMap<String, usize>,
    depth: usize,
}

impl Composer {
    fn peek(&mut self) -> Scan<Ev> {
        if self.event.is_none() {
            self.event = Some(self.p.next()?);
        }
        Ok(self.event.as_ref().map_or(Ev::StreamEnd, |e| e.typ))
    }

    fn expect(&mut self, typ: Ev) -> Scan<Event> {
        self.peek()?;
        match self.event.take() {
            Some(e) if e.typ == typ => Ok(e),
            _ => Err(GiveUp),
        }
    }

    fn node(&mut self, kind: Kind) -> usize {
        let e = self.event.as_mut().expect("peeked");
        self.nodes.push(YNode {
            kind,
            head: std::mem::take(&mut e.head),
            line: std::mem::take(&mut e.line),
            foot: std::mem::take(&mut e.foot),
            content: Vec::new(),
            alias: 0,
        });
        self.nodes.len() - 1
    }

    fn anchor(&mut self, n: usize) {
        let name = &self.event.as_ref().expect("peeked").anchor;
        if !name.is_empty() {
            self.anchors.insert(name.clone(), n);
        }
    }

    /// The next node, `None` at the end of the stream.
    fn parse(&mut self) -> Scan<Option<usize>> {
        let n = match self.peek()? {
            Ev::Scalar => {
                let n = self.node(Kind::Scalar);
                self.anchor(n);
                self.expect(Ev::Scalar)?;
                n
            }
            Ev::Alias => {
                let n = self.node(Kind::Alias);
                let name = self.event.as_ref().expect("peeked").anchor.clone();
                self.nodes[n].alias = *self.anchors.get(&name).ok_or(GiveUp)?;
                self.expect(Ev::Alias)?;
                n
            }
            Ev::MappingStart => self.mapping()?,
            Ev::SequenceStart => self.sequence()?,
            Ev::DocumentStart => {
                let n = self.node(Kind::Document);
                self.expect(Ev::DocumentStart)?;
                let child = self.parse()?.ok_or(GiveUp)?;
                self.nodes[n].content.push(child);
                if self.peek()? == Ev::DocumentEnd {
                    let foot = std::mem::take(&mut self.event.as_mut().expect("peeked").foot);
                    self.nodes[n].foot = foot;
                }
                self.expect(Ev::DocumentEnd)?;
                n
            }
            Ev::StreamEnd => return Ok(None),
            _ => return Err(GiveUp),
        };
        Ok(Some(n))
    }

    fn child(&mut self, parent: usize) -> Scan<usize> {
        let child = self.parse()?.ok_or(GiveUp)?;
        self.nodes[parent].content.push(child);
        Ok(child)
    }

    fn end_comments(&mut self, n: usize) {
        let e = self.event.as_mut().expect("peeked");
        self.nodes[n].line = std::mem::take(&mut e.line);
        self.nodes[n].foot = std::mem::take(&mut e.foot);
    }

    fn sequence(&mut self) -> Scan<usize> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(GiveUp);
        }
        let n = self.node(Kind::Sequence);
        self.anchor(n);
        self.expect(Ev::SequenceStart)?;
        while self.peek()? != Ev::SequenceEnd {
            self.child(n)?;
        }
        self.end_comments(n);
        self.expect(Ev::SequenceEnd)?;
        self.depth -= 1;
        Ok(n)
    }

    fn mapping(&mut self) -> Scan<usize> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(GiveUp);
        }
        let n = self.node(Kind::Mapping);
        self.anchor(n);
        let block = !self.expect(Ev::MappingStart)?.flow;
        while self.peek()? != Ev::MappingEnd {
            let k = self.child(n)?;
            let len = self.nodes[n].content.len();
            if block && !self.nodes[k].foot.is_empty() && len > 2 {
                // A foot comment on a key is the foot of the pair before, being dedented.
                let prior = self.nodes[n].content[len - 3];
                self.nodes[prior].foot = std::mem::take(&mut self.nodes[k].foot);
            }
            let v = self.child(n)?;
            if self.nodes[k].foot.is_empty() && !self.nodes[v].foot.is_empty() {
                self.nodes[k].foot = std::mem::take(&mut self.nodes[v].foot);
            }
        }
        self.end_comments(n);
        let len = self.nodes[n].content.len();
        if block && !self.nodes[n].foot.is_empty() && len > 1 {
            let last_key = self.nodes[n].content[len - 2];
            self.nodes[last_key].foot = std::mem::take(&mut self.nodes[n].foot);
        }
        self.expect(Ev::MappingEnd)?;
        self.depth -= 1;
        Ok(n)
    }
}

/// sops's comment items for a comment text: a line each, blank lines dropped, `#` removed.
fn comments(text: &str, into: &mut Vec<Part>) {
    for line in text.split('\n').filter(|l| !l.is_empty()) {
        into.push(Part::Comment(SecretText::new(line.get(1..).unwrap_or(""))));
    }
}

struct Convert<'a> {
    nodes: &'a [YNode],
    depth: usize,
}

impl Convert<'_> {
    fn branch(&mut self, n: usize, into: &mut Vec<Part>, handled: bool) -> Scan<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(GiveUp);
        }
        let node = &self.nodes[n];
        if !handled {
            comments(&node.head, into);
            comments(&node.line, into);
        }
        match node.kind {
            Kind::Document => {
                for &item in &node.content {
                    self.branch(item, into, false)?;
                }
            }
            Kind::Sequence => return Err(GiveUp),
            Kind::Mapping => {
                for pair in node.content.chunks(2) {
                    let [k, v] = pair else { return Err(GiveUp) };
                    let (key, value) = (&self.nodes[*k], &self.nodes[*v]);
                    comments(&key.head, into);
                    comments(&key.line, into);
                    let handle = matches!(value.kind, Kind::Scalar | Kind::Alias);
                    if handle {
                        comments(&value.head, into);
                        comments(&value.line, into);
                    }
                    let skel = self.value(*v, handle)?;
                    into.push(Part::Entry(skel));
                    if handle {
                        comments(&self.nodes[*v].foot, into);
                    }
                    comments(&self.nodes[*k].foot, into);
                }
            }
            Kind::Scalar => {
                // An empty document (a null root): nothing more.
                self.depth -= 1;
                return Ok(());
            }
            Kind::Alias => self.branch(node.alias, into, false)?,
        }
        if !handled {
            comments(&self.nodes[n].foot, into);
        }
        self.depth -= 1;
        Ok(())
    }

    fn value(&mut self, n: usize, handled: bool) -> Scan<Skel> {
        let node = &self.nodes[n];
        Ok(match node.kind {
            Kind::Document => return Err(GiveUp),
            Kind::Sequence => {
                let mut items = Vec::new();
                if !handled {
                    comments(&node.head, &mut items);
                    comments(&node.line, &mut items);
                }
                for &item in &node.content {
                    let it = &self.nodes[item];
                    comments(&it.head, &mut items);
                    comments(&it.line, &mut items);
                    let skel = self.value(item, true)?;
                    items.push(Part::Entry(skel));
                    comments(&self.nodes[item].foot, &mut items);
                }
                if !handled {
                    comments(&self.nodes[n].foot, &mut items);
                }
                Skel::Seq(items)
            }
            Kind::Mapping => {
                let mut items = Vec::new();
                self.branch(n, &mut items, handled)?;
                Skel::Map(items)
            }
            Kind::Scalar => Skel::Leaf,
            Kind::Alias => {
                self.depth += 1;
                if self.depth > MAX_NESTING {
                    return Err(GiveUp);
                }
                let skel = self.value(node.alias, false)?;
                self.depth -= 1;
                skel
            }
        })
    }
}

/// The layout sops gives each document of `src` (its root mapping's items), or `None` where
/// the reduced go-yaml reader gives up.
pub(crate) fn layout(src: &str) -> Option<Vec<Vec<Part>>> {
    let mut c = Composer {
        p: Parser::new(src),
        event: None,
        nodes: Vec::new(),
        anchors: HashMap::new(),
        depth: 0,
    };
    c.expect(Ev::StreamStart).ok()?;
    let mut docs = Vec::new();
    while let Some(doc) = c.parse().ok()? {
        docs.push(doc);
    }
    let mut convert = Convert {
        nodes: &c.nodes,
        depth: 0,
    };
    let mut out = Vec::new();
    for doc in docs {
        let mut items = Vec::new();
        convert.branch(doc, &mut items, false).ok()?;
        out.push(items);
    }
    Some(out)
}
