//! QUIC versions (RFC 8999 §5.1, RFC 9000 §15, RFC 9369 §3).

use std::fmt;

/// A QUIC version number as carried in long headers.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version(pub u32);

impl Version {
    /// Version negotiation packets carry version 0 (RFC 9000 §17.2.1).
    pub const NEGOTIATION: Version = Version(0);
    /// QUIC version 1 (RFC 9000).
    pub const V1: Version = Version(0x0000_0001);
    /// QUIC version 2 (RFC 9369 §3.1).
    pub const V2: Version = Version(0x6b33_43cf);

    /// The versions this crate speaks, in order of preference.
    pub const SUPPORTED: [Version; 2] = [Version::V2, Version::V1];

    /// Whether this crate speaks the version.
    pub fn is_supported(self) -> bool {
        Version::SUPPORTED.contains(&self)
    }

    /// Whether the version is one of those reserved to exercise negotiation
    /// (`0x?a?a?a?a`, RFC 9000 §15).
    pub fn is_reserved(self) -> bool {
        self.0 & 0x0f0f_0f0f == 0x0a0a_0a0a
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Version::V1 => f.write_str("Version::V1"),
            Version::V2 => f.write_str("Version::V2"),
            Version(v) => write!(f, "Version({v:#010x})"),
        }
    }
}

/// The type of a long-header packet (RFC 9000 §17.2, RFC 9369 §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LongType {
    /// Initial.
    Initial,
    /// 0-RTT.
    ZeroRtt,
    /// Handshake.
    Handshake,
    /// Retry.
    Retry,
}

impl LongType {
    /// The two type bits (`0x30` of the first byte, shifted down) for `version`: v1 and
    /// v2 number the types differently.
    pub fn bits(self, version: Version) -> u8 {
        let v1: u8 = match self {
            LongType::Initial => 0,
            LongType::ZeroRtt => 1,
            LongType::Handshake => 2,
            LongType::Retry => 3,
        };
        if version == Version::V2 {
            // RFC 9369 §3.2: Initial 0b01, 0-RTT 0b10, Handshake 0b11, Retry 0b00.
            v1.wrapping_add(1) & 0b11
        } else {
            v1
        }
    }

    /// The type of the two type bits `bits` (only the low two count) in `version`.
    pub fn from_bits(bits: u8, version: Version) -> LongType {
        let v1 = if version == Version::V2 {
            bits.wrapping_sub(1) & 0b11
        } else {
            bits & 0b11
        };
        match v1 {
            0 => LongType::Initial,
            1 => LongType::ZeroRtt,
            2 => LongType::Handshake,
            _ => LongType::Retry,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_bits_round_trip_and_differ_between_v1_and_v2() {
        for t in [
            LongType::Initial,
            LongType::ZeroRtt,
            LongType::Handshake,
            LongType::Retry,
        ] {
            for v in [Version::V1, Version::V2] {
                assert_eq!(LongType::from_bits(t.bits(v), v), t);
            }
        }
        assert_eq!(LongType::Initial.bits(Version::V1), 0b00);
        assert_eq!(LongType::Initial.bits(Version::V2), 0b01);
        assert_eq!(LongType::Retry.bits(Version::V2), 0b00);
        assert!(Version(0x1a2a_3a4a).is_reserved());
        assert!(!Version::V1.is_reserved());
    }
}
