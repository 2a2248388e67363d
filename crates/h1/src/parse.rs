//! Reading heads: request line or status line, field lines, blank line (RFC 9112 §2–§5),
//! with `httparse` underneath and the strictness it lacks added on top.
//!
//! httparse accepts a bare LF as a line ending; RFC 9112 §2.2 lets a recipient do so, but a
//! parser that does while another on the path does not is a request-smuggling vector
//! (llhttp's CVE-2022-32214), so every head is checked for CR and LF that are not CRLF.
//! On any parse error the head is diagnosed again to name the exact cause (obs-fold,
//! whitespace before the colon, ...), off the fast path.
//!
//! A complete head is split off the receive buffer and frozen; the request-target and the
//! field values become `Uri` and `HeaderValue`s that share that allocation (no copy).

use std::mem::MaybeUninit;
use std::ops::Range;

use bytes::{Bytes, BytesMut};
use http::header::HeaderName;
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, Version, request, response};

use crate::error::Violation;
use crate::limits::{HEADER_SLOTS, Limits};

/// Room for the method, spaces and version around a request-target, when deciding that an
/// unfinished request line is too long (414 rather than 431).
const REQUEST_LINE_SLACK: usize = 64;

/// Where a field line's name and value are in the head.
#[derive(Debug, Clone, Default)]
pub(crate) struct Span {
    name: Range<usize>,
    value: Range<usize>,
}

/// Which framing-relevant fields a head has, noted while its lines are walked once, so
/// that the common head without them costs no map lookups.
// Five independent flags: a struct of bools reads better here than a bit set.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Seen {
    pub(crate) transfer_encoding: bool,
    pub(crate) content_length: bool,
    pub(crate) connection: bool,
    pub(crate) upgrade: bool,
    pub(crate) expect: bool,
}

impl Seen {
    fn note(&mut self, name: &str) {
        let is = |n: &str| name.len() == n.len() && name.eq_ignore_ascii_case(n);
        match name.len() {
            17 => self.transfer_encoding |= is("transfer-encoding"),
            14 => self.content_length |= is("content-length"),
            10 => self.connection |= is("connection"),
            7 => self.upgrade |= is("upgrade"),
            6 => self.expect |= is("expect"),
            _ => {}
        }
    }
}

/// Reusable scratch for head parsing: one span per field line (no allocation per head
/// once warm).
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    spans: Vec<Span>,
}

/// The position of `part` (a subslice of the buffer starting at `base`) in that buffer.
fn offset(base: *const u8, part: &[u8]) -> Range<usize> {
    let start = (part.as_ptr() as usize).wrapping_sub(base as usize);
    start..start.saturating_add(part.len())
}

fn slice(head: &Bytes, range: &Range<usize>) -> Result<Bytes, Violation> {
    if range.start <= range.end && range.end <= head.len() {
        Ok(head.slice(range.clone()))
    } else {
        Err(Violation::InvalidStartLine)
    }
}

/// Parses a request head at the start of `buf`. `Ok(None)`: not complete yet (and within
/// the limits). On success the head is removed from `buf`.
pub(crate) fn request(
    buf: &mut BytesMut,
    limits: &Limits,
    scratch: &mut Scratch,
) -> Result<Option<(request::Parts, Seen)>, Violation> {
    let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; HEADER_SLOTS];
    let slots = slots.get_mut(..limits.header_slots()).unwrap_or_default();
    let mut req = httparse::Request::new(&mut []);
    let base = buf.as_ptr();
    let parsed =
        httparse::ParserConfig::default().parse_request_with_uninit_headers(&mut req, buf, slots);
    let len = match parsed {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return partial(buf, limits, true).map(|()| None),
        Err(e) => return Err(diagnose(buf, e)),
    };
    let head_bytes = buf.get(..len).unwrap_or_default();
    check_line_endings(head_bytes)?;
    if len > limits.max_head_size {
        return Err(Violation::HeadTooLarge);
    }
    let (Some(method), Some(path), Some(minor)) = (req.method, req.path, req.version) else {
        return Err(Violation::InvalidStartLine);
    };
    if path.len() > limits.max_uri_len {
        return Err(Violation::UriTooLong);
    }
    let method = Method::from_bytes(method.as_bytes()).map_err(|_| Violation::InvalidStartLine)?;
    let target = offset(base, path.as_bytes());
    let version = if minor == 0 {
        Version::HTTP_10
    } else {
        Version::HTTP_11
    };
    let mut hosts = 0_usize;
    let mut seen = Seen::default();
    scratch.spans.clear();
    for h in req.headers.iter() {
        if h.name.len() == 4 && h.name.eq_ignore_ascii_case("host") {
            hosts = hosts.saturating_add(1);
            check_host(h.value)?;
        } else {
            seen.note(h.name);
        }
        scratch.spans.push(Span {
            name: offset(base, h.name.as_bytes()),
            value: offset(base, h.value),
        });
    }
    // RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host or with several.
    match hosts {
        0 if version == Version::HTTP_11 => return Err(Violation::MissingHost),
        0 | 1 => {}
        _ => return Err(Violation::MultipleHost),
    }
    let head = buf.split_to(len).freeze();
    let uri = request_target(&method, slice(&head, &target)?)?;
    let headers = fields(&head, &scratch.spans)?;
    let (mut parts, ()) = http::Request::new(()).into_parts();
    parts.method = method;
    parts.uri = uri;
    parts.version = version;
    parts.headers = headers;
    Ok(Some((parts, seen)))
}

/// Parses a response head at the start of `buf`, as [`request`] does.
pub(crate) fn response(
    buf: &mut BytesMut,
    limits: &Limits,
    scratch: &mut Scratch,
) -> Result<Option<response::Parts>, Violation> {
    let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; HEADER_SLOTS];
    let slots = slots.get_mut(..limits.header_slots()).unwrap_or_default();
    let mut res = httparse::Response::new(&mut []);
    let base = buf.as_ptr();
    let parsed =
        httparse::ParserConfig::default().parse_response_with_uninit_headers(&mut res, buf, slots);
    let len = match parsed {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return partial(buf, limits, false).map(|()| None),
        Err(e) => return Err(diagnose(buf, e)),
    };
    check_line_endings(buf.get(..len).unwrap_or_default())?;
    if len > limits.max_head_size {
        return Err(Violation::HeadTooLarge);
    }
    let (Some(code), Some(minor)) = (res.code, res.version) else {
        return Err(Violation::InvalidStartLine);
    };
    // RFC 9110 §15: three digits, 1xx–5xx.
    let status = StatusCode::from_u16(code).map_err(|_| Violation::InvalidStatus)?;
    if !(100..600).contains(&code) {
        return Err(Violation::InvalidStatus);
    }
    scratch.spans.clear();
    for h in res.headers.iter() {
        scratch.spans.push(Span {
            name: offset(base, h.name.as_bytes()),
            value: offset(base, h.value),
        });
    }
    let head = buf.split_to(len).freeze();
    let headers = fields(&head, &scratch.spans)?;
    let (mut parts, ()) = http::Response::new(()).into_parts();
    parts.status = status;
    parts.version = if minor == 0 {
        Version::HTTP_10
    } else {
        Version::HTTP_11
    };
    parts.headers = headers;
    Ok(Some(parts))
}

/// Parses a trailer section (RFC 9112 §7.1.2) at the start of `buf`: field lines and a
/// blank line. `Ok(None)`: not complete yet. On success the section is removed from `buf`.
pub(crate) fn trailers(
    buf: &mut BytesMut,
    limits: &Limits,
) -> Result<Option<HeaderMap>, Violation> {
    // The common case: no trailer fields, just the blank line.
    if buf.starts_with(b"\r\n") {
        let _ = buf.split_to(2);
        return Ok(Some(HeaderMap::new()));
    }
    let mut slots = [httparse::EMPTY_HEADER; HEADER_SLOTS];
    let slots = slots.get_mut(..limits.header_slots()).unwrap_or_default();
    let base = buf.as_ptr();
    let (len, spans) = match httparse::parse_headers(buf, slots) {
        Ok(httparse::Status::Complete((len, fields))) => {
            let spans: Vec<Span> = fields
                .iter()
                .map(|h| Span {
                    name: offset(base, h.name.as_bytes()),
                    value: offset(base, h.value),
                })
                .collect();
            (len, spans)
        }
        Ok(httparse::Status::Partial) => {
            return if buf.len() > limits.max_trailer_size {
                Err(Violation::TrailersTooLarge)
            } else {
                Ok(None)
            };
        }
        Err(httparse::Error::TooManyHeaders) => return Err(Violation::TooManyHeaders),
        Err(_) => return Err(diagnose_fields(buf).unwrap_or(Violation::InvalidHeaderValue)),
    };
    check_line_endings(buf.get(..len).unwrap_or_default())?;
    if len > limits.max_trailer_size {
        return Err(Violation::TrailersTooLarge);
    }
    let section = buf.split_to(len).freeze();
    fields(&section, &spans).map(Some)
}

/// The field lines as a map; names are validated again by `http` and values shared with
/// the head's bytes.
fn fields(head: &Bytes, spans: &[Span]) -> Result<HeaderMap, Violation> {
    let mut map = HeaderMap::with_capacity(spans.len());
    for span in spans {
        let name = head.get(span.name.clone()).unwrap_or_default();
        let name = HeaderName::from_bytes(name).map_err(|_| Violation::InvalidHeaderName)?;
        let value = HeaderValue::from_maybe_shared(slice(head, &span.value)?)
            .map_err(|_| Violation::InvalidHeaderValue)?;
        map.append(name, value);
    }
    Ok(map)
}

/// A head that is not complete yet: fine while within the limits.
pub(crate) fn partial(buf: &[u8], limits: &Limits, is_request: bool) -> Result<(), Violation> {
    let line_done = buf.contains(&b'\n');
    if is_request && !line_done && buf.len() > limits.max_uri_len.saturating_add(REQUEST_LINE_SLACK)
    {
        return Err(Violation::UriTooLong);
    }
    if buf.len() > limits.max_head_size {
        return Err(Violation::HeadTooLarge);
    }
    Ok(())
}

/// RFC 9112 §2.2: every line ends in CRLF; no CR elsewhere. Equivalently: as many CRLF
/// pairs as CRs and as LFs (three counting passes, which vectorize).
// Heads are short; a dependency for counting bytes is not worth it.
#[allow(clippy::naive_bytecount)]
fn check_line_endings(head: &[u8]) -> Result<(), Violation> {
    let cr = head.iter().filter(|&&b| b == b'\r').count();
    let lf = head.iter().filter(|&&b| b == b'\n').count();
    let crlf = head
        .iter()
        .zip(head.get(1..).unwrap_or_default())
        .filter(|&(&a, &b)| a == b'\r' && b == b'\n')
        .count();
    if cr == crlf && lf == crlf {
        Ok(())
    } else {
        Err(Violation::BareLineEnding)
    }
}

/// Names the cause of a parse error, looking at the head again (error path only).
fn diagnose(buf: &[u8], e: httparse::Error) -> Violation {
    let end = find_head_end(buf).unwrap_or(buf.len());
    let head = buf.get(..end).unwrap_or_default();
    if check_line_endings(head).is_err() {
        return Violation::BareLineEnding;
    }
    match e {
        httparse::Error::TooManyHeaders => Violation::TooManyHeaders,
        httparse::Error::Version => Violation::InvalidVersion,
        httparse::Error::Status => Violation::InvalidStatus,
        httparse::Error::Token => Violation::InvalidStartLine,
        httparse::Error::HeaderName | httparse::Error::HeaderValue | httparse::Error::NewLine => {
            // Skip the start line; look at the field lines.
            let fields = head
                .iter()
                .position(|&b| b == b'\n')
                .and_then(|i| head.get(i.wrapping_add(1)..))
                .unwrap_or_default();
            diagnose_fields(fields).unwrap_or(match e {
                httparse::Error::HeaderName => Violation::InvalidHeaderName,
                httparse::Error::HeaderValue => Violation::InvalidHeaderValue,
                _ => Violation::InvalidStartLine,
            })
        }
    }
}

/// Names what is wrong with a block of field lines, if anything is.
fn diagnose_fields(fields: &[u8]) -> Option<Violation> {
    for line in fields.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.contains(&b'\r') {
            return Some(Violation::BareLineEnding);
        }
        if line.first().is_some_and(|&b| b == b' ' || b == b'\t') {
            return Some(Violation::ObsFold);
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Some(Violation::InvalidHeaderName);
        };
        let name = line.get(..colon).unwrap_or_default();
        if name.last().is_some_and(|&b| b == b' ' || b == b'\t') {
            return Some(Violation::WhitespaceBeforeColon);
        }
        if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
            return Some(Violation::InvalidHeaderName);
        }
        let value = line.get(colon.wrapping_add(1)..).unwrap_or_default();
        if value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            return Some(Violation::InvalidHeaderValue);
        }
    }
    None
}

/// The end of a head (just past its blank line), accepting bare LFs so that the error
/// can be named; `None` if there is none yet.
pub(crate) fn find_head_end(buf: &[u8]) -> Option<usize> {
    let mut i = 0_usize;
    while let Some(pos) = buf.get(i..)?.iter().position(|&b| b == b'\n') {
        let lf = i.checked_add(pos)?;
        let next = lf.checked_add(1)?;
        match buf.get(next) {
            Some(b'\n') => return next.checked_add(1),
            Some(b'\r') if buf.get(next.checked_add(1)?) == Some(&b'\n') => {
                return next.checked_add(2);
            }
            _ => {}
        }
        i = next;
    }
    None
}

/// RFC 9110 §5.6.2: `tchar`.
pub(crate) use stator_http::token::is_tchar;

/// RFC 9112 §3.2 / RFC 9110 §7.2: `Host = uri-host [ ":" port ]`, or empty. We accept the
/// characters of reg-name, IPv4 and IP-literal, and require the port to be digits; no
/// userinfo (`@`), no path, no whitespace.
fn check_host(value: &[u8]) -> Result<(), Violation> {
    let ok_char = |b: u8| b.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=:[]".contains(&b);
    if !value.iter().all(|&b| ok_char(b)) {
        return Err(Violation::InvalidHost);
    }
    let host_end = value.iter().rposition(|&b| b == b']').unwrap_or(0);
    let after = value.get(host_end..).unwrap_or_default();
    if let Some(colon) = after.iter().position(|&b| b == b':') {
        let port = after.get(colon.wrapping_add(1)..).unwrap_or_default();
        if !port.iter().all(u8::is_ascii_digit) {
            return Err(Violation::InvalidHost);
        }
        if value.starts_with(b"[") && !value.contains(&b']') {
            return Err(Violation::InvalidHost);
        }
    }
    Ok(())
}

/// RFC 9112 §3.2: which form the request-target takes, and whether the method allows it.
fn request_target(method: &Method, target: Bytes) -> Result<Uri, Violation> {
    let first = target.first().copied();
    let is_connect = method == Method::CONNECT;
    match first {
        // origin-form (§3.2.1)
        Some(b'/') if !is_connect => {}
        // asterisk-form (§3.2.4): OPTIONS only
        Some(b'*') if target.len() == 1 => {
            if method != Method::OPTIONS {
                return Err(Violation::TargetFormNotAllowed);
            }
        }
        Some(_) => {}
        None => return Err(Violation::InvalidTarget),
    }
    // RFC 9112 §3.2: no form of request-target carries a fragment (RFC 9110 §4.2.5: it is
    // not sent). The URI parser would drop it silently and the request would reach the
    // application with another target than the one sent: refuse it instead.
    if target.contains(&b'#') {
        return Err(Violation::InvalidTarget);
    }
    let uri = Uri::from_maybe_shared(target).map_err(|_| Violation::InvalidTarget)?;
    let origin = first == Some(b'/');
    let asterisk = uri.path() == "*" && uri.authority().is_none();
    let authority_form = uri.scheme().is_none() && uri.authority().is_some() && !origin;
    let absolute_form = uri.scheme().is_some() && uri.authority().is_some();
    if is_connect {
        // §3.2.3: authority-form, with a port.
        if !authority_form || uri.port_u16().is_none() {
            return Err(Violation::TargetFormNotAllowed);
        }
    } else if authority_form {
        return Err(Violation::TargetFormNotAllowed);
    } else if !(origin || asterisk || absolute_form) {
        return Err(Violation::InvalidTarget);
    }
    Ok(uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(bytes: &[u8]) -> Result<Option<(request::Parts, Seen)>, Violation> {
        let mut buf = BytesMut::from(bytes);
        request(&mut buf, &Limits::default(), &mut Scratch::default())
    }

    #[test]
    fn a_target_with_a_fragment_is_refused() {
        // Found by the h1_request_vs_httparse fuzz target: `/QQ#H` became `/QQ`.
        for target in ["/QQ#H", "/#", "http://example.com/a#b", "/a?b#c"] {
            let head = format!("GET {target} HTTP/1.1\r\nHost: example.com\r\n\r\n");
            assert_eq!(
                req(head.as_bytes()).unwrap_err(),
                Violation::InvalidTarget,
                "{target}"
            );
        }
    }

    #[test]
    fn origin_form_shares_the_buffer() {
        let (parts, seen) =
            req(b"GET /where?q=now HTTP/1.1\r\nHost: www.example.com\r\nX-A: b\r\n\r\n")
                .unwrap()
                .unwrap();
        assert_eq!(seen, Seen::default());
        assert_eq!(parts.method, Method::GET);
        assert_eq!(parts.uri, "/where?q=now");
        assert_eq!(parts.headers["host"], "www.example.com");
        assert_eq!(parts.headers["x-a"], "b");
        assert_eq!(parts.version, Version::HTTP_11);
    }

    #[test]
    fn partial_then_complete() {
        assert!(req(b"GET / HTTP/1.1\r\nHost: a\r\n").unwrap().is_none());
        assert!(req(b"GET / HT").unwrap().is_none());
        assert!(req(b"").unwrap().is_none());
    }

    #[test]
    fn forms() {
        use Violation as V;
        let ok = |s: &str| req(s.as_bytes()).unwrap().unwrap().0.uri;
        assert_eq!(ok("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), "*");
        assert_eq!(
            ok("CONNECT server.example.com:80 HTTP/1.1\r\nHost: server.example.com:80\r\n\r\n")
                .port_u16(),
            Some(80)
        );
        assert_eq!(
            ok("GET http://www.example.org/pub/WWW/TheProject.html HTTP/1.1\r\nHost: www.example.org\r\n\r\n")
                .path(),
            "/pub/WWW/TheProject.html"
        );
        let err = |s: &str| req(s.as_bytes()).unwrap_err();
        assert_eq!(
            err("GET * HTTP/1.1\r\nHost: a\r\n\r\n"),
            V::TargetFormNotAllowed
        );
        assert_eq!(
            err("GET a.com:80 HTTP/1.1\r\nHost: a\r\n\r\n"),
            V::TargetFormNotAllowed
        );
        assert_eq!(
            err("CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n"),
            V::TargetFormNotAllowed
        );
        assert_eq!(
            err("CONNECT a.com HTTP/1.1\r\nHost: a\r\n\r\n"),
            V::TargetFormNotAllowed
        );
        assert_eq!(
            err("CONNECT http://a.com:80/ HTTP/1.1\r\nHost: a\r\n\r\n"),
            V::TargetFormNotAllowed
        );
    }

    #[test]
    fn head_end() {
        assert_eq!(find_head_end(b"a\r\n\r\nb"), Some(5));
        assert_eq!(find_head_end(b"a\n\nb"), Some(3));
        assert_eq!(find_head_end(b"a\r\nb\r\n"), None);
        assert_eq!(find_head_end(b""), None);
    }

    #[test]
    fn hosts() {
        for ok in [
            &b""[..],
            b"a",
            b"a.b:80",
            b"[::1]:8080",
            b"[::1]",
            b"10.0.0.1",
        ] {
            assert_eq!(check_host(ok), Ok(()), "{ok:?}");
        }
        for bad in [&b"a b"[..], b"u@h", b"a/b", b"a:x", b"[::1]:x"] {
            assert_eq!(check_host(bad), Err(Violation::InvalidHost), "{bad:?}");
        }
    }
}
