//! Connection errors (the peer broke a rule or a budget ran out) and local misuse.

use crate::{ErrorCode, StreamId};

/// A connection error: `GOAWAY` with [`Error::code`] was sent (or received, for
/// [`Error::Remote`]) and the connection is over (RFC 9113 §5.4.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The peer broke a rule of RFC 9113, RFC 7541 or RFC 8441.
    #[error("protocol violation ({code}): {reason}")]
    Protocol {
        /// The code sent in `GOAWAY`.
        code: ErrorCode,
        /// What rule, for logs.
        reason: &'static str,
    },
    /// The peer exhausted an anti-abuse budget of [`Limits`](crate::Limits) (rapid reset,
    /// floods of SETTINGS, PING, empty DATA, CONTINUATION…): `ENHANCE_YOUR_CALM`.
    #[error("peer exceeded a limit: {limit}")]
    Limit {
        /// Which limit, for logs.
        limit: &'static str,
    },
    /// Our SETTINGS were not acknowledged in time (RFC 9113 §6.5.3).
    #[error("SETTINGS not acknowledged in time")]
    SettingsTimeout,
    /// The peer closed the connection with an error code in `GOAWAY`.
    #[error("peer closed the connection with {code}")]
    Remote {
        /// The peer's code.
        code: ErrorCode,
    },
    /// The transport ended before the connection was closed.
    #[error("transport closed")]
    TransportClosed,
    /// The peer sent a frame that breaks a frame-layer rule of RFC 9113 §4 or §6; the
    /// [`FrameError`](crate::frame::FrameError) says exactly which.
    #[error("frame error: {0}")]
    Frame(crate::frame::FrameError),
    /// The application closed the connection with this code
    /// ([`Connection::goaway`](super::Connection::goaway) with a code other than
    /// `NO_ERROR`).
    #[error("closed locally with {code}")]
    Local {
        /// The code sent in `GOAWAY`.
        code: ErrorCode,
    },
}

impl Error {
    /// The HTTP/2 error code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Protocol { code, .. } | Error::Remote { code } | Error::Local { code } => *code,
            Error::Frame(e) => e.code,
            Error::Limit { .. } => ErrorCode::ENHANCE_YOUR_CALM,
            Error::SettingsTimeout => ErrorCode::SETTINGS_TIMEOUT,
            Error::TransportClosed => ErrorCode::INTERNAL_ERROR,
        }
    }
}

/// A call the application made that the connection cannot carry out; nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LocalError {
    /// A client-only call on a server, or the reverse.
    #[error("not allowed in this role")]
    WrongRole,
    /// No such stream (never opened, or closed and forgotten).
    #[error("unknown stream {0}")]
    UnknownStream(StreamId),
    /// The stream's sending side is closed (ended or reset), or a head was already sent.
    #[error("stream {0} cannot send this now")]
    StreamNotWritable(StreamId),
    /// The head cannot be sent as HTTP/2 fields (a connection-specific field, …).
    #[error("invalid head: {0}")]
    InvalidHead(stator_http::fields::EncodeError),
    /// The connection is closing (GOAWAY sent or received): no new streams.
    #[error("connection is going away")]
    GoingAway,
    /// Stream ids are exhausted: open a new connection (RFC 9113 §5.1.1).
    #[error("stream ids exhausted")]
    StreamIdsExhausted,
    /// Too many requests are already queued for the peer's concurrency limit.
    #[error("too many queued requests")]
    QueueFull,
    /// The server did not enable Extended CONNECT (RFC 8441 §3).
    #[error("the server does not support Extended CONNECT")]
    ExtendedConnectUnsupported,
    /// Too many PINGs are awaiting acknowledgment.
    #[error("too many pings in flight")]
    TooManyPings,
    /// The head's field section is larger than the peer's `SETTINGS_MAX_HEADER_LIST_SIZE`
    /// (RFC 9113 §6.5.2, §10.5.1): the peer would refuse it, so it is not sent.
    #[error("header list of {size} octets exceeds the peer's limit of {limit}")]
    HeaderListTooLarge {
        /// The section's size as RFC 9113 counts it (name + value + 32 per field).
        size: usize,
        /// The peer's `SETTINGS_MAX_HEADER_LIST_SIZE`.
        limit: u32,
    },
    /// The head's Content-Length cannot be parsed (RFC 9110 §8.6): the message would be
    /// malformed (RFC 9113 §8.1.1).
    #[error("invalid Content-Length: {0}")]
    InvalidContentLength(stator_http::body::ContentLengthError),
    /// The content sent does not match the Content-Length we declared (RFC 9113 §8.1.1):
    /// more than declared (nothing was sent, the stream is unchanged), or the message was
    /// ended short (nothing was sent and the stream was reset with `INTERNAL_ERROR`, so
    /// the peer never sees a malformed message; an [`Event::Reset`](super::Event::Reset)
    /// follows). A request head that ends the stream while declaring content is refused
    /// before it has a stream: `stream` is then 0.
    #[error("stream {stream}: {error}")]
    ContentLength {
        /// The stream (0 for a request head refused before it was given one).
        stream: StreamId,
        /// How the content and the Content-Length disagree.
        error: stator_http::body::BodyError,
    },
}
