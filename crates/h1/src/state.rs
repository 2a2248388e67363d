//! The connection's state table: every transition of the machine lives in this file
//! (h11's rule: "everything that affects the state machine lives here").
//!
//! The table is the same in both roles: a request is a request whether we sent it or
//! received it. It tracks the two halves of an exchange, the request ([`ClientState`])
//! and the response ([`ServerState`]), plus whether the connection persists after it:
//!
//! ```text
//!  client:  Idle ─request─► SendBody ─end─► Done ─────────────────┐ both Done and
//!                                     └────► MightSwitch ─┬─ 101 / 2xx ─► Switched
//!                                                         └─ other ─► Done    │ keep-alive:
//!  server:  Idle ─request─► SendResponse ─1xx─┐  ─final─► SendBody ─end─► Done ┘ both Idle
//!                                  ▲──────────┘
//!  not keep-alive: Done ─► MustClose          peer EOF: ─► Closed        error: ─► Error
//! ```
//!
//! Keep-alive starts true and only ever turns false for the exchange: a request or
//! response that says `close`, an HTTP/1.0 peer without `keep-alive`, a close-delimited
//! response, a server that answered an `Expect: 100-continue` request without reading its
//! content, a peer that closed its side (RFC 9112 §9.3, §9.6).

use http::{Method, Version};
use stator_http::body::BodyTracker;

use crate::chunked::Chunk;
use crate::framing::{Framing, Switch};

/// Progress through one message's content, in either direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Body {
    /// Content-Length framed (or empty, `Exact(0)`), held to its length.
    Length(BodyTracker),
    /// Chunked: the decoder's position (unused when sending), what remains of the
    /// chunk-extension allowance, and the content counted so far.
    Chunked {
        chunk: Chunk,
        ext_budget: usize,
        received: u64,
    },
    /// Until the connection closes.
    UntilClose,
    /// A message that has no content whatever its fields say (HEAD, 1xx, 204, 304).
    None,
}

impl Body {
    pub(crate) fn new(framing: Framing, ext_budget: usize) -> Body {
        match framing {
            Framing::Empty => {
                Body::Length(BodyTracker::new(stator_http::body::BodyLength::Exact(0)))
            }
            Framing::Length(n) => {
                Body::Length(BodyTracker::new(stator_http::body::BodyLength::Exact(n)))
            }
            Framing::Chunked => Body::Chunked {
                chunk: Chunk::default(),
                ext_budget,
                received: 0,
            },
            Framing::UntilClose => Body::UntilClose,
        }
    }
}

/// What a request in flight means for its response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pending {
    /// The request's method: HEAD and CONNECT change what the response may carry.
    pub(crate) method: Method,
    /// The request's version: an HTTP/1.0 client gets no chunked content and no 1xx.
    pub(crate) version: Version,
    pub(crate) switch: Option<Switch>,
    /// The client waits for 100 Continue before sending content (RFC 9110 §10.1.1).
    pub(crate) expect_continue: bool,
}

/// The request half of the current exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClientState {
    Idle,
    SendBody(Body),
    Done,
    MightSwitch(Switch),
    MustClose,
    Closed,
    Switched,
    Error,
}

/// The response half of the current exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ServerState {
    Idle,
    SendResponse(Pending),
    SendBody(Body),
    Done,
    MustClose,
    Closed,
    Switched,
    Error,
}

/// Where one half of the exchange stands, for the application
/// ([`Connection::our_phase`](crate::Connection::our_phase),
/// [`Connection::their_phase`](crate::Connection::their_phase)); h11's states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Nothing started in this exchange yet.
    Idle,
    /// Server: the request arrived; a response is expected.
    SendResponse,
    /// The head is done; content is in progress.
    Body,
    /// The message is complete; waiting for the other half.
    Done,
    /// The request is complete and proposed a protocol switch; the response decides.
    MightSwitch,
    /// The message is complete and the connection closes after this exchange.
    MustClose,
    /// This half is closed.
    Closed,
    /// The connection switched protocols.
    Switched,
    /// A protocol error ended the connection.
    Error,
}

/// Both halves and the keep-alive decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct States {
    pub(crate) client: ClientState,
    pub(crate) server: ServerState,
    pub(crate) keep_alive: bool,
}

impl States {
    pub(crate) fn new() -> States {
        States {
            client: ClientState::Idle,
            server: ServerState::Idle,
            keep_alive: true,
        }
    }

    /// Whether a request head may start now.
    pub(crate) fn can_start_request(&self) -> bool {
        self.client == ClientState::Idle && self.server == ServerState::Idle
    }

    /// A request head was sent or received.
    pub(crate) fn request(&mut self, body: Body, pending: Pending, keep_alive: bool) {
        self.keep_alive &= keep_alive;
        self.client = ClientState::SendBody(body);
        self.server = ServerState::SendResponse(pending);
    }

    /// The client gives up waiting for 100 Continue and sends its content anyway.
    pub(crate) fn stop_waiting_for_continue(&mut self) {
        if let ServerState::SendResponse(p) = &mut self.server {
            p.expect_continue = false;
        }
    }

    /// A 1xx other than a switching 101 was sent or received.
    pub(crate) fn informational(&mut self) {
        self.stop_waiting_for_continue();
    }

    /// Whether a final response now keeps the connection open, given what the response
    /// itself says: a server that answers an `Expect: 100-continue` request before the
    /// content arrived cannot know whether it will come, so it closes (RFC 9110 §10.1.1).
    pub(crate) fn response_keeps_alive(&self, response_keep_alive: bool) -> bool {
        let unread_content = matches!(self.server, ServerState::SendResponse(ref p) if p.expect_continue)
            && matches!(self.client, ClientState::SendBody(_));
        self.keep_alive && response_keep_alive && !unread_content
    }

    /// A final response head was sent or received.
    pub(crate) fn response(&mut self, body: Body, keep_alive: bool) {
        self.keep_alive = self.response_keeps_alive(keep_alive);
        if matches!(body, Body::UntilClose) {
            self.keep_alive = false;
        }
        self.server = ServerState::SendBody(body);
        // The request proposed a switch and this response declines it.
        if matches!(self.client, ClientState::MightSwitch(_)) {
            self.client = ClientState::Done;
        }
        self.settle();
    }

    /// A 101 to an Upgrade, or a 2xx to CONNECT: HTTP/1.1 is over on this connection.
    pub(crate) fn switch(&mut self) {
        self.client = ClientState::Switched;
        self.server = ServerState::Switched;
    }

    /// Whether a response switching for `switch` is allowed now: the request proposed it
    /// and is complete.
    pub(crate) fn may_switch(&self, switch: Switch) -> bool {
        self.client == ClientState::MightSwitch(switch)
    }

    /// The request's end was sent or received.
    pub(crate) fn request_end(&mut self) {
        self.client = match &self.server {
            ServerState::SendResponse(Pending {
                switch: Some(s), ..
            }) => ClientState::MightSwitch(*s),
            _ => ClientState::Done,
        };
        self.settle();
    }

    /// The response's end was sent or received.
    pub(crate) fn response_end(&mut self) {
        self.server = ServerState::Done;
        self.settle();
    }

    /// The peer closed its side of the connection (EOF) at a message boundary.
    pub(crate) fn peer_closed(&mut self, peer_is_client: bool) {
        if peer_is_client {
            self.client = ClientState::Closed;
        } else {
            self.server = ServerState::Closed;
        }
        self.keep_alive = false;
        self.settle();
    }

    /// A protocol error: nothing more happens on this connection.
    pub(crate) fn error(&mut self) {
        self.client = ClientState::Error;
        self.server = ServerState::Error;
    }

    /// The consequences of a transition: no keep-alive turns completed halves into
    /// `MustClose`; a closed half closes the other once it is done; two completed halves
    /// of a persistent connection start the next exchange.
    fn settle(&mut self) {
        let closed = self.client == ClientState::Closed || self.server == ServerState::Closed;
        if closed {
            self.keep_alive = false;
        }
        if !self.keep_alive {
            if self.client == ClientState::Done {
                self.client = ClientState::MustClose;
            }
            if self.server == ServerState::Done || (self.server == ServerState::Idle && closed) {
                self.server = ServerState::MustClose;
            }
            if self.client == ClientState::Idle && closed {
                self.client = ClientState::MustClose;
            }
        }
        if self.client == ClientState::Done && self.server == ServerState::Done {
            self.client = ClientState::Idle;
            self.server = ServerState::Idle;
        }
    }

    pub(crate) fn client_phase(&self) -> Phase {
        match self.client {
            ClientState::Idle => Phase::Idle,
            ClientState::SendBody(_) => Phase::Body,
            ClientState::Done => Phase::Done,
            ClientState::MightSwitch(_) => Phase::MightSwitch,
            ClientState::MustClose => Phase::MustClose,
            ClientState::Closed => Phase::Closed,
            ClientState::Switched => Phase::Switched,
            ClientState::Error => Phase::Error,
        }
    }

    pub(crate) fn server_phase(&self) -> Phase {
        match self.server {
            ServerState::Idle => Phase::Idle,
            ServerState::SendResponse(_) => Phase::SendResponse,
            ServerState::SendBody(_) => Phase::Body,
            ServerState::Done => Phase::Done,
            ServerState::MustClose => Phase::MustClose,
            ServerState::Closed => Phase::Closed,
            ServerState::Switched => Phase::Switched,
            ServerState::Error => Phase::Error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(switch: Option<Switch>, expect_continue: bool) -> Pending {
        Pending {
            method: Method::GET,
            version: Version::HTTP_11,
            switch,
            expect_continue,
        }
    }

    fn body() -> Body {
        Body::new(Framing::Empty, 0)
    }

    #[test]
    fn keep_alive_cycle() {
        let mut s = States::new();
        assert!(s.can_start_request());
        s.request(body(), pending(None, false), true);
        assert_eq!(s.client_phase(), Phase::Body);
        assert_eq!(s.server_phase(), Phase::SendResponse);
        s.request_end();
        assert_eq!(s.client_phase(), Phase::Done);
        s.response(body(), true);
        s.response_end();
        assert!(s.can_start_request());
    }

    #[test]
    fn close_after_exchange() {
        let mut s = States::new();
        s.request(body(), pending(None, false), false);
        s.request_end();
        assert_eq!(s.client_phase(), Phase::MustClose);
        s.response(body(), true);
        s.response_end();
        assert_eq!(s.server_phase(), Phase::MustClose);
        assert!(!s.can_start_request());
    }

    #[test]
    fn until_close_response() {
        let mut s = States::new();
        s.request(body(), pending(None, false), true);
        s.request_end();
        s.response(Body::UntilClose, true);
        assert_eq!(s.client_phase(), Phase::MustClose);
        s.response_end();
        assert_eq!(s.server_phase(), Phase::MustClose);
    }

    #[test]
    fn switch_and_decline() {
        let mut s = States::new();
        s.request(body(), pending(Some(Switch::Upgrade), false), true);
        assert!(!s.may_switch(Switch::Upgrade));
        s.request_end();
        assert_eq!(s.client_phase(), Phase::MightSwitch);
        assert!(s.may_switch(Switch::Upgrade));
        assert!(!s.may_switch(Switch::Connect));
        s.switch();
        assert_eq!(s.server_phase(), Phase::Switched);

        let mut s = States::new();
        s.request(body(), pending(Some(Switch::Upgrade), false), true);
        s.request_end();
        s.response(body(), true);
        s.response_end();
        assert!(s.can_start_request());
    }

    #[test]
    fn expect_continue_without_content_closes() {
        let mut s = States::new();
        s.request(body(), pending(None, true), true);
        assert!(!s.response_keeps_alive(true));
        s.informational();
        assert!(s.response_keeps_alive(true));
    }

    #[test]
    fn half_close() {
        let mut s = States::new();
        s.request(body(), pending(None, false), true);
        s.request_end();
        s.peer_closed(true);
        assert_eq!(s.client_phase(), Phase::Closed);
        assert_eq!(s.server_phase(), Phase::SendResponse);
        s.response(body(), true);
        s.response_end();
        assert_eq!(s.server_phase(), Phase::MustClose);

        let mut s = States::new();
        s.peer_closed(true);
        assert_eq!(s.server_phase(), Phase::MustClose);
        s.error();
        assert_eq!(s.client_phase(), Phase::Error);
    }
}
