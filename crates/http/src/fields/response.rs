//! Response header sections → [`http::response::Parts`] (RFC 9113 §8.3.2,
//! RFC 9114 §4.3.2) and trailer sections → [`http::HeaderMap`] (RFC 9113 §8.1,
//! RFC 9114 §4.1).

use bytes::Bytes;
use http::{HeaderMap, StatusCode, Version, response};

use super::checked::Kind;
use super::validate::{self, Section};
use super::{
    CheckedField, FieldError, FieldSink, Limits, MAX_CAPACITY_HINT, Malformed, PseudoHeader,
    SectionSize, Value, append_checked, append_regular,
};

/// Accumulates the fields of a received response header section, interim (1xx) or final,
/// and builds the response head.
///
/// ```
/// use http::{StatusCode, Version};
/// use stator_http::fields::{FieldSink, Limits, ResponseBuilder};
///
/// let mut builder = ResponseBuilder::new(Version::HTTP_3, &Limits::default());
/// builder.push(b":status", b"304")?;
/// builder.push(b"etag", b"\"xyzzy\"")?;
/// let head = builder.finish()?;
/// assert_eq!(head.status, StatusCode::NOT_MODIFIED);
/// assert_eq!(head.headers["etag"], "\"xyzzy\"");
/// # Ok::<(), stator_http::fields::FieldError>(())
/// ```
#[derive(Debug)]
pub struct ResponseBuilder {
    version: Version,
    size: SectionSize,
    status: Option<StatusCode>,
    headers: HeaderMap,
    regular_seen: bool,
    error: Option<FieldError>,
}

impl ResponseBuilder {
    /// A builder for one response header section; the head gets `version`.
    pub fn new(version: Version, limits: &Limits) -> ResponseBuilder {
        ResponseBuilder {
            version,
            size: SectionSize::new(limits.max_header_list_size),
            status: None,
            headers: HeaderMap::new(),
            regular_seen: false,
            error: None,
        }
    }

    /// Sizes the header map for `fields` regular fields up front (see
    /// [`RequestBuilder::with_capacity`](super::RequestBuilder::with_capacity)).
    #[must_use]
    pub fn with_capacity(mut self, fields: usize) -> ResponseBuilder {
        self.headers.reserve(fields.min(MAX_CAPACITY_HINT));
        self
    }

    /// How many regular fields the builder holds so far.
    pub fn field_count(&self) -> usize {
        self.headers.len()
    }

    /// Returns the response head; `:status` is required (RFC 9113 §8.3.2).
    ///
    /// Whether a 1xx may end the stream, and how many interim responses may come, is
    /// framing: the HTTP/2 and HTTP/3 machines check it (RFC 9113 §8.1).
    pub fn finish(self) -> Result<response::Parts, FieldError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let status = self.status.ok_or(Malformed::MissingStatus)?;
        let (mut parts, ()) = http::Response::new(()).into_parts();
        parts.status = status;
        parts.version = self.version;
        parts.headers = self.headers;
        Ok(parts)
    }

    fn accept(&mut self, name: &[u8], value: Value<'_>) -> Result<(), FieldError> {
        self.size.add(name, value.as_bytes())?;
        if name.first() != Some(&b':') {
            self.regular_seen = true;
            return append_regular(&mut self.headers, name, value, Section::Other);
        }
        if self.regular_seen {
            return Err(Malformed::PseudoAfterRegular.into());
        }
        match PseudoHeader::from_name(name) {
            Some(PseudoHeader::Status) => {}
            Some(_) => return Err(Malformed::RequestPseudoInResponse.into()),
            None => return Err(Malformed::UnknownPseudo.into()),
        }
        if self.status.is_some() {
            return Err(Malformed::DuplicatePseudo(PseudoHeader::Status).into());
        }
        validate::check_value(value.as_bytes())?;
        self.status = Some(parse_status(value.as_bytes())?);
        Ok(())
    }

    /// [`accept`](Self::accept) for a field checked beforehand.
    fn accept_checked(&mut self, field: &CheckedField) -> Result<(), FieldError> {
        self.size.add_size(field.size)?;
        let status = match &field.kind {
            Kind::Regular(name, value) => {
                self.regular_seen = true;
                return append_checked(&mut self.headers, name, value);
            }
            _ if self.regular_seen => return Err(Malformed::PseudoAfterRegular.into()),
            Kind::Status(status) => *status,
            _ => return Err(Malformed::RequestPseudoInResponse.into()),
        };
        if self.status.is_some() {
            return Err(Malformed::DuplicatePseudo(PseudoHeader::Status).into());
        }
        self.status = Some(status);
        Ok(())
    }

    fn push_value(&mut self, name: &[u8], value: Value<'_>) -> Result<(), FieldError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.accept(name, value)
            .inspect_err(|e| self.error = Some(*e))
    }
}

impl FieldSink for ResponseBuilder {
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

/// `:status` is exactly three digits (RFC 9110 §15: `3DIGIT`), from 100 to 599, and not
/// 101, which HTTP/2 and HTTP/3 do not support (RFC 9113 §8.6, RFC 9114 §4.5).
pub(crate) fn parse_status(value: &[u8]) -> Result<StatusCode, Malformed> {
    let [a, b, c] = value else {
        return Err(Malformed::InvalidStatus);
    };
    if !(matches!(a, b'1'..=b'5') && b.is_ascii_digit() && c.is_ascii_digit()) {
        return Err(Malformed::InvalidStatus);
    }
    let status = StatusCode::from_bytes(value).map_err(|_| Malformed::InvalidStatus)?;
    check_status(status)?;
    Ok(status)
}

/// The checks on a status code that the `http` crate does not make.
pub(crate) fn check_status(status: StatusCode) -> Result<(), Malformed> {
    if !(100..=599).contains(&status.as_u16()) {
        return Err(Malformed::InvalidStatus);
    }
    if status == StatusCode::SWITCHING_PROTOCOLS {
        return Err(Malformed::SwitchingProtocols);
    }
    Ok(())
}

/// Accumulates the fields of a received trailer section (RFC 9113 §8.1, RFC 9114 §4.1):
/// regular fields only, no connection-specific ones.
///
/// ```
/// use stator_http::fields::{FieldSink, Limits, Malformed, TrailersBuilder};
///
/// let mut trailers = TrailersBuilder::new(&Limits::default());
/// trailers.push(b"foo", b"bar")?;
/// assert_eq!(trailers.finish()?["foo"], "bar");
///
/// let mut bad = TrailersBuilder::new(&Limits::default());
/// assert_eq!(bad.push(b":status", b"200").unwrap_err().malformed(), Some(Malformed::PseudoInTrailers));
/// # Ok::<(), stator_http::fields::FieldError>(())
/// ```
#[derive(Debug)]
pub struct TrailersBuilder {
    size: SectionSize,
    headers: HeaderMap,
    error: Option<FieldError>,
}

impl TrailersBuilder {
    /// A builder for one trailer section.
    pub fn new(limits: &Limits) -> TrailersBuilder {
        TrailersBuilder {
            size: SectionSize::new(limits.max_header_list_size),
            headers: HeaderMap::new(),
            error: None,
        }
    }

    /// Returns the trailer fields.
    pub fn finish(self) -> Result<HeaderMap, FieldError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.headers),
        }
    }

    fn accept(&mut self, name: &[u8], value: Value<'_>) -> Result<(), FieldError> {
        self.size.add(name, value.as_bytes())?;
        if name.first() == Some(&b':') {
            return Err(Malformed::PseudoInTrailers.into());
        }
        append_regular(&mut self.headers, name, value, Section::Other)
    }

    /// [`accept`](Self::accept) for a field checked beforehand.
    fn accept_checked(&mut self, field: &CheckedField) -> Result<(), FieldError> {
        self.size.add_size(field.size)?;
        match &field.kind {
            Kind::Regular(name, value) => append_checked(&mut self.headers, name, value),
            _ => Err(Malformed::PseudoInTrailers.into()),
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

impl FieldSink for TrailersBuilder {
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
