//! QPACK's primitives on top of `stator-wire`: string literals (RFC 9204 §4.1.2) and the
//! encoded field section prefix (RFC 9204 §4.5.1).

use bytes::{Bytes, BytesMut};
use stator_wire::{Reader, WriteExt, huffman, prefix_int};

use crate::error::{Reason, wire_reason};

/// The largest prefix integer we decode: indices, lengths and counts beyond it are
/// rejected before any arithmetic (RFC 9204 §4.1.1 leaves the limit to us).
pub(crate) const MAX_INT: u64 = (1 << 62) - 1;

/// A string literal as read from the wire, before Huffman decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawString<'a> {
    /// Whether the H bit was set.
    pub(crate) huffman: bool,
    /// The bytes as sent.
    pub(crate) bytes: &'a [u8],
}

/// Reads a string literal whose length has a `prefix_bits`-bit prefix and whose H flag is
/// the bit just above it (RFC 9204 §4.1.2). A declared length above `max_len` fails at
/// once, before its bytes arrive; a short input fails with [`Reason::Truncated`] and
/// consumes nothing from `r`.
pub(crate) fn read_string<'a>(
    r: &mut Reader<'a>,
    prefix_bits: u8,
    max_len: usize,
) -> Result<RawString<'a>, Reason> {
    let mut peek = r.clone();
    let (flags, len) = prefix_int::decode(&mut peek, prefix_bits, MAX_INT).map_err(wire_reason)?;
    let h_bit = 1u8.checked_shl(u32::from(prefix_bits)).unwrap_or(0);
    let len = usize::try_from(len).map_err(|_| Reason::StringTooLong)?;
    if len > max_len {
        return Err(Reason::StringTooLong);
    }
    let bytes = peek.read_bytes(len).map_err(wire_reason)?;
    *r = peek;
    Ok(RawString {
        huffman: flags & h_bit != 0,
        bytes,
    })
}

/// Smallest chunk a [`Strings`] arena allocates: about one allocation per 4 KiB of
/// Huffman-decoded text.
const ARENA_CHUNK: usize = 4_096;

/// A string of the wire, after Huffman decoding: still on the wire when it was plain, or
/// a range of a scratch buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Text<'a> {
    /// Plain: the bytes as received.
    Wire(&'a [u8]),
    /// Huffman-decoded into `scratch[start..end]`.
    Scratch(usize, usize),
}

impl<'a> Text<'a> {
    /// The string's bytes, with `scratch` the buffer it was decoded into.
    pub(crate) fn view<'b>(&self, scratch: &'b [u8]) -> &'b [u8]
    where
        'a: 'b,
    {
        match *self {
            Text::Wire(b) => b,
            Text::Scratch(start, end) => scratch.get(start..end).unwrap_or_default(),
        }
    }
}

impl<'a> RawString<'a> {
    /// Decodes the string: a plain one stays where it is, a Huffman-coded one is appended
    /// to `scratch`. Huffman output above `max_len` fails (RFC 9204 §7.4).
    pub(crate) fn decode(self, scratch: &mut Vec<u8>, max_len: usize) -> Result<Text<'a>, Reason> {
        if !self.huffman {
            return Ok(Text::Wire(self.bytes));
        }
        let start = scratch.len();
        huffman::decode(self.bytes, scratch).map_err(wire_reason)?;
        let end = scratch.len();
        if end.saturating_sub(start) > max_len {
            return Err(Reason::StringTooLong);
        }
        Ok(Text::Scratch(start, end))
    }
}

/// Where a field section's strings become [`Bytes`] without an allocation each: a plain
/// string is a slice of the section; a Huffman-coded one is decoded into a reused scratch
/// buffer and copied into an arena (`BytesMut`) that hands out frozen slices and grows by
/// chunks of at least 4 KiB. When every slice of the current chunk has been dropped,
/// `reserve` takes the chunk back instead of allocating.
#[derive(Debug, Clone, Default)]
pub(crate) struct Strings {
    scratch: Vec<u8>,
    arena: BytesMut,
}

impl Strings {
    /// The decoded string `raw` of `section` as `Bytes` (RFC 9204 §4.1.2).
    pub(crate) fn decode(
        &mut self,
        raw: RawString<'_>,
        section: &Bytes,
        max_len: usize,
    ) -> Result<Bytes, Reason> {
        if !raw.huffman {
            return Ok(if raw.bytes.is_empty() {
                Bytes::new()
            } else {
                section.slice_ref(raw.bytes)
            });
        }
        self.scratch.clear();
        let text = raw.decode(&mut self.scratch, max_len)?;
        Ok(copy_to_arena(&mut self.arena, text.view(&self.scratch)))
    }
}

/// Copies `src` to the end of `arena` and splits it off as frozen `Bytes`, reserving a new
/// chunk of at least 4 KiB when the current one is full.
pub(crate) fn copy_to_arena(arena: &mut BytesMut, src: &[u8]) -> Bytes {
    if src.is_empty() {
        return Bytes::new();
    }
    if arena.capacity().saturating_sub(arena.len()) < src.len() {
        arena.reserve(src.len().max(ARENA_CHUNK));
    }
    arena.extend_from_slice(src);
    arena.split().freeze()
}

/// Writes a string literal with a `prefix_bits`-bit length prefix, `flags` above the H
/// bit, Huffman-coding it when that is shorter (RFC 9204 §4.1.2).
pub(crate) fn write_string(buf: &mut Vec<u8>, prefix_bits: u8, flags: u8, s: &[u8]) {
    let h_bit = 1u8.checked_shl(u32::from(prefix_bits)).unwrap_or(0);
    let huff_len = huffman::encoded_len(s);
    // Writing into a Vec cannot fail, and prefix sizes are constants in 3..=7.
    if huff_len < s.len() {
        let _ = buf.put_prefix_int(huff_len as u64, prefix_bits, flags | h_bit);
        let _ = huffman::encode(s, buf);
    } else {
        let _ = buf.put_prefix_int(s.len() as u64, prefix_bits, flags & !h_bit);
        buf.extend_from_slice(s);
    }
}

/// `MaxEntries` for a maximum table capacity (RFC 9204 §4.5.1.1).
pub(crate) fn max_entries(max_table_capacity: u64) -> u64 {
    max_table_capacity / 32
}

/// Encodes a Required Insert Count (RFC 9204 §4.5.1.1).
pub(crate) fn encode_required_insert_count(ric: u64, max_entries: u64) -> u64 {
    if ric == 0 || max_entries == 0 {
        return 0;
    }
    ric.checked_rem(max_entries.saturating_mul(2))
        .unwrap_or(0)
        .saturating_add(1)
}

/// Decodes a Required Insert Count against the decoder's Insert Count
/// (RFC 9204 §4.5.1.1), rejecting values no valid encoder could send.
pub(crate) fn decode_required_insert_count(
    encoded: u64,
    max_entries: u64,
    total_inserts: u64,
) -> Result<u64, Reason> {
    if encoded == 0 {
        return Ok(0);
    }
    let invalid = Reason::InvalidRequiredInsertCount;
    let full_range = max_entries.checked_mul(2).ok_or(invalid)?;
    if encoded > full_range {
        return Err(invalid);
    }
    let max_value = total_inserts.checked_add(max_entries).ok_or(invalid)?;
    // `full_range` is at least 2 here: `encoded` is at least 1 and at most `full_range`.
    let max_wrapped = max_value
        .checked_div(full_range)
        .and_then(|q| q.checked_mul(full_range))
        .ok_or(invalid)?;
    let mut ric = max_wrapped
        .checked_add(encoded)
        .and_then(|v| v.checked_sub(1))
        .ok_or(invalid)?;
    if ric > max_value {
        if ric <= full_range {
            return Err(invalid);
        }
        ric = ric.checked_sub(full_range).ok_or(invalid)?;
    }
    if ric == 0 {
        return Err(invalid);
    }
    Ok(ric)
}

/// Reads the encoded field section prefix and returns `(required_insert_count, base)`
/// (RFC 9204 §4.5.1).
pub(crate) fn read_prefix(
    r: &mut Reader<'_>,
    max_entries: u64,
    total_inserts: u64,
) -> Result<(u64, u64), Reason> {
    let (_, encoded) = prefix_int::decode(r, 8, MAX_INT).map_err(wire_reason)?;
    let ric = decode_required_insert_count(encoded, max_entries, total_inserts)?;
    let (flags, delta) = prefix_int::decode(r, 7, MAX_INT).map_err(wire_reason)?;
    // RFC 9204 §4.5.1.2: Base = RIC + Delta Base, or RIC − Delta Base − 1 with the sign.
    let base = if flags & 0x80 == 0 {
        ric.checked_add(delta)
    } else {
        ric.checked_sub(delta).and_then(|v| v.checked_sub(1))
    };
    base.map(|b| (ric, b)).ok_or(Reason::InvalidBase)
}

/// Writes the encoded field section prefix for `ric` and `base` (RFC 9204 §4.5.1).
pub(crate) fn write_prefix(buf: &mut Vec<u8>, ric: u64, base: u64, max_entries: u64) {
    let encoded = encode_required_insert_count(ric, max_entries);
    let _ = buf.put_prefix_int(encoded, 8, 0);
    if let Some(delta) = base.checked_sub(ric) {
        let _ = buf.put_prefix_int(delta, 7, 0);
    } else {
        let delta = ric.saturating_sub(base).saturating_sub(1);
        let _ = buf.put_prefix_int(delta, 7, 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_insert_count_round_trips_with_wrap_around() {
        let max_entries = 8;
        for total in 0..100u64 {
            for ric in total.saturating_sub(max_entries - 1).max(1)..=total + max_entries {
                let enc = encode_required_insert_count(ric, max_entries);
                assert_eq!(
                    decode_required_insert_count(enc, max_entries, total),
                    Ok(ric)
                );
            }
        }
    }

    #[test]
    fn invalid_required_insert_counts() {
        let bad = Err(Reason::InvalidRequiredInsertCount);
        // Above FullRange.
        assert_eq!(decode_required_insert_count(17, 8, 0), bad);
        // Wraps below zero: the encoder cannot be that far ahead of us.
        assert_eq!(decode_required_insert_count(10, 8, 0), bad);
        // No dynamic table at all.
        assert_eq!(decode_required_insert_count(1, 0, 0), bad);
        assert_eq!(decode_required_insert_count(0, 0, 0), Ok(0));
    }

    #[test]
    fn negative_base_is_rejected() {
        // RIC 0 with the sign bit: Base would be −1 (the corpus' err4).
        let mut r = Reader::new(&[0x00, 0x81]);
        assert_eq!(read_prefix(&mut r, 8, 0), Err(Reason::InvalidBase));
        let mut buf = Vec::new();
        write_prefix(&mut buf, 4, 2, 8);
        let mut r = Reader::new(&buf);
        assert_eq!(read_prefix(&mut r, 8, 4), Ok((4, 2)));
    }

    #[test]
    fn strings() {
        let mut buf = Vec::new();
        write_string(&mut buf, 7, 0, b"custom-key");
        write_string(&mut buf, 3, 0x20, b"a");
        let backing = Bytes::from(buf);
        let mut r = Reader::new(&backing);
        let mut strings = Strings::default();
        let s = read_string(&mut r, 7, 100).unwrap();
        assert!(s.huffman);
        assert_eq!(strings.decode(s, &backing, 100).unwrap(), "custom-key");
        assert_eq!(
            strings.decode(s, &backing, 9).unwrap_err(),
            Reason::StringTooLong
        );
        let s = read_string(&mut r, 3, 100).unwrap();
        assert!(!s.huffman);
        assert_eq!(strings.decode(s, &backing, 100).unwrap(), "a");
        let mut r = Reader::new(&backing);
        assert_eq!(
            read_string(&mut r, 7, 3).unwrap_err(),
            Reason::StringTooLong
        );
        let mut r = Reader::new(&backing[..3]);
        assert_eq!(read_string(&mut r, 7, 100).unwrap_err(), Reason::Truncated);
        assert_eq!(r.position(), 0);
    }
}
