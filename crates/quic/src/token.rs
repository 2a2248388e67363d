//! Address-validation tokens (RFC 9000 §8.1.1–§8.1.4): what a server puts in a Retry
//! packet or a `NEW_TOKEN` frame, and gets back in a client's Initial.
//!
//! Only the server reads its tokens (§8.1.4: "There is no need for a single well-defined
//! format"), so they are sealed with AES-256-GCM under a key only the servers hold, and
//! carry everything needed to validate them statelessly:
//!
//! ```text
//! Token {
//!   Kind (8),            // 0 Retry, 1 NEW_TOKEN: in clear (§8.1.3 allows it) and in the AAD
//!   Nonce (96),          // random, from the caller's `Random`
//!   Sealed {             // AES-256-GCM
//!     Issued (64),       // milliseconds since the caller's epoch
//!     Family (8), Address (32/128), Port (16),
//!     [Retry only] ODCID Length (8), ODCID (..), RSCID Length (8), RSCID (..),
//!   },
//!   Tag (128),
//! }
//! ```
//!
//! Time is whatever the caller passes as `now`: milliseconds since an epoch of its
//! choosing (the Unix epoch if several servers share a key, so that their clocks agree),
//! the same epoch for sealing and validating. The crate reads no clock.
//!
//! Replay (§8.1.4: tokens SHOULD NOT be accepted many times) is the caller's concern: a
//! validated token's `issued` time and address let it keep a short replay filter.
//!
//! ```
//! use stator_quic::{AddressToken, TokenKey, TokenKind, TokenLifetimes};
//! use stator_wire::rand::SeededRandom;
//!
//! let mut rng = SeededRandom::new(1); // tests only; servers pass a SystemRandom
//! let key = TokenKey::random(&mut rng);
//! let client = "192.0.2.7:50000".parse()?;
//! let token = AddressToken { kind: TokenKind::NewToken, address: client, issued: 1_000 };
//! let sealed = key.seal(&token, &mut rng)?;
//! let later = "192.0.2.7:61000".parse()?; // NEW_TOKEN: the port may change
//! assert_eq!(key.validate(&sealed, later, 60_000, &TokenLifetimes::default())?, token);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use ring::aead;
use stator_wire::Reader;
use stator_wire::rand::Random;

use crate::cid::ConnectionId;

const KIND_RETRY: u8 = 0;
const KIND_NEW_TOKEN: u8 = 1;
const NONCE_LEN: usize = aead::NONCE_LEN;
const TAG_LEN: usize = 16;
/// The largest sealed content: issued, an IPv6 address and port, two 20-byte CIDs.
const MAX_PLAINTEXT: usize = 8 + 1 + 16 + 2 + (1 + 20) * 2;
/// The longest token this module issues; longer ones are refused before any crypto.
pub const MAX_TOKEN_LEN: usize = 1 + NONCE_LEN + MAX_PLAINTEXT + TAG_LEN;

/// How the token reached the client, with what only a Retry token carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// From a Retry packet (§8.1.2): used at once, on the same path.
    Retry {
        /// The Destination Connection ID of the client's first Initial, for the
        /// `original_destination_connection_id` transport parameter (§7.3).
        original_dcid: ConnectionId,
        /// The Source Connection ID of the Retry, for `retry_source_connection_id`.
        retry_scid: ConnectionId,
    },
    /// From a `NEW_TOKEN` frame (§8.1.3): for a later connection.
    NewToken,
}

impl TokenKind {
    fn byte(&self) -> u8 {
        match self {
            TokenKind::Retry { .. } => KIND_RETRY,
            TokenKind::NewToken => KIND_NEW_TOKEN,
        }
    }
}

/// The content of an address-validation token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddressToken {
    /// Retry or `NEW_TOKEN`.
    pub kind: TokenKind,
    /// The client address the token was issued to.
    pub address: SocketAddr,
    /// When it was issued, in milliseconds since the caller's epoch.
    pub issued: u64,
}

/// How long tokens stay valid, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLifetimes {
    /// Retry tokens come straight back (§8.1.4: "only accepted for a short time").
    /// Default 10 seconds: a few round trips even on a slow path.
    pub retry: u64,
    /// `NEW_TOKEN` tokens serve later connections (§8.1.3). Default 24 hours.
    pub new_token: u64,
}

impl Default for TokenLifetimes {
    fn default() -> TokenLifetimes {
        TokenLifetimes {
            retry: 10_000,
            new_token: 24 * 60 * 60 * 1000,
        }
    }
}

/// Why a token was not accepted. None of these is a protocol violation by itself: a
/// server treats the client as unvalidated, except that an invalid Retry token is best
/// answered with `INVALID_TOKEN` (RFC 9000 §8.1.2, §8.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Not a token of ours: too short or long, unknown kind, or not authentic under the
    /// key (tampered, forged or from another key). `claims_retry` reads the clear kind
    /// byte, since it decides the server's reaction (§8.1.2); it is not
    /// authenticated.
    #[error("token not authentic")]
    Invalid {
        /// Whether the clear kind byte claims a Retry token.
        claims_retry: bool,
    },
    /// Authentic, but issued to another address: the IP and port for a Retry token, the
    /// IP for a `NEW_TOKEN` one, whose client port is expected to change (§8.1.3).
    #[error("token issued to another address")]
    AddressMismatch {
        /// Whether it is a Retry token.
        retry: bool,
    },
    /// Authentic, but older than its lifetime.
    #[error("token expired")]
    Expired {
        /// Whether it is a Retry token.
        retry: bool,
    },
    /// Sealing failed (ring refused the input; does not happen for inputs of this size).
    #[error("token sealing failed")]
    Seal,
}

impl TokenError {
    /// Whether the token claims to come from a Retry packet (RFC 9000 §8.1.2: then the
    /// server should close with `INVALID_TOKEN` rather than send another Retry).
    pub fn is_retry(&self) -> bool {
        match *self {
            TokenError::Invalid {
                claims_retry: retry,
            }
            | TokenError::AddressMismatch { retry }
            | TokenError::Expired { retry } => retry,
            TokenError::Seal => false,
        }
    }
}

/// The AES-256-GCM key that seals and opens address-validation tokens (RFC 9000
/// §8.1.4: "Only the server requires access to the integrity protection key").
pub struct TokenKey {
    key: aead::LessSafeKey,
}

impl TokenKey {
    /// A key from 32 secret bytes (shared by every server that must accept the tokens).
    ///
    /// # Panics
    ///
    /// Never: every 32-byte string is an AES-256 key.
    pub fn new(secret: &[u8; 32]) -> TokenKey {
        let unbound = aead::UnboundKey::new(&aead::AES_256_GCM, secret)
            .expect("32 bytes is the AES-256-GCM key length");
        TokenKey {
            key: aead::LessSafeKey::new(unbound),
        }
    }

    /// A fresh key from `rng`; tokens die with it.
    pub fn random(rng: &mut dyn Random) -> TokenKey {
        let mut secret = [0u8; 32];
        rng.fill(&mut secret);
        TokenKey::new(&secret)
    }

    /// Seals `token` into the bytes a Retry packet or `NEW_TOKEN` frame carries, with a
    /// random nonce from `rng`. Random nonces also make every `NEW_TOKEN` unique (§8.1.3).
    pub fn seal(&self, token: &AddressToken, rng: &mut dyn Random) -> Result<Vec<u8>, TokenError> {
        let kind = token.kind.byte();
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill(&mut nonce);
        let mut out = Vec::with_capacity(MAX_TOKEN_LEN);
        out.push(kind);
        out.extend_from_slice(&nonce);
        let body = out.len();
        out.extend_from_slice(&token.issued.to_be_bytes());
        match token.address.ip() {
            IpAddr::V4(ip) => {
                out.push(4);
                out.extend_from_slice(&ip.octets());
            }
            IpAddr::V6(ip) => {
                out.push(6);
                out.extend_from_slice(&ip.octets());
            }
        }
        out.extend_from_slice(&token.address.port().to_be_bytes());
        if let TokenKind::Retry {
            original_dcid,
            retry_scid,
        } = &token.kind
        {
            for cid in [original_dcid, retry_scid] {
                out.push(cid.len() as u8);
                out.extend_from_slice(cid);
            }
        }
        let plaintext = out.get_mut(body..).ok_or(TokenError::Seal)?;
        let tag = self
            .key
            .seal_in_place_separate_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from([kind]),
                plaintext,
            )
            .map_err(|_| TokenError::Seal)?;
        out.extend_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Opens a token and returns its content, without checking address or age. Anything
    /// not sealed by this key is [`TokenError::Invalid`]; nothing panics.
    pub fn open(&self, token: &[u8]) -> Result<AddressToken, TokenError> {
        let claims_retry = token.first() == Some(&KIND_RETRY);
        let invalid = TokenError::Invalid { claims_retry };
        if token.len() > MAX_TOKEN_LEN {
            return Err(invalid);
        }
        let mut r = Reader::new(token);
        let kind = r.read_u8().map_err(|_| invalid)?;
        if kind != KIND_RETRY && kind != KIND_NEW_TOKEN {
            return Err(invalid);
        }
        let nonce: [u8; NONCE_LEN] = r.read_array().map_err(|_| invalid)?;
        // Decrypt a copy on the stack: the input is borrowed, and bounded above.
        let sealed = r.rest();
        let mut buf = [0u8; MAX_TOKEN_LEN];
        let copy = buf.get_mut(..sealed.len()).ok_or(invalid)?;
        copy.copy_from_slice(sealed);
        let plaintext = self
            .key
            .open_in_place(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from([kind]),
                copy,
            )
            .map_err(|_| invalid)?;
        parse_plaintext(kind, plaintext).ok_or(invalid)
    }

    /// Opens a token from a client Initial received from `peer` at `now` (milliseconds,
    /// the epoch of sealing) and checks it: authentic, issued to `peer` (IP and port for
    /// Retry, IP for `NEW_TOKEN`, §8.1.4), and younger than its kind's lifetime. A token
    /// stamped after `now` (servers sharing a key with clocks apart) counts as just
    /// issued.
    ///
    /// IPv4-mapped IPv6 addresses compare equal to their IPv4 form, so a dual-stack
    /// socket does not reject its own tokens.
    pub fn validate(
        &self,
        token: &[u8],
        peer: SocketAddr,
        now: u64,
        lifetimes: &TokenLifetimes,
    ) -> Result<AddressToken, TokenError> {
        let opened = self.open(token)?;
        let (retry, lifetime) = match opened.kind {
            TokenKind::Retry { .. } => (true, lifetimes.retry),
            TokenKind::NewToken => (false, lifetimes.new_token),
        };
        let same_ip = opened.address.ip().to_canonical() == peer.ip().to_canonical();
        if !same_ip || (retry && opened.address.port() != peer.port()) {
            return Err(TokenError::AddressMismatch { retry });
        }
        if now.saturating_sub(opened.issued) > lifetime {
            return Err(TokenError::Expired { retry });
        }
        Ok(opened)
    }
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

fn parse_plaintext(kind: u8, plaintext: &[u8]) -> Option<AddressToken> {
    let mut r = Reader::new(plaintext);
    let issued = r.read_u64().ok()?;
    let ip = match r.read_u8().ok()? {
        4 => IpAddr::V4(Ipv4Addr::from(r.read_array::<4>().ok()?)),
        6 => IpAddr::V6(Ipv6Addr::from(r.read_array::<16>().ok()?)),
        _ => return None,
    };
    let port = r.read_u16().ok()?;
    let kind = if kind == KIND_RETRY {
        let mut cid = || {
            let len = r.read_u8().ok()?;
            ConnectionId::new(r.read_bytes(usize::from(len)).ok()?).ok()
        };
        let original_dcid = cid()?;
        let retry_scid = cid()?;
        TokenKind::Retry {
            original_dcid,
            retry_scid,
        }
    } else {
        TokenKind::NewToken
    };
    r.is_empty().then_some(AddressToken {
        kind,
        address: SocketAddr::new(ip, port),
        issued,
    })
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

    fn key() -> TokenKey {
        TokenKey::new(&[7; 32])
    }

    fn retry_token(address: SocketAddr, issued: u64) -> AddressToken {
        AddressToken {
            kind: TokenKind::Retry {
                original_dcid: ConnectionId::new(&[0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08])
                    .unwrap(),
                retry_scid: ConnectionId::new(&[0xf0, 0x67, 0xa5, 0x50, 0x2a, 0x42, 0x62, 0xb5])
                    .unwrap(),
            },
            address,
            issued,
        }
    }

    #[test]
    fn retry_token_seals_opens_and_validates() {
        let mut rng = SeededRandom::new(1);
        let peer: SocketAddr = "192.0.2.7:50000".parse().unwrap();
        let token = retry_token(peer, 1_000);
        let sealed = key().seal(&token, &mut rng).unwrap();
        assert_eq!(sealed[0], KIND_RETRY);
        assert!(sealed.len() <= MAX_TOKEN_LEN);
        let lifetimes = TokenLifetimes::default();
        assert_eq!(key().open(&sealed), Ok(token));
        assert_eq!(
            key().validate(&sealed, peer, 1_000 + lifetimes.retry, &lifetimes),
            Ok(token)
        );
        // Too old, another port, another IP.
        assert_eq!(
            key().validate(&sealed, peer, 1_001 + lifetimes.retry, &lifetimes),
            Err(TokenError::Expired { retry: true })
        );
        let other_port: SocketAddr = "192.0.2.7:50001".parse().unwrap();
        assert_eq!(
            key().validate(&sealed, other_port, 1_000, &lifetimes),
            Err(TokenError::AddressMismatch { retry: true })
        );
        let other_ip: SocketAddr = "192.0.2.8:50000".parse().unwrap();
        assert!(
            key()
                .validate(&sealed, other_ip, 1_000, &lifetimes)
                .is_err()
        );
        // The same client through a dual-stack socket.
        let mapped: SocketAddr = "[::ffff:192.0.2.7]:50000".parse().unwrap();
        assert!(key().validate(&sealed, mapped, 1_000, &lifetimes).is_ok());
        // Stamped in the future: counts as just issued.
        assert!(key().validate(&sealed, peer, 0, &lifetimes).is_ok());
    }

    #[test]
    fn new_token_checks_the_ip_only_and_lives_longer() {
        let mut rng = SeededRandom::new(2);
        let peer: SocketAddr = "[2001:db8::5]:4433".parse().unwrap();
        let token = AddressToken {
            kind: TokenKind::NewToken,
            address: peer,
            issued: 5,
        };
        let a = key().seal(&token, &mut rng).unwrap();
        let b = key().seal(&token, &mut rng).unwrap();
        assert_ne!(a, b, "every NEW_TOKEN is unique (§8.1.3)");
        let lifetimes = TokenLifetimes::default();
        let later: SocketAddr = "[2001:db8::5]:61000".parse().unwrap();
        let an_hour = 60 * 60 * 1000;
        assert_eq!(key().validate(&a, later, an_hour, &lifetimes), Ok(token));
        assert_eq!(
            key().validate(&a, later, 5 + lifetimes.new_token + 1, &lifetimes),
            Err(TokenError::Expired { retry: false })
        );
        let elsewhere: SocketAddr = "[2001:db8::6]:4433".parse().unwrap();
        assert_eq!(
            key().validate(&b, elsewhere, 5, &lifetimes),
            Err(TokenError::AddressMismatch { retry: false })
        );
    }

    #[test]
    fn tampered_and_foreign_tokens_are_invalid() {
        let mut rng = SeededRandom::new(3);
        let peer: SocketAddr = "198.51.100.1:443".parse().unwrap();
        let sealed = key().seal(&retry_token(peer, 9), &mut rng).unwrap();
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            let err = key().open(&bad).unwrap_err();
            assert!(matches!(err, TokenError::Invalid { .. }), "byte {i}");
        }
        // Flipping the kind byte to NEW_TOKEN fails: the kind is in the AAD.
        let mut flipped = sealed.clone();
        flipped[0] = KIND_NEW_TOKEN;
        assert_eq!(
            key().open(&flipped),
            Err(TokenError::Invalid {
                claims_retry: false
            })
        );
        let foreign = TokenKey::new(&[8; 32]);
        let err = foreign.open(&sealed).unwrap_err();
        assert_eq!(err, TokenError::Invalid { claims_retry: true });
        assert!(err.is_retry());
        assert!(key().open(&[]).is_err());
        assert!(key().open(&sealed[..sealed.len() - 1]).is_err());
        assert!(key().open(&[0; MAX_TOKEN_LEN + 1]).is_err());
        assert_eq!(format!("{:?}", key()), "TokenKey(..)");
    }

    fn arb_cid() -> impl Strategy<Value = ConnectionId> {
        proptest::collection::vec(any::<u8>(), 0..=20).prop_map(|b| ConnectionId::new(&b).unwrap())
    }

    fn arb_token() -> impl Strategy<Value = AddressToken> {
        let kind = prop_oneof![
            Just(TokenKind::NewToken),
            (arb_cid(), arb_cid()).prop_map(|(original_dcid, retry_scid)| TokenKind::Retry {
                original_dcid,
                retry_scid
            }),
        ];
        let ip = prop_oneof![
            any::<[u8; 4]>().prop_map(IpAddr::from),
            any::<[u8; 16]>().prop_map(IpAddr::from),
        ];
        (kind, ip, any::<u16>(), any::<u64>()).prop_map(|(kind, ip, port, issued)| AddressToken {
            kind,
            address: SocketAddr::new(ip, port),
            issued,
        })
    }

    proptest! {
        #[test]
        fn seal_open_round_trip(token in arb_token(), seed: u64) {
            let mut rng = SeededRandom::new(seed);
            let sealed = key().seal(&token, &mut rng).unwrap();
            prop_assert!(sealed.len() <= MAX_TOKEN_LEN);
            prop_assert_eq!(key().open(&sealed), Ok(token));
            let lifetimes = TokenLifetimes::default();
            prop_assert_eq!(key().validate(&sealed, token.address, token.issued, &lifetimes), Ok(token));
        }

        #[test]
        fn arbitrary_bytes_never_open(data in proptest::collection::vec(any::<u8>(), 0..160)) {
            prop_assert!(key().open(&data).is_err());
        }
    }
}
