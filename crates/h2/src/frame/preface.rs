//! The client connection preface (RFC 9113 §3.4), checked a byte at a time so that a
//! server can give up on a wrong preface as soon as one byte differs, and tell an HTTP/1.x
//! request apart from garbage.

/// The client connection preface, `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n` (RFC 9113 §3.4).
pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The longest method token we wait for before calling a mismatch not HTTP/1.x.
const MAX_METHOD_LEN: usize = 20;

/// What the first bytes of a connection say about the client preface (RFC 9113 §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefaceStatus {
    /// Every byte so far matches; more are needed.
    Partial,
    /// The whole preface is there (its 24 octets).
    Complete,
    /// Not HTTP/2: the bytes start with a method token and a space, like an HTTP/1.x
    /// request line (RFC 9112 §3). The driver can answer or fall back to HTTP/1.1.
    Http1,
    /// Not HTTP/2, and so far only token characters: it may still become an HTTP/1.x
    /// request line; check again with more bytes, or give up.
    MaybeHttp1,
    /// Not HTTP/2 and not an HTTP/1.x request.
    Invalid,
}

impl PrefaceStatus {
    /// Whether the bytes are known not to be the HTTP/2 preface.
    pub const fn is_mismatch(self) -> bool {
        !matches!(self, PrefaceStatus::Partial | PrefaceStatus::Complete)
    }
}

/// Checks the first bytes a server received (all of them, from the start) against
/// [`PREFACE`] (RFC 9113 §3.4). Extra bytes after the preface are ignored.
pub fn check_preface(received: &[u8]) -> PrefaceStatus {
    let n = received.len().min(PREFACE.len());
    if received.get(..n) == PREFACE.get(..n) {
        return if n == PREFACE.len() {
            PrefaceStatus::Complete
        } else {
            PrefaceStatus::Partial
        };
    }
    classify_http1(received)
}

/// Whether a non-preface looks like the start of `method SP` (RFC 9112 §3, RFC 9110 §5.6.2
/// token characters).
fn classify_http1(received: &[u8]) -> PrefaceStatus {
    let token_len = received
        .iter()
        .take_while(|&&b| stator_http::token::is_tchar(b))
        .count();
    match received.get(token_len) {
        Some(b' ') if token_len > 0 => PrefaceStatus::Http1,
        None if token_len <= MAX_METHOD_LEN => PrefaceStatus::MaybeHttp1,
        _ => PrefaceStatus::Invalid,
    }
}
