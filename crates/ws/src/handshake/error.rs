//! The handshake's errors, one enum per party at fault.
//!
//! - [`RequestError`]: the client's opening handshake is not acceptable; the server
//!   answers with [`RequestError::status`] (RFC 6455 §4.2.1, §4.4; RFC 8441 §5).
//! - [`ResponseError`]: the server's answer is not acceptable; the client must fail the
//!   WebSocket connection (RFC 6455 §4.1).
//! - [`HeadError`]: the HTTP/1.1 head itself could not be read (standalone handshake).
//! - [`BuildError`]: the local caller asked for something the protocol does not allow.
//! - [`HandshakeError`]: any of these, as returned by the handshake machines.

use http::{HeaderName, Method, StatusCode, Version};

use crate::extension::{DeflateError, ExtensionError};

/// Why a server refuses a client's opening handshake.
///
/// [`status`](RequestError::status) is the HTTP/1.1 status to answer with; the
/// `reject` helpers of [`h1`](super::h1) and [`connect`](super::connect) build the whole
/// response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// HTTP/1.1: the method is not GET (RFC 6455 §4.2.1 item 1).
    #[error("opening handshake uses method {0}, not GET")]
    MethodNotGet(Method),
    /// HTTP/1.1: the request is older than HTTP/1.1 (RFC 6455 §4.2.1 item 1).
    #[error("opening handshake over {0:?}, not HTTP/1.1 or later")]
    HttpVersionTooOld(Version),
    /// HTTP/1.1: no Host header (RFC 6455 §4.2.1 item 2).
    #[error("opening handshake without Host")]
    MissingHost,
    /// HTTP/1.1: Upgrade is missing or does not list `websocket` (RFC 6455 §4.2.1 item 3).
    #[error("Upgrade does not list websocket")]
    UpgradeNotWebSocket,
    /// HTTP/1.1: Connection is missing or does not list `upgrade` (RFC 6455 §4.2.1 item 4).
    #[error("Connection does not list upgrade")]
    ConnectionNotUpgrade,
    /// HTTP/1.1: no Sec-WebSocket-Key (RFC 6455 §4.2.1 item 5).
    #[error("no Sec-WebSocket-Key")]
    MissingKey,
    /// HTTP/1.1: Sec-WebSocket-Key is not base64 of 16 bytes (RFC 6455 §4.2.1 item 5).
    #[error("Sec-WebSocket-Key is not base64 of 16 bytes")]
    InvalidKey,
    /// No Sec-WebSocket-Version (RFC 6455 §4.2.1 item 6).
    #[error("no Sec-WebSocket-Version")]
    MissingVersion,
    /// A Sec-WebSocket-Version other than 13 (RFC 6455 §4.2.2 item 4, §4.4).
    #[error("unsupported Sec-WebSocket-Version {0:?}")]
    UnsupportedVersion(String),
    /// A header that must appear at most once appears more often (RFC 6455 §11.3,
    /// RFC 9112 §3.2 for Host).
    #[error("header {0} appears more than once")]
    DuplicateHeader(HeaderName),
    /// Sec-WebSocket-Protocol is not a comma-separated list of tokens (RFC 6455 §4.1
    /// item 10).
    #[error("Sec-WebSocket-Protocol is not a list of tokens")]
    InvalidSubprotocols,
    /// A subprotocol is listed twice (RFC 6455 §4.1 item 10: they must be unique).
    #[error("subprotocol {0:?} listed twice")]
    DuplicateSubprotocol(String),
    /// Sec-WebSocket-Extensions does not match RFC 6455 §9.1.
    #[error("malformed Sec-WebSocket-Extensions: {0}")]
    InvalidExtensions(ExtensionError),
    /// HTTP/1.1: the request announces a body (Content-Length other than 0, or
    /// Transfer-Encoding), so the bytes after its head would not be WebSocket frames.
    #[error("opening handshake carries a body")]
    UnexpectedBody,
    /// Extended CONNECT: the method is not CONNECT (RFC 8441 §4).
    #[error("Extended CONNECT uses method {0}")]
    MethodNotConnect(Method),
    /// Extended CONNECT: a CONNECT without `:protocol` is a plain tunnel request, not a
    /// WebSocket (RFC 8441 §4).
    #[error("CONNECT without :protocol")]
    MissingProtocol,
    /// Extended CONNECT: `:protocol` is not `websocket` (RFC 9220 §3: 501).
    #[error("unsupported :protocol {0:?}")]
    UnsupportedProtocol(String),
    /// Extended CONNECT: no `:scheme`, so no `:path` either (RFC 8441 §4 requires both):
    /// the target is a plain CONNECT's authority-form.
    #[error("Extended CONNECT without :scheme and :path")]
    MissingScheme,
    /// Extended CONNECT: an Upgrade or Connection header, which RFC 8441 §5 forbids.
    #[error("Extended CONNECT carries connection-specific header {0}")]
    ConnectionSpecificHeader(HeaderName),
}

impl RequestError {
    /// The HTTP/1.1 status to answer with.
    ///
    /// 426 (Upgrade Required) when the request lacks the upgrade to WebSocket version 13
    /// (RFC 6455 §4.2.2 item 4; RFC 9110 §15.5.22), 501 (Not Implemented) for an unknown
    /// `:protocol` (RFC 9220 §3), 400 (Bad Request) otherwise (RFC 6455 §4.2.1). Over
    /// HTTP/2 and HTTP/3, which cannot carry the Upgrade header a 426 requires,
    /// [`connect::reject`](super::connect::reject) answers 400 instead.
    pub fn status(&self) -> StatusCode {
        match self {
            RequestError::UpgradeNotWebSocket
            | RequestError::ConnectionNotUpgrade
            | RequestError::MissingVersion
            | RequestError::UnsupportedVersion(_) => StatusCode::UPGRADE_REQUIRED,
            RequestError::UnsupportedProtocol(_) => StatusCode::NOT_IMPLEMENTED,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// Whether the rejection should list the supported versions in Sec-WebSocket-Version
    /// (RFC 6455 §4.4).
    pub fn advertises_version(&self) -> bool {
        matches!(
            self,
            RequestError::MissingVersion | RequestError::UnsupportedVersion(_)
        )
    }
}

/// Why a client fails the connection on the server's answer (RFC 6455 §4.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// Not 101 over HTTP/1.1 (RFC 6455 §4.1), not 2xx over HTTP/2 or HTTP/3 (RFC 8441 §5).
    #[error("handshake answered with status {0}")]
    UnexpectedStatus(StatusCode),
    /// HTTP/1.1: Upgrade is missing or is not `websocket` (RFC 6455 §4.1 item 2).
    #[error("response Upgrade is not websocket")]
    UpgradeNotWebSocket,
    /// HTTP/1.1: Connection is missing or does not list `upgrade` (RFC 6455 §4.1 item 3).
    #[error("response Connection does not list upgrade")]
    ConnectionNotUpgrade,
    /// HTTP/1.1: no Sec-WebSocket-Accept (RFC 6455 §4.1 item 4).
    #[error("no Sec-WebSocket-Accept")]
    MissingAccept,
    /// HTTP/1.1: Sec-WebSocket-Accept does not match the key sent (RFC 6455 §4.1 item 4).
    #[error("Sec-WebSocket-Accept does not match the key")]
    AcceptMismatch,
    /// A header that must appear at most once in a response appears more often
    /// (RFC 6455 §11.3.2-§11.3.4).
    #[error("response header {0} appears more than once")]
    DuplicateHeader(HeaderName),
    /// Sec-WebSocket-Protocol is not a single token (RFC 6455 §4.3).
    #[error("response Sec-WebSocket-Protocol is not a token")]
    InvalidSubprotocol,
    /// The server chose a subprotocol the client did not offer (RFC 6455 §4.1 item 6).
    #[error("server chose subprotocol {0:?}, which was not offered")]
    SubprotocolNotOffered(String),
    /// Sec-WebSocket-Extensions does not match RFC 6455 §9.1.
    #[error("malformed response Sec-WebSocket-Extensions: {0}")]
    InvalidExtensions(ExtensionError),
    /// The server accepted an extension the client did not offer (RFC 6455 §4.1 item 5).
    #[error("server accepted extension {0:?}, which was not offered")]
    ExtensionNotOffered(String),
    /// The server accepted the same extension twice.
    #[error("server accepted extension {0:?} twice")]
    DuplicateExtension(String),
    /// The server's permessage-deflate parameters are invalid or not allowed by the offer
    /// (RFC 7692 §7.1).
    #[error("permessage-deflate response: {0}")]
    Deflate(DeflateError),
}

/// Why an HTTP/1.1 head could not be read (RFC 9112 §2-§5).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeadError {
    /// The head did not end within the configured number of bytes.
    #[error("head larger than {limit} bytes")]
    TooLarge {
        /// The limit, [`HeadLimits::max_head_size`](super::codec::HeadLimits).
        limit: usize,
    },
    /// The head has more header lines than configured.
    #[error("more than {limit} header fields")]
    TooManyHeaders {
        /// The limit, [`HeadLimits::max_headers`](super::codec::HeadLimits).
        limit: usize,
    },
    /// A line ends in a bare LF; Stator requires CRLF (RFC 9112 §2.2) so that no two
    /// parsers can disagree on where the head ends.
    #[error("bare LF in head")]
    BareLf,
    /// The request line or status line is malformed (RFC 9112 §3, §4).
    #[error("malformed start line")]
    InvalidStartLine,
    /// The method is not a token (RFC 9110 §9.1).
    #[error("invalid method")]
    InvalidMethod,
    /// The request-target is not a URI reference (RFC 9112 §3.2).
    #[error("invalid request-target")]
    InvalidTarget,
    /// The HTTP version is not HTTP/1.0 or HTTP/1.1 (RFC 9112 §2.3).
    #[error("invalid HTTP version")]
    InvalidVersion,
    /// The status code is not three digits (RFC 9112 §4).
    #[error("invalid status code")]
    InvalidStatus,
    /// A header name is not a token (RFC 9110 §5.1), or obsolete line folding.
    #[error("invalid header name")]
    InvalidHeaderName,
    /// A header value has a forbidden byte (RFC 9110 §5.5).
    #[error("invalid header value")]
    InvalidHeaderValue,
    /// A line does not end in CRLF where one must (RFC 9112 §2.2).
    #[error("invalid line ending")]
    InvalidNewLine,
}

impl HeadError {
    /// The status a server answers an unreadable request head with: 431 (Request Header
    /// Fields Too Large, RFC 6585 §5) for the limits, 400 otherwise.
    pub fn status(&self) -> StatusCode {
        match self {
            HeadError::TooLarge { .. } | HeadError::TooManyHeaders { .. } => {
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
            }
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// The local caller asked for a handshake the protocol does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The URI's scheme is not `ws`, `wss`, `http` or `https` (RFC 6455 §3; RFC 8441 §5).
    #[error("URI scheme {0:?} is not ws, wss, http or https")]
    UnsupportedScheme(String),
    /// The URI has no authority to put in Host or `:authority`.
    #[error("URI without authority")]
    MissingAuthority,
    /// A subprotocol that is not a token (RFC 6455 §4.1 item 10).
    #[error("subprotocol {0:?} is not a token")]
    InvalidSubprotocol(String),
    /// A subprotocol listed twice (RFC 6455 §4.1 item 10).
    #[error("subprotocol {0:?} listed twice")]
    DuplicateSubprotocol(String),
    /// An extra header that the handshake sets itself (or, over HTTP/2 and HTTP/3, one
    /// that is connection-specific).
    #[error("header {0} is set by the handshake")]
    ReservedHeader(HeaderName),
}

/// Any failure of a handshake machine ([`ClientHandshake`](super::ClientHandshake),
/// [`ServerHandshake`](super::ServerHandshake)).
///
/// Errors are sticky: once a machine returned one, it returns the same one from every
/// later call and does no more work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The peer's head could not be read.
    #[error(transparent)]
    Head(#[from] HeadError),
    /// The client's request is not a valid opening handshake (server side).
    #[error(transparent)]
    Request(#[from] RequestError),
    /// The server's response is not acceptable (client side).
    #[error(transparent)]
    Response(#[from] ResponseError),
    /// The local caller's options are not allowed.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The client sent more than [`max_early_data`](super::codec::HeadLimits) bytes
    /// after its request while the server had not decided yet.
    #[error("more than {limit} bytes received before the handshake completed")]
    TooMuchEarlyData {
        /// The limit.
        limit: usize,
    },
    /// The call does not fit the machine's state (for example `accept` before a request
    /// arrived, or `recv` after the handshake completed).
    #[error("handshake machine misused: {0}")]
    InvalidState(&'static str),
}
