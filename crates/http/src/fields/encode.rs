//! Heads → ordered field lists for HPACK and QPACK (RFC 9113 §8.2–§8.3, RFC 9114
//! §4.2–§4.4), checked first so that we never send what the peer must treat as
//! malformed.

use std::iter::Flatten;

use http::header::{self, HeaderMap, HeaderValue};
use http::uri::{Authority, PathAndQuery};
use http::{Method, request, response};

use super::response::check_status;
use super::validate::{self, Section};
use super::{EncodeError, Field, Malformed, PseudoHeader, field_size};
use crate::ext::Protocol;

/// The fields of a head in wire order: pseudo-header fields first, then the regular
/// fields in the order of the [`HeaderMap`] (values of one name together). Everything is
/// borrowed from the head.
#[derive(Debug)]
pub struct EncodedFields<'a> {
    pseudo: Flatten<std::array::IntoIter<Option<Field<'a>>, 5>>,
    headers: header::Iter<'a, HeaderValue>,
    size: usize,
}

impl<'a> EncodedFields<'a> {
    fn new(pseudo: [Option<Field<'a>>; 5], headers: &'a HeaderMap) -> EncodedFields<'a> {
        let size = pseudo
            .iter()
            .flatten()
            .map(Field::size)
            .chain(
                headers
                    .iter()
                    .map(|(n, v)| field_size(n.as_str().as_bytes(), v.as_bytes())),
            )
            .fold(0_usize, usize::saturating_add);
        EncodedFields {
            pseudo: pseudo.into_iter().flatten(),
            headers: headers.iter(),
            size,
        }
    }

    /// The size of the whole section as RFC 9113 §6.5.2 counts it, to compare with the
    /// peer's `SETTINGS_MAX_HEADER_LIST_SIZE` (`SETTINGS_MAX_FIELD_SECTION_SIZE` in
    /// HTTP/3, RFC 9114 §4.2.2), which a sender should not exceed.
    pub fn header_list_size(&self) -> usize {
        self.size
    }
}

impl<'a> Iterator for EncodedFields<'a> {
    type Item = Field<'a>;

    fn next(&mut self) -> Option<Field<'a>> {
        self.pseudo.next().or_else(|| {
            self.headers
                .next()
                .map(|(n, v)| Field::new(n.as_str().as_bytes(), v.as_bytes()))
        })
    }
}

fn pseudo(which: PseudoHeader, value: &str) -> Field<'_> {
    Field::new(which.as_str().as_bytes(), value.as_bytes())
}

/// Checks every regular field (RFC 9113 §8.2, §8.2.2). `HeaderName` and `HeaderValue`
/// already guarantee most of it; whitespace at the ends of a value and the
/// connection-specific fields they do not.
fn check_headers(headers: &HeaderMap, section: Section) -> Result<(), Malformed> {
    headers.iter().try_for_each(|(name, value)| {
        validate::check_regular(name.as_str().as_bytes(), value.as_bytes(), section)
    })
}

/// `:path` from a URI: its path and query, `/` when empty (RFC 9113 §8.3.1).
fn path(uri: &http::Uri) -> Result<&str, Malformed> {
    match uri.path_and_query().map(PathAndQuery::as_str) {
        None | Some("") => Ok("/"),
        Some(p) if p.starts_with('/') || p == "*" => Ok(p),
        // `http://h?q` keeps "?q" as its path-and-query; "/?q" would need a new string.
        Some(_) => Err(Malformed::InvalidPath),
    }
}

/// The fields of a request head to send (RFC 9113 §8.3.1, §8.5; RFC 9114 §4.3.1, §4.4):
///
/// - with an [`ext::Protocol`](crate::ext::Protocol) extension, an Extended CONNECT:
///   `:method CONNECT`, `:protocol`, and `:scheme`, `:authority`, `:path` from the URI
///   (RFC 8441 §4, RFC 9220 §3);
/// - a plain CONNECT: `:method` and `:authority` (which must have a port) only; the URI's
///   scheme and path, if any, are not sent (RFC 9113 §8.5);
/// - anything else: `:method`, `:scheme`, `:authority`, `:path` (`/` if the URI's is
///   empty); the URI must be absolute, since HTTP/2 and HTTP/3 carry the scheme.
///
/// Then the headers. A `host` header is sent as given, but must name the same entity as
/// the URI's authority (RFC 9113 §8.3.1). Connection-specific headers are refused, not
/// dropped: see [`remove_connection_specific`](super::remove_connection_specific).
///
/// ```
/// use stator_http::fields::encode_request;
///
/// let (head, ()) = http::Request::get("https://example.org/resource")
///     .header("accept", "image/jpeg")
///     .body(())?
///     .into_parts();
/// let fields: Vec<_> = encode_request(&head)?
///     .map(|f| (f.name().to_vec(), f.value().to_vec()))
///     .collect();
/// assert_eq!(fields, [
///     (b":method".to_vec(), b"GET".to_vec()),
///     (b":scheme".to_vec(), b"https".to_vec()),
///     (b":authority".to_vec(), b"example.org".to_vec()),
///     (b":path".to_vec(), b"/resource".to_vec()),
///     (b"accept".to_vec(), b"image/jpeg".to_vec()),
/// ]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encode_request(head: &request::Parts) -> Result<EncodedFields<'_>, EncodeError> {
    let uri = &head.uri;
    let connect = head.method == Method::CONNECT;
    let protocol = head.extensions.get::<Protocol>();
    let method = Some(pseudo(PseudoHeader::Method, head.method.as_str()));
    let authority: &Authority;
    let fields = if let Some(protocol) = protocol {
        if !connect {
            return Err(Malformed::ProtocolWithoutConnect.into());
        }
        if !validate::is_upgrade_token(protocol.as_str().as_bytes()) {
            return Err(Malformed::InvalidProtocol.into());
        }
        let scheme = uri.scheme().ok_or(Malformed::MissingScheme)?;
        authority = uri.authority().ok_or(Malformed::MissingAuthority)?;
        validate::check_authority(Some(scheme), false, authority)?;
        let path = path(uri)?;
        if path == "*" {
            return Err(Malformed::AsteriskPathNotOptions.into());
        }
        [
            method,
            Some(pseudo(PseudoHeader::Protocol, protocol.as_str())),
            Some(pseudo(PseudoHeader::Scheme, scheme.as_str())),
            Some(pseudo(PseudoHeader::Authority, authority.as_str())),
            Some(pseudo(PseudoHeader::Path, path)),
        ]
    } else if connect {
        authority = uri.authority().ok_or(Malformed::MissingAuthority)?;
        validate::check_authority(None, true, authority)?;
        if authority.port().is_none() {
            return Err(Malformed::ConnectWithoutPort.into());
        }
        [
            method,
            Some(pseudo(PseudoHeader::Authority, authority.as_str())),
            None,
            None,
            None,
        ]
    } else {
        // An `http::Uri` with a scheme always has an authority.
        let scheme = uri.scheme().ok_or(Malformed::MissingScheme)?;
        authority = uri.authority().ok_or(Malformed::MissingAuthority)?;
        validate::check_authority(Some(scheme), false, authority)?;
        let path = path(uri)?;
        if path == "*" && head.method != Method::OPTIONS {
            return Err(Malformed::AsteriskPathNotOptions.into());
        }
        [
            method,
            Some(pseudo(PseudoHeader::Scheme, scheme.as_str())),
            Some(pseudo(PseudoHeader::Authority, authority.as_str())),
            Some(pseudo(PseudoHeader::Path, path)),
            None,
        ]
    };
    check_headers(&head.headers, Section::Request)?;
    if let Some(host) = validate::host(&head.headers)? {
        let scheme = if connect && protocol.is_none() {
            None
        } else {
            uri.scheme()
        };
        if !validate::same_entity(scheme, &host, authority) {
            return Err(Malformed::HostAuthorityMismatch.into());
        }
    }
    Ok(EncodedFields::new(fields, &head.headers))
}

/// The fields of a response head to send: `:status`, then the headers
/// (RFC 9113 §8.3.2, RFC 9114 §4.3.2). Refuses 101 (RFC 9113 §8.6), a status outside
/// 100–599 and connection-specific headers (`te` included).
///
/// ```
/// use http::StatusCode;
/// use stator_http::fields::encode_response;
///
/// let (head, ()) = http::Response::builder().status(StatusCode::OK).body(())?.into_parts();
/// let names: Vec<_> = encode_response(&head)?.map(|f| f.name()).collect();
/// assert_eq!(names, [b":status"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encode_response(head: &response::Parts) -> Result<EncodedFields<'_>, EncodeError> {
    check_status(head.status)?;
    check_headers(&head.headers, Section::Other)?;
    let status = Some(pseudo(PseudoHeader::Status, head.status.as_str()));
    Ok(EncodedFields::new(
        [status, None, None, None, None],
        &head.headers,
    ))
}

/// The fields of a trailer section to send (RFC 9113 §8.1, RFC 9114 §4.1): the headers,
/// checked like a response's.
pub fn encode_trailers(trailers: &HeaderMap) -> Result<EncodedFields<'_>, EncodeError> {
    check_headers(trailers, Section::Other)?;
    Ok(EncodedFields::new([None, None, None, None, None], trailers))
}
