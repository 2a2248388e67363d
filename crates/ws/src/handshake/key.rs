//! `Sec-WebSocket-Key` and `Sec-WebSocket-Accept` (RFC 6455 §4.1, §4.2.2).
//!
//! HTTP/1.1 only: over HTTP/2 and HTTP/3 the `:protocol` pseudo-header supersedes them
//! (RFC 8441 §5, RFC 9220 §3).
//!
//! ```
//! use stator_ws::handshake::key;
//!
//! // RFC 6455 §1.3.
//! let accept = key::accept(b"dGhlIHNhbXBsZSBub25jZQ==");
//! assert_eq!(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
//! ```

use http::HeaderValue;
use stator_wire::base64;
use stator_wire::rand::Random;

/// The GUID a server appends to the client's key before hashing (RFC 6455 §1.3).
pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The length of the nonce a `Sec-WebSocket-Key` encodes (RFC 6455 §4.1).
pub const NONCE_LEN: usize = 16;

/// A fresh `Sec-WebSocket-Key`: 16 bytes from `rng`, base64-encoded (RFC 6455 §4.1).
///
/// The nonce must be "randomly selected" per connection; the caller's generator
/// provides it (a seeded one in tests).
pub fn generate(rng: &mut dyn Random) -> HeaderValue {
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill(&mut nonce);
    // Base64 output is visible ASCII, always a valid header value.
    HeaderValue::try_from(base64::encode(&nonce)).unwrap_or(HeaderValue::from_static(""))
}

/// The nonce of a `Sec-WebSocket-Key`, if the value is padded base64 of exactly 16 bytes
/// (RFC 6455 §4.2.1 item 5); optional whitespace around it is ignored.
pub fn decode(value: &[u8]) -> Option<[u8; NONCE_LEN]> {
    base64::decode(value.trim_ascii())?.try_into().ok()
}

/// The `Sec-WebSocket-Accept` for a key: base64 of the SHA-1 of the key as sent, followed
/// by [`GUID`] (RFC 6455 §4.2.2 item 5.4).
pub fn accept(key: &[u8]) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(key.trim_ascii());
    ctx.update(GUID.as_bytes());
    base64::encode(ctx.finish().as_ref())
}

/// [`accept`] as a header value.
pub fn accept_value(key: &[u8]) -> HeaderValue {
    HeaderValue::try_from(accept(key)).unwrap_or(HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use stator_wire::rand::SeededRandom;

    use super::{accept, decode, generate};

    #[test]
    fn rfc6455_example() {
        // RFC 6455 §1.3 and §4.2.2.
        assert_eq!(
            accept(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        assert_eq!(
            &decode(b"dGhlIHNhbXBsZSBub25jZQ==").unwrap(),
            b"the sample nonce"
        );
    }

    #[test]
    fn generated_keys_are_valid_and_seeded() {
        let a = generate(&mut SeededRandom::new(1));
        let b = generate(&mut SeededRandom::new(1));
        let c = generate(&mut SeededRandom::new(2));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 24);
        assert!(decode(a.as_bytes()).is_some());
    }

    #[test]
    fn rejects_keys_of_other_lengths() {
        assert!(decode(b"").is_none());
        assert!(decode(b"dGhlIHNhbXBsZSBub25jZQ").is_none()); // unpadded
        assert!(decode(b"dGhlIHNhbXBsZSBub25jZSE=").is_none()); // 17 bytes
        assert!(decode(b"dGhlIHNhbXBsZSBub25j").is_none()); // 15 bytes
        assert!(decode(b"dGhlIHNhbXBsZSBub25jZQ==\r").is_some()); // trimmed OWS
    }
}
