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
    // The HTTP/2 request line itself followed by something else is a broken HTTP/2
    // client, not an HTTP/1.x request.
    if received.starts_with(b"PRI * HTTP/2.0") {
        return PrefaceStatus::Invalid;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prefix_of_the_preface_is_partial() {
        for n in 0..PREFACE.len() {
            assert_eq!(check_preface(&PREFACE[..n]), PrefaceStatus::Partial, "{n}");
        }
    }

    #[test]
    fn one_wrong_byte_anywhere_is_a_mismatch_at_once() {
        for n in 0..PREFACE.len() {
            let mut bytes = PREFACE[..=n].to_vec();
            bytes[n] ^= 0x20;
            assert!(check_preface(&bytes).is_mismatch(), "byte {n}");
        }
    }

    #[test]
    fn http1_methods() {
        for m in [
            "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
        ] {
            let line = format!("{m} / HTTP/1.1\r\n");
            assert_eq!(check_preface(line.as_bytes()), PrefaceStatus::Http1, "{m}");
            assert_eq!(
                check_preface(&line.as_bytes()[..2]),
                PrefaceStatus::MaybeHttp1,
                "{m}"
            );
        }
        assert_eq!(check_preface(b"PRI"), PrefaceStatus::Partial);
        assert_eq!(
            check_preface(b"PRI * HTTP/2.0\r\nXX"),
            PrefaceStatus::Invalid
        );
    }
}
