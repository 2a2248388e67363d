//! Encoder-stream (RFC 9204 §4.3) and decoder-stream (RFC 9204 §4.4) instructions:
//! parsing, which is streaming (a short input consumes nothing), and writing.

use stator_wire::{Reader, WriteExt, prefix_int};

use crate::error::{Reason, wire_reason};
use crate::primitives::{MAX_INT, RawString, read_string, write_string};

/// A name reference in an insert instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameRef {
    /// An index into the static table.
    Static(u64),
    /// A relative index into the dynamic table (RFC 9204 §3.2.5).
    Dynamic(u64),
}

/// One encoder-stream instruction (RFC 9204 §4.3). Strings are `S`: the encoder writes
/// `Bytes`; the decoder parses [`RawString`]s borrowed from the stream, so that an insert
/// is copied once, into the table's arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EncoderInstruction<S> {
    /// Set Dynamic Table Capacity (RFC 9204 §4.3.1).
    SetCapacity(u64),
    /// Insert with Name Reference (RFC 9204 §4.3.2).
    InsertWithNameRef {
        /// The referenced name.
        name: NameRef,
        /// The value.
        value: S,
    },
    /// Insert with Literal Name (RFC 9204 §4.3.3).
    InsertWithLiteralName {
        /// The name.
        name: S,
        /// The value.
        value: S,
    },
    /// Duplicate (RFC 9204 §4.3.4), with a relative index.
    Duplicate(u64),
}

impl<'a> EncoderInstruction<RawString<'a>> {
    /// Parses one instruction from the front of `r`, its strings still as sent. A short
    /// input yields [`Reason::Truncated`] and consumes nothing.
    pub(crate) fn parse(r: &mut Reader<'a>, max_string_len: usize) -> Result<Self, Reason> {
        let mut peek = r.clone();
        let first = peek.peek_u8().map_err(wire_reason)?;
        let int = |p: &mut Reader<'_>, bits| {
            prefix_int::decode(p, bits, MAX_INT)
                .map(|(_, v)| v)
                .map_err(wire_reason)
        };
        let string = |p: &mut Reader<'a>, bits| read_string(p, bits, max_string_len);
        let instruction = if first & 0x80 != 0 {
            let index = int(&mut peek, 6)?;
            let name = if first & 0x40 != 0 {
                // Reject a bad static index before its value arrives (RFC 9204 §3.1).
                if crate::static_table::get(index).is_none() {
                    return Err(Reason::InvalidStaticIndex);
                }
                NameRef::Static(index)
            } else {
                NameRef::Dynamic(index)
            };
            let value = string(&mut peek, 7)?;
            EncoderInstruction::InsertWithNameRef { name, value }
        } else if first & 0x40 != 0 {
            let name = string(&mut peek, 5)?;
            let value = string(&mut peek, 7)?;
            EncoderInstruction::InsertWithLiteralName { name, value }
        } else if first & 0x20 != 0 {
            EncoderInstruction::SetCapacity(int(&mut peek, 5)?)
        } else {
            EncoderInstruction::Duplicate(int(&mut peek, 5)?)
        };
        *r = peek;
        Ok(instruction)
    }
}

impl<S: AsRef<[u8]>> EncoderInstruction<S> {
    /// Appends the instruction's encoding to `buf`.
    pub(crate) fn write(&self, buf: &mut Vec<u8>) {
        // Writing prefix integers into a Vec cannot fail.
        match self {
            EncoderInstruction::SetCapacity(c) => {
                let _ = buf.put_prefix_int(*c, 5, 0x20);
            }
            EncoderInstruction::InsertWithNameRef { name, value } => {
                let _ = match name {
                    NameRef::Static(i) => buf.put_prefix_int(*i, 6, 0xc0),
                    NameRef::Dynamic(i) => buf.put_prefix_int(*i, 6, 0x80),
                };
                write_string(buf, 7, 0, value.as_ref());
            }
            EncoderInstruction::InsertWithLiteralName { name, value } => {
                write_string(buf, 5, 0x40, name.as_ref());
                write_string(buf, 7, 0, value.as_ref());
            }
            EncoderInstruction::Duplicate(i) => {
                let _ = buf.put_prefix_int(*i, 5, 0);
            }
        }
    }
}

/// One decoder-stream instruction (RFC 9204 §4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecoderInstruction {
    /// Section Acknowledgment (RFC 9204 §4.4.1).
    SectionAck(u64),
    /// Stream Cancellation (RFC 9204 §4.4.2).
    StreamCancel(u64),
    /// Insert Count Increment (RFC 9204 §4.4.3).
    InsertCountIncrement(u64),
}

impl DecoderInstruction {
    /// Parses one instruction from the front of `r`. A short input yields
    /// [`Reason::Truncated`] and consumes nothing.
    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<Self, Reason> {
        let first = r.peek_u8().map_err(wire_reason)?;
        let int = |r: &mut Reader<'_>, bits| {
            prefix_int::decode(r, bits, MAX_INT)
                .map(|(_, v)| v)
                .map_err(wire_reason)
        };
        Ok(if first & 0x80 != 0 {
            DecoderInstruction::SectionAck(int(r, 7)?)
        } else if first & 0x40 != 0 {
            DecoderInstruction::StreamCancel(int(r, 6)?)
        } else {
            DecoderInstruction::InsertCountIncrement(int(r, 6)?)
        })
    }

    /// Appends the instruction's encoding to `buf`.
    pub(crate) fn write(self, buf: &mut Vec<u8>) {
        let _ = match self {
            DecoderInstruction::SectionAck(id) => buf.put_prefix_int(id, 7, 0x80),
            DecoderInstruction::StreamCancel(id) => buf.put_prefix_int(id, 6, 0x40),
            DecoderInstruction::InsertCountIncrement(n) => buf.put_prefix_int(n, 6, 0),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(bytes: &[u8]) -> Vec<EncoderInstruction<RawString<'_>>> {
        let mut r = Reader::new(bytes);
        let mut out = Vec::new();
        while !r.is_empty() {
            out.push(EncoderInstruction::parse(&mut r, 1000).unwrap());
        }
        out
    }

    #[test]
    fn appendix_b_encoder_instructions() {
        // RFC 9204 Appendix B.2.
        let b2 = [
            0x3f, 0xbd, 0x01, 0xc0, 0x0f, b'w', b'w', b'w', b'.', b'e', b'x', b'a', b'm', b'p',
            b'l', b'e', b'.', b'c', b'o', b'm', 0xc1, 0x0c, b'/', b's', b'a', b'm', b'p', b'l',
            b'e', b'/', b'p', b'a', b't', b'h',
        ];
        let parsed = parse_all(&b2);
        assert_eq!(parsed[0], EncoderInstruction::SetCapacity(220));
        assert_eq!(
            parsed[2],
            EncoderInstruction::InsertWithNameRef {
                name: NameRef::Static(1),
                value: RawString {
                    huffman: false,
                    bytes: b"/sample/path"
                }
            }
        );
        // RFC 9204 Appendix B.4: Duplicate (Relative Index = 2).
        assert_eq!(parse_all(&[0x02]), [EncoderInstruction::Duplicate(2)]);
        // Every prefix of an instruction is "wait for more", consuming nothing.
        for cut in 0..b2.len().min(20) {
            let mut r = Reader::new(&b2[3..cut.max(3)]);
            if cut > 3 && cut < 20 {
                assert_eq!(
                    EncoderInstruction::parse(&mut r, 1000),
                    Err(Reason::Truncated)
                );
                assert_eq!(r.position(), 0);
            }
        }
    }

    #[test]
    fn decoder_instructions_round_trip() {
        for ins in [
            DecoderInstruction::SectionAck(4),
            DecoderInstruction::StreamCancel(8),
            DecoderInstruction::InsertCountIncrement(1),
            DecoderInstruction::SectionAck(1 << 40),
        ] {
            let mut buf = Vec::new();
            ins.write(&mut buf);
            assert_eq!(DecoderInstruction::parse(&mut Reader::new(&buf)), Ok(ins));
        }
        let mut buf = Vec::new();
        DecoderInstruction::SectionAck(4).write(&mut buf);
        DecoderInstruction::StreamCancel(8).write(&mut buf);
        DecoderInstruction::InsertCountIncrement(1).write(&mut buf);
        // RFC 9204 Appendix B.2, B.3, B.4.
        assert_eq!(buf, [0x84, 0x48, 0x01]);
    }
}
