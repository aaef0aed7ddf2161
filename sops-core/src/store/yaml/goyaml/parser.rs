//! go-yaml v3's parser (`parserc.go`) as far as comments go: the state machine that turns
//! tokens into events and hands the queued comments to them (head, line and foot), with
//! go-yaml's additions: the document's head split at its last blank line, the "stem" comment
//! of a collection nested under `- `, and the events that take no comments.

use super::scanner::{Comment, GiveUp, Scan, Scanner, Text, Tok};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Ev {
    StreamStart,
    StreamEnd,
    DocumentStart,
    DocumentEnd,
    Alias,
    Scalar,
    SequenceStart,
    SequenceEnd,
    MappingStart,
    MappingEnd,
}

pub(super) struct Event {
    pub typ: Ev,
    /// An alias's name, or a node's anchor.
    pub anchor: String,
    pub head: Text,
    pub line: Text,
    pub foot: Text,
    /// A flow collection's start.
    pub flow: bool,
}

impl Event {
    pub(super) fn new(typ: Ev) -> Event {
        Event {
            typ,
            flow: false,
            anchor: String::new(),
            head: Text::default(),
            line: Text::default(),
            foot: Text::default(),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    StreamStart,
    ImplicitDocumentStart,
    DocumentStart,
    DocumentContent,
    DocumentEnd,
    BlockNode,
    BlockSequenceFirstEntry,
    BlockSequenceEntry,
    IndentlessSequenceEntry,
    BlockMappingFirstKey,
    BlockMappingKey,
    BlockMappingValue,
    FlowSequenceFirstEntry,
    FlowSequenceEntry,
    FlowSequenceEntryMappingKey,
    FlowSequenceEntryMappingValue,
    FlowSequenceEntryMappingEnd,
    FlowMappingFirstKey,
    FlowMappingKey,
    FlowMappingValue,
    FlowMappingEmptyValue,
    End,
}

pub(super) struct Parser {
    s: Scanner,
    pub(super) state: State,
    pub(super) states: Vec<State>,
    head: Text,
    line: Text,
    foot: Text,
    stem: Text,
}

fn join(into: &mut Text, text: &str) {
    if !into.is_empty() {
        into.push('\n');
    }
    into.push_str(text);
}

impl Parser {
    pub(super) fn new(src: &str) -> Parser {
        Parser {
            s: Scanner::new(src),
            state: State::StreamStart,
            states: Vec::new(),
            head: Text::default(),
            line: Text::default(),
            foot: Text::default(),
            stem: Text::default(),
        }
    }

    /// The next token's kind, after giving the parser the comments queued before it.
    pub(super) fn peek(&mut self) -> Scan<Tok> {
        let i = self.s.peek()?;
        let (typ, start) = (self.s.tokens[i].typ, self.s.tokens[i].start);
        while self.s.comments_head < self.s.comments.len()
            && start.index >= self.s.comments[self.s.comments_head].token_mark.index
        {
            let comment = &mut self.s.comments[self.s.comments_head];
            if !comment.head.is_empty() {
                if typ == Tok::BlockEnd {
                    break;
                }
                join(&mut self.head, &comment.head);
            }
            if !comment.foot.is_empty() {
                join(&mut self.foot, &comment.foot);
            }
            if !comment.line.is_empty() {
                join(&mut self.line, &comment.line);
            }
            *comment = Comment::default();
            self.s.comments_head += 1;
        }
        Ok(typ)
    }

    pub(super) fn skip(&mut self) {
        self.s.skip_token();
    }

    pub(super) fn pop(&mut self) -> Scan<()> {
        self.state = self.states.pop().ok_or(GiveUp)?;
        Ok(())
    }

    pub(super) fn with_comments(&mut self, mut event: Event) -> Event {
        event.head = std::mem::take(&mut self.head);
        event.line = std::mem::take(&mut self.line);
        event.foot = std::mem::take(&mut self.foot);
        self.stem.clear();
        event
    }

    pub(super) fn next(&mut self) -> Scan<Event> {
        match self.state {
            State::StreamStart => {
                if self.peek()? != Tok::StreamStart {
                    return Err(GiveUp);
                }
                self.state = State::ImplicitDocumentStart;
                self.skip();
                Ok(Event::new(Ev::StreamStart))
            }
            State::ImplicitDocumentStart => self.document_start(true),
            State::DocumentStart => self.document_start(false),
            State::DocumentContent => {
                let t = self.peek()?;
                if matches!(t, Tok::DocumentStart | Tok::DocumentEnd | Tok::StreamEnd) {
                    self.pop()?;
                    return Ok(Event::new(Ev::Scalar));
                }
                self.node(true, false)
            }
            State::DocumentEnd => {
                if self.peek()? == Tok::DocumentEnd {
                    self.skip();
                }
                self.state = State::DocumentStart;
                let mut event = self.with_comments(Event::new(Ev::DocumentEnd));
                if !event.head.is_empty() && event.foot.is_empty() {
                    event.foot = std::mem::take(&mut event.head);
                }
                Ok(event)
            }
            State::BlockNode => self.node(true, false),
            State::BlockSequenceFirstEntry => self.block_sequence_entry(true),
            State::BlockSequenceEntry => self.block_sequence_entry(false),
            State::IndentlessSequenceEntry => self.indentless_sequence_entry(),
            State::BlockMappingFirstKey => self.block_mapping_key(true),
            State::BlockMappingKey => self.block_mapping_key(false),
            State::BlockMappingValue => {
                if self.peek()? == Tok::Value {
                    self.skip();
                    if !matches!(self.peek()?, Tok::Key | Tok::Value | Tok::BlockEnd) {
                        self.states.push(State::BlockMappingKey);
                        return self.node(true, true);
                    }
                }
                self.state = State::BlockMappingKey;
                Ok(Event::new(Ev::Scalar))
            }
            State::FlowSequenceFirstEntry => self.flow_sequence_entry(true),
            State::FlowSequenceEntry => self.flow_sequence_entry(false),
            State::FlowSequenceEntryMappingKey
            | State::FlowSequenceEntryMappingValue
            | State::FlowSequenceEntryMappingEnd => self.flow_pair(),
            State::FlowMappingFirstKey => self.flow_mapping_key(true),
            State::FlowMappingKey => self.flow_mapping_key(false),
            State::FlowMappingValue => self.flow_mapping_value(false),
            State::FlowMappingEmptyValue => self.flow_mapping_value(true),
            State::End => Err(GiveUp),
        }
    }

    fn document_start(&mut self, implicit: bool) -> Scan<Event> {
        let mut t = self.peek()?;
        if !implicit {
            while t == Tok::DocumentEnd {
                self.skip();
                t = self.peek()?;
            }
        }
        if implicit && !matches!(t, Tok::DocumentStart | Tok::StreamEnd) {
            self.states.push(State::DocumentEnd);
            self.state = State::BlockNode;
            // The part of the head comment before its last blank line heads the document.
            let mut event = Event::new(Ev::DocumentStart);
            let bytes = self.head.as_bytes();
            for i in (1..bytes.len()).rev() {
                if bytes[i] == b'\n' {
                    if i == bytes.len() - 1 {
                        event.head = Text::new(self.head[..i].to_owned());
                        self.head = Text::default();
                        break;
                    } else if bytes[i - 1] == b'\n' {
                        event.head = Text::new(self.head[..i - 1].to_owned());
                        self.head = Text::new(self.head[i + 1..].to_owned());
                        break;
                    }
                }
            }
            Ok(event)
        } else if t != Tok::StreamEnd {
            if self.peek()? != Tok::DocumentStart {
                return Err(GiveUp);
            }
            self.states.push(State::DocumentEnd);
            self.state = State::DocumentContent;
            self.skip();
            Ok(Event::new(Ev::DocumentStart))
        } else {
            self.state = State::End;
            self.skip();
            Ok(Event::new(Ev::StreamEnd))
        }
    }

    pub(super) fn node(&mut self, block: bool, indentless: bool) -> Scan<Event> {
        let mut t = self.peek()?;
        let name = |p: &Parser| p.s.tokens[p.s.tokens_head].value.clone();
        if t == Tok::Alias {
            self.pop()?;
            let mut event = Event::new(Ev::Alias);
            event.anchor = name(self);
            let event = self.with_comments(event);
            self.skip();
            return Ok(event);
        }
        let mut anchor = String::new();
        let mut properties = false;
        if t == Tok::Anchor {
            anchor = name(self);
            properties = true;
            self.skip();
            t = self.peek()?;
            if t == Tok::Tag {
                self.skip();
                t = self.peek()?;
            }
        } else if t == Tok::Tag {
            properties = true;
            self.skip();
            t = self.peek()?;
            if t == Tok::Anchor {
                anchor = name(self);
                self.skip();
                t = self.peek()?;
            }
        }
        let mut event = match t {
            Tok::BlockEntry if indentless => {
                self.state = State::IndentlessSequenceEntry;
                Event::new(Ev::SequenceStart)
            }
            Tok::Scalar => {
                self.pop()?;
                let event = self.with_comments(Event::new(Ev::Scalar));
                self.skip();
                event
            }
            Tok::FlowSequenceStart => {
                self.state = State::FlowSequenceFirstEntry;
                let mut event = self.with_comments(Event::new(Ev::SequenceStart));
                event.flow = true;
                event
            }
            Tok::FlowMappingStart => {
                self.state = State::FlowMappingFirstKey;
                let mut event = self.with_comments(Event::new(Ev::MappingStart));
                event.flow = true;
                event
            }
            Tok::BlockSequenceStart | Tok::BlockMappingStart if block => {
                let (state, typ) = if t == Tok::BlockSequenceStart {
                    (State::BlockSequenceFirstEntry, Ev::SequenceStart)
                } else {
                    (State::BlockMappingFirstKey, Ev::MappingStart)
                };
                self.state = state;
                let mut event = Event::new(typ);
                event.head = std::mem::take(&mut self.stem);
                event
            }
            _ if properties => {
                self.pop()?;
                Event::new(Ev::Scalar)
            }
            _ => return Err(GiveUp),
        };
        event.anchor = anchor;
        Ok(event)
    }

    /// A head comment gathered before a `- ` that a nested collection follows heads that
    /// collection as a whole (go-yaml's stem comment).
    fn split_stem(&mut self, stem_len: usize) -> Scan<()> {
        if stem_len == 0 {
            return Ok(());
        }
        if !matches!(
            self.peek()?,
            Tok::BlockSequenceStart | Tok::BlockMappingStart
        ) {
            return Ok(());
        }
        self.stem = Text::new(self.head[..stem_len].to_owned());
        self.head = if self.head.len() == stem_len {
            Text::default()
        } else {
            Text::new(self.head[stem_len + 1..].to_owned())
        };
        Ok(())
    }

    fn block_sequence_entry(&mut self, first: bool) -> Scan<Event> {
        if first {
            self.peek()?;
            self.skip();
        }
        match self.peek()? {
            Tok::BlockEntry => {
                let prior = self.head.len();
                self.skip();
                self.split_stem(prior)?;
                if !matches!(self.peek()?, Tok::BlockEntry | Tok::BlockEnd) {
                    self.states.push(State::BlockSequenceEntry);
                    return self.node(true, false);
                }
                self.state = State::BlockSequenceEntry;
                Ok(Event::new(Ev::Scalar))
            }
            Tok::BlockEnd => {
                self.pop()?;
                self.skip();
                Ok(Event::new(Ev::SequenceEnd))
            }
            _ => Err(GiveUp),
        }
    }

    fn indentless_sequence_entry(&mut self) -> Scan<Event> {
        if self.peek()? == Tok::BlockEntry {
            let prior = self.head.len();
            self.skip();
            self.split_stem(prior)?;
            if !matches!(
                self.peek()?,
                Tok::BlockEntry | Tok::Key | Tok::Value | Tok::BlockEnd
            ) {
                self.states.push(State::IndentlessSequenceEntry);
                return self.node(true, false);
            }
            self.state = State::IndentlessSequenceEntry;
            return Ok(Event::new(Ev::Scalar));
        }
        self.pop()?;
        Ok(Event::new(Ev::SequenceEnd))
    }

    fn block_mapping_key(&mut self, first: bool) -> Scan<Event> {
        if first {
            self.peek()?;
            self.skip();
        }
        match self.peek()? {
            Tok::Key => {
                self.skip();
                if !matches!(self.peek()?, Tok::Key | Tok::Value | Tok::BlockEnd) {
                    self.states.push(State::BlockMappingValue);
                    return self.node(true, true);
                }
                self.state = State::BlockMappingValue;
                Ok(Event::new(Ev::Scalar))
            }
            Tok::BlockEnd => {
                self.pop()?;
                let event = self.with_comments(Event::new(Ev::MappingEnd));
                self.skip();
                Ok(event)
            }
            _ => Err(GiveUp),
        }
    }
}
