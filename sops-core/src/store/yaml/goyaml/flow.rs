//! go-yaml v3's parser states for flow collections (`[a, b]`, `{k: v}`, and the single-pair
//! mappings inside flow sequences): only their end events take comments.

use super::parser::{Ev, Event, Parser, State};
use super::scanner::{GiveUp, Scan, Tok};

impl Parser {
    /// The states of a single-pair mapping inside a flow sequence (`[k: v]`).
    pub(super) fn flow_pair(&mut self) -> Scan<Event> {
        match self.state {
            State::FlowSequenceEntryMappingKey => {
                if !matches!(
                    self.peek()?,
                    Tok::Value | Tok::FlowEntry | Tok::FlowSequenceEnd
                ) {
                    self.states.push(State::FlowSequenceEntryMappingValue);
                    return self.node(false, false);
                }
                self.skip();
                self.state = State::FlowSequenceEntryMappingValue;
                Ok(Event::new(Ev::Scalar))
            }
            State::FlowSequenceEntryMappingValue => {
                if self.peek()? == Tok::Value {
                    self.skip();
                    if !matches!(self.peek()?, Tok::FlowEntry | Tok::FlowSequenceEnd) {
                        self.states.push(State::FlowSequenceEntryMappingEnd);
                        return self.node(false, false);
                    }
                }
                self.state = State::FlowSequenceEntryMappingEnd;
                Ok(Event::new(Ev::Scalar))
            }
            State::FlowSequenceEntryMappingEnd => {
                self.peek()?;
                self.state = State::FlowSequenceEntry;
                Ok(Event::new(Ev::MappingEnd))
            }
            _ => Err(GiveUp),
        }
    }

    pub(super) fn flow_sequence_entry(&mut self, first: bool) -> Scan<Event> {
        if first {
            self.peek()?;
            self.skip();
        }
        let mut t = self.peek()?;
        if t != Tok::FlowSequenceEnd {
            if !first {
                if t != Tok::FlowEntry {
                    return Err(GiveUp);
                }
                self.skip();
                t = self.peek()?;
            }
            if t == Tok::Key {
                self.state = State::FlowSequenceEntryMappingKey;
                self.skip();
                let mut event = Event::new(Ev::MappingStart);
                event.flow = true;
                return Ok(event);
            } else if t != Tok::FlowSequenceEnd {
                self.states.push(State::FlowSequenceEntry);
                return self.node(false, false);
            }
        }
        self.pop()?;
        let event = self.with_comments(Event::new(Ev::SequenceEnd));
        self.skip();
        Ok(event)
    }

    pub(super) fn flow_mapping_key(&mut self, first: bool) -> Scan<Event> {
        if first {
            self.peek()?;
            self.skip();
        }
        let mut t = self.peek()?;
        if t != Tok::FlowMappingEnd {
            if !first {
                if t != Tok::FlowEntry {
                    return Err(GiveUp);
                }
                self.skip();
                t = self.peek()?;
            }
            if t == Tok::Key {
                self.skip();
                if !matches!(
                    self.peek()?,
                    Tok::Value | Tok::FlowEntry | Tok::FlowMappingEnd
                ) {
                    self.states.push(State::FlowMappingValue);
                    return self.node(false, false);
                }
                self.state = State::FlowMappingValue;
                return Ok(Event::new(Ev::Scalar));
            } else if t != Tok::FlowMappingEnd {
                self.states.push(State::FlowMappingEmptyValue);
                return self.node(false, false);
            }
        }
        self.pop()?;
        let event = self.with_comments(Event::new(Ev::MappingEnd));
        self.skip();
        Ok(event)
    }

    pub(super) fn flow_mapping_value(&mut self, empty: bool) -> Scan<Event> {
        let t = self.peek()?;
        if empty {
            self.state = State::FlowMappingKey;
            return Ok(Event::new(Ev::Scalar));
        }
        if t == Tok::Value {
            self.skip();
            if !matches!(self.peek()?, Tok::FlowEntry | Tok::FlowMappingEnd) {
                self.states.push(State::FlowMappingKey);
                return self.node(false, false);
            }
        }
        self.state = State::FlowMappingKey;
        Ok(Event::new(Ev::Scalar))
    }
}
