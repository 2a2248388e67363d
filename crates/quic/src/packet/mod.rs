//! QUIC packets: headers, packet numbers and coalesced datagrams (RFC 9000 §12.2, §17;
//! RFC 8999; RFC 9369 §3).
//!
//! - [`number`]: packet number lengths, truncation and recovery (RFC 9000 §17.1);
//! - [`header`]: two-phase header parsing, before and after header protection;
//! - [`build`]: writing headers, Version Negotiation and Retry packets;
//! - [`datagram`]: splitting a datagram into its coalesced packets.
//!
//! Nothing here decrypts: the crypto layer removes header and packet protection between
//! [`Header::parse`] (phase one) and [`FirstByte::parse`] (phase two).
//!
//! ```
//! use stator_quic::packet::{self, Header, HeaderWriter, LongHeaderFields, PnLen};
//! use stator_quic::{LongType, Version};
//!
//! let mut buf = Vec::new();
//! let fields = LongHeaderFields {
//!     version: Version::V1,
//!     ty: LongType::Handshake,
//!     dcid: &[1, 2, 3, 4],
//!     scid: &[5, 6],
//!     token: &[],
//! };
//! let w = HeaderWriter::long(&mut buf, &fields, 7, PnLen::TWO).unwrap();
//! buf.extend_from_slice(&[0; 40]); // the sealed payload and its AEAD tag
//! w.finish(&mut buf, 40).unwrap();
//!
//! let Header::Long(h) = Header::parse(&buf, 8).unwrap() else { unreachable!() };
//! assert_eq!((h.ty, h.dcid, h.scid), (LongType::Handshake, &[1, 2, 3, 4][..], &[5, 6][..]));
//! assert_eq!(h.pn_offset, w.pn_offset());
//! assert_eq!(h.len, buf.len());
//! ```

pub mod build;
pub mod datagram;
pub mod header;
pub mod number;

#[cfg(test)]
mod tests;

pub use build::{
    BuildError, HeaderWriter, LongHeaderFields, append_retry_tag, retry_pseudo_packet, write_retry,
    write_version_negotiation,
};
pub use datagram::{Packet, Packets, split};
pub use header::{
    FirstByte, Header, LongHeader, RetryHeader, ShortHeader, UnsupportedHeader, VersionNegotiation,
};
pub use number::PnLen;

pub use crate::cid::MAX_CID_LEN;

/// The length of the Retry Integrity Tag (RFC 9001 §5.8).
pub const RETRY_TAG_LEN: usize = 16;

/// The header-protection sample length (RFC 9001 §5.4.2).
pub const SAMPLE_LEN: usize = 16;

/// The fewest bytes from the packet number's start to the packet's end: the sample is
/// taken as if the packet number were 4 bytes long (RFC 9001 §5.4.2).
pub const MIN_PROTECTED_LEN: usize = 4 + SAMPLE_LEN;

/// Why a packet is dropped without closing the connection.
///
/// None of these is a connection error: RFC 9000 has the receiver discard such packets
/// (an attacker can forge them), so the caller drops the packet, maybe counts it, and
/// goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Discard {
    /// No bytes at all.
    #[error("empty packet")]
    Empty,
    /// The header runs past the end of the datagram.
    #[error("packet header truncated")]
    Truncated,
    /// The Fixed Bit is 0 (RFC 9000 §17.2, §17.3.1).
    #[error("fixed bit is zero")]
    FixedBitZero,
    /// A v1/v2 connection ID longer than 20 bytes (RFC 9000 §17.2).
    #[error("connection ID longer than 20 bytes")]
    CidTooLong,
    /// The Length field reaches past the datagram (RFC 9000 §17.2).
    #[error("length field exceeds the datagram")]
    LengthPastDatagram,
    /// Too short to hold a packet number and the header-protection sample
    /// (RFC 9001 §5.4.2).
    #[error("packet too short for the header protection sample")]
    TooShortForSample,
    /// A Retry packet with an empty token (RFC 9000 §17.2.5.2).
    #[error("retry packet with an empty token")]
    EmptyRetryToken,
    /// A Version Negotiation list that is not a whole number of versions.
    #[error("version list is not a multiple of 4 bytes")]
    VersionListLength,
    /// A coalesced packet whose Destination Connection ID differs from the first
    /// packet's in the datagram (RFC 9000 §12.2).
    #[error("coalesced packet with a different destination connection ID")]
    DcidMismatch,
}
