//! Connection IDs (RFC 9000 §5.1) and the generators that choose them.
//!
//! A [`ConnectionId`] is at most 20 bytes in QUIC v1 and v2 (RFC 9000 §17.2), so it is
//! stored inline: it is `Copy`, costs no allocation and can key a hash map directly.
//!
//! Endpoints choose their own connection IDs through a [`ConnectionIdGenerator`]. The
//! default, [`RandomConnectionIds`], draws IDs of one fixed length from the caller's
//! [`Random`]. The trait is shaped for a QUIC-LB generator
//! (draft-ietf-quic-load-balancers §3, §5.2): such a generator keeps its configuration
//! (config rotation bits, server ID, nonce and key) in `self`, writes a first octet and an
//! encrypted plaintext block of one fixed length per configuration, and can tell its own
//! IDs apart from random ones by their config rotation bits ([`ConnectionIdGenerator::validate`]).

use std::fmt;

use stator_wire::rand::Random;

/// The longest connection ID of QUIC v1 and v2 (RFC 9000 §17.2).
pub const MAX_CID_LEN: usize = 20;

/// A connection ID of 0 to 20 bytes (RFC 9000 §5.1), held inline.
#[derive(Clone, Copy)]
pub struct ConnectionId {
    len: u8,
    bytes: [u8; MAX_CID_LEN],
}

/// A connection ID longer than [`MAX_CID_LEN`] bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("connection ID of {0} bytes is longer than 20")]
pub struct CidTooLong(pub usize);

impl ConnectionId {
    /// The zero-length connection ID.
    pub const EMPTY: ConnectionId = ConnectionId {
        len: 0,
        bytes: [0; MAX_CID_LEN],
    };

    /// A connection ID with the bytes of `cid`, refused past 20 bytes (RFC 9000 §17.2).
    pub fn new(cid: &[u8]) -> Result<ConnectionId, CidTooLong> {
        let mut bytes = [0; MAX_CID_LEN];
        let dst = bytes.get_mut(..cid.len()).ok_or(CidTooLong(cid.len()))?;
        dst.copy_from_slice(cid);
        Ok(ConnectionId {
            // At most 20 by the check above.
            len: cid.len() as u8,
            bytes,
        })
    }

    /// A random connection ID of `len` bytes (clamped to 20) from `rng`.
    pub fn random(rng: &mut dyn Random, len: usize) -> ConnectionId {
        let len = len.min(MAX_CID_LEN);
        let mut cid = ConnectionId {
            len: len as u8,
            bytes: [0; MAX_CID_LEN],
        };
        if let Some(dst) = cid.bytes.get_mut(..len) {
            rng.fill(dst);
        }
        cid
    }

    /// The length in bytes.
    pub const fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether this is the zero-length connection ID.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes of the connection ID.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len()).unwrap_or_default()
    }
}

impl Default for ConnectionId {
    fn default() -> ConnectionId {
        ConnectionId::EMPTY
    }
}

impl TryFrom<&[u8]> for ConnectionId {
    type Error = CidTooLong;

    fn try_from(cid: &[u8]) -> Result<ConnectionId, CidTooLong> {
        ConnectionId::new(cid)
    }
}

impl AsRef<[u8]> for ConnectionId {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl std::ops::Deref for ConnectionId {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

// Equality and hashing look only at the used bytes, never at the unused tail.
impl PartialEq for ConnectionId {
    fn eq(&self, other: &ConnectionId) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for ConnectionId {}

impl std::hash::Hash for ConnectionId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl PartialOrd for ConnectionId {
    fn partial_cmp(&self, other: &ConnectionId) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ConnectionId {
    fn cmp(&self, other: &ConnectionId) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl fmt::Debug for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Lower-case hex, as in logs and qlog.
impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// How an endpoint chooses the connection IDs it issues (RFC 9000 §5.1).
///
/// The IDs an endpoint issues are what its peer puts in the Destination Connection ID of
/// every packet, so they are what routes packets back to it: a load balancer may need to
/// read a server ID out of them (draft-ietf-quic-load-balancers §5), and short headers
/// carry no length, so every ID one generator issues has the length [`cid_len`] and the
/// receive path parses short headers with it (RFC 9000 §17.3).
///
/// Randomness comes from the `rng` argument, never from a global generator (sans-IO).
///
/// [`cid_len`]: ConnectionIdGenerator::cid_len
pub trait ConnectionIdGenerator: Send {
    /// A new connection ID. It must not link to other IDs of the same connection for an
    /// observer (RFC 9000 §5.1) and is [`cid_len`](Self::cid_len) bytes long.
    fn generate(&mut self, rng: &mut dyn Random) -> ConnectionId;

    /// The length of every ID this generator makes; what a short header's Destination
    /// Connection ID is parsed with.
    fn cid_len(&self) -> usize;

    /// Whether `cid` could have come from this generator. The default checks the length
    /// only; a QUIC-LB generator can also check the config rotation bits of the first
    /// octet (draft-ietf-quic-load-balancers §3.1). A `false` lets a server drop or reset
    /// a packet without a table lookup.
    fn validate(&self, cid: &[u8]) -> bool {
        cid.len() == self.cid_len()
    }
}

/// The default generator: random IDs of one fixed length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RandomConnectionIds {
    len: usize,
}

impl RandomConnectionIds {
    /// Random IDs of `len` bytes; `None` past 20 (RFC 9000 §17.2). Zero is allowed, but an
    /// endpoint that issues zero-length IDs cannot be told apart from other connections
    /// on the same address and cannot use stateless reset (RFC 9000 §5.1, §10.3.2).
    pub const fn new(len: usize) -> Option<RandomConnectionIds> {
        if len <= MAX_CID_LEN {
            Some(RandomConnectionIds { len })
        } else {
            None
        }
    }
}

impl Default for RandomConnectionIds {
    /// Eight bytes: 64 bits keep collisions unlikely and leave room in small packets.
    fn default() -> RandomConnectionIds {
        RandomConnectionIds { len: 8 }
    }
}

impl ConnectionIdGenerator for RandomConnectionIds {
    fn generate(&mut self, rng: &mut dyn Random) -> ConnectionId {
        ConnectionId::random(rng, self.len)
    }

    fn cid_len(&self) -> usize {
        self.len
    }
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
    use std::collections::HashSet;

    #[test]
    fn lengths_up_to_twenty() {
        assert!(ConnectionId::new(&[]).unwrap().is_empty());
        assert_eq!(ConnectionId::new(&[7; 20]).unwrap().len(), 20);
        assert_eq!(ConnectionId::new(&[7; 21]), Err(CidTooLong(21)));
        assert!(RandomConnectionIds::new(20).is_some());
        assert!(RandomConnectionIds::new(21).is_none());
    }

    #[test]
    fn debug_is_hex() {
        let cid = ConnectionId::new(&[0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08]).unwrap();
        assert_eq!(format!("{cid:?}"), "8394c8f03e515708");
        assert_eq!(format!("{:?}", ConnectionId::EMPTY), "");
    }

    #[test]
    fn equality_ignores_the_unused_tail() {
        let a = ConnectionId::new(&[1, 2]).unwrap();
        let mut rng = SeededRandom::new(1);
        let mut b = ConnectionId::random(&mut rng, 20);
        b = ConnectionId::new(&b[..0]).unwrap();
        assert_ne!(a, b);
        assert_eq!(b, ConnectionId::EMPTY);
        let set: HashSet<ConnectionId> = [a, ConnectionId::new(&[1, 2]).unwrap()].into();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn random_generator_makes_distinct_ids_of_its_length() {
        let mut rng = SeededRandom::new(9);
        let mut generator: Box<dyn ConnectionIdGenerator> =
            Box::new(RandomConnectionIds::new(12).unwrap());
        let ids: HashSet<ConnectionId> = (0..100).map(|_| generator.generate(&mut rng)).collect();
        assert_eq!(ids.len(), 100);
        assert!(ids.iter().all(|c| c.len() == 12 && generator.validate(c)));
        assert!(!generator.validate(&[0; 8]));
        let mut zero = RandomConnectionIds::new(0).unwrap();
        assert!(zero.generate(&mut rng).is_empty());
    }

    /// A toy QUIC-LB style generator (plaintext, no key): the trait carries what it needs.
    struct ServerIdIds {
        config: u8,
        server_id: [u8; 2],
        nonce: u32,
    }

    impl ConnectionIdGenerator for ServerIdIds {
        fn generate(&mut self, rng: &mut dyn Random) -> ConnectionId {
            let mut first = [0u8; 1];
            rng.fill(&mut first);
            self.nonce = self.nonce.wrapping_add(1);
            let mut b = [0u8; 7];
            b[0] = (self.config << 5) | (first[0] & 0x1f);
            b[1..3].copy_from_slice(&self.server_id);
            b[3..].copy_from_slice(&self.nonce.to_be_bytes());
            ConnectionId::new(&b).unwrap()
        }
        fn cid_len(&self) -> usize {
            7
        }
        fn validate(&self, cid: &[u8]) -> bool {
            cid.len() == 7 && cid[0] >> 5 == self.config
        }
    }

    #[test]
    fn a_load_balancer_generator_plugs_in() {
        let mut rng = SeededRandom::new(3);
        let mut generator = ServerIdIds {
            config: 0b010,
            server_id: [0xab, 0xcd],
            nonce: 0,
        };
        let cid = generator.generate(&mut rng);
        assert_eq!(&cid[1..3], &[0xab, 0xcd]);
        assert!(generator.validate(&cid));
        assert!(!generator.validate(&[0xff; 7]));
    }

    proptest! {
        #[test]
        fn slices_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..=20)) {
            let cid = ConnectionId::new(&bytes).unwrap();
            prop_assert_eq!(cid.as_bytes(), &bytes[..]);
            prop_assert_eq!(cid.len(), bytes.len());
            prop_assert_eq!(cid.to_string().len(), 2 * bytes.len());
        }
    }
}
