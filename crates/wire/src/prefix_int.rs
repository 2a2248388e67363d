//! HPACK and QPACK prefix integers (RFC 7541 §5.1, used unchanged by RFC 9204 §4.1.1).
//!
//! An integer starts in the low `N` bits of a byte whose high bits carry flags of the
//! enclosing representation. Values below `2^N − 1` fit the prefix; larger ones fill it
//! with ones and continue in 7-bit groups, least significant first, each byte but the last
//! with its high bit set.

use bytes::BufMut;

use crate::{Error, Reader, WriteExt};

#[allow(
    clippy::arithmetic_side_effects,
    reason = "`prefix_bits` is in 1..=8 in that arm"
)]
fn prefix_max(prefix_bits: u8) -> Result<u8, Error> {
    match prefix_bits {
        1..=8 => Ok(u8::MAX >> (8 - prefix_bits)),
        _ => Err(Error::PrefixSize(prefix_bits)),
    }
}

/// The number of bytes [`encode`] writes for `v` with an `N`-bit prefix.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "`v - max` runs only when `v >= max`; a u64 has at most 10 groups"
)]
pub fn encoded_len(v: u64, prefix_bits: u8) -> Result<usize, Error> {
    let max = u64::from(prefix_max(prefix_bits)?);
    if v < max {
        return Ok(1);
    }
    let mut rest = v - max;
    let mut len = 2;
    while rest >= 0x80 {
        rest >>= 7;
        len += 1;
    }
    Ok(len)
}

/// Writes `v` with an `N`-bit prefix (`prefix_bits` in 1..=8); `flags` supplies the bits
/// above the prefix in the first byte (bits inside the prefix are ignored). Returns the
/// number of bytes written; on error nothing is written.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "`v - max` runs only when `v >= max`"
)]
pub fn encode<B: BufMut + ?Sized>(
    v: u64,
    prefix_bits: u8,
    flags: u8,
    buf: &mut B,
) -> Result<usize, Error> {
    let max = prefix_max(prefix_bits)?;
    let flags = flags & !max;
    let len = encoded_len(v, prefix_bits)?;
    buf.ensure_room(len)?;
    if v < u64::from(max) {
        buf.put_u8(flags | v as u8);
        return Ok(1);
    }
    buf.put_u8(flags | max);
    let mut rest = v - u64::from(max);
    while rest >= 0x80 {
        buf.put_u8(0x80 | (rest & 0x7f) as u8);
        rest >>= 7;
    }
    buf.put_u8(rest as u8);
    Ok(len)
}

/// Reads an integer with an `N`-bit prefix and returns `(flags, value)`: `flags` is the
/// first byte with the prefix bits cleared, so the caller can read the representation's
/// own bits from it.
///
/// Values above `max` fail with [`Error::PrefixIntOverflow`] as soon as that is certain,
/// however many continuation bytes follow: a run of `0xff` bytes can neither wrap the
/// value nor make the decoder read without bound. Redundant zero continuation bytes are
/// accepted while the shift stays within 64 bits. On [`Error::UnexpectedEnd`] nothing is
/// consumed, so a streaming caller can retry with more input.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "`shift` grows by 7 per byte and the loop ends once it passes 63"
)]
#[inline]
pub fn decode(r: &mut Reader<'_>, prefix_bits: u8, max: u64) -> Result<(u8, u64), Error> {
    let prefix = prefix_max(prefix_bits)?;
    let overflow = Error::PrefixIntOverflow { max };
    let mut peek = r.clone();
    let first = peek.read_u8()?;
    let flags = first & !prefix;
    let mut value = u64::from(first & prefix);
    if value < u64::from(prefix) {
        if value > max {
            return Err(overflow);
        }
        *r = peek;
        return Ok((flags, value));
    }
    let mut shift = 0u32;
    loop {
        let b = peek.read_u8()?;
        let group = u64::from(b & 0x7f);
        // `checked_shl` only rejects shifts of 64 and more: also reject bits shifted out.
        let add = group
            .checked_shl(shift)
            .filter(|a| a >> shift == group)
            .ok_or(overflow)?;
        value = value
            .checked_add(add)
            .filter(|v| *v <= max)
            .ok_or(overflow)?;
        if b & 0x80 == 0 {
            *r = peek;
            return Ok((flags, value));
        }
        shift += 7;
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::{decode, encode, encoded_len};
    use crate::{Error, Reader};
    use proptest::prelude::*;

    fn dec(bytes: &[u8], n: u8, max: u64) -> Result<(u8, u64, usize), Error> {
        let mut r = Reader::new(bytes);
        let (flags, v) = decode(&mut r, n, max)?;
        Ok((flags, v, r.position()))
    }

    /// RFC 7541 Appendix C.1.
    #[test]
    fn rfc7541_appendix_c1() {
        // C.1.1: 10 with a 5-bit prefix.
        let mut out = Vec::new();
        assert_eq!(encode(10, 5, 0, &mut out), Ok(1));
        assert_eq!(out, [0b0000_1010]);
        // C.1.2: 1337 with a 5-bit prefix.
        let mut out = Vec::new();
        assert_eq!(encode(1337, 5, 0, &mut out), Ok(3));
        assert_eq!(out, [0b0001_1111, 0b1001_1010, 0b0000_1010]);
        assert_eq!(dec(&out, 5, u64::MAX), Ok((0, 1337, 3)));
        // C.1.3: 42 at an octet boundary (8-bit prefix).
        let mut out = Vec::new();
        assert_eq!(encode(42, 8, 0, &mut out), Ok(1));
        assert_eq!(out, [0b0010_1010]);
        assert_eq!(dec(&out, 8, u64::MAX), Ok((0, 42, 1)));
    }

    #[test]
    fn flags_above_the_prefix_are_kept_and_returned() {
        let mut out = Vec::new();
        encode(3, 6, 0b1100_0000 | 0b0011_1111, &mut out).unwrap();
        assert_eq!(out, [0b1100_0011]);
        assert_eq!(dec(&out, 6, 100), Ok((0b1100_0000, 3, 1)));
    }

    #[test]
    fn every_prefix_size_and_boundary() {
        for n in 1..=8u8 {
            let max = (1u64 << n) - 1;
            for v in [0, max - 1, max, max + 1, max + 127, max + 128, u64::MAX] {
                let mut out = Vec::new();
                let len = encode(v, n, 0, &mut out).unwrap();
                assert_eq!(len, out.len());
                assert_eq!(encoded_len(v, n), Ok(len));
                assert_eq!(dec(&out, n, u64::MAX), Ok((0, v, len)), "n={n} v={v}");
            }
        }
        // u64::MAX with a 1-bit prefix needs the full ten continuation bytes.
        assert_eq!(encoded_len(u64::MAX, 1), Ok(11));
    }

    #[test]
    fn bad_prefix_sizes_are_misuse() {
        assert_eq!(encode(1, 0, 0, &mut Vec::new()), Err(Error::PrefixSize(0)));
        assert_eq!(encode(1, 9, 0, &mut Vec::new()), Err(Error::PrefixSize(9)));
        assert_eq!(dec(&[0], 0, 1), Err(Error::PrefixSize(0)));
        assert_eq!(encoded_len(0, 9), Err(Error::PrefixSize(9)));
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        // Ten continuation bytes of all ones exceed 2^64.
        let mut run = vec![0x1f];
        run.extend([0xff; 9]);
        run.push(0x7f);
        assert_eq!(
            dec(&run, 5, u64::MAX),
            Err(Error::PrefixIntOverflow { max: u64::MAX })
        );
        // A long run of redundant zero groups stops once the shift leaves 64 bits.
        let mut zeros = vec![0x1f];
        zeros.extend([0x80; 10]);
        zeros.push(0);
        assert_eq!(
            dec(&zeros, 5, u64::MAX),
            Err(Error::PrefixIntOverflow { max: u64::MAX })
        );
        // Redundant zeros that stay in range are still the same integer.
        assert_eq!(dec(&[0x1f, 0x80, 0x00], 5, 100), Ok((0, 31, 3)));
        // The caller's maximum, in the prefix and in the continuation.
        assert_eq!(dec(&[0x0a], 5, 9), Err(Error::PrefixIntOverflow { max: 9 }));
        assert_eq!(
            dec(&[0x1f, 0x9a, 0x0a], 5, 1336),
            Err(Error::PrefixIntOverflow { max: 1336 })
        );
        // The limit fires before the input ends: no need to wait for the rest.
        assert_eq!(
            dec(&[0x1f, 0xff, 0xff], 5, 1000),
            Err(Error::PrefixIntOverflow { max: 1000 })
        );
    }

    #[test]
    fn truncated_input_consumes_nothing() {
        let mut r = Reader::new(&[0x1f, 0x9a]);
        assert_eq!(
            decode(&mut r, 5, u64::MAX),
            Err(Error::UnexpectedEnd { needed: 1 })
        );
        assert_eq!(r.position(), 0);
        assert_eq!(dec(&[], 5, 1), Err(Error::UnexpectedEnd { needed: 1 }));
    }

    proptest! {
        #[test]
        fn round_trip(v: u64, n in 1u8..=8, flags: u8, tail in proptest::collection::vec(any::<u8>(), 0..4)) {
            let mut out = Vec::new();
            let len = encode(v, n, flags, &mut out).unwrap();
            out.extend(&tail);
            let high = flags & !(u8::MAX >> (8 - n));
            prop_assert_eq!(dec(&out, n, u64::MAX), Ok((high, v, len)));
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..16), n in 1u8..=8, max: u64) {
            if let Ok((_, v, len)) = dec(&bytes, n, max) {
                prop_assert!(v <= max);
                prop_assert!(len <= bytes.len());
            }
        }
    }
}
