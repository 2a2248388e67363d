//! A small HTTP/1.1 head codec for running the opening handshake without `stator-h1`.
//!
//! It writes request and response heads (RFC 9112 §2-§5) from `http` crate `Parts`, and
//! reads the peer's head incrementally from bytes with `httparse`. Reading is bounded
//! ([`HeadLimits`]), strict (CRLF line endings only, no obsolete line folding) and never
//! panics; a complete head comes back with the bytes that followed it in the same input,
//! which are the first WebSocket frame bytes.
//!
//! ```
//! use stator_ws::handshake::codec::{HeadLimits, RequestReader};
//!
//! let mut reader = RequestReader::new(HeadLimits::default());
//! assert!(reader.recv(b"GET /chat HTTP/1.1\r\nHost: a\r\n")?.is_none());
//! let (head, leftover) = reader.recv(b"\r\n\x81\x00")?.expect("complete");
//! assert_eq!(head.uri.path(), "/chat");
//! assert_eq!(&leftover[..], b"\x81\x00");
//! # Ok::<(), stator_ws::handshake::HeadError>(())
//! ```

use bytes::{Bytes, BytesMut};
use http::{
    HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, Version, request, response,
};

use super::HeadError;

/// Bounds on what a peer's head may make us hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeadLimits {
    /// The most bytes a head may take, start line through the blank line. Default 16 KiB.
    ///
    /// Stops a peer from growing the buffer without end by never finishing its head.
    pub max_head_size: usize,
    /// The most header lines. Default 100. Stops header floods (each costs a parse slot
    /// and a map entry).
    pub max_headers: usize,
    /// Server side: the most bytes kept after the request head while the application has
    /// not accepted or rejected yet. Default 16 KiB. A client must wait for the 101
    /// before it sends frames (RFC 6455 §4.1); one that does not is tolerated up to this.
    pub max_early_data: usize,
}

impl Default for HeadLimits {
    fn default() -> HeadLimits {
        HeadLimits {
            max_head_size: 16 * 1024,
            max_headers: 100,
            max_early_data: 16 * 1024,
        }
    }
}

/// Appends a request head: request line with the origin-form target, headers, blank line
/// (RFC 9112 §3).
pub fn write_request(head: &request::Parts, out: &mut Vec<u8>) {
    let target = head.uri.path_and_query().map_or("/", |p| p.as_str());
    let target = if target.is_empty() { "/" } else { target };
    out.extend_from_slice(head.method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(target.as_bytes());
    out.push(b' ');
    out.extend_from_slice(version_str(head.version).as_bytes());
    out.extend_from_slice(b"\r\n");
    write_fields(&head.headers, out);
}

/// Appends a response head: status line, headers, blank line (RFC 9112 §4).
pub fn write_response(head: &response::Parts, out: &mut Vec<u8>) {
    out.extend_from_slice(version_str(head.version).as_bytes());
    out.push(b' ');
    out.extend_from_slice(head.status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(head.status.canonical_reason().unwrap_or("").as_bytes());
    out.extend_from_slice(b"\r\n");
    write_fields(&head.headers, out);
}

fn version_str(version: Version) -> &'static str {
    if version == Version::HTTP_10 {
        "HTTP/1.0"
    } else {
        "HTTP/1.1"
    }
}

fn write_fields(headers: &HeaderMap, out: &mut Vec<u8>) {
    for (name, value) in headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// Collects bytes until the blank line that ends a head, within the limits.
#[derive(Debug)]
struct HeadBuffer {
    limits: HeadLimits,
    buf: BytesMut,
}

impl HeadBuffer {
    fn new(limits: HeadLimits) -> HeadBuffer {
        HeadBuffer {
            limits,
            buf: BytesMut::new(),
        }
    }

    /// Takes `input`; once the head is complete returns it and the bytes after it, and
    /// starts afresh.
    fn push(&mut self, input: &[u8]) -> Result<Option<(BytesMut, Bytes)>, HeadError> {
        let max = self.limits.max_head_size;
        let prev = self.buf.len();
        let take = input.len().min(max.saturating_sub(prev));
        let (now, rest) = input.split_at_checked(take).unwrap_or((input, &[]));
        self.buf.extend_from_slice(now);
        // The terminator may straddle the previous input: look back three bytes.
        let from = prev.saturating_sub(3);
        let end = self
            .buf
            .get(from..)
            .and_then(|tail| tail.windows(4).position(|w| w == b"\r\n\r\n"))
            .map(|p| from.saturating_add(p).saturating_add(4));
        // RFC 9112 §2.2 lets a recipient accept a bare LF; we do not, so that a head that
        // some other parser would end elsewhere is an error here.
        let scanned = self
            .buf
            .get(..end.unwrap_or(self.buf.len()))
            .unwrap_or_default();
        let mut prev_byte = if prev == 0 {
            None
        } else {
            scanned.get(prev.saturating_sub(1)).copied()
        };
        for &b in scanned.get(prev..).unwrap_or_default() {
            if b == b'\n' && prev_byte != Some(b'\r') {
                self.buf.clear();
                return Err(HeadError::BareLf);
            }
            prev_byte = Some(b);
        }
        match end {
            Some(end) => {
                let head = self.buf.split_to(end);
                let mut after = std::mem::take(&mut self.buf);
                let leftover = if after.is_empty() {
                    Bytes::copy_from_slice(rest)
                } else {
                    after.extend_from_slice(rest);
                    after.freeze()
                };
                Ok(Some((head, leftover)))
            }
            None if self.buf.len() >= max => {
                self.buf.clear();
                Err(HeadError::TooLarge { limit: max })
            }
            None => Ok(None),
        }
    }
}

fn map_error(e: httparse::Error, limits: &HeadLimits) -> HeadError {
    match e {
        httparse::Error::HeaderName => HeadError::InvalidHeaderName,
        httparse::Error::HeaderValue => HeadError::InvalidHeaderValue,
        httparse::Error::NewLine => HeadError::InvalidNewLine,
        httparse::Error::Status => HeadError::InvalidStatus,
        httparse::Error::Token => HeadError::InvalidMethod,
        httparse::Error::TooManyHeaders => HeadError::TooManyHeaders {
            limit: limits.max_headers,
        },
        httparse::Error::Version => HeadError::InvalidVersion,
    }
}

/// How many header slots to give httparse: the limit, but never more than a head of
/// `len` bytes can fill (a field line takes at least 4 bytes, `x:` and CRLF), so a large
/// configured limit costs nothing on small heads and cannot overflow the allocation.
fn header_slots(limits: &HeadLimits, len: usize) -> usize {
    limits.max_headers.min((len / 4).saturating_add(1))
}

fn to_version(minor: Option<u8>) -> Result<Version, HeadError> {
    match minor {
        Some(0) => Ok(Version::HTTP_10),
        Some(1) => Ok(Version::HTTP_11),
        _ => Err(HeadError::InvalidVersion),
    }
}

fn to_headers(fields: &[httparse::Header<'_>]) -> Result<HeaderMap, HeadError> {
    let mut map = HeaderMap::with_capacity(fields.len());
    for f in fields {
        let name =
            HeaderName::from_bytes(f.name.as_bytes()).map_err(|_| HeadError::InvalidHeaderName)?;
        let value = HeaderValue::from_bytes(f.value).map_err(|_| HeadError::InvalidHeaderValue)?;
        map.append(name, value);
    }
    Ok(map)
}

/// Reads a request head from a byte stream, for the server side.
#[derive(Debug)]
pub struct RequestReader {
    buf: HeadBuffer,
}

impl RequestReader {
    /// A reader bounded by `limits`.
    pub fn new(limits: HeadLimits) -> RequestReader {
        RequestReader {
            buf: HeadBuffer::new(limits),
        }
    }

    /// Takes the next bytes of the stream. Returns the head and the bytes after it once
    /// the blank line arrived, `None` while more bytes are needed.
    ///
    /// After a head or an error the reader starts afresh.
    pub fn recv(&mut self, input: &[u8]) -> Result<Option<(request::Parts, Bytes)>, HeadError> {
        let Some((head, leftover)) = self.buf.push(input)? else {
            return Ok(None);
        };
        let limits = self.buf.limits;
        let mut fields = vec![httparse::EMPTY_HEADER; header_slots(&limits, head.len())];
        let mut req = httparse::Request::new(&mut fields);
        match req.parse(&head) {
            Ok(httparse::Status::Complete(n)) if n == head.len() => {}
            Ok(_) => return Err(HeadError::InvalidStartLine),
            Err(e) => return Err(map_error(e, &limits)),
        }
        let (mut parts, ()) = http::Request::new(()).into_parts();
        parts.method = Method::from_bytes(req.method.unwrap_or_default().as_bytes())
            .map_err(|_| HeadError::InvalidMethod)?;
        parts.uri =
            Uri::try_from(req.path.unwrap_or_default()).map_err(|_| HeadError::InvalidTarget)?;
        parts.version = to_version(req.version)?;
        parts.headers = to_headers(req.headers)?;
        Ok(Some((parts, leftover)))
    }
}

/// Reads a response head from a byte stream, for the client side.
#[derive(Debug)]
pub struct ResponseReader {
    buf: HeadBuffer,
}

impl ResponseReader {
    /// A reader bounded by `limits`.
    pub fn new(limits: HeadLimits) -> ResponseReader {
        ResponseReader {
            buf: HeadBuffer::new(limits),
        }
    }

    /// Takes the next bytes of the stream. Returns the head and the bytes after it once
    /// the blank line arrived, `None` while more bytes are needed.
    ///
    /// After a head or an error the reader starts afresh.
    pub fn recv(&mut self, input: &[u8]) -> Result<Option<(response::Parts, Bytes)>, HeadError> {
        let Some((head, leftover)) = self.buf.push(input)? else {
            return Ok(None);
        };
        let limits = self.buf.limits;
        let mut fields = vec![httparse::EMPTY_HEADER; header_slots(&limits, head.len())];
        let mut res = httparse::Response::new(&mut fields);
        match res.parse(&head) {
            Ok(httparse::Status::Complete(n)) if n == head.len() => {}
            Ok(_) => return Err(HeadError::InvalidStartLine),
            Err(e) => return Err(map_error(e, &limits)),
        }
        let (mut parts, ()) = http::Response::new(()).into_parts();
        parts.status = StatusCode::from_u16(res.code.unwrap_or_default())
            .map_err(|_| HeadError::InvalidStatus)?;
        parts.version = to_version(res.version)?;
        parts.headers = to_headers(res.headers)?;
        Ok(Some((parts, leftover)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> HeadLimits {
        HeadLimits {
            max_head_size: 64,
            max_headers: 2,
            max_early_data: 0,
        }
    }

    #[test]
    fn terminator_split_across_inputs() {
        let mut r = RequestReader::new(HeadLimits::default());
        for chunk in [&b"GET / HTTP/1.1\r\nHost: a\r"[..], b"\n", b"\r", b"\nrest"] {
            if let Some((head, left)) = r.recv(chunk).unwrap() {
                assert_eq!(head.headers["host"], "a");
                assert_eq!(&left[..], b"rest");
                return;
            }
        }
        panic!("head not completed");
    }

    #[test]
    fn limits_and_bare_lf() {
        let mut r = RequestReader::new(limits());
        assert_eq!(
            r.recv(&[b'a'; 64]).unwrap_err(),
            HeadError::TooLarge { limit: 64 }
        );
        let mut r = RequestReader::new(limits());
        let err = r
            .recv(b"GET / HTTP/1.1\r\na: 1\r\nb: 2\r\nc: 3\r\n\r\n")
            .unwrap_err();
        assert_eq!(err, HeadError::TooManyHeaders { limit: 2 });
        let mut r = RequestReader::new(limits());
        assert_eq!(
            r.recv(b"GET / HTTP/1.1\na: 1\r\n\r\n").unwrap_err(),
            HeadError::BareLf
        );
        // Exactly at the limit is fine, and what follows is leftover, LF or not.
        let head = b"GET / HTTP/1.1\r\nHost: example.com\r\nX-Pad: 0123456789abcdefgh\r\n\r\n";
        assert_eq!(head.len(), 64);
        let mut input = head.to_vec();
        input.extend_from_slice(b"\n\n");
        let (_, left) = RequestReader::new(limits()).recv(&input).unwrap().unwrap();
        assert_eq!(&left[..], b"\n\n");
    }

    #[test]
    fn a_huge_header_limit_costs_nothing() {
        let limits = HeadLimits {
            max_headers: usize::MAX,
            ..HeadLimits::default()
        };
        let (head, _) = RequestReader::new(limits)
            .recv(b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(head.headers.len(), 2);
    }

    #[test]
    fn malformed_heads() {
        let cases: [(&[u8], HeadError); 6] = [
            (b"GET / HTTP/2.0\r\n\r\n", HeadError::InvalidVersion),
            (b"G\x01T / HTTP/1.1\r\n\r\n", HeadError::InvalidMethod),
            (
                b"GET / HTTP/1.1\r\nA B: c\r\n\r\n",
                HeadError::InvalidHeaderName,
            ),
            (
                b"GET / HTTP/1.1\r\nA: b\x01\r\n\r\n",
                HeadError::InvalidHeaderValue,
            ),
            (
                b"GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",
                HeadError::InvalidHeaderName,
            ),
            (b"\r\n\r\n", HeadError::InvalidStartLine),
        ];
        for (input, want) in cases {
            let got = RequestReader::new(HeadLimits::default()).recv(input);
            assert_eq!(
                got.unwrap_err(),
                want,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
        let got = ResponseReader::new(HeadLimits::default()).recv(b"HTTP/1.1 99 X\r\n\r\n");
        assert_eq!(got.unwrap_err(), HeadError::InvalidStatus);
    }

    #[test]
    fn write_then_read() {
        let req = http::Request::get("ws://h/p?q=1")
            .header("host", "h")
            .body(())
            .unwrap();
        let mut out = Vec::new();
        write_request(&req.into_parts().0, &mut out);
        assert_eq!(out, b"GET /p?q=1 HTTP/1.1\r\nhost: h\r\n\r\n");
        let res = http::Response::builder()
            .status(101)
            .header("upgrade", "websocket")
            .body(())
            .unwrap();
        let mut out = Vec::new();
        write_response(&res.into_parts().0, &mut out);
        assert_eq!(
            out,
            b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n"
        );
        let (head, left) = ResponseReader::new(HeadLimits::default())
            .recv(&out)
            .unwrap()
            .unwrap();
        assert_eq!(head.status, 101);
        assert!(left.is_empty());
    }
}
