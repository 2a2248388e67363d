//! Incremental UTF-8 validation of text messages (RFC 6455 §5.6, §8.1).
//!
//! A text message may be split across frames and a frame across reads, with a character cut
//! anywhere. The validator checks each piece as it arrives and fails *as soon as* the bytes
//! seen so far cannot be the start of valid UTF-8, without waiting for the frame or the
//! message to end (Autobahn cases 6.4.x send the invalid byte and then stall). It keeps at
//! most three bytes of a character that is not complete yet.

use core::str;

/// The bytes received so far are not, and cannot become, valid UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("invalid UTF-8 in a text message")]
pub struct InvalidUtf8;

/// Validates a text message given in arbitrary pieces.
#[derive(Debug, Clone, Default)]
pub struct Utf8Validator {
    /// The start of a character cut by the end of the previous piece.
    carry: [u8; 4],
    carry_len: usize,
}

impl Utf8Validator {
    /// A validator at the start of a message.
    pub const fn new() -> Utf8Validator {
        Utf8Validator {
            carry: [0; 4],
            carry_len: 0,
        }
    }

    /// Validates the next piece of the message.
    ///
    /// Fails at once if `data` contains an invalid sequence or ends in the prefix of a
    /// sequence that no continuation can make valid (such as `F4 90`, which would encode a
    /// code point above U+10FFFF). After an error the validator's state is unspecified; call
    /// [`reset`](Self::reset) before reusing it.
    pub fn feed(&mut self, mut data: &[u8]) -> Result<(), InvalidUtf8> {
        if self.carry_len > 0 {
            let width = sequence_width(self.carry[0]);
            let take = width.saturating_sub(self.carry_len).min(data.len());
            let (head, tail) = data.split_at(take);
            let end = self.carry_len.saturating_add(take);
            self.carry
                .get_mut(self.carry_len..end)
                .ok_or(InvalidUtf8)?
                .copy_from_slice(head);
            self.carry_len = end;
            data = tail;
            let seq = self.carry.get(..end).ok_or(InvalidUtf8)?;
            if end < width {
                // Still incomplete: `data` is exhausted.
                return if can_complete(seq) {
                    Ok(())
                } else {
                    Err(InvalidUtf8)
                };
            }
            str::from_utf8(seq).map_err(|_| InvalidUtf8)?;
            self.carry_len = 0;
        }
        match str::from_utf8(data) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_some() => Err(InvalidUtf8),
            Err(e) => {
                // The piece ends inside a character: keep its start for the next piece.
                let tail = data.get(e.valid_up_to()..).ok_or(InvalidUtf8)?;
                if !can_complete(tail) {
                    return Err(InvalidUtf8);
                }
                self.carry
                    .get_mut(..tail.len())
                    .ok_or(InvalidUtf8)?
                    .copy_from_slice(tail);
                self.carry_len = tail.len();
                Ok(())
            }
        }
    }

    /// How many bytes at the end of what was fed so far belong to a character that is not
    /// complete yet (0 to 3).
    pub fn incomplete_len(&self) -> usize {
        self.carry_len
    }

    /// Ends the message: fails if it stopped in the middle of a character. Resets the
    /// validator for the next message either way.
    pub fn finish(&mut self) -> Result<(), InvalidUtf8> {
        let complete = self.carry_len == 0;
        self.reset();
        if complete { Ok(()) } else { Err(InvalidUtf8) }
    }

    /// Forgets any partial character.
    pub fn reset(&mut self) {
        self.carry_len = 0;
    }
}

/// The length of the sequence that `lead` starts, 0 if it cannot start one.
fn sequence_width(lead: u8) -> usize {
    match lead {
        0x00..=0x7f => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => 0,
    }
}

/// Whether `prefix`, a proper prefix of a sequence, can still become a valid character
/// (Unicode 15 Table 3-7, the well-formed byte sequences). `std::str::from_utf8` reports a
/// cut-off sequence as "incomplete" without promising that it looked at every byte of it,
/// so the check is made here explicitly.
fn can_complete(prefix: &[u8]) -> bool {
    let Some((&lead, rest)) = prefix.split_first() else {
        return true;
    };
    let width = sequence_width(lead);
    if width < 2 || prefix.len() >= width {
        return false;
    }
    let mut rest = rest.iter();
    if let Some(&second) = rest.next() {
        let allowed = match lead {
            0xe0 => 0xa0..=0xbf, // no overlong 3-byte forms
            0xed => 0x80..=0x9f, // no surrogates U+D800..U+DFFF
            0xf0 => 0x90..=0xbf, // no overlong 4-byte forms
            0xf4 => 0x80..=0x8f, // nothing above U+10FFFF
            _ => 0x80..=0xbf,
        };
        if !allowed.contains(&second) {
            return false;
        }
    }
    rest.all(|b| (0x80..=0xbf).contains(b))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::arithmetic_side_effects)]

    use super::{InvalidUtf8, Utf8Validator};
    use proptest::prelude::*;

    fn feed_all(pieces: &[&[u8]]) -> Result<(), InvalidUtf8> {
        let mut v = Utf8Validator::new();
        for p in pieces {
            v.feed(p)?;
        }
        v.finish()
    }

    #[test]
    fn valid_across_every_split() {
        let text = "κόσμε €𝄞 hello \u{10ffff}\u{7f}\u{80}".as_bytes();
        for a in 0..=text.len() {
            for b in a..=text.len() {
                assert_eq!(
                    feed_all(&[&text[..a], &text[a..b], &text[b..]]),
                    Ok(()),
                    "{a} {b}"
                );
            }
        }
    }

    #[test]
    fn fails_fast_on_impossible_prefixes() {
        // Each of these is rejected on the piece that contains it, before any more bytes.
        for bad in [
            &[0xf4, 0x90][..], // above U+10FFFF
            &[0xf5],           // never a lead byte
            &[0xc0],           // overlong lead
            &[0xc1],
            &[0xe0, 0x80], // overlong 3-byte
            &[0xed, 0xa0], // surrogate
            &[0xf0, 0x80], // overlong 4-byte
            &[0x80],       // stray continuation
            &[0xe2, 0x82, 0x41],
            &[0xff],
        ] {
            let mut v = Utf8Validator::new();
            assert_eq!(v.feed(b"ok"), Ok(()));
            assert_eq!(v.feed(bad), Err(InvalidUtf8), "{bad:02x?}");
        }
    }

    #[test]
    fn fails_fast_when_the_carried_prefix_goes_bad() {
        let mut v = Utf8Validator::new();
        v.feed(&[b'a', 0xf4]).unwrap();
        assert_eq!(v.incomplete_len(), 1);
        assert_eq!(v.feed(&[0x90]), Err(InvalidUtf8));

        let mut v = Utf8Validator::new();
        v.feed(&[0xf0]).unwrap();
        v.feed(&[0x9f]).unwrap();
        assert_eq!(v.incomplete_len(), 2);
        assert_eq!(v.feed(&[0x98, b'x']), Err(InvalidUtf8));

        let mut v = Utf8Validator::new();
        v.feed(&[0xed]).unwrap();
        assert_eq!(v.feed(&[0xa0]), Err(InvalidUtf8));
    }

    #[test]
    fn incomplete_at_message_end() {
        let mut v = Utf8Validator::new();
        v.feed(&[0xe2, 0x82]).unwrap();
        assert_eq!(v.finish(), Err(InvalidUtf8));
        // finish() resets: the next message starts clean.
        assert_eq!(v.feed(b"a"), Ok(()));
        assert_eq!(v.finish(), Ok(()));
    }

    proptest! {
        #[test]
        fn agrees_with_std_on_any_split(
            data in proptest::collection::vec(any::<u8>(), 0..64),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
        ) {
            let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(data.len() + 1)).collect();
            cuts.push(0);
            cuts.push(data.len());
            cuts.sort_unstable();
            let pieces: Vec<&[u8]> = cuts.windows(2).map(|w| &data[w[0]..w[1]]).collect();
            prop_assert_eq!(feed_all(&pieces).is_ok(), std::str::from_utf8(&data).is_ok());
        }

        #[test]
        fn fails_no_later_than_std_says(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            // Fed one byte at a time, the error must come at the first byte that makes the
            // prefix impossible: the prefix before it must always be completable.
            let mut v = Utf8Validator::new();
            for (i, b) in data.iter().enumerate() {
                if v.feed(&[*b]).is_err() {
                    let prefix = &data[..=i];
                    match std::str::from_utf8(prefix) {
                        Err(e) => prop_assert!(e.error_len().is_some() || !super::can_complete(&prefix[e.valid_up_to()..])),
                        Ok(_) => prop_assert!(false, "rejected a valid prefix"),
                    }
                    return Ok(());
                }
            }
        }
    }
}
