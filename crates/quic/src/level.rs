//! Encryption levels and packet number spaces (RFC 9000 §12.3, RFC 9001 §4).

/// The encryption level a packet is protected at, which is also what its type says about
/// the frames it may carry (RFC 9000 §12.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// Initial packets: keys from the client's first destination connection ID.
    Initial,
    /// 0-RTT packets: early data keys.
    ZeroRtt,
    /// Handshake packets.
    Handshake,
    /// 1-RTT (short header) packets.
    OneRtt,
}

impl Level {
    /// The packet number space of the level: 0-RTT and 1-RTT share the application
    /// data space (RFC 9000 §12.3).
    pub fn space(self) -> Space {
        match self {
            Level::Initial => Space::Initial,
            Level::Handshake => Space::Handshake,
            Level::ZeroRtt | Level::OneRtt => Space::Data,
        }
    }
}

/// Which end of a connection an endpoint is (RFC 9000 §1.2): which of a pair of secrets
/// seals and which opens, which transport parameters it may send, which stream IDs it
/// opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The endpoint that opened the connection.
    Client,
    /// The endpoint that accepted it.
    Server,
}

/// A packet number space (RFC 9000 §12.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Space {
    /// Initial packets.
    Initial,
    /// Handshake packets.
    Handshake,
    /// 0-RTT and 1-RTT packets.
    Data,
}

impl Space {
    /// The three spaces, in order.
    pub const ALL: [Space; 3] = [Space::Initial, Space::Handshake, Space::Data];
}
