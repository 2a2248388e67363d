//! Stateless reset (RFC 9000 §10.3): tokens derived from connection IDs with one static
//! key, and the building and recognising of Stateless Reset datagrams.
//!
//! An endpoint that lost its state still has to answer packets for connections it no
//! longer knows with a reset its peer believes. So the token of each connection ID is a
//! pseudorandom function of a static key and the ID (RFC 9000 §10.3.2): HMAC-SHA256 from
//! ring, truncated to 16 bytes. Any instance holding the key recomputes the token from
//! the Destination Connection ID of the packet it cannot place.

use std::fmt;

use ring::hmac;
use stator_wire::rand::Random;

/// The length of a stateless reset token (RFC 9000 §10.3).
pub const RESET_TOKEN_LEN: usize = 16;

/// The smallest Stateless Reset: 5 bytes that look like a short header (at least 38
/// unpredictable bits after the two fixed ones) and the 16-byte token (RFC 9000 §10.3).
pub const MIN_RESET_LEN: usize = 21;

/// Up to this size of the packet that triggers it, a Stateless Reset is one byte shorter
/// than that packet (RFC 9000 §10.3).
const SHORT_TRIGGER: usize = 43;

/// A Stateless Reset below this size might be recognisable as one (RFC 9000 §10.3.3), so
/// larger triggers get a reset at least this long.
const INCONSPICUOUS_LEN: usize = 41;

/// A stateless reset token (RFC 9000 §10.3): 16 bytes that end a Stateless Reset.
///
/// Equality is constant-time (RFC 9000 §10.3.1: the comparison must not leak the value
/// through timing), and `Debug` does not print the value: whoever learns a token can
/// reset the connection.
#[derive(Clone, Copy, Eq)]
pub struct ResetToken(pub [u8; RESET_TOKEN_LEN]);

impl ResetToken {
    /// The token's bytes.
    pub const fn as_bytes(&self) -> &[u8; RESET_TOKEN_LEN] {
        &self.0
    }

    /// Whether `other` equals this token, in time that does not depend on where they
    /// differ (RFC 9000 §10.3.1).
    pub fn ct_eq(&self, other: &[u8; RESET_TOKEN_LEN]) -> bool {
        self.0
            .iter()
            .zip(other)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl PartialEq for ResetToken {
    fn eq(&self, other: &ResetToken) -> bool {
        self.ct_eq(&other.0)
    }
}

impl std::hash::Hash for ResetToken {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl From<[u8; RESET_TOKEN_LEN]> for ResetToken {
    fn from(bytes: [u8; RESET_TOKEN_LEN]) -> ResetToken {
        ResetToken(bytes)
    }
}

impl fmt::Debug for ResetToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResetToken(..)")
    }
}

/// The static key that derives stateless reset tokens from connection IDs
/// (RFC 9000 §10.3.2).
///
/// All instances that may receive packets for the same connection IDs share one key, and
/// must never issue the same connection ID for two connections: the pair (key, ID) names
/// exactly one connection (RFC 9000 §10.3.2, §21.11).
#[derive(Clone)]
pub struct ResetKey {
    key: hmac::Key,
}

impl ResetKey {
    /// A key from `secret` (32 bytes or more of secret randomness is the intent).
    pub fn new(secret: &[u8]) -> ResetKey {
        ResetKey {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
        }
    }

    /// A fresh 256-bit key drawn from `rng`. Tokens it derives die with it: a process
    /// that wants to reset connections after a restart loads a stored key with
    /// [`ResetKey::new`] instead.
    pub fn random(rng: &mut dyn Random) -> ResetKey {
        let mut secret = [0u8; 32];
        rng.fill(&mut secret);
        ResetKey::new(&secret)
    }

    /// The token of connection ID `cid`: HMAC-SHA256(key, cid) truncated to 16 bytes
    /// (RFC 9000 §10.3.2). A zero-length ID cannot be reset this way, since a packet
    /// carries nothing to derive the token from.
    pub fn token(&self, cid: &[u8]) -> ResetToken {
        let tag = hmac::sign(&self.key, cid);
        let mut token = [0u8; RESET_TOKEN_LEN];
        if let Some(head) = tag.as_ref().get(..RESET_TOKEN_LEN) {
            token.copy_from_slice(head);
        }
        ResetToken(token)
    }
}

impl fmt::Debug for ResetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResetKey(..)")
    }
}

/// The size of the Stateless Reset sent in reply to a `trigger_len`-byte datagram, into
/// a buffer of `room` bytes; `None` when no reset may be sent.
///
/// A reset is always shorter than the packet that triggered it, which ends any loop of
/// two endpoints resetting each other (RFC 9000 §10.3.3), and at least [`MIN_RESET_LEN`]
/// long (§10.3); so a trigger of 21 bytes or less gets no reply. Triggers of up to 43
/// bytes get a reset one byte shorter (§10.3); larger ones a random size from 41 bytes
/// (below which a reset may stand out, §10.3.3) to one byte less than the trigger.
pub fn reset_len(trigger_len: usize, room: usize, rng: &mut dyn Random) -> Option<usize> {
    let most = trigger_len.checked_sub(1)?.min(room);
    if most < MIN_RESET_LEN {
        return None;
    }
    if trigger_len <= SHORT_TRIGGER || most <= INCONSPICUOUS_LEN {
        return Some(most);
    }
    // `most > INCONSPICUOUS_LEN`, so the span is at least 2 and fits a u64.
    let span = most.checked_sub(INCONSPICUOUS_LEN)?.checked_add(1)? as u64;
    let pick = rng.next_u64().checked_rem(span)? as usize;
    INCONSPICUOUS_LEN.checked_add(pick)
}

/// Writes a Stateless Reset ending in `token` into `buf`, in reply to a datagram of
/// `trigger_len` bytes, and returns its length; `None` (and nothing written) when the
/// rules of [`reset_len`] allow no reset.
///
/// The layout is RFC 9000 §10.3's: a first byte `0b01xx_xxxx` (a short header with the
/// fixed bit set), unpredictable bytes from `rng`, and the token in the last 16 bytes.
pub fn write_stateless_reset(
    token: &ResetToken,
    trigger_len: usize,
    rng: &mut dyn Random,
    buf: &mut [u8],
) -> Option<usize> {
    let len = reset_len(trigger_len, buf.len(), rng)?;
    let packet = buf.get_mut(..len)?;
    let (head, tail) = packet.split_at_mut(len.checked_sub(RESET_TOKEN_LEN)?);
    rng.fill(head);
    let first = head.first_mut()?;
    *first = (*first & 0x3f) | 0x40;
    tail.copy_from_slice(&token.0);
    Some(len)
}

/// The last 16 bytes of `datagram`, where a Stateless Reset carries its token
/// (RFC 9000 §10.3.1); `None` for datagrams shorter than [`MIN_RESET_LEN`], which are no
/// valid QUIC packet (§10.3).
pub fn trailing_token(datagram: &[u8]) -> Option<[u8; RESET_TOKEN_LEN]> {
    if datagram.len() < MIN_RESET_LEN {
        return None;
    }
    datagram.last_chunk::<RESET_TOKEN_LEN>().copied()
}

/// Whether `datagram` is a Stateless Reset for one of `tokens` (RFC 9000 §10.3.1).
///
/// Every token is compared in constant time and every token is compared, so timing
/// reveals neither a token's value nor which one matched. `tokens` should be those of
/// connection IDs in use with the datagram's remote address, never of unused or retired
/// ones (§10.3.1). Any datagram ending in a valid token counts, long header or not.
pub fn is_stateless_reset<'a>(
    datagram: &[u8],
    tokens: impl IntoIterator<Item = &'a ResetToken>,
) -> bool {
    let Some(tail) = trailing_token(datagram) else {
        return false;
    };
    tokens
        .into_iter()
        .fold(false, |found, token| found | token.ct_eq(&tail))
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use stator_wire::rand::SeededRandom;

    #[test]
    fn tokens_are_hmac_sha256_truncated() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let key = ResetKey::new(b"Jefe");
        let token = key.token(b"what do ya want for nothing?");
        assert_eq!(
            token.0,
            [
                0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95,
                0x75, 0xc7
            ]
        );
        assert_eq!(key.token(b"what do ya want for nothing?"), token);
        assert_ne!(key.token(b"another cid"), token);
        assert_ne!(
            ResetKey::new(b"other").token(b"what do ya want for nothing?"),
            token
        );
        assert_eq!(format!("{token:?}"), "ResetToken(..)");
    }

    #[test]
    fn no_reset_for_triggers_of_21_bytes_or_less() {
        let mut rng = SeededRandom::new(1);
        let token = ResetToken([9; 16]);
        let mut buf = [0u8; 1500];
        for trigger in 0..=21 {
            assert_eq!(
                write_stateless_reset(&token, trigger, &mut rng, &mut buf),
                None
            );
        }
        assert_eq!(
            write_stateless_reset(&token, 22, &mut rng, &mut buf),
            Some(21)
        );
        // A buffer too small for 21 bytes: nothing.
        assert_eq!(
            write_stateless_reset(&token, 1200, &mut rng, &mut buf[..20]),
            None
        );
    }

    #[test]
    fn short_triggers_get_one_byte_less() {
        let mut rng = SeededRandom::new(2);
        for trigger in 22..=43 {
            assert_eq!(reset_len(trigger, 1500, &mut rng), Some(trigger - 1));
        }
    }

    #[test]
    fn reset_layout_and_recognition() {
        let mut rng = SeededRandom::new(3);
        let key = ResetKey::random(&mut rng);
        let token = key.token(&[1, 2, 3, 4, 5, 6, 7, 8]);
        let mut buf = [0u8; 1500];
        let len = write_stateless_reset(&token, 1200, &mut rng, &mut buf).unwrap();
        assert!((41..1200).contains(&len));
        let reset = &buf[..len];
        assert_eq!(reset[0] & 0xc0, 0x40);
        assert_eq!(&reset[len - 16..], &token.0);
        let others = [key.token(&[9; 8]), ResetToken([0; 16])];
        assert!(is_stateless_reset(reset, &[others[0], token, others[1]]));
        assert!(!is_stateless_reset(reset, &others));
        assert!(!is_stateless_reset(reset, &[]));
        // The token alone is too short to be a reset.
        assert!(!is_stateless_reset(&token.0, &[token]));
    }

    proptest! {
        #[test]
        fn resets_are_shorter_than_their_trigger(trigger in 0usize..3000, room in 0usize..2000, seed: u64) {
            let mut rng = SeededRandom::new(seed);
            let token = ResetToken([0xaa; 16]);
            let mut buf = vec![0u8; room];
            if let Some(len) = write_stateless_reset(&token, trigger, &mut rng, &mut buf) {
                prop_assert!(len < trigger && len >= MIN_RESET_LEN && len <= room);
                prop_assert!(trigger <= 43 || len >= 41 || len == room.min(trigger - 1));
                prop_assert!(is_stateless_reset(&buf[..len], &[token]));
                prop_assert_eq!(buf[0] & 0xc0, 0x40);
            } else {
                prop_assert!(trigger <= 21 || room < 21);
            }
        }

        #[test]
        fn recognising_any_bytes_never_panics(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = is_stateless_reset(&data, &[ResetToken([0; 16])]);
        }
    }
}
