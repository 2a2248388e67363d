//! What can go wrong for a client request or WebSocket.

use std::time::Duration;

/// Why a request or a WebSocket failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The URL cannot be used: no host, a scheme other than http/https/ws/wss, a bad
    /// port.
    #[error("bad URL: {0}")]
    BadUrl(&'static str),
    /// An `https`/`wss` URL, but the client was built without a [`ClientTls`](crate::tls::ClientTls).
    #[error("https needs a TLS configuration: set ClientBuilder::tls")]
    NoTls,
    /// The TCP connection could not be made.
    #[error("connect to {host}:{port}: {source}")]
    Connect {
        /// The host.
        host: String,
        /// The port.
        port: u16,
        /// Why.
        source: std::io::Error,
    },
    /// The TLS handshake failed (certificate not trusted, no common version, ...).
    #[error("TLS handshake: {0}")]
    Tls(std::io::Error),
    /// The host name is not a valid TLS server name.
    #[error("invalid TLS server name {0:?}")]
    ServerName(String),
    /// Reading or writing the socket failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// A timeout of [`ClientBuilder`](super::ClientBuilder) ran out.
    #[error("{what} timed out after {after:?}")]
    Timeout {
        /// Which timeout: "connect", "request", "idle".
        what: &'static str,
        /// Its duration.
        after: Duration,
    },
    /// The server broke HTTP/1.1 (RFC 9112).
    #[error("HTTP/1.1 protocol error: {0}")]
    H1(#[from] stator_h1::RemoteError),
    /// The HTTP/1.1 machine refused the request (conflicting framing fields, ...).
    #[error("HTTP/1.1 request refused: {0}")]
    H1Local(stator_h1::Error),
    /// The HTTP/2 connection failed (RFC 9113 §5.4.1): a protocol error, the server's
    /// GOAWAY with an error code, the transport closing mid-stream.
    #[error("HTTP/2 connection error: {0}")]
    H2(#[from] stator_h2::Error),
    /// The HTTP/2 machine refused the request (invalid head, queue full, going away,
    /// Extended CONNECT not enabled by the server).
    #[error("HTTP/2 request refused: {0}")]
    H2Local(#[from] stator_h2::LocalError),
    /// The server reset the stream (`RST_STREAM`, RFC 9113 §6.4) with this code.
    #[error("stream reset with {0}")]
    Reset(stator_h2::ErrorCode),
    /// The server refused the stream unprocessed (`REFUSED_STREAM` or beyond a GOAWAY's
    /// last stream, RFC 9113 §8.7): it is safe to retry.
    #[error("request refused by the server unprocessed (safe to retry)")]
    Refused,
    /// The connection closed before the response was complete.
    #[error("connection closed before the response was complete")]
    Closed,
    /// The response content is over the client's limit.
    #[error("response content over the limit of {limit} bytes")]
    BodyTooLarge {
        /// The limit ([`ClientBuilder::max_response_body`](super::ClientBuilder::max_response_body)).
        limit: usize,
    },
    /// The WebSocket handshake request could not be built (bad subprotocol, ...).
    #[error("WebSocket request: {0}")]
    WsBuild(#[from] stator_ws::handshake::BuildError),
    /// The server's answer to the WebSocket handshake is not an acceptance (wrong status,
    /// bad Sec-WebSocket-Accept, an extension or subprotocol that was not offered).
    #[error("WebSocket handshake: {0}")]
    WsHandshake(#[from] stator_ws::handshake::HandshakeError),
    /// The server answered the WebSocket handshake with something else than a 101/2xx.
    #[error("WebSocket refused: {0}")]
    WsResponse(#[from] stator_ws::handshake::ResponseError),
    /// The WebSocket is closed (or its connection went away).
    #[error("the WebSocket is closed")]
    WsClosed,
    /// The WebSocket machine refused the message or close (bad close code, ...).
    #[error("WebSocket refused the operation: {0}")]
    WsRefused(String),
}

impl From<crate::app::SessionError> for ClientError {
    fn from(error: crate::app::SessionError) -> Self {
        match error {
            crate::app::SessionError::Disconnected => ClientError::WsClosed,
            other => ClientError::WsRefused(other.to_string()),
        }
    }
}
