//! QUIC variable-length integers (RFC 9000 §16).
//!
//! The two most significant bits of the first byte give the length (1, 2, 4 or 8 bytes);
//! the remaining bits hold the value in network byte order, so values run up to 2^62 − 1.

use bytes::BufMut;

use crate::{Error, Reader, WriteExt};

/// The largest value a varint can carry, 2^62 − 1.
pub const MAX: u64 = (1 << 62) - 1;

/// The length of the shortest encoding of `v`, or [`Error::VarIntRange`] past [`MAX`].
pub const fn encoded_len(v: u64) -> Result<usize, Error> {
    match v {
        0..=0x3f => Ok(1),
        0x40..=0x3fff => Ok(2),
        0x4000..=0x3fff_ffff => Ok(4),
        0x4000_0000..=MAX => Ok(8),
        _ => Err(Error::VarIntRange(v)),
    }
}

/// Writes `v` in its shortest form and returns the number of bytes written.
pub fn encode<B: BufMut + ?Sized>(v: u64, buf: &mut B) -> Result<usize, Error> {
    let len = encoded_len(v)?;
    encode_with_len(v, len, buf)?;
    Ok(len)
}

/// Writes `v` in exactly `len` bytes (1, 2, 4 or 8), as QUIC does for lengths that are
/// patched in after the payload is known (RFC 9000 §17.2: the Length field of a long
/// header).
pub fn encode_with_len<B: BufMut + ?Sized>(v: u64, len: usize, buf: &mut B) -> Result<(), Error> {
    let too_long = Error::VarIntLength { value: v, len };
    if encoded_len(v)? > len {
        return Err(too_long);
    }
    // Each arm fits by the check above: `v` is below the range of `len` bytes.
    let (tag, bytes): (u8, &[u8]) = match len {
        1 => (0x00, &[v as u8]),
        2 => (0x40, &(v as u16).to_be_bytes()),
        4 => (0x80, &(v as u32).to_be_bytes()),
        8 => (0xc0, &v.to_be_bytes()),
        _ => return Err(too_long),
    };
    buf.ensure_room(len)?;
    let (first, rest) = bytes.split_first().ok_or(too_long)?;
    buf.put_u8(first | tag);
    buf.put_slice(rest);
    Ok(())
}

/// Reads one varint. On [`Error::UnexpectedEnd`] nothing is consumed.
pub fn decode(r: &mut Reader<'_>) -> Result<u64, Error> {
    // (length, where its bytes start in a big-endian u64, mask of the value bits)
    let (len, start, mask) = match r.peek_u8()? >> 6 {
        0 => (1, 7, 0x3f),
        1 => (2, 6, 0x3fff),
        2 => (4, 4, 0x3fff_ffff),
        _ => (8, 0, MAX),
    };
    let bytes = r.read_bytes(len)?;
    let mut word = [0u8; 8];
    if let Some(tail) = word.get_mut(start..) {
        tail.copy_from_slice(bytes);
    }
    Ok(u64::from_be_bytes(word) & mask)
}

/// Reads one varint from the start of `buf` and returns it with its length.
pub fn decode_slice(buf: &[u8]) -> Result<(u64, usize), Error> {
    let mut r = Reader::new(buf);
    let v = decode(&mut r)?;
    Ok((v, r.position()))
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::{MAX, decode_slice, encode, encode_with_len, encoded_len};
    use crate::Error;
    use proptest::prelude::*;

    /// RFC 9000 Appendix A.1.
    #[test]
    fn rfc9000_appendix_a1_examples() {
        let cases: [(&[u8], u64); 5] = [
            (
                &[0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c],
                151_288_809_941_952_652,
            ),
            (&[0x9d, 0x7f, 0x3e, 0x7d], 494_878_333),
            (&[0x7b, 0xbd], 15_293),
            (&[0x25], 37),
            (&[0x40, 0x25], 37),
        ];
        for (wire, value) in cases {
            assert_eq!(decode_slice(wire), Ok((value, wire.len())), "{wire:02x?}");
            let mut out = Vec::new();
            encode_with_len(value, wire.len(), &mut out).unwrap();
            assert_eq!(out, wire);
        }
        // The shortest form of 37 is one byte.
        let mut out = Vec::new();
        assert_eq!(encode(37, &mut out), Ok(1));
        assert_eq!(out, [0x25]);
    }

    #[test]
    fn boundaries() {
        for (v, len) in [(0, 1), (63, 1), (64, 2), (16383, 2), (16384, 4), (MAX, 8)] {
            assert_eq!(encoded_len(v), Ok(len), "{v}");
        }
        assert_eq!(encoded_len(MAX + 1), Err(Error::VarIntRange(MAX + 1)));
        assert_eq!(
            encode(u64::MAX, &mut Vec::new()),
            Err(Error::VarIntRange(u64::MAX))
        );
    }

    #[test]
    fn forced_length_errors() {
        let mut out = Vec::new();
        assert_eq!(
            encode_with_len(64, 1, &mut out),
            Err(Error::VarIntLength { value: 64, len: 1 })
        );
        assert_eq!(
            encode_with_len(5, 3, &mut out),
            Err(Error::VarIntLength { value: 5, len: 3 })
        );
        assert_eq!(
            encode_with_len(MAX + 1, 8, &mut out),
            Err(Error::VarIntRange(MAX + 1))
        );
        assert!(out.is_empty());
        let mut small = [0u8; 3];
        assert_eq!(
            encode_with_len(5, 4, &mut &mut small[..]),
            Err(Error::BufferTooShort {
                needed: 4,
                available: 3
            })
        );
    }

    #[test]
    fn truncated_input() {
        assert_eq!(decode_slice(&[]), Err(Error::UnexpectedEnd { needed: 1 }));
        assert_eq!(
            decode_slice(&[0xc0, 0, 0]),
            Err(Error::UnexpectedEnd { needed: 5 })
        );
        assert_eq!(
            decode_slice(&[0x40]),
            Err(Error::UnexpectedEnd { needed: 1 })
        );
    }

    proptest! {
        #[test]
        fn round_trip(v in 0..=MAX, extra in 0usize..4) {
            let mut out = Vec::new();
            let len = encode(v, &mut out).unwrap();
            prop_assert_eq!(len, out.len());
            prop_assert_eq!(decode_slice(&out), Ok((v, len)));
            // Every longer forced length decodes to the same value.
            let forced = [1usize, 2, 4, 8][len.trailing_zeros() as usize + extra % (4 - len.trailing_zeros() as usize)];
            let mut out = Vec::new();
            encode_with_len(v, forced, &mut out).unwrap();
            prop_assert_eq!(decode_slice(&out), Ok((v, forced)));
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..10)) {
            if let Ok((v, len)) = decode_slice(&bytes) {
                prop_assert!(v <= MAX);
                prop_assert!(len <= bytes.len());
            }
        }
    }
}
