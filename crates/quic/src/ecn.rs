//! ECN codepoints (RFC 3168 §5, RFC 9000 §13.4): the two low bits of the IP TOS byte
//! (IPv4) or Traffic Class (IPv6), read from and written to datagrams by the caller.

/// An ECN codepoint of a received or sent datagram (RFC 3168 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Ecn {
    /// Not ECN-Capable Transport (`00`).
    #[default]
    NotEct,
    /// ECN-Capable Transport, ECT(1) (`01`).
    Ect1,
    /// ECN-Capable Transport, ECT(0) (`10`).
    Ect0,
    /// Congestion Experienced (`11`).
    Ce,
}

impl Ecn {
    /// The codepoint in the low two bits of `tos` (the IPv4 TOS byte or the IPv6 Traffic
    /// Class); the DSCP bits above them are ignored.
    pub fn from_bits(tos: u8) -> Ecn {
        match tos & 0b11 {
            0b00 => Ecn::NotEct,
            0b01 => Ecn::Ect1,
            0b10 => Ecn::Ect0,
            _ => Ecn::Ce,
        }
    }

    /// The codepoint's two bits, for the low bits of the TOS / Traffic Class byte.
    pub fn bits(self) -> u8 {
        match self {
            Ecn::NotEct => 0b00,
            Ecn::Ect1 => 0b01,
            Ecn::Ect0 => 0b10,
            Ecn::Ce => 0b11,
        }
    }

    /// Whether the datagram was sent ECN-capable: ECT(0), ECT(1) or CE.
    pub fn is_ect(self) -> bool {
        self != Ecn::NotEct
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_round_trip_and_ignore_dscp() {
        for tos in 0..=u8::MAX {
            let e = Ecn::from_bits(tos);
            assert_eq!(e.bits(), tos & 0b11);
            assert_eq!(Ecn::from_bits(e.bits()), e);
        }
        assert_eq!(Ecn::from_bits(0xb8 | 0b10), Ecn::Ect0); // EF DSCP + ECT(0)
        assert_eq!(Ecn::from_bits(0b01), Ecn::Ect1);
        assert_eq!(Ecn::from_bits(0b11), Ecn::Ce);
        assert_eq!(Ecn::default(), Ecn::NotEct);
        assert!(!Ecn::NotEct.is_ect());
        assert!(Ecn::Ce.is_ect());
    }
}
