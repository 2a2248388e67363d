//! Write helpers that check for room before writing.
//!
//! [`bytes::BufMut`] panics when a fixed-size buffer such as `&mut [u8]` runs out of room.
//! Packet builders write into caller buffers of fixed size (a QUIC datagram), so every
//! Stator codec writes through [`WriteExt`], whose methods return
//! [`Error::BufferTooShort`] instead. On a growable buffer (`Vec<u8>`, `BytesMut`) they
//! never fail for lack of room.

use bytes::BufMut;

use crate::Error;

/// Checked writes on any [`BufMut`].
pub trait WriteExt: BufMut {
    /// Fails unless `n` more bytes fit.
    fn ensure_room(&self, n: usize) -> Result<(), Error> {
        let available = self.remaining_mut();
        if available < n {
            return Err(Error::BufferTooShort {
                needed: n,
                available,
            });
        }
        Ok(())
    }

    /// Writes one byte.
    fn try_put_u8(&mut self, v: u8) -> Result<(), Error> {
        self.ensure_room(1)?;
        self.put_u8(v);
        Ok(())
    }

    /// Writes a big-endian `u16`.
    fn try_put_u16(&mut self, v: u16) -> Result<(), Error> {
        self.try_put_slice(&v.to_be_bytes())
    }

    /// Writes a big-endian `u32`.
    fn try_put_u32(&mut self, v: u32) -> Result<(), Error> {
        self.try_put_slice(&v.to_be_bytes())
    }

    /// Writes a big-endian `u64`.
    fn try_put_u64(&mut self, v: u64) -> Result<(), Error> {
        self.try_put_slice(&v.to_be_bytes())
    }

    /// Writes `src` whole, or nothing.
    fn try_put_slice(&mut self, src: &[u8]) -> Result<(), Error> {
        self.ensure_room(src.len())?;
        self.put_slice(src);
        Ok(())
    }

    /// Writes a QUIC variable-length integer in its shortest form (RFC 9000 §16) and
    /// returns its length.
    fn put_varint(&mut self, v: u64) -> Result<usize, Error> {
        crate::varint::encode(v, self)
    }

    /// Writes an HPACK/QPACK prefix integer (RFC 7541 §5.1); see
    /// [`crate::prefix_int::encode`].
    fn put_prefix_int(&mut self, v: u64, prefix_bits: u8, flags: u8) -> Result<usize, Error> {
        crate::prefix_int::encode(v, prefix_bits, flags, self)
    }
}

impl<B: BufMut + ?Sized> WriteExt for B {}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::WriteExt;
    use crate::Error;

    #[test]
    fn fixed_buffer_reports_instead_of_panicking() {
        let mut storage = [0u8; 5];
        let mut buf = &mut storage[..];
        assert_eq!(buf.try_put_u32(0x0102_0304), Ok(()));
        assert_eq!(
            buf.try_put_u16(7),
            Err(Error::BufferTooShort {
                needed: 2,
                available: 1
            })
        );
        assert_eq!(buf.try_put_u8(5), Ok(()));
        assert_eq!(
            buf.try_put_u8(6),
            Err(Error::BufferTooShort {
                needed: 1,
                available: 0
            })
        );
        assert_eq!(storage, [1, 2, 3, 4, 5]);
    }

    #[test]
    fn growable_buffer_takes_everything() {
        let mut v = Vec::new();
        v.try_put_u64(1).unwrap();
        v.try_put_slice(b"ab").unwrap();
        assert_eq!(v, [0, 0, 0, 0, 0, 0, 0, 1, b'a', b'b']);
    }
}
