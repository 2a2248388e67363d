//! What a received head says about its message and the connection: how the content is
//! delimited (RFC 9112 §6.3), whether the connection persists (§9.3), whether it may
//! switch protocols (RFC 9110 §7.8, §9.3.6) and whether the client waits for 100 Continue
//! (RFC 9110 §10.1.1).
//!
//! Content-Length and which messages have content come from `stator-http`
//! ([`BodyLength`]); Transfer-Encoding, which is HTTP/1.1 only, is read here. Anything
//! that lets two parsers disagree on where a message ends is refused (request smuggling):
//! Content-Length together with Transfer-Encoding, conflicting Content-Lengths, codings we
//! cannot undo, chunked that is not last or not alone.

use http::header::{CONNECTION, EXPECT, TRANSFER_ENCODING, UPGRADE};
use http::{HeaderMap, Method, StatusCode, Version, request, response};
use stator_http::body::{BodyLength, response_has_content};

use crate::error::Violation;
use crate::limits::Limits;
use crate::parse::{Seen, is_tchar};

/// How a message's content is delimited on the wire (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Framing {
    /// No content: the message ends with its head.
    Empty,
    /// Exactly this many octets (Content-Length).
    Length(u64),
    /// The chunked transfer coding (RFC 9112 §7.1), possibly with trailers.
    Chunked,
    /// Until the connection closes: a response without Content-Length or chunked
    /// (RFC 9112 §6.3 item 8). The connection cannot be reused.
    UntilClose,
}

/// How the connection may leave HTTP/1.1 after this exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Switch {
    /// The request carries `Upgrade` (and `Connection: upgrade`); a 101 switches
    /// (RFC 9110 §7.8).
    Upgrade,
    /// A CONNECT request; a 2xx turns the connection into a tunnel (RFC 9110 §9.3.6).
    Connect,
}

/// What a request head means for the exchange it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RequestMeta {
    pub(crate) framing: Framing,
    /// The client asks for the connection to persist (RFC 9112 §9.3).
    pub(crate) keep_alive: bool,
    pub(crate) switch: Option<Switch>,
    /// `Expect: 100-continue` in an HTTP/1.1 request (RFC 9110 §10.1.1).
    pub(crate) expect_continue: bool,
}

/// The `Connection` options that matter to framing (RFC 9110 §7.6.1), case-insensitive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ConnectionOptions {
    pub(crate) close: bool,
    pub(crate) keep_alive: bool,
    pub(crate) upgrade: bool,
}

impl ConnectionOptions {
    /// Adds the options of one `Connection` field line.
    pub(crate) fn add(&mut self, value: &http::HeaderValue) {
        for token in value.as_bytes().split(|&b| b == b',') {
            let token = token.trim_ascii();
            if token.eq_ignore_ascii_case(b"close") {
                self.close = true;
            } else if token.eq_ignore_ascii_case(b"keep-alive") {
                self.keep_alive = true;
            } else if token.eq_ignore_ascii_case(b"upgrade") {
                self.upgrade = true;
            }
        }
    }
}

pub(crate) fn connection_options(headers: &HeaderMap) -> ConnectionOptions {
    let mut options = ConnectionOptions::default();
    for value in headers.get_all(CONNECTION) {
        options.add(value);
    }
    options
}

/// RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
pub(crate) fn persistent(version: Version, options: ConnectionOptions) -> bool {
    if options.close {
        return false;
    }
    version == Version::HTTP_11 || options.keep_alive
}

/// What a received request head says (RFC 9112 §6.3 items 3–7).
pub(crate) fn request_meta(
    head: &request::Parts,
    seen: Seen,
    limits: &Limits,
) -> Result<RequestMeta, Violation> {
    let headers = &head.headers;
    let options = if seen.connection {
        connection_options(headers)
    } else {
        ConnectionOptions::default()
    };
    let framing = if seen.transfer_encoding {
        // §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
        if head.version == Version::HTTP_10 {
            return Err(Violation::TransferEncodingInHttp10);
        }
        // §6.1, §6.3 item 3: both is a smuggling vector; we refuse rather than prefer one.
        if seen.content_length {
            return Err(Violation::ContentLengthAndTransferEncoding);
        }
        chunked_only(headers, true)?;
        Framing::Chunked
    } else if !seen.content_length {
        // RFC 9112 §6.3 item 7: a request without framing fields has no content.
        Framing::Empty
    } else {
        match BodyLength::for_request(&head.method, headers)? {
            // RFC 9112 §6.3 item 7: a request without framing fields has no content;
            // CONNECT has none either (its bytes are the tunnel's).
            BodyLength::Exact(0)
            | BodyLength::UntilEnd
            | BodyLength::Tunnel
            | BodyLength::NoContent => Framing::Empty,
            BodyLength::Exact(n) => Framing::Length(n),
        }
    };
    if let Framing::Length(n) = framing
        && n > limits.max_content_length
    {
        return Err(Violation::ContentTooLarge);
    }
    let (switch, expect_continue) = if seen.upgrade || seen.expect || head.method == Method::CONNECT
    {
        proposals(head, options)
    } else {
        (None, false)
    };
    Ok(RequestMeta {
        framing,
        keep_alive: persistent(head.version, options),
        switch,
        expect_continue,
    })
}

/// What a request proposes beyond its own exchange, whether we send it or receive it: a
/// protocol switch, and waiting for 100 Continue.
pub(crate) fn proposals(
    head: &request::Parts,
    options: ConnectionOptions,
) -> (Option<Switch>, bool) {
    let http11 = head.version == Version::HTTP_11;
    let switch = if head.method == Method::CONNECT {
        Some(Switch::Connect)
    } else if http11 && options.upgrade && head.headers.contains_key(UPGRADE) {
        // RFC 9110 §7.8: Upgrade is ignored in HTTP/1.0 and without Connection: upgrade.
        Some(Switch::Upgrade)
    } else {
        None
    };
    // RFC 9110 §10.1.1: ignored in an HTTP/1.0 request.
    let expect_continue = http11
        && head.headers.get_all(EXPECT).iter().any(|v| {
            v.as_bytes()
                .trim_ascii()
                .eq_ignore_ascii_case(b"100-continue")
        });
    (switch, expect_continue)
}

/// The framing of a received response to a request with `method` (RFC 9112 §6.3).
/// `None` for a 2xx to CONNECT: the connection becomes a tunnel.
pub(crate) fn response_framing(
    method: &Method,
    head: &response::Parts,
) -> Result<Option<Framing>, Violation> {
    let status = head.status;
    // §6.3 items 1–2: these end with their head whatever their fields say.
    if !response_has_content(method, status) {
        return Ok(Some(Framing::Empty));
    }
    if method == Method::CONNECT && status.is_success() {
        return Ok(None);
    }
    let headers = &head.headers;
    if headers.contains_key(TRANSFER_ENCODING) {
        if head.version == Version::HTTP_10 {
            return Err(Violation::TransferEncodingInHttp10);
        }
        // §6.3 item 3: "ought to be handled as an error".
        if headers.contains_key(http::header::CONTENT_LENGTH) {
            return Err(Violation::ContentLengthAndTransferEncoding);
        }
        chunked_only(headers, false)?;
        return Ok(Some(Framing::Chunked));
    }
    Ok(Some(
        match BodyLength::for_response(method, status, headers)? {
            BodyLength::Exact(0) | BodyLength::NoContent => Framing::Empty,
            BodyLength::Exact(n) => Framing::Length(n),
            BodyLength::UntilEnd | BodyLength::Tunnel => Framing::UntilClose,
        },
    ))
}

/// Checks that Transfer-Encoding (all its lines, RFC 9110 §5.3) is exactly `chunked`,
/// the only coding we can undo. In a request a final coding other than chunked is a 400
/// (§6.3 item 4); in a response it would mean close-delimited content still coded, which
/// we cannot hand out as content either.
fn chunked_only(headers: &HeaderMap, is_request: bool) -> Result<(), Violation> {
    let mut chunked = 0_u32;
    let mut other = false;
    let mut last_is_chunked = false;
    let mut any = false;
    for value in headers.get_all(TRANSFER_ENCODING) {
        for element in value.as_bytes().split(|&b| b == b',') {
            let element = element.trim_ascii();
            // RFC 9110 §5.6.1: empty list elements are ignored.
            if element.is_empty() {
                continue;
            }
            any = true;
            let (name, params) = match element.iter().position(|&b| b == b';') {
                Some(i) => (
                    element.get(..i).unwrap_or_default().trim_ascii(),
                    Some(element.get(i..).unwrap_or_default()),
                ),
                None => (element, None),
            };
            if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
                return Err(Violation::InvalidTransferEncoding);
            }
            last_is_chunked = name.eq_ignore_ascii_case(b"chunked");
            if last_is_chunked {
                // RFC 9112 §7: chunked has no parameters.
                if params.is_some() {
                    return Err(Violation::InvalidTransferEncoding);
                }
                chunked = chunked.saturating_add(1);
            } else {
                other = true;
            }
        }
    }
    if !any {
        return Err(Violation::InvalidTransferEncoding);
    }
    if chunked > 1 {
        return Err(Violation::ChunkedTwice);
    }
    if !last_is_chunked {
        return Err(if is_request {
            Violation::ChunkedNotFinal
        } else {
            Violation::UnsupportedTransferCoding
        });
    }
    if other {
        return Err(Violation::UnsupportedTransferCoding);
    }
    Ok(())
}

/// Whether a response keeps the connection open, from its own version and fields.
pub(crate) fn response_keep_alive(head: &response::Parts) -> bool {
    persistent(head.version, connection_options(&head.headers))
}

/// Whether `status` switches protocols for a request that proposed `switch`.
pub(crate) fn switches(switch: Option<Switch>, status: StatusCode) -> bool {
    match switch {
        Some(Switch::Upgrade) => status == StatusCode::SWITCHING_PROTOCOLS,
        Some(Switch::Connect) => status.is_success(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn te(values: &[&'static str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(TRANSFER_ENCODING, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn transfer_codings() {
        use Violation as V;
        assert_eq!(chunked_only(&te(&["chunked"]), true), Ok(()));
        assert_eq!(chunked_only(&te(&["Chunked"]), true), Ok(()));
        assert_eq!(chunked_only(&te(&[" , chunked"]), true), Ok(()));
        assert_eq!(chunked_only(&te(&["gzip"]), true), Err(V::ChunkedNotFinal));
        assert_eq!(
            chunked_only(&te(&["gzip"]), false),
            Err(V::UnsupportedTransferCoding)
        );
        assert_eq!(
            chunked_only(&te(&["chunked, gzip"]), true),
            Err(V::ChunkedNotFinal)
        );
        assert_eq!(
            chunked_only(&te(&["gzip, chunked"]), true),
            Err(V::UnsupportedTransferCoding)
        );
        assert_eq!(
            chunked_only(&te(&["foo", "chunked"]), true),
            Err(V::UnsupportedTransferCoding)
        );
        assert_eq!(
            chunked_only(&te(&["chunked", "chunked"]), true),
            Err(V::ChunkedTwice)
        );
        assert_eq!(
            chunked_only(&te(&["chunked;a=b"]), true),
            Err(V::InvalidTransferEncoding)
        );
        assert_eq!(
            chunked_only(&te(&[""]), true),
            Err(V::InvalidTransferEncoding)
        );
        assert_eq!(
            chunked_only(&te(&["chun ked"]), true),
            Err(V::InvalidTransferEncoding)
        );
        assert_eq!(
            chunked_only(&te(&["\"chunked\""]), true),
            Err(V::InvalidTransferEncoding)
        );
    }

    #[test]
    fn persistence() {
        let o = |close, keep_alive| ConnectionOptions {
            close,
            keep_alive,
            upgrade: false,
        };
        assert!(persistent(Version::HTTP_11, o(false, false)));
        assert!(!persistent(Version::HTTP_11, o(true, false)));
        assert!(!persistent(Version::HTTP_10, o(false, false)));
        assert!(persistent(Version::HTTP_10, o(false, true)));
        assert!(!persistent(Version::HTTP_10, o(true, true)));
        let mut h = HeaderMap::new();
        h.append(CONNECTION, HeaderValue::from_static("Keep-Alive, Upgrade"));
        h.append(CONNECTION, HeaderValue::from_static("foo ,CLOSE"));
        assert_eq!(
            connection_options(&h),
            ConnectionOptions {
                close: true,
                keep_alive: true,
                upgrade: true
            }
        );
    }

    #[test]
    fn switching() {
        assert!(switches(
            Some(Switch::Upgrade),
            StatusCode::SWITCHING_PROTOCOLS
        ));
        assert!(!switches(Some(Switch::Upgrade), StatusCode::OK));
        assert!(switches(Some(Switch::Connect), StatusCode::OK));
        assert!(!switches(Some(Switch::Connect), StatusCode::FORBIDDEN));
        assert!(!switches(None, StatusCode::SWITCHING_PROTOCOLS));
    }
}
