//! The HTTP/1.1 connection machine: input, events, output.
//!
//! [`Connection`] owns the receive and send buffers and the [state table](crate::state).
//! `recv.rs` turns received bytes into events, `send.rs` turns the application's heads and
//! content into bytes; both change the state only through the table's transitions.

mod recv;
mod send;

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

use crate::error::{Error, LocalError, RemoteError};
use crate::event::Event;
use crate::limits::Limits;
use crate::parse::Scratch;
use crate::state::{Phase, States};

/// Which end of the connection this machine plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Sends requests, receives responses.
    Client,
    /// Receives requests, sends responses.
    Server,
}

/// An HTTP/1.1 connection (RFC 9112): a sans-IO machine for either role.
///
/// Feed it what the transport delivers with [`recv`](Self::recv) and
/// [`recv_eof`](Self::recv_eof), take what it has to say with
/// [`poll_event`](Self::poll_event), hand it heads and content with the `send_*` methods,
/// and write what [`poll_output`](Self::poll_output) (or
/// [`poll_transmit`](Self::poll_transmit)) gives to the transport. Close the transport
/// when [`wants_close`](Self::wants_close) says so.
///
/// One exchange (request, response) runs at a time, as in h11: a server reads the next
/// pipelined request only once the response to the previous one is complete (the bytes
/// wait in the machine), so responses always leave in order.
#[derive(Debug)]
pub struct Connection {
    role: Role,
    limits: Limits,
    st: States,
    rx: BytesMut,
    /// How much of `rx` is known not to hold a complete head (slowloris: a head that
    /// arrives a byte at a time is parsed again only when a line ends).
    rx_scanned: usize,
    eof: bool,
    tx: BytesMut,
    events: VecDeque<Event>,
    scratch: Scratch,
    /// The sticky error, once the peer broke the protocol.
    error: Option<RemoteError>,
    /// A send was refused with `WouldBlock`: report `Writable` once the output drains.
    blocked: bool,
}

impl Connection {
    /// A machine playing `role`, with `limits`.
    pub fn new(role: Role, limits: Limits) -> Connection {
        Connection {
            role,
            limits,
            st: States::new(),
            rx: BytesMut::with_capacity(8 * 1024),
            rx_scanned: 0,
            eof: false,
            tx: BytesMut::with_capacity(8 * 1024),
            events: VecDeque::with_capacity(4),
            scratch: Scratch::default(),
            error: None,
            blocked: false,
        }
    }

    /// A client with the default [`Limits`].
    pub fn client() -> Connection {
        Connection::new(Role::Client, Limits::default())
    }

    /// A server with the default [`Limits`].
    pub fn server() -> Connection {
        Connection::new(Role::Server, Limits::default())
    }

    /// Client or server.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Where our half of the current exchange stands (the request's for a client, the
    /// response's for a server).
    pub fn our_phase(&self) -> Phase {
        match self.role {
            Role::Client => self.st.client_phase(),
            Role::Server => self.st.server_phase(),
        }
    }

    /// Where the peer's half of the current exchange stands.
    pub fn their_phase(&self) -> Phase {
        match self.role {
            Role::Client => self.st.server_phase(),
            Role::Server => self.st.client_phase(),
        }
    }

    /// The error the peer caused, once it did (sticky).
    pub fn error(&self) -> Option<&RemoteError> {
        self.error.as_ref()
    }

    // ---- input -------------------------------------------------------------------------

    /// Hands the machine bytes read from the transport. They are copied into the receive
    /// buffer and decoded by [`poll_event`](Self::poll_event), which must be called next.
    /// Ignored after an error or a protocol switch (the transport's bytes belong to the
    /// next protocol then).
    pub fn recv(&mut self, data: &[u8]) {
        if self.accepts_input() {
            self.rx.extend_from_slice(data);
        }
    }

    /// Like [`recv`](Self::recv), but takes `data` over without a copy when the receive
    /// buffer is empty and nobody else holds `data`.
    pub fn recv_bytes(&mut self, data: Bytes) {
        if !self.accepts_input() {
            return;
        }
        if self.rx.is_empty() {
            match data.try_into_mut() {
                Ok(buf) => self.rx = buf,
                Err(data) => self.rx.extend_from_slice(&data),
            }
        } else {
            self.rx.extend_from_slice(&data);
        }
    }

    /// The peer closed its side of the transport (EOF). Once the buffered input is
    /// processed, [`poll_event`](Self::poll_event) reports [`Event::Closed`], or the end of
    /// a close-delimited response, or [`Violation::IncompleteMessage`] if a message was
    /// cut short. A server still sends the response to a complete request (half-close),
    /// then [`wants_close`](Self::wants_close).
    ///
    /// [`Violation::IncompleteMessage`]: crate::Violation::IncompleteMessage
    pub fn recv_eof(&mut self) {
        self.eof = true;
    }

    fn accepts_input(&self) -> bool {
        self.error.is_none() && self.our_phase() != Phase::Switched
    }

    /// Whether the driver should keep reading from the transport. False while the machine
    /// is paused (a server finishing a response, a connection waiting to learn whether it
    /// switches) and already holds [`Limits::max_buffered_input`] bytes, after an error,
    /// and once the peer's side is closed or the protocol switched.
    pub fn wants_input(&self) -> bool {
        self.accepts_input()
            && !self.eof
            && !matches!(self.their_phase(), Phase::Closed | Phase::MustClose)
            && self.rx.len() < self.limits.max_buffered_input
    }

    // ---- events ------------------------------------------------------------------------

    /// The next event, or `None` when there is nothing to report until something changes.
    ///
    /// Decoding happens here. Poll again, until `None`, after [`recv`](Self::recv),
    /// [`recv_bytes`](Self::recv_bytes) and [`recv_eof`](Self::recv_eof); after a server
    /// completes a response ([`send_end`](Self::send_end), or a head with
    /// [`BodySize::Empty`](crate::BodySize::Empty)): the next pipelined request may be
    /// waiting; after a send that switched protocols (its [`Event::Upgrade`] is queued);
    /// after [`poll_output`](Self::poll_output) / [`poll_transmit`](Self::poll_transmit)
    /// (which may queue [`Event::Writable`]).
    #[must_use = "events carry the peer's messages"]
    pub fn poll_event(&mut self) -> Option<Event> {
        if let Some(event) = self.events.pop_front() {
            return Some(event);
        }
        if self.error.is_some() {
            return None;
        }
        match self.next_event() {
            Ok(event) => event,
            Err(violation) => Some(self.fail(violation.into())),
        }
    }

    /// The peer broke the protocol: queue a server's error response if no response has
    /// started, and fail the connection for good.
    fn fail(&mut self, error: RemoteError) -> Event {
        match self.role {
            Role::Server if matches!(self.st.server_phase(), Phase::Idle | Phase::SendResponse) => {
                crate::serialize::error_response(error.status, &mut self.tx);
            }
            // A server's partial response still leaves (the client may use it); a
            // client's pending request is pointless now.
            Role::Server => {}
            Role::Client => self.tx.clear(),
        }
        self.st.error();
        self.error = Some(error);
        self.rx.clear();
        Event::Error(error)
    }

    // ---- output ------------------------------------------------------------------------

    /// Appends everything there is to send to `buf` and returns how many bytes it
    /// appended (0: nothing to send).
    ///
    /// Poll again after every `send_*` call and after [`poll_event`](Self::poll_event)
    /// reports [`Event::Error`] (a server's error response). If a send had been refused
    /// with [`Error::WouldBlock`], taking the output queues [`Event::Writable`].
    #[must_use = "the bytes must be written to the transport"]
    pub fn poll_output(&mut self, buf: &mut Vec<u8>) -> usize {
        let n = self.tx.len();
        buf.extend_from_slice(&self.tx);
        self.tx.clear();
        self.drained();
        n
    }

    /// Like [`poll_output`](Self::poll_output), but returns the pending bytes as one
    /// `Bytes` (split off the send buffer, no copy), or `None` if there are none.
    #[must_use = "the bytes must be written to the transport"]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        if self.tx.is_empty() {
            return None;
        }
        let bytes = self.tx.split().freeze();
        self.drained();
        Some(bytes)
    }

    fn drained(&mut self) {
        if self.blocked {
            self.blocked = false;
            self.events.push_back(Event::Writable);
        }
    }

    /// Whether the transport should now be closed: all output is taken and the connection
    /// will carry no further exchange (a `Connection: close`, an HTTP/1.0 peer, a
    /// close-delimited response, the peer's EOF, an error). Check after each output poll.
    /// A client that sees it has its whole response; a server has sent its last one.
    pub fn wants_close(&self) -> bool {
        self.tx.is_empty()
            && (self.error.is_some()
                || matches!(self.st.server_phase(), Phase::MustClose | Phase::Closed))
    }

    /// Refuses a send after an error or a switch.
    fn check_usable(&self) -> Result<(), Error> {
        if let Some(e) = self.error {
            return Err(Error::Remote(e));
        }
        if self.our_phase() == Phase::Switched {
            return Err(LocalError::Switched.into());
        }
        Ok(())
    }
}
