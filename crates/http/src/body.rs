//! Message content: which messages have it (RFC 9110 §6.4.1, RFC 9112 §6.3), the
//! Content-Length field (RFC 9110 §8.6), and a tracker that holds the content received
//! to the declared length (RFC 9113 §8.1.1, RFC 9114 §4.1.2).
//!
//! Shared by the three versions: HTTP/1.1 frames content by it, HTTP/2 and HTTP/3 must
//! treat a message whose DATA does not add up to its Content-Length as malformed.
//!
//! **Lists of identical values.** RFC 9110 §8.6 lets a recipient either reject
//! `Content-Length: 42, 42` or read it as 42; RFC 9112 §6.3 (item 5) says such a list
//! whose values are all valid and all the same is processed as that one value. We accept
//! it, and likewise several field lines of the same value, because an upstream that
//! combined duplicate lines produces exactly this; every other deviation is an error:
//! an empty value or list element, anything but digits (no sign, no spaces inside a
//! number), a value beyond `u64`, or two different values. Values are compared as
//! numbers, so `7, 007` is 7.
//!
//! ```
//! use http::{HeaderMap, Method, StatusCode};
//! use stator_http::body::{BodyError, BodyLength, BodyTracker};
//!
//! let mut headers = HeaderMap::new();
//! headers.insert("content-length", "5".parse().unwrap());
//! let length = BodyLength::for_response(&Method::GET, StatusCode::OK, &headers)?;
//! assert_eq!(length, BodyLength::Exact(5));
//!
//! let mut body = BodyTracker::new(length);
//! body.on_data(3)?;
//! assert_eq!(body.on_end(), Err(BodyError::TooLittleContent { declared: 5, received: 3 }));
//! assert_eq!(body.on_data(3), Err(BodyError::TooMuchContent { declared: 5 }));
//!
//! // A response to HEAD has no content, whatever Content-Length says.
//! let head = BodyLength::for_response(&Method::HEAD, StatusCode::OK, &headers)?;
//! assert_eq!(head, BodyLength::NoContent);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use http::header::CONTENT_LENGTH;
use http::{HeaderMap, Method, StatusCode};

/// Why a Content-Length field is invalid (RFC 9110 §8.6: `Content-Length = 1*DIGIT`).
/// In HTTP/1.1 the framing is then unrecoverable (RFC 9112 §6.3: 400 and close); in HTTP/2
/// and HTTP/3 the message is malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ContentLengthError {
    /// The value, or an element of a comma-separated list, is empty.
    #[error("empty Content-Length (RFC 9110 §8.6)")]
    Empty,
    /// Something other than a decimal digit: a sign, a letter, a space inside a number.
    #[error("Content-Length is not 1*DIGIT (RFC 9110 §8.6)")]
    NotADigit,
    /// A number larger than `u64::MAX` (RFC 9110 §8.6 asks to guard against overflow).
    #[error("Content-Length overflows (RFC 9110 §8.6)")]
    Overflow,
    /// Two different values, in one list or on separate field lines (RFC 9112 §6.3).
    #[error("conflicting Content-Length values (RFC 9112 §6.3)")]
    Conflicting,
}

/// Parses one Content-Length field line: a decimal number, or a comma-separated list of
/// the same number (see the [module docs](self)). Whitespace around list elements is
/// allowed (RFC 9110 §5.6.1).
pub fn parse_content_length(value: &[u8]) -> Result<u64, ContentLengthError> {
    let mut result = None;
    for element in value.split(|&b| b == b',') {
        let n = parse_decimal(element.trim_ascii())?;
        if result.is_some_and(|r| r != n) {
            return Err(ContentLengthError::Conflicting);
        }
        result = Some(n);
    }
    // `split` yields at least one element, so `result` is set.
    result.ok_or(ContentLengthError::Empty)
}

fn parse_decimal(digits: &[u8]) -> Result<u64, ContentLengthError> {
    if digits.is_empty() {
        return Err(ContentLengthError::Empty);
    }
    digits.iter().try_fold(0_u64, |n, &b| {
        if !b.is_ascii_digit() {
            return Err(ContentLengthError::NotADigit);
        }
        n.checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b.wrapping_sub(b'0'))))
            .ok_or(ContentLengthError::Overflow)
    })
}

/// The Content-Length of a message, from all its `content-length` field lines, which must
/// agree; `None` if there is none.
pub fn content_length(headers: &HeaderMap) -> Result<Option<u64>, ContentLengthError> {
    let mut result = None;
    for value in headers.get_all(CONTENT_LENGTH) {
        let n = parse_content_length(value.as_bytes())?;
        if result.is_some_and(|r| r != n) {
            return Err(ContentLengthError::Conflicting);
        }
        result = Some(n);
    }
    Ok(result)
}

/// How much content a message has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyLength {
    /// None, whatever the fields say: a response to HEAD, a 1xx, 204 or 304 response
    /// (RFC 9110 §6.4.1, RFC 9112 §6.3). Its Content-Length, if any, describes the
    /// representation, not this message (RFC 9113 §8.1.1 allows it to be non-zero).
    NoContent,
    /// Exactly this many octets, from Content-Length.
    Exact(u64),
    /// Until the message ends: `END_STREAM` in HTTP/2, the end of the stream in HTTP/3. In
    /// HTTP/1.1, unless chunked, a request then has no content and a response runs to
    /// the close of the connection (RFC 9112 §6.3).
    UntilEnd,
    /// Not content but a tunnel: a CONNECT request, and a 2xx response to one
    /// (RFC 9110 §6.4.1, §9.3.6; RFC 8441 and RFC 9220 for Extended CONNECT). Any
    /// Content-Length is ignored (RFC 9112 §6.3).
    Tunnel,
}

impl BodyLength {
    /// The content of a request with this method and these fields (RFC 9110 §6.4.1,
    /// §9.3.6).
    pub fn for_request(
        method: &Method,
        headers: &HeaderMap,
    ) -> Result<BodyLength, ContentLengthError> {
        if method == Method::CONNECT {
            return Ok(BodyLength::Tunnel);
        }
        Self::from_fields(headers)
    }

    /// The content of a response with this status and these fields to a request with
    /// `request_method` (RFC 9110 §6.4.1, RFC 9112 §6.3).
    pub fn for_response(
        request_method: &Method,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> Result<BodyLength, ContentLengthError> {
        if !response_has_content(request_method, status) {
            return Ok(BodyLength::NoContent);
        }
        if request_method == Method::CONNECT && status.is_success() {
            return Ok(BodyLength::Tunnel);
        }
        Self::from_fields(headers)
    }

    fn from_fields(headers: &HeaderMap) -> Result<BodyLength, ContentLengthError> {
        Ok(content_length(headers)?.map_or(BodyLength::UntilEnd, BodyLength::Exact))
    }
}

/// Whether a response can carry content or tunnel data: not to HEAD, not 1xx, 204 or 304
/// (RFC 9110 §6.4.1, §15.3.5, §15.4.5). A server must not send Content-Length on a 1xx,
/// a 204 or a 2xx to CONNECT (RFC 9110 §8.6).
pub fn response_has_content(request_method: &Method, status: StatusCode) -> bool {
    !(request_method == Method::HEAD
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED)
}

/// Content that does not match what the head declared. In HTTP/2 and HTTP/3 the message
/// is malformed (RFC 9113 §8.1.1, RFC 9114 §4.1.2); in HTTP/1.1 the message is incomplete
/// or the connection out of step (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// More octets than Content-Length declared; reported by the DATA that crossed it.
    #[error("content longer than its Content-Length of {declared} (RFC 9113 §8.1.1)")]
    TooMuchContent {
        /// The declared length.
        declared: u64,
    },
    /// The message ended before Content-Length octets arrived.
    #[error("content ended after {received} of {declared} octets (RFC 9113 §8.1.1)")]
    TooLittleContent {
        /// The declared length.
        declared: u64,
        /// What arrived.
        received: u64,
    },
    /// Content in a message that has none (RFC 9110 §6.4.1).
    #[error("content in a message that cannot have any (RFC 9110 §6.4.1)")]
    ContentNotAllowed,
}

/// Counts the content of one message as it arrives (or leaves) and holds it to its
/// [`BodyLength`]: too much fails at once, too little at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyTracker {
    length: BodyLength,
    received: u64,
}

impl BodyTracker {
    /// A tracker for a message of this length, nothing received yet.
    pub fn new(length: BodyLength) -> BodyTracker {
        BodyTracker {
            length,
            received: 0,
        }
    }

    /// The length being enforced.
    pub fn length(&self) -> BodyLength {
        self.length
    }

    /// Octets counted so far (saturating at `u64::MAX`).
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Octets still expected, for [`BodyLength::Exact`]; `None` otherwise.
    pub fn remaining(&self) -> Option<u64> {
        match self.length {
            BodyLength::Exact(n) => Some(n.saturating_sub(self.received)),
            _ => None,
        }
    }

    /// Counts `len` more octets (a DATA frame's payload, a chunk). An empty DATA frame is
    /// fine anywhere, even where there is no content.
    pub fn on_data(&mut self, len: usize) -> Result<(), BodyError> {
        let len = u64::try_from(len).unwrap_or(u64::MAX);
        self.received = self.received.saturating_add(len);
        match self.length {
            BodyLength::NoContent if len > 0 => Err(BodyError::ContentNotAllowed),
            BodyLength::Exact(declared) if self.received > declared => {
                Err(BodyError::TooMuchContent { declared })
            }
            _ => Ok(()),
        }
    }

    /// The message ended (`END_STREAM`, FIN, the last chunk): checks that all the declared
    /// content arrived.
    pub fn on_end(&self) -> Result<(), BodyError> {
        match self.length {
            BodyLength::Exact(declared) if self.received < declared => {
                Err(BodyError::TooLittleContent {
                    declared,
                    received: self.received,
                })
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(values: &[&'static str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(CONTENT_LENGTH, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn strict_digits() {
        use ContentLengthError as E;
        assert_eq!(parse_content_length(b"0"), Ok(0));
        assert_eq!(parse_content_length(b"3495"), Ok(3495));
        assert_eq!(parse_content_length(b"007"), Ok(7));
        assert_eq!(parse_content_length(b"18446744073709551615"), Ok(u64::MAX));
        assert_eq!(
            parse_content_length(b"18446744073709551616"),
            Err(E::Overflow)
        );
        assert_eq!(
            parse_content_length(b"99999999999999999999999"),
            Err(E::Overflow)
        );
        assert_eq!(parse_content_length(b"00000000000000000000000042"), Ok(42));
        assert_eq!(parse_content_length(b""), Err(E::Empty));
        for bad in [
            &b"+1"[..],
            b"-1",
            b"1.0",
            b"0x10",
            b"1e3",
            b"1 2",
            b"a",
            b"\xff",
            b"\t1\x0b",
        ] {
            assert_eq!(parse_content_length(bad), Err(E::NotADigit), "{bad:?}");
        }
    }

    #[test]
    fn identical_lists_accepted_others_refused() {
        use ContentLengthError as E;
        assert_eq!(parse_content_length(b"42, 42"), Ok(42));
        assert_eq!(parse_content_length(b"42,42,\t42"), Ok(42));
        assert_eq!(parse_content_length(b" 42 "), Ok(42));
        assert_eq!(parse_content_length(b"7, 007"), Ok(7));
        assert_eq!(parse_content_length(b"42, 43"), Err(E::Conflicting));
        assert_eq!(parse_content_length(b"42,"), Err(E::Empty));
        assert_eq!(parse_content_length(b",42"), Err(E::Empty));
        assert_eq!(parse_content_length(b"42, ,42"), Err(E::Empty));
        assert_eq!(parse_content_length(b"42, x"), Err(E::NotADigit));
    }

    #[test]
    fn several_field_lines() {
        assert_eq!(content_length(&headers(&[])), Ok(None));
        assert_eq!(content_length(&headers(&["10"])), Ok(Some(10)));
        assert_eq!(content_length(&headers(&["10", "10, 10"])), Ok(Some(10)));
        assert_eq!(
            content_length(&headers(&["10", "11"])),
            Err(ContentLengthError::Conflicting)
        );
        assert_eq!(
            content_length(&headers(&["10", "1x"])),
            Err(ContentLengthError::NotADigit)
        );
    }

    #[test]
    fn which_responses_have_content() {
        let cl = headers(&["100"]);
        let get = Method::GET;
        let none = [
            (Method::HEAD, StatusCode::OK),
            (get.clone(), StatusCode::CONTINUE),
            (get.clone(), StatusCode::from_u16(103).unwrap()),
            (get.clone(), StatusCode::NO_CONTENT),
            (get.clone(), StatusCode::NOT_MODIFIED),
            (Method::CONNECT, StatusCode::NO_CONTENT),
        ];
        for (method, status) in none {
            assert_eq!(
                BodyLength::for_response(&method, status, &cl),
                Ok(BodyLength::NoContent)
            );
            assert!(!response_has_content(&method, status));
        }
        // Content-Length is not even parsed where it cannot apply.
        let bad = headers(&["nope"]);
        assert_eq!(
            BodyLength::for_response(&Method::HEAD, StatusCode::OK, &bad),
            Ok(BodyLength::NoContent)
        );
        assert_eq!(
            BodyLength::for_response(&Method::CONNECT, StatusCode::OK, &bad),
            Ok(BodyLength::Tunnel)
        );
        assert_eq!(
            BodyLength::for_response(&Method::CONNECT, StatusCode::FORBIDDEN, &cl),
            Ok(BodyLength::Exact(100))
        );
        assert_eq!(
            BodyLength::for_response(&get, StatusCode::NOT_FOUND, &HeaderMap::new()),
            Ok(BodyLength::UntilEnd)
        );
        assert_eq!(
            BodyLength::for_response(&get, StatusCode::OK, &bad),
            Err(ContentLengthError::NotADigit)
        );
    }

    #[test]
    fn requests() {
        assert_eq!(
            BodyLength::for_request(&Method::POST, &headers(&["123"])),
            Ok(BodyLength::Exact(123))
        );
        assert_eq!(
            BodyLength::for_request(&Method::GET, &HeaderMap::new()),
            Ok(BodyLength::UntilEnd)
        );
        assert_eq!(
            BodyLength::for_request(&Method::CONNECT, &headers(&["5"])),
            Ok(BodyLength::Tunnel)
        );
        assert_eq!(
            BodyLength::for_request(&Method::PUT, &headers(&["1", "2"])),
            Err(ContentLengthError::Conflicting)
        );
    }

    #[test]
    fn tracker_exact() {
        let mut t = BodyTracker::new(BodyLength::Exact(10));
        assert_eq!(t.remaining(), Some(10));
        t.on_data(4).unwrap();
        t.on_data(0).unwrap();
        assert_eq!(t.remaining(), Some(6));
        assert_eq!(
            t.on_end(),
            Err(BodyError::TooLittleContent {
                declared: 10,
                received: 4
            })
        );
        t.on_data(6).unwrap();
        assert_eq!(t.remaining(), Some(0));
        assert_eq!(t.on_end(), Ok(()));
        assert_eq!(
            t.on_data(1),
            Err(BodyError::TooMuchContent { declared: 10 })
        );
        assert_eq!(t.received(), 11);
        assert_eq!(t.remaining(), Some(0));
    }

    #[test]
    fn tracker_too_much_in_one_frame() {
        let mut t = BodyTracker::new(BodyLength::Exact(0));
        assert_eq!(t.on_end(), Ok(()));
        assert_eq!(t.on_data(1), Err(BodyError::TooMuchContent { declared: 0 }));
        let mut t = BodyTracker::new(BodyLength::Exact(u64::MAX));
        t.on_data(usize::MAX).unwrap();
        t.on_data(usize::MAX).unwrap();
        assert_eq!(t.received(), u64::MAX);
    }

    #[test]
    fn tracker_no_content_and_open_ended() {
        let mut t = BodyTracker::new(BodyLength::NoContent);
        t.on_data(0).unwrap();
        assert_eq!(t.on_data(1), Err(BodyError::ContentNotAllowed));
        for length in [BodyLength::UntilEnd, BodyLength::Tunnel] {
            let mut t = BodyTracker::new(length);
            t.on_data(usize::MAX).unwrap();
            t.on_data(usize::MAX).unwrap();
            assert_eq!(t.received(), u64::MAX);
            assert_eq!(t.remaining(), None);
            assert_eq!(t.on_end(), Ok(()));
            assert_eq!(t.length(), length);
        }
    }
}
