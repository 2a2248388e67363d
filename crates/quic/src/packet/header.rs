//! Parsing packet headers, in two phases (RFC 9000 §17, RFC 8999 §5).
//!
//! Header protection (RFC 9001 §5.4) hides the low bits of the first byte and the packet
//! number. Phase one, [`Header::parse`], reads what is not protected and says where the
//! packet number starts and where the packet ends; the crypto layer then removes header
//! protection, and phase two, [`FirstByte::parse`], reads the unprotected first byte.
//! Every failure of phase one is a [`Discard`]: the packet is dropped, the connection
//! lives on.

use stator_wire::{Reader, varint};

use super::{Discard, MAX_CID_LEN, MIN_PROTECTED_LEN, RETRY_TAG_LEN};
use crate::{LongType, TransportError, Version};

/// The first byte's Header Form bit: 1 for a long header (RFC 9000 §17.2).
pub(crate) const FORM_BIT: u8 = 0x80;
/// The Fixed Bit, 1 in every v1 and v2 packet but Version Negotiation (RFC 9000 §17.2).
pub(crate) const FIXED_BIT: u8 = 0x40;
/// The Spin Bit of a short header (RFC 9000 §17.3.1).
pub(crate) const SPIN_BIT: u8 = 0x20;
/// The Key Phase bit of a short header (RFC 9000 §17.3.1).
pub(crate) const KEY_PHASE_BIT: u8 = 0x04;
/// The Reserved Bits of a long header (RFC 9000 §17.2).
const LONG_RESERVED: u8 = 0x0c;
/// The Reserved Bits of a short header (RFC 9000 §17.3.1).
const SHORT_RESERVED: u8 = 0x18;

/// A packet header as far as it can be read before header protection is removed.
///
/// Connection IDs, tokens and version lists borrow from the datagram; a caller holding a
/// `Bytes` turns them into zero-copy slices with `Bytes::slice_ref`. Offsets count from the
/// first byte of the packet (not of the datagram).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Header<'a> {
    /// An Initial, 0-RTT or Handshake packet of a version this crate speaks.
    Long(LongHeader<'a>),
    /// A 1-RTT packet (RFC 9000 §17.3.1).
    Short(ShortHeader<'a>),
    /// A Retry packet (RFC 9000 §17.2.5).
    Retry(RetryHeader<'a>),
    /// A Version Negotiation packet (RFC 9000 §17.2.1).
    VersionNegotiation(VersionNegotiation<'a>),
    /// A long header of a version this crate does not speak, read only as far as the
    /// invariants go (RFC 8999 §5.1), so that a server can answer with Version
    /// Negotiation (RFC 9000 §6.1) — only to datagrams of at least 1200 bytes; smaller
    /// ones are dropped (RFC 9000 §5.2.2).
    Unsupported(UnsupportedHeader<'a>),
}

/// An Initial, 0-RTT or Handshake header (RFC 9000 §17.2.2 to §17.2.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongHeader<'a> {
    /// The first byte, still protected: only its top four bits are meaningful.
    pub first: u8,
    /// The version (one of [`Version::SUPPORTED`]).
    pub version: Version,
    /// Initial, 0-RTT or Handshake (never Retry).
    pub ty: LongType,
    /// The Destination Connection ID (at most 20 bytes).
    pub dcid: &'a [u8],
    /// The Source Connection ID (at most 20 bytes).
    pub scid: &'a [u8],
    /// The Token of an Initial packet; empty for the other types. A client must discard
    /// or reject an Initial from the server whose token is not empty (RFC 9000 §17.2.2);
    /// that is the caller's rule, which knows its role.
    pub token: &'a [u8],
    /// The Length field: the packet number and the protected payload (RFC 9000 §17.2).
    pub length: u64,
    /// Where the (protected) packet number starts.
    pub pn_offset: usize,
    /// Where the packet ends: `pn_offset + length`, within the datagram.
    pub len: usize,
}

/// A short (1-RTT) header (RFC 9000 §17.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortHeader<'a> {
    /// The first byte, still protected: only its top three bits are meaningful.
    pub first: u8,
    /// The Destination Connection ID, of the length the endpoint uses.
    pub dcid: &'a [u8],
    /// The Spin Bit (not protected; RFC 9000 §17.4).
    pub spin: bool,
    /// Where the (protected) packet number starts: right after the DCID.
    pub pn_offset: usize,
    /// Where the packet ends: the end of the datagram.
    pub len: usize,
}

/// A Retry packet, its integrity tag split off (RFC 9000 §17.2.5). The tag is checked by
/// the crypto layer over the Retry pseudo-packet (RFC 9001 §5.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryHeader<'a> {
    /// The first byte (its low four bits are unused).
    pub first: u8,
    /// The version (one of [`Version::SUPPORTED`]).
    pub version: Version,
    /// The Destination Connection ID (the client's SCID).
    pub dcid: &'a [u8],
    /// The Source Connection ID the server chose.
    pub scid: &'a [u8],
    /// The Retry Token, never empty (RFC 9000 §17.2.5.2).
    pub token: &'a [u8],
    /// The Retry Integrity Tag.
    pub tag: &'a [u8; RETRY_TAG_LEN],
    /// The packet without its tag, as the pseudo-packet needs it.
    pub without_tag: &'a [u8],
    /// Where the packet ends: the end of the datagram (Retry has no Length field).
    pub len: usize,
}

/// A Version Negotiation packet (RFC 9000 §17.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionNegotiation<'a> {
    /// The first byte (its low seven bits are arbitrary).
    pub first: u8,
    /// The Destination Connection ID (up to 255 bytes: RFC 8999 §5.1).
    pub dcid: &'a [u8],
    /// The Source Connection ID (up to 255 bytes).
    pub scid: &'a [u8],
    /// The Supported Version list, four bytes per version.
    pub versions: &'a [u8],
    /// Where the packet ends: the end of the datagram.
    pub len: usize,
}

impl VersionNegotiation<'_> {
    /// The versions the server offers.
    pub fn versions(&self) -> impl Iterator<Item = Version> + '_ {
        self.versions
            .chunks_exact(4)
            .filter_map(|c| c.first_chunk::<4>())
            .map(|c| Version(u32::from_be_bytes(*c)))
    }
}

/// The invariant fields of a long header of an unknown version (RFC 8999 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedHeader<'a> {
    /// The first byte (its low seven bits are version-specific).
    pub first: u8,
    /// The version.
    pub version: Version,
    /// The Destination Connection ID (up to 255 bytes).
    pub dcid: &'a [u8],
    /// The Source Connection ID (up to 255 bytes).
    pub scid: &'a [u8],
    /// Where the packet ends: the end of the datagram (its length is version-specific).
    pub len: usize,
}

fn truncated(_: stator_wire::Error) -> Discard {
    Discard::Truncated
}

/// Reads a length-prefixed connection ID of at most `max` bytes.
fn read_cid<'a>(r: &mut Reader<'a>, max: usize) -> Result<&'a [u8], Discard> {
    let len = usize::from(r.read_u8().map_err(truncated)?);
    if len > max {
        return Err(Discard::CidTooLong);
    }
    r.read_bytes(len).map_err(truncated)
}

impl<'a> Header<'a> {
    /// Phase one: parses the header of the packet at the start of `bytes` (the rest of a
    /// datagram), reading only what header protection leaves in the clear.
    ///
    /// `short_dcid_len` is the length of the connection IDs this endpoint issues: a short
    /// header does not carry it (RFC 9000 §17.3.1). A client that uses zero-length IDs
    /// passes 0.
    pub fn parse(bytes: &'a [u8], short_dcid_len: usize) -> Result<Header<'a>, Discard> {
        let mut r = Reader::new(bytes);
        let first = r.read_u8().map_err(|_| Discard::Empty)?;
        if first & FORM_BIT == 0 {
            return parse_short(first, r, short_dcid_len).map(Header::Short);
        }
        let version = Version(r.read_u32().map_err(truncated)?);
        if version == Version::NEGOTIATION {
            // RFC 8999 §5.1, §6: the invariants allow IDs of up to 255 bytes.
            let dcid = read_cid(&mut r, usize::from(u8::MAX))?;
            let scid = read_cid(&mut r, usize::from(u8::MAX))?;
            let versions = r.read_rest();
            if !versions.len().is_multiple_of(4) {
                return Err(Discard::VersionListLength);
            }
            return Ok(Header::VersionNegotiation(VersionNegotiation {
                first,
                dcid,
                scid,
                versions,
                len: bytes.len(),
            }));
        }
        if !version.is_supported() {
            let dcid = read_cid(&mut r, usize::from(u8::MAX))?;
            let scid = read_cid(&mut r, usize::from(u8::MAX))?;
            return Ok(Header::Unsupported(UnsupportedHeader {
                first,
                version,
                dcid,
                scid,
                len: bytes.len(),
            }));
        }
        // RFC 9000 §17.2: packets of this version with the Fixed Bit 0 are not valid and
        // are discarded; IDs longer than 20 bytes drop the packet.
        if first & FIXED_BIT == 0 {
            return Err(Discard::FixedBitZero);
        }
        let dcid = read_cid(&mut r, MAX_CID_LEN)?;
        let scid = read_cid(&mut r, MAX_CID_LEN)?;
        let ty = LongType::from_bits(first >> 4, version);
        if ty == LongType::Retry {
            return parse_retry(bytes, first, version, dcid, scid, r.rest()).map(Header::Retry);
        }
        let token = if ty == LongType::Initial {
            let token_len = varint::decode(&mut r).map_err(truncated)?;
            let token_len = usize::try_from(token_len).map_err(|_| Discard::Truncated)?;
            r.read_bytes(token_len).map_err(truncated)?
        } else {
            &[]
        };
        let length = varint::decode(&mut r).map_err(truncated)?;
        let pn_offset = r.position();
        // RFC 9000 §12.2 / §17.2: the Length cannot reach past the datagram.
        let len = usize::try_from(length)
            .ok()
            .filter(|&l| l <= r.remaining())
            .and_then(|l| pn_offset.checked_add(l))
            .ok_or(Discard::LengthPastDatagram)?;
        // RFC 9001 §5.4.2: a packet too short to hold the header-protection sample (taken
        // four bytes past the packet number's start) is discarded.
        if length < MIN_PROTECTED_LEN as u64 {
            return Err(Discard::TooShortForSample);
        }
        Ok(Header::Long(LongHeader {
            first,
            version,
            ty,
            dcid,
            scid,
            token,
            length,
            pn_offset,
            len,
        }))
    }

    /// The Destination Connection ID.
    pub fn dcid(&self) -> &'a [u8] {
        match self {
            Header::Long(h) => h.dcid,
            Header::Short(h) => h.dcid,
            Header::Retry(h) => h.dcid,
            Header::VersionNegotiation(h) => h.dcid,
            Header::Unsupported(h) => h.dcid,
        }
    }

    /// The Source Connection ID (none in a short header).
    pub fn scid(&self) -> Option<&'a [u8]> {
        match self {
            Header::Long(h) => Some(h.scid),
            Header::Short(_) => None,
            Header::Retry(h) => Some(h.scid),
            Header::VersionNegotiation(h) => Some(h.scid),
            Header::Unsupported(h) => Some(h.scid),
        }
    }

    /// The version field of a long header (0 for Version Negotiation).
    pub fn version(&self) -> Option<Version> {
        match self {
            Header::Long(h) => Some(h.version),
            Header::Short(_) => None,
            Header::Retry(h) => Some(h.version),
            Header::VersionNegotiation(_) => Some(Version::NEGOTIATION),
            Header::Unsupported(h) => Some(h.version),
        }
    }

    /// The long packet type: Initial, 0-RTT, Handshake or Retry (none for short headers,
    /// Version Negotiation and unknown versions).
    pub fn long_type(&self) -> Option<LongType> {
        match self {
            Header::Long(h) => Some(h.ty),
            Header::Retry(_) => Some(LongType::Retry),
            _ => None,
        }
    }

    /// The first byte, as received (still protected where protection applies).
    pub fn first(&self) -> u8 {
        match self {
            Header::Long(h) => h.first,
            Header::Short(h) => h.first,
            Header::Retry(h) => h.first,
            Header::VersionNegotiation(h) => h.first,
            Header::Unsupported(h) => h.first,
        }
    }

    /// Where the packet number starts, for the packets that have one.
    pub fn pn_offset(&self) -> Option<usize> {
        match self {
            Header::Long(h) => Some(h.pn_offset),
            Header::Short(h) => Some(h.pn_offset),
            _ => None,
        }
    }

    /// How many bytes of the datagram the packet takes (where the next coalesced packet
    /// starts).
    pub fn len(&self) -> usize {
        match self {
            Header::Long(h) => h.len,
            Header::Short(h) => h.len,
            Header::Retry(h) => h.len,
            Header::VersionNegotiation(h) => h.len,
            Header::Unsupported(h) => h.len,
        }
    }

    /// Never true: a parsed packet holds at least its first byte. (Here for `len`'s sake.)
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn parse_short(first: u8, mut r: Reader<'_>, dcid_len: usize) -> Result<ShortHeader<'_>, Discard> {
    // RFC 9000 §17.3.1: a zero Fixed Bit makes the packet invalid; discard it.
    if first & FIXED_BIT == 0 {
        return Err(Discard::FixedBitZero);
    }
    let dcid = r.read_bytes(dcid_len).map_err(truncated)?;
    let pn_offset = r.position();
    // RFC 9001 §5.4.2: room for the longest packet number and the sample.
    if r.remaining() < MIN_PROTECTED_LEN {
        return Err(Discard::TooShortForSample);
    }
    let len = pn_offset.saturating_add(r.remaining());
    Ok(ShortHeader {
        first,
        dcid,
        spin: first & SPIN_BIT != 0,
        pn_offset,
        len,
    })
}

fn parse_retry<'a>(
    bytes: &'a [u8],
    first: u8,
    version: Version,
    dcid: &'a [u8],
    scid: &'a [u8],
    rest: &'a [u8],
) -> Result<RetryHeader<'a>, Discard> {
    let split = rest
        .len()
        .checked_sub(RETRY_TAG_LEN)
        .ok_or(Discard::Truncated)?;
    let (token, tag) = rest.split_at_checked(split).ok_or(Discard::Truncated)?;
    let tag: &[u8; RETRY_TAG_LEN] = tag.try_into().map_err(|_| Discard::Truncated)?;
    // RFC 9000 §17.2.5.2: a client discards a Retry with an empty token.
    if token.is_empty() {
        return Err(Discard::EmptyRetryToken);
    }
    let without_tag = bytes
        .get(..bytes.len().saturating_sub(RETRY_TAG_LEN))
        .unwrap_or_default();
    Ok(RetryHeader {
        first,
        version,
        dcid,
        scid,
        token,
        tag,
        without_tag,
        len: bytes.len(),
    })
}

/// What the first byte says once header protection is removed (RFC 9000 §17.2, §17.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstByte {
    /// The first byte, unprotected.
    pub byte: u8,
    /// The length of the packet number that follows.
    pub pn_len: super::PnLen,
    /// The Key Phase bit (short header only; false in a long header).
    pub key_phase: bool,
}

impl FirstByte {
    /// Phase two: reads an unprotected first byte. The header form bit (not protected)
    /// says which layout applies.
    ///
    /// This gives the packet number length needed to decrypt; the Reserved Bits are
    /// checked with [`FirstByte::check_reserved`] once the packet has been decrypted.
    pub fn parse(byte: u8) -> FirstByte {
        FirstByte {
            byte,
            pn_len: super::PnLen::from_first_byte(byte),
            key_phase: byte & FORM_BIT == 0 && byte & KEY_PHASE_BIT != 0,
        }
    }

    /// Fails with `PROTOCOL_VIOLATION` when a Reserved Bit is set.
    ///
    /// RFC 9000 §17.2 and §17.3.1 make this an error only "after removing both packet and
    /// header protection": call it once the AEAD has opened the packet, so that a forged
    /// packet (whose bits decrypt to noise) is merely dropped, not fatal.
    pub fn check_reserved(&self) -> Result<(), TransportError> {
        let reserved = if self.byte & FORM_BIT != 0 {
            LONG_RESERVED
        } else {
            SHORT_RESERVED
        };
        if self.byte & reserved != 0 {
            return Err(TransportError::protocol(
                "reserved header bits are not zero",
            ));
        }
        Ok(())
    }

    /// The bits of a first byte that header protection masks: the low four of a long
    /// header, the low five of a short one (RFC 9001 §5.4.1).
    pub const fn protected_bits(first: u8) -> u8 {
        if first & FORM_BIT != 0 { 0x0f } else { 0x1f }
    }
}
