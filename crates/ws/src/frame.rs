//! Frame headers (RFC 6455 §5.2): incremental parsing and encoding.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-------+-+-------------+-------------------------------+
//! |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//! |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//! |N|V|V|V|       |S|             |   (if payload len==126/127)   |
//! | |1|2|3|       |K|             |                               |
//! +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//! |     Extended payload length continued, if payload len == 127  |
//! + - - - - - - - - - - - - - - - +-------------------------------+
//! |                               |Masking-key, if MASK set to 1  |
//! +-------------------------------+-------------------------------+
//! ```
//!
//! The parser checks what the header alone can tell: reserved opcodes, control frames that
//! are fragmented or longer than 125 bytes, and a 64-bit length with its top bit set. What
//! depends on the connection (the mask rule of the role, RSV bits of negotiated extensions,
//! the fragmentation state, size limits) is checked by the connection.
//!
//! Non-minimal length encodings (e.g. a 5-byte payload announced with the 16-bit form) are
//! *accepted*: RFC 6455 §5.2 puts "the minimal number of bytes MUST be used" on the sender
//! and gives the receiver no instruction to fail; rejecting would buy nothing (the length is
//! still bounded by `max_frame_size`) and would break peers that write fixed-size headers.
//! This machine always sends the minimal form.

use bytes::BufMut;

use crate::error::Violation;

/// The longest header: 2 bytes, a 64-bit length and a masking key.
pub const MAX_HEADER_LEN: usize = 14;

/// The largest control frame payload (RFC 6455 §5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// A frame's opcode (RFC 6455 §5.2, §11.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpCode {
    /// 0x0: continues a fragmented message.
    Continuation,
    /// 0x1: the first frame of a text message.
    Text,
    /// 0x2: the first frame of a binary message.
    Binary,
    /// 0x8: close.
    Close,
    /// 0x9: ping.
    Ping,
    /// 0xA: pong.
    Pong,
}

impl OpCode {
    /// Decodes the low four bits of the first header byte.
    pub fn from_bits(bits: u8) -> Result<OpCode, Violation> {
        Ok(match bits & 0x0f {
            0x0 => OpCode::Continuation,
            0x1 => OpCode::Text,
            0x2 => OpCode::Binary,
            0x8 => OpCode::Close,
            0x9 => OpCode::Ping,
            0xa => OpCode::Pong,
            other => return Err(Violation::ReservedOpcode(other)),
        })
    }

    /// The four-bit wire value.
    pub const fn bits(self) -> u8 {
        match self {
            OpCode::Continuation => 0x0,
            OpCode::Text => 0x1,
            OpCode::Binary => 0x2,
            OpCode::Close => 0x8,
            OpCode::Ping => 0x9,
            OpCode::Pong => 0xa,
        }
    }

    /// Close, ping and pong (opcodes with the high bit set, RFC 6455 §5.5).
    pub const fn is_control(self) -> bool {
        self.bits() & 0x8 != 0
    }
}

/// A decoded frame header.
// The four flags are the wire's four bits; an enum per bit would only obscure them.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameHeader {
    /// The final fragment of a message.
    pub fin: bool,
    /// RSV1: "compressed" under permessage-deflate (RFC 7692 §6).
    pub rsv1: bool,
    /// RSV2; no extension here uses it.
    pub rsv2: bool,
    /// RSV3; no extension here uses it.
    pub rsv3: bool,
    /// The opcode.
    pub opcode: OpCode,
    /// The masking key, present on every client-to-server frame.
    pub mask: Option<[u8; 4]>,
    /// The payload length.
    pub payload_len: u64,
}

impl FrameHeader {
    /// Parses a header at the start of `buf`.
    ///
    /// Returns `Ok(None)` if `buf` holds only part of a header (call again with more), and
    /// otherwise the header and its length in bytes. Violations visible in the first two
    /// bytes are reported as soon as those bytes are there.
    pub fn parse(buf: &[u8]) -> Result<Option<(FrameHeader, usize)>, Violation> {
        let Some(&[b0, b1]) = buf.first_chunk::<2>() else {
            return Ok(None);
        };
        let opcode = OpCode::from_bits(b0)?;
        let fin = b0 & 0x80 != 0;
        let len7 = b1 & 0x7f;
        if opcode.is_control() {
            // RFC 6455 §5.5: "All control frames MUST have a payload length of 125 bytes
            // or less and MUST NOT be fragmented."
            if !fin {
                return Err(Violation::FragmentedControlFrame);
            }
            if usize::from(len7) > MAX_CONTROL_PAYLOAD {
                let announced = match (len7, buf.get(2..).and_then(<[u8]>::first_chunk::<2>)) {
                    (126, Some(b)) => u64::from(u16::from_be_bytes(*b)),
                    _ => u64::from(len7),
                };
                return Err(Violation::ControlFrameTooLong(announced));
            }
        }
        let rest = buf.get(2..).unwrap_or_default();
        let (payload_len, len_bytes) = match len7 {
            126 => match rest.first_chunk::<2>() {
                Some(b) => (u64::from(u16::from_be_bytes(*b)), 2),
                None => return Ok(None),
            },
            127 => match rest.first_chunk::<8>() {
                Some(b) => {
                    let len = u64::from_be_bytes(*b);
                    // RFC 6455 §5.2: "the most significant bit MUST be 0".
                    if len >> 63 != 0 {
                        return Err(Violation::LengthTooLarge);
                    }
                    (len, 8)
                }
                None => return Ok(None),
            },
            n => (u64::from(n), 0),
        };
        let rest = rest.get(len_bytes..).unwrap_or_default();
        let (mask, mask_bytes) = if b1 & 0x80 != 0 {
            match rest.first_chunk::<4>() {
                Some(key) => (Some(*key), 4),
                None => return Ok(None),
            }
        } else {
            (None, 0)
        };
        let header = FrameHeader {
            fin,
            rsv1: b0 & 0x40 != 0,
            rsv2: b0 & 0x20 != 0,
            rsv3: b0 & 0x10 != 0,
            opcode,
            mask,
            payload_len,
        };
        // At most 2 + 8 + 4.
        Ok(Some((
            header,
            2usize.saturating_add(len_bytes).saturating_add(mask_bytes),
        )))
    }

    /// The encoded length of this header: 2 to 14 bytes.
    pub fn encoded_len(&self) -> usize {
        let len_bytes = match self.payload_len {
            0..=125 => 0,
            126..=0xffff => 2,
            _ => 8,
        };
        let mask_bytes = if self.mask.is_some() { 4 } else { 0 };
        2usize.saturating_add(len_bytes).saturating_add(mask_bytes)
    }

    /// Appends the header to `out`, with the minimal length encoding.
    pub fn write(&self, out: &mut impl BufMut) {
        let b0 = u8::from(self.fin) << 7
            | u8::from(self.rsv1) << 6
            | u8::from(self.rsv2) << 5
            | u8::from(self.rsv3) << 4
            | self.opcode.bits();
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        out.put_u8(b0);
        match self.payload_len {
            // The match arms bound the values, so the casts are exact.
            len @ 0..=125 => out.put_u8(mask_bit | len as u8),
            len @ 126..=0xffff => {
                out.put_u8(mask_bit | 0x7e);
                out.put_u16(len as u16);
            }
            len => {
                out.put_u8(mask_bit | 0x7f);
                out.put_u64(len);
            }
        }
        if let Some(key) = self.mask {
            out.put_slice(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn header(opcode: OpCode, fin: bool, mask: Option<[u8; 4]>, len: u64) -> FrameHeader {
        FrameHeader {
            fin,
            rsv1: false,
            rsv2: false,
            rsv3: false,
            opcode,
            mask,
            payload_len: len,
        }
    }

    fn encode(h: &FrameHeader) -> Vec<u8> {
        let mut v = Vec::new();
        h.write(&mut v);
        assert_eq!(v.len(), h.encoded_len());
        v
    }

    // RFC 6455 §5.7, byte for byte (headers; payloads are checked in the connection tests).
    #[test]
    fn rfc_6455_5_7_headers() {
        assert_eq!(encode(&header(OpCode::Text, true, None, 5)), [0x81, 0x05]);
        assert_eq!(
            encode(&header(
                OpCode::Text,
                true,
                Some([0x37, 0xfa, 0x21, 0x3d]),
                5
            )),
            [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d]
        );
        assert_eq!(encode(&header(OpCode::Text, false, None, 3)), [0x01, 0x03]);
        assert_eq!(
            encode(&header(OpCode::Continuation, true, None, 2)),
            [0x80, 0x02]
        );
        assert_eq!(encode(&header(OpCode::Ping, true, None, 5)), [0x89, 0x05]);
        assert_eq!(
            encode(&header(
                OpCode::Pong,
                true,
                Some([0x37, 0xfa, 0x21, 0x3d]),
                5
            )),
            [0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d]
        );
        assert_eq!(
            encode(&header(OpCode::Binary, true, None, 256)),
            [0x82, 0x7e, 0x01, 0x00]
        );
        assert_eq!(
            encode(&header(OpCode::Binary, true, None, 65536)),
            [0x82, 0x7f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00]
        );
        for bytes in [
            &[0x82, 0x7e, 0x01, 0x00][..],
            &[0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0],
        ] {
            let (h, n) = FrameHeader::parse(bytes).unwrap().unwrap();
            assert_eq!(n, bytes.len());
            assert_eq!(encode(&h), bytes);
        }
    }

    #[test]
    fn partial_headers_need_more() {
        let full = encode(&header(OpCode::Binary, true, Some([1, 2, 3, 4]), 70000));
        assert_eq!(full.len(), 14);
        for n in 0..full.len() {
            assert_eq!(FrameHeader::parse(&full[..n]), Ok(None), "{n}");
        }
        assert!(FrameHeader::parse(&full).unwrap().is_some());
    }

    #[test]
    fn reserved_opcodes() {
        for op in (0x3..=0x7).chain(0xb..=0xf) {
            assert_eq!(
                FrameHeader::parse(&[0x80 | op]),
                Ok(None),
                "one byte is not enough"
            );
            assert_eq!(
                FrameHeader::parse(&[0x80 | op, 0]),
                Err(Violation::ReservedOpcode(op))
            );
        }
    }

    #[test]
    fn control_frame_rules() {
        assert_eq!(
            FrameHeader::parse(&[0x09, 0x00]),
            Err(Violation::FragmentedControlFrame)
        );
        assert_eq!(
            FrameHeader::parse(&[0x88, 126]),
            Err(Violation::ControlFrameTooLong(126))
        );
        assert_eq!(
            FrameHeader::parse(&[0x8a, 126, 0, 200]),
            Err(Violation::ControlFrameTooLong(200))
        );
        assert_eq!(
            FrameHeader::parse(&[0x89, 127]),
            Err(Violation::ControlFrameTooLong(127))
        );
        assert!(FrameHeader::parse(&[0x89, 125]).unwrap().is_some());
    }

    #[test]
    fn length_msb_must_be_zero() {
        let bytes = [0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(FrameHeader::parse(&bytes), Err(Violation::LengthTooLarge));
        let bytes = [0x82, 0x7f, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(
            FrameHeader::parse(&bytes).unwrap().unwrap().0.payload_len,
            i64::MAX as u64
        );
    }

    #[test]
    fn non_minimal_lengths_are_accepted() {
        let (h, n) = FrameHeader::parse(&[0x82, 0x7e, 0x00, 0x05])
            .unwrap()
            .unwrap();
        assert_eq!((h.payload_len, n), (5, 4));
        let (h, n) = FrameHeader::parse(&[0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0, 5])
            .unwrap()
            .unwrap();
        assert_eq!((h.payload_len, n), (5, 10));
    }

    #[test]
    fn rsv_bits_are_reported() {
        let (h, _) = FrameHeader::parse(&[0xf1, 0x00]).unwrap().unwrap();
        assert!(h.rsv1 && h.rsv2 && h.rsv3 && h.fin);
        assert_eq!(encode(&h), [0xf1, 0x00]);
    }

    fn any_header() -> impl Strategy<Value = FrameHeader> {
        let op = prop_oneof![
            Just(OpCode::Continuation),
            Just(OpCode::Text),
            Just(OpCode::Binary),
            Just(OpCode::Close),
            Just(OpCode::Ping),
            Just(OpCode::Pong),
        ];
        (
            op,
            any::<[bool; 4]>(),
            any::<Option<[u8; 4]>>(),
            0u64..=(u64::MAX >> 1),
        )
            .prop_map(|(opcode, [fin, rsv1, rsv2, rsv3], mask, len)| FrameHeader {
                fin: fin || opcode.is_control(),
                rsv1,
                rsv2,
                rsv3,
                opcode,
                mask,
                payload_len: if opcode.is_control() {
                    len % 126
                } else {
                    len >> (len % 64)
                },
            })
    }

    proptest! {
        #[test]
        fn round_trip(h in any_header(), trailing in proptest::collection::vec(any::<u8>(), 0..4)) {
            let mut bytes = encode(&h);
            let n = bytes.len();
            bytes.extend_from_slice(&trailing);
            prop_assert_eq!(FrameHeader::parse(&bytes), Ok(Some((h, n))));
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..16)) {
            let _ = FrameHeader::parse(&bytes);
        }
    }
}
