//! The HTTP/1.1 opening handshake (RFC 6455 §4) on `http` crate heads.
//!
//! Client: [`client_request`] builds the GET with its fresh key, [`check_response`] checks
//! the server's 101. Server: [`check_request`] validates the GET, [`accept`] builds the
//! 101, [`reject`] the error response. [`ClientHandshake`](super::ClientHandshake) and
//! [`ServerHandshake`](super::ServerHandshake) wrap them around a byte stream.
//!
//! ```
//! use stator_ws::handshake::{h1, AcceptOptions, ClientOptions};
//! use stator_wire::rand::SeededRandom;
//!
//! let options = ClientOptions::new("ws://example.com/chat".parse()?);
//! let (request, expected) = h1::client_request(&options, &mut SeededRandom::new(7))?;
//! let valid = h1::check_request(&request)?;
//! let (response, negotiated) = h1::accept(&valid, &AcceptOptions::default())?;
//! assert_eq!(response.status, 101);
//! assert_eq!(h1::check_response(&response, &expected)?, negotiated);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use http::header::{
    CONNECTION, CONTENT_LENGTH, HOST, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY,
    SEC_WEBSOCKET_VERSION, TRANSFER_ENCODING, UPGRADE,
};
use http::{HeaderValue, Method, StatusCode, Version, request, response};
use stator_wire::rand::Random;

use super::negotiate::{self, HANDSHAKE_HEADERS, has_token, single};
use super::{
    AcceptOptions, BuildError, ClientOffer, ClientOptions, Negotiated, Offer, RequestError,
    ResponseError, VERSION, key,
};

/// What a client keeps after sending its request, to check the server's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// The Sec-WebSocket-Key sent.
    pub key: HeaderValue,
    /// The Sec-WebSocket-Accept the server must answer with (RFC 6455 §4.1 item 4).
    pub accept: String,
    /// The subprotocols and extensions offered.
    pub offer: ClientOffer,
}

/// A client's valid opening handshake, as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRequest {
    /// The client's Sec-WebSocket-Key, which the accept is computed from.
    pub key: HeaderValue,
    /// The subprotocols and extensions it offers.
    pub offer: Offer,
}

/// The scheme-independent pieces of a WebSocket URI: is it secure, and its authority
/// without user information (RFC 6455 §3).
pub(crate) fn target(uri: &http::Uri) -> Result<(bool, String), BuildError> {
    let secure = match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("wss") || s.eq_ignore_ascii_case("https") => true,
        Some(s) if s.eq_ignore_ascii_case("ws") || s.eq_ignore_ascii_case("http") => false,
        other => {
            return Err(BuildError::UnsupportedScheme(
                other.unwrap_or_default().to_owned(),
            ));
        }
    };
    let authority = uri.authority().ok_or(BuildError::MissingAuthority)?;
    let host = match authority.port() {
        Some(port) => format!("{}:{port}", authority.host()),
        None => authority.host().to_owned(),
    };
    if host.is_empty() {
        return Err(BuildError::MissingAuthority);
    }
    Ok((secure, host))
}

/// Builds the client's opening handshake (RFC 6455 §4.1): `GET` of the URI's path and
/// query, Host, `Upgrade: websocket`, `Connection: Upgrade`, a fresh Sec-WebSocket-Key
/// from `rng`, `Sec-WebSocket-Version: 13`, the offered subprotocols and extensions, then
/// the extra headers.
///
/// The URI stays absolute in the returned head;
/// [`codec::write_request`](super::codec::write_request) writes its origin form.
pub fn client_request(
    options: &ClientOptions,
    rng: &mut dyn Random,
) -> Result<(request::Parts, Expected), BuildError> {
    let (_, authority) = target(&options.uri)?;
    let mut reserved = HANDSHAKE_HEADERS.to_vec();
    reserved.push(HOST);
    let (mut parts, ()) = http::Request::new(()).into_parts();
    parts.method = Method::GET;
    parts.uri = options.uri.clone();
    parts.version = Version::HTTP_11;
    let host = match &options.host {
        Some(h) => h.clone(),
        None => HeaderValue::try_from(authority).map_err(|_| BuildError::MissingAuthority)?,
    };
    parts.headers.insert(HOST, host);
    parts
        .headers
        .insert(UPGRADE, HeaderValue::from_static("websocket"));
    parts
        .headers
        .insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    let key = key::generate(rng);
    parts.headers.insert(SEC_WEBSOCKET_KEY, key.clone());
    let offer = negotiate::write_offer(options, &reserved, &mut parts.headers)?;
    let accept = key::accept(key.as_bytes());
    Ok((parts, Expected { key, accept, offer }))
}

/// Checks the server's answer to [`client_request`] (RFC 6455 §4.1): 101, Upgrade
/// `websocket`, Connection listing `upgrade`, the expected Sec-WebSocket-Accept, and a
/// subprotocol and extensions among those offered.
///
/// Any error means the client must fail the WebSocket connection.
pub fn check_response(
    response: &response::Parts,
    expected: &Expected,
) -> Result<Negotiated, ResponseError> {
    if response.status != StatusCode::SWITCHING_PROTOCOLS {
        return Err(ResponseError::UnexpectedStatus(response.status));
    }
    let headers = &response.headers;
    if !has_token(headers, &UPGRADE, "websocket") {
        return Err(ResponseError::UpgradeNotWebSocket);
    }
    if !has_token(headers, &CONNECTION, "upgrade") {
        return Err(ResponseError::ConnectionNotUpgrade);
    }
    let accept = single(headers, &SEC_WEBSOCKET_ACCEPT)
        .map_err(|()| ResponseError::DuplicateHeader(SEC_WEBSOCKET_ACCEPT))?
        .ok_or(ResponseError::MissingAccept)?;
    if accept.as_bytes().trim_ascii() != expected.accept.as_bytes() {
        return Err(ResponseError::AcceptMismatch);
    }
    negotiate::check_answer(headers, &expected.offer)
}

/// Checks a client's opening handshake (RFC 6455 §4.2.1): GET, HTTP/1.1 or later, one
/// Host, Upgrade listing `websocket`, Connection listing `upgrade`,
/// `Sec-WebSocket-Version: 13`, one Sec-WebSocket-Key of 16 base64-encoded bytes, no
/// body, well-formed Sec-WebSocket-Protocol and Sec-WebSocket-Extensions.
///
/// The version is checked before the key, so that a client of another version learns
/// which one to use (RFC 6455 §4.4).
pub fn check_request(request: &request::Parts) -> Result<ValidRequest, RequestError> {
    if request.method != Method::GET {
        return Err(RequestError::MethodNotGet(request.method.clone()));
    }
    if request.version < Version::HTTP_11 {
        return Err(RequestError::HttpVersionTooOld(request.version));
    }
    let headers = &request.headers;
    single(headers, &HOST)
        .map_err(|()| RequestError::DuplicateHeader(HOST))?
        .ok_or(RequestError::MissingHost)?;
    if !has_token(headers, &UPGRADE, "websocket") {
        return Err(RequestError::UpgradeNotWebSocket);
    }
    if !has_token(headers, &CONNECTION, "upgrade") {
        return Err(RequestError::ConnectionNotUpgrade);
    }
    negotiate::check_version(headers)?;
    let key = single(headers, &SEC_WEBSOCKET_KEY)
        .map_err(|()| RequestError::DuplicateHeader(SEC_WEBSOCKET_KEY))?
        .ok_or(RequestError::MissingKey)?;
    if key::decode(key.as_bytes()).is_none() {
        return Err(RequestError::InvalidKey);
    }
    // RFC 9112 §6.3: a request has a body exactly when it has Content-Length or
    // Transfer-Encoding; either would make the following bytes body, not frames.
    let empty_length = headers
        .get_all(CONTENT_LENGTH)
        .iter()
        .all(|v| v.as_bytes().trim_ascii() == b"0");
    if !empty_length || headers.contains_key(TRANSFER_ENCODING) {
        return Err(RequestError::UnexpectedBody);
    }
    let offer = negotiate::read_offer(headers)?;
    Ok(ValidRequest {
        key: key.clone(),
        offer,
    })
}

/// Builds the server's `101 Switching Protocols` for a valid request (RFC 6455 §4.2.2
/// item 5): Upgrade, Connection, Sec-WebSocket-Accept, the chosen subprotocol and
/// extensions, then the extra headers.
pub fn accept(
    request: &ValidRequest,
    options: &AcceptOptions,
) -> Result<(response::Parts, Negotiated), BuildError> {
    let (mut parts, ()) = http::Response::new(()).into_parts();
    parts.status = StatusCode::SWITCHING_PROTOCOLS;
    parts.version = Version::HTTP_11;
    parts
        .headers
        .insert(UPGRADE, HeaderValue::from_static("websocket"));
    parts
        .headers
        .insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    parts.headers.insert(
        SEC_WEBSOCKET_ACCEPT,
        key::accept_value(request.key.as_bytes()),
    );
    let negotiated = negotiate::answer(
        &request.offer,
        options,
        &HANDSHAKE_HEADERS,
        &mut parts.headers,
    )?;
    Ok((parts, negotiated))
}

/// Builds the response that refuses a request with `error`: its
/// [`status`](RequestError::status), `Content-Length: 0`, and for a 426 the
/// `Upgrade: websocket` RFC 9110 §15.5.22 requires; `Sec-WebSocket-Version: 13` when the
/// version was the problem (RFC 6455 §4.4).
pub fn reject(error: &RequestError) -> response::Parts {
    let (mut parts, ()) = http::Response::new(()).into_parts();
    parts.status = error.status();
    parts.version = Version::HTTP_11;
    if parts.status == StatusCode::UPGRADE_REQUIRED {
        parts
            .headers
            .insert(UPGRADE, HeaderValue::from_static("websocket"));
        parts
            .headers
            .insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    }
    if error.advertises_version() {
        parts
            .headers
            .insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static(VERSION));
    }
    parts
        .headers
        .insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
    parts
}

/// A response with `status` and no body, for a server that refuses a valid request
/// (authentication, origin policy, ...; RFC 6455 §4.2.2 item 2).
pub fn reject_with_status(status: StatusCode) -> response::Parts {
    let (mut parts, ()) = http::Response::new(()).into_parts();
    parts.status = status;
    parts.version = Version::HTTP_11;
    parts
        .headers
        .insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
    parts
}

/// Adds `close` to a response's Connection header, for a standalone server that ends the
/// TCP connection after answering (RFC 9112 §9.6).
pub(crate) fn add_close(parts: &mut response::Parts) {
    let value = match parts.headers.get(CONNECTION) {
        Some(v) => [v.as_bytes(), b", close"].concat(),
        None => b"close".to_vec(),
    };
    if let Ok(v) = HeaderValue::from_bytes(&value) {
        parts.headers.insert(CONNECTION, v);
    }
}
