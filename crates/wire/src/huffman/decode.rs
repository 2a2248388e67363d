//! Table-driven Huffman decoding (RFC 7541 §5.2).
//!
//! Bits are read into a 64-bit accumulator, most significant first. While at least 30 bits
//! (the longest code) are buffered, each step looks up the next 12 bits in [`FAST`]: for a
//! code of up to 12 bits the entry gives its symbol, and a second one when the next code
//! also ends within those 12 bits; for a longer code the entry is empty and the symbol is
//! found from the canonical ranges in [`LONG`]. Near the end of the input the decoder takes
//! one symbol at a time, so it never reads a symbol out of padding.

use super::codes::CODES;
use crate::Error;

/// Index width of the fast table.
const FAST_BITS: u32 = 12;
const EOS: u16 = 256;
const MAX_CODE_BITS: u32 = 30;

// A fast-table entry, packed in a u32:
//   bits 0..8 first symbol, 8..16 second symbol, 16..21 bits consumed by both,
//   21..26 length of the first code, 26..28 how many symbols (0: code longer than 12 bits).
const fn entry(sym1: u8, sym2: u8, total: u32, len1: u32, count: u32) -> u32 {
    sym1 as u32 | (sym2 as u32) << 8 | total << 16 | len1 << 21 | count << 26
}

// The tables are built at compile time, where arithmetic that overflowed would fail the
// build rather than wrap.
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
const fn build_single() -> [u32; 1 << FAST_BITS] {
    let mut table = [0u32; 1 << FAST_BITS];
    let mut sym = 0;
    while sym < 256 {
        let (code, len) = CODES[sym];
        let len = len as u32;
        if len <= FAST_BITS {
            let shift = FAST_BITS - len;
            let mut i = (code as usize) << shift;
            let end = ((code as usize) + 1) << shift;
            while i < end {
                table[i] = entry(sym as u8, 0, len, len, 1);
                i += 1;
            }
        }
        sym += 1;
    }
    table
}

#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
const fn build_fast() -> [u32; 1 << FAST_BITS] {
    let single = build_single();
    let mut table = single;
    let mut i = 0;
    while i < table.len() {
        let e = single[i];
        if e >> 26 == 1 {
            let len1 = (e >> 21) & 0x1f;
            let next = (i << len1) & ((1 << FAST_BITS) - 1);
            let e2 = single[next];
            let len2 = (e2 >> 21) & 0x1f;
            if e2 >> 26 == 1 && len1 + len2 <= FAST_BITS {
                table[i] = entry(e as u8, e2 as u8, len1 + len2, len1, 2);
            }
        }
        i += 1;
    }
    table
}

static FAST: [u32; 1 << FAST_BITS] = build_fast();

/// Canonical decoding of codes longer than [`FAST_BITS`]: for each length, the first code
/// of the next length's range left-aligned to 30 bits, and where that length's symbols
/// start in [`SORTED`].
#[derive(Clone, Copy)]
struct LongLen {
    len: u32,
    first: u32,
    limit30: u32,
    offset: u32,
}

/// The distinct code lengths above 12 bits in RFC 7541 Appendix B.
const LONG_LENGTHS: [u32; 12] = [13, 14, 15, 19, 20, 21, 22, 23, 24, 25, 26, 27];
const LONGEST: [u32; 2] = [28, 30];

#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
const fn build_long() -> ([LongLen; 14], [u16; 257]) {
    // Symbols sorted by (length, symbol): the order canonical codes are assigned in.
    let mut sorted = [0u16; 257];
    let mut n = 0;
    let mut len = 1;
    while len <= MAX_CODE_BITS {
        let mut sym = 0;
        while sym < 257 {
            if CODES[sym].1 as u32 == len {
                sorted[n] = sym as u16;
                n += 1;
            }
            sym += 1;
        }
        len += 1;
    }
    let mut long = [LongLen {
        len: 0,
        first: 0,
        limit30: 0,
        offset: 0,
    }; 14];
    let mut k = 0;
    while k < 14 {
        let len = if k < 12 {
            LONG_LENGTHS[k]
        } else {
            LONGEST[k - 12]
        };
        // The first symbol of this length in canonical order, and how many there are.
        let mut offset = 0;
        while CODES[sorted[offset] as usize].1 as u32 != len {
            offset += 1;
        }
        let mut count = 0;
        while offset + count < 257 && CODES[sorted[offset + count] as usize].1 as u32 == len {
            count += 1;
        }
        let first = CODES[sorted[offset] as usize].0;
        long[k] = LongLen {
            len,
            first,
            limit30: (first + count as u32) << (MAX_CODE_BITS - len),
            offset: offset as u32,
        };
        k += 1;
    }
    (long, sorted)
}

const LONG_TABLES: ([LongLen; 14], [u16; 257]) = build_long();
static LONG: [LongLen; 14] = LONG_TABLES.0;
static SORTED: [u16; 257] = LONG_TABLES.1;

/// Decodes one code longer than 12 bits from the top 30 bits of `acc`: `(symbol, length)`.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "`l.len <= 30`; the index is bounded by the 257 symbols"
)]
#[inline(never)]
fn decode_long(acc: u64) -> Option<(u16, u32)> {
    let top30 = (acc >> (64 - MAX_CODE_BITS)) as u32;
    for l in &LONG {
        if top30 < l.limit30 {
            let code = top30 >> (MAX_CODE_BITS - l.len);
            let index = l.offset + code.checked_sub(l.first)?;
            return SORTED.get(index as usize).map(|&s| (s, l.len));
        }
    }
    None
}

/// An upper bound on the decoded length of `src`: the shortest code has 5 bits.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "a length divided by 5 then times 8 cannot overflow"
)]
pub const fn max_decoded_len(src: &[u8]) -> usize {
    src.len() / 5 * 8 + (src.len() % 5 * 8).div_ceil(5)
}

/// Appends the decoding of the Huffman-coded `src` to `dst` and returns the number of bytes
/// appended.
///
/// Fails with [`Error::HuffmanEos`] if the string contains EOS, and with
/// [`Error::HuffmanPaddingTooLong`] or [`Error::HuffmanPaddingNotOnes`] if it does not end
/// with at most 7 one-bits of padding (RFC 7541 §5.2). On error `dst` is left as it was.
pub fn decode(src: &[u8], dst: &mut Vec<u8>) -> Result<usize, Error> {
    let start = dst.len();
    let result = Decoder {
        src,
        pos: 0,
        acc: 0,
        bits: 0,
    }
    .run(dst);
    match result {
        Ok(()) => Ok(dst.len().saturating_sub(start)),
        Err(e) => {
            dst.truncate(start);
            Err(e)
        }
    }
}

struct Decoder<'a> {
    src: &'a [u8],
    pos: usize,
    /// Buffered bits, left-aligned; the bits below the top `bits` are zero.
    acc: u64,
    bits: u32,
}

// Invariants that make the arithmetic below safe: `bits <= 64`, a step consumes at most
// `bits` bits, and `pos <= src.len()`.
#[allow(clippy::arithmetic_side_effects)]
impl Decoder<'_> {
    fn run(mut self, dst: &mut Vec<u8>) -> Result<(), Error> {
        dst.reserve(max_decoded_len(self.src));
        // Bulk: refill a word at a time, then decode while a whole code is certain to be
        // buffered.
        while let Some(word) = self.src.get(self.pos..).and_then(<[u8]>::first_chunk::<8>) {
            let take = (64 - self.bits) / 8;
            self.acc |= u64::from_be_bytes(*word) >> self.bits;
            self.bits += take * 8;
            if self.bits < 64 {
                self.acc &= !(u64::MAX >> self.bits);
            }
            self.pos += take as usize;
            self.steps(dst)?;
        }
        // The last few bytes, one at a time.
        while let Some(&b) = self.src.get(self.pos) {
            self.acc |= u64::from(b) << (56 - self.bits);
            self.bits += 8;
            self.pos += 1;
            if self.bits > 56 {
                self.steps(dst)?;
            }
        }
        self.steps(dst)?;
        self.finish(dst)
    }

    /// Decodes while at least 30 bits are buffered.
    #[inline]
    fn steps(&mut self, dst: &mut Vec<u8>) -> Result<(), Error> {
        while self.bits >= MAX_CODE_BITS {
            let e = FAST
                .get((self.acc >> (64 - FAST_BITS)) as usize)
                .copied()
                .unwrap_or(0);
            let consumed = match e >> 26 {
                1 => {
                    dst.push(e as u8);
                    (e >> 16) & 0x1f
                }
                2 => {
                    dst.extend_from_slice(&[e as u8, (e >> 8) as u8]);
                    (e >> 16) & 0x1f
                }
                _ => self.long(dst)?.ok_or(Error::HuffmanPaddingTooLong)?,
            };
            self.consume(consumed);
        }
        Ok(())
    }

    fn consume(&mut self, n: u32) {
        self.acc <<= n;
        self.bits -= n;
    }

    /// One long code: its length, or `None` if the buffered bits end inside it.
    fn long(&self, dst: &mut Vec<u8>) -> Result<Option<u32>, Error> {
        match decode_long(self.acc) {
            Some((EOS, len)) if len <= self.bits => Err(Error::HuffmanEos),
            Some((sym, len)) if len <= self.bits => {
                dst.push(sym as u8);
                Ok(Some(len))
            }
            _ => Ok(None),
        }
    }

    /// Fewer than 30 bits are left: decode single symbols while whole codes remain, then
    /// check the padding.
    fn finish(mut self, dst: &mut Vec<u8>) -> Result<(), Error> {
        while self.bits > 0 {
            let e = FAST
                .get((self.acc >> (64 - FAST_BITS)) as usize)
                .copied()
                .unwrap_or(0);
            let len = if e >> 26 == 0 {
                match self.long(dst)? {
                    Some(len) => len,
                    None => break,
                }
            } else {
                let len = (e >> 21) & 0x1f;
                if len > self.bits {
                    break;
                }
                dst.push(e as u8);
                len
            };
            self.consume(len);
        }
        // RFC 7541 §5.2: padding longer than 7 bits, or not the most significant bits of
        // EOS (all ones), is a decoding error.
        if self.bits > 7 {
            return Err(Error::HuffmanPaddingTooLong);
        }
        let ones = !(u64::MAX >> self.bits);
        if self.acc & ones != ones {
            return Err(Error::HuffmanPaddingNotOnes);
        }
        Ok(())
    }
}
