//! HTTP/2 and HTTP/3 field sections ⇄ `http` crate heads.
//!
//! HPACK and QPACK decode a field block into a sequence of (name, value) pairs; the
//! builders here take them one at a time, check every rule of RFC 9113 §8.2–§8.3 and
//! RFC 9114 §4.2–§4.4 as they go, count the section against [`Limits`], and finish into
//! an [`http::request::Parts`], [`http::response::Parts`] or trailer [`http::HeaderMap`]:
//!
//! | received section | builder |
//! |---|---|
//! | request header section (HEADERS, `PUSH_PROMISE`) | [`RequestBuilder`] |
//! | response header section, interim or final | [`ResponseBuilder`] |
//! | trailer section | [`TrailersBuilder`] |
//!
//! All three implement [`FieldSink`], so a decoder can be generic over them. A field that
//! breaks a rule fails at once with the exact [`Malformed`] reason; rules that involve
//! several fields (required pseudo-headers, CONNECT, `host` against `:authority`) are
//! checked by `finish`. Errors are sticky: after the first, every call returns it again.
//!
//! The other way, [`encode_request`], [`encode_response`] and [`encode_trailers`] check a
//! head the application gave and return its fields in wire order — pseudo-header fields
//! first — borrowing from the head, ready for HPACK or QPACK.
//!
//! Extended CONNECT (RFC 8441 §4, RFC 9220 §3) carries `:protocol` as an
//! [`ext::Protocol`](crate::ext::Protocol) in the request's extensions, both ways.
//!
//! Mapping to [`http`] types:
//!
//! - `:method`, `:status` → `method`, `status`; `version` is whatever the builder was
//!   created with.
//! - `:scheme`, `:authority`, `:path` → `uri` (absolute form). A plain CONNECT's URI is
//!   authority-form (`host:port`, no scheme, no path). A request without `:authority`
//!   takes its URI's authority from `host` (RFC 9110 §7.1); `host` stays in the headers.
//! - Regular fields → `headers`, in order; a repeated name keeps its values separate,
//!   except that a request's `cookie` crumbs are joined with `"; "`, as RFC 9113 §8.2.3
//!   and RFC 9114 §4.2.1 require before a request reaches an application.

mod checked;
mod encode;
mod error;
mod request;
mod response;
pub(crate) mod validate;

pub use checked::CheckedField;
pub use encode::{EncodedFields, encode_request, encode_response, encode_trailers};
pub use error::{ConnectionHeader, EncodeError, FieldError, Malformed};
pub use request::RequestBuilder;
pub use response::{ResponseBuilder, TrailersBuilder};
pub use validate::{join_cookie_crumbs, remove_connection_specific};

use bytes::Bytes;

/// The octets RFC 9113 §6.5.2 and RFC 9114 §4.2.2 add to each field's name and value
/// length when sizing a field section.
pub const FIELD_OVERHEAD: usize = 32;

/// The size a field counts for against `SETTINGS_MAX_HEADER_LIST_SIZE` (RFC 9113 §6.5.2)
/// or `SETTINGS_MAX_FIELD_SECTION_SIZE` (RFC 9114 §4.2.2): name length + value length + 32.
/// Saturates instead of overflowing.
pub fn field_size(name: &[u8], value: &[u8]) -> usize {
    name.len()
        .saturating_add(value.len())
        .saturating_add(FIELD_OVERHEAD)
}

/// The largest header map a capacity hint reserves up front: a hint comes from the peer's
/// earlier sections, and must not make one section reserve for thousands of fields.
pub(crate) const MAX_CAPACITY_HINT: usize = 128;

/// Limits on received field sections.
///
/// ```
/// use stator_http::fields::Limits;
///
/// let limits = Limits::default().with_max_header_list_size(16 * 1024);
/// assert_eq!(limits.max_header_list_size, 16 * 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The largest field section accepted, in octets counted by [`field_size`]; the value
    /// to advertise as `SETTINGS_MAX_HEADER_LIST_SIZE` (HTTP/2) or
    /// `SETTINGS_MAX_FIELD_SECTION_SIZE` (HTTP/3).
    ///
    /// Default [`Limits::DEFAULT_MAX_HEADER_LIST_SIZE`] (64 KiB). It stops a peer from
    /// making us hold an unbounded header section, such as an HPACK bomb that references
    /// one large dynamic-table entry thousands of times, and, since every field counts at
    /// least 32 octets, it also bounds the number of fields (2,048 by default).
    pub max_header_list_size: usize,
}

impl Limits {
    /// 64 KiB, as nghttp2 accepts by default; browsers send a few KiB.
    pub const DEFAULT_MAX_HEADER_LIST_SIZE: usize = 64 * 1024;

    /// These limits with another [`max_header_list_size`](Limits::max_header_list_size).
    #[must_use]
    pub fn with_max_header_list_size(mut self, octets: usize) -> Limits {
        self.max_header_list_size = octets;
        self
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_header_list_size: Limits::DEFAULT_MAX_HEADER_LIST_SIZE,
        }
    }
}

/// The pseudo-header fields HTTP/2 and HTTP/3 define (RFC 9113 §8.3, RFC 8441 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PseudoHeader {
    /// `:method` (requests).
    Method,
    /// `:scheme` (requests).
    Scheme,
    /// `:authority` (requests).
    Authority,
    /// `:path` (requests).
    Path,
    /// `:protocol` (Extended CONNECT requests, RFC 8441 §4, RFC 9220 §3).
    Protocol,
    /// `:status` (responses).
    Status,
}

impl PseudoHeader {
    /// The name on the wire, colon included.
    pub fn as_str(self) -> &'static str {
        match self {
            PseudoHeader::Method => ":method",
            PseudoHeader::Scheme => ":scheme",
            PseudoHeader::Authority => ":authority",
            PseudoHeader::Path => ":path",
            PseudoHeader::Protocol => ":protocol",
            PseudoHeader::Status => ":status",
        }
    }

    /// The pseudo-header field this name is, if it is one of the defined ones. Names are
    /// compared exactly: `:Method` is not `:method` (and is malformed anyway).
    pub fn from_name(name: &[u8]) -> Option<PseudoHeader> {
        match name {
            b":method" => Some(PseudoHeader::Method),
            b":scheme" => Some(PseudoHeader::Scheme),
            b":authority" => Some(PseudoHeader::Authority),
            b":path" => Some(PseudoHeader::Path),
            b":protocol" => Some(PseudoHeader::Protocol),
            b":status" => Some(PseudoHeader::Status),
            _ => None,
        }
    }
}

impl std::fmt::Display for PseudoHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One field of an encoded section, borrowed from the head it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Field<'a> {
    name: &'a [u8],
    value: &'a [u8],
}

impl<'a> Field<'a> {
    pub(crate) fn new(name: &'a [u8], value: &'a [u8]) -> Field<'a> {
        Field { name, value }
    }

    /// The name: lowercase, with a leading `:` for a pseudo-header field.
    pub fn name(&self) -> &'a [u8] {
        self.name
    }

    /// The value.
    pub fn value(&self) -> &'a [u8] {
        self.value
    }

    /// Whether this is a pseudo-header field.
    pub fn is_pseudo(&self) -> bool {
        self.name.first() == Some(&b':')
    }

    /// What this field counts for in a field section's size: [`field_size`].
    pub fn size(&self) -> usize {
        field_size(self.name, self.value)
    }
}

/// Something a HPACK or QPACK decoder feeds decoded fields into, in order.
///
/// Implemented by [`RequestBuilder`], [`ResponseBuilder`] and [`TrailersBuilder`]. An error
/// means the section is refused; the decoder must still decode the rest of the block to
/// keep its dynamic table in step with the peer's (RFC 7541 §2.3, RFC 9204 §2.2), and may
/// keep pushing: a sink that failed ignores further fields and returns the same error.
pub trait FieldSink {
    /// Takes the next field. `name` includes the leading `:` of a pseudo-header field.
    fn push(&mut self, name: &[u8], value: &[u8]) -> Result<(), FieldError>;

    /// Takes the next field whose value the decoder holds as [`Bytes`], for instance a
    /// slice of the received block: the builders keep it without copying.
    fn push_shared(&mut self, name: &[u8], value: Bytes) -> Result<(), FieldError> {
        self.push(name, &value)
    }

    /// Takes the next field already checked and converted: what a decoder passes for a
    /// table entry it has seen before (see [`CheckedField`]). The builders only clone its
    /// values; the default passes its name and value to [`push`](FieldSink::push).
    fn push_checked(&mut self, field: &CheckedField) -> Result<(), FieldError> {
        self.push(field.name(), field.value())
    }
}

/// A field value as a decoder hands it over: borrowed (copied if kept) or shared.
#[derive(Debug)]
pub(crate) enum Value<'a> {
    Slice(&'a [u8]),
    Shared(Bytes),
}

impl Value<'_> {
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Value::Slice(s) => s,
            Value::Shared(b) => b,
        }
    }

    /// The value as [`Bytes`], copied only if it was borrowed.
    pub(crate) fn into_bytes(self) -> Bytes {
        match self {
            Value::Slice(s) => Bytes::copy_from_slice(s),
            Value::Shared(b) => b,
        }
    }
}

/// Counts a field section against [`Limits::max_header_list_size`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct SectionSize {
    used: usize,
    limit: usize,
}

impl SectionSize {
    pub(crate) fn new(limit: usize) -> SectionSize {
        SectionSize { used: 0, limit }
    }

    /// Adds a field; fails as soon as the section is over the limit, before the field is
    /// stored anywhere.
    pub(crate) fn add(&mut self, name: &[u8], value: &[u8]) -> Result<(), FieldError> {
        self.add_size(field_size(name, value))
    }

    /// Adds a field of [`field_size`] `size`.
    pub(crate) fn add_size(&mut self, size: usize) -> Result<(), FieldError> {
        self.used = self.used.saturating_add(size);
        if self.used > self.limit {
            return Err(FieldError::HeaderListTooLarge { limit: self.limit });
        }
        Ok(())
    }
}

/// Appends a regular field checked beforehand ([`CheckedField`]).
pub(crate) fn append_checked(
    headers: &mut http::HeaderMap,
    name: &http::HeaderName,
    value: &http::HeaderValue,
) -> Result<(), FieldError> {
    headers
        .try_append(name.clone(), value.clone())
        .map_err(|_| FieldError::TooManyFields)?;
    Ok(())
}

/// Checks a regular field and appends it to `headers` (RFC 9113 §8.2).
pub(crate) fn append_regular(
    headers: &mut http::HeaderMap,
    name: &[u8],
    value: Value<'_>,
    section: validate::Section,
) -> Result<(), FieldError> {
    validate::check_regular(name, value.as_bytes(), section)?;
    // Both conversions re-check what check_regular accepted, so they cannot fail; the
    // errors are mapped anyway rather than unwrapped.
    let name = http::HeaderName::from_bytes(name).map_err(|_| Malformed::InvalidName)?;
    let value = http::HeaderValue::from_maybe_shared(value.into_bytes())
        .map_err(|_| Malformed::InvalidValueOctet)?;
    headers
        .try_append(name, value)
        .map_err(|_| FieldError::TooManyFields)?;
    Ok(())
}
