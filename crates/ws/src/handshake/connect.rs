//! The Extended CONNECT handshake of WebSocket over HTTP/2 (RFC 8441 §4-§5) and HTTP/3
//! (RFC 9220 §3), on `http` crate heads.
//!
//! The request is a `CONNECT` whose `:protocol` pseudo-header is `websocket`, carried as a
//! [`Protocol`] in the request's extensions, with `:scheme`, `:authority` and `:path` in
//! its URI. There is no Sec-WebSocket-Key, no Sec-WebSocket-Accept, and no Upgrade or
//! Connection header (RFC 8441 §5). The server answers 200; the client accepts any 2xx.
//! After that the stream's DATA carries the WebSocket frames: a Close frame is followed by
//! the end of the stream (`END_STREAM`, FIN), and an abort resets it
//! (`RST_STREAM(CANCEL)`, `H3_REQUEST_CANCELLED`).
//!
//! Subprotocol and extension negotiation is the same code as over HTTP/1.1.
//!
//! ```
//! use stator_ws::handshake::{connect, AcceptOptions, ClientOptions};
//!
//! let options = ClientOptions::new("wss://example.com/chat".parse()?);
//! let (request, offer) = connect::client_request(&options)?;
//! assert_eq!(request.uri, "https://example.com/chat");
//! let valid = connect::check_request(&request)?;
//! let (response, negotiated) = connect::accept(&valid, &AcceptOptions::default())?;
//! assert_eq!(response.status, 200);
//! assert_eq!(connect::check_response(&response, &offer)?, negotiated);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use http::header::{CONNECTION, HOST, SEC_WEBSOCKET_VERSION, TE, TRANSFER_ENCODING, UPGRADE};
use http::uri::{PathAndQuery, Scheme};
use http::{HeaderName, HeaderValue, Method, StatusCode, Uri, request, response};
use stator_http::ext::Protocol;

use super::h1::target;
use super::negotiate::{self, HANDSHAKE_HEADERS};
use super::{
    AcceptOptions, BuildError, ClientOffer, ClientOptions, Negotiated, Offer, RequestError,
    ResponseError, VERSION,
};

/// Headers that may not be added to an Extended CONNECT request or its response: the
/// handshake's own, and the connection-specific ones HTTP/2 and HTTP/3 forbid
/// (RFC 9113 §8.2.2, RFC 9114 §4.2).
fn reserved() -> Vec<HeaderName> {
    let mut names = HANDSHAKE_HEADERS.to_vec();
    names.extend([
        HOST,
        TE,
        TRANSFER_ENCODING,
        HeaderName::from_static("keep-alive"),
        HeaderName::from_static("proxy-connection"),
    ]);
    names
}

/// Builds the client's Extended CONNECT (RFC 8441 §4-§5): method CONNECT, `:protocol`
/// `websocket` in the extensions, URI `https` for `wss` (`http` for `ws`) with the
/// authority and path of `options.uri`, `sec-websocket-version: 13`, the offered
/// subprotocols and extensions, then the extra headers.
///
/// The request's [`Version`](http::Version) is left for the HTTP/2 or HTTP/3 machine to
/// set; `options.host` is not used (`:authority` comes from the URI).
pub fn client_request(
    options: &ClientOptions,
) -> Result<(request::Parts, ClientOffer), BuildError> {
    let (secure, authority) = target(&options.uri)?;
    let path = options
        .uri
        .path_and_query()
        .filter(|p| !p.as_str().is_empty())
        .cloned()
        .unwrap_or_else(|| PathAndQuery::from_static("/"));
    let uri = Uri::builder()
        .scheme(if secure { Scheme::HTTPS } else { Scheme::HTTP })
        .authority(authority)
        .path_and_query(path)
        .build()
        .map_err(|_| BuildError::MissingAuthority)?;
    let (mut parts, ()) = http::Request::new(()).into_parts();
    parts.method = Method::CONNECT;
    parts.uri = uri;
    parts.extensions.insert(Protocol::WEBSOCKET);
    let offer = negotiate::write_offer(options, &reserved(), &mut parts.headers)?;
    Ok((parts, offer))
}

/// Checks a server's answer to [`client_request`]: any 2xx (RFC 8441 §5 and RFC 9220 §3
/// defer to the successful response of CONNECT, RFC 9110 §9.3.6), and a subprotocol and
/// extensions among those offered (RFC 6455 §4.1 items 5-6).
///
/// Any error means the client must fail the WebSocket connection (reset the stream).
pub fn check_response(
    response: &response::Parts,
    offer: &ClientOffer,
) -> Result<Negotiated, ResponseError> {
    if !response.status.is_success() {
        return Err(ResponseError::UnexpectedStatus(response.status));
    }
    negotiate::check_answer(&response.headers, offer)
}

/// Checks a client's Extended CONNECT (RFC 8441 §4-§5, RFC 9220 §3): CONNECT,
/// `:protocol` `websocket`, `:scheme`, `:authority` and `:path` present, no Upgrade or
/// Connection, `sec-websocket-version: 13`, well-formed subprotocols and extensions. No
/// key is needed (RFC 8441 §5).
///
/// The HTTP/2 or HTTP/3 machine must have checked `SETTINGS_ENABLE_CONNECT_PROTOCOL`
/// before it let `:protocol` through (RFC 8441 §3).
pub fn check_request(request: &request::Parts) -> Result<Offer, RequestError> {
    if request.method != Method::CONNECT {
        return Err(RequestError::MethodNotConnect(request.method.clone()));
    }
    let protocol = request
        .extensions
        .get::<Protocol>()
        .ok_or(RequestError::MissingProtocol)?;
    if protocol.as_str() != Protocol::WEBSOCKET.as_str() {
        return Err(RequestError::UnsupportedProtocol(
            protocol.as_str().to_owned(),
        ));
    }
    // An `http::Uri` with a scheme always has an authority and a path ("/" at least), so
    // this one check covers all three pseudo-headers RFC 8441 §4 requires; what it
    // catches is a plain CONNECT's authority-form target.
    if request.uri.scheme().is_none() {
        return Err(RequestError::MissingScheme);
    }
    for name in [UPGRADE, CONNECTION] {
        if request.headers.contains_key(&name) {
            return Err(RequestError::ConnectionSpecificHeader(name));
        }
    }
    negotiate::check_version(&request.headers)?;
    negotiate::read_offer(&request.headers)
}

/// Builds the server's `200` for a valid Extended CONNECT (RFC 8441 §5): the chosen
/// subprotocol and extensions, then the extra headers.
pub fn accept(
    offer: &Offer,
    options: &AcceptOptions,
) -> Result<(response::Parts, Negotiated), BuildError> {
    let (mut parts, ()) = http::Response::new(()).into_parts();
    parts.status = StatusCode::OK;
    let negotiated = negotiate::answer(offer, options, &reserved(), &mut parts.headers)?;
    Ok((parts, negotiated))
}

/// Builds the response that refuses an Extended CONNECT with `error`.
///
/// The status is [`RequestError::status`], except that 426 becomes 400: a 426 must carry
/// an Upgrade header (RFC 9110 §15.5.22), which HTTP/2 and HTTP/3 forbid. A version
/// problem lists `sec-websocket-version: 13`, as RFC 6455 §4.4's own 400 example does.
pub fn reject(error: &RequestError) -> response::Parts {
    let (mut parts, ()) = http::Response::new(()).into_parts();
    parts.status = match error.status() {
        StatusCode::UPGRADE_REQUIRED => StatusCode::BAD_REQUEST,
        status => status,
    };
    if error.advertises_version() {
        parts
            .headers
            .insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static(VERSION));
    }
    parts
}
