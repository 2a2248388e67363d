//! From received bytes to events: heads, content, ends, switches, the peer's EOF.
//!
//! Which message is read next follows from the state table alone: a server reads a request
//! only when the request half is Idle (so a pipelined request waits until the previous
//! response is complete), a client reads a response only while one is expected.

use http::{HeaderMap, StatusCode, response};

use super::{Connection, Role};
use crate::chunked::{self, Chunk, Decoded};
use crate::error::Violation;
use crate::event::{Event, Upgrade};
use crate::framing::{self, Framing, Switch};
use crate::parse;
use crate::state::{Body, ClientState, Pending, ServerState};

impl Connection {
    /// The next event from the input, or `None` if the input holds no more for now.
    pub(super) fn next_event(&mut self) -> Result<Option<Event>, Violation> {
        match self.role {
            Role::Server => match &self.st.client {
                ClientState::Idle => self.read_request(),
                ClientState::SendBody(_) => self.read_body(),
                // The next request waits until this exchange is over (h11's model).
                ClientState::Done | ClientState::MightSwitch(_) => self.paused(),
                // RFC 9112 §9.6: nothing after a request that said close is processed.
                ClientState::MustClose => {
                    self.rx.clear();
                    Ok(self.eof_at_boundary())
                }
                ClientState::Closed | ClientState::Switched | ClientState::Error => Ok(None),
            },
            Role::Client => match &self.st.server {
                ServerState::Idle | ServerState::Done => {
                    if self.rx.is_empty() {
                        Ok(self.eof_at_boundary())
                    } else {
                        Err(Violation::UnexpectedResponse)
                    }
                }
                ServerState::SendResponse(pending) => {
                    let pending = pending.clone();
                    self.read_response(&pending)
                }
                ServerState::SendBody(_) => self.read_body(),
                ServerState::MustClose => {
                    self.rx.clear();
                    Ok(self.eof_at_boundary())
                }
                ServerState::Closed | ServerState::Switched | ServerState::Error => Ok(None),
            },
        }
    }

    /// Input while the peer's next message must wait: bounded, and an EOF is reported.
    fn paused(&mut self) -> Result<Option<Event>, Violation> {
        if self.rx.len() > self.limits.max_buffered_input {
            return Err(Violation::InputOverflow);
        }
        if self.rx.is_empty() {
            return Ok(self.eof_at_boundary());
        }
        Ok(None)
    }

    /// At a message boundary with nothing buffered: the peer's EOF, if it came, closes
    /// its half (reported once).
    fn eof_at_boundary(&mut self) -> Option<Event> {
        if !self.eof {
            return None;
        }
        let peer_is_client = self.role == Role::Server;
        let peer_open = if peer_is_client {
            self.st.client != ClientState::Closed
        } else {
            self.st.server != ServerState::Closed
        };
        if !peer_open {
            return None;
        }
        self.st.peer_closed(peer_is_client);
        Some(Event::Closed)
    }

    /// Whether parsing a head again could succeed: only if a line ended since the last
    /// try. Otherwise checks the limits of what is buffered.
    fn head_may_be_complete(&self, is_request: bool) -> Result<bool, Violation> {
        let new = self.rx.get(self.rx_scanned..).unwrap_or_default();
        if self.rx_scanned == 0 || new.contains(&b'\n') {
            return Ok(true);
        }
        parse::partial(&self.rx, &self.limits, is_request)?;
        Ok(false)
    }

    /// A head is incomplete: fine unless the transport ended.
    fn incomplete_head(&mut self) -> Result<Option<Event>, Violation> {
        self.rx_scanned = self.rx.len();
        if self.eof {
            // Empty lines before a message are not a message (RFC 9112 §2.2).
            if self.rx.iter().all(|&b| b == b'\r' || b == b'\n') {
                self.rx.clear();
                return Ok(self.eof_at_boundary());
            }
            return Err(Violation::IncompleteMessage);
        }
        Ok(None)
    }

    fn read_request(&mut self) -> Result<Option<Event>, Violation> {
        if self.rx.is_empty() {
            return Ok(self.eof_at_boundary());
        }
        if !self.head_may_be_complete(true)? {
            return self.incomplete_head();
        }
        let Some((head, seen)) = parse::request(&mut self.rx, &self.limits, &mut self.scratch)?
        else {
            return self.incomplete_head();
        };
        self.rx_scanned = 0;
        let meta = framing::request_meta(&head, seen, &self.limits)?;
        let pending = Pending {
            method: head.method.clone(),
            version: head.version,
            switch: meta.switch,
            expect_continue: meta.expect_continue,
        };
        let body = Body::new(meta.framing, self.limits.max_chunk_extensions);
        self.st.request(body, pending, meta.keep_alive);
        if meta.framing == Framing::Empty {
            self.st.request_end();
            self.events.push_back(Event::End(HeaderMap::new()));
        }
        Ok(Some(Event::Request(head)))
    }

    fn read_response(&mut self, pending: &Pending) -> Result<Option<Event>, Violation> {
        if self.rx.is_empty() {
            // The server closed before answering.
            return if self.eof {
                Err(Violation::IncompleteMessage)
            } else {
                Ok(None)
            };
        }
        if !self.head_may_be_complete(false)? {
            return self.incomplete_head();
        }
        let Some(head) = parse::response(&mut self.rx, &self.limits, &mut self.scratch)? else {
            return self.incomplete_head();
        };
        self.rx_scanned = 0;
        if head.status.is_informational() {
            if head.status == StatusCode::SWITCHING_PROTOCOLS {
                if !self.st.may_switch(Switch::Upgrade) {
                    return Err(Violation::UnexpectedSwitch);
                }
                return Ok(Some(self.switch(Switch::Upgrade, head)));
            }
            self.st.informational();
            return Ok(Some(Event::Informational(head)));
        }
        let Some(framing) = framing::response_framing(&pending.method, &head)? else {
            // A 2xx to CONNECT: a tunnel.
            if !self.st.may_switch(Switch::Connect) {
                return Err(Violation::UnexpectedSwitch);
            }
            return Ok(Some(self.switch(Switch::Connect, head)));
        };
        let body = Body::new(framing, self.limits.max_chunk_extensions);
        self.st.response(body, framing::response_keep_alive(&head));
        if framing == Framing::Empty {
            self.st.response_end();
            self.events.push_back(Event::End(HeaderMap::new()));
        }
        Ok(Some(Event::Response(head)))
    }

    /// The connection leaves HTTP/1.1; what is buffered belongs to the next protocol.
    pub(super) fn switch(&mut self, switch: Switch, response: response::Parts) -> Event {
        self.st.switch();
        let rest = self.rx.split().freeze();
        Event::Upgrade(Upgrade {
            switch,
            response,
            rest,
        })
    }

    /// The content of the peer's current message.
    fn read_body(&mut self) -> Result<Option<Event>, Violation> {
        let is_request = self.role == Role::Server;
        let ((true, ClientState::SendBody(body), _) | (false, _, ServerState::SendBody(body))) =
            (is_request, &mut self.st.client, &mut self.st.server)
        else {
            return Ok(None);
        };
        match body {
            Body::Length(tracker) => {
                let remaining = tracker.remaining().unwrap_or(0);
                if remaining == 0 {
                    return Ok(Some(self.end_message(HeaderMap::new())));
                }
                if self.rx.is_empty() {
                    return self.need_more();
                }
                let n = usize::try_from(remaining)
                    .unwrap_or(usize::MAX)
                    .min(self.rx.len());
                // Within the declared length by construction.
                let _ = tracker.on_data(n);
                Ok(Some(Event::Data(self.rx.split_to(n).freeze())))
            }
            Body::Chunked {
                chunk,
                ext_budget,
                received,
            } => match chunked::decode(chunk, &mut self.rx, ext_budget)? {
                Decoded::Data(data) => {
                    *received = received.saturating_add(data.len() as u64);
                    if is_request && *received > self.limits.max_content_length {
                        return Err(Violation::ContentTooLarge);
                    }
                    Ok(Some(Event::Data(data)))
                }
                Decoded::LastChunk => {
                    debug_assert_eq!(*chunk, Chunk::Trailers);
                    // As for heads: parse again only once a line has ended.
                    let new = self.rx.get(self.rx_scanned..).unwrap_or_default();
                    if self.rx_scanned > 0 && !new.contains(&b'\n') {
                        if self.rx.len() > self.limits.max_trailer_size {
                            return Err(Violation::TrailersTooLarge);
                        }
                        return self.need_more();
                    }
                    if let Some(trailers) = parse::trailers(&mut self.rx, &self.limits)? {
                        self.rx_scanned = 0;
                        return Ok(Some(self.end_message(trailers)));
                    }
                    self.rx_scanned = self.rx.len();
                    self.need_more()
                }
                Decoded::NeedMore => self.need_more(),
            },
            Body::UntilClose => {
                if !self.rx.is_empty() {
                    return Ok(Some(Event::Data(self.rx.split().freeze())));
                }
                // RFC 9112 §6.3 item 8: the close ends the content.
                if self.eof {
                    return Ok(Some(self.end_message(HeaderMap::new())));
                }
                Ok(None)
            }
            Body::None => Ok(Some(self.end_message(HeaderMap::new()))),
        }
    }

    /// More content is needed: fine unless the transport ended (RFC 9112 §8).
    fn need_more(&self) -> Result<Option<Event>, Violation> {
        if self.eof {
            Err(Violation::IncompleteMessage)
        } else {
            Ok(None)
        }
    }

    /// The peer's current message is complete.
    fn end_message(&mut self, trailers: HeaderMap) -> Event {
        match self.role {
            Role::Server => self.st.request_end(),
            Role::Client => self.st.response_end(),
        }
        Event::End(trailers)
    }
}
