//! The permessage-deflate engine (RFC 7692 §7), over flate2 with the zlib-rs backend.
//!
//! flate2's zlib-rs backend was checked (flate2 1.1.11, zlib-rs 0.6) to accept
//! `Compress::new_with_window_bits(level, false, bits)` and
//! `Decompress::new_with_window_bits(false, bits)` for raw DEFLATE with `bits` in 9..=15,
//! and to **panic** on 8 (`assert!(window_bits > 8 && window_bits < 16)`), for compression
//! and decompression alike. Hence the choices below:
//!
//! - **Compression** uses our side's negotiated window bits, except that 8 becomes 9. That
//!   is safe: zlib's deflate (and zlib-rs, a port of it) never emits a match distance
//!   longer than `w_size - MIN_LOOKAHEAD` (`MAX_DIST` in deflate.h), where
//!   `MIN_LOOKAHEAD = MAX_MATCH + MIN_MATCH + 1 = 262`. With 9 bits that is
//!   512 - 262 = 250 < 256, so every back-reference fits a 256-byte window and a peer that
//!   inflates with 8 bits decodes our output. zlib itself silently turns 8 into 9 for raw
//!   deflate for the same reason. The test `window_8_output_fits_a_256_byte_window` checks
//!   it by decoding our output with a decoder that measures every distance (zlib-style
//!   inflaters, zlib-rs included, keep a 32 KiB window whatever their window bits say, so
//!   they cannot tell).
//! - **Decompression** always uses a 15-bit window, whatever the peer's window bits. A
//!   larger inflate window decodes every stream a smaller one does, so this accepts every
//!   conforming peer; zlib-rs allocates the full 32 KiB window for every inflate state
//!   anyway, so a smaller value would save no memory; flate2 panics on 8; and flate2
//!   re-creates (allocates) the inflate state on every `reset` unless the window is the
//!   default 15, which would cost an allocation per message with `no_context_takeover`.
//!   The peer's `no_context_takeover` is honoured by resetting after each of its messages.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::error::{Error, Violation};
use crate::{DeflateConfig, Role};

/// The end of a sync flush, removed by the sender and appended by the receiver of every
/// compressed message (RFC 7692 §7.2.1, §7.2.2).
pub(crate) const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Compresses the messages we send.
pub(crate) struct Deflater {
    inner: Compress,
    no_context_takeover: bool,
}

impl Deflater {
    /// A compressor for the messages `role` sends under `config`.
    pub(crate) fn new(config: DeflateConfig, role: Role) -> Deflater {
        let (bits, no_context_takeover) = match role {
            Role::Client => (
                config.client_max_window_bits,
                config.client_no_context_takeover,
            ),
            Role::Server => (
                config.server_max_window_bits,
                config.server_no_context_takeover,
            ),
        };
        // 8 -> 9 as explained in the module docs; anything outside 8..=15 would be a
        // negotiation bug, and clamping keeps flate2's assertion from panicking on it.
        let bits = bits.clamp(9, 15);
        Deflater {
            inner: Compress::new_with_window_bits(Compression::default(), false, bits),
            no_context_takeover,
        }
    }

    /// Compresses the next piece of the current message and appends it to `out`.
    ///
    /// Every piece ends in a sync flush so that the peer can inflate it on arrival (the
    /// pieces become the frames of a fragmented message). With `fin` the piece ends the
    /// message: the flush's `00 00 ff ff` is removed (RFC 7692 §7.2.1) and, without context
    /// takeover, the compressor starts afresh for the next message (§7.1.1).
    pub(crate) fn compress(
        &mut self,
        mut input: &[u8],
        fin: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let start = out.len();
        loop {
            if out.capacity().saturating_sub(out.len()) < 64 {
                out.reserve((input.len() / 2).saturating_add(256));
            }
            let before = self.inner.total_in();
            self.inner
                .compress_vec(input, out, FlushCompress::Sync)
                .map_err(|_| Error::Internal("deflate failed"))?;
            let consumed =
                usize::try_from(self.inner.total_in().saturating_sub(before)).unwrap_or(usize::MAX);
            input = input.get(consumed..).unwrap_or_default();
            // zlib's contract: the flush is complete once a call returns with room to spare.
            if input.is_empty() && out.len() < out.capacity() {
                break;
            }
        }
        if fin {
            let piece = out.get(start..).unwrap_or_default();
            if piece.ends_with(&TAIL) {
                out.truncate(out.len().saturating_sub(TAIL.len()));
            } else if piece.is_empty() {
                // zlib skips a flush that directly follows another (an empty final fragment,
                // or an empty message after a message), so there is no tail to remove. The
                // stream is byte-aligned after the previous flush, and one 0x00 byte (the
                // header of a stored block) plus the receiver's 00 00 ff ff is an empty
                // stored block: exactly §7.2.1's "append an empty DEFLATE block, remove 4
                // octets", and §7.2.3.6's encoding of an empty message.
                out.push(0x00);
            }
            if self.no_context_takeover {
                self.inner.reset();
            }
        }
        Ok(())
    }
}

/// Inflates the messages we receive.
pub(crate) struct Inflater {
    inner: Decompress,
    no_context_takeover: bool,
    /// The peer ended its DEFLATE stream (a BFINAL block) within the current message.
    ended: bool,
}

impl Inflater {
    /// A decompressor for the messages the peer of `role` sends under `config`.
    pub(crate) fn new(config: DeflateConfig, role: Role) -> Inflater {
        let no_context_takeover = match role {
            Role::Client => config.server_no_context_takeover,
            Role::Server => config.client_no_context_takeover,
        };
        Inflater {
            inner: Decompress::new_with_window_bits(false, 15),
            no_context_takeover,
            ended: false,
        }
    }

    /// Inflates from `input` into the spare capacity of `out`, which it never grows, so the
    /// caller bounds each step's output (decompression bombs, RFC 7692 §8.1). Returns how
    /// many input bytes were consumed; the caller calls again while input remains or `out`
    /// came back full. `tail` says that `input` is (part of) the `00 00 ff ff` the receiver
    /// appends to a message.
    pub(crate) fn inflate(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        tail: bool,
    ) -> Result<usize, Violation> {
        if self.ended {
            // RFC 7692 §7.2.3.5: a sender may end a message with a BFINAL block; the
            // appended tail then follows the end of the stream and means nothing. Payload
            // after the end would be data the stream cannot carry.
            return if tail {
                Ok(input.len())
            } else {
                Err(Violation::InvalidDeflateData)
            };
        }
        let before = self.inner.total_in();
        let status = self
            .inner
            .decompress_vec(input, out, FlushDecompress::Sync)
            .map_err(|_| Violation::InvalidDeflateData)?;
        let consumed =
            usize::try_from(self.inner.total_in().saturating_sub(before)).unwrap_or(usize::MAX);
        if status == Status::StreamEnd {
            self.ended = true;
        }
        Ok(consumed)
    }

    /// The message ended: forget its window if the peer does not take context over.
    pub(crate) fn end_message(&mut self) {
        // After a BFINAL block the next message starts a new stream, with no window to
        // take over.
        if self.no_context_takeover || self.ended {
            self.inner.reset(false);
            self.ended = false;
        }
    }
}

#[cfg(test)]
mod inflate_check;

#[cfg(test)]
mod tests {
    #![allow(clippy::arithmetic_side_effects)]

    use super::*;

    fn config(bits: u8, no_takeover: bool) -> DeflateConfig {
        DeflateConfig {
            server_no_context_takeover: no_takeover,
            client_no_context_takeover: no_takeover,
            server_max_window_bits: bits,
            client_max_window_bits: bits,
        }
    }

    fn inflate_all(inf: &mut Inflater, compressed: &[u8]) -> Vec<u8> {
        let mut all = Vec::new();
        for (input, tail) in [(compressed, false), (&TAIL[..], true)] {
            let mut rest = input;
            loop {
                let mut out = Vec::with_capacity(100);
                let n = inf.inflate(rest, &mut out, tail).unwrap();
                rest = &rest[n..];
                let full = out.len() == out.capacity();
                all.extend_from_slice(&out);
                if rest.is_empty() && !full {
                    break;
                }
            }
        }
        inf.end_message();
        all
    }

    // RFC 7692 §7.2.3.1: "Hello" compressed in one frame.
    #[test]
    fn rfc_7692_hello() {
        let mut def = Deflater::new(config(15, false), Role::Server);
        let mut out = Vec::new();
        def.compress(b"Hello", true, &mut out).unwrap();
        assert_eq!(out, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
        let mut inf = Inflater::new(config(15, false), Role::Client);
        assert_eq!(inflate_all(&mut inf, &out), b"Hello");
    }

    // RFC 7692 §7.2.3.2: with context takeover the second "Hello" is a back-reference.
    #[test]
    fn rfc_7692_context_takeover() {
        let mut def = Deflater::new(config(15, false), Role::Server);
        let mut first = Vec::new();
        def.compress(b"Hello", true, &mut first).unwrap();
        let mut second = Vec::new();
        def.compress(b"Hello", true, &mut second).unwrap();
        assert!(second.len() < first.len(), "{second:02x?}");
        let mut inf = Inflater::new(config(15, false), Role::Client);
        assert_eq!(inflate_all(&mut inf, &first), b"Hello");
        assert_eq!(inflate_all(&mut inf, &second), b"Hello");
    }

    // RFC 7692 §7.2.3.6: an empty message compresses to a single 0x00.
    #[test]
    fn rfc_7692_empty_message() {
        let mut def = Deflater::new(config(15, false), Role::Client);
        let mut out = Vec::new();
        def.compress(b"", true, &mut out).unwrap();
        assert_eq!(out, [0x00]);
        let mut inf = Inflater::new(config(15, false), Role::Server);
        assert_eq!(inflate_all(&mut inf, &out), b"");
    }

    // RFC 7692 §7.2.3.4: a BFINAL block followed by more messages.
    #[test]
    fn bfinal_block_then_next_message() {
        // "Hello" as a fixed-Huffman block with BFINAL set, produced by a zlib Finish.
        let mut c = Compress::new_with_window_bits(Compression::default(), false, 15);
        let mut out = Vec::with_capacity(64);
        c.compress_vec(b"Hello", &mut out, FlushCompress::Finish)
            .unwrap();
        let mut inf = Inflater::new(config(15, false), Role::Client);
        assert_eq!(inflate_all(&mut inf, &out), b"Hello");
        let mut def = Deflater::new(config(15, false), Role::Server);
        let mut next = Vec::new();
        def.compress(b"world", true, &mut next).unwrap();
        assert_eq!(inflate_all(&mut inf, &next), b"world");
    }

    #[test]
    fn garbage_is_invalid_data() {
        let mut inf = Inflater::new(config(15, false), Role::Client);
        let mut out = Vec::with_capacity(64);
        // BTYPE 11 is reserved.
        assert_eq!(
            inf.inflate(&[0xff, 0xff, 0xff], &mut out, false),
            Err(Violation::InvalidDeflateData)
        );
    }

    /// Text with repeats at every distance up to a few KiB, so a compressor uses the whole
    /// window it is given.
    fn sample(len: usize) -> Vec<u8> {
        let mut seed = 12345u32;
        let mut v = Vec::with_capacity(len);
        while v.len() < len {
            seed = seed.wrapping_mul(1103515245).wrapping_add(12345);
            let back = (seed >> 16) as usize % 4000;
            if back > 8 && back < v.len() && seed.is_multiple_of(3) {
                let from = v.len() - back;
                for i in 0..(seed as usize % 40 + 3) {
                    let b = v[from + i % back];
                    v.push(b);
                }
            } else {
                v.push(b'a' + (seed >> 8) as u8 % 26);
            }
        }
        v.truncate(len);
        v
    }

    #[test]
    fn window_8_output_fits_a_256_byte_window() {
        let data = sample(20_000);
        // Context takeover on, several messages: references may reach into earlier ones.
        let mut def = Deflater::new(config(8, false), Role::Client);
        let mut stream = Vec::new();
        let mut expect = Vec::new();
        for piece in data.chunks(5000) {
            def.compress(piece, true, &mut stream).unwrap();
            stream.extend_from_slice(&TAIL);
            expect.extend_from_slice(piece);
        }
        let (out, max_dist) = inflate_check::inflate(&stream).unwrap();
        assert_eq!(out, expect);
        assert!(
            max_dist <= 256,
            "distance {max_dist} does not fit an 8-bit window"
        );
        assert!(
            max_dist > 128,
            "the sample should exercise the window ({max_dist})"
        );
    }

    #[test]
    fn the_distance_check_sees_long_distances() {
        // The check above only means something if the checker sees distances past 256 when
        // there are some: compress with a 15-bit window, which uses them.
        let data = sample(20_000);
        let mut def = Deflater::new(config(15, false), Role::Client);
        let mut stream = Vec::new();
        def.compress(&data, true, &mut stream).unwrap();
        stream.extend_from_slice(&TAIL);
        let (out, max_dist) = inflate_check::inflate(&stream).unwrap();
        assert_eq!(out, data);
        assert!(max_dist > 256, "{max_dist}");
    }

    #[test]
    fn round_trip_every_window_and_takeover() {
        let data = sample(30_000);
        for bits in 8..=15 {
            for no_takeover in [false, true] {
                let mut def = Deflater::new(config(bits, no_takeover), Role::Client);
                let mut inf = Inflater::new(config(bits, no_takeover), Role::Server);
                for piece in data.chunks(7000) {
                    let mut out = Vec::new();
                    def.compress(piece, true, &mut out).unwrap();
                    assert_eq!(
                        inflate_all(&mut inf, &out),
                        piece,
                        "bits {bits} {no_takeover}"
                    );
                }
            }
        }
    }

    #[test]
    fn no_context_takeover_messages_stand_alone() {
        let mut def = Deflater::new(config(15, true), Role::Server);
        let mut a = Vec::new();
        def.compress(b"Hello Hello Hello", true, &mut a).unwrap();
        let mut b = Vec::new();
        def.compress(b"Hello Hello Hello", true, &mut b).unwrap();
        assert_eq!(a, b);
        // A fresh inflater decodes the second message alone.
        let mut inf = Inflater::new(config(15, true), Role::Client);
        assert_eq!(inflate_all(&mut inf, &b), b"Hello Hello Hello");
    }

    #[test]
    fn empty_final_pieces_and_empty_messages_after_others() {
        let mut def = Deflater::new(config(15, false), Role::Client);
        let mut inf = Inflater::new(config(15, false), Role::Server);
        // An empty non-final piece, then an empty final one: zlib skips the second flush.
        let mut first = Vec::new();
        def.compress(b"", false, &mut first).unwrap();
        let mut last = Vec::new();
        def.compress(b"", true, &mut last).unwrap();
        assert_eq!(last, [0x00]);
        first.extend_from_slice(&last);
        assert_eq!(inflate_all(&mut inf, &first), b"");
        // An empty message right after a message.
        let mut a = Vec::new();
        def.compress(b"abc", true, &mut a).unwrap();
        assert_eq!(inflate_all(&mut inf, &a), b"abc");
        let mut empty = Vec::new();
        def.compress(b"", true, &mut empty).unwrap();
        assert_eq!(empty, [0x00]);
        assert_eq!(inflate_all(&mut inf, &empty), b"");
        let mut b = Vec::new();
        def.compress(b"abc", true, &mut b).unwrap();
        assert_eq!(inflate_all(&mut inf, &b), b"abc");
    }

    #[test]
    fn fragments_are_sync_flushed() {
        let mut def = Deflater::new(config(15, false), Role::Client);
        let mut first = Vec::new();
        def.compress(b"Hello, ", false, &mut first).unwrap();
        assert!(first.ends_with(&TAIL), "non-final pieces keep their flush");
        let mut last = Vec::new();
        def.compress(b"world", true, &mut last).unwrap();
        let mut whole = first.clone();
        whole.extend_from_slice(&last);
        let mut inf = Inflater::new(config(15, false), Role::Server);
        assert_eq!(inflate_all(&mut inf, &whole), b"Hello, world");
    }
}
