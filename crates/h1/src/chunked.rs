//! The chunked transfer coding (RFC 9112 §7.1): an incremental, strict decoder and the
//! encoder's framing.
//!
//! ```text
//! chunked-body = *chunk last-chunk trailer-section CRLF
//! chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//! chunk-size   = 1*HEXDIG
//! chunk-ext    = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
//! ```
//!
//! The decoder accepts exactly this grammar and nothing of what lenient parsers let
//! through: no `0x`, sign or whitespace before the size, nothing but BWS-then-`;` after it,
//! no size beyond 64 bits (hyper's RUSTSEC-2021-0079), no bare CR or LF, CRLF after every
//! chunk's data. Extensions are validated and skipped, their total bounded by
//! [`Limits::max_chunk_extensions`](crate::Limits). Chunk data leaves as slices of the
//! receive buffer. The trailer section is read by the head parser.

use bytes::{Buf, Bytes, BytesMut};

use crate::error::Violation;
use crate::parse::is_tchar;

/// More hex digits than this cannot be a size we accept, even with leading zeros.
const MAX_SIZE_DIGITS: u8 = 16;

/// Where the decoder is inside the chunked body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Chunk {
    /// Reading the hex digits of a chunk size.
    Size { size: u64, digits: u8 },
    /// After the size: BWS, extensions, up to the CR.
    Ext { size: u64, ext: Ext },
    /// The size line's CR was read; LF must follow.
    SizeLf { size: u64 },
    /// Inside a chunk's data.
    Data { remaining: u64 },
    /// After a chunk's data: CR must follow.
    DataCr,
    /// After a chunk's data and CR: LF must follow.
    DataLf,
    /// The last chunk was read; the trailer section follows (read by the head parser).
    Trailers,
}

impl Default for Chunk {
    fn default() -> Chunk {
        Chunk::Size { size: 0, digits: 0 }
    }
}

/// Position inside `chunk-ext` (RFC 9112 §7.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ext {
    /// Right after the size digits, or after a complete extension: `;`, BWS or CR.
    Start,
    /// Whitespace was read: only more whitespace or `;` may follow (BWS precedes `;`).
    Bws,
    /// After `;`: BWS, then the first character of a name.
    NameStart,
    /// Inside a name.
    Name,
    /// Whitespace after a name: `=` or `;` must follow.
    AfterName,
    /// After `=`: BWS, then a token or a quoted string.
    ValueStart,
    /// Inside a token value.
    Token,
    /// Inside a quoted string.
    Quoted,
    /// After a backslash in a quoted string.
    Escape,
}

/// What one decoding step produced.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Decoded {
    /// Chunk data, a slice of the receive buffer.
    Data(Bytes),
    /// The last chunk's line was read; the trailer section follows.
    LastChunk,
    /// The buffer holds nothing more to decode.
    NeedMore,
}

/// Decodes from the front of `buf`, consuming what it uses. `ext_budget` is what remains
/// of the message's chunk-extension allowance.
pub(crate) fn decode(
    state: &mut Chunk,
    buf: &mut BytesMut,
    ext_budget: &mut usize,
) -> Result<Decoded, Violation> {
    loop {
        if *state == Chunk::Trailers {
            return Ok(Decoded::LastChunk);
        }
        if let Chunk::Data { remaining } = *state {
            if buf.is_empty() {
                return Ok(Decoded::NeedMore);
            }
            let n = usize::try_from(remaining)
                .unwrap_or(usize::MAX)
                .min(buf.len());
            let left = remaining.saturating_sub(n as u64);
            *state = if left == 0 {
                Chunk::DataCr
            } else {
                Chunk::Data { remaining: left }
            };
            return Ok(Decoded::Data(buf.split_to(n).freeze()));
        }
        // Line bytes: one at a time; they are few.
        let Some(&b) = buf.first() else {
            return Ok(Decoded::NeedMore);
        };
        buf.advance(1);
        match step(*state, b, ext_budget)? {
            Step::Next(next) => *state = next,
            Step::SizeDone(0) => {
                *state = Chunk::Trailers;
                return Ok(Decoded::LastChunk);
            }
            Step::SizeDone(size) => *state = Chunk::Data { remaining: size },
        }
    }
}

enum Step {
    Next(Chunk),
    /// The size line ended (its LF was read) with this size.
    SizeDone(u64),
}

fn step(state: Chunk, b: u8, ext_budget: &mut usize) -> Result<Step, Violation> {
    use Chunk as C;
    Ok(Step::Next(match state {
        C::Size { size, digits } => {
            if let Some(d) = hex(b) {
                if digits >= MAX_SIZE_DIGITS && size == 0 {
                    return Err(Violation::InvalidChunkSize);
                }
                let size = size
                    .checked_mul(16)
                    .and_then(|s| s.checked_add(u64::from(d)))
                    .ok_or(Violation::ChunkSizeOverflow)?;
                C::Size {
                    size,
                    digits: digits.saturating_add(1),
                }
            } else if digits == 0 {
                // Leading junk: sign, space, "0x" would not even get here (0 is a digit,
                // then "x" is junk after it).
                return Err(Violation::InvalidChunkSize);
            } else if b == b'\r' {
                C::SizeLf { size }
            } else if b == b';' || b == b' ' || b == b'\t' {
                return ext(size, Ext::Start, b, ext_budget);
            } else {
                return Err(Violation::InvalidChunkSize);
            }
        }
        C::Ext { size, ext: e } => return ext(size, e, b, ext_budget),
        C::SizeLf { size } => {
            if b != b'\n' {
                return Err(Violation::InvalidChunkSize);
            }
            return Ok(Step::SizeDone(size));
        }
        C::DataCr if b == b'\r' => C::DataLf,
        C::DataLf if b == b'\n' => C::default(),
        C::DataCr | C::DataLf => return Err(Violation::InvalidChunkData),
        // Handled by `decode` before reaching here.
        C::Data { .. } | C::Trailers => state,
    }))
}

/// One byte of the extensions of a chunk of `size`.
fn ext(size: u64, state: Ext, b: u8, ext_budget: &mut usize) -> Result<Step, Violation> {
    if b == b'\r' {
        return match state {
            Ext::Start | Ext::Name | Ext::Token => Ok(Step::Next(Chunk::SizeLf { size })),
            _ => Err(Violation::InvalidChunkExtension),
        };
    }
    *ext_budget = ext_budget
        .checked_sub(1)
        .ok_or(Violation::ChunkExtensionsTooLarge)?;
    let ws = b == b' ' || b == b'\t';
    let next = match state {
        Ext::Start | Ext::Bws if b == b';' => Ext::NameStart,
        Ext::Start | Ext::Bws | Ext::Token if ws => Ext::Bws,
        Ext::NameStart if ws => Ext::NameStart,
        Ext::NameStart | Ext::Name if is_tchar(b) => Ext::Name,
        Ext::Name | Ext::AfterName if ws => Ext::AfterName,
        Ext::Name | Ext::AfterName | Ext::Token if b == b';' => Ext::NameStart,
        Ext::Name | Ext::AfterName if b == b'=' => Ext::ValueStart,
        Ext::ValueStart if ws => Ext::ValueStart,
        Ext::ValueStart if b == b'"' => Ext::Quoted,
        Ext::ValueStart | Ext::Token if is_tchar(b) => Ext::Token,
        // RFC 9110 §5.6.4: qdtext and quoted-pair.
        Ext::Quoted if b == b'"' => Ext::Start,
        Ext::Quoted if b == b'\\' => Ext::Escape,
        Ext::Quoted if is_qdtext(b) => Ext::Quoted,
        Ext::Escape if b == b'\t' || b == b' ' || b.is_ascii_graphic() || b >= 0x80 => Ext::Quoted,
        _ => return Err(Violation::InvalidChunkExtension),
    };
    Ok(Step::Next(Chunk::Ext { size, ext: next }))
}

fn is_qdtext(b: u8) -> bool {
    matches!(b, b'\t' | b' ' | 0x21 | 0x23..=0x5b | 0x5d..=0x7e | 0x80..=0xff)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b.wrapping_sub(b'0')),
        b'a'..=b'f' => Some(b.wrapping_sub(b'a').wrapping_add(10)),
        b'A'..=b'F' => Some(b.wrapping_sub(b'A').wrapping_add(10)),
        _ => None,
    }
}

/// Appends the line that opens a chunk of `len` octets: its size in hex and CRLF.
pub(crate) fn write_size_line(len: usize, out: &mut BytesMut) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut tmp = [0_u8; 16];
    let mut i = tmp.len();
    let mut n = len;
    loop {
        i = i.saturating_sub(1);
        if let (Some(slot), Some(&d)) = (tmp.get_mut(i), DIGITS.get(n & 0xf)) {
            *slot = d;
        }
        n >>= 4;
        if n == 0 || i == 0 {
            break;
        }
    }
    out.extend_from_slice(tmp.get(i..).unwrap_or_default());
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `wire` fed in one piece; returns the data and whether the last chunk came.
    fn run(wire: &[u8]) -> Result<(Vec<u8>, bool), Violation> {
        let mut buf = BytesMut::from(wire);
        let mut state = Chunk::default();
        let mut budget = 100;
        let mut data = Vec::new();
        loop {
            match decode(&mut state, &mut buf, &mut budget)? {
                Decoded::Data(d) => data.extend_from_slice(&d),
                Decoded::LastChunk => return Ok((data, true)),
                Decoded::NeedMore => return Ok((data, false)),
            }
        }
    }

    #[test]
    fn valid() {
        assert_eq!(
            run(b"5\r\nhello\r\n0\r\n").unwrap(),
            (b"hello".to_vec(), true)
        );
        assert_eq!(run(b"A\r\n0123456789\r\n0\r\n").unwrap().0.len(), 10);
        assert!(run(b"0005\r\nhello\r\n000\r\n").unwrap().1);
        assert!(run(b"5;a=b;c\r\nhello\r\n0;x=\"q\\\"\"\r\n").unwrap().1);
        assert!(run(b"5 ; a = b ;c\r\nhello\r\n0\r\n").unwrap().1);
        assert_eq!(run(b"5\r\nhel").unwrap(), (b"hel".to_vec(), false));
        assert!(!run(b"ffffffffffffffff\r\n").unwrap().1);
    }

    #[test]
    fn strict() {
        use Violation as V;
        for (wire, want) in [
            (&b" 5\r\nhello\r\n"[..], V::InvalidChunkSize),
            (b"+5\r\nhello\r\n", V::InvalidChunkSize),
            (b"0x5\r\nhello\r\n", V::InvalidChunkSize),
            (b"5 \r\nhello\r\n", V::InvalidChunkExtension),
            (b"5x\r\nhello\r\n", V::InvalidChunkSize),
            (b"5\nhello\r\n", V::InvalidChunkSize),
            (b"5\rhello\r\n", V::InvalidChunkSize),
            (b"\r\n", V::InvalidChunkSize),
            (b"5\r\nhelloX\r\n", V::InvalidChunkData),
            (b"5\r\nhello\n0\r\n", V::InvalidChunkData),
            (b"10000000000000000\r\n", V::ChunkSizeOverflow),
            (b"00000000000000000\r\n", V::InvalidChunkSize),
            (b"5;\r\nhello\r\n", V::InvalidChunkExtension),
            (b"5;a=\r\nhello\r\n", V::InvalidChunkExtension),
            (b"5;a=\"x\r\nhello\r\n", V::InvalidChunkExtension),
            (b"5;a b\r\nhello\r\n", V::InvalidChunkExtension),
            (b"5;a\nhello\r\n", V::InvalidChunkExtension),
        ] {
            assert_eq!(run(wire), Err(want), "{:?}", String::from_utf8_lossy(wire));
        }
    }

    #[test]
    fn extension_budget() {
        let mut buf = BytesMut::from(&b"1;aaaaaaaaaa\r\nx\r\n"[..]);
        let mut state = Chunk::default();
        let mut budget = 5;
        assert_eq!(
            decode(&mut state, &mut buf, &mut budget),
            Err(Violation::ChunkExtensionsTooLarge)
        );
    }

    #[test]
    fn size_lines() {
        for (len, want) in [
            (0, "0\r\n"),
            (5, "5\r\n"),
            (255, "ff\r\n"),
            (4096, "1000\r\n"),
        ] {
            let mut out = BytesMut::new();
            write_size_line(len, &mut out);
            assert_eq!(&out[..], want.as_bytes());
        }
        let mut out = BytesMut::new();
        write_size_line(usize::MAX, &mut out);
        assert_eq!(&out[..], b"ffffffffffffffff\r\n");
    }
}
