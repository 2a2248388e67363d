//! What the machine reports: owned, typed events pulled with
//! [`Connection::poll_event`](crate::Connection::poll_event), the same in both roles where
//! the protocol is (h11's events).
//!
//! A message arrives as its head ([`Event::Request`] or [`Event::Response`], after any
//! [`Event::Informational`]), zero or more [`Event::Data`], and [`Event::End`] with its
//! trailers. A head that switches protocols arrives as [`Event::Upgrade`] instead, with
//! every byte that followed it. [`Event::Closed`] says that the peer will send nothing
//! more; [`Event::Error`] that it broke the protocol.

use bytes::Bytes;
use http::{HeaderMap, request, response};

use crate::error::RemoteError;
use crate::framing::Switch;

/// Something that happened on the connection.
#[derive(Debug)]
pub enum Event {
    /// Server: a request head. Its content follows as [`Data`](Event::Data) and
    /// [`End`](Event::End) (at once for a request without content). The next request is
    /// not read before the response to this one is complete.
    Request(request::Parts),
    /// Client: an interim response (1xx other than a switching 101), e.g. 100 Continue or
    /// 103 Early Hints (RFC 9110 §15.2). The final response follows.
    Informational(response::Parts),
    /// Client: the final response head. Its content follows as [`Data`](Event::Data) and
    /// [`End`](Event::End).
    Response(response::Parts),
    /// Content of the current message, in order: a slice of the receive buffer (no copy).
    /// Chunked framing is already removed.
    Data(Bytes),
    /// The current message is complete, with its trailer fields (empty if none;
    /// RFC 9112 §7.1.2).
    End(HeaderMap),
    /// The connection left HTTP/1.1: a 101 answered an Upgrade, or a 2xx answered CONNECT.
    /// Everything after the head is the new protocol's (or the tunnel's) bytes; the
    /// machine reports nothing more and ignores later input.
    Upgrade(Upgrade),
    /// The peer closed its side (EOF at a message boundary) and will send nothing more.
    /// A server may still send the response to the last request (half-close); check
    /// [`Connection::wants_close`](crate::Connection::wants_close).
    Closed,
    /// The peer broke the protocol; the connection is failed. A server has queued its
    /// error response (if no response had started): send the output, then close.
    Error(RemoteError),
    /// Output that was full when a send returned
    /// [`Error::WouldBlock`](crate::Error::WouldBlock) has been taken; send again.
    Writable,
}

/// The hand-over of a connection that switched protocols (RFC 9110 §7.8, §9.3.6).
///
/// With `Upgrade: websocket`, `rest` goes to a WebSocket connection created in the OPEN
/// state (`stator_ws::Connection::new`, then `recv_bytes(rest)`); with `h2c`, to an HTTP/2
/// machine; after CONNECT, to whatever the tunnel carries.
#[derive(Debug)]
pub struct Upgrade {
    /// Why the connection switched.
    pub switch: Switch,
    /// The response that switched: received (client) or sent (server). A client checks it
    /// (e.g. `Sec-WebSocket-Accept`) before trusting `rest`.
    pub response: response::Parts,
    /// Every byte received after the last HTTP/1.1 message: the first bytes of the new
    /// protocol. More arrive from the transport; they no longer go through this machine.
    pub rest: Bytes,
}

impl Event {
    /// A short name for the event's kind, for logs and test messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Request(_) => "Request",
            Event::Informational(_) => "Informational",
            Event::Response(_) => "Response",
            Event::Data(_) => "Data",
            Event::End(_) => "End",
            Event::Upgrade(_) => "Upgrade",
            Event::Closed => "Closed",
            Event::Error(_) => "Error",
            Event::Writable => "Writable",
        }
    }
}
