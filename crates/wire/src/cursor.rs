//! A bounds-checked read cursor.
//!
//! Every Stator codec reads peer input through [`Reader`], so no crate indexes a slice by
//! hand and every short read is a typed [`Error::UnexpectedEnd`] instead of a panic.
//! Slices come back with the lifetime of the input: a codec that received a
//! [`bytes::Bytes`] turns them into zero-copy `Bytes` with [`bytes::Bytes::slice_ref`].

use crate::Error;

/// A cursor over borrowed bytes that never reads past the end.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

#[allow(
    clippy::arithmetic_side_effects,
    reason = "`pos` only advances by counts checked against `remaining()`"
)]
impl<'a> Reader<'a> {
    /// A cursor at the start of `buf`.
    pub const fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    /// Bytes consumed so far.
    pub const fn position(&self) -> usize {
        self.pos
    }

    /// Bytes left to read.
    pub const fn remaining(&self) -> usize {
        // `pos <= buf.len()` is an invariant of every method below.
        self.buf.len().saturating_sub(self.pos)
    }

    /// Whether every byte has been read.
    pub const fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The unread bytes, without consuming them.
    pub fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    fn short(&self, n: usize) -> Error {
        Error::UnexpectedEnd {
            needed: n.saturating_sub(self.remaining()),
        }
    }

    /// Consumes and returns the next `n` bytes.
    pub fn read_bytes(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let (head, _) = self
            .rest()
            .split_at_checked(n)
            .ok_or_else(|| self.short(n))?;
        self.pos += n; // n <= remaining, so no overflow
        Ok(head)
    }

    /// Consumes and returns every unread byte.
    pub fn read_rest(&mut self) -> &'a [u8] {
        let rest = self.rest();
        self.pos = self.buf.len();
        rest
    }

    /// Consumes the next `N` bytes as an array.
    pub fn read_array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let (head, _) = self
            .rest()
            .split_first_chunk::<N>()
            .ok_or_else(|| self.short(N))?;
        self.pos += N;
        Ok(*head)
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize) -> Result<(), Error> {
        self.read_bytes(n).map(drop)
    }

    /// The next byte, without consuming it.
    pub fn peek_u8(&self) -> Result<u8, Error> {
        self.rest().first().copied().ok_or_else(|| self.short(1))
    }

    /// Consumes one byte.
    pub fn read_u8(&mut self) -> Result<u8, Error> {
        let b = self.peek_u8()?;
        self.pos += 1;
        Ok(b)
    }

    /// Consumes a big-endian `u16`.
    pub fn read_u16(&mut self) -> Result<u16, Error> {
        self.read_array().map(u16::from_be_bytes)
    }

    /// Consumes a big-endian 24-bit integer.
    pub fn read_u24(&mut self) -> Result<u32, Error> {
        let [a, b, c] = self.read_array()?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    /// Consumes a big-endian `u32`.
    pub fn read_u32(&mut self) -> Result<u32, Error> {
        self.read_array().map(u32::from_be_bytes)
    }

    /// Consumes a big-endian `u64`.
    pub fn read_u64(&mut self) -> Result<u64, Error> {
        self.read_array().map(u64::from_be_bytes)
    }

    /// Consumes a QUIC variable-length integer (RFC 9000 §16).
    pub fn read_varint(&mut self) -> Result<u64, Error> {
        crate::varint::decode(self)
    }

    /// Consumes an HPACK/QPACK prefix integer (RFC 7541 §5.1); see
    /// [`crate::prefix_int::decode`].
    #[inline]
    pub fn read_prefix_int(&mut self, prefix_bits: u8, max: u64) -> Result<(u8, u64), Error> {
        crate::prefix_int::decode(self, prefix_bits, max)
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::{Error, Reader};

    #[test]
    fn reads_in_order_and_stops_at_the_end() {
        let mut r = Reader::new(&[1, 0, 2, 0, 0, 3, 0, 0, 0, 4, 9, 9]);
        assert_eq!(r.read_u8(), Ok(1));
        assert_eq!(r.read_u16(), Ok(2));
        assert_eq!(r.read_u24(), Ok(3));
        assert_eq!(r.read_u32(), Ok(4));
        assert_eq!(r.position(), 10);
        assert_eq!(r.read_u32(), Err(Error::UnexpectedEnd { needed: 2 }));
        // A failed read consumes nothing.
        assert_eq!(r.remaining(), 2);
        assert_eq!(r.peek_u8(), Ok(9));
        assert_eq!(r.read_bytes(3), Err(Error::UnexpectedEnd { needed: 1 }));
        assert_eq!(r.read_rest(), &[9, 9]);
        assert!(r.is_empty());
        assert_eq!(r.read_u8(), Err(Error::UnexpectedEnd { needed: 1 }));
        assert_eq!(r.skip(0), Ok(()));
    }

    #[test]
    fn u64_and_arrays() {
        let mut r = Reader::new(&[0, 0, 0, 0, 0, 0, 1, 0, 7]);
        assert_eq!(r.read_u64(), Ok(256));
        assert_eq!(r.read_array::<1>(), Ok([7]));
        assert_eq!(r.read_array::<1>(), Err(Error::UnexpectedEnd { needed: 1 }));
    }
}
