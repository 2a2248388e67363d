//! Base64 with the standard alphabet and padding (RFC 4648 §4): WebSocket's
//! `Sec-WebSocket-Key` and `Sec-WebSocket-Accept` (RFC 6455 §4.1, §4.2.2), certificate
//! hashes and PEM (RFC 7468).
//!
//! The decoder is strict: the length must be a multiple of four, `=` may only pad the
//! last quantum, and the bits that padding leaves over must be zero (RFC 4648 §3.5), so
//! every encoded value has exactly one accepted spelling.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The 6-bit value of one alphabet character.
fn sextet(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c.wrapping_sub(b'A'),
        b'a'..=b'z' => c.wrapping_sub(b'a').wrapping_add(26),
        b'0'..=b'9' => c.wrapping_sub(b'0').wrapping_add(52),
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// The alphabet character of the six bits of `group` that start `shift` bits up.
fn char_at(group: u32, shift: u32) -> char {
    let index = (group.wrapping_shr(shift) & 0x3f) as usize;
    ALPHABET.get(index).map_or('=', |&b| char::from(b))
}

/// Encodes `input` with padding.
///
/// ```
/// assert_eq!(stator_wire::base64::encode(b"foobar"), "Zm9vYmFy");
/// assert_eq!(stator_wire::base64::decode(b"Zm9vYg=="), Some(b"foob".to_vec()));
/// ```
pub fn encode(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len().div_ceil(3).saturating_mul(4));
    for chunk in input.chunks(3) {
        let mut group = 0u32;
        for (i, &b) in chunk.iter().enumerate() {
            // Byte i of the 24-bit group, most significant first.
            let shift = 16u32.saturating_sub((i as u32).saturating_mul(8));
            group |= u32::from(b).wrapping_shl(shift);
        }
        out.push(char_at(group, 18));
        out.push(char_at(group, 12));
        out.push(if chunk.len() > 1 {
            char_at(group, 6)
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            char_at(group, 0)
        } else {
            '='
        });
    }
    out
}

/// Decodes `input` strictly; `None` for anything that is not canonical padded base64.
pub fn decode(input: &[u8]) -> Option<Vec<u8>> {
    if !input.len().is_multiple_of(4) {
        return None;
    }
    let quanta = input.len() / 4;
    let mut out = Vec::with_capacity(quanta.saturating_mul(3));
    for (q, chunk) in input.chunks_exact(4).enumerate() {
        let last = q.saturating_add(1) == quanta;
        let pad = match chunk {
            [_, _, b'=', b'='] if last => 2,
            [_, _, _, b'='] if last => 1,
            _ => 0,
        };
        let mut group = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            let v = if i >= 4usize.saturating_sub(pad) {
                0
            } else {
                sextet(c)?
            };
            let shift = 18u32.saturating_sub((i as u32).saturating_mul(6));
            group |= v.wrapping_shl(shift);
        }
        let bytes = group.to_be_bytes();
        match pad {
            // The bits under the padding must be zero (RFC 4648 §3.5).
            2 if group & 0xffff != 0 => return None,
            1 if group & 0xff != 0 => return None,
            _ => {}
        }
        out.extend_from_slice(bytes.get(1..4usize.saturating_sub(pad))?);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::{decode, encode};

    // RFC 4648 §10.
    const VECTORS: [(&str, &str); 7] = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ];

    #[test]
    fn rfc4648_vectors() {
        for (plain, encoded) in VECTORS {
            assert_eq!(encode(plain.as_bytes()), encoded);
            assert_eq!(decode(encoded.as_bytes()).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn all_byte_values_round_trip() {
        let all: Vec<u8> = (0..=255).collect();
        for len in 0..all.len() {
            let e = encode(&all[..len]);
            assert_eq!(decode(e.as_bytes()).unwrap(), &all[..len], "len {len}");
        }
    }

    #[test]
    fn rejects_non_canonical_input() {
        for bad in [
            "Zg",
            "Zg=",
            "Zg===",
            "Z===",
            "====",
            "Zh==",
            "Zm9=",
            "Zg==Zg==",
            "Zm9v\n",
            " Zm9v",
            "Zm-v",
            "Zm_v",
            "Zm9\u{e9}",
        ] {
            assert_eq!(decode(bad.as_bytes()), None, "{bad:?}");
        }
    }
}
