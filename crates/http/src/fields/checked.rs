//! Fields checked and converted once, for decoders that see the same field many times.
//!
//! An HPACK or QPACK dynamic table entry is referenced by every later block that repeats
//! the field: a browser sends the same `user-agent` on every request. Checking its name and
//! value and converting them into `http` types each time is most of the cost of a warm
//! block, so a decoder keeps a [`CheckedField`] beside the entry, made on first use, and
//! hands it to [`FieldSink::push_checked`](super::FieldSink::push_checked): the builders
//! then only clone reference-counted values.

use bytes::Bytes;
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderName, HeaderValue, Method, StatusCode};

use super::request::{parse_authority, parse_method, parse_path, parse_protocol, parse_scheme};
use super::response::parse_status;
use super::validate::{self, connection_specific};
use super::{PseudoHeader, Value, field_size};
use crate::ext::Protocol;

/// One field whose per-field rules (RFC 9113 §8.2, §8.3; RFC 9114 §4.2, §4.3) already
/// hold, converted into the `http` type it becomes in a head.
///
/// What a field's *section* decides — pseudo-header fields first, which pseudo-header
/// fields a request or response may carry, duplicates, the size limit — is still checked
/// by the builder each time. Fields whose validity depends on the section (`te`, and the
/// connection-specific fields, which are always refused) are never made into a
/// `CheckedField`: [`CheckedField::new`] returns `None` for them and for every field that
/// breaks a rule, and the decoder passes such fields the ordinary way.
///
/// ```
/// use bytes::Bytes;
/// use http::Version;
/// use stator_http::fields::{CheckedField, FieldSink, Limits, ResponseBuilder};
///
/// let status = CheckedField::new(b":status", Bytes::from_static(b"200")).unwrap();
/// let server = CheckedField::new(b"server", Bytes::from_static(b"stator")).unwrap();
/// assert!(CheckedField::new(b"connection", Bytes::from_static(b"close")).is_none());
///
/// let mut builder = ResponseBuilder::new(Version::HTTP_2, &Limits::default());
/// builder.push_checked(&status)?;
/// builder.push_checked(&server)?;
/// let head = builder.finish()?;
/// assert_eq!(head.status.as_u16(), 200);
/// assert_eq!(head.headers["server"], "stator");
/// # Ok::<(), stator_http::fields::FieldError>(())
/// ```
#[derive(Debug, Clone)]
pub struct CheckedField {
    pub(crate) kind: Kind,
    /// [`field_size`] of the original name and value.
    pub(crate) size: usize,
}

/// What a checked field holds.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Regular(HeaderName, HeaderValue),
    Method(Method),
    Scheme(Scheme),
    Authority(Authority),
    Path(PathAndQuery),
    Protocol(Protocol),
    Status(StatusCode),
}

impl CheckedField {
    /// Checks `name: value` against every rule that does not depend on the section, and
    /// converts it; `None` if it breaks one or is `te` or a connection-specific field.
    pub fn new(name: &[u8], value: Bytes) -> Option<CheckedField> {
        let size = field_size(name, &value);
        let kind = if name.first() == Some(&b':') {
            let pseudo = PseudoHeader::from_name(name)?;
            validate::check_value(&value).ok()?;
            let value = Value::Shared(value);
            match pseudo {
                PseudoHeader::Method => Kind::Method(parse_method(&value).ok()?),
                PseudoHeader::Scheme => Kind::Scheme(parse_scheme(&value).ok()?),
                PseudoHeader::Authority => Kind::Authority(parse_authority(value).ok()?),
                PseudoHeader::Path => Kind::Path(parse_path(value).ok()?),
                PseudoHeader::Protocol => Kind::Protocol(parse_protocol(&value).ok()?),
                PseudoHeader::Status => Kind::Status(parse_status(value.as_bytes()).ok()?),
            }
        } else {
            if connection_specific(name).is_some() {
                return None;
            }
            validate::check_name(name).ok()?;
            validate::check_value(&value).ok()?;
            let name = HeaderName::from_bytes(name).ok()?;
            let value = HeaderValue::from_maybe_shared(value).ok()?;
            Kind::Regular(name, value)
        };
        Some(CheckedField { kind, size })
    }

    /// The field's name as it was received (a pseudo-header field's with its `:`).
    pub fn name(&self) -> &[u8] {
        let pseudo = match &self.kind {
            Kind::Regular(name, _) => return name.as_str().as_bytes(),
            Kind::Method(_) => PseudoHeader::Method,
            Kind::Scheme(_) => PseudoHeader::Scheme,
            Kind::Authority(_) => PseudoHeader::Authority,
            Kind::Path(_) => PseudoHeader::Path,
            Kind::Protocol(_) => PseudoHeader::Protocol,
            Kind::Status(_) => PseudoHeader::Status,
        };
        pseudo.as_str().as_bytes()
    }

    /// The field's value as it was received.
    pub fn value(&self) -> &[u8] {
        match &self.kind {
            Kind::Regular(_, value) => value.as_bytes(),
            Kind::Method(m) => m.as_str().as_bytes(),
            Kind::Scheme(s) => s.as_str().as_bytes(),
            Kind::Authority(a) => a.as_str().as_bytes(),
            Kind::Path(p) => p.as_str().as_bytes(),
            Kind::Protocol(p) => p.as_str().as_bytes(),
            Kind::Status(s) => s.as_str().as_bytes(),
        }
    }

    /// What the field counts for in its section's size ([`field_size`]).
    pub fn size(&self) -> usize {
        self.size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_received_name_and_value() {
        let cases: [(&[u8], &[u8]); 8] = [
            (b":method", b"GET"),
            (b":scheme", b"https"),
            (b":authority", b"example.com:8443"),
            (b":path", b"/a?b=c"),
            (b":protocol", b"websocket"),
            (b":status", b"204"),
            (b"x-custom", b"v a l"),
            (b"te-not", b"x"),
        ];
        for (name, value) in cases {
            let f = CheckedField::new(name, Bytes::copy_from_slice(value)).unwrap();
            assert_eq!((f.name(), f.value()), (name, value));
            assert_eq!(f.size(), name.len() + value.len() + 32);
        }
    }

    #[test]
    fn refuses_what_a_builder_refuses_and_what_depends_on_the_section() {
        let cases: [(&[u8], &[u8]); 10] = [
            (b":method", b"G T"),
            (b":path", b"no-slash"),
            (b":status", b"101"),
            (b":bogus", b"x"),
            (b"Upper", b"x"),
            (b"x", b" padded"),
            (b"x", b"a\r\nb"),
            (b"te", b"trailers"),
            (b"connection", b"close"),
            (b"", b"x"),
        ];
        for (name, value) in cases {
            assert!(CheckedField::new(name, Bytes::copy_from_slice(value)).is_none());
        }
    }
}
