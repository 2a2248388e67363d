//! Huffman encoding (RFC 7541 §5.2).

use bytes::BufMut;

use super::codes::CODES;
use crate::{Error, WriteExt};

fn code(b: u8) -> (u64, u32) {
    // `CODES` has 257 entries, so every byte indexes it.
    let (code, len) = CODES.get(usize::from(b)).copied().unwrap_or((0, 0));
    (u64::from(code), u32::from(len))
}

/// The number of bytes [`encode`] writes for `src`.
pub fn encoded_len(src: &[u8]) -> usize {
    let bits: usize = src.iter().map(|&b| code(b).1 as usize).sum();
    bits.div_ceil(8)
}

/// Appends the Huffman coding of `src` to `dst`, padded with the high bits of EOS, and
/// returns the number of bytes written. On [`Error::BufferTooShort`] nothing is written.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "bit counts stay below 64 and `written` below the input length times four"
)]
pub fn encode<B: BufMut + ?Sized>(src: &[u8], dst: &mut B) -> Result<usize, Error> {
    // The longest code is 30 bits, so four bytes always suffice per input byte; only a
    // buffer that may be shorter than that pays for an exact count.
    let len = if dst.remaining_mut() / 4 >= src.len() {
        None
    } else {
        Some(encoded_len(src))
    };
    if let Some(len) = len {
        dst.ensure_room(len)?;
    }
    let mut written = 0usize;
    // Pending bits sit right-aligned in `acc`; fewer than 32 are pending between symbols
    // and a code adds at most 30, so the accumulator never overflows.
    let mut acc = 0u64;
    let mut pending = 0u32;
    for &b in src {
        let (c, n) = code(b);
        acc = (acc << n) | c;
        pending += n;
        if pending >= 32 {
            pending -= 32;
            dst.put_u32((acc >> pending) as u32);
            written += 4;
        }
    }
    // RFC 7541 §5.2: pad to the octet boundary with the most significant bits of EOS,
    // which are all ones.
    let pad = (8 - pending % 8) % 8;
    acc = (acc << pad) | ((1 << pad) - 1);
    pending += pad;
    while pending > 0 {
        pending -= 8;
        dst.put_u8((acc >> pending) as u8);
        written += 1;
    }
    debug_assert!(len.is_none_or(|l| l == written));
    Ok(written)
}
