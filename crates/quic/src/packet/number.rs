//! Packet numbers on the wire (RFC 9000 §17.1, Appendix A.2 and A.3).
//!
//! A packet number is an integer below 2^62 sent in 1 to 4 bytes: only its low bits travel,
//! and the receiver recovers the rest from the largest packet number it has processed in
//! the same space.

use std::fmt;

use bytes::BufMut;
use stator_wire::{Error as WireError, Reader, WriteExt};

/// The largest packet number, 2^62 − 1 (RFC 9000 §12.3).
pub const MAX: u64 = (1 << 62) - 1;

/// The length of an encoded packet number: 1, 2, 3 or 4 bytes (RFC 9000 §17.1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PnLen(u8);

impl PnLen {
    /// One byte.
    pub const ONE: PnLen = PnLen(1);
    /// Two bytes.
    pub const TWO: PnLen = PnLen(2);
    /// Three bytes.
    pub const THREE: PnLen = PnLen(3);
    /// Four bytes.
    pub const FOUR: PnLen = PnLen(4);

    /// The length `len`, if it is 1 to 4.
    pub const fn new(len: usize) -> Option<PnLen> {
        match len {
            1..=4 => Some(PnLen(len as u8)),
            _ => None,
        }
    }

    /// The length carried in the two low bits of an unprotected first byte
    /// (RFC 9000 §17.2, §17.3.1: the Packet Number Length field holds the length minus one).
    pub const fn from_first_byte(first: u8) -> PnLen {
        PnLen((first & 0x03).saturating_add(1))
    }

    /// The two low bits of the first byte that announce this length.
    pub const fn first_byte_bits(self) -> u8 {
        self.0.saturating_sub(1) & 0x03
    }

    /// The length in bytes.
    pub const fn get(self) -> usize {
        self.0 as usize
    }

    /// The length in bits (8, 16, 24 or 32).
    pub const fn bits(self) -> u32 {
        (self.0 as u32).saturating_mul(8)
    }
}

impl fmt::Debug for PnLen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PnLen({})", self.0)
    }
}

/// The shortest length that lets the peer recover `full_pn`, given the largest packet
/// number it acknowledged in this space (RFC 9000 §17.1 and Appendix A.2).
///
/// The encoding must cover more than twice the number of packet numbers not yet
/// acknowledged (the new one included). Before any acknowledgment the whole number counts
/// as unacknowledged. When even 4 bytes are not enough (2^31 packets in flight, which no
/// congestion controller allows) the answer is 4 bytes.
pub fn encode_len(full_pn: u64, largest_acked: Option<u64>) -> PnLen {
    let unacked = match largest_acked {
        Some(acked) => full_pn.saturating_sub(acked),
        None => full_pn.saturating_add(1),
    };
    // Appendix A.2: min_bits = log2(num_unacked) + 1, num_bytes = ceil(min_bits / 8),
    // that is the smallest n with num_unacked <= 2^(8n - 1).
    match unacked {
        0..=0x80 => PnLen::ONE,
        0x81..=0x8000 => PnLen::TWO,
        0x8001..=0x80_0000 => PnLen::THREE,
        _ => PnLen::FOUR,
    }
}

/// The low `len` bytes of `full_pn`, as they go on the wire.
pub fn truncate(full_pn: u64, len: PnLen) -> u32 {
    let mask = (1u64 << len.bits()).wrapping_sub(1);
    (full_pn & mask) as u32
}

/// Writes the low `len` bytes of `full_pn` in network byte order.
pub fn write<B: BufMut + ?Sized>(full_pn: u64, len: PnLen, buf: &mut B) -> Result<(), WireError> {
    let bytes = full_pn.to_be_bytes();
    let low = bytes
        .get(8usize.saturating_sub(len.get())..)
        .unwrap_or_default();
    buf.try_put_slice(low)
}

/// Reads a truncated packet number of `len` bytes.
pub fn read(r: &mut Reader<'_>, len: PnLen) -> Result<u32, WireError> {
    let bytes = r.read_bytes(len.get())?;
    Ok(bytes
        .iter()
        .fold(0u32, |acc, &b| acc.wrapping_shl(8) | u32::from(b)))
}

/// Recovers the full packet number from the `len`-byte value `truncated`, the one closest
/// to the packet after `largest_received` (the largest packet number successfully
/// processed in this space; `None` before any), per RFC 9000 Appendix A.3.
pub fn decode(truncated: u32, len: PnLen, largest_received: Option<u64>) -> u64 {
    let expected = largest_received.map_or(0, |l| l.saturating_add(1));
    let win = 1u64 << len.bits();
    let hwin = win / 2;
    let mask = win.wrapping_sub(1);
    let candidate = (expected & !mask) | (u64::from(truncated) & mask);
    // The window is (expected - hwin, expected + hwin]; the checks against 0 and 2^62 keep
    // the result a valid packet number, as in the RFC's pseudocode.
    let below = expected.checked_sub(hwin).is_some_and(|lo| candidate <= lo);
    if below && candidate < (1u64 << 62).saturating_sub(win) {
        return candidate.saturating_add(win);
    }
    let above = candidate > expected.saturating_add(hwin);
    if above && candidate >= win {
        return candidate.saturating_sub(win);
    }
    candidate
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::arithmetic_side_effects)]
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn rfc9000_appendix_a2_examples() {
        // 0x734f packets outstanding: twice that (0xe69e) needs 16 bits.
        assert_eq!(encode_len(0xac5c02, Some(0xabe8b3)), PnLen::TWO);
        // 0x1004b outstanding: twice that (0x020096) needs 18 bits, so 24.
        assert_eq!(encode_len(0xace8fe, Some(0xabe8b3)), PnLen::THREE);
    }

    #[test]
    fn rfc9000_appendix_a3_example() {
        assert_eq!(decode(0x9b32, PnLen::TWO, Some(0xa82f30ea)), 0xa82f9b32);
    }

    #[test]
    fn full_number_before_any_ack() {
        assert_eq!(encode_len(0, None), PnLen::ONE);
        assert_eq!(encode_len(0x7f, None), PnLen::ONE);
        assert_eq!(encode_len(0x80, None), PnLen::TWO);
        assert_eq!(encode_len(u64::MAX, None), PnLen::FOUR);
        assert_eq!(decode(0, PnLen::ONE, None), 0);
    }

    #[test]
    fn window_edges_do_not_overflow() {
        // Near 2^62 the candidate must not be pushed past the largest packet number.
        assert_eq!(decode(0xff, PnLen::ONE, Some(MAX - 1)), MAX);
        assert_eq!(decode(0x00, PnLen::ONE, Some(MAX - 1)), MAX - 0xff);
        // Below zero is not a packet number either: the candidate stays.
        assert_eq!(decode(0xffff_ffff, PnLen::FOUR, Some(0)), 0xffff_ffff);
        // Nonsense input (past 2^62) must not panic.
        let _ = decode(0, PnLen::FOUR, Some(u64::MAX));
    }

    #[test]
    fn write_and_read_truncate() {
        let mut out = Vec::new();
        write(0x1234_5678_9abc, PnLen::THREE, &mut out).unwrap();
        assert_eq!(out, [0x78, 0x9a, 0xbc]);
        assert_eq!(truncate(0x1234_5678_9abc, PnLen::THREE), 0x789abc);
        assert_eq!(read(&mut Reader::new(&out), PnLen::THREE), Ok(0x789abc));
        assert!(read(&mut Reader::new(&out), PnLen::FOUR).is_err());
        assert_eq!(PnLen::from_first_byte(0xc3), PnLen::FOUR);
        assert_eq!(PnLen::FOUR.first_byte_bits(), 3);
        assert_eq!(PnLen::new(0), None);
        assert_eq!(PnLen::new(5), None);
    }

    proptest! {
        #[test]
        fn decode_inverts_encode_within_the_window(
            acked in proptest::option::of(0..MAX / 2),
            ahead in 1u64..(1 << 31),
            seen in any::<u64>(),
        ) {
            let pn = acked.map_or(ahead - 1, |a| a + ahead);
            let len = encode_len(pn, acked);
            // The receiver has processed at least what it acknowledged, and less than pn.
            let largest = acked.map(|a| a + seen % (pn - a));
            let wire = truncate(pn, len);
            prop_assert_eq!(decode(wire, len, largest), pn);
        }
    }
}
