//! Header protection and packet protection on a packet in a mutable buffer
//! (RFC 9001 §5.3, §5.4).
//!
//! The functions take the header layout as explicit parameters (the offset of the packet
//! number and whether the header is long), so that the packet-header code decides where
//! things are and this module only does the cryptography. The buffer holds one packet:
//! header, payload and, when sealing, room for the tag at its end.

use super::CryptoError;
use super::keys::{HeaderKey, PacketKey};

/// The header form bit (RFC 9000 §17.2): 1 for long headers. Never masked.
const LONG_FORM: u8 = 0x80;
/// The Key Phase bit of a short header (RFC 9000 §17.3.1, RFC 9001 §6).
const KEY_PHASE: u8 = 0x04;
/// The Packet Number Length bits (RFC 9000 §17.2, §17.3.1).
const PN_LEN_BITS: u8 = 0x03;
/// The sample starts four bytes after the packet number starts, whatever its length
/// (RFC 9001 §5.4.2).
const SAMPLE_OFFSET: usize = 4;
/// The longest packet number encoding (RFC 9000 §17.1).
const MAX_PN_LEN: usize = 4;

/// What removing header protection reveals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unprotected {
    /// The first byte with its protected bits unmasked (reserved bits, key phase, packet
    /// number length).
    pub first_byte: u8,
    /// The length of the packet number field, 1 to 4.
    pub pn_len: usize,
    /// The truncated packet number as sent (RFC 9000 §17.1; the packet module expands it).
    pub truncated_pn: u32,
}

/// The packet number length that a first byte announces.
fn pn_len_of(first: u8) -> usize {
    usize::from(first & PN_LEN_BITS) + 1
}

/// Splits `packet` into the first byte, the four bytes at `pn_offset` (the longest packet
/// number) and the sample, checking every bound (RFC 9001 §5.4.2).
fn split_for_mask<'a>(
    key: &HeaderKey,
    packet: &'a mut [u8],
    pn_offset: usize,
    long_header: bool,
) -> Result<(&'a mut u8, &'a mut [u8], &'a [u8]), CryptoError> {
    if pn_offset == 0 {
        return Err(CryptoError::BadHeader);
    }
    let sample_start = pn_offset
        .checked_add(SAMPLE_OFFSET)
        .ok_or(CryptoError::ShortPacket)?;
    let sample_end = sample_start
        .checked_add(key.sample_len())
        .ok_or(CryptoError::ShortPacket)?;
    if packet.len() < sample_end {
        return Err(CryptoError::ShortPacket);
    }
    let (head, rest) = packet.split_at_mut(sample_start);
    let sample = rest
        .get(..key.sample_len())
        .ok_or(CryptoError::ShortPacket)?;
    let (before_pn, pn) = head.split_at_mut(pn_offset);
    let first = before_pn.first_mut().ok_or(CryptoError::BadHeader)?;
    if (*first & LONG_FORM != 0) != long_header {
        return Err(CryptoError::BadHeader);
    }
    Ok((first, pn, sample))
}

/// Applies header protection (RFC 9001 §5.4.1) to a packet whose payload is already
/// sealed: masks the low 4 bits of the first byte (long header) or 5 bits (short header)
/// and the packet number, whose length the unprotected first byte gives. The sample is
/// taken at `pn_offset + 4`, so the packet must reach `pn_offset + 4 + 16`.
pub fn apply_header_protection(
    key: &HeaderKey,
    packet: &mut [u8],
    pn_offset: usize,
    long_header: bool,
) -> Result<(), CryptoError> {
    let (first, pn, sample) = split_for_mask(key, packet, pn_offset, long_header)?;
    key.0
        .encrypt_in_place(sample, first, pn)
        .map_err(|_| CryptoError::ShortPacket)
}

/// Removes header protection (RFC 9001 §5.4.1) in place, returning the unmasked first
/// byte, the packet number length and the truncated packet number. A buffer too short
/// for the sample is an error (the caller drops the packet); nothing is modified then.
pub fn remove_header_protection(
    key: &HeaderKey,
    packet: &mut [u8],
    pn_offset: usize,
    long_header: bool,
) -> Result<Unprotected, CryptoError> {
    let (first, pn, sample) = split_for_mask(key, packet, pn_offset, long_header)?;
    key.0
        .decrypt_in_place(sample, first, pn)
        .map_err(|_| CryptoError::ShortPacket)?;
    let pn_len = pn_len_of(*first);
    let truncated_pn = pn
        .iter()
        .take(pn_len.min(MAX_PN_LEN))
        .fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
    Ok(Unprotected {
        first_byte: *first,
        pn_len,
        truncated_pn,
    })
}

/// Seals a packet in place (RFC 9001 §5.3): `packet[..header_len]` is the unprotected
/// header and the associated data, the payload follows, and the last
/// [`PacketKey::tag_len`] bytes of `packet` are room for the tag, overwritten here. The
/// nonce is the IV combined (XOR) with the full packet number `pn`.
pub fn seal_packet(
    key: &PacketKey,
    pn: u64,
    packet: &mut [u8],
    header_len: usize,
) -> Result<(), CryptoError> {
    let tag_start = packet
        .len()
        .checked_sub(key.tag_len())
        .ok_or(CryptoError::ShortPacket)?;
    if tag_start < header_len {
        return Err(CryptoError::ShortPacket);
    }
    let (body, tag_slot) = packet.split_at_mut(tag_start);
    let (header, payload) = body.split_at_mut(header_len);
    let tag = key
        .0
        .encrypt_in_place(pn, header, payload)
        .map_err(|_| CryptoError::Encrypt)?;
    let tag = tag.as_ref();
    if tag.len() != tag_slot.len() {
        return Err(CryptoError::Encrypt);
    }
    tag_slot.copy_from_slice(tag);
    Ok(())
}

/// Opens a packet in place (RFC 9001 §5.3): `packet[..header_len]` is the header with
/// protection removed, the rest the ciphertext and tag. Returns the plaintext length;
/// the plaintext is `packet[header_len..header_len + n]`. A packet that fails to open is
/// [`CryptoError::Decrypt`] (RFC 9001 §5.5: the caller drops it).
pub fn open_packet(
    key: &PacketKey,
    pn: u64,
    packet: &mut [u8],
    header_len: usize,
) -> Result<usize, CryptoError> {
    if packet.len() < header_len.saturating_add(key.tag_len()) {
        return Err(CryptoError::ShortPacket);
    }
    let (header, payload) = packet.split_at_mut(header_len);
    key.0
        .decrypt_in_place(pn, header, payload)
        .map(<[u8]>::len)
        .map_err(|_| CryptoError::Decrypt)
}

/// Seals and then header-protects a packet laid out as for [`seal_packet`]: the header
/// ends after the packet number, whose length the first byte gives. The packet must be
/// long enough for the header protection sample (RFC 9001 §5.4.2: senders pad short
/// payloads so that it is).
pub fn protect_packet(
    header_key: &HeaderKey,
    packet_key: &PacketKey,
    pn: u64,
    packet: &mut [u8],
    pn_offset: usize,
    long_header: bool,
) -> Result<(), CryptoError> {
    let first = *packet.first().ok_or(CryptoError::ShortPacket)?;
    let header_len = pn_offset
        .checked_add(pn_len_of(first))
        .ok_or(CryptoError::ShortPacket)?;
    // Check the sample's bound before sealing so that a failure leaves the buffer as is.
    let needed = pn_offset
        .checked_add(SAMPLE_OFFSET)
        .and_then(|n| n.checked_add(header_key.sample_len()))
        .ok_or(CryptoError::ShortPacket)?;
    if packet.len() < needed {
        return Err(CryptoError::ShortPacket);
    }
    seal_packet(packet_key, pn, packet, header_len)?;
    apply_header_protection(header_key, packet, pn_offset, long_header)
}

/// The Key Phase bit of an unprotected short-header first byte (RFC 9001 §6).
pub fn key_phase(first_byte: u8) -> bool {
    first_byte & KEY_PHASE != 0
}

/// The short-header first byte `first_byte` with its Key Phase bit set to `phase`.
#[must_use]
pub fn set_key_phase(first_byte: u8, phase: bool) -> u8 {
    if phase {
        first_byte | KEY_PHASE
    } else {
        first_byte & !KEY_PHASE
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )]

    use super::*;
    use crate::Version;
    use crate::crypto::{Side, initial_keys};

    fn sample_packet(long: bool) -> Vec<u8> {
        let mut p = vec![if long { 0xc3 } else { 0x43 }, 1, 2, 3, 4, 9, 9, 9, 9];
        p.extend_from_slice(&[0xaa; 40]);
        p
    }

    #[test]
    fn protect_then_unprotect_round_trips() {
        let client = initial_keys(Version::V1, b"\x01\x02\x03\x04", Side::Client).unwrap();
        let server = initial_keys(Version::V1, b"\x01\x02\x03\x04", Side::Server).unwrap();
        for long in [true, false] {
            let plain = sample_packet(long);
            let mut p = plain.clone();
            protect_packet(
                &client.local.header,
                &client.local.packet,
                7,
                &mut p,
                1,
                long,
            )
            .unwrap();
            assert_ne!(p, plain);
            let u = remove_header_protection(&server.remote.header, &mut p, 1, long).unwrap();
            assert_eq!(u.first_byte, plain[0]);
            assert_eq!(u.pn_len, 4);
            assert_eq!(u.truncated_pn, 0x01020304);
            let n = open_packet(&server.remote.packet, 7, &mut p, 5).unwrap();
            assert_eq!(&p[5..5 + n], &plain[5..plain.len() - 16]);
        }
    }

    #[test]
    fn short_buffers_and_bad_offsets_are_errors() {
        let keys = initial_keys(Version::V2, b"cid", Side::Client).unwrap();
        for len in 0..21 {
            let mut p = vec![0xc0; len];
            assert_eq!(
                remove_header_protection(&keys.remote.header, &mut p, 1, true),
                Err(CryptoError::ShortPacket)
            );
            assert!(open_packet(&keys.remote.packet, 0, &mut p[..len.min(15)], 0).is_err());
        }
        let mut p = vec![0xc0; 64];
        assert_eq!(
            remove_header_protection(&keys.remote.header, &mut p, 0, true),
            Err(CryptoError::BadHeader)
        );
        assert_eq!(
            remove_header_protection(&keys.remote.header, &mut p, 1, false),
            Err(CryptoError::BadHeader)
        );
        assert_eq!(
            remove_header_protection(&keys.remote.header, &mut p, usize::MAX, true),
            Err(CryptoError::ShortPacket)
        );
        assert_eq!(
            open_packet(&keys.remote.packet, 0, &mut p, 1),
            Err(CryptoError::Decrypt)
        );
    }

    #[test]
    fn key_phase_bit() {
        assert!(key_phase(0x44));
        assert!(!key_phase(0x40));
        assert_eq!(set_key_phase(0x40, true), 0x44);
        assert_eq!(set_key_phase(0x47, false), 0x43);
    }

    proptest::proptest! {
        #[test]
        fn round_trip_or_short_packet_error(
            pn_offset in 1usize..30,
            pn_len in 1usize..=4,
            payload_len in 0usize..100,
            long: bool,
            v2: bool,
            pn: u32,
            cut in 0usize..200,
        ) {
            let version = if v2 { Version::V2 } else { Version::V1 };
            let client = initial_keys(version, b"some dcid", Side::Client).unwrap();
            let server = initial_keys(version, b"some dcid", Side::Server).unwrap();
            let first = if long { 0xc0 } else { 0x40 } | (pn_len as u8 - 1);
            let mut plain = vec![first];
            plain.resize(pn_offset, 0x11);
            plain.extend_from_slice(&pn.to_be_bytes()[4 - pn_len..]);
            plain.extend((0..payload_len).map(|i| i as u8));
            plain.extend_from_slice(&[0; 16]);
            let header_len = pn_offset + pn_len;
            let mut p = plain.clone();
            let sealed = protect_packet(
                &client.local.header, &client.local.packet, u64::from(pn), &mut p, pn_offset, long,
            );
            if p.len() < pn_offset + 4 + 16 {
                proptest::prop_assert_eq!(sealed, Err(CryptoError::ShortPacket));
                proptest::prop_assert_eq!(&p, &plain);
                return Ok(());
            }
            sealed.unwrap();
            // A truncated copy never panics and never opens.
            let mut short = p[..cut.min(p.len())].to_vec();
            if let Ok(u) = remove_header_protection(&server.remote.header, &mut short, pn_offset, long) {
                let _ = open_packet(&server.remote.packet, u64::from(u.truncated_pn), &mut short, pn_offset + u.pn_len);
            }
            let u = remove_header_protection(&server.remote.header, &mut p, pn_offset, long).unwrap();
            proptest::prop_assert_eq!(u.first_byte, first);
            proptest::prop_assert_eq!(u.pn_len, pn_len);
            let truncated = if pn_len == 4 { pn } else { pn & ((1u32 << (8 * pn_len)) - 1) };
            proptest::prop_assert_eq!(u.truncated_pn, truncated);
            let n = open_packet(&server.remote.packet, u64::from(pn), &mut p, header_len).unwrap();
            proptest::prop_assert_eq!(&p[..header_len + n], &plain[..plain.len() - 16]);
        }
    }
}
