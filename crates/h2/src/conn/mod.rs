//! The HTTP/2 connection machine (RFC 9113), client and server.
//!
//! API skeleton: the public surface the driver, the tests and the conformance suite are
//! written against. The machine behind it lands in the following commits.

use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, request, response};
use stator_http::ext::Protocol;

use crate::frame::Settings;
use crate::{ErrorCode, Limits, StreamId};

mod error;

pub use error::{Error, LocalError};

/// Which end of the connection this machine is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Opens odd-numbered streams and sends requests.
    Client,
    /// Receives requests (and checks the connection preface).
    Server,
}

/// When received DATA gives flow-control credit back to the peer (RFC 9113 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlowControl {
    /// The credit of a [`Event::Data`] is released when the event is polled: simple, but
    /// an application that buffers what it reads has no backpressure.
    #[default]
    Auto,
    /// Credit is released only by [`Connection::release_capacity`], as the application
    /// consumes the data: a slow reader stops its own stream's sender, and only it.
    Manual,
}

/// How a connection is set up.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Config {
    /// Resource bounds and anti-DoS budgets.
    pub limits: Limits,
    /// Server: the `:protocol` values accepted in Extended CONNECT requests (RFC 8441 §4).
    /// Non-empty ⇒ `SETTINGS_ENABLE_CONNECT_PROTOCOL = 1` is advertised (RFC 8441 §3); a
    /// request with an unlisted protocol is answered `501` by the machine. Empty (the
    /// default) ⇒ the setting is not sent and `:protocol` is malformed. Ignored by clients.
    pub connect_protocols: Vec<Protocol>,
    /// When received data releases flow-control credit.
    pub flow_control: FlowControl,
}

/// Something that happened on the connection, in the order it happened.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// Server: a request head arrived on a new stream. An Extended CONNECT request carries
    /// its [`Protocol`] in `head.extensions`. `end_stream`: no content follows.
    Request {
        /// The stream the request opened.
        stream: StreamId,
        /// The request head (`version` is HTTP/2).
        head: request::Parts,
        /// The request has no content and no trailers.
        end_stream: bool,
    },
    /// Client: an interim (1xx) response head (RFC 9113 §8.1).
    Informational {
        /// The request's stream.
        stream: StreamId,
        /// The interim head.
        head: response::Parts,
    },
    /// Client: the final response head.
    Response {
        /// The request's stream.
        stream: StreamId,
        /// The response head.
        head: response::Parts,
        /// The response has no content and no trailers.
        end_stream: bool,
    },
    /// Content of a request or response (or the bytes of an Extended CONNECT tunnel), a
    /// slice of the received buffer. Its flow-control credit is released per
    /// [`Config::flow_control`].
    Data {
        /// The stream.
        stream: StreamId,
        /// The bytes (padding removed).
        data: Bytes,
        /// This is the last of the stream's content, and no trailers follow.
        end_stream: bool,
    },
    /// The trailer section, which ends the stream's received side.
    Trailers {
        /// The stream.
        stream: StreamId,
        /// The trailer fields.
        trailers: HeaderMap,
    },
    /// The stream ended abnormally: the peer sent `RST_STREAM`, or we did because it broke
    /// a stream-level rule (a malformed message, a stream flow-control error, …).
    Reset {
        /// The stream.
        stream: StreamId,
        /// The error code on the `RST_STREAM`.
        code: ErrorCode,
        /// `true` if the peer reset the stream, `false` if this machine did.
        remote: bool,
    },
    /// Client: a request could not be sent and was dropped locally; nothing reached the
    /// peer (for instance Extended CONNECT to a server that did not advertise it, so the
    /// caller can fall back to HTTP/1.1).
    Refused {
        /// The stream id the request had been given.
        stream: StreamId,
        /// Why.
        reason: LocalError,
    },
    /// More data can be sent on this stream ([`Connection::send_capacity`] grew after a
    /// [`Connection::send_data`] accepted less than offered).
    Writable {
        /// The stream.
        stream: StreamId,
    },
    /// The peer's SETTINGS were received and applied (the first time: the connection is
    /// established; a client now knows whether Extended CONNECT is available).
    Settings(Settings),
    /// A `PRIORITY_UPDATE` frame (RFC 9218 §7.1): the Priority Field Value for a stream.
    PriorityUpdate {
        /// The prioritized stream.
        stream: StreamId,
        /// The Priority Field Value (RFC 9218 §4), unparsed.
        value: Bytes,
    },
    /// A `PING` we sent was acknowledged (measure round-trip time with it).
    PingAck {
        /// The opaque data of the ping.
        payload: [u8; 8],
    },
    /// The peer sent `GOAWAY`: streams above `last_stream_id` were not processed and may
    /// be retried on a new connection; no new streams may be opened here.
    GoAway {
        /// The last stream the peer may have processed.
        last_stream_id: StreamId,
        /// Why the peer is closing.
        code: ErrorCode,
        /// Debug data, opaque.
        debug_data: Bytes,
    },
    /// The connection is over: flush [`Connection::poll_output`] and close the transport.
    /// `error` is what ended it, if it did not end gracefully.
    Closed {
        /// The connection error, sent or received, if any.
        error: Option<Error>,
    },
}

/// A sans-IO HTTP/2 connection, client or server.
#[derive(Debug)]
pub struct Connection {
    role: Role,
    config: Config,
}

impl Connection {
    /// A client connection: the connection preface and our SETTINGS are queued for
    /// output at once (RFC 9113 §3.4).
    pub fn client(config: Config) -> Connection {
        Connection {
            role: Role::Client,
            config,
        }
    }

    /// A server connection: it expects the client's preface first, and queues its own
    /// SETTINGS (RFC 9113 §3.4).
    pub fn server(config: Config) -> Connection {
        Connection {
            role: Role::Server,
            config,
        }
    }

    /// The configuration this connection was made with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// This end's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Feeds bytes received from the transport, in any chunking. `now` drives the
    /// rate budgets and timers. A connection error queues `GOAWAY` and is returned (and
    /// reported by [`Event::Closed`]); later input is ignored.
    pub fn recv(&mut self, now: Instant, data: &[u8]) -> Result<(), Error> {
        let _ = (now, data);
        Ok(())
    }

    /// The transport's read side ended.
    pub fn recv_eof(&mut self) {}

    /// Appends everything queued for the transport to `buf`; returns how many bytes.
    pub fn poll_output(&mut self, buf: &mut Vec<u8>) -> usize {
        let _ = buf;
        0
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        None
    }

    /// When [`Connection::handle_timeout`] must be called next (SETTINGS acknowledgment
    /// timeout, graceful shutdown deadline), if ever.
    pub fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    /// Runs the timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let _ = now;
    }

    /// Client: sends a request head on a new stream and returns the stream's id. If the
    /// peer's `MAX_CONCURRENT_STREAMS` is reached, the request is queued and sent when a
    /// stream closes (ids stay in order). An Extended CONNECT request (a CONNECT with a
    /// [`Protocol`] extension) waits for the server's SETTINGS and is
    /// [`Event::Refused`] if they do not enable it (RFC 8441 §3).
    pub fn send_request(
        &mut self,
        head: &request::Parts,
        end_stream: bool,
    ) -> Result<StreamId, LocalError> {
        let _ = (head, end_stream);
        Err(LocalError::WrongRole)
    }

    /// Server: sends a response head, interim (1xx, `end_stream` false) or final.
    pub fn send_response(
        &mut self,
        stream: StreamId,
        head: &response::Parts,
        end_stream: bool,
    ) -> Result<(), LocalError> {
        let _ = (stream, head, end_stream);
        Err(LocalError::WrongRole)
    }

    /// Sends content on a stream: as much of `data` as the flow-control windows and the
    /// output bound allow now. Returns how many bytes were accepted; `end_stream` takes
    /// effect only if all of `data` was. When fewer were accepted, [`Event::Writable`]
    /// says when to try again.
    pub fn send_data(
        &mut self,
        stream: StreamId,
        data: &[u8],
        end_stream: bool,
    ) -> Result<usize, LocalError> {
        let _ = (stream, data, end_stream);
        Err(LocalError::UnknownStream(stream))
    }

    /// Sends a trailer section, which ends the stream's sending side.
    pub fn send_trailers(
        &mut self,
        stream: StreamId,
        trailers: &HeaderMap,
    ) -> Result<(), LocalError> {
        let _ = (stream, trailers);
        Err(LocalError::UnknownStream(stream))
    }

    /// Resets a stream with `code` (`CANCEL` for a request no longer wanted).
    pub fn send_reset(&mut self, stream: StreamId, code: ErrorCode) -> Result<(), LocalError> {
        let _ = (stream, code);
        Err(LocalError::UnknownStream(stream))
    }

    /// How many bytes [`Connection::send_data`] would accept on `stream` now.
    pub fn send_capacity(&self, stream: StreamId) -> usize {
        let _ = stream;
        0
    }

    /// [`FlowControl::Manual`]: gives back `n` bytes of flow-control credit on `stream`
    /// (and the connection), as the application consumes data.
    pub fn release_capacity(&mut self, stream: StreamId, n: usize) -> Result<(), LocalError> {
        let _ = (stream, n);
        Ok(())
    }

    /// Sends a `PING`; its acknowledgment comes back as [`Event::PingAck`].
    pub fn ping(&mut self, payload: [u8; 8]) -> Result<(), LocalError> {
        let _ = payload;
        Ok(())
    }

    /// Starts closing. With `NO_ERROR` the shutdown is graceful and two-phase (RFC 9113
    /// §6.8): a `GOAWAY` with the maximum stream id, then, after a round trip, one with
    /// the last stream actually accepted; streams in flight finish, new ones are refused,
    /// and [`Event::Closed`] follows when all are done. Any other code closes at once.
    pub fn goaway(&mut self, code: ErrorCode, debug_data: &[u8]) {
        let _ = (code, debug_data);
    }

    /// The peer's settings, once its first SETTINGS frame arrived.
    pub fn peer_settings(&self) -> Option<&Settings> {
        None
    }

    /// Client: whether the server enabled Extended CONNECT (RFC 8441 §3); `None` until
    /// its SETTINGS arrived.
    pub fn extended_connect(&self) -> Option<bool> {
        None
    }

    /// Whether the connection is over (after [`Event::Closed`]).
    pub fn is_closed(&self) -> bool {
        false
    }
}
