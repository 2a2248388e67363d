//! What every carrier shares: header-list helpers, Sec-WebSocket-Version, and the
//! negotiation of subprotocols (RFC 6455 §1.9, §4) and extensions (RFC 6455 §9.1,
//! RFC 7692 §7) on both sides.

use http::header::{
    CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_EXTENSIONS, SEC_WEBSOCKET_KEY,
    SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use http::{HeaderMap, HeaderName, HeaderValue};

use super::{
    AcceptOptions, BuildError, ClientOffer, ClientOptions, Negotiated, Offer, RequestError,
    ResponseError, VERSION,
};
use crate::extension::{self, PERMESSAGE_DEFLATE, is_token};

/// The headers the handshake itself writes on every carrier; callers may not add them.
pub(crate) const HANDSHAKE_HEADERS: [HeaderName; 7] = [
    SEC_WEBSOCKET_KEY,
    SEC_WEBSOCKET_ACCEPT,
    SEC_WEBSOCKET_VERSION,
    SEC_WEBSOCKET_PROTOCOL,
    SEC_WEBSOCKET_EXTENSIONS,
    UPGRADE,
    CONNECTION,
];

/// The single value of a header that must appear at most once.
///
/// `Err(())` when it appears more than once; the caller picks the error.
pub(crate) fn single<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
) -> Result<Option<&'a HeaderValue>, ()> {
    let mut all = headers.get_all(name).iter();
    let first = all.next();
    if all.next().is_some() {
        return Err(());
    }
    Ok(first)
}

/// The elements of a comma-separated list spread over every line of `name`, trimmed of
/// OWS, empty elements skipped (RFC 9110 §5.6.1).
pub(crate) fn list_elements<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
) -> impl Iterator<Item = &'a [u8]> {
    headers
        .get_all(name)
        .iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
        .map(<[u8]>::trim_ascii)
        .filter(|e| !e.is_empty())
}

/// Whether the list header `name` has an element equal to `token`, ignoring ASCII case
/// (Upgrade and Connection, RFC 9110 §7.6.1, §7.8).
pub(crate) fn has_token(headers: &HeaderMap, name: &HeaderName, token: &str) -> bool {
    list_elements(headers, name).any(|e| e.eq_ignore_ascii_case(token.as_bytes()))
}

/// Checks Sec-WebSocket-Version: exactly one, and 13 (RFC 6455 §4.2.1 item 6, §11.3.5).
pub(crate) fn check_version(headers: &HeaderMap) -> Result<(), RequestError> {
    let value = single(headers, &SEC_WEBSOCKET_VERSION)
        .map_err(|()| RequestError::DuplicateHeader(SEC_WEBSOCKET_VERSION))?
        .ok_or(RequestError::MissingVersion)?;
    if value.as_bytes().trim_ascii() != VERSION.as_bytes() {
        return Err(RequestError::UnsupportedVersion(
            String::from_utf8_lossy(value.as_bytes()).into_owned(),
        ));
    }
    Ok(())
}

/// Reads what a client's request offers: subprotocols (RFC 6455 §4.2.1 item 8) and
/// extensions (§4.2.1 item 9, §9.1).
pub(crate) fn read_offer(headers: &HeaderMap) -> Result<Offer, RequestError> {
    let mut subprotocols: Vec<String> = Vec::new();
    for line in headers.get_all(SEC_WEBSOCKET_PROTOCOL) {
        // `1#token`: every element must be a token; empty ones are tolerated (RFC 9110
        // §5.6.1), but a header listing nothing at all is malformed.
        let mut listed = false;
        for element in line
            .as_bytes()
            .split(|&b| b == b',')
            .map(<[u8]>::trim_ascii)
        {
            if element.is_empty() {
                continue;
            }
            if !is_token(element) {
                return Err(RequestError::InvalidSubprotocols);
            }
            let name = String::from_utf8_lossy(element).into_owned();
            if subprotocols.contains(&name) {
                return Err(RequestError::DuplicateSubprotocol(name));
            }
            subprotocols.push(name);
            listed = true;
        }
        if !listed {
            return Err(RequestError::InvalidSubprotocols);
        }
    }
    let extensions = extension::parse_headers(headers).map_err(RequestError::InvalidExtensions)?;
    Ok(Offer {
        subprotocols,
        extensions,
    })
}

/// Chooses the subprotocol and extensions for a valid offer and writes them into the
/// response headers, followed by the caller's extra headers (RFC 6455 §4.2.2 item 5).
pub(crate) fn answer(
    offer: &Offer,
    options: &AcceptOptions,
    reserved: &[HeaderName],
    headers: &mut HeaderMap,
) -> Result<Negotiated, BuildError> {
    check_extra_headers(&options.headers, reserved)?;
    let subprotocol = options
        .subprotocols
        .iter()
        .find(|s| offer.subprotocols.contains(s))
        .cloned();
    if let Some(p) = &subprotocol {
        // Offered by the client, so a token, so a valid value.
        let value = HeaderValue::try_from(p.as_str())
            .map_err(|_| BuildError::InvalidSubprotocol(p.clone()))?;
        headers.insert(SEC_WEBSOCKET_PROTOCOL, value);
    }
    let mut deflate = None;
    if let Some((answer, config)) = options.deflate.and_then(|d| d.negotiate(&offer.extensions))
        && let Some(value) = extension::to_header_value(&[answer])
    {
        headers.insert(SEC_WEBSOCKET_EXTENSIONS, value);
        deflate = Some(config);
    }
    append_extra(headers, &options.headers);
    Ok(Negotiated {
        subprotocol,
        deflate,
    })
}

/// Writes a client's Sec-WebSocket-Version, -Protocol and -Extensions and its extra
/// headers, after checking them (RFC 6455 §4.1 items 9-11).
pub(crate) fn write_offer(
    options: &ClientOptions,
    reserved: &[HeaderName],
    headers: &mut HeaderMap,
) -> Result<ClientOffer, BuildError> {
    check_extra_headers(&options.headers, reserved)?;
    for (i, p) in options.subprotocols.iter().enumerate() {
        if !is_token(p.as_bytes()) {
            return Err(BuildError::InvalidSubprotocol(p.clone()));
        }
        if options.subprotocols.iter().take(i).any(|q| q == p) {
            return Err(BuildError::DuplicateSubprotocol(p.clone()));
        }
    }
    headers.insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static(VERSION));
    if !options.subprotocols.is_empty() {
        let joined = options.subprotocols.join(", ");
        let value = HeaderValue::try_from(joined)
            .map_err(|_| BuildError::InvalidSubprotocol(String::new()))?;
        headers.insert(SEC_WEBSOCKET_PROTOCOL, value);
    }
    if let Some(value) = options
        .deflate
        .and_then(|offer| extension::to_header_value(&[offer.to_extension()]))
    {
        headers.insert(SEC_WEBSOCKET_EXTENSIONS, value);
    }
    append_extra(headers, &options.headers);
    Ok(options.offer())
}

/// Checks a server's subprotocol and extensions against what the client offered
/// (RFC 6455 §4.1 items 5-6, RFC 7692 §7.1).
pub(crate) fn check_answer(
    headers: &HeaderMap,
    offer: &ClientOffer,
) -> Result<Negotiated, ResponseError> {
    let subprotocol = match single(headers, &SEC_WEBSOCKET_PROTOCOL)
        .map_err(|()| ResponseError::DuplicateHeader(SEC_WEBSOCKET_PROTOCOL))?
    {
        None => None,
        Some(value) => {
            let token = value.as_bytes().trim_ascii();
            if !is_token(token) {
                return Err(ResponseError::InvalidSubprotocol);
            }
            let name = String::from_utf8_lossy(token).into_owned();
            if !offer.subprotocols.contains(&name) {
                return Err(ResponseError::SubprotocolNotOffered(name));
            }
            Some(name)
        }
    };
    let mut deflate = None;
    if let Some(value) = single(headers, &SEC_WEBSOCKET_EXTENSIONS)
        .map_err(|()| ResponseError::DuplicateHeader(SEC_WEBSOCKET_EXTENSIONS))?
    {
        for ext in extension::parse(value.as_bytes()).map_err(ResponseError::InvalidExtensions)? {
            let Some(sent) = offer.deflate.filter(|_| ext.name() == PERMESSAGE_DEFLATE) else {
                return Err(ResponseError::ExtensionNotOffered(ext.name().to_owned()));
            };
            if deflate.is_some() {
                return Err(ResponseError::DuplicateExtension(ext.name().to_owned()));
            }
            deflate = Some(sent.accept_response(&ext).map_err(ResponseError::Deflate)?);
        }
    }
    Ok(Negotiated {
        subprotocol,
        deflate,
    })
}

fn check_extra_headers(extra: &HeaderMap, reserved: &[HeaderName]) -> Result<(), BuildError> {
    match extra.keys().find(|k| reserved.contains(k)) {
        Some(name) => Err(BuildError::ReservedHeader(name.clone())),
        None => Ok(()),
    }
}

fn append_extra(headers: &mut HeaderMap, extra: &HeaderMap) {
    for (name, value) in extra {
        headers.append(name, value.clone());
    }
}
