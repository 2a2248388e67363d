//! What the connection reports, and the states it moves through.

use bytes::Bytes;
use http::StatusCode;

use crate::close::{CloseCode, CloseFrame};
use crate::error::Error;
use crate::handshake::{IncomingRequest, Negotiated};
use crate::message::{Chunk, Message, Utf8Bytes};

/// Something that happened, pulled with [`Connection::poll_event`](super::Connection::poll_event).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Server made with [`server_h1`](super::Connection::server_h1): a valid opening
    /// handshake arrived (RFC 6455 §4.2.1). Decide with
    /// [`accept`](super::Connection::accept) or [`reject`](super::Connection::reject).
    Request(Box<IncomingRequest>),
    /// The HTTP/1.1 opening handshake completed (RFC 6455 §4.1 "_The WebSocket Connection
    /// is Established_"): the connection is OPEN with what was agreed, permessage-deflate
    /// already applied. Reported once, by [`client_h1`](super::Connection::client_h1) and
    /// [`server_h1`](super::Connection::server_h1) connections, before any message; a
    /// connection made with [`new`](super::Connection::new) starts OPEN and never reports it.
    Open(Negotiated),
    /// A complete data message ([`ReceiveMode::Message`](super::ReceiveMode::Message)).
    Message(Message),
    /// A piece of a data message ([`ReceiveMode::Stream`](super::ReceiveMode::Stream)).
    Chunk(Chunk),
    /// The peer sent a ping (RFC 6455 §5.5.2). With `auto_pong` the pong is already queued.
    Ping(Bytes),
    /// The peer sent a pong (RFC 6455 §5.5.3), solicited or not.
    Pong(Bytes),
    /// The peer's close frame arrived (RFC 6455 §5.5.1). If we had not sent a close frame
    /// yet, the reply (echoing the code) is already queued. [`Event::Closed`] follows.
    CloseReceived(CloseFrame),
    /// The connection is over; nothing more will be received or sent beyond what
    /// [`poll_output`](super::Connection::poll_output) still holds. Flush that, then finish the
    /// transport (see [`wants_close_transport`](super::Connection::wants_close_transport)).
    Closed(Closed),
    /// Output that had pushed back a send ([`Error::WouldBlock`]) has been taken; sends are
    /// accepted again.
    Writable,
}

/// How the connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    /// The "WebSocket Connection Close Code" (RFC 6455 §7.1.5): the code of the peer's close
    /// frame after a close handshake (1005 if it had none), the code we sent when we failed
    /// the connection, or 1006 if the transport ended without a close frame.
    pub code: CloseCode,
    /// The reason from the peer's close frame, empty otherwise.
    pub reason: Utf8Bytes,
    /// Whether both close frames were exchanged (RFC 6455 §7.1.4 "cleanly").
    pub clean: bool,
    /// Why it ended.
    pub cause: CloseCause,
}

/// Why a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseCause {
    /// The close handshake completed (RFC 6455 §7.1.3).
    Handshake,
    /// We failed the connection (RFC 6455 §7.1.7) because of this error, after sending a
    /// close frame with its code.
    Failed(Error),
    /// The transport ended (`recv_eof`) before the close handshake completed.
    Eof,
    /// The HTTP/2 or HTTP/3 stream was reset (`reset`): an abort.
    Reset,
    /// The server application refused the opening handshake with this status
    /// ([`reject`](super::Connection::reject)); the response is in the output.
    Rejected(StatusCode),
}

impl CloseCause {
    /// The error that failed the connection, if one did.
    pub fn error(&self) -> Option<&Error> {
        match self {
            CloseCause::Failed(e) => Some(e),
            _ => None,
        }
    }
}

/// The connection's state: RFC 6455's CONNECTING (§4.1), OPEN (§4.1 "_The WebSocket
/// Connection is Established_"), CLOSING (§7.1.3 "_The WebSocket Closing Handshake is
/// Started_") and CLOSED (§7.1.4).
///
/// A connection made with [`client_h1`](super::Connection::client_h1) or
/// [`server_h1`](super::Connection::server_h1) starts CONNECTING and runs the HTTP/1.1
/// opening handshake itself; one made with [`new`](super::Connection::new) starts OPEN,
/// the handshake having been done elsewhere (an Extended CONNECT over HTTP/2 or HTTP/3, or
/// an HTTP/1.1 layer such as `stator-h1`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum State {
    /// The HTTP/1.1 opening handshake is running; no frame may be sent yet.
    Connecting(Connecting),
    /// Messages flow both ways.
    Open,
    /// We sent a close frame and wait for the peer's; we still receive, but send no more
    /// data (RFC 6455 §5.5.1).
    Closing(Closing),
    /// Over. Holds how it ended; a failure's error is returned by every later call.
    Closed(Closed),
}

/// Where the opening handshake of [`State::Connecting`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Connecting {
    /// Client: the request is in the output (or sent); waiting for the server's response
    /// (RFC 6455 §4.1).
    AwaitingResponse,
    /// Server: reading the client's request head (RFC 6455 §4.2.1).
    AwaitingRequest,
    /// Server: a valid request was reported ([`Event::Request`]); waiting for the
    /// application to accept or reject it (RFC 6455 §4.2.2).
    AwaitingDecision,
}

/// The data of [`State::Closing`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closing {
    /// The close frame we sent.
    pub sent: CloseFrame,
}
