//! Errors: the peer broke the protocol ([`RemoteError`], with the status a server answers),
//! or the application misused the API ([`LocalError`]) — h11's `RemoteProtocolError` and
//! `LocalProtocolError`.
//!
//! A remote error is fatal and sticky (STYLE.md "Errors are sticky"): a server queues one
//! error response if no response had started, the connection reports
//! [`Event::Error`](crate::Event::Error) once, and from then on every send returns the same
//! error. A local error refuses that one call and changes nothing: the machine never puts
//! a malformed message on the wire, whatever it is asked.

use http::StatusCode;
use http::header::HeaderName;
use stator_http::body::ContentLengthError;

/// Everything a call can fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The peer violated RFC 9112 or RFC 9110, or crossed a [`Limits`](crate::Limits)
    /// value, earlier on this connection; the connection is failed.
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// The application asked for something the protocol or the state forbids. Nothing was
    /// sent and the state did not change.
    #[error(transparent)]
    Local(#[from] LocalError),
    /// The output holds more than [`Limits::max_pending_output`](crate::Limits) bytes;
    /// nothing was accepted. Try again after [`Event::Writable`](crate::Event::Writable).
    #[error("the output buffer is full; wait for Event::Writable")]
    WouldBlock,
}

impl Error {
    /// The remote error, if this is one.
    pub fn remote(&self) -> Option<&RemoteError> {
        match self {
            Error::Remote(e) => Some(e),
            _ => None,
        }
    }

    /// The local error, if this is one.
    pub fn local(&self) -> Option<&LocalError> {
        match self {
            Error::Local(e) => Some(e),
            _ => None,
        }
    }
}

/// The peer broke the protocol: what it did, and the status a server answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("the peer violated HTTP/1.1 ({status}): {violation}")]
pub struct RemoteError {
    /// The status a server sends back before closing: 400, 413, 414, 431 or 501. A client
    /// sends nothing; it is there for logs.
    pub status: StatusCode,
    /// What exactly the peer did.
    pub violation: Violation,
}

impl From<Violation> for RemoteError {
    fn from(violation: Violation) -> RemoteError {
        RemoteError {
            status: violation.status(),
            violation,
        }
    }
}

/// What exactly the peer did wrong, one variant per rule, so that a test can assert the
/// cause (rustls' `PeerMisbehaved`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Violation {
    // ---- heads (RFC 9112 §2–§5) ---------------------------------------------------------
    /// The head is longer than [`Limits::max_head_size`](crate::Limits) (431).
    #[error("head larger than the limit")]
    HeadTooLarge,
    /// More field lines than [`Limits::max_headers`](crate::Limits) (431).
    #[error("more header lines than the limit")]
    TooManyHeaders,
    /// The request-target is longer than [`Limits::max_uri_len`](crate::Limits) (414).
    #[error("request-target longer than the limit")]
    UriTooLong,
    /// A line ends in LF without CR, or a CR is not followed by LF (RFC 9112 §2.2: bare CR
    /// must be rejected; we reject bare LF too, llhttp's CVE-2022-32214).
    #[error("bare CR or LF in the head")]
    BareLineEnding,
    /// A field line starts with whitespace: obsolete line folding (RFC 9112 §5.2).
    #[error("obsolete line folding")]
    ObsFold,
    /// Whitespace between a field name and its colon (RFC 9112 §5.1: 400).
    #[error("whitespace between field name and colon")]
    WhitespaceBeforeColon,
    /// A field name that is not a token (RFC 9110 §5.1).
    #[error("invalid field name")]
    InvalidHeaderName,
    /// A field value with a control character (RFC 9110 §5.5).
    #[error("invalid field value")]
    InvalidHeaderValue,
    /// The request line or status line is malformed (RFC 9112 §3, §4).
    #[error("malformed start line")]
    InvalidStartLine,
    /// An HTTP version other than HTTP/1.0 and HTTP/1.1 (RFC 9112 §2.3).
    #[error("unsupported HTTP version")]
    InvalidVersion,
    /// A request-target that is not a valid URI reference.
    #[error("invalid request-target")]
    InvalidTarget,
    /// The request-target's form does not fit the method (RFC 9112 §3.2): authority-form
    /// only with CONNECT, asterisk-form only with OPTIONS, CONNECT only in authority-form.
    #[error("request-target form not allowed with this method")]
    TargetFormNotAllowed,
    /// An HTTP/1.1 request without Host (RFC 9112 §3.2: 400).
    #[error("HTTP/1.1 request without Host")]
    MissingHost,
    /// More than one Host field line (RFC 9112 §3.2: 400).
    #[error("several Host field lines")]
    MultipleHost,
    /// A Host value that is not `uri-host [ ":" port ]` (RFC 9110 §7.2).
    #[error("invalid Host")]
    InvalidHost,
    /// A status code outside 100–599 or otherwise malformed (RFC 9110 §15).
    #[error("invalid status code")]
    InvalidStatus,

    // ---- framing (RFC 9112 §6) ----------------------------------------------------------
    /// An invalid Content-Length, or several different ones (RFC 9112 §6.3 item 5;
    /// hyper's RUSTSEC-2021-0078 accepted a `+` sign).
    #[error("invalid Content-Length: {0}")]
    ContentLength(ContentLengthError),
    /// Both Content-Length and Transfer-Encoding (RFC 9112 §6.1, §6.3 item 3: a smuggling
    /// vector; we refuse it).
    #[error("both Content-Length and Transfer-Encoding")]
    ContentLengthAndTransferEncoding,
    /// Transfer-Encoding in a request whose final coding is not chunked (RFC 9112 §6.3
    /// item 4: 400 and close).
    #[error("Transfer-Encoding whose final coding is not chunked")]
    ChunkedNotFinal,
    /// chunked applied more than once (RFC 9112 §7).
    #[error("chunked applied more than once")]
    ChunkedTwice,
    /// A transfer coding we do not implement (RFC 9112 §6.1: 501).
    #[error("unsupported transfer coding")]
    UnsupportedTransferCoding,
    /// A Transfer-Encoding value that is not a list of codings (RFC 9112 §6.1).
    #[error("malformed Transfer-Encoding")]
    InvalidTransferEncoding,
    /// Transfer-Encoding in an HTTP/1.0 message (RFC 9112 §6.1: faulty framing).
    #[error("Transfer-Encoding in an HTTP/1.0 message")]
    TransferEncodingInHttp10,
    /// A chunk size that is not 1*HEXDIG, or has junk before or after it (RFC 9112 §7.1;
    /// lenient parsers accepted `0x`, signs and spaces).
    #[error("invalid chunk size")]
    InvalidChunkSize,
    /// A chunk size larger than 64 bits can hold (RFC 9112 §7.1; hyper's
    /// RUSTSEC-2021-0079 overflowed here).
    #[error("chunk size overflows")]
    ChunkSizeOverflow,
    /// A chunk extension that is not `;name[=value]` (RFC 9112 §7.1.1).
    #[error("invalid chunk extension")]
    InvalidChunkExtension,
    /// More chunk-extension bytes than [`Limits::max_chunk_extensions`](crate::Limits).
    #[error("chunk extensions larger than the limit")]
    ChunkExtensionsTooLarge,
    /// Chunk data not followed by CRLF (RFC 9112 §7.1).
    #[error("chunk data not followed by CRLF")]
    InvalidChunkData,
    /// A trailer section larger than [`Limits::max_trailer_size`](crate::Limits) (431).
    #[error("trailer section larger than the limit")]
    TrailersTooLarge,
    /// Request content larger than [`Limits::max_content_length`](crate::Limits) (413).
    #[error("content larger than the limit")]
    ContentTooLarge,

    // ---- the connection (RFC 9112 §9) ---------------------------------------------------
    /// The connection ended in the middle of a message (RFC 9112 §8).
    #[error("connection closed in the middle of a message")]
    IncompleteMessage,
    /// A response arrived with no request outstanding.
    #[error("response without a request")]
    UnexpectedResponse,
    /// A 101 that no Upgrade asked for (RFC 9110 §15.2.2).
    #[error("101 Switching Protocols without an Upgrade request")]
    UnexpectedSwitch,
    /// More than [`Limits::max_buffered_input`](crate::Limits) bytes arrived while the
    /// machine was paused.
    #[error("too much input while paused")]
    InputOverflow,
}

impl Violation {
    /// The status a server answers this violation with.
    pub fn status(self) -> StatusCode {
        use Violation as V;
        match self {
            V::HeadTooLarge | V::TooManyHeaders | V::TrailersTooLarge => {
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
            }
            V::UriTooLong => StatusCode::URI_TOO_LONG,
            V::UnsupportedTransferCoding => StatusCode::NOT_IMPLEMENTED,
            V::ContentTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// The application misused the API; the call was refused and nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LocalError {
    /// A client method on a server or the other way round.
    #[error("not available in this role")]
    WrongRole,
    /// A head now is out of turn: a second request before the exchange ended, a response
    /// with no request to answer, or a second final response.
    #[error("a head cannot be sent now")]
    HeadOutOfTurn,
    /// Content or an end of message with no message in progress.
    #[error("no message body in progress")]
    NoBodyInProgress,
    /// Content in a message that has none: a response to HEAD, 1xx, 204, 304, a 2xx to
    /// CONNECT, or a message declared [`BodySize::Empty`](crate::BodySize::Empty)
    /// (RFC 9110 §6.4.1).
    #[error("content in a message that cannot have any")]
    ContentNotAllowed,
    /// More content than the declared Content-Length (RFC 9112 §6.2).
    #[error("more content than the declared length of {declared}")]
    TooMuchContent {
        /// The declared length.
        declared: u64,
    },
    /// The message ended before its declared Content-Length was sent.
    #[error("message ended after {sent} of {declared} octets")]
    TooLittleContent {
        /// The declared length.
        declared: u64,
        /// What was sent.
        sent: u64,
    },
    /// The head's Content-Length or Transfer-Encoding contradicts the
    /// [`BodySize`](crate::BodySize) given; the machine writes the framing fields itself.
    #[error("framing fields contradict the body size")]
    ConflictingFraming,
    /// Content-Length on a 1xx, a 204 or a 2xx to CONNECT (RFC 9110 §8.6).
    #[error("Content-Length not allowed on this response")]
    ContentLengthNotAllowed,
    /// A body of unknown length in a request to an HTTP/1.0 server or from an HTTP/1.0
    /// client, which has neither chunked nor close-delimited request content.
    #[error("unknown-length request content needs HTTP/1.1 chunked")]
    UnknownLengthRequest,
    /// Trailers on a message that is not chunked (RFC 9112 §7.1.2).
    #[error("trailers need chunked transfer coding")]
    TrailersNotAllowed,
    /// A field that must not be in a trailer section (RFC 9110 §6.5.1).
    #[error("field {0} not allowed in trailers")]
    ForbiddenTrailer(HeaderName),
    /// A field value with CR, LF or NUL (RFC 9110 §5.5), which would split the message.
    #[error("field value with CR, LF or NUL")]
    InvalidFieldValue,
    /// An HTTP/1.1 request with no Host field and no authority in its URI (RFC 9112 §3.2),
    /// or with several Host fields.
    #[error("request needs exactly one Host")]
    InvalidHost,
    /// A URI that has no request-target form for this method (RFC 9112 §3.2): CONNECT
    /// needs an authority.
    #[error("no valid request-target for this method and URI")]
    InvalidTarget,
    /// A 101 while the request did not ask for an Upgrade, or before it ended.
    #[error("101 without a matching Upgrade request")]
    UnexpectedSwitch,
    /// A 1xx to an HTTP/1.0 client (RFC 9110 §15.2), or a 1xx through the final-response
    /// method, or a final status through the informational one.
    #[error("informational response not allowed here")]
    InformationalNotAllowed,
    /// Content before the server's 100 (Continue) or final response to a request with
    /// `Expect: 100-continue` (RFC 9110 §10.1.1); see
    /// [`Connection::continue_without_100`](crate::Connection::continue_without_100).
    #[error("waiting for 100 Continue")]
    AwaitingContinue,
    /// The connection is closing or closed; nothing more can be sent.
    #[error("the connection is closed")]
    Closed,
    /// The connection switched protocols; HTTP/1.1 is over on it.
    #[error("the connection switched protocols")]
    Switched,
}

impl From<ContentLengthError> for Violation {
    fn from(e: ContentLengthError) -> Violation {
        Violation::ContentLength(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(Violation::HeadTooLarge.status(), 431);
        assert_eq!(Violation::TooManyHeaders.status(), 431);
        assert_eq!(Violation::TrailersTooLarge.status(), 431);
        assert_eq!(Violation::UriTooLong.status(), 414);
        assert_eq!(Violation::UnsupportedTransferCoding.status(), 501);
        assert_eq!(Violation::ContentTooLarge.status(), 413);
        assert_eq!(Violation::ObsFold.status(), 400);
        let e = RemoteError::from(Violation::MissingHost);
        assert_eq!(e.status, 400);
        let e = Error::from(e);
        assert_eq!(
            e.remote().map(|r| r.violation),
            Some(Violation::MissingHost)
        );
        assert!(e.local().is_none());
        assert!(e.to_string().contains("Host"));
    }
}
