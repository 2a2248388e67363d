//! Stream identifiers (RFC 9113 §5.1.1).

use std::fmt;

/// A 31-bit stream identifier (RFC 9113 §5.1.1).
///
/// Odd identifiers are opened by clients, even ones by servers; `0` names the connection
/// itself. The reserved high bit of the wire field is never part of an identifier.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct StreamId(u32);

impl StreamId {
    /// Stream 0: frames about the whole connection (RFC 9113 §5.1.1).
    pub const ZERO: StreamId = StreamId(0);
    /// The largest identifier, 2^31 - 1.
    pub const MAX: StreamId = StreamId(0x7fff_ffff);

    /// The identifier `id`, or `None` if it does not fit 31 bits.
    pub const fn new(id: u32) -> Option<StreamId> {
        if id > Self::MAX.0 {
            None
        } else {
            Some(StreamId(id))
        }
    }

    /// The identifier in a 32-bit wire field, ignoring the reserved high bit
    /// (RFC 9113 §4.1: "MUST be ignored when receiving").
    pub const fn from_wire(field: u32) -> StreamId {
        StreamId(field & Self::MAX.0)
    }

    /// The identifier as a number.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// Whether this is stream 0, the connection.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Whether a client opens streams with this identifier (odd).
    pub const fn is_client_initiated(self) -> bool {
        self.0 & 1 == 1
    }

    /// Whether a server opens streams with this identifier (even, not 0).
    pub const fn is_server_initiated(self) -> bool {
        self.0 != 0 && self.0 & 1 == 0
    }

    /// The next identifier the same endpoint may open (two up), or `None` once the space is
    /// exhausted (RFC 9113 §5.1.1: a new connection is then needed).
    pub const fn next(self) -> Option<StreamId> {
        match self.0.checked_add(2) {
            Some(id) => StreamId::new(id),
            None => None,
        }
    }
}

impl fmt::Debug for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StreamId({})", self.0)
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<StreamId> for u32 {
    fn from(id: StreamId) -> u32 {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert_eq!(StreamId::from_wire(0x8000_0001), StreamId::new(1).unwrap());
        assert!(StreamId::new(0x8000_0000).is_none());
        assert!(StreamId::new(1).unwrap().is_client_initiated());
        assert!(StreamId::new(2).unwrap().is_server_initiated());
        assert!(!StreamId::ZERO.is_server_initiated() && StreamId::ZERO.is_zero());
        assert_eq!(StreamId::new(3).unwrap().next(), StreamId::new(5));
        assert_eq!(StreamId::MAX.next(), None);
        assert_eq!(
            StreamId::new(0x7fff_fffd).unwrap().next(),
            Some(StreamId::MAX)
        );
    }
}
