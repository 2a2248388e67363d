//! Payload masking (RFC 6455 §5.3), in place, in safe Rust.
//!
//! Every byte a client sends, and every byte a server receives, goes through here, so it has
//! to run at memory speed. The crate forbids `unsafe`, so instead of pointer casts the bulk is
//! processed in fixed 64-byte chunks against a 64-byte copy of the key pattern that has been
//! rotated to the current key phase: a loop over two fixed-size arrays has no bounds checks
//! and no dependency between iterations, and LLVM turns it into vector XORs (SSE2 on any
//! x86-64, wider where the target allows). Alignment does not matter: vector loads from byte
//! slices are unaligned loads. The tail (< 64 bytes) goes through 8-byte words and then single
//! bytes.
//!
//! A payload may arrive in pieces; `offset` is the position of `buf[0]` within the payload,
//! so that `apply_mask(a, key, 0)` followed by `apply_mask(b, key, a.len())` equals masking
//! `a ++ b` in one call.

/// XORs `buf` with the masking key, `buf[0]` being byte `offset` of the payload
/// (RFC 6455 §5.3: `transformed[i] = original[i] ^ key[i % 4]`).
///
/// Masking and unmasking are the same operation.
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    // Rotate the key so that pattern[0] is the key byte for buf[0].
    let phase = match offset % 4 {
        0 => 0,
        1 => 8,
        2 => 16,
        _ => 24,
    };
    let key = u32::from_be_bytes(key).rotate_left(phase).to_be_bytes();
    // Filled four bytes at a time: LLVM makes this one broadcast, where zipping with a
    // cycled key iterator compiled to a 64-step scalar loop that dominated short payloads.
    let mut pattern = [0u8; 64];
    for p in pattern.chunks_exact_mut(4) {
        p.copy_from_slice(&key);
    }

    let mut big = buf.chunks_exact_mut(64);
    for chunk in &mut big {
        for (b, p) in chunk.iter_mut().zip(pattern.iter()) {
            *b ^= *p;
        }
    }
    // Every chunk above was a multiple of 4 long, so the key phase is unchanged here.
    let rest = big.into_remainder();
    let word = u64::from_ne_bytes([
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
    ]);
    let mut words = rest.chunks_exact_mut(8);
    for chunk in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        chunk.copy_from_slice(&(u64::from_ne_bytes(w) ^ word).to_ne_bytes());
    }
    for (b, k) in words.into_remainder().iter_mut().zip(key.iter().cycle()) {
        *b ^= *k;
    }
}

/// Appends `src` masked with `key` (from payload offset 0) to `out`, in one pass: the
/// bytes are masked on their way in rather than copied and then masked in place.
pub(crate) fn extend_masked(out: &mut bytes::BytesMut, src: &[u8], key: [u8; 4]) {
    use bytes::BufMut;
    let mut pattern = [0u8; 64];
    for p in pattern.chunks_exact_mut(4) {
        p.copy_from_slice(&key);
    }
    out.reserve(src.len());
    let mut big = src.chunks_exact(64);
    for chunk in &mut big {
        let mut masked = [0u8; 64];
        for ((m, s), p) in masked.iter_mut().zip(chunk).zip(pattern.iter()) {
            *m = *s ^ *p;
        }
        out.put_slice(&masked);
    }
    let start = out.len();
    out.extend_from_slice(big.remainder());
    if let Some(tail) = out.get_mut(start..) {
        apply_mask(tail, key, 0);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::arithmetic_side_effects)]

    use super::apply_mask;
    use proptest::prelude::*;

    fn reference(buf: &mut [u8], key: [u8; 4], offset: usize) {
        for (i, b) in buf.iter_mut().enumerate() {
            *b ^= key[(offset + i) % 4];
        }
    }

    proptest! {
        #[test]
        fn extend_masked_matches_copy_then_mask(
            data in proptest::collection::vec(any::<u8>(), 0..300),
            key: [u8; 4],
            prefix in proptest::collection::vec(any::<u8>(), 0..5),
        ) {
            let mut out = bytes::BytesMut::from(&prefix[..]);
            super::extend_masked(&mut out, &data, key);
            let mut want = data.clone();
            reference(&mut want, key, 0);
            prop_assert_eq!(&out[..prefix.len()], &prefix[..]);
            prop_assert_eq!(&out[prefix.len()..], &want[..]);
        }
    }

    #[test]
    fn rfc_6455_5_7_masked_hello() {
        // RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d.
        let mut data = *b"Hello";
        apply_mask(&mut data, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(data, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
        apply_mask(&mut data, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(&data, b"Hello");
    }

    #[test]
    fn every_length_and_offset_up_to_200() {
        let key = [0x01, 0x80, 0xfe, 0x5a];
        for len in 0..200usize {
            for offset in 0..8 {
                let data: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
                let mut fast = data.clone();
                let mut slow = data.clone();
                apply_mask(&mut fast, key, offset);
                reference(&mut slow, key, offset);
                assert_eq!(fast, slow, "len {len} offset {offset}");
            }
        }
    }

    #[test]
    fn unaligned_start() {
        let key = [9, 8, 7, 6];
        let mut data = vec![0xaa; 300];
        let mut expect = data.clone();
        apply_mask(&mut data[3..], key, 1);
        reference(&mut expect[3..], key, 1);
        assert_eq!(data, expect);
    }

    proptest! {
        #[test]
        fn matches_reference(
            data in proptest::collection::vec(any::<u8>(), 0..2000),
            key in any::<[u8; 4]>(),
            offset in 0usize..1_000_000,
        ) {
            let mut fast = data.clone();
            let mut slow = data;
            apply_mask(&mut fast, key, offset);
            reference(&mut slow, key, offset);
            prop_assert_eq!(fast, slow);
        }

        #[test]
        fn pieces_continue_the_key_phase(
            data in proptest::collection::vec(any::<u8>(), 0..1000),
            key in any::<[u8; 4]>(),
            mut splits in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
        ) {
            let mut whole = data.clone();
            apply_mask(&mut whole, key, 0);
            let mut cuts: Vec<usize> = splits.drain(..).map(|i| i.index(data.len() + 1)).collect();
            cuts.push(0);
            cuts.push(data.len());
            cuts.sort_unstable();
            let mut pieces = data;
            for w in cuts.windows(2) {
                apply_mask(&mut pieces[w[0]..w[1]], key, w[0]);
            }
            prop_assert_eq!(pieces, whole);
        }
    }
}
