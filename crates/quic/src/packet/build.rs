//! Writing packet headers, Version Negotiation and Retry packets (RFC 9000 §17).
//!
//! A long header's Length field covers the packet number and the protected payload, which
//! are only known once the frames are written and sealed. [`HeaderWriter`] therefore
//! writes the header with a two-byte Length placeholder and the packet number, remembers
//! where both are, and fills the Length in with [`HeaderWriter::finish`].

use std::ops::Range;

use stator_wire::{Error as WireError, WriteExt, rand::Random, varint};

use super::header::{FIXED_BIT, FORM_BIT, KEY_PHASE_BIT, SPIN_BIT};
use super::{MAX_CID_LEN, MIN_PROTECTED_LEN, PnLen, RETRY_TAG_LEN, number};
use crate::{LongType, Version};

/// The width of the Length field the writer reserves: two bytes hold up to 16,383, more
/// than any UDP datagram QUIC sends on a real path.
const LENGTH_FIELD_LEN: usize = 2;
/// The largest value of a two-byte varint.
const MAX_LENGTH: usize = 0x3fff;

/// Misuse of the builders (never caused by a peer, except for the connection IDs of a
/// Version Negotiation packet, which are checked when parsed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A connection ID longer than the header allows (20 bytes in v1/v2, 255 in Version
    /// Negotiation).
    #[error("connection ID of {0} bytes is too long")]
    CidTooLong(usize),
    /// Retry packets are written with [`write_retry`], not [`HeaderWriter::long`].
    #[error("retry packets are built with write_retry")]
    RetryType,
    /// A token on a packet type that has none (only Initial carries one).
    #[error("only Initial packets carry a token")]
    UnexpectedToken,
    /// A Retry packet needs a non-empty token (RFC 9000 §17.2.5).
    #[error("retry token is empty")]
    EmptyToken,
    /// The packet number and payload do not fit the two-byte Length field.
    #[error("packet length {0} does not fit the length field")]
    LengthTooLarge(usize),
    /// The payload is too short for the header-protection sample (RFC 9001 §5.4.2); pad
    /// it to [`HeaderWriter::min_payload_len`].
    #[error("payload of {0} bytes is too short for header protection")]
    PayloadTooShort(usize),
    /// The buffer does not hold what the writer expects (the header was moved or cut).
    #[error("buffer does not hold the header")]
    BufferMismatch,
    /// A wire primitive failed (a value out of range, a full buffer).
    #[error(transparent)]
    Wire(#[from] WireError),
}

/// The fields of an Initial, 0-RTT or Handshake header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LongHeaderFields<'a> {
    /// The version (its type bits differ between v1 and v2: RFC 9369 §3.2).
    pub version: Version,
    /// Initial, 0-RTT or Handshake.
    pub ty: LongType,
    /// The Destination Connection ID (at most 20 bytes).
    pub dcid: &'a [u8],
    /// The Source Connection ID (at most 20 bytes).
    pub scid: &'a [u8],
    /// The token of an Initial packet (empty for the other types).
    pub token: &'a [u8],
}

/// Where a header written into a buffer keeps its Length field and packet number.
///
/// All offsets are absolute positions in the buffer the header was written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderWriter {
    start: usize,
    length_at: Option<usize>,
    pn_at: usize,
    pn_len: PnLen,
}

fn put_cid(buf: &mut Vec<u8>, cid: &[u8], max: usize) -> Result<(), BuildError> {
    let len = u8::try_from(cid.len())
        .ok()
        .filter(|&l| usize::from(l) <= max)
        .ok_or(BuildError::CidTooLong(cid.len()))?;
    buf.push(len);
    buf.extend_from_slice(cid);
    Ok(())
}

impl HeaderWriter {
    /// Appends an Initial, 0-RTT or Handshake header to `buf`, with a Length placeholder
    /// and the packet number `pn` in `pn_len` bytes (RFC 9000 §17.2). The Reserved Bits
    /// are 0; header protection is applied later by the crypto layer.
    pub fn long(
        buf: &mut Vec<u8>,
        fields: &LongHeaderFields<'_>,
        pn: u64,
        pn_len: PnLen,
    ) -> Result<HeaderWriter, BuildError> {
        if fields.ty == LongType::Retry {
            return Err(BuildError::RetryType);
        }
        if fields.ty != LongType::Initial && !fields.token.is_empty() {
            return Err(BuildError::UnexpectedToken);
        }
        for cid in [fields.dcid, fields.scid] {
            if cid.len() > MAX_CID_LEN {
                return Err(BuildError::CidTooLong(cid.len()));
            }
        }
        let start = buf.len();
        let first =
            FORM_BIT | FIXED_BIT | (fields.ty.bits(fields.version) << 4) | pn_len.first_byte_bits();
        buf.push(first);
        buf.try_put_u32(fields.version.0)?;
        put_cid(buf, fields.dcid, MAX_CID_LEN)?;
        put_cid(buf, fields.scid, MAX_CID_LEN)?;
        if fields.ty == LongType::Initial {
            varint::encode(fields.token.len() as u64, buf)?;
            buf.extend_from_slice(fields.token);
        }
        let length_at = buf.len();
        varint::encode_with_len(0, LENGTH_FIELD_LEN, buf)?;
        let pn_at = buf.len();
        number::write(pn, pn_len, buf)?;
        Ok(HeaderWriter {
            start,
            length_at: Some(length_at),
            pn_at,
            pn_len,
        })
    }

    /// Appends a short (1-RTT) header to `buf` with the packet number `pn` in `pn_len`
    /// bytes (RFC 9000 §17.3.1). The Reserved Bits are 0.
    pub fn short(
        buf: &mut Vec<u8>,
        dcid: &[u8],
        spin: bool,
        key_phase: bool,
        pn: u64,
        pn_len: PnLen,
    ) -> Result<HeaderWriter, BuildError> {
        if dcid.len() > MAX_CID_LEN {
            return Err(BuildError::CidTooLong(dcid.len()));
        }
        let start = buf.len();
        let mut first = FIXED_BIT | pn_len.first_byte_bits();
        if spin {
            first |= SPIN_BIT;
        }
        if key_phase {
            first |= KEY_PHASE_BIT;
        }
        buf.push(first);
        buf.extend_from_slice(dcid);
        let pn_at = buf.len();
        number::write(pn, pn_len, buf)?;
        Ok(HeaderWriter {
            start,
            length_at: None,
            pn_at,
            pn_len,
        })
    }

    /// Where the packet (its first byte) starts.
    pub fn start(&self) -> usize {
        self.start
    }

    /// Where the packet number starts: header protection's `pn_offset`.
    pub fn pn_offset(&self) -> usize {
        self.pn_at
    }

    /// The packet number length written.
    pub fn pn_len(&self) -> PnLen {
        self.pn_len
    }

    /// Where the payload starts: the end of the header, the AEAD's associated data
    /// being `start()..payload_offset()` (RFC 9001 §5.3).
    pub fn payload_offset(&self) -> usize {
        self.pn_at.saturating_add(self.pn_len.get())
    }

    /// The range of the header in the buffer.
    pub fn header_range(&self) -> Range<usize> {
        self.start..self.payload_offset()
    }

    /// Where the Length field is (long headers only).
    pub fn length_offset(&self) -> Option<usize> {
        self.length_at
    }

    /// The fewest protected payload bytes (AEAD tag included) after the packet number
    /// that leave room for the header-protection sample (RFC 9001 §5.4.2); pad the
    /// frames up to this.
    pub fn min_payload_len(&self) -> usize {
        MIN_PROTECTED_LEN.saturating_sub(self.pn_len.get())
    }

    /// Fills in the Length field now that the payload is known: `payload_len` is what
    /// follows the packet number once sealed, AEAD tag included. Short headers have no
    /// Length; for them this only checks the payload is long enough.
    pub fn finish(&self, buf: &mut [u8], payload_len: usize) -> Result<(), BuildError> {
        if payload_len < self.min_payload_len() {
            return Err(BuildError::PayloadTooShort(payload_len));
        }
        let Some(at) = self.length_at else {
            return Ok(());
        };
        let length = payload_len.saturating_add(self.pn_len.get());
        if length > MAX_LENGTH {
            return Err(BuildError::LengthTooLarge(length));
        }
        let field = buf
            .get_mut(at..at.saturating_add(LENGTH_FIELD_LEN))
            .ok_or(BuildError::BufferMismatch)?;
        let mut out = &mut field[..];
        varint::encode_with_len(length as u64, LENGTH_FIELD_LEN, &mut out)?;
        Ok(())
    }
}

/// Appends a Version Negotiation packet answering a packet that carried
/// `received_dcid` and `received_scid` (RFC 9000 §17.2.1): the IDs are mirrored, the
/// first byte is random but for the Header Form bit and the bit 0x40 (set so the packet
/// looks like QUIC to demultiplexers, as §17.2.1 recommends), and `versions` are listed
/// in order. Include a reserved version (RFC 9000 §6.3) to keep clients honest.
pub fn write_version_negotiation<R: Random + ?Sized>(
    buf: &mut Vec<u8>,
    random: &mut R,
    received_dcid: &[u8],
    received_scid: &[u8],
    versions: &[Version],
) -> Result<(), BuildError> {
    let mut unused = [0u8];
    random.fill(&mut unused);
    let [unused] = unused;
    buf.push(FORM_BIT | FIXED_BIT | (unused & 0x3f));
    buf.try_put_u32(Version::NEGOTIATION.0)?;
    put_cid(buf, received_scid, usize::from(u8::MAX))?;
    put_cid(buf, received_dcid, usize::from(u8::MAX))?;
    for v in versions {
        buf.try_put_u32(v.0)?;
    }
    Ok(())
}

/// Appends a Retry packet without its integrity tag (RFC 9000 §17.2.5): `dcid` is the
/// client's Source Connection ID, `scid` the ID the server chose. Compute the tag over
/// [`retry_pseudo_packet`] and add it with [`append_retry_tag`].
///
/// The low four bits of the first byte are unused and arbitrary (§17.2.5): `unused`
/// supplies them (only its low four bits count), so a server can randomize them and a
/// test can reproduce RFC 9001 Appendix A.4, which sets them all.
///
/// Returns the range of the packet written.
pub fn write_retry(
    buf: &mut Vec<u8>,
    version: Version,
    dcid: &[u8],
    scid: &[u8],
    token: &[u8],
    unused: u8,
) -> Result<Range<usize>, BuildError> {
    if token.is_empty() {
        return Err(BuildError::EmptyToken);
    }
    for cid in [dcid, scid] {
        if cid.len() > MAX_CID_LEN {
            return Err(BuildError::CidTooLong(cid.len()));
        }
    }
    let start = buf.len();
    buf.push(FORM_BIT | FIXED_BIT | (LongType::Retry.bits(version) << 4) | (unused & 0x0f));
    buf.try_put_u32(version.0)?;
    put_cid(buf, dcid, MAX_CID_LEN)?;
    put_cid(buf, scid, MAX_CID_LEN)?;
    buf.extend_from_slice(token);
    Ok(start..buf.len())
}

/// Appends the Retry Integrity Tag (RFC 9001 §5.8) after a packet from [`write_retry`].
pub fn append_retry_tag(buf: &mut Vec<u8>, tag: &[u8; RETRY_TAG_LEN]) {
    buf.extend_from_slice(tag);
}

/// Appends the Retry pseudo-packet (RFC 9001 §5.8): the client's original Destination
/// Connection ID, length-prefixed, then the Retry packet without its tag. The integrity
/// tag is the AEAD tag over this as associated data.
pub fn retry_pseudo_packet(
    out: &mut Vec<u8>,
    original_dcid: &[u8],
    retry_without_tag: &[u8],
) -> Result<(), BuildError> {
    put_cid(out, original_dcid, MAX_CID_LEN)?;
    out.extend_from_slice(retry_without_tag);
    Ok(())
}
