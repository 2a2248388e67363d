//! The HTTP/1.1 opening handshake inside a [`Connection`](super::Connection), for the
//! CONNECTING state (RFC 6455 §4).
//!
//! This file only drives the standalone machines, [`ClientHandshake`] and
//! [`ServerHandshake`], and reports their progress as a [`Progress`]; the rules of the
//! handshake stay in those machines, and the connection applies the progress to its state
//! (`mod.rs`), as it does with the frames `recv.rs` decodes. Nothing here changes the
//! connection's state.
//!
//! Why wrap rather than reuse them as they are: inside a connection the handshake's bytes
//! and the frames share one transport, one output and one event queue, so the caller never
//! has to move the leftover bytes from one machine to the other, and cannot lose them.

use bytes::Bytes;
use http::response;
use stator_wire::rand::Random;

use crate::handshake::codec::HeadLimits;
use crate::handshake::{
    AcceptOptions, BuildError, ClientEvent, ClientHandshake, ClientOptions, Established,
    HandshakeError, IncomingRequest, ServerEvent, ServerHandshake,
};

/// The handshake machine of a connection in the CONNECTING state.
#[derive(Debug)]
pub(super) enum Opening {
    /// RFC 6455 §4.1: the request is built at once; the response is awaited.
    Client(Box<ClientHandshake>),
    /// RFC 6455 §4.2: the request is awaited, then the application's decision.
    Server(Box<ServerHandshake>),
}

/// What feeding bytes to the handshake produced.
#[derive(Debug)]
pub(super) enum Progress {
    /// Nothing complete yet (or early data kept while the application decides).
    Pending,
    /// Server: a valid request, waiting for `accept` or `reject`.
    Request(Box<IncomingRequest>),
    /// Client: a valid 101, with the bytes that followed it.
    Established(Established),
    /// The handshake failed. A server's answer (400, 426, 431) is in the machine's output.
    Failed(HandshakeError),
}

impl Opening {
    /// A client handshake for `options`, its request queued, with a key from `random`
    /// (RFC 6455 §4.1 item 7: a fresh random nonce per connection).
    pub(super) fn client(
        options: &ClientOptions,
        random: &mut dyn Random,
        limits: HeadLimits,
    ) -> Result<Opening, BuildError> {
        ClientHandshake::new(options, random, limits).map(|hs| Opening::Client(Box::new(hs)))
    }

    /// A server handshake waiting for a request bounded by `limits`.
    pub(super) fn server(limits: HeadLimits) -> Opening {
        Opening::Server(Box::new(ServerHandshake::new(limits)))
    }

    /// Feeds bytes received from the peer.
    pub(super) fn recv(&mut self, data: &[u8]) -> Progress {
        match self {
            Opening::Client(hs) => {
                if let Err(e) = hs.recv(data) {
                    return Progress::Failed(e);
                }
                match hs.poll_event() {
                    Some(ClientEvent::Established(established)) => {
                        Progress::Established(established)
                    }
                    None => Progress::Pending,
                }
            }
            Opening::Server(hs) => {
                if let Err(e) = hs.recv(data) {
                    return Progress::Failed(e);
                }
                match hs.poll_event() {
                    Some(ServerEvent::Request(request)) => Progress::Request(request),
                    None => Progress::Pending,
                }
            }
        }
    }

    /// Server: accepts the pending request (RFC 6455 §4.2.2); the 101 goes to the output.
    pub(super) fn accept(
        &mut self,
        options: &AcceptOptions,
    ) -> Result<Established, HandshakeError> {
        match self {
            Opening::Server(hs) => hs.accept(options),
            Opening::Client(_) => Err(HandshakeError::InvalidState("accept on a client")),
        }
    }

    /// Server: refuses the pending request with `response` (RFC 6455 §4.2.2 item 2).
    pub(super) fn reject(&mut self, response: response::Parts) -> Result<(), HandshakeError> {
        match self {
            Opening::Server(hs) => hs.reject_with(response),
            Opening::Client(_) => Err(HandshakeError::InvalidState("reject on a client")),
        }
    }

    /// The bytes the machine has to send: the client's request, the server's 101 or its
    /// refusal.
    pub(super) fn take_output(&mut self) -> Option<Bytes> {
        match self {
            Opening::Client(hs) => hs.poll_transmit(),
            Opening::Server(hs) => hs.poll_transmit(),
        }
    }

    /// Client: the server's response head, once read, valid or not.
    pub(super) fn into_response(self) -> Option<response::Parts> {
        match self {
            Opening::Client(hs) => hs.response().cloned(),
            Opening::Server(_) => None,
        }
    }
}
