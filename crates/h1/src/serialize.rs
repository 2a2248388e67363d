//! Writing heads (RFC 9112 §3–§5) and choosing the framing of what we send (§6).
//!
//! The application says how long its content is ([`BodySize`]); the machine writes the
//! framing fields itself, so a message never carries two: `Content-Length` for a known
//! length, `Transfer-Encoding: chunked` for an unknown one to an HTTP/1.1 peer, and for an
//! HTTP/1.0 client close-delimited content and `Connection: close`. Framing fields in the
//! application's head must agree with the size it gives (they are then written once) or
//! the call fails. Every check runs before the first byte is written; a refused head
//! leaves nothing behind in the output.

use bytes::BytesMut;
use http::header::{CONNECTION, CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Version, request, response};
use stator_http::body::{parse_content_length, response_has_content};

use crate::error::LocalError;
use crate::framing::{ConnectionOptions, Framing, persistent};
use crate::state::Pending;

/// How much content the application will send with a head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodySize {
    /// None: the message is complete with its head (no `send_end` needed).
    Empty,
    /// Exactly this many octets: sent with `Content-Length`.
    Known(u64),
    /// Not known in advance: chunked to an HTTP/1.1 peer (trailers possible), or for a
    /// response to an HTTP/1.0 client, until the connection closes.
    Unknown,
}

/// What the machine decided for a head it wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Written {
    /// The framing of the content to follow; `None` for a response that has no content
    /// whatever its fields say (HEAD, 1xx, 204, 304) or a switch.
    pub(crate) framing: Option<Framing>,
    /// Whether the connection persists after this message.
    pub(crate) keep_alive: bool,
}

fn version(v: Version) -> &'static [u8] {
    if v == Version::HTTP_10 {
        b"HTTP/1.0"
    } else {
        b"HTTP/1.1"
    }
}

/// What the application's head says about framing, noted while its fields are written.
#[derive(Debug, Clone, Copy, Default)]
struct AppFields {
    /// Its Content-Length: `Err` if invalid or conflicting.
    content_length: Option<Result<u64, ()>>,
    /// Transfer-Encoding lines, and whether each was exactly `chunked`.
    transfer_encoding: bool,
    only_chunked: bool,
    options: ConnectionOptions,
}

impl AppFields {
    /// Checks the framing fields against `size`; returns whether there is a
    /// Content-Length.
    fn check(&self, size: BodySize) -> Result<bool, LocalError> {
        let declared = self
            .content_length
            .transpose()
            .map_err(|()| LocalError::ConflictingFraming)?;
        match (declared, size) {
            (None, _) | (Some(0), BodySize::Empty) => {}
            (Some(n), BodySize::Known(m)) if n == m => {}
            _ => return Err(LocalError::ConflictingFraming),
        }
        if self.transfer_encoding && (size != BodySize::Unknown || !self.only_chunked) {
            return Err(LocalError::ConflictingFraming);
        }
        Ok(declared.is_some())
    }
}

/// Field lines, without the framing fields (written by the machine), in one pass that
/// notes what the framing fields and `Connection` say.
fn write_fields(headers: &HeaderMap, out: &mut BytesMut) -> Result<AppFields, LocalError> {
    let mut app = AppFields {
        only_chunked: true,
        ..AppFields::default()
    };
    for (name, value) in headers {
        if name == CONTENT_LENGTH {
            let n = parse_content_length(value.as_bytes()).map_err(|_| ());
            app.content_length = Some(match (app.content_length, n) {
                (None, n) => n,
                (Some(Ok(a)), Ok(b)) if a == b => Ok(a),
                _ => Err(()),
            });
            continue;
        }
        if name == TRANSFER_ENCODING {
            app.transfer_encoding = true;
            app.only_chunked &= value
                .as_bytes()
                .trim_ascii()
                .eq_ignore_ascii_case(b"chunked");
            continue;
        }
        if name == CONNECTION {
            app.options.add(value);
        }
        write_field(name.as_str().as_bytes(), value, out)?;
    }
    Ok(app)
}

fn write_field(name: &[u8], value: &HeaderValue, out: &mut BytesMut) -> Result<(), LocalError> {
    let value = value.as_bytes();
    // `HeaderValue` refuses these unless built with the unchecked constructor; one in a
    // value would end the field line early and let the rest be read as another field.
    if value.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0) {
        return Err(LocalError::InvalidFieldValue);
    }
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
    Ok(())
}

fn write_content_length(n: u64, out: &mut BytesMut) {
    out.extend_from_slice(b"content-length: ");
    let mut digits = [0_u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i = i.saturating_sub(1);
        if let Some(d) = digits.get_mut(i) {
            *d = b'0'.wrapping_add((n % 10) as u8);
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(i..).unwrap_or_default());
    out.extend_from_slice(b"\r\n");
}

/// Writes everything or nothing: on error, `out` is cut back to where it was.
fn all_or_nothing<T>(
    out: &mut BytesMut,
    f: impl FnOnce(&mut BytesMut) -> Result<T, LocalError>,
) -> Result<T, LocalError> {
    let start = out.len();
    let result = f(out);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// Appends a request head (RFC 9112 §3) and returns the framing of its content.
pub(crate) fn request_head(
    head: &request::Parts,
    size: BodySize,
    out: &mut BytesMut,
) -> Result<Written, LocalError> {
    all_or_nothing(out, |out| {
        let http10 = head.version == Version::HTTP_10;
        let connect = head.method == Method::CONNECT;
        // RFC 9112 §3.2: authority-form for CONNECT, asterisk-form for `OPTIONS *`,
        // origin-form otherwise (the authority goes in Host).
        let authority = head.uri.authority();
        out.extend_from_slice(head.method.as_str().as_bytes());
        out.extend_from_slice(b" ");
        if connect {
            let authority = authority.ok_or(LocalError::InvalidTarget)?;
            if authority.port_u16().is_none() || size != BodySize::Empty {
                return Err(LocalError::InvalidTarget);
            }
            out.extend_from_slice(authority.as_str().as_bytes());
        } else if head.uri.path() == "*" && head.method == Method::OPTIONS {
            out.extend_from_slice(b"*");
        } else {
            let target = head.uri.path_and_query().map_or("/", |p| p.as_str());
            out.extend_from_slice(if target.is_empty() { "/" } else { target }.as_bytes());
        }
        out.extend_from_slice(b" ");
        out.extend_from_slice(version(head.version));
        out.extend_from_slice(b"\r\n");
        // RFC 9112 §3.2: exactly one Host in HTTP/1.1, from the URI if the head has none.
        let hosts = head.headers.get_all(HOST).iter().count();
        match (hosts, authority) {
            (0, Some(a)) => {
                out.extend_from_slice(b"host: ");
                out.extend_from_slice(a.as_str().as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            (0, None) if http10 => {}
            (1, _) => {}
            _ => return Err(LocalError::InvalidHost),
        }
        let app = write_fields(&head.headers, out)?;
        let has_cl = app.check(size)?;
        let framing = match size {
            BodySize::Empty => {
                // RFC 9110 §8.6: a user agent sends Content-Length with methods that
                // define a meaning for content.
                let has_meaning = matches!(head.method.as_str(), "POST" | "PUT" | "PATCH");
                if has_meaning || has_cl {
                    write_content_length(0, out);
                }
                Framing::Empty
            }
            BodySize::Known(n) => {
                write_content_length(n, out);
                Framing::Length(n)
            }
            BodySize::Unknown if http10 => return Err(LocalError::UnknownLengthRequest),
            BodySize::Unknown => {
                out.extend_from_slice(b"transfer-encoding: chunked\r\n");
                Framing::Chunked
            }
        };
        out.extend_from_slice(b"\r\n");
        let keep_alive = persistent(head.version, app.options);
        Ok(Written {
            framing: Some(framing),
            keep_alive,
        })
    })
}

fn status_line(status: StatusCode, out: &mut BytesMut) {
    // RFC 9112 §4: we speak HTTP/1.1 to every client (RFC 9110 §6.2), with the canonical
    // reason phrase (or none: the SP before it stays).
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.extend_from_slice(b" ");
    out.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends an interim (1xx) response head, or a 101 that switches protocols: status line
/// and the application's fields, never a framing field (RFC 9110 §8.6).
pub(crate) fn informational_head(
    head: &response::Parts,
    out: &mut BytesMut,
) -> Result<(), LocalError> {
    all_or_nothing(out, |out| {
        if head.headers.contains_key(CONTENT_LENGTH) || head.headers.contains_key(TRANSFER_ENCODING)
        {
            return Err(LocalError::ContentLengthNotAllowed);
        }
        status_line(head.status, out);
        write_fields(&head.headers, out)?;
        out.extend_from_slice(b"\r\n");
        Ok(())
    })
}

/// Appends a final response head (RFC 9112 §4) to the request described by `pending`.
/// `conn_keep_alive` is whether the connection can still persist, before this response
/// has its say.
pub(crate) fn response_head(
    head: &response::Parts,
    size: BodySize,
    pending: &Pending,
    conn_keep_alive: bool,
    out: &mut BytesMut,
) -> Result<Written, LocalError> {
    all_or_nothing(out, |out| {
        let status = head.status;
        let headers = &head.headers;
        let connect_ok = pending.method == Method::CONNECT && status.is_success();
        let has_content = response_has_content(&pending.method, status) && !connect_ok;
        // RFC 9110 §8.6: no Content-Length in 1xx, 204 or a 2xx to CONNECT.
        let forbids_cl =
            status.is_informational() || status == StatusCode::NO_CONTENT || connect_ok;
        status_line(status, out);
        let app = write_fields(headers, out)?;
        let has_cl = if has_content {
            app.check(size)?
        } else {
            if app.transfer_encoding {
                return Err(LocalError::ConflictingFraming);
            }
            let cl = app.content_length.is_some();
            if forbids_cl && (cl || matches!(size, BodySize::Known(_))) {
                return Err(LocalError::ContentLengthNotAllowed);
            }
            if connect_ok && size != BodySize::Empty {
                return Err(LocalError::ContentNotAllowed);
            }
            cl
        };
        let peer10 = pending.version == Version::HTTP_10;
        let framing = has_content.then_some(match size {
            BodySize::Empty => Framing::Empty,
            BodySize::Known(n) => Framing::Length(n),
            BodySize::Unknown if peer10 => Framing::UntilClose,
            BodySize::Unknown => Framing::Chunked,
        });
        let options = app.options;
        // A refused CONNECT closes too: the client may have sent tunnel bytes already,
        // which must not be read as requests.
        let keep_alive = conn_keep_alive
            && !options.close
            && framing != Some(Framing::UntilClose)
            && pending.method != Method::CONNECT;
        match (framing, size) {
            (Some(Framing::Length(n)), _) => write_content_length(n, out),
            (Some(Framing::Empty), _) => write_content_length(0, out),
            (Some(Framing::Chunked), _) => out.extend_from_slice(b"transfer-encoding: chunked\r\n"),
            // HEAD and 304: the length the content would have (RFC 9110 §8.6).
            (None, BodySize::Known(n)) if !has_cl => write_content_length(n, out),
            (None, _) => {
                if has_cl {
                    for v in headers.get_all(CONTENT_LENGTH) {
                        write_field(b"content-length", v, out)?;
                    }
                }
            }
            (Some(Framing::UntilClose), _) => {}
        }
        // RFC 9112 §9.3, §9.6: say so when we close; an HTTP/1.0 client needs to hear that
        // the connection persists.
        if !keep_alive && !options.close && !connect_ok {
            out.extend_from_slice(b"connection: close\r\n");
        } else if keep_alive && peer10 && !options.keep_alive {
            out.extend_from_slice(b"connection: keep-alive\r\n");
        }
        out.extend_from_slice(b"\r\n");
        Ok(Written {
            framing,
            keep_alive,
        })
    })
}

/// The response a server sends on its own when the request was bad (RFC 9112 §9.6: it
/// closes after it).
pub(crate) fn error_response(status: StatusCode, out: &mut BytesMut) {
    status_line(status, out);
    out.extend_from_slice(b"connection: close\r\ncontent-length: 0\r\n\r\n");
}

/// Fields that must not be sent in a trailer section (RFC 9110 §6.5.1): framing,
/// routing, connection control, and what describes or transforms the content.
fn forbidden_in_trailers(name: &http::HeaderName) -> bool {
    use http::header as h;
    [
        CONTENT_LENGTH,
        TRANSFER_ENCODING,
        HOST,
        CONNECTION,
        h::TE,
        h::TRAILER,
        h::UPGRADE,
        h::CONTENT_TYPE,
        h::CONTENT_ENCODING,
        h::CONTENT_RANGE,
        h::AUTHORIZATION,
        h::SET_COOKIE,
        h::EXPECT,
    ]
    .contains(name)
        || name.as_str() == "keep-alive"
}

/// Appends the last chunk and the trailer section (RFC 9112 §7.1).
pub(crate) fn last_chunk(
    trailers: Option<&HeaderMap>,
    out: &mut BytesMut,
) -> Result<(), LocalError> {
    all_or_nothing(out, |out| {
        out.extend_from_slice(b"0\r\n");
        for (name, value) in trailers.into_iter().flatten() {
            if forbidden_in_trailers(name) {
                return Err(LocalError::ForbiddenTrailer(name.clone()));
            }
            write_field(name.as_str().as_bytes(), value, out)?;
        }
        out.extend_from_slice(b"\r\n");
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(method: Method, version: Version) -> Pending {
        Pending {
            method,
            version,
            switch: None,
            expect_continue: false,
        }
    }

    fn response(status: u16, fields: &[(&'static str, &'static str)]) -> response::Parts {
        let mut b = http::Response::builder().status(status);
        for (n, v) in fields {
            b = b.header(*n, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    fn write(head: &response::Parts, size: BodySize, p: &Pending) -> Result<String, LocalError> {
        let mut out = BytesMut::new();
        response_head(head, size, p, true, &mut out)?;
        Ok(String::from_utf8(out.to_vec()).unwrap())
    }

    #[test]
    fn framing_choices() {
        let get11 = pending(Method::GET, Version::HTTP_11);
        let get10 = pending(Method::GET, Version::HTTP_10);
        let ok = response(200, &[]);
        assert_eq!(
            write(&ok, BodySize::Known(5), &get11).unwrap(),
            "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n"
        );
        assert_eq!(
            write(&ok, BodySize::Unknown, &get11).unwrap(),
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
        );
        assert_eq!(
            write(&ok, BodySize::Unknown, &get10).unwrap(),
            "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n"
        );
        assert_eq!(
            write(&ok, BodySize::Empty, &get10).unwrap(),
            "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: keep-alive\r\n\r\n"
        );
        let head = pending(Method::HEAD, Version::HTTP_11);
        assert_eq!(
            write(&ok, BodySize::Known(42), &head).unwrap(),
            "HTTP/1.1 200 OK\r\ncontent-length: 42\r\n\r\n"
        );
    }

    #[test]
    fn refusals_leave_nothing() {
        let get = pending(Method::GET, Version::HTTP_11);
        let mut out = BytesMut::from(&b"before"[..]);
        let cl = response(200, &[("content-length", "3")]);
        assert_eq!(
            response_head(&cl, BodySize::Known(4), &get, true, &mut out),
            Err(LocalError::ConflictingFraming)
        );
        assert_eq!(&out[..], b"before");
        let te = response(200, &[("transfer-encoding", "gzip")]);
        assert_eq!(
            write(&te, BodySize::Unknown, &get),
            Err(LocalError::ConflictingFraming)
        );
        let no_content = response(204, &[("content-length", "0")]);
        assert_eq!(
            write(&no_content, BodySize::Empty, &get),
            Err(LocalError::ContentLengthNotAllowed)
        );
        assert_eq!(
            write(&response(204, &[]), BodySize::Known(3), &get),
            Err(LocalError::ContentLengthNotAllowed)
        );
        let connect = pending(Method::CONNECT, Version::HTTP_11);
        assert_eq!(
            write(&response(200, &[]), BodySize::Unknown, &connect),
            Err(LocalError::ContentNotAllowed)
        );
        assert_eq!(
            write(&response(200, &[]), BodySize::Empty, &connect).unwrap(),
            "HTTP/1.1 200 OK\r\n\r\n"
        );
    }

    #[test]
    fn trailers() {
        let mut out = BytesMut::new();
        let mut t = HeaderMap::new();
        t.insert("expires", HeaderValue::from_static("never"));
        last_chunk(Some(&t), &mut out).unwrap();
        assert_eq!(&out[..], b"0\r\nexpires: never\r\n\r\n");
        t.insert(CONTENT_LENGTH, HeaderValue::from_static("1"));
        let mut out = BytesMut::new();
        assert_eq!(
            last_chunk(Some(&t), &mut out),
            Err(LocalError::ForbiddenTrailer(CONTENT_LENGTH))
        );
        assert!(out.is_empty());
    }

    #[test]
    fn content_length_digits() {
        for n in [0, 7, 10, 1234567890, u64::MAX] {
            let mut out = BytesMut::new();
            write_content_length(n, &mut out);
            assert_eq!(out, format!("content-length: {n}\r\n").as_bytes());
        }
    }
}
