//! Request header sections → [`http::request::Parts`] (RFC 9113 §8.3.1, §8.5;
//! RFC 9114 §4.3.1, §4.4; RFC 8441 §4; RFC 9220 §3).

use bytes::Bytes;
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderMap, Method, Uri, Version, request};

use super::checked::Kind;
use super::validate::{self, Section};
use super::{
    CheckedField, FieldError, FieldSink, Limits, MAX_CAPACITY_HINT, Malformed, PseudoHeader,
    SectionSize, Value, append_checked, append_regular,
};
use crate::ext::Protocol;

/// Accumulates the fields of a received request header section, checking each as it
/// comes, and builds the request head.
///
/// ```
/// use http::{Method, Version};
/// use stator_http::fields::{FieldSink, Limits, RequestBuilder};
///
/// let mut builder = RequestBuilder::new(Version::HTTP_2, &Limits::default());
/// builder.push(b":method", b"GET")?;
/// builder.push(b":scheme", b"https")?;
/// builder.push(b":authority", b"example.org")?;
/// builder.push(b":path", b"/resource")?;
/// builder.push(b"accept", b"image/jpeg")?;
/// let head = builder.finish()?;
/// assert_eq!(head.method, Method::GET);
/// assert_eq!(head.uri, "https://example.org/resource");
/// assert_eq!(head.headers["accept"], "image/jpeg");
/// # Ok::<(), stator_http::fields::FieldError>(())
/// ```
#[derive(Debug)]
pub struct RequestBuilder {
    version: Version,
    extended_connect: bool,
    size: SectionSize,
    method: Option<Method>,
    scheme: Option<Scheme>,
    authority: Option<Authority>,
    path: Option<PathAndQuery>,
    protocol: Option<Protocol>,
    headers: HeaderMap,
    regular_seen: bool,
    error: Option<FieldError>,
}

impl RequestBuilder {
    /// A builder for one request header section; the head gets `version`
    /// ([`Version::HTTP_2`] or [`Version::HTTP_3`]).
    ///
    /// Extended CONNECT is off: `:protocol` is refused with
    /// [`Malformed::ExtendedConnectNotEnabled`] until
    /// [`with_extended_connect`](RequestBuilder::with_extended_connect) turns it on.
    pub fn new(version: Version, limits: &Limits) -> RequestBuilder {
        RequestBuilder {
            version,
            extended_connect: false,
            size: SectionSize::new(limits.max_header_list_size),
            method: None,
            scheme: None,
            authority: None,
            path: None,
            protocol: None,
            headers: HeaderMap::new(),
            regular_seen: false,
            error: None,
        }
    }

    /// Accepts `:protocol` (Extended CONNECT) if `enabled`: pass whether this endpoint
    /// sent `SETTINGS_ENABLE_CONNECT_PROTOCOL` = 1 (RFC 8441 §3, RFC 9220 §3). Which
    /// protocols the application serves is its own decision (RFC 9220 §3 suggests 501
    /// for the others); this only decides whether the field is defined.
    #[must_use]
    pub fn with_extended_connect(mut self, enabled: bool) -> RequestBuilder {
        self.extended_connect = enabled;
        self
    }

    /// Sizes the header map for `fields` regular fields up front, so that it does not grow
    /// (and reallocate) as they arrive. A connection has a good guess: the count of the
    /// previous section from the same peer ([`field_count`](Self::field_count)). At most
    /// 128 are reserved, however large the hint.
    #[must_use]
    pub fn with_capacity(mut self, fields: usize) -> RequestBuilder {
        self.headers.reserve(fields.min(MAX_CAPACITY_HINT));
        self
    }

    /// How many regular fields the builder holds so far.
    pub fn field_count(&self) -> usize {
        self.headers.len()
    }

    /// Checks the rules that involve several fields and returns the request head.
    ///
    /// - `:method` is required; `:protocol` only with CONNECT (RFC 8441 §4).
    /// - Extended CONNECT needs `:scheme`, `:path` and `:authority` (RFC 8441 §4).
    /// - A plain CONNECT has `:authority` as `host:port` and neither `:scheme` nor
    ///   `:path` (RFC 9113 §8.5, RFC 9114 §4.4).
    /// - Any other request needs `:scheme` and `:path`, `*` only for OPTIONS, and an
    ///   authority from `:authority` or, failing that, `host` (RFC 9113 §8.3.1,
    ///   RFC 9114 §4.3.1).
    /// - At most one `host`, and if `:authority` is present too it must name the same
    ///   entity after scheme-based normalization (RFC 9113 §8.3.1, RFC 9110 §4.2.3).
    ///
    /// Split `cookie` fields are joined into one with `"; "` (RFC 9113 §8.2.3,
    /// RFC 9114 §4.2.1).
    pub fn finish(self) -> Result<request::Parts, FieldError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let method = self.method.ok_or(Malformed::MissingMethod)?;
        let connect = method == Method::CONNECT;
        let host = validate::host(&self.headers)?;
        let mut uri = http::uri::Parts::default();
        if self.protocol.is_some() {
            // Extended CONNECT: `:authority` is read as for any request (RFC 8441 §4).
            if !connect {
                return Err(Malformed::ProtocolWithoutConnect.into());
            }
            let scheme = self.scheme.ok_or(Malformed::MissingScheme)?;
            let path = self.path.ok_or(Malformed::MissingPath)?;
            let authority = self.authority.clone().ok_or(Malformed::MissingAuthority)?;
            if path.as_str() == "*" {
                return Err(Malformed::AsteriskPathNotOptions.into());
            }
            validate::check_authority(Some(&scheme), false, &authority)?;
            uri.scheme = Some(scheme);
            uri.authority = Some(authority);
            uri.path_and_query = Some(path);
        } else if connect {
            if self.scheme.is_some() {
                return Err(Malformed::ConnectWithScheme.into());
            }
            if self.path.is_some() {
                return Err(Malformed::ConnectWithPath.into());
            }
            let authority = self.authority.clone().ok_or(Malformed::MissingAuthority)?;
            validate::check_authority(None, true, &authority)?;
            if authority.port().is_none() {
                return Err(Malformed::ConnectWithoutPort.into());
            }
            uri.authority = Some(authority);
        } else {
            let scheme = self.scheme.ok_or(Malformed::MissingScheme)?;
            let path = self.path.ok_or(Malformed::MissingPath)?;
            if path.as_str() == "*" && method != Method::OPTIONS {
                return Err(Malformed::AsteriskPathNotOptions.into());
            }
            // Without `:authority` the target URI's authority is `host` (RFC 9110 §7.1);
            // an `http::Uri` cannot keep a scheme without one, so none at all is refused.
            let authority = match (&self.authority, &host) {
                (Some(a), _) | (None, Some(a)) => a.clone(),
                (None, None) => return Err(Malformed::MissingAuthority.into()),
            };
            validate::check_authority(Some(&scheme), false, &authority)?;
            uri.scheme = Some(scheme);
            uri.authority = Some(authority);
            uri.path_and_query = Some(path);
        }
        if let (Some(host), Some(authority)) = (&host, &self.authority)
            && !validate::same_entity(uri.scheme.as_ref(), host, authority)
        {
            return Err(Malformed::HostAuthorityMismatch.into());
        }
        // Every combination above is one `Uri::from_parts` accepts.
        let uri = Uri::from_parts(uri).map_err(|_| Malformed::InvalidAuthority)?;
        let (mut parts, ()) = http::Request::new(()).into_parts();
        parts.method = method;
        parts.uri = uri;
        parts.version = self.version;
        parts.headers = self.headers;
        // RFC 9113 §8.2.3, RFC 9114 §4.2.1: the application is a context other than
        // HTTP/2 or HTTP/3, and `HeaderMap::get` would see only the first crumb.
        validate::join_cookie_crumbs(&mut parts.headers);
        if let Some(protocol) = self.protocol {
            parts.extensions.insert(protocol);
        }
        Ok(parts)
    }

    fn accept(&mut self, name: &[u8], value: Value<'_>) -> Result<(), FieldError> {
        self.size.add(name, value.as_bytes())?;
        if name.first() != Some(&b':') {
            self.regular_seen = true;
            return append_regular(&mut self.headers, name, value, Section::Request);
        }
        if self.regular_seen {
            return Err(Malformed::PseudoAfterRegular.into());
        }
        let Some(pseudo) = PseudoHeader::from_name(name) else {
            return Err(Malformed::UnknownPseudo.into());
        };
        validate::check_value(value.as_bytes())?;
        match pseudo {
            PseudoHeader::Method => set(&mut self.method, pseudo, || parse_method(&value)),
            PseudoHeader::Scheme => set(&mut self.scheme, pseudo, || parse_scheme(&value)),
            PseudoHeader::Authority => set(&mut self.authority, pseudo, || parse_authority(value)),
            PseudoHeader::Path => set(&mut self.path, pseudo, || parse_path(value)),
            PseudoHeader::Protocol => {
                if !self.extended_connect {
                    return Err(Malformed::ExtendedConnectNotEnabled.into());
                }
                set(&mut self.protocol, pseudo, || parse_protocol(&value))
            }
            PseudoHeader::Status => Err(Malformed::ResponsePseudoInRequest.into()),
        }
    }

    /// [`accept`](Self::accept) for a field checked beforehand: the same outcome, but
    /// only the rules of the section are left to check.
    fn accept_checked(&mut self, field: &CheckedField) -> Result<(), FieldError> {
        self.size.add_size(field.size)?;
        if let Kind::Regular(name, value) = &field.kind {
            self.regular_seen = true;
            return append_checked(&mut self.headers, name, value);
        }
        if self.regular_seen {
            return Err(Malformed::PseudoAfterRegular.into());
        }
        match &field.kind {
            Kind::Method(m) => set(&mut self.method, PseudoHeader::Method, || Ok(m.clone())),
            Kind::Scheme(s) => set(&mut self.scheme, PseudoHeader::Scheme, || Ok(s.clone())),
            Kind::Authority(a) => set(&mut self.authority, PseudoHeader::Authority, || {
                Ok(a.clone())
            }),
            Kind::Path(p) => set(&mut self.path, PseudoHeader::Path, || Ok(p.clone())),
            Kind::Protocol(p) => {
                if !self.extended_connect {
                    return Err(Malformed::ExtendedConnectNotEnabled.into());
                }
                set(&mut self.protocol, PseudoHeader::Protocol, || Ok(p.clone()))
            }
            Kind::Status(_) => Err(Malformed::ResponsePseudoInRequest.into()),
            Kind::Regular(..) => Ok(()),
        }
    }

    fn push_value(&mut self, name: &[u8], value: Value<'_>) -> Result<(), FieldError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.accept(name, value)
            .inspect_err(|e| self.error = Some(*e))
    }
}

impl FieldSink for RequestBuilder {
    /// Takes one field of the request header section. See [`Malformed`] for what is
    /// refused and [`FieldError::HeaderListTooLarge`] for the size limit, which is checked
    /// before anything is stored.
    fn push(&mut self, name: &[u8], value: &[u8]) -> Result<(), FieldError> {
        self.push_value(name, Value::Slice(value))
    }

    fn push_shared(&mut self, name: &[u8], value: Bytes) -> Result<(), FieldError> {
        self.push_value(name, Value::Shared(value))
    }

    fn push_checked(&mut self, field: &CheckedField) -> Result<(), FieldError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.accept_checked(field)
            .inspect_err(|e| self.error = Some(*e))
    }
}

/// Stores a pseudo-header field's value, refusing a second one (RFC 9113 §8.3).
fn set<T>(
    slot: &mut Option<T>,
    pseudo: PseudoHeader,
    parse: impl FnOnce() -> Result<T, Malformed>,
) -> Result<(), FieldError> {
    if slot.is_some() {
        return Err(Malformed::DuplicatePseudo(pseudo).into());
    }
    *slot = Some(parse()?);
    Ok(())
}

/// `:method` is a `token` (RFC 9110 §9.1).
pub(crate) fn parse_method(value: &Value<'_>) -> Result<Method, Malformed> {
    Method::from_bytes(value.as_bytes()).map_err(|_| Malformed::InvalidMethod)
}

/// `:scheme` is `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )` (RFC 3986 §3.1).
pub(crate) fn parse_scheme(value: &Value<'_>) -> Result<Scheme, Malformed> {
    let bytes = value.as_bytes();
    if !bytes.first().is_some_and(u8::is_ascii_alphabetic) {
        return Err(Malformed::InvalidScheme);
    }
    Scheme::try_from(bytes).map_err(|_| Malformed::InvalidScheme)
}

/// `:authority` is a URI authority (RFC 3986 §3.2), never empty (RFC 9114 §4.3.1).
pub(crate) fn parse_authority(value: Value<'_>) -> Result<Authority, Malformed> {
    if value.as_bytes().is_empty() {
        return Err(Malformed::EmptyAuthority);
    }
    Authority::from_maybe_shared(value.into_bytes()).map_err(|_| Malformed::InvalidAuthority)
}

/// `:path` is `*` or `absolute-path [ "?" query ]` (RFC 9113 §8.3.1); in particular no
/// fragment, which `PathAndQuery` would silently drop.
pub(crate) fn parse_path(value: Value<'_>) -> Result<PathAndQuery, Malformed> {
    let bytes = value.as_bytes();
    match bytes.first() {
        None => return Err(Malformed::EmptyPath),
        Some(b'/') if !bytes.contains(&b'#') => {}
        Some(b'*') if bytes.len() == 1 => {}
        Some(_) => return Err(Malformed::InvalidPath),
    }
    PathAndQuery::from_maybe_shared(value.into_bytes()).map_err(|_| Malformed::InvalidPath)
}

/// `:protocol` is an upgrade token (RFC 8441 §4, RFC 9110 §7.8).
pub(crate) fn parse_protocol(value: &Value<'_>) -> Result<Protocol, Malformed> {
    let bytes = value.as_bytes();
    if !validate::is_upgrade_token(bytes) {
        return Err(Malformed::InvalidProtocol);
    }
    std::str::from_utf8(bytes)
        .map(Protocol::from)
        .map_err(|_| Malformed::InvalidProtocol)
}
